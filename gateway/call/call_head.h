// The request head of one call, as every door hands it to admission: the
// header block read once, the fields admission decides on picked out, the
// rest kept as received.
#ifndef NDXP_GATEWAY_CALL_CALL_HEAD_H_
#define NDXP_GATEWAY_CALL_CALL_HEAD_H_

#include <cstddef>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "common/protocol/metadata.h"
#include "gateway/call/call_kinds.h"

namespace ndxp::gateway {

// One request header as received (names and values are raw network bytes).
struct RequestHeader {
  absl::string_view name;
  absl::string_view value;
};

// Views into the door's header block, which must outlive every use of the
// head. A field given twice keeps its last value (`assertions` counts that
// header: admission refuses more than one; Admit checks the others).
struct CallHead {
  Door door = Door::kGrpc;
  absl::string_view path;          // ":path": "/package.Service/Method", or REST's with its query
  absl::string_view http_method;   // ":method"
  absl::string_view content_type;  // "content-type"
  absl::string_view timeout;       // "grpc-timeout" as sent
  absl::string_view encoding;      // "grpc-encoding"
  absl::string_view request_id;    // "x-ndxp-request-id"
  absl::string_view purpose;       // "x-ndxp-purpose", percent-encoded
  absl::string_view assertion;     // "x-ndxp-assertion"
  int assertions = 0;
  // RFC 9113 sizes (name, value and 32 per field) of the whole block as the
  // door received it, headers it did not keep included.
  size_t header_bytes = 0;
  // Every header kept, pseudo-headers included, in order.
  absl::InlinedVector<RequestHeader, 16> headers;

  void Add(absl::string_view name, absl::string_view value) {
    headers.push_back({name, value});
    if (name.empty()) return;
    if (name[0] == ':') {
      if (name == ":path") path = value;
      if (name == ":method") http_method = value;
    } else if (name == "content-type") {
      content_type = value;
    } else if (name == "grpc-timeout") {
      timeout = value;
    } else if (name == "grpc-encoding") {
      encoding = value;
    } else if (name == protocol::kAssertionHeader) {
      assertion = value;
      ++assertions;
    } else if (name == protocol::kRequestIdHeader) {
      request_id = value;
    } else if (name == protocol::kPurposeHeader) {
      purpose = value;
    }
  }
};

// Whether `path` has the shape of a gRPC method's, "/package.Service/Method"
// (identifiers; the service's dotted). The JSON door reads such a path as a
// Connect call and any other as REST; only such a path is quoted in a
// refusal: any other may carry a personal ID, and a refusal's message is
// kept in the audit row.
bool IsMethodPath(absl::string_view path);

// Whether `content_type` is gRPC's: "application/grpc", alone or with a
// "+codec" or parameters ("application/grpc-web" is another protocol).
bool IsGrpcContentType(absl::string_view content_type);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_CALL_CALL_HEAD_H_
