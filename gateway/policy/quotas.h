// Each consumer's share of the hub: token buckets (calls per second, burst)
// and caps on open calls, per consumer (agency or agency/subsystem) over all
// routed services, one service or one method. One agency saturating its own
// quota takes nothing from another's.
#ifndef NDXP_GATEWAY_POLICY_QUOTAS_H_
#define NDXP_GATEWAY_POLICY_QUOTAS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/identity/spiffe_id.h"
#include "gateway/routing/route_table.h"
#include "ndxp/config/v1/hub.pb.h"

namespace ndxp::gateway {

// Calls one consumer may have open to one routed service, per hub process,
// unless limits.max_calls_per_consumer_route or a quota says otherwise: above
// what bench/run (50) and the ghz profiles (at most 100) open at once.
inline constexpr uint32_t kDefaultMaxCallsPerConsumerRoute = 256;

// One configured quota and its live state, shared by every transport thread:
// lock-free (a GCRA token bucket in one atomic, an atomic count of open calls).
class Quota {
 public:
  Quota(const ndxp::config::v1::Quota& config, std::string scope);

  // Takes a slot and a token at `now`; on refusal, what to tell the caller
  // (the quota named) and how long to wait before retrying.
  struct Refused {
    std::string reason;
    absl::Duration retry_after;
  };
  bool TryAcquire(absl::Time now, Refused* refused);
  // Gives back what TryAcquire took: the slot, and the token when the call
  // was refused by another quota before it started.
  void ReleaseSlot();
  void ReturnToken();

  const std::string& description() const { return description_; }
  bool caps_open_calls() const { return max_concurrent_ > 0; }

 private:
  const std::string description_;  // "000.00.00.G12 on ndxp.bench.v1.Echo"
  const int64_t interval_ns_;      // 1/rate; 0: no rate limit
  const int64_t tolerance_ns_;     // (burst - 1) intervals, at most 3 years
  const double rate_;
  const uint32_t burst_;
  const uint32_t max_concurrent_;  // 0: no cap
  // GCRA's theoretical arrival time of the next call, in ns since the epoch.
  std::atomic<int64_t> next_arrival_ns_{0};
  std::atomic<uint32_t> open_calls_{0};
};

// What a call holds of its quotas while it is open: released on destruction.
class QuotaTicket {
 public:
  QuotaTicket() = default;
  QuotaTicket(QuotaTicket&& other) noexcept
      : held_(std::move(other.held_)), open_to_route_(other.open_to_route_) {
    other.held_.clear();
    other.open_to_route_ = nullptr;
  }
  QuotaTicket& operator=(QuotaTicket&& other) noexcept;
  ~QuotaTicket() { Release(); }

 private:
  friend class QuotaTable;
  void Release();
  absl::InlinedVector<Quota*, 2> held_;
  std::atomic<uint32_t>* open_to_route_ = nullptr;  // a slot under the default cap
};

// The quotas of one configuration, compiled per routed method: a call looks
// up its consumer's two names (agency, agency/subsystem) in its method's map.
// Immutable after Build apart from the quotas' own atomics; the tickets a
// call holds must not outlive it.
class QuotaTable {
 public:
  static std::unique_ptr<QuotaTable> Build(const ndxp::config::v1::HubConfig& config,
                                           const RouteTable& routes);

  bool empty() const { return quotas_.empty(); }

  // Takes what every quota covering (consumer, method) allows at `now`, or
  // nothing: RESOURCE_EXHAUSTED naming the quota, with the retry hint in
  // *retry_after.
  absl::Status Acquire(const ConsumerIdentity& consumer, const MethodRoute& method,
                       absl::Time now, QuotaTicket* ticket, absl::Duration* retry_after) const;

  // Takes a slot under the cap on one consumer's (agency/subsystem) open
  // calls to one routed service (limits.max_calls_per_consumer_route), per
  // hub process, held by `ticket` until the call ends; RESOURCE_EXHAUSTED
  // naming the consumer, the service and the cap when they are all taken.
  // Consumers a quota with max_concurrent covers for the method are not
  // under it (their quota caps them). Call before Acquire: a call refused
  // here takes nothing from a quota, and one Acquire refuses gives the slot
  // back.
  absl::Status AcquireOpenCall(const ConsumerIdentity& consumer, const MethodRoute& method,
                               QuotaTicket* ticket, absl::Duration* retry_after) const;
  uint32_t max_calls_per_consumer_route() const { return max_calls_per_consumer_route_; }

 private:
  QuotaTable() = default;

  // Open calls by consumer, for one routed service: made on a consumer's
  // first call, kept while the table lives (consumers are the federation's
  // certified, granted subsystems). Looked up under a reader lock.
  struct OpenCalls {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, std::unique_ptr<std::atomic<uint32_t>>> by_consumer
        ABSL_GUARDED_BY(mu);
  };
  uint32_t max_calls_per_consumer_route_ = 0;  // 0: no cap
  std::unique_ptr<OpenCalls[]> open_calls_;  // by ServiceRoute::index

  std::vector<std::unique_ptr<Quota>> quotas_;
  // Indexed by MethodRoute::index: consumer name -> the quotas covering it.
  std::vector<absl::flat_hash_map<std::string, absl::InlinedVector<Quota*, 2>>> by_method_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_POLICY_QUOTAS_H_
