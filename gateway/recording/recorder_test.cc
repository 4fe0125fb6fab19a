#include "gateway/recording/recorder.h"

#include "gateway/transparency/checkpoint.h"

#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/time/clock.h"
#include "gateway/transparency/checkpoint.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

// An in-memory store that remembers each batch; it can be told to fail.
class FakeStore : public TransactionStore {
 public:
  using TransactionStore::Append;
  absl::Status Append(absl::Span<const TransactionRecord> batch,
                      std::vector<AppendedRow>* appended) override {
    absl::MutexLock lock(&mu_);
    if (appended != nullptr) appended->clear();
    if (fail_) return absl::UnavailableError("disk full");
    batches_.emplace_back(batch.begin(), batch.end());
    std::vector<transparency::Hash> leaves;
    for (size_t i = 0; i < batch.size(); ++i) {
      ++seq_;
      leaves.push_back(LeafOf(seq_));
      if (appended != nullptr) appended->push_back({seq_, LeafOf(seq_)});
    }
    return tree_.Append(leaves).status();
  }
  // The leaf hash this store gives row `seq`.
  static AuditLeafHash LeafOf(int64_t seq) {
    AuditLeafHash leaf{};
    leaf[0] = static_cast<uint8_t>(seq);
    return leaf;
  }
  // The writer's alone, as the Recorder uses it.
  ChainHead Head() const override { return {seq_, std::string(kAuditHashSize, 'h')}; }
  // Its one replica's tree, of LeafOf's leaves, in memory.
  absl::StatusOr<AuditTreeHead> TreeHead() const override {
    absl::StatusOr<transparency::Hash> root = transparency::TreeRoot(tree_.size(), tree_);
    if (!root.ok()) return root.status();
    return AuditTreeHead{tree_.size(), *root};
  }
  absl::StatusOr<transparency::Hash> AuditTreeRoot(absl::string_view, int64_t tree_size) override {
    return transparency::TreeRoot(tree_size, tree_);
  }
  absl::StatusOr<std::vector<std::vector<transparency::Hash>>> InclusionProofs(
      absl::string_view, absl::Span<const int64_t> leaf_indexes, int64_t tree_size) override {
    return transparency::InclusionProofs(leaf_indexes, tree_size, tree_);
  }
  absl::StatusOr<std::vector<transparency::Hash>> ConsistencyProof(absl::string_view,
                                                                   int64_t old_size,
                                                                   int64_t new_size) override {
    return transparency::ConsistencyProof(old_size, new_size, tree_);
  }
  absl::StatusOr<AuditLeaf> ReadAuditLeaf(absl::string_view, int64_t) override {
    return absl::UnimplementedError("the Recorder never reads rows");
  }
  absl::StatusOr<std::vector<RequestRow>> FindRequestRows(absl::string_view, absl::string_view,
                                                          absl::string_view, int,
                                                          int64_t) override {
    return absl::UnimplementedError("the Recorder never reads rows");
  }
  absl::Status WriteTreeCheckpoint(int64_t tree_size, absl::string_view note) override {
    absl::MutexLock lock(&mu_);
    tree_checkpoints_.emplace_back(tree_size, std::string(note));
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> LatestTreeCheckpoint(absl::string_view) override {
    absl::MutexLock lock(&mu_);
    if (tree_checkpoints_.empty()) return absl::NotFoundError("none");
    return tree_checkpoints_.back().second;
  }
  // The tree checkpoints written, (size, note), in order.
  std::vector<std::pair<int64_t, std::string>> tree_checkpoints() {
    absl::MutexLock lock(&mu_);
    return tree_checkpoints_;
  }
  absl::Status WriteCheckpoint(const SignedCheckpoint& checkpoint) override {
    absl::MutexLock lock(&mu_);
    if (fail_checkpoints_) return absl::UnavailableError("read-only file system");
    checkpointed_seqs_.push_back(checkpoint.head.seq);
    return absl::OkStatus();
  }
  absl::StatusOr<SubjectAccessPage> ListSubjectAccesses(const SubjectQuery&) override {
    return absl::UnimplementedError("the Recorder never queries");
  }
  // The seq of every checkpoint written, in order.
  std::vector<int64_t> checkpointed_seqs() {
    absl::MutexLock lock(&mu_);
    return checkpointed_seqs_;
  }
  void set_fail_checkpoints(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_checkpoints_ = fail;
  }
  void set_fail(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_ = fail;
  }
  std::vector<TransactionRecord> all() {
    absl::MutexLock lock(&mu_);
    std::vector<TransactionRecord> out;
    for (const auto& b : batches_) out.insert(out.end(), b.begin(), b.end());
    return out;
  }
  std::vector<size_t> batch_sizes() {
    absl::MutexLock lock(&mu_);
    std::vector<size_t> sizes;
    for (const auto& b : batches_) sizes.push_back(b.size());
    return sizes;
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
  bool fail_checkpoints_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<int64_t> checkpointed_seqs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<int64_t, std::string>> tree_checkpoints_ ABSL_GUARDED_BY(mu_);
  int64_t seq_ = 0;
  transparency::MemoryTileStore tree_;
  std::vector<std::vector<TransactionRecord>> batches_ ABSL_GUARDED_BY(mu_);
};

TransactionRecord Named(const std::string& request_id) {
  TransactionRecord record;
  record.request_id = request_id;
  return record;
}

// A refusal of `consumer`'s call to GetCitizen, not granted.
TransactionRecord Refused(const std::string& consumer, const std::string& request_id = "r") {
  TransactionRecord record;
  record.request_id = request_id;
  record.consumer = consumer;
  record.service = "ndxp.residents.v1.ResidentRegistry";
  record.method = "GetCitizen";
  record.status_code = 7;
  record.refusal = "not granted";
  record.refusal_kind = Refusal::kPermissionDenied;
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

// The writer runs on its own thread: what it does next (after a move of the
// fake clock, a commit) is awaited (bounded), never slept for.
template <typename Condition>
bool Eventually(Condition condition) {
  for (int i = 0; i < 20000; ++i) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return condition();
}

// A proxy thread's side of the release: remembers each OnCommitted call.
class FakeListener : public CommitListener {
 public:
  struct Call {
    absl::Status status;
    std::vector<uint64_t> tags;
    std::vector<int64_t> seqs;  // of the tags' rows, in their order
  };
  void OnCommitted(const absl::Status& status, std::vector<CommittedRecord> records) override {
    Call call{status, {}, {}};
    for (const CommittedRecord& record : records) {
      call.tags.push_back(record.tag);
      call.seqs.push_back(record.row.seq);
      EXPECT_EQ(record.row.leaf_hash, record.row.seq > 0 ? FakeStore::LeafOf(record.row.seq)
                                                         : AuditLeafHash{})
          << "each record gets its own row's leaf hash";
    }
    absl::MutexLock lock(&mu_);
    calls_.push_back(std::move(call));
  }
  std::vector<Call> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

// Holds the writer inside the commit callback of a first record, so that
// what is queued meanwhile is the next batch, whole.
class HeldWriter {
 public:
  explicit HeldWriter(Recorder& recorder) {
    recorder.Record(0, Named("held"), [this](const absl::Status&) {
      held_.Notify();
      release_.WaitForNotification();
    });
    held_.WaitForNotification();
  }
  void Release() { release_.Notify(); }

 private:
  absl::Notification held_, release_;
};

TEST(RecorderTest, ABatchReleasesEachListenersRecordsWithOneCall) {
  auto store = std::make_unique<FakeStore>();
  Recorder recorder(std::move(store), 2);
  FakeListener thread0, thread1;
  HeldWriter writer(recorder);
  for (uint64_t serial = 1; serial <= 5; ++serial) {
    recorder.Record(0, Named(absl::StrCat("a", serial)), &thread0, serial);
  }
  for (uint64_t serial = 10; serial <= 12; ++serial) {
    recorder.Record(1, Named(absl::StrCat("b", serial)), &thread1, serial);
  }
  recorder.RecordRefusal(0, Refused("000.00.00.H99/m"));  // waited for by nobody
  writer.Release();
  recorder.Stop();
  EXPECT_EQ(recorder.batches(), 2u) << "the held record's, then all the others'";
  const std::vector<FakeListener::Call> calls0 = thread0.calls();
  ASSERT_EQ(calls0.size(), 1u) << "one wake-up of thread 0 for its five answers";
  EXPECT_TRUE(calls0[0].status.ok());
  EXPECT_EQ(calls0[0].tags, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  // The held record is row 1; shard 0's five and its refusal rows 2-7.
  EXPECT_EQ(calls0[0].seqs, (std::vector<int64_t>{2, 3, 4, 5, 6})) << "each answer's own row";
  const std::vector<FakeListener::Call> calls1 = thread1.calls();
  ASSERT_EQ(calls1.size(), 1u);
  EXPECT_EQ(calls1[0].tags, (std::vector<uint64_t>{10, 11, 12}));
  EXPECT_EQ(calls1[0].seqs, (std::vector<int64_t>{8, 9, 10}));
}

TEST(RecorderTest, AFailedBatchReleasesEveryListenedRecordWithTheError) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 1);
  FakeListener thread0;
  HeldWriter writer(recorder);
  fake->set_fail(true);
  for (uint64_t serial = 1; serial <= 4; ++serial) {
    recorder.Record(0, Named(absl::StrCat(serial)), &thread0, serial);
  }
  writer.Release();
  recorder.Stop();
  const std::vector<FakeListener::Call> calls = thread0.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].status.code(), absl::StatusCode::kUnavailable)
      << "every answer of the batch becomes UNAVAILABLE";
  EXPECT_EQ(calls[0].tags, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(calls[0].seqs, (std::vector<int64_t>{0, 0, 0, 0})) << "no row, no receipt";
  EXPECT_EQ(recorder.failed_records(), 4u);
  EXPECT_EQ(fake->records(), 1u) << "only the held record is in the store";
}

TEST(RecorderTest, AListenerHearsOfEachBatchThatHeldItsRecords) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 1);
  FakeListener thread0;
  {
    HeldWriter writer(recorder);
    recorder.Record(0, Named("1"), &thread0, 1);
    fake->set_fail(true);  // batch 2 (record 1) fails...
    writer.Release();
    EXPECT_TRUE(Eventually([&] { return thread0.calls().size() == 1; }));
  }
  fake->set_fail(false);  // ...batch 3 (record 2) commits
  recorder.Record(0, Named("2"), &thread0, 2);
  recorder.Stop();
  const std::vector<FakeListener::Call> calls = thread0.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls[0].tags, std::vector<uint64_t>{1});
  EXPECT_TRUE(calls[1].status.ok());
  EXPECT_EQ(calls[1].tags, std::vector<uint64_t>{2});
}

// Pacing whose waits, were they wrongly taken, would outlast the test.
Recorder::Pacing Patient(absl::Duration group_delay, absl::Duration rest) {
  Recorder::Pacing pacing;
  pacing.group_delay = group_delay;
  pacing.rest = rest;
  return pacing;
}

TEST(RecorderPacingTest, ACommitWaitsForAwaitedRecordsThatWouldDoubleIt) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 2, nullptr, "", absl::Minutes(1), Clock::Real(),
                    std::nullopt, Patient(absl::Hours(1), absl::ZeroDuration()));
  FakeListener thread0;
  Recorder::AwaitedRecord first = recorder.AwaitRecord();
  Recorder::AwaitedRecord second = recorder.AwaitRecord();
  Recorder::AwaitedRecord third = recorder.AwaitRecord();
  recorder.Record(0, Named("1"), &thread0, 1);
  first.Reset();  // one queued, two on their way: the writer holds it
  ASSERT_TRUE(Eventually([&] { return recorder.holds() == 1; }));
  recorder.Record(1, Named("2"), &thread0, 2);
  second.Reset();  // two queued, one on its way: due
  ASSERT_TRUE(Eventually([&] { return thread0.calls().size() == 1; }));
  EXPECT_EQ(thread0.calls()[0].tags, (std::vector<uint64_t>{1, 2})) << "one commit for both";
  EXPECT_EQ(fake->batch_sizes(), std::vector<size_t>{2});
  third.Reset();
}

TEST(RecorderPacingTest, AnAwaitedRecordThatNeverComesEndsTheHold) {
  auto store = std::make_unique<FakeStore>();
  Recorder recorder(std::move(store), 1, nullptr, "", absl::Minutes(1), Clock::Real(),
                    std::nullopt, Patient(absl::Hours(1), absl::ZeroDuration()));
  FakeListener thread0;
  Recorder::AwaitedRecord first = recorder.AwaitRecord();
  auto second = std::make_unique<Recorder::AwaitedRecord>(recorder.AwaitRecord());
  Recorder::AwaitedRecord third = recorder.AwaitRecord();
  recorder.Record(0, Named("1"), &thread0, 1);
  first.Reset();
  ASSERT_TRUE(Eventually([&] { return recorder.holds() == 1; }));
  second.reset();  // its call ended without a record (destroyed)
  ASSERT_TRUE(Eventually([&] { return thread0.calls().size() == 1; }));
  EXPECT_EQ(thread0.calls()[0].tags, std::vector<uint64_t>{1});
  third = Recorder::AwaitedRecord();  // moved over: the announcement ends
  EXPECT_EQ(recorder.holds(), 1u);
}

TEST(RecorderPacingTest, ALoneRecordIsCommittedAtOnce) {
  auto store = std::make_unique<FakeStore>();
  Recorder recorder(std::move(store), 1, nullptr, "", absl::Minutes(1), Clock::Real(),
                    std::nullopt, Patient(absl::Hours(1), absl::Hours(1)));
  FakeListener thread0;
  for (uint64_t serial = 1; serial <= 3; ++serial) {
    Recorder::AwaitedRecord awaited = recorder.AwaitRecord();
    recorder.Record(0, Named(absl::StrCat(serial)), &thread0, serial);
    awaited.Reset();
    ASSERT_TRUE(Eventually([&] { return thread0.calls().size() == serial; }))
        << "nothing else on its way: no wait, whatever the group delay";
  }
  EXPECT_EQ(recorder.holds(), 0u);
}

TEST(RecorderPacingTest, RecordsNobodyWaitsForWaitForTheRestUnlessSomeoneWaits) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 1, nullptr, "", absl::Minutes(1), Clock::Real(),
                    std::nullopt, Patient(absl::Hours(1), absl::Hours(1)));
  recorder.Record(0, Named("fast-1"));  // the first commit: no rest before it
  ASSERT_TRUE(Eventually([&] { return fake->records() == 1; }));
  recorder.Record(0, Named("fast-2"));
  recorder.RecordRefusal(0, Refused("000.00.00.H99/m"));
  ASSERT_TRUE(Eventually([&] { return recorder.holds() == 1; }));
  EXPECT_EQ(fake->records(), 1u) << "resting: FAST rows and refusals wait for company";
  absl::Notification committed;
  recorder.Record(0, Named("durable"), [&](const absl::Status&) { committed.Notify(); });
  committed.WaitForNotification();  // someone waits: the rest ends at once
  EXPECT_EQ(fake->batch_sizes(), (std::vector<size_t>{1, 3}));
}

TEST(RecorderPacingTest, StopEndsTheRest) {
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  Recorder recorder(std::move(store), 1, nullptr, "", absl::Minutes(1), Clock::Real(),
                    std::nullopt, Patient(absl::Hours(1), absl::Hours(1)));
  recorder.Record(0, Named("fast-1"));
  ASSERT_TRUE(Eventually([&] { return fake->records() == 1; }));
  recorder.Record(0, Named("fast-2"));
  ASSERT_TRUE(Eventually([&] { return recorder.holds() == 1; }));
  recorder.Stop();  // would take an hour if the rest held
  EXPECT_EQ(fake->records(), 2u);
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
  // Refusals of distinct consumers: nothing to summarise.
  for (uint64_t i = 0; i < Recorder::kMaxQueuedRefusals + 10; ++i) {
    recorder.RecordRefusal(0, Refused(absl::StrCat("000.00.00.H", i, "/app")));
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

class RecorderCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto hub = pki_.Issue("hub", "000.00.00.A01", "hub", /*server=*/true);
    auto signer = CheckpointSigner::FromFiles(hub.cert(), hub.key());
    ASSERT_TRUE(signer.ok()) << signer.status();
    auto store = std::make_unique<FakeStore>();
    store_ = store.get();
    recorder_ = std::make_unique<Recorder>(std::move(store), 1, *std::move(signer), "hub-1",
                                           absl::Minutes(1), &clock_);
  }
  void RecordAndWait(const std::string& id) {
    absl::Notification committed;
    recorder_->Record(0, Named(id), [&](const absl::Status&) { committed.Notify(); });
    committed.WaitForNotification();
  }

  ::ndxp::testing::TestPki pki_;
  FakeClock clock_;
  FakeStore* store_ = nullptr;
  std::unique_ptr<Recorder> recorder_;
};

TEST_F(RecorderCheckpointTest, AnIdleHubSignsItsLastRowsWithinTheInterval) {
  RecordAndWait("a");  // the first commit is signed at once
  EXPECT_TRUE(Eventually([&] { return store_->checkpointed_seqs() == std::vector<int64_t>{1}; }));
  RecordAndWait("b");
  RecordAndWait("c");
  clock_.AwaitWaiter();  // the writer is idle, done with what follows c's commit
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(store_->checkpointed_seqs(), std::vector<int64_t>{1}) << "not due yet";
  // No call arrives; the interval passes: rows 2 and 3 are signed all the same.
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(Eventually([&] { return store_->checkpointed_seqs().size() == 2; }));
  EXPECT_EQ(store_->checkpointed_seqs(), (std::vector<int64_t>{1, 3}));
  // A signed head is not signed again, however long the hub stays idle.
  clock_.Advance(absl::Hours(1));
  RecordAndWait("d");  // ...until it moves: more than an interval since the last, so at once
  EXPECT_TRUE(Eventually([&] { return store_->checkpointed_seqs().size() == 3; }));
  EXPECT_EQ(store_->checkpointed_seqs(), (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(recorder_->checkpoints(), 3u);
}

TEST_F(RecorderCheckpointTest, AFailedCheckpointIsTriedAgainWhileIdle) {
  store_->set_fail_checkpoints(true);
  RecordAndWait("a");
  EXPECT_TRUE(Eventually([&] { return recorder_->failed_checkpoints() == 1; }));
  store_->set_fail_checkpoints(false);
  clock_.AwaitWaiter();
  clock_.Advance(Recorder::kCheckpointRetry);
  EXPECT_TRUE(Eventually([&] { return store_->checkpointed_seqs() == std::vector<int64_t>{1}; }));
  EXPECT_EQ(recorder_->failed_checkpoints(), 1u);
}

TEST_F(RecorderCheckpointTest, StopSignsTheHeadAtOnce) {
  RecordAndWait("a");
  RecordAndWait("b");
  recorder_->Stop();
  EXPECT_EQ(store_->checkpointed_seqs(), (std::vector<int64_t>{1, 2}));
}

// With the hub's log key, each checkpoint is also the tree's: a C2SP note of
// the replica's origin that opens with the log key's vkey and states the
// store's tree, at the same moments as the chain's.
TEST(RecorderTreeCheckpointTest, TheTreeIsSignedWithTheChain) {
  constexpr char kOrigin[] = "ndxp.example/audit/hub-1";
  absl::StatusOr<transparency::Ed25519NoteKey> key =
      transparency::Ed25519NoteKey::Generate("ndxp.example/audit");
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string vkey = key->verifier_key().Encode();
  auto store = std::make_unique<FakeStore>();
  FakeStore* fake = store.get();
  FakeClock clock;
  Recorder recorder(std::move(store), 1, nullptr, "hub-1", absl::Minutes(1), &clock,
                    TreeCheckpointSigner{kOrigin, *std::move(key)});
  for (const char* id : {"a", "b", "c"}) {
    absl::Notification committed;
    recorder.Record(0, Named(id), [&](const absl::Status&) { committed.Notify(); });
    committed.WaitForNotification();
  }
  recorder.Stop();
  const std::vector<std::pair<int64_t, std::string>> notes = fake->tree_checkpoints();
  ASSERT_GE(notes.size(), 2u) << "the first commit's, and Stop's";
  EXPECT_EQ(notes.front().first, 1);
  EXPECT_EQ(notes.back().first, 3);
  absl::StatusOr<transparency::Checkpoint> last =
      transparency::OpenTreeCheckpoint(notes.back().second, kOrigin, {vkey});
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->tree_size, 3);
  EXPECT_EQ(last->root, fake->TreeHead()->root);
  EXPECT_FALSE(
      transparency::OpenTreeCheckpoint(notes.back().second, "ndxp.example/audit/hub-2", {vkey})
          .ok())
      << "another replica's origin";
}

// Repeats of one refusal within a second become one summary row, written
// when the second ends even if nothing else happens; the first of each key
// is a row of its own.
class RecorderRefusalSummaryTest : public ::testing::Test {
 protected:
  RecorderRefusalSummaryTest() {
    auto store = std::make_unique<FakeStore>();
    store_ = store.get();
    recorder_ = std::make_unique<Recorder>(std::move(store), 2, nullptr, "hub-1",
                                           absl::Minutes(1), &clock_);
  }
  FakeClock clock_;
  FakeStore* store_ = nullptr;
  std::unique_ptr<Recorder> recorder_;
};

TEST_F(RecorderRefusalSummaryTest, RepeatsWithinASecondAreOneRowWrittenWhenTheSecondEnds) {
  const std::string mallory = "000.00.00.H99/mallory";
  for (int i = 0; i < 1000; ++i) recorder_->RecordRefusal(0, Refused(mallory, absl::StrCat(i)));
  recorder_->RecordRefusal(0, Refused("000.00.00.G12/tax"));  // another key: its own row
  EXPECT_TRUE(Eventually([&] { return store_->records() == 2; }));
  EXPECT_EQ(recorder_->summarised_refusals(), 999u);
  clock_.AwaitWaiter();  // idle, waiting for the second to end
  clock_.Advance(absl::Milliseconds(999));
  clock_.AwaitWaiter();
  EXPECT_EQ(store_->records(), 2u) << "the second has not ended";
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(Eventually([&] { return store_->records() == 3; }));
  const std::vector<TransactionRecord> rows = store_->all();
  EXPECT_EQ(rows[0].request_id, "0");
  EXPECT_EQ(rows[0].repeat, 1);
  EXPECT_EQ(rows[0].row_kind, RowKind::kCall);
  const TransactionRecord& summary = rows[2];
  EXPECT_EQ(summary.row_kind, RowKind::kRefusalSummary);
  EXPECT_EQ(summary.repeat, 999);
  EXPECT_EQ(summary.consumer, mallory);
  EXPECT_EQ(summary.refusal_kind, Refusal::kPermissionDenied);
  EXPECT_EQ(summary.request_id, "") << "a summary keeps no request id";
  // The next second begins a new window: its first refusal is a row again.
  recorder_->RecordRefusal(1, Refused(mallory, "late"));
  EXPECT_TRUE(Eventually([&] { return store_->records() == 4; }));
  EXPECT_EQ(store_->all()[3].request_id, "late");
}

TEST_F(RecorderRefusalSummaryTest, StopWritesTheOpenSummaries) {
  for (int i = 0; i < 3; ++i) recorder_->RecordRefusal(0, Refused("000.00.00.H99/m"));
  recorder_->Stop();
  const std::vector<TransactionRecord> rows = store_->all();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].repeat, 2);
}

TEST(RefusalSummariesTest, KeysAreConsumerPeerMethodAndKindNeverTheMessage) {
  RefusalSummaries summaries;
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  TransactionRecord a = Refused("000.00.00.H99/m", "1");
  EXPECT_FALSE(summaries.Absorb(a, t0));
  a.refusal = "another message, request id 2";
  EXPECT_TRUE(summaries.Absorb(a, t0)) << "the same kind, whatever the message";
  TransactionRecord other_kind = a;
  other_kind.refusal_kind = Refusal::kOverQuota;
  EXPECT_FALSE(summaries.Absorb(other_kind, t0));
  TransactionRecord via_peer = a;
  via_peer.via = "000.00.00.P01/hub";
  EXPECT_FALSE(summaries.Absorb(via_peer, t0));
  TransactionRecord other_method = a;
  other_method.method = "VerifyCitizen";
  EXPECT_FALSE(summaries.Absorb(other_method, t0));
  std::vector<TransactionRecord> out;
  EXPECT_EQ(summaries.TakeDue(t0 + absl::Milliseconds(500), &out),
            t0 + RefusalSummaries::kWindow);
  EXPECT_TRUE(out.empty());
  // A repeat after the window ended opens a new one; the old summary is due.
  EXPECT_FALSE(summaries.Absorb(a, t0 + absl::Seconds(2)));
  summaries.TakeDue(t0 + absl::Seconds(2), &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].repeat, 1);
  EXPECT_EQ(out[0].refusal, "another message, request id 2");
  EXPECT_EQ(summaries.open_windows(), 1u) << "windows without repeats are forgotten";
}

TEST(RefusalSummariesTest, PastMaxKeysARefusalIsItsOwnRow) {
  RefusalSummaries summaries;
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  for (size_t i = 0; i < RefusalSummaries::kMaxKeys; ++i) {
    EXPECT_FALSE(summaries.Absorb(Refused(absl::StrCat("000.00.00.H", i, "/a")), t0));
  }
  const TransactionRecord extra = Refused("000.00.00.X1/a");
  EXPECT_FALSE(summaries.Absorb(extra, t0));
  EXPECT_FALSE(summaries.Absorb(extra, t0)) << "no window: never summarised";
  EXPECT_EQ(summaries.open_windows(), RefusalSummaries::kMaxKeys);
}

}  // namespace
}  // namespace ndxp::gateway
