// Services the hub answers itself: grpc.health.v1.Health and server
// reflection (v1 and v1alpha, so grpcurl and ghz need no .proto files).
//
// The transport answers them on its own threads, behind the same admission
// as routed calls (blocking ones on the hub's worker): one message in, one
// out, as bytes, with no gRPC server of their own.
#ifndef NDXP_GATEWAY_LOCAL_LOCAL_SERVICES_H_
#define NDXP_GATEWAY_LOCAL_LOCAL_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway {

// One method the hub serves itself. Implementations are immutable and
// thread-safe.
class LocalMethod {
 public:
  enum class Shape {
    kUnary,         // one request, one response
    kBidi,          // one response per request until the caller half-closes
    kWatch,         // one response, then the stream stays open until cancelled
  };

  virtual ~LocalMethod() = default;
  virtual Shape shape() const = 0;
  // Only the configured operators may call it (others: PERMISSION_DENIED).
  virtual bool operators_only() const { return false; }
  // Answer() may wait (a database query): it runs on a worker thread, never
  // on the proxy's.
  virtual bool blocking() const { return false; }
  // Whether the JSON door may call it too (unary, its answer transcoded);
  // the others answer on the gRPC door only.
  virtual bool answers_json_door() const { return false; }
  // Answers one request message. A non-OK status ends the call with it.
  virtual grpc::Status Answer(grpc::ByteBuffer* request, grpc::ByteBuffer* response) const = 0;
};

// The hub's own methods by full name. Immutable after construction.
class LocalServices {
 public:
  // `routed` are the descriptors of the routed services (must outlive this);
  // `routed_services` their names, listed by reflection and SERVING in health.
  LocalServices(const google::protobuf::DescriptorPool* routed,
                std::vector<std::string> routed_services);

  // Adds (or replaces) a method; for services the hub offers beside health
  // and reflection. `service` is listed by reflection.
  void Add(const std::string& service, const std::string& method,
           std::unique_ptr<LocalMethod> implementation);
  ~LocalServices();

  // The method named "/package.Service/Method", or nullptr.
  const LocalMethod* Find(absl::string_view full_method) const {
    auto it = methods_.find(full_method);
    return it == methods_.end() ? nullptr : it->second.get();
  }

 private:
  struct State;
  std::unique_ptr<State> state_;  // what the methods point into; outlives them
  absl::flat_hash_map<std::string, std::unique_ptr<LocalMethod>> methods_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_LOCAL_LOCAL_SERVICES_H_
