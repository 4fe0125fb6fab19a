#include "gateway/json/connect_unary.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ndxp::gateway::json::connect {
namespace {

absl::string_view ContentTypeOf(Codec codec) {
  return codec == Codec::kJson ? "application/json" : "application/proto";
}

UnaryAnswer Error(const ConnectError& error, std::vector<OwnedHeader> metadata) {
  UnaryAnswer answer;
  answer.http_status = HttpStatusForCode(error.code);
  answer.headers.emplace_back("content-type", "application/json");
  for (auto& header : metadata) answer.headers.push_back(std::move(header));
  answer.body = ErrorJson(error);
  return answer;
}

// The one message of a unary gRPC answer's frames; nullopt unless there is
// exactly one, uncompressed (the hub asks for none: no grpc-accept-encoding).
std::optional<absl::string_view> OnlyMessage(absl::string_view frames) {
  if (frames.size() < 5 || frames[0] != 0) return std::nullopt;
  const auto* p = reinterpret_cast<const uint8_t*>(frames.data());
  const size_t length = (size_t{p[1]} << 24) | (size_t{p[2]} << 16) | (size_t{p[3]} << 8) | p[4];
  if (frames.size() != 5 + length) return std::nullopt;
  return frames.substr(5);
}

}  // namespace

absl::StatusOr<std::string> UnaryRequestMessage(const JsonTranscoder& transcoder,
                                                const google::protobuf::MethodDescriptor& method,
                                                Codec codec, absl::string_view body) {
  if (codec == Codec::kProto) return std::string(body);
  return transcoder.RequestToBinary(method, body);
}

UnaryAnswer AnswerUnary(const JsonTranscoder& transcoder,
                        const google::protobuf::MethodDescriptor& method, Codec codec,
                        absl::Span<const Header> response_headers, absl::string_view grpc_body,
                        absl::Span<const Header> trailers) {
  std::vector<OwnedHeader> metadata;
  for (const auto& [name, value] : response_headers) {
    if (IsPassableMetadata(name, value)) metadata.emplace_back(name, value);
  }
  for (auto& header : UnaryTrailerHeaders(trailers)) metadata.push_back(std::move(header));
  if (std::optional<ConnectError> error = ErrorFromGrpcTrailers(trailers)) {
    return Error(*error, std::move(metadata));
  }
  std::optional<absl::string_view> message = OnlyMessage(grpc_body);
  if (!message.has_value()) {
    return Error(ErrorFromStatus(absl::InternalError(
                     "the connector's answer is not one uncompressed message")),
                 std::move(metadata));
  }
  UnaryAnswer answer;
  if (codec == Codec::kJson) {
    absl::StatusOr<std::string> json = transcoder.ResponseToJson(method, *message);
    if (!json.ok()) return Error(ErrorFromStatus(json.status()), std::move(metadata));
    answer.body = *std::move(json);
  } else {
    answer.body = std::string(*message);
  }
  answer.headers.emplace_back("content-type", ContentTypeOf(codec));
  for (auto& header : metadata) answer.headers.push_back(std::move(header));
  return answer;
}

UnaryAnswer AnswerError(const absl::Status& status) { return Error(ErrorFromStatus(status), {}); }

}  // namespace ndxp::gateway::json::connect
