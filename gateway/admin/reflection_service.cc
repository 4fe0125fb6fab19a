#include "gateway/admin/reflection_service.h"

#include <google/protobuf/descriptor.pb.h>

#include "absl/container/flat_hash_set.h"

namespace ndxp::gateway {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;

// One reactor per reflection stream: answers each request in turn. Written
// once for both API versions, whose messages have the same shape.
template <typename Request, typename Response>
class ReflectionReactor final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit ReflectionReactor(const ReflectionIndex* index) : index_(index) {
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      this->Finish(grpc::Status::OK);
      return;
    }
    Answer();
    this->StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (ok) {
      this->StartRead(&request_);
    } else {
      this->Finish(grpc::Status::CANCELLED);
    }
  }
  void OnDone() override { delete this; }

 private:
  void Answer() {
    response_.Clear();
    response_.set_valid_host(request_.host());
    *response_.mutable_original_request() = request_;
    switch (request_.message_request_case()) {
      case Request::kListServices:
        for (const std::string& name : index_->service_names()) {
          response_.mutable_list_services_response()->add_service()->set_name(name);
        }
        return;
      case Request::kFileByFilename:
        return AnswerFile(index_->FileByName(request_.file_by_filename()));
      case Request::kFileContainingSymbol:
        return AnswerFile(index_->FileContainingSymbol(request_.file_containing_symbol()));
      case Request::kFileContainingExtension:
        return AnswerFile(index_->FileContainingExtension(
            request_.file_containing_extension().containing_type(),
            request_.file_containing_extension().extension_number()));
      case Request::kAllExtensionNumbersOfType: {
        std::vector<int> numbers;
        if (!index_->ExtensionNumbers(request_.all_extension_numbers_of_type(), &numbers)) {
          return AnswerError(grpc::StatusCode::NOT_FOUND, "type not found");
        }
        auto* answer = response_.mutable_all_extension_numbers_response();
        answer->set_base_type_name(request_.all_extension_numbers_of_type());
        for (int n : numbers) answer->add_extension_number(n);
        return;
      }
      default:
        return AnswerError(grpc::StatusCode::UNIMPLEMENTED, "unknown reflection request");
    }
  }

  // The file and everything it imports, each once (what grpcurl expects).
  void AnswerFile(const FileDescriptor* file) {
    if (file == nullptr) return AnswerError(grpc::StatusCode::NOT_FOUND, "not found");
    auto* answer = response_.mutable_file_descriptor_response();
    absl::flat_hash_set<const FileDescriptor*> seen;
    std::vector<const FileDescriptor*> pending = {file};
    while (!pending.empty()) {
      const FileDescriptor* next = pending.back();
      pending.pop_back();
      if (!seen.insert(next).second) continue;
      FileDescriptorProto proto;
      next->CopyTo(&proto);
      proto.SerializeToString(answer->add_file_descriptor_proto());
      for (int i = 0; i < next->dependency_count(); ++i) pending.push_back(next->dependency(i));
    }
  }

  void AnswerError(grpc::StatusCode code, const char* message) {
    response_.mutable_error_response()->set_error_code(code);
    response_.mutable_error_response()->set_error_message(message);
  }

  const ReflectionIndex* index_;
  Request request_;
  Response response_;
};

}  // namespace

ReflectionIndex::ReflectionIndex(const DescriptorPool* routed,
                                 std::vector<std::string> service_names)
    : routed_(routed), service_names_(std::move(service_names)) {}

const FileDescriptor* ReflectionIndex::FileByName(const std::string& name) const {
  const FileDescriptor* file = routed_->FindFileByName(name);
  return file != nullptr ? file : DescriptorPool::generated_pool()->FindFileByName(name);
}

const FileDescriptor* ReflectionIndex::FileContainingSymbol(const std::string& symbol) const {
  const FileDescriptor* file = routed_->FindFileContainingSymbol(symbol);
  return file != nullptr ? file
                         : DescriptorPool::generated_pool()->FindFileContainingSymbol(symbol);
}

const FileDescriptor* ReflectionIndex::FileContainingExtension(const std::string& type,
                                                               int number) const {
  for (const DescriptorPool* pool : {routed_, DescriptorPool::generated_pool()}) {
    const auto* message = pool->FindMessageTypeByName(type);
    if (message == nullptr) continue;
    const auto* extension = pool->FindExtensionByNumber(message, number);
    if (extension != nullptr) return extension->file();
  }
  return nullptr;
}

bool ReflectionIndex::ExtensionNumbers(const std::string& type,
                                       std::vector<int>* numbers) const {
  for (const DescriptorPool* pool : {routed_, DescriptorPool::generated_pool()}) {
    const auto* message = pool->FindMessageTypeByName(type);
    if (message == nullptr) continue;
    std::vector<const google::protobuf::FieldDescriptor*> extensions;
    pool->FindAllExtensions(message, &extensions);
    for (const auto* extension : extensions) numbers->push_back(extension->number());
    return true;
  }
  return false;
}

grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                        grpc::reflection::v1::ServerReflectionResponse>*
ReflectionV1Service::ServerReflectionInfo(grpc::CallbackServerContext*) {
  return new ReflectionReactor<grpc::reflection::v1::ServerReflectionRequest,
                               grpc::reflection::v1::ServerReflectionResponse>(index_);
}

grpc::ServerBidiReactor<grpc::reflection::v1alpha::ServerReflectionRequest,
                        grpc::reflection::v1alpha::ServerReflectionResponse>*
ReflectionV1AlphaService::ServerReflectionInfo(grpc::CallbackServerContext*) {
  return new ReflectionReactor<grpc::reflection::v1alpha::ServerReflectionRequest,
                               grpc::reflection::v1alpha::ServerReflectionResponse>(index_);
}

}  // namespace ndxp::gateway
