#include "gateway/recording/recorder.h"

#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace ndxp::gateway {
namespace {

// An in-memory store that remembers each batch; it can be told to fail.
class FakeStore : public TransactionStore {
 public:
  absl::Status Append(absl::Span<const TransactionRecord> batch) override {
    absl::MutexLock lock(&mu_);
    if (fail_) return absl::UnavailableError("disk full");
    batches_.emplace_back(batch.begin(), batch.end());
    seq_ += static_cast<int64_t>(batch.size());
    return absl::OkStatus();
  }
  // The writer's alone, as the Recorder uses it.
  ChainHead Head() const override { return {seq_, std::string(kAuditHashSize, 'h')}; }
  absl::Status WriteCheckpoint(const SignedCheckpoint&) override { return absl::OkStatus(); }
  void set_fail(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_ = fail;
  }
  size_t records() {
    absl::MutexLock lock(&mu_);
    size_t n = 0;
    for (const auto& b : batches_) n += b.size();
    return n;
  }

 private:
  absl::Mutex mu_;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  int64_t seq_ = 0;
  std::vector<std::vector<TransactionRecord>> batches_ ABSL_GUARDED_BY(mu_);
};

TransactionRecord Named(const std::string& request_id) {
  TransactionRecord record;
  record.request_id = request_id;
  return record;
}

TEST(RecorderTest, CommittedCallbackRunsAfterTheRecordIsInTheStore) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 2);
  absl::Notification committed;
  size_t seen_in_store = 0;
  absl::Status outcome;
  recorder.Record(0, Named("a"), [&](const absl::Status& status) {
    seen_in_store = fake->records();
    outcome = status;
    committed.Notify();
  });
  committed.WaitForNotification();
  EXPECT_TRUE(outcome.ok());
  EXPECT_EQ(seen_in_store, 1u);
  EXPECT_EQ(recorder.committed_records(), 1u);
}

TEST(RecorderTest, EveryRecordFromEveryShardIsWrittenOnStop) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 4);
  std::vector<std::thread> producers;
  for (int shard = 0; shard < 4; ++shard) {
    producers.emplace_back([&recorder, shard] {
      for (int i = 0; i < 2500; ++i) recorder.Record(shard, Named(std::to_string(i)));
    });
  }
  for (auto& t : producers) t.join();
  recorder.Stop();
  EXPECT_EQ(fake->records(), 10000u);
  EXPECT_EQ(recorder.committed_records(), 10000u);
  EXPECT_LE(recorder.batches(), 10000u);
}

TEST(RecorderTest, AFailedCommitIsReportedToEveryRecordOfTheBatch) {
  auto store = std::make_unique<FakeStore>();
  store->set_fail(true);
  Recorder recorder(std::move(store), 1);
  absl::Notification committed;
  absl::Status outcome;
  recorder.Record(0, Named("lost"), [&](const absl::Status& status) {
    outcome = status;
    committed.Notify();
  });
  committed.WaitForNotification();
  EXPECT_EQ(outcome.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(recorder.failed_records(), 1u);
}

TEST(RecorderTest, RefusalsPastTheBoundAreDroppedAndCountedForwardedCallsNever) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 1);
  // The writer is held inside a commit callback, so nothing drains the queue.
  absl::Notification writer_held, release;
  recorder.Record(0, Named("first"), [&](const absl::Status&) {
    writer_held.Notify();
    release.WaitForNotification();
  });
  writer_held.WaitForNotification();
  for (uint64_t i = 0; i < Recorder::kMaxQueuedRefusals + 10; ++i) {
    recorder.RecordRefusal(0, Named("refused"));
  }
  recorder.Record(0, Named("forwarded"));  // past the bound still kept
  EXPECT_EQ(recorder.dropped_refusals(), 10u);
  release.Notify();
  recorder.Stop();
  EXPECT_EQ(fake->records(), 1 + Recorder::kMaxQueuedRefusals + 1);
  // Once written, refusals may queue again.
  EXPECT_EQ(recorder.dropped_refusals(), 10u);
}

TEST(RecorderTest, StatsCountBatchesAndTheLastCommitsOutcome) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 1);
  auto record_and_wait = [&](const std::string& id) {
    absl::Notification committed;
    recorder.Record(0, Named(id), [&](const absl::Status&) { committed.Notify(); });
    committed.WaitForNotification();
  };
  record_and_wait("a");
  record_and_wait("b");
  Recorder::Stats stats = recorder.stats();
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.batch_sizes.count(), 2u);
  EXPECT_EQ(stats.batch_sizes.sum(), 2);
  EXPECT_EQ(stats.commit_seconds.count(), 2u);
  EXPECT_TRUE(recorder.last_commit_ok());
  fake->set_fail(true);
  record_and_wait("c");
  EXPECT_FALSE(recorder.last_commit_ok());
  fake->set_fail(false);
  record_and_wait("d");
  EXPECT_TRUE(recorder.last_commit_ok());
}

}  // namespace
}  // namespace ndxp::gateway
