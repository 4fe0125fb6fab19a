// Takes transaction records from the proxy's threads and writes them to a
// TransactionStore from one writer thread, a batch per commit (group commit):
// under load one fsync covers every transaction that arrived meanwhile.
//
// Example:
//   Recorder recorder(std::move(store), /*shards=*/2);
//   recorder.Record(0, std::move(record), [](const absl::Status& s) {
//     // runs on the writer thread once the record's batch is committed
//   });
//   recorder.Record(1, std::move(other), &loop_thread, /*tag=*/serial);
//   // loop_thread.OnCommitted(status, {serial, ...}): once per batch
//   ...
//   recorder.Stop();  // writes what is queued, then joins the writer
//
// Answers that wait for their record (durable mode) are released through a
// CommitListener, one per proxy thread: after each commit the writer calls
// each listener once with the tags of all its records in the batch, so a
// proxy thread is woken once per batch rather than once per answer (issue
// 21: the durable hub's extra CPU was context switches and wake-ups).
//
// Refused calls (RecordRefusal) share the queue but are bounded: an attacker
// who makes the hub refuse calls at line rate cannot grow it without limit.
// Each shard summarises repeated refusals (refusal_summaries.h): the first of
// a key is queued as its own row, its repeats within a second become one
// summary row, queued when the second ends (the writer wakes for it). Past
// kMaxQueuedRefusals waiting refusals a refusal is dropped and counted
// (dropped_refusals); summaries and forwarded calls are never dropped. A
// crash loses the summaries of the last second, as it loses refusals not
// yet committed: nobody waits for a refusal's row.
//
// With a CheckpointSigner the writer signs the store's chain head after the
// first commit, then within `checkpoint_interval` of every later commit,
// whether or not more calls arrive (an idle hub signs its last rows too), and
// at Stop (audit_checkpoint.h). With a TreeCheckpointSigner it signs, at the
// same moments, the C2SP checkpoint of the replica's Merkle tree with the
// hub's log key (what receipts, proofs and witnesses rest on). A checkpoint
// that fails is tried again after kCheckpointRetry.
//
// The writer paces its commits, for each commit costs about the same whatever
// its size (WAL pages, an fsync: issue 21's profile had the durable hub
// committing ten rows per fsync because the writer commits whatever it has
// as soon as it is free):
// - Group commit waits for awaited records (AwaitRecord): a proxy thread
//   announces a record it will queue (a unary call forwarded whose answer
//   waits for its record; not a stream, which may stay open for minutes).
//   While more announced records are still to come than are queued, the
//   writer holds the commit for them, at most Pacing::group_delay. A lone
//   call (nothing else announced) is committed at once, so the wait costs
//   latency only where other calls are on their way.
// - Records nobody waits for (FAST mode, refusals) are committed at most
//   once per Pacing::rest: they are what a crash may lose anyway, and a
//   rest of milliseconds turns a dozen rows per commit into a hundred.
// Both end at once when kGroupTarget records are queued or at Stop.
#ifndef NDXP_GATEWAY_RECORDING_RECORDER_H_
#define NDXP_GATEWAY_RECORDING_RECORDER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "gateway/call/transaction_record.h"
#include "gateway/metrics/histogram.h"
#include "gateway/recording/audit_checkpoint.h"
#include "gateway/recording/refusal_summaries.h"
#include "gateway/recording/transaction_store.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::gateway {

// One record of a listener's, as its commit wrote it: the tag it was handed
// to Recorder::Record with, and its row (seq and leaf hash: what a receipt
// names; zero when the commit failed).
struct CommittedRecord {
  uint64_t tag = 0;
  AppendedRow row;
};

// Learns the outcome of the commits of records handed to Recorder::Record
// with it, a batch at a time (typically: a proxy thread releasing the
// answers that waited for their records).
class CommitListener {
 public:
  virtual ~CommitListener() = default;
  // Runs on the writer thread, once per commit that held records of this
  // listener: `records` are theirs, in the order they were queued, and
  // `status` is the outcome of every one of them (one commit, one status).
  // Must not block: the next batch waits.
  virtual void OnCommitted(const absl::Status& status, std::vector<CommittedRecord> records) = 0;
};

// Signs C2SP checkpoints of one replica's tree (its origin) with the hub's
// log key (gateway/transparency/log_key.h).
struct TreeCheckpointSigner {
  std::string origin;
  transparency::Ed25519NoteKey log_key;
};

// How a Recorder's writer paces commits (real time, whatever the clock: a
// matter of throughput, not of behaviour).
struct CommitPacing {
  // The longest records someone waits for are held for awaited ones: well
  // under a loaded call's latency, a few fsyncs long.
  absl::Duration group_delay = absl::Milliseconds(1);
  // The least time between commits of records nobody waits for.
  absl::Duration rest = absl::Milliseconds(5);
};

// Thread-safe. No lock is shared by the callers: each shard (one per proxy
// thread) has its own, taken by that thread and, once per batch, the writer.
class Recorder {
 public:
  // A record to come, announced by AwaitRecord; the announcement ends when
  // this is reset or destroyed (after the record was queued, or when it
  // never will be). Movable; used by one thread at a time.
  class AwaitedRecord {
   public:
    AwaitedRecord() = default;
    AwaitedRecord(AwaitedRecord&& other) noexcept
        : recorder_(std::exchange(other.recorder_, nullptr)) {}
    AwaitedRecord& operator=(AwaitedRecord&& other) noexcept {
      if (this != &other) {
        Reset();
        recorder_ = std::exchange(other.recorder_, nullptr);
      }
      return *this;
    }
    ~AwaitedRecord() { Reset(); }
    void Reset() {
      if (recorder_ != nullptr) std::exchange(recorder_, nullptr)->EndAwaited();
    }

   private:
    friend class Recorder;
    explicit AwaitedRecord(Recorder* recorder) : recorder_(recorder) {}
    Recorder* recorder_ = nullptr;
  };

  // Runs on the writer thread with the outcome of the record's commit.
  using Committed = std::function<void(const absl::Status&)>;

  // Refusals waiting to be written, at most.
  static constexpr uint64_t kMaxQueuedRefusals = 4096;

  // A failed checkpoint is tried again this long after (or at the interval,
  // if shorter).
  static constexpr absl::Duration kCheckpointRetry = absl::Seconds(5);

  // (CommitPacing is declared outside the class: a nested struct's member
  // defaults cannot serve the constructor's default argument.)
  using Pacing = CommitPacing;
  // A batch this large is committed without waiting for more.
  static constexpr uint64_t kGroupTarget = 256;

  // `signer` may be null (no checkpoints); `replica` names the chain in them.
  // `clock` (not owned, outlives the recorder) times the checkpoints.
  Recorder(std::unique_ptr<TransactionStore> store, int shards,
           std::unique_ptr<CheckpointSigner> signer = nullptr, std::string replica = "",
           absl::Duration checkpoint_interval = absl::Minutes(1), Clock* clock = Clock::Real(),
           std::optional<TreeCheckpointSigner> tree_signer = std::nullopt,
           Pacing pacing = Pacing());
  ~Recorder();  // Stop()

  // Queues `record` on `shard` (0 <= shard < shards). `committed`, if set,
  // is called after the batch holding the record was committed or failed.
  void Record(int shard, TransactionRecord record, Committed committed = nullptr);
  // Queues `record` on `shard`; once its batch is committed or failed,
  // `listener` (not owned; it outlives the commit) gets `tag`, with the
  // record's row, among the records of its batch's OnCommitted call.
  void Record(int shard, TransactionRecord record, CommitListener* listener, uint64_t tag);

  // Announces a record that will be queued (see AwaitedRecord). The
  // recorder must outlive the result.
  AwaitedRecord AwaitRecord();

  // Queues a refused call's record, or drops it (counted) when
  // kMaxQueuedRefusals refusals are waiting already. Nobody waits for it.
  void RecordRefusal(int shard, TransactionRecord record);

  // Writes everything queued so far, then stops the writer. Record must not
  // be called after Stop.
  void Stop();

  uint64_t committed_records() const { return committed_records_.load(); }
  uint64_t failed_records() const { return failed_records_.load(); }
  uint64_t batches() const { return batches_.load(); }
  uint64_t dropped_refusals() const { return dropped_refusals_.load(); }
  // Refusals folded into summary rows (each is also counted in its row's
  // repeat).
  uint64_t summarised_refusals() const { return summarised_refusals_.load(); }
  uint64_t checkpoints() const { return checkpoints_.load(); }
  // Times the writer held a batch (for awaited records or its rest).
  uint64_t holds() const { return holds_.load(); }
  // The replica whose chain this recorder appends to (receipts name it).
  const std::string& replica() const { return replica_; }
  uint64_t failed_checkpoints() const { return failed_checkpoints_.load(); }
  // False after a batch failed to commit, true again after one succeeded.
  bool last_commit_ok() const { return last_commit_ok_.load(std::memory_order_relaxed); }

  // For /metrics: records waiting for the writer, and each commit's batch
  // size and duration (the store's Append, fsync included).
  struct Stats {
    uint64_t queued = 0;
    metrics::Histogram batch_sizes{metrics::kBatchSizeBuckets};
    metrics::Histogram commit_seconds{metrics::kLatencyBuckets};
  };
  Stats stats() const;

 private:
  struct Item {
    TransactionRecord record;
    Committed committed;
    bool refusal = false;
    CommitListener* listener = nullptr;  // if set, gets `tag` after the commit
    uint64_t tag = 0;
  };
  // What one listener learns of a commit.
  struct ListenerRecords {
    CommitListener* listener;
    std::vector<CommittedRecord> records;
  };
  struct Shard {
    absl::Mutex mu;
    std::vector<Item> items ABSL_GUARDED_BY(mu);
    // The writer's: swapped with `items` at each Collect, so both keep
    // their capacity (no vector regrown a record at a time under load).
    std::vector<Item> spare;
    RefusalSummaries summaries ABSL_GUARDED_BY(mu);
  };

  void Enqueue(int shard, Item item);
  // Wakes the writer if it may be asleep (after queued_ or
  // summary_opened_ changed).
  void WakeWriter();
  // AwaitedRecord's end.
  void EndAwaited();
  // Whether the records queued are to be committed now; `rested`: the
  // writer's rest since its last commit is over.
  bool CommitDue(bool rested) const;
  // Wakes the writer if it holds a batch that is now due.
  void MaybeEndHold();
  // On the writer, with records queued: waits while CommitDue() is false
  // (at most Pacing::group_delay for records someone waits for).
  void HoldBatch();
  void WriterLoop();
  // Takes what the shards queued and the summaries due by `now` (all of
  // them when `stopping`); sets summary_due_.
  bool Collect(absl::Time now, bool stopping, std::vector<Item>* batch);
  // On the writer: signs and keeps the head if it moved and `force` or the
  // checkpoint is due.
  void MaybeCheckpoint(bool force);
  // On the writer: the chain's checkpoint of `head` at `now`, then the tree's.
  absl::Status SignCheckpoints(const ChainHead& head, absl::Time now);
  // On the writer, after `batch`'s commit (whose rows, when it succeeded,
  // are `rows`): its callbacks, then one OnCommitted per listener with all
  // of that listener's records.
  void ReportCommit(const std::vector<Item>& batch, const absl::Status& status,
                    const std::vector<AppendedRow>& rows);

  const std::unique_ptr<TransactionStore> store_;  // used by the writer only
  const std::unique_ptr<CheckpointSigner> signer_;
  const std::optional<TreeCheckpointSigner> tree_signer_;
  const std::string replica_;
  const absl::Duration checkpoint_interval_;
  Clock* const clock_;
  const Pacing pacing_;
  absl::Time last_commit_ended_ = absl::InfinitePast();  // the writer's
  // The writer's: the head last checkpointed, when, and when the next
  // checkpoint is due (InfiniteFuture while the head is signed).
  int64_t checkpointed_seq_ = 0;
  absl::Time checkpointed_at_ = absl::InfinitePast();
  absl::Time checkpoint_due_ = absl::InfiniteFuture();
  // The writer's: when the next summary window of any shard ends.
  absl::Time summary_due_ = absl::InfiniteFuture();
  std::vector<std::unique_ptr<Shard>> shards_;
  // The writer's, during ReportCommit: a few listeners (one per proxy
  // thread), so a vector searched in order.
  std::vector<ListenerRecords> listener_records_;

  // Waking the writer: callers signal only when it may be asleep.
  std::atomic<uint64_t> queued_{0};
  std::atomic<bool> writer_idle_{false};
  // Records announced and not yet queued (AwaitRecord); queued records
  // someone waits for (a callback or listener); whether the writer holds a
  // batch (HoldBatch).
  std::atomic<int64_t> awaited_{0};
  std::atomic<int64_t> waiters_{0};
  std::atomic<bool> holding_{false};
  // Set when a shard opens a summary the writer may not know is due.
  std::atomic<bool> summary_opened_{false};
  absl::Mutex wake_mu_;
  absl::CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(wake_mu_) = false;

  std::atomic<uint64_t> committed_records_{0};
  std::atomic<uint64_t> failed_records_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> queued_refusals_{0};
  std::atomic<uint64_t> dropped_refusals_{0};
  std::atomic<uint64_t> summarised_refusals_{0};
  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<uint64_t> holds_{0};
  std::atomic<uint64_t> failed_checkpoints_{0};
  std::atomic<bool> last_commit_ok_{true};
  mutable absl::Mutex stats_mu_;  // the writer, once per batch, and readers
  Stats stats_ ABSL_GUARDED_BY(stats_mu_);
  std::thread writer_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_RECORDER_H_
