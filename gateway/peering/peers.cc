#include "gateway/peering/peers.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ndxp::gateway {
namespace {

constexpr absl::string_view kSpiffeScheme = "spiffe://";

bool IsCodeGroup(absl::string_view group) {
  if (group == "*") return true;
  if (group.empty()) return false;
  for (char c : group) {
    if (!absl::ascii_isdigit(c) && !absl::ascii_isupper(c)) return false;
  }
  return true;
}

// "spiffe://<domain>/..." -> "<domain>", or "" when not a SPIFFE URI.
absl::string_view TrustDomainOf(absl::string_view spiffe_id) {
  if (!absl::ConsumePrefix(&spiffe_id, kSpiffeScheme)) return "";
  return spiffe_id.substr(0, spiffe_id.find('/'));
}

}  // namespace

absl::Status CheckAssertionScope(absl::string_view scope) {
  absl::string_view domain = scope;
  if (absl::ConsumePrefix(&domain, kSpiffeScheme)) {
    if (domain.empty() || absl::StrContains(domain, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", scope, "\" is not spiffe://<trust-domain> (no path)"));
    }
    return absl::OkStatus();
  }
  for (absl::string_view group : absl::StrSplit(scope, '.')) {
    if (!IsCodeGroup(group)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", scope, "\" is neither spiffe://<trust-domain> nor an agency-code pattern "
          "(dot-separated groups of [0-9A-Z] or *, e.g. \"*.*.*.H11\")"));
    }
  }
  return absl::OkStatus();
}

bool PeerHub::MayAssert(const ConsumerIdentity& consumer, absl::string_view trust_domain) const {
  for (const std::string& domain : trust_domains) {
    if (domain == trust_domain) return true;
  }
  std::vector<absl::string_view> groups = absl::StrSplit(consumer.agency, '.');
  for (const std::vector<std::string>& pattern : code_patterns) {
    if (pattern.size() != groups.size()) continue;
    bool match = true;
    for (size_t i = 0; i < groups.size() && match; ++i) {
      match = pattern[i] == "*" || pattern[i] == groups[i];
    }
    if (match) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<PeerTable>> PeerTable::Build(
    const ndxp::config::v1::HubConfig& config) {
  auto table = std::make_unique<PeerTable>();
  for (const auto& entry : config.peers()) {
    auto peer = std::make_unique<PeerHub>();
    peer->spiffe_id = entry.spiffe_id();
    absl::StatusOr<ConsumerIdentity> identity =
        ParseSpiffeId(peer->spiffe_id, TrustDomainOf(peer->spiffe_id));
    if (!identity.ok()) return identity.status();
    peer->agency_subsystem = std::string(identity->agency_subsystem);
    for (const std::string& scope : entry.may_assert()) {
      if (absl::Status s = CheckAssertionScope(scope); !s.ok()) return s;
      absl::string_view domain = scope;
      if (absl::ConsumePrefix(&domain, kSpiffeScheme)) {
        peer->trust_domains.emplace_back(domain);
      } else {
        peer->code_patterns.push_back(absl::StrSplit(scope, '.'));
      }
    }
    table->by_id_[peer->spiffe_id] = peer.get();
    table->peers_.push_back(std::move(peer));
  }
  return table;
}

const PeerHub* PeerTable::Find(absl::string_view spiffe_id) const {
  auto it = by_id_.find(spiffe_id);
  return it == by_id_.end() ? nullptr : it->second;
}

ReplayGuard::ReplayGuard(size_t capacity)
    : capacity_per_shard_(capacity / kShards > 0 ? capacity / kShards : 1) {}

absl::Status ReplayGuard::FirstUse(absl::string_view nonce, absl::Time expires, absl::Time now) {
  // Nonces are random: their first byte spreads them over the shards.
  Shard& shard = shards_[nonce.empty() ? 0 : static_cast<uint8_t>(nonce[0]) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto& expiry = shard.expiry;
  // Expired nonces go once a second, or at once when the shard is full; never
  // before the earliest has expired, so a shard full of live nonces (a peer's
  // flood) is not walked again on every call.
  if ((now >= shard.next_sweep || expiry.size() >= capacity_per_shard_) &&
      now >= shard.earliest) {
    shard.earliest = absl::InfiniteFuture();
    absl::erase_if(expiry, [&](const auto& entry) {
      if (entry.second <= now) return true;
      shard.earliest = std::min(shard.earliest, entry.second);
      return false;
    });
    shard.next_sweep = now + absl::Seconds(1);
    ++shard.sweeps;
  }
  if (expiry.contains(nonce)) {
    return absl::UnauthenticatedError(
        absl::StrCat(kAssertionHeader, ": replayed (this assertion was accepted before)"));
  }
  if (expiry.size() >= capacity_per_shard_) {
    return absl::UnavailableError(absl::StrCat(
        kAssertionHeader, ": too many assertions accepted lately to check for replays; retry"));
  }
  expiry.emplace(nonce, expires);
  shard.earliest = std::min(shard.earliest, expires);
  return absl::OkStatus();
}

int64_t ReplayGuard::sweeps() {
  int64_t total = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    total += shard.sweeps;
  }
  return total;
}

absl::StatusOr<AssertedConsumer> VerifyAssertion(
    const PeerTable& peers, const absl::StatusOr<ConsumerIdentity>& connection,
    const AssertionProofKeys& connection_keys, absl::string_view header_value,
    const CallToCheck& call) {
  const PeerHub* peer = connection.ok() ? peers.Find(connection->spiffe_id) : nullptr;
  if (peer == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        kAssertionHeader, ": ",
        connection.ok() ? std::string(connection->agency_subsystem) : std::string("the caller"),
        " is not a peer hub of this hub: only a configured peer may assert a consumer"));
  }
  absl::StatusOr<ConsumerAssertion> assertion = OpenAssertion(header_value, connection_keys, call);
  if (!assertion.ok()) return assertion.status();
  AssertedConsumer asserted;
  asserted.spiffe_id = assertion->consumer();
  asserted.trust_domain = std::string(TrustDomainOf(asserted.spiffe_id));
  absl::StatusOr<ConsumerIdentity> consumer =
      ParseSpiffeId(asserted.spiffe_id, asserted.trust_domain);
  if (!consumer.ok()) {
    return absl::PermissionDeniedError(absl::StrCat(kAssertionHeader, ": the asserted consumer: ",
                                                    consumer.status().message()));
  }
  if (!peer->MayAssert(*consumer, asserted.trust_domain)) {
    return absl::PermissionDeniedError(
        absl::StrCat(kAssertionHeader, ": ", peer->agency_subsystem, " may not assert ",
                     asserted.spiffe_id, " (outside the scope configured for that peer)"));
  }
  asserted.peer = peer;
  asserted.hubs_before.assign(assertion->earlier_hubs().begin(), assertion->earlier_hubs().end());
  asserted.hubs_before.push_back(peer->spiffe_id);
  asserted.nonce = assertion->nonce();
  asserted.expires = absl::FromUnixMillis(assertion->expires_at_ms());
  return asserted;
}

absl::StatusOr<AssertedConsumer> AcceptAssertion(
    const PeerTable& peers, ReplayGuard& replays,
    const absl::StatusOr<ConsumerIdentity>& connection,
    const AssertionProofKeys& connection_keys, absl::string_view header_value,
    const CallToCheck& call) {
  absl::StatusOr<AssertedConsumer> asserted =
      VerifyAssertion(peers, connection, connection_keys, header_value, call);
  if (!asserted.ok()) return asserted;
  if (absl::Status s = replays.FirstUse(asserted->nonce, asserted->expires, call.now); !s.ok()) {
    return s;
  }
  return asserted;
}

}  // namespace ndxp::gateway
