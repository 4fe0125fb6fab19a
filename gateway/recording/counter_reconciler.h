// Reconciles a store's counters with its audit rows: every transaction the
// hub records is one audit row and +1 on one counter, in the same database
// transaction, so for every day the audit log covers the counters must equal
// the calls of the audit rows (one each, but a refusal summary's repeat
// count) counted by (day, consumer, via, door, provider, service, method,
// status, forwarded or refused). A count that disagrees was edited (or rows
// were deleted). Days without any audit row are not checked: they hold
// history imported with `ndxpctl stats import`, which has no audit rows.
//
// Example:
//   CounterReconciler reconciler(zone);
//   for (each audit row) reconciler.AddAuditRow(row.time_micros, key);
//   for (each counter) reconciler.AddCounter(day, key, count);
//   NDXP_RETURN_IF_ERROR(reconciler.Check("hub.db"));
#ifndef NDXP_GATEWAY_RECORDING_COUNTER_RECONCILER_H_
#define NDXP_GATEWAY_RECORDING_COUNTER_RECONCILER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/recording/local_day.h"

namespace ndxp::gateway {

// What a counter counts: one day's calls of one consumer, through one peer
// hub or directly (via ""), in by one door (its DoorName), to one method
// that ended with one status, either forwarded (`counters`) or refused by
// the hub (`refused_counters`).
struct CounterKey {
  std::string consumer;
  std::string via;
  std::string door;
  std::string provider;
  std::string service;
  std::string method;
  int64_t status_code = 0;
  bool refused = false;
};

// Not thread-safe.
class CounterReconciler {
 public:
  explicit CounterReconciler(absl::TimeZone time_zone) : local_day_(time_zone) {}

  // `calls`: how many calls the row stands for (its repeat count).
  void AddAuditRow(int64_t time_micros, const CounterKey& key, int64_t calls = 1);
  void AddCounter(absl::string_view day, const CounterKey& key, int64_t count);

  // DATA_LOSS naming up to 10 disagreeing counts (day, consumer, via when
  // not direct, door when not grpc, method, status, the counter's value and
  // the audit rows'), and how many in all.
  absl::Status Check(absl::string_view database) const;
  // "counters reconciled: N counts over D days" and how many days were left
  // out as imported history.
  std::string Report() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string,
                         std::string, std::string, int64_t, bool>;  // day first
  struct Counts {
    int64_t audit_rows = 0;
    int64_t counter = 0;
  };
  LocalDay local_day_;  // each audit row's counters' day
  std::map<Key, Counts> counts_;
  std::set<std::string> audit_days_;
  std::set<std::string> counter_days_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_COUNTER_RECONCILER_H_
