// Refusals are evidence, but an attacker can make the hub refuse calls at
// line rate (10,740 a second were measured: 300 GB of audit rows a day).
// RefusalSummaries keeps the first refusal of each key (consumer, peer hub,
// service, method, refusal kind) as a row of its own, as before, and folds
// the key's repeats within the next second into one summary row
// (RowKind::kRefusalSummary) whose `repeat` says how many calls it stands
// for. A summary keeps the first repeat's fields but not its request id.
// Keys are the refusal kind, never the message: messages carry request ids.
//
// Example (one per Recorder shard, under the shard's lock):
//   if (!summaries.Absorb(record, now)) queue.push_back(std::move(record));
//   ...
//   absl::Time next = summaries.TakeDue(now, &rows);  // ended windows' summaries
#ifndef NDXP_GATEWAY_RECORDING_REFUSAL_SUMMARIES_H_
#define NDXP_GATEWAY_RECORDING_REFUSAL_SUMMARIES_H_

#include <cstddef>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "gateway/call/transaction_record.h"

namespace ndxp::gateway {

// Not thread-safe.
class RefusalSummaries {
 public:
  // A key's repeats are summarised over this long after its first refusal.
  static constexpr absl::Duration kWindow = absl::Seconds(1);
  // Keys followed at once, at most; past it a refusal is its own row.
  static constexpr size_t kMaxKeys = 4096;

  // True: `refusal` (arriving at `now`) is a repeat within its key's window
  // and is now counted in the key's summary. False: it is to be written as
  // its own row; a window opens for its key if there was none (or the old
  // one ended: its summary is then due).
  bool Absorb(const TransactionRecord& refusal, absl::Time now);

  // Appends the summaries of the windows that ended by `now` (those with
  // repeats) to `out` and forgets the ended windows. Returns when the next
  // window ends (InfiniteFuture when none is open).
  absl::Time TakeDue(absl::Time now, std::vector<TransactionRecord>* out);

  // Appends every summary, ended or not, and forgets all windows (at Stop).
  void TakeAll(std::vector<TransactionRecord>* out);

  size_t open_windows() const { return windows_.size(); }

 private:
  struct Window {
    absl::Time ends;
    TransactionRecord summary;  // the first repeat's fields; repeat = repeats
    int64_t repeats = 0;
  };
  static std::string KeyOf(const TransactionRecord& refusal);
  static void Summarise(Window* window, std::vector<TransactionRecord>* out);

  absl::flat_hash_map<std::string, Window> windows_;
  // Windows in the order they opened (and so end): (end, key). A key's
  // window that was reopened leaves a stale entry, skipped when popped.
  std::deque<std::pair<absl::Time, std::string>> ending_;
  std::vector<TransactionRecord> ready_;  // summaries of windows reopened early
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_REFUSAL_SUMMARIES_H_
