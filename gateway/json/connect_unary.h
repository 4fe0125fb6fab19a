// A unary Connect call carried as a gRPC call: the request message as the
// connector reads it, and the connector's gRPC answer (headers, message
// frames, trailers) as the Connect answer the caller reads. Pure; the door
// (gateway/transport) holds the bytes and acts on these.
//
// Flow control of a unary answer: the whole answer is held until the
// connector's trailers, since a Connect unary answer puts its status in the
// HTTP status and its trailers in headers, which go out first. What is held
// is bounded by limits.max_message_bytes (the gRPC message scanner refuses a
// longer message by its length prefix, before its bytes are held).
#ifndef NDXP_GATEWAY_JSON_CONNECT_UNARY_H_
#define NDXP_GATEWAY_JSON_CONNECT_UNARY_H_

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/json/connect_protocol.h"
#include "gateway/json/transcoder.h"

namespace ndxp::gateway::json::connect {

// What the caller gets: an HTTP status, headers (content-type included),
// a body.
struct UnaryAnswer {
  int http_status = 200;
  std::vector<OwnedHeader> headers;
  std::string body;
};

// The request message a connector reads, from a unary request's body in
// `codec`: JSON transcoded (INVALID_ARGUMENT naming the position or field,
// never a value), binary passed as it is.
absl::StatusOr<std::string> UnaryRequestMessage(const JsonTranscoder& transcoder,
                                                const google::protobuf::MethodDescriptor& method,
                                                Codec codec, absl::string_view body);

// The answer to a call the connector answered: `response_headers` (its
// metadata passes as headers), `grpc_body` (the gRPC message frames it
// sent) and `trailers` (or a trailers-only answer's headers).
UnaryAnswer AnswerUnary(const JsonTranscoder& transcoder,
                        const google::protobuf::MethodDescriptor& method, Codec codec,
                        absl::Span<const Header> response_headers, absl::string_view grpc_body,
                        absl::Span<const Header> trailers);

// The answer to a call the hub ends itself with `status` (not OK): its
// refusal, a deadline, a connector it could not reach.
UnaryAnswer AnswerError(const absl::Status& status);

}  // namespace ndxp::gateway::json::connect

#endif  // NDXP_GATEWAY_JSON_CONNECT_UNARY_H_
