// The enumerations a call is described by wherever it is counted, shown or
// recorded: why the hub refused it, which door it came through, what kind
// of audit row it is. One table each (name, description): the name is the
// metric label, the audit row's text and what documents say, so that no two
// files spell a kind differently.
//
// Low in the build: admission, the transport, metrics and recording all
// include it, and it includes nothing of theirs.
#ifndef NDXP_GATEWAY_CALL_CALL_KINDS_H_
#define NDXP_GATEWAY_CALL_CALL_KINDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace ndxp::gateway {

// Why the hub answered a call itself instead of forwarding it. Every
// refusal a caller is answered with has exactly one kind and is counted
// once, as answered (HubStats::refusals, `ndxp_refusals_total{reason}`).
enum class Refusal : uint8_t {
  kNone,              // forwarded, or answered by a hub-local method
  kUnauthenticated,   // no valid identity, or a peer's assertion that fails
  kBadHeader,         // a header breaks the rules (name, value, request id)
  kUnimplemented,     // no route, no hub-local method
  kPermissionDenied,  // not granted, operators only, or a peer route loop
  kMissingPurpose,    // personal data without a valid x-ndxp-purpose
  kOverQuota,         // over the consumer's quota
  kBadRequest,        // not a call the hub can carry (method, content type, grpc-timeout)
  kHeadersTooLarge,   // request headers over the hub's or the connectors' limit
  kOverConcurrency,   // over the cap on one consumer's open calls to one service
};

struct RefusalInfo {
  Refusal kind;
  absl::string_view name;         // metric label and audit refusal_kind
  absl::string_view description;  // for /metrics' help and the docs
};

// Indexed by the enumerator's value; kNone is first and never counted.
inline constexpr RefusalInfo kRefusals[] = {
    {Refusal::kNone, "", "not refused"},
    {Refusal::kUnauthenticated, "unauthenticated", "no valid identity or peer assertion"},
    {Refusal::kBadHeader, "bad_header", "a request header breaks the rules"},
    {Refusal::kUnimplemented, "unimplemented", "no route or hub-local method"},
    {Refusal::kPermissionDenied, "permission_denied", "not granted"},
    {Refusal::kMissingPurpose, "missing_purpose",
     "personal data without a valid x-ndxp-purpose"},
    {Refusal::kOverQuota, "over_quota", "over the consumer's quota"},
    {Refusal::kBadRequest, "bad_request",
     "not a call the hub carries (method, content type, grpc-timeout, encoding)"},
    {Refusal::kHeadersTooLarge, "headers_too_large",
     "request headers over the hub's or the connectors' limit"},
    {Refusal::kOverConcurrency, "over_concurrency",
     "over the cap on one consumer's open calls to one service"},
};
inline constexpr size_t kRefusalKinds = sizeof(kRefusals) / sizeof(kRefusals[0]);

constexpr absl::string_view RefusalName(Refusal kind) {
  return kRefusals[static_cast<size_t>(kind)].name;
}
// The kind named `name` ("" is kNone); nullopt for a name no table row has.
std::optional<Refusal> RefusalNamed(absl::string_view name);

// The protocol a call came in by (DESIGN "Doors").
enum class Door : uint8_t {
  kGrpc,     // gRPC over HTTP/2
  kConnect,  // the Connect protocol (JSON or binary) over HTTP/1.1 or HTTP/2
  kRest,     // a method's google.api.http mapping
};
inline constexpr absl::string_view kDoorNames[] = {"grpc", "connect", "rest"};
constexpr absl::string_view DoorName(Door door) {
  return kDoorNames[static_cast<size_t>(door)];
}
// The door named `name`; nullopt for a name kDoorNames does not hold.
std::optional<Door> DoorNamed(absl::string_view name);

// What an audit row stands for.
enum class RowKind : uint8_t {
  kCall,            // one call, forwarded or refused
  kRefusalSummary,  // repeats of one refusal within a second (`repeat` of them)
  kOperatorLookup,  // an operator looked up a data subject's accesses
};
inline constexpr absl::string_view kRowKindNames[] = {"call", "refusal_summary",
                                                      "operator_lookup"};
constexpr absl::string_view RowKindName(RowKind kind) {
  return kRowKindNames[static_cast<size_t>(kind)];
}

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_CALL_CALL_KINDS_H_
