#include "gateway/policy/quotas.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ndxp::gateway {
namespace {

// A retry hint for a call refused by a cap on open calls: when one ends is
// not known, so a short wait.
constexpr absl::Duration kOpenCallsRetryHint = absl::Milliseconds(100);

std::string ScopeOf(const ndxp::config::v1::Quota& config) {
  if (config.service().empty()) return "every routed service";
  if (config.method().empty()) return config.service();
  return absl::StrCat(config.service(), "/", config.method());
}

// Bounds on GCRA's intervals, so that a very slow rate with a large burst
// cannot overflow them (arrival times are ns since the epoch, ~1.8e18 now):
// an interval of at most 1e15 ns (one call per 11.6 days, the slowest rate
// the config accepts) and a tolerance of at most 1e17 ns (3 years).
constexpr double kMaxIntervalNs = 1e15;
constexpr double kMaxToleranceNs = 1e17;

uint32_t BurstOf(const ndxp::config::v1::Quota& config) {
  if (config.burst() > 0) return config.burst();
  return static_cast<uint32_t>(std::max(1.0, std::ceil(config.calls_per_second())));
}

bool Covers(const ndxp::config::v1::Quota& config, const MethodRoute& method) {
  return (config.service().empty() || config.service() == method.service->service) &&
         (config.method().empty() || config.method() == method.method);
}

}  // namespace

Quota::Quota(const ndxp::config::v1::Quota& config, std::string scope)
    : description_(absl::StrCat(config.consumer(), " on ", scope)),
      interval_ns_(config.calls_per_second() > 0
                       ? std::max<int64_t>(1, std::llround(std::min(
                                                  1e9 / config.calls_per_second(), kMaxIntervalNs)))
                       : 0),
      tolerance_ns_(std::llround(std::min(static_cast<double>(interval_ns_) *
                                              (static_cast<double>(BurstOf(config)) - 1),
                                          kMaxToleranceNs))),
      rate_(config.calls_per_second()),
      burst_(BurstOf(config)),
      max_concurrent_(config.max_concurrent()) {}

bool Quota::TryAcquire(absl::Time now, Refused* refused) {
  if (max_concurrent_ > 0 &&
      open_calls_.fetch_add(1, std::memory_order_relaxed) >= max_concurrent_) {
    open_calls_.fetch_sub(1, std::memory_order_relaxed);
    refused->reason = absl::StrCat("quota of ", description_, ": at most ", max_concurrent_,
                                   " calls open at once");
    refused->retry_after = kOpenCallsRetryHint;
    return false;
  }
  if (interval_ns_ == 0) return true;
  // GCRA: a call is due at the theoretical arrival time and may come up to
  // `tolerance` (burst - 1 intervals) early.
  const int64_t t = absl::ToUnixNanos(now);
  int64_t next = next_arrival_ns_.load(std::memory_order_relaxed);
  for (;;) {
    int64_t due = std::max(next, t);
    if (due - t > tolerance_ns_) {
      ReleaseSlot();
      refused->reason = absl::StrCat("quota of ", description_, ": ", rate_,
                                     " calls per second, burst ", burst_);
      refused->retry_after = absl::Nanoseconds(due - t - tolerance_ns_);
      return false;
    }
    if (next_arrival_ns_.compare_exchange_weak(next, due + interval_ns_,
                                               std::memory_order_relaxed)) {
      return true;
    }
  }
}

void Quota::ReleaseSlot() {
  if (max_concurrent_ > 0) open_calls_.fetch_sub(1, std::memory_order_relaxed);
}

void Quota::ReturnToken() {
  if (interval_ns_ > 0) next_arrival_ns_.fetch_sub(interval_ns_, std::memory_order_relaxed);
}

QuotaTicket& QuotaTicket::operator=(QuotaTicket&& other) noexcept {
  if (this != &other) {
    Release();
    held_ = std::move(other.held_);
    other.held_.clear();
    open_to_route_ = other.open_to_route_;
    other.open_to_route_ = nullptr;
  }
  return *this;
}

void QuotaTicket::Release() {
  for (Quota* quota : held_) quota->ReleaseSlot();
  held_.clear();
  if (open_to_route_ != nullptr) open_to_route_->fetch_sub(1, std::memory_order_relaxed);
  open_to_route_ = nullptr;
}

std::unique_ptr<QuotaTable> QuotaTable::Build(const ndxp::config::v1::HubConfig& config,
                                              const RouteTable& routes) {
  std::unique_ptr<QuotaTable> table(new QuotaTable());
  table->by_method_.resize(routes.methods().size());
  const uint32_t cap = config.limits().max_calls_per_consumer_route();
  table->max_calls_per_consumer_route_ = cap != 0 ? cap : kDefaultMaxCallsPerConsumerRoute;
  table->open_calls_ = std::make_unique<OpenCalls[]>(routes.services().size());
  for (const auto& quota_config : config.quotas()) {
    table->quotas_.push_back(std::make_unique<Quota>(quota_config, ScopeOf(quota_config)));
    Quota* quota = table->quotas_.back().get();
    for (const auto& method : routes.methods()) {
      if (Covers(quota_config, *method)) {
        table->by_method_[method->index][quota_config.consumer()].push_back(quota);
      }
    }
  }
  return table;
}

absl::Status QuotaTable::AcquireOpenCall(const ConsumerIdentity& consumer,
                                         const MethodRoute& method, QuotaTicket* ticket,
                                         absl::Duration* retry_after) const {
  if (max_calls_per_consumer_route_ == 0) return absl::OkStatus();
  const auto& covering = by_method_[method.index];
  for (absl::string_view name : {consumer.agency, consumer.agency_subsystem}) {
    auto found = covering.find(name);
    if (found == covering.end()) continue;
    for (const Quota* quota : found->second) {
      if (quota->caps_open_calls()) return absl::OkStatus();  // its quota says how many
    }
  }
  OpenCalls& open = open_calls_[method.service->index];
  std::atomic<uint32_t>* count = nullptr;
  {
    absl::ReaderMutexLock lock(&open.mu);
    auto found = open.by_consumer.find(consumer.agency_subsystem);
    if (found != open.by_consumer.end()) count = found->second.get();
  }
  if (count == nullptr) {
    absl::MutexLock lock(&open.mu);
    auto& slot = open.by_consumer[consumer.agency_subsystem];
    if (slot == nullptr) slot = std::make_unique<std::atomic<uint32_t>>(0);
    count = slot.get();
  }
  if (count->fetch_add(1, std::memory_order_relaxed) >= max_calls_per_consumer_route_) {
    count->fetch_sub(1, std::memory_order_relaxed);
    *retry_after = kOpenCallsRetryHint;
    return absl::ResourceExhaustedError(absl::StrCat(
        consumer.agency_subsystem, " has ", max_calls_per_consumer_route_, " calls open to ",
        method.service->service, ", the most one consumer may have open to one service "
        "(limits.max_calls_per_consumer_route); retry in ",
        absl::ToInt64Milliseconds(kOpenCallsRetryHint), " ms"));
  }
  ticket->open_to_route_ = count;
  return absl::OkStatus();
}

absl::Status QuotaTable::Acquire(const ConsumerIdentity& consumer, const MethodRoute& method,
                                 absl::Time now, QuotaTicket* ticket,
                                 absl::Duration* retry_after) const {
  if (quotas_.empty()) return absl::OkStatus();
  const auto& covering = by_method_[method.index];
  if (covering.empty()) return absl::OkStatus();
  for (absl::string_view name : {consumer.agency, consumer.agency_subsystem}) {
    auto found = covering.find(name);
    if (found == covering.end()) continue;
    for (Quota* quota : found->second) {
      Quota::Refused refused;
      if (quota->TryAcquire(now, &refused)) {
        ticket->held_.push_back(quota);
        continue;
      }
      // All or nothing: what the earlier quotas gave goes back.
      for (Quota* taken : ticket->held_) taken->ReturnToken();
      ticket->Release();
      *retry_after = refused.retry_after;
      return absl::ResourceExhaustedError(
          absl::StrCat(refused.reason, "; retry in ",
                       absl::ToInt64Milliseconds(absl::Ceil(refused.retry_after,
                                                            absl::Milliseconds(1))),
                       " ms"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ndxp::gateway
