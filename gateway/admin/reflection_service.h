// gRPC server reflection (v1 and v1alpha) for the services the hub routes, so
// grpcurl and ghz work with no .proto files on the caller's side.
#ifndef NDXP_GATEWAY_ADMIN_REFLECTION_SERVICE_H_
#define NDXP_GATEWAY_ADMIN_REFLECTION_SERVICE_H_

#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace ndxp::gateway {

// Answers from `routed` (the descriptor set of the routed services), falling
// back to the descriptors compiled into the hub (health, reflection). The pool
// must outlive the service. Thread-safe: descriptor pools are.
class ReflectionIndex {
 public:
  ReflectionIndex(const google::protobuf::DescriptorPool* routed,
                  std::vector<std::string> service_names);

  const std::vector<std::string>& service_names() const { return service_names_; }
  const google::protobuf::FileDescriptor* FileByName(const std::string& name) const;
  const google::protobuf::FileDescriptor* FileContainingSymbol(const std::string& symbol) const;
  const google::protobuf::FileDescriptor* FileContainingExtension(const std::string& type,
                                                                  int number) const;
  // Extension numbers of `type`; false if the type is unknown.
  bool ExtensionNumbers(const std::string& type, std::vector<int>* numbers) const;

 private:
  const google::protobuf::DescriptorPool* routed_;
  std::vector<std::string> service_names_;
};

class ReflectionV1Service final
    : public grpc::reflection::v1::ServerReflection::CallbackService {
 public:
  explicit ReflectionV1Service(const ReflectionIndex* index) : index_(index) {}
  grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                          grpc::reflection::v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  const ReflectionIndex* index_;
};

class ReflectionV1AlphaService final
    : public grpc::reflection::v1alpha::ServerReflection::CallbackService {
 public:
  explicit ReflectionV1AlphaService(const ReflectionIndex* index) : index_(index) {}
  grpc::ServerBidiReactor<grpc::reflection::v1alpha::ServerReflectionRequest,
                          grpc::reflection::v1alpha::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  const ReflectionIndex* index_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMIN_REFLECTION_SERVICE_H_
