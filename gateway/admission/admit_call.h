// The hub's whole decision about one call, whatever door it came through:
// AdmitCall reads the call's head (parsed once by the door), the caller's
// verified identity and the configuration, and gives a plan to carry out or
// a refusal to answer. In order: the header block's size, a peer hub's
// assertion, Admit (identity, header rules, route or hub-local method,
// grants, purpose), the request's shape for its door (gRPC: POST,
// application/grpc, grpc-timeout; Connect: POST, its content type and
// headers, unary only for now), the deadline, a hub
// method's encoding, the hop limit of a peer route, the size of the block
// the connector would get; then, once nothing else can refuse, its side
// effects: the assertion's nonce (replays), the open-call cap, the quota.
//
// Deterministic: no clock, randomness or I/O it is not handed (`now`,
// AdmissionContext::new_request_id and new_nonce); its only side effects go
// through the ReplayGuard and QuotaTable it is handed. The transport acts on
// the plan and counts the refusal (each once, as answered).
#ifndef NDXP_GATEWAY_ADMISSION_ADMIT_CALL_H_
#define NDXP_GATEWAY_ADMISSION_ADMIT_CALL_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/identity/spiffe_id.h"
#include "gateway/admission/admission.h"
#include "gateway/call/call_head.h"
#include "gateway/call/call_kinds.h"
#include "gateway/call/header_list.h"
#include "gateway/json/connect_protocol.h"
#include "gateway/json/rest_mapping.h"
#include "gateway/local/local_services.h"
#include "gateway/peering/consumer_assertion.h"
#include "gateway/peering/peers.h"
#include "gateway/policy/quotas.h"
#include "gateway/routing/route_table.h"

namespace ndxp::gateway {

// Decoded header bytes a connector accepts (RFC 9113 sizes: name, value and
// 32 per field): gRPC servers' default metadata limit. The hub adds its own
// headers (consumer, request id, deadline, on peer routes the assertion), so
// a call is refused when what it would send the connector is larger, before
// a connector refuses it as a call on record.
inline constexpr size_t kConnectorMaxHeaderBytes = 8 * 1024;
// Decoded header bytes a request may bring (a door advertises it, as
// HTTP/2's SETTINGS_MAX_HEADER_LIST_SIZE): nothing larger could reach a
// connector.
inline constexpr size_t kMaxRequestHeaderBytes = kConnectorMaxHeaderBytes;

// What AdmitCall decides against: one configuration's tables (not owned),
// the hub's replay guard, the limits, and the sources of what a decision
// may not make up itself.
struct AdmissionContext {
  AdmissionTables tables;  // routes, grants, hub-local methods, new request ids
  const PeerTable* peers = nullptr;
  ReplayGuard* replays = nullptr;
  QuotaTable* quotas = nullptr;
  absl::Duration default_deadline;  // a call that sets none
  absl::Duration max_deadline;      // unless its route allows more
  absl::Duration assertion_lifetime;  // of the assertions this hub makes
  // RFC 9113 sizes: what a request may bring, and what a connector accepts
  // (the hub's own headers included).
  size_t max_request_header_bytes = kMaxRequestHeaderBytes;
  size_t connector_max_header_bytes = kConnectorMaxHeaderBytes;
  // The routed methods' descriptors (the JSON door's method shapes) and
  // google.api.http rules (the REST door); nullptr: none.
  const json::JsonTranscoder* json = nullptr;
  const json::RestMapping* rest = nullptr;
  // kAssertionNonceBytes random bytes for an assertion to a peer hub; empty
  // when none could be drawn (the call is refused INTERNAL).
  std::string (*new_nonce)() = nullptr;
};

// Who is calling, as the connection proved it.
struct Caller {
  const absl::StatusOr<ConsumerIdentity>* identity;  // the certificate's, or why none
  // What a peer hub's assertion is checked with: the certificate's key (the
  // signed form) and the connection's MAC key (the MAC'd form).
  evp_pkey_st* public_key = nullptr;
  AssertionMacKey* assertion_mac_key = nullptr;
};

// The decision. Filled in place by AdmitCall and never moved afterwards:
// `identity` may point into the plan itself (an asserted consumer).
struct CallPlan {
  CallPlan() = default;
  CallPlan(const CallPlan&) = delete;
  CallPlan& operator=(const CallPlan&) = delete;

  // OK: forward to `route`, or answer with `local`. Otherwise what to
  // answer: the status (its message names the caller, the method or the
  // header), its kind, and a retry hint (zero: none).
  absl::Status status;
  Refusal refusal = Refusal::kNone;
  absl::Duration retry_after = absl::ZeroDuration();
  // The JSON door's HTTP status for the refusal when it is not the one its
  // code maps to (0): 415 for a content type the door does not read.
  int http_status = 0;

  // Always set, refusals included (echoed in the response headers).
  std::string request_id;
  // Whose call this is: the connection's identity, or the consumer a peer
  // hub asserted. Set before any refusal (the refusal's record names it).
  const absl::StatusOr<ConsumerIdentity>* identity = nullptr;
  std::string via;  // the peer hub that asserted the consumer ("agency/subsystem")

  const MethodRoute* route = nullptr;
  const LocalMethod* local = nullptr;
  // The JSON door (CallHead::door kConnect): the codec of the caller's
  // messages, JSON or binary protobuf.
  json::connect::Codec codec = json::connect::Codec::kJson;
  // A Connect server-streaming call (application/connect+json, +proto): its
  // request and answers are enveloped messages.
  bool server_stream = false;
  // The REST door (CallHead::door kRest): the rule its method and path
  // matched (the query and body are read once the body is complete), and
  // that method's "/package.Service/Method".
  std::optional<json::RestMapping::Found> rest;
  std::string rest_method_path;
  // For the transaction: "agency/subsystem" and the purpose as UTF-8 text.
  std::string consumer;
  std::string purpose;
  absl::Duration notice_deferral = absl::ZeroDuration();  // AdmissionDecision's
  absl::Duration deadline;  // the call's, from now
  // The exact header block for the connector (pseudo-headers first;
  // ":authority" is the longest endpoint until the pool chooses one).
  HeaderList upstream_headers;
  // To a peer hub: the assertion to prove on the connection it goes out on.
  std::unique_ptr<ConsumerAssertion> assertion;
  // What the call holds of its consumer's quotas, until it ends.
  QuotaTicket quota;

  // Storage `identity` points into when a peer asserted the consumer.
  std::string asserted_spiffe_id;
  absl::StatusOr<ConsumerIdentity> asserted_identity;
};

void AdmitCall(const AdmissionContext& context, const CallHead& head, const Caller& caller,
               absl::Time now, CallPlan& plan);

// The :authority a plan's header block carries until a connection takes it:
// the longest of the service's endpoints, so that the size checked against
// the connectors' limit holds whichever replica takes the call.
const std::string& PlaceholderAuthority(const ServiceRoute& service);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMISSION_ADMIT_CALL_H_
