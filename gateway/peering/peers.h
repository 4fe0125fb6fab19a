// The hubs allowed to forward their members' calls here (HubConfig.peers),
// whose consumers each may assert, and the receiving hub's whole check of an
// x-ndxp-assertion header (docs/design.md "Peer hubs"): the sender must be a
// configured peer, the assertion sound (consumer_assertion.h), its consumer
// within the peer's scope, and never seen before.
//
// Example (the transport, for a call that brings the header):
//   absl::StatusOr<AssertedConsumer> asserted = AcceptAssertion(
//       *peers, replays, connection_identity, {peer_public_key, &mac_key}, value, call);
#ifndef NDXP_GATEWAY_PEERING_PEERS_H_
#define NDXP_GATEWAY_PEERING_PEERS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/identity/spiffe_id.h"
#include "gateway/peering/consumer_assertion.h"
#include "ndxp/config/v1/hub.pb.h"

namespace ndxp::gateway {

// OK when `scope` is a valid Peer.may_assert entry: "spiffe://<domain>" or an
// agency-code pattern (groups of [0-9A-Z] or "*"); INVALID_ARGUMENT saying
// what is wrong otherwise. For config validation.
absl::Status CheckAssertionScope(absl::string_view scope);

// One configured peer hub.
struct PeerHub {
  std::string spiffe_id;
  std::string agency_subsystem;  // what a transaction's `via` names
  std::vector<std::string> trust_domains;             // "spiffe://" entries, without it
  std::vector<std::vector<std::string>> code_patterns;  // agency-code entries, by group
  // True when `consumer` (a SPIFFE ID of `trust_domain`) is one it may assert.
  bool MayAssert(const ConsumerIdentity& consumer, absl::string_view trust_domain) const;
};

// Immutable after Build; safe for concurrent lookups.
class PeerTable {
 public:
  // From a validated configuration (LoadHubConfig checks every entry).
  static absl::StatusOr<std::unique_ptr<PeerTable>> Build(
      const ndxp::config::v1::HubConfig& config);
  // The peer whose certificate presents `spiffe_id`, or nullptr.
  const PeerHub* Find(absl::string_view spiffe_id) const;
  bool empty() const { return by_id_.empty(); }

 private:
  std::vector<std::unique_ptr<PeerHub>> peers_;
  absl::flat_hash_map<absl::string_view, const PeerHub*> by_id_;
};

// The nonces of the assertions accepted lately, each kept until its
// assertion expires: a second use is a replay. Shared by every transport
// thread and kept across reloads. Bounded: when full of unexpired nonces, a
// new assertion is refused (UNAVAILABLE) rather than an old nonce forgotten.
class ReplayGuard {
 public:
  explicit ReplayGuard(size_t capacity = kDefaultCapacity);
  // OK and remembered when `nonce` is new; UNAUTHENTICATED when it was seen,
  // UNAVAILABLE when the guard is full.
  absl::Status FirstUse(absl::string_view nonce, absl::Time expires, absl::Time now);

  // 60 s of assertions at 10,000 calls per second (about 60 bytes each).
  static constexpr size_t kDefaultCapacity = 600'000;

  // How many times a shard was swept of expired nonces (for tests).
  int64_t sweeps();

 private:
  static constexpr int kShards = 16;
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, absl::Time> expiry ABSL_GUARDED_BY(mu);
    absl::Time next_sweep ABSL_GUARDED_BY(mu) = absl::InfinitePast();
    // The earliest expiry in `expiry`: before it a sweep would find nothing.
    absl::Time earliest ABSL_GUARDED_BY(mu) = absl::InfiniteFuture();
    int64_t sweeps ABSL_GUARDED_BY(mu) = 0;
  };
  const size_t capacity_per_shard_;
  Shard shards_[kShards];
};

// A call's original consumer as a peer hub asserted it.
struct AssertedConsumer {
  std::string spiffe_id;
  std::string trust_domain;  // the consumer's, for parsing spiffe_id
  const PeerHub* peer;
  // The hubs before this one, first first (the sender last): what this hub
  // passes on in `earlier_hubs` when it forwards the call to another peer.
  std::vector<std::string> hubs_before;
  // The assertion's nonce and expiry, for the replay check (ReplayGuard).
  std::string nonce;
  absl::Time expires;
};

// The receiving hub's check of a call that brings an x-ndxp-assertion
// header, in this order: the connection's identity must be a peer
// (PERMISSION_DENIED), the assertion sound for this call (OpenAssertion:
// UNAUTHENTICATED, hop limit PERMISSION_DENIED), its consumer a valid SPIFFE
// ID within the peer's scope (PERMISSION_DENIED), its nonce new
// (UNAUTHENTICATED; UNAVAILABLE when the guard is full). Each message names
// the check that failed.
absl::StatusOr<AssertedConsumer> AcceptAssertion(
    const PeerTable& peers, ReplayGuard& replays,
    const absl::StatusOr<ConsumerIdentity>& connection,
    const AssertionProofKeys& connection_keys, absl::string_view header_value,
    const CallToCheck& call);

// AcceptAssertion without the replay check, which the caller makes with
// `replays.FirstUse(asserted.nonce, asserted.expires, now)` once nothing
// else can refuse the call (admission takes its side effects last).
absl::StatusOr<AssertedConsumer> VerifyAssertion(
    const PeerTable& peers, const absl::StatusOr<ConsumerIdentity>& connection,
    const AssertionProofKeys& connection_keys, absl::string_view header_value,
    const CallToCheck& call);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_PEERING_PEERS_H_
