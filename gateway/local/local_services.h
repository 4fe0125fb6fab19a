// Services the hub answers itself: grpc.health.v1.Health and server
// reflection (v1 and v1alpha, so grpcurl and ghz need no .proto files).
//
// The transport answers them on its own threads, behind the same admission
// as routed calls (blocking ones on the hub's worker): one message in, one
// out, as bytes, with no gRPC server of their own.
#ifndef NDXP_GATEWAY_LOCAL_LOCAL_SERVICES_H_
#define NDXP_GATEWAY_LOCAL_LOCAL_SERVICES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/call/call_kinds.h"
#include "gateway/call/header_list.h"

namespace ndxp::gateway {

// Who calls a hub-local method and how, as admission verified it: for the
// methods that check more than the grant (DataSubjectAccess reads a token
// header, records an operator's lookup). Owned by the call; a blocking
// method reads it on the worker, so it holds copies, not views.
struct LocalCall {
  std::string consumer;  // "agency/subsystem" (asserted, for a call via a peer hub)
  std::string via;       // the peer hub it came through, if any
  bool from_operator = false;  // the consumer is one of the hub's `operators`
  std::string request_id;
  Door door = Door::kGrpc;
  absl::Time started;
  int shard = 0;       // the caller's proxy thread: its shard of the hub's Recorder
  HeaderList headers;  // the request's headers as received (x-ndxp-* included)

  // The value of header `name` (lower-case), or nullopt.
  std::optional<absl::string_view> Header(absl::string_view name) const {
    for (const HeaderList::Field& field : headers) {
      if (field.first == name) return field.second;
    }
    return std::nullopt;
  }
};

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
  // Granted members may call it, and operators without a grant (the method
  // tells them apart by LocalCall::from_operator).
  virtual bool operators_need_no_grant() const { return false; }
  // Answer() may wait (a database query): it runs on a worker thread, never
  // on the proxy's.
  virtual bool blocking() const { return false; }
  // Whether the JSON door may call it too (unary, its answer transcoded);
  // the others answer on the gRPC door only.
  virtual bool answers_json_door() const { return false; }
  // Answers one request message of `call`. A non-OK status ends the call
  // with it.
  virtual grpc::Status Answer(const LocalCall& call, grpc::ByteBuffer* request,
                              grpc::ByteBuffer* response) const = 0;
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
