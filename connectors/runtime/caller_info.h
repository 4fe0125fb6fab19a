// Who is behind a call that reached a connector, and why: read from the
// request metadata the hub sets (docs/design.md "Request metadata").
//
// Example:
//   grpc::Status GetCitizen(grpc::ServerContext* context, ...) override {
//     CallerInfo caller = CallerInfoFromContext(*context);
//     log.Record(caller.consumer, caller.purpose, ...);
#ifndef NDXP_CONNECTORS_RUNTIME_CALLER_INFO_H_
#define NDXP_CONNECTORS_RUNTIME_CALLER_INFO_H_

#include <string>

#include <grpcpp/server_context.h>

namespace ndxp::connectors {

// A plain value, copied out of the context (safe to keep after the call).
struct CallerInfo {
  // The original consumer's SPIFFE ID: x-ndxp-consumer as set by the hub
  // (which drops any value a client sends). When the header is absent (a
  // direct call), the direct peer's own verified SPIFFE ID; else empty.
  std::string consumer;
  // x-ndxp-purpose: the declared purpose / legal basis; empty if not sent.
  std::string purpose;
  // x-ndxp-request-id; empty if not sent.
  std::string request_id;
  // The direct peer's verified SPIFFE ID (normally the hub); empty on an
  // insecure port or without a valid identity.
  std::string peer;
};

// Reads the caller of `context`'s call. For a header sent several times, the
// first value counts.
CallerInfo CallerInfoFromContext(const grpc::ServerContextBase& context);

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_CALLER_INFO_H_
