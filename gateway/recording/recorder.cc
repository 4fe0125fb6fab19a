#include "gateway/recording/recorder.h"

#include <pthread.h>

#include <algorithm>

#include "absl/time/time.h"
#include "common/logging/logging.h"
#include "gateway/transparency/checkpoint.h"

namespace ndxp::gateway {

Recorder::Recorder(std::unique_ptr<TransactionStore> store, int shards,
                   std::unique_ptr<CheckpointSigner> signer, std::string replica,
                   absl::Duration checkpoint_interval, Clock* clock,
                   std::optional<TreeCheckpointSigner> tree_signer, Pacing pacing)
    : store_(std::move(store)),
      signer_(std::move(signer)),
      tree_signer_(std::move(tree_signer)),
      replica_(std::move(replica)),
      checkpoint_interval_(checkpoint_interval),
      clock_(clock),
      pacing_(pacing) {
  checkpointed_seq_ = store_->Head().seq;
  for (int i = 0; i < std::max(shards, 1); ++i) shards_.push_back(std::make_unique<Shard>());
  writer_ = std::thread([this] {
    // Named for top -H and perf: the thread every durable answer waits for.
    pthread_setname_np(pthread_self(), "ndxp-recorder");
    WriterLoop();
  });
}

Recorder::~Recorder() { Stop(); }

void Recorder::RecordRefusal(int shard, TransactionRecord record) {
  {
    Shard& s = *shards_[static_cast<size_t>(shard) % shards_.size()];
    absl::MutexLock lock(&s.mu);
    if (s.summaries.Absorb(record, clock_->Now())) {
      summarised_refusals_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  // A window opened: the writer must learn when it ends.
  summary_opened_.store(true);
  if (queued_refusals_.fetch_add(1) >= kMaxQueuedRefusals) {
    queued_refusals_.fetch_sub(1);
    dropped_refusals_.fetch_add(1);
    WakeWriter();
    return;
  }
  Enqueue(shard, {std::move(record), nullptr, /*refusal=*/true});
}

void Recorder::Record(int shard, TransactionRecord record, Committed committed) {
  Enqueue(shard, {std::move(record), std::move(committed)});
}

void Recorder::Record(int shard, TransactionRecord record, CommitListener* listener,
                      uint64_t tag) {
  Enqueue(shard, {std::move(record), nullptr, /*refusal=*/false, listener, tag});
}

void Recorder::Enqueue(int shard, Item item) {
  Shard& s = *shards_[static_cast<size_t>(shard) % shards_.size()];
  if (item.committed || item.listener != nullptr) waiters_.fetch_add(1);
  {
    absl::MutexLock lock(&s.mu);
    s.items.push_back(std::move(item));
  }
  // Only the record that makes the queue non-empty may find the writer
  // asleep: with records already waiting, it is awake, or it sees them
  // before it sleeps (it checks queued_ after setting writer_idle_ and
  // lowers queued_ only by what it took). Under load the writer is busy
  // committing and no caller touches wake_mu_.
  if (queued_.fetch_add(1) == 0) WakeWriter();
  MaybeEndHold();
}

Recorder::AwaitedRecord Recorder::AwaitRecord() {
  awaited_.fetch_add(1);
  return AwaitedRecord(this);
}

void Recorder::EndAwaited() {
  awaited_.fetch_sub(1);
  MaybeEndHold();
}

bool Recorder::CommitDue(bool rested) const {
  const uint64_t queued = queued_.load();
  if (queued >= kGroupTarget) return true;
  // Nobody waits for these records: they go once the writer has rested.
  if (waiters_.load() == 0) return rested;
  // Group commit: while more records are on their way than are queued,
  // waiting for them more than halves the commits.
  return static_cast<int64_t>(queued) >= awaited_.load();
}

void Recorder::MaybeEndHold() {
  // The writer sets holding_ before it checks CommitDue(): if it missed
  // this change, it waits now and this wakes it.
  if (holding_.load() && CommitDue(/*rested=*/false)) {
    absl::MutexLock lock(&wake_mu_);
    wake_.Signal();
  }
}

void Recorder::HoldBatch() {
  const absl::Time started = absl::Now();
  const absl::Time rested_at = last_commit_ended_ + pacing_.rest;
  if (CommitDue(started >= rested_at)) return;
  const absl::Time group_deadline = started + pacing_.group_delay;
  holds_.fetch_add(1);
  absl::MutexLock lock(&wake_mu_);
  holding_.store(true);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    if (CommitDue(now >= rested_at)) break;
    // Records someone waits for are held at most group_delay (whatever
    // the rest), the others until the writer has rested.
    const absl::Time deadline = waiters_.load() > 0 ? group_deadline : rested_at;
    if (now >= deadline) break;
    wake_.WaitWithDeadline(&wake_mu_, deadline);
  }
  holding_.store(false);
}

void Recorder::WakeWriter() {
  // The writer sets writer_idle_ before it checks queued_ and
  // summary_opened_, so if it missed the change it is idle now, and this
  // signal wakes it.
  if (writer_idle_.load()) {
    absl::MutexLock lock(&wake_mu_);
    wake_.Signal();
  }
}

bool Recorder::Collect(absl::Time now, bool stopping, std::vector<Item>* batch) {
  summary_opened_.store(false);
  summary_due_ = absl::InfiniteFuture();
  size_t queued = 0;
  std::vector<TransactionRecord> summaries;
  for (auto& shard : shards_) {
    std::vector<Item>& taken = shard->spare;
    {
      absl::MutexLock lock(&shard->mu);
      taken.swap(shard->items);
      if (stopping) {
        shard->summaries.TakeAll(&summaries);
      } else {
        summary_due_ = std::min(summary_due_, shard->summaries.TakeDue(now, &summaries));
      }
    }
    for (Item& item : taken) {
      if (item.refusal) queued_refusals_.fetch_sub(1);
      if (item.committed || item.listener != nullptr) waiters_.fetch_sub(1);
      batch->push_back(std::move(item));
    }
    queued += taken.size();
    taken.clear();
  }
  queued_.fetch_sub(queued);
  for (TransactionRecord& summary : summaries) {
    batch->push_back({std::move(summary), nullptr, /*refusal=*/true});
  }
  return !batch->empty();
}

void Recorder::WriterLoop() {
  std::vector<Item> batch;
  std::vector<AppendedRow> rows;
  while (true) {
    bool stopping;
    {
      absl::MutexLock lock(&wake_mu_);
      writer_idle_.store(true);
      // Idle, the writer still wakes when a checkpoint falls due (rows
      // committed just before the calls stopped are signed within the
      // interval, not whenever the next call comes) and when a refusal
      // summary's second ends.
      while (queued_.load() == 0 && !summary_opened_.load() && !stopping_ &&
             clock_->Now() < std::min(checkpoint_due_, summary_due_)) {
        clock_->WaitUntil(&wake_, &wake_mu_, std::min(checkpoint_due_, summary_due_));
      }
      writer_idle_.store(false);
      stopping = stopping_;
    }
    batch.clear();
    if (!stopping && queued_.load() > 0) HoldBatch();
    if (!Collect(clock_->Now(), stopping, &batch)) {
      if (stopping) {
        MaybeCheckpoint(/*force=*/true);
        return;
      }
      MaybeCheckpoint(/*force=*/false);
      continue;
    }
    std::vector<TransactionRecord> records;
    records.reserve(batch.size());
    for (Item& item : batch) records.push_back(std::move(item.record));
    absl::Time commit_started = clock_->Now();
    rows.clear();
    absl::Status status = store_->Append(records, &rows);
    {
      absl::MutexLock lock(&stats_mu_);
      stats_.batch_sizes.Observe(static_cast<double>(records.size()));
      stats_.commit_seconds.Observe(absl::ToDoubleSeconds(clock_->Now() - commit_started));
    }
    batches_.fetch_add(1);
    last_commit_ok_.store(status.ok(), std::memory_order_relaxed);
    if (status.ok()) {
      committed_records_.fetch_add(records.size());
    } else {
      failed_records_.fetch_add(records.size());
      logging::Log("recording").error("recording {} transactions failed: {}", records.size(),
                                      status.message());
    }
    ReportCommit(batch, status, rows);
    last_commit_ended_ = absl::Now();
    MaybeCheckpoint(/*force=*/false);
  }
}

void Recorder::ReportCommit(const std::vector<Item>& batch, const absl::Status& status,
                            const std::vector<AppendedRow>& rows) {
  listener_records_.clear();
  const bool have_rows = status.ok() && rows.size() == batch.size();
  for (size_t i = 0; i < batch.size(); ++i) {
    const Item& item = batch[i];
    if (item.committed) item.committed(status);
    if (item.listener == nullptr) continue;
    auto of_listener =
        std::find_if(listener_records_.begin(), listener_records_.end(),
                     [&](const ListenerRecords& r) { return r.listener == item.listener; });
    if (of_listener == listener_records_.end()) {
      listener_records_.push_back({item.listener, {}});
      of_listener = listener_records_.end() - 1;
    }
    of_listener->records.push_back({item.tag, have_rows ? rows[i] : AppendedRow()});
  }
  // One call per listener, however many of its records the batch held:
  // each is one wake-up of its thread, not one per answer.
  for (ListenerRecords& of_one : listener_records_) {
    of_one.listener->OnCommitted(status, std::move(of_one.records));
  }
  listener_records_.clear();
}

absl::Status Recorder::SignCheckpoints(const ChainHead& head, absl::Time now) {
  if (signer_ != nullptr) {
    absl::StatusOr<SignedCheckpoint> checkpoint =
        signer_->Sign(replica_, head, absl::ToUnixMicros(now));
    if (!checkpoint.ok()) return checkpoint.status();
    if (absl::Status s = store_->WriteCheckpoint(*checkpoint); !s.ok()) return s;
  }
  if (tree_signer_.has_value()) {
    absl::StatusOr<AuditTreeHead> tree = store_->TreeHead();
    if (!tree.ok()) return tree.status();
    absl::StatusOr<std::string> note = transparency::SignTreeCheckpoint(
        tree_signer_->origin, tree->size, tree->root, tree_signer_->log_key);
    if (!note.ok()) return note.status();
    if (absl::Status s = store_->WriteTreeCheckpoint(tree->size, *note); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void Recorder::MaybeCheckpoint(bool force) {
  if (signer_ == nullptr && !tree_signer_.has_value()) return;
  const ChainHead head = store_->Head();
  const absl::Time now = clock_->Now();
  if (head.seq == checkpointed_seq_) {
    checkpoint_due_ = absl::InfiniteFuture();
    return;
  }
  // The first unsigned row sets the deadline: at most one interval after
  // the last checkpoint (at once after the first commit).
  if (checkpoint_due_ == absl::InfiniteFuture()) {
    checkpoint_due_ = checkpointed_at_ + checkpoint_interval_;
  }
  if (!force && now < checkpoint_due_) return;
  absl::Status status = SignCheckpoints(head, now);
  if (!status.ok()) {
    // The chain itself is unharmed; the writer wakes to try again.
    failed_checkpoints_.fetch_add(1);
    checkpoint_due_ = now + std::min(kCheckpointRetry, checkpoint_interval_);
    logging::Log("recording").error("audit checkpoint of seq {} failed: {}", head.seq,
                                   status.message());
    return;
  }
  checkpoints_.fetch_add(1);
  checkpointed_seq_ = head.seq;
  checkpointed_at_ = now;
  checkpoint_due_ = absl::InfiniteFuture();
}

Recorder::Stats Recorder::stats() const {
  absl::MutexLock lock(&stats_mu_);
  Stats stats = stats_;
  stats.queued = queued_.load(std::memory_order_relaxed);
  return stats;
}

void Recorder::Stop() {
  {
    absl::MutexLock lock(&wake_mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.Signal();
  }
  if (writer_.joinable()) writer_.join();
}

}  // namespace ndxp::gateway
