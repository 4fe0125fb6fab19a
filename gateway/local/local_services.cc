#include "gateway/local/local_services.h"

#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "common/protocol/hub_services.h"
#include "grpc/health/v1/health.pb.h"
#include "grpc/reflection/v1/reflection.pb.h"
#include "grpc/reflection/v1alpha/reflection.pb.h"

namespace ndxp::gateway {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using grpc::ByteBuffer;

template <typename Message>
bool Parse(ByteBuffer* bytes, Message* message) {
  return grpc::SerializationTraits<Message>::Deserialize(bytes, message).ok();
}

template <typename Message>
void Serialize(const Message& message, ByteBuffer* bytes) {
  bytes->Clear();  // a stream reuses its buffer; the serializer wants it empty
  bool own_buffer;
  grpc::SerializationTraits<Message>::Serialize(message, bytes, &own_buffer);
}

// grpc.health.v1.Health: the hub, and every service it routes, is SERVING
// while the hub runs (a connector's own health is its own endpoint's).
class HealthMethod final : public LocalMethod {
 public:
  HealthMethod(const absl::flat_hash_set<std::string>* known, Shape shape)
      : known_(known), shape_(shape) {}
  Shape shape() const override { return shape_; }

  grpc::Status Answer(const LocalCall&, ByteBuffer* request_bytes,
                      ByteBuffer* response_bytes) const override {
    grpc::health::v1::HealthCheckRequest request;
    if (!Parse(request_bytes, &request)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed HealthCheckRequest");
    }
    if (!request.service().empty() && !known_->contains(request.service())) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "unknown service " + request.service());
    }
    grpc::health::v1::HealthCheckResponse response;
    response.set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    Serialize(response, response_bytes);
    return grpc::Status::OK;
  }

 private:
  const absl::flat_hash_set<std::string>* known_;
  const Shape shape_;
};

// Server reflection over the routed services' descriptors, falling back to
// those compiled into the hub (health, reflection). Written once for both
// API versions, whose messages have the same shape.
template <typename Request, typename Response>
class ReflectionMethod final : public LocalMethod {
 public:
  ReflectionMethod(const DescriptorPool* routed, const std::vector<std::string>* listed)
      : routed_(routed), listed_(listed) {}
  Shape shape() const override { return Shape::kBidi; }

  grpc::Status Answer(const LocalCall&, ByteBuffer* request_bytes,
                      ByteBuffer* response_bytes) const override {
    Request request;
    if (!Parse(request_bytes, &request)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed reflection request");
    }
    Response response;
    response.set_valid_host(request.host());
    *response.mutable_original_request() = request;
    Fill(request, &response);
    Serialize(response, response_bytes);
    return grpc::Status::OK;
  }

 private:
  void Fill(const Request& request, Response* response) const {
    switch (request.message_request_case()) {
      case Request::kListServices:
        for (const std::string& name : *listed_) {
          response->mutable_list_services_response()->add_service()->set_name(name);
        }
        return;
      case Request::kFileByFilename:
        return AnswerFile(FindIn(&DescriptorPool::FindFileByName, request.file_by_filename()),
                          response);
      case Request::kFileContainingSymbol:
        return AnswerFile(FindIn(&DescriptorPool::FindFileContainingSymbol,
                                 request.file_containing_symbol()),
                          response);
      case Request::kFileContainingExtension:
        return AnswerFile(FileContainingExtension(
                              request.file_containing_extension().containing_type(),
                              request.file_containing_extension().extension_number()),
                          response);
      case Request::kAllExtensionNumbersOfType: {
        for (const DescriptorPool* pool : Pools()) {
          const auto* type = pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
          if (type == nullptr) continue;
          auto* answer = response->mutable_all_extension_numbers_response();
          answer->set_base_type_name(request.all_extension_numbers_of_type());
          std::vector<const google::protobuf::FieldDescriptor*> extensions;
          pool->FindAllExtensions(type, &extensions);
          for (const auto* extension : extensions) answer->add_extension_number(extension->number());
          return;
        }
        return AnswerError(grpc::StatusCode::NOT_FOUND, "type not found", response);
      }
      default:
        return AnswerError(grpc::StatusCode::UNIMPLEMENTED, "unknown reflection request",
                           response);
    }
  }

  std::vector<const DescriptorPool*> Pools() const {
    return {routed_, DescriptorPool::generated_pool()};
  }

  const FileDescriptor* FindIn(const FileDescriptor* (DescriptorPool::*find)(
                                   const std::string&) const,
                               const std::string& name) const {
    for (const DescriptorPool* pool : Pools()) {
      if (const FileDescriptor* file = (pool->*find)(name)) return file;
    }
    return nullptr;
  }

  const FileDescriptor* FileContainingExtension(const std::string& type, int number) const {
    for (const DescriptorPool* pool : Pools()) {
      const auto* message = pool->FindMessageTypeByName(type);
      if (message == nullptr) continue;
      if (const auto* extension = pool->FindExtensionByNumber(message, number)) {
        return extension->file();
      }
    }
    return nullptr;
  }

  // The file and everything it imports, each once (what grpcurl expects),
  // with their comments when the descriptor set carries them (grpcurl
  // describe prints them).
  static void AnswerFile(const FileDescriptor* file, Response* response) {
    if (file == nullptr) return AnswerError(grpc::StatusCode::NOT_FOUND, "not found", response);
    auto* answer = response->mutable_file_descriptor_response();
    absl::flat_hash_set<const FileDescriptor*> seen;
    std::vector<const FileDescriptor*> pending = {file};
    while (!pending.empty()) {
      const FileDescriptor* next = pending.back();
      pending.pop_back();
      if (!seen.insert(next).second) continue;
      FileDescriptorProto proto;
      next->CopyTo(&proto);
      next->CopySourceCodeInfoTo(&proto);
      proto.SerializeToString(answer->add_file_descriptor_proto());
      for (int i = 0; i < next->dependency_count(); ++i) pending.push_back(next->dependency(i));
    }
  }

  static void AnswerError(grpc::StatusCode code, const char* message, Response* response) {
    response->mutable_error_response()->set_error_code(code);
    response->mutable_error_response()->set_error_message(message);
  }

  const DescriptorPool* routed_;
  const std::vector<std::string>* listed_;
};

}  // namespace

struct LocalServices::State {
  absl::flat_hash_set<std::string> healthy;  // SERVING in health checks
  std::vector<std::string> listed;           // listed by reflection
};

LocalServices::LocalServices(const DescriptorPool* routed,
                             std::vector<std::string> routed_services) {
  using protocol::kHealthService, protocol::kReflectionV1Service,
      protocol::kReflectionV1AlphaService;
  state_ = std::make_unique<State>();
  State* state = state_.get();
  state->healthy.insert(routed_services.begin(), routed_services.end());
  state->healthy.insert(kHealthService);
  state->listed = std::move(routed_services);
  for (const char* own : {kHealthService, kReflectionV1Service, kReflectionV1AlphaService}) {
    state->listed.push_back(own);
  }

  using Shape = LocalMethod::Shape;
  methods_[std::string("/") + kHealthService + "/Check"] =
      std::make_unique<HealthMethod>(&state->healthy, Shape::kUnary);
  methods_[std::string("/") + kHealthService + "/Watch"] =
      std::make_unique<HealthMethod>(&state->healthy, Shape::kWatch);
  methods_[std::string("/") + kReflectionV1Service + "/ServerReflectionInfo"] =
      std::make_unique<ReflectionMethod<grpc::reflection::v1::ServerReflectionRequest,
                                        grpc::reflection::v1::ServerReflectionResponse>>(
          routed, &state->listed);
  methods_[std::string("/") + kReflectionV1AlphaService + "/ServerReflectionInfo"] =
      std::make_unique<ReflectionMethod<grpc::reflection::v1alpha::ServerReflectionRequest,
                                        grpc::reflection::v1alpha::ServerReflectionResponse>>(
          routed, &state->listed);
}

LocalServices::~LocalServices() = default;

void LocalServices::Add(const std::string& service, const std::string& method,
                        std::unique_ptr<LocalMethod> implementation) {
  if (std::find(state_->listed.begin(), state_->listed.end(), service) == state_->listed.end()) {
    state_->listed.push_back(service);
  }
  state_->healthy.insert(service);
  methods_["/" + service + "/" + method] = std::move(implementation);
}

}  // namespace ndxp::gateway
