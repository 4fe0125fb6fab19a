// The JSON door's message conversion: protobuf's canonical JSON (what Connect
// and google.api.http REST clients send) to the binary a connector reads, and
// a connector's binary answer back to JSON, for the methods of the routed
// services' descriptor pool (NDXP_DESCRIPTOR_SET, loaded at run time, so
// there are no generated classes: types are resolved from the pool).
//
// JSON as protobuf's JSON mapping defines it: input accepts the lowerCamelCase
// JSON name and the proto field name; output uses the JSON names and leaves
// out fields at their default (proto3 presence). Unknown fields are refused.
//
// Errors never quote the input's values (a value may be a personal ID):
//   malformed JSON          INVALID_ARGUMENT "malformed JSON at byte N: <what>"
//   not UTF-8               INVALID_ARGUMENT "JSON is not UTF-8 at byte N"
//                           (N counts from 0)
//   unknown field           INVALID_ARGUMENT "<field>: Cannot find field."
//   value of the wrong kind INVALID_ARGUMENT "<field.path>: invalid value for type <type>"
//   unparsable answer       INTERNAL naming the response type (not a whole
//                           message, or a string field not UTF-8)
// An unknown key is quoted only when IsQuotableName (json_text.h) says so,
// "(not a field name)" otherwise: a JSON key may be anything.
#ifndef NDXP_GATEWAY_JSON_TRANSCODER_H_
#define NDXP_GATEWAY_JSON_TRANSCODER_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway::json {

// Thread-safe: every method is const, and the type cache inside is shared by
// the transport's loop threads (one lock, taken shared on a hit). Cost, by
// transcoder_bench on the shared 2-core builder: a 100-byte Echo message
// 3.3-5.7 us JSON to binary, 1.3-2.3 us back; a VerifyCitizenRequest (a
// nested Date, an enum) 8-14 us to binary. Most of it is protobuf 3.21's
// JSON converter itself; the cache saves about a tenth.
class JsonTranscoder {
 public:
  // REQUIRES: `pool` outlives the transcoder.
  explicit JsonTranscoder(const google::protobuf::DescriptorPool* pool);
  ~JsonTranscoder();
  JsonTranscoder(const JsonTranscoder&) = delete;
  JsonTranscoder& operator=(const JsonTranscoder&) = delete;

  // The method a gRPC path names ("/ndxp.residents.v1.ResidentRegistry/GetCitizen"),
  // or nullptr when the pool has no such service or method. The descriptor
  // belongs to the pool.
  const google::protobuf::MethodDescriptor* FindMethod(absl::string_view grpc_path) const;

  // The method's request message, JSON to binary.
  absl::StatusOr<std::string> RequestToBinary(const google::protobuf::MethodDescriptor& method,
                                              absl::string_view json) const;
  // The method's response message, binary to JSON.
  absl::StatusOr<std::string> ResponseToJson(const google::protobuf::MethodDescriptor& method,
                                             absl::string_view binary) const;

  // Any message type of the pool (REST bodies of one field, error details).
  // REQUIRES: `type` belongs to the pool.
  absl::StatusOr<std::string> JsonToBinary(const google::protobuf::Descriptor& type,
                                           absl::string_view json) const;
  absl::StatusOr<std::string> BinaryToJson(const google::protobuf::Descriptor& type,
                                           absl::string_view binary) const;

 private:
  class CachingTypeResolver;

  // Constant after construction (the resolver is thread-safe).
  const google::protobuf::DescriptorPool* const pool_;
  const std::unique_ptr<CachingTypeResolver> resolver_;
  // For checking a binary answer is whole (GetPrototype is thread-safe).
  const std::unique_ptr<google::protobuf::DynamicMessageFactory> message_factory_;
};

// protobuf's JSON error text with the input's values taken out; exposed for
// its unit test. `json` is the input the error is about (to turn protobuf's
// context excerpt into a byte offset).
std::string RedactJsonError(absl::string_view protobuf_message, absl::string_view json);

}  // namespace ndxp::gateway::json

#endif  // NDXP_GATEWAY_JSON_TRANSCODER_H_
