// The Connect protocol's wire rules (connectrpc.com/docs/protocol), the parts
// that need no socket: what a request's head says, a gRPC outcome as a
// Connect error, trailers as Connect metadata, and the envelopes of a
// streaming body. The door (transport) calls these and acts on the result.
//
// Decisions, where the specification leaves a choice:
// - Connect-Protocol-Version: may be missing (curl users type none); a
//   value other than "1" is refused with invalid_argument. GET requests
//   (the Unary-Get-Request form) are not supported.
// - Encodings: identity only. A Content-Encoding (unary) or
//   Connect-Content-Encoding (streaming) other than identity is refused with
//   unimplemented naming the supported one, as the specification asks; an
//   envelope with the compressed flag is refused with invalid_argument. No
//   response is compressed, whatever Accept-Encoding says (identity is
//   always acceptable). gzip can come later; the hub's callers are on
//   government networks where the connector payloads are small.
// - Content types: application/json (charset utf-8 allowed, no other
//   parameter), application/proto, application/connect+json,
//   application/connect+proto, matched case-insensitively. Anything else is
//   answered 415 Unsupported Media Type.
// - Connect-Timeout-Ms: 1 to 10 ASCII digits and positive, as the grammar
//   says; "0", a sign, spaces or 11 digits are refused with invalid_argument.
#ifndef NDXP_GATEWAY_JSON_CONNECT_PROTOCOL_H_
#define NDXP_GATEWAY_JSON_CONNECT_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace ndxp::gateway::json::connect {

// A header field as the transport holds it (name lower-case, as HTTP/2 has it).
using Header = std::pair<absl::string_view, absl::string_view>;
// A header field the door adds to its answer.
using OwnedHeader = std::pair<std::string, std::string>;

// --- Codes: one table, gRPC code -> Connect name -> HTTP status ---

// The Connect name of a gRPC code ("invalid_argument"); "unknown" for a value
// outside 1..16 (OK has no Connect name: success is HTTP 200).
absl::string_view ConnectCodeName(absl::StatusCode code);
// The HTTP status of a unary error response with that code (Connect's table:
// invalid_argument 400, unimplemented 501, ...); 500 outside 1..16.
int HttpStatusForCode(absl::StatusCode code);
// The gRPC code a Connect name stands for, or nullopt.
std::optional<absl::StatusCode> CodeFromConnectName(absl::string_view name);

// --- Errors ---

// One entry of an Error's "details": a google.protobuf.Any of google.rpc.Status.
struct ErrorDetail {
  std::string type;          // the message's full name, no "type.googleapis.com/"
  std::string value_base64;  // the Any's value, standard base64 without padding
};

// A failed call as Connect describes it.
struct ConnectError {
  absl::StatusCode code = absl::StatusCode::kUnknown;  // never OK
  std::string message;                                 // text, percent-decoded
  std::vector<ErrorDetail> details;
};

// The outcome a connector's trailers (or a trailers-only answer's headers)
// carry: nullopt for grpc-status 0. A missing or unparsable grpc-status is
// unknown, as gRPC reads it. grpc-message is percent-decoded;
// grpc-status-details-bin (base64 of google.rpc.Status) gives the details, and
// is ignored when it does not decode (the code and message still stand).
std::optional<ConnectError> ErrorFromGrpcTrailers(absl::Span<const Header> trailers);

// An error the hub makes itself (admission's refusal, a bad request head).
// REQUIRES: !status.ok()
ConnectError ErrorFromStatus(const absl::Status& status);

// The Error as JSON: {"code":"...","message":"...","details":[{"type":..,"value":..}]}
// with "message" and "details" left out when empty.
std::string ErrorJson(const ConnectError& error);

// --- Metadata ---

// Whether a gRPC header or trailer field passes to a Connect client as
// metadata: a Connect Header-Name (0-9 a-z _ - .) that is not the protocol's
// own (grpc-*, connect-*, trailer-*, pseudo-headers) or an HTTP framing field
// (content-type, content-length, te, ...), with a printable ASCII value.
bool IsPassableMetadata(absl::string_view name, absl::string_view value);

// A unary answer's trailer fields as Connect sends them: "trailer-"-prefixed
// headers, the passable fields only (grpc-status, grpc-message and
// grpc-status-details-bin make the Error, not metadata).
std::vector<OwnedHeader> UnaryTrailerHeaders(absl::Span<const Header> trailers);

// --- Request head ---

enum class Codec { kJson, kProto };

struct ContentType {
  Codec codec;
  bool streaming;  // application/connect+*
};

// nullopt: not a content type the door speaks; answer 415 Unsupported Media
// Type (no Error body: a client that sent it may not read Connect).
std::optional<ContentType> ParseContentType(absl::string_view content_type);

struct RequestOptions {
  std::optional<absl::Duration> timeout;  // nullopt: none given (infinite)
};

// The request's Connect headers other than content-type, for a request
// whose content type parsed as `content_type`. INVALID_ARGUMENT for a bad
// Connect-Protocol-Version or Connect-Timeout-Ms, UNIMPLEMENTED for an
// encoding other than identity. Messages name the header, never its value.
absl::StatusOr<RequestOptions> ParseRequestHeaders(absl::Span<const Header> headers,
                                                   const ContentType& content_type);

// --- Envelopes (streaming bodies) ---

inline constexpr uint8_t kFlagCompressed = 0x01;
inline constexpr uint8_t kFlagEndStream = 0x02;
inline constexpr size_t kEnvelopeHeaderBytes = 5;

// One enveloped message: flags, 4-byte big-endian length, the message.
std::string EncodeEnvelope(uint8_t flags, absl::string_view message);

// The last envelope of a streaming answer (flags 0x02): {} after a success,
// {"error":{...}} after a failure, with "metadata":{"name":["value",...]}
// holding the passable trailer fields when there are any.
std::string EncodeEndStream(const ConnectError* error, absl::Span<const Header> trailers);

// The one message of a server-streaming request's body: exactly one envelope
// with flags 0, nothing after it. INVALID_ARGUMENT for a body cut short, a
// flag set, or more than one envelope; RESOURCE_EXHAUSTED when the message
// is longer than max_message_bytes (by the length the envelope announces, so
// it is also the answer for a body cut short after such a header). The
// result views `body`.
absl::StatusOr<absl::string_view> DecodeSingleEnvelope(absl::string_view body,
                                                       size_t max_message_bytes);

}  // namespace ndxp::gateway::json::connect

#endif  // NDXP_GATEWAY_JSON_CONNECT_PROTOCOL_H_
