// The PostgreSQL store's own behaviour (large batches, the same chain as the
// SQLite store, concurrent replicas, lost connections, text it cannot hold);
// what every store promises is in transaction_store_conformance_test.cc.
// Runs against a real server: NDXP_TEST_POSTGRES is a libpq connection string
// whose role may create databases (scripts/with-postgres provides one). Each
// test gets a database of its own, so tests are independent and may run in
// parallel (ctest -j). Without NDXP_TEST_POSTGRES those tests skip.
#include "gateway/recording/postgres/postgres_transaction_store.h"

#include <libpq-fe.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sqlite/sqlite.h"
#include "gateway/recording/postgres/postgres_test_server.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"
#include "gateway/recording/test_records.h"

namespace ndxp::gateway {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::UtcMicros;
using testing::MakeRecord;

// ---- plain SQL through libpq, independent of the store

using testing::ExecSql;
using testing::Query;
using testing::Rows;
using testing::WithDatabase;

struct CounterRow {
  std::string day, consumer, provider, service, method;
  int64_t status_code = 0;
  int64_t count = 0;
  auto Tie() const {
    return std::tie(day, consumer, provider, service, method, status_code, count);
  }
  bool operator==(const CounterRow& o) const { return Tie() == o.Tie(); }
};

struct AuditRow {
  int64_t id = 0;
  std::string replica;
  int64_t seq = 0;
  std::string request_id;
  std::string prev_hash_hex;  // lower-case hex
  std::string hash_hex;
};

std::vector<CounterRow> ReadCounters(const std::string& conninfo) {
  std::vector<CounterRow> out;
  for (const auto& row :
       Query(conninfo,
             "SELECT day, consumer, provider, service, method, status_code, count "
             "FROM counters ORDER BY day, consumer, provider, service, method, status_code")) {
    out.push_back(CounterRow{row[0], row[1], row[2], row[3], row[4],
                             std::strtoll(row[5].c_str(), nullptr, 10),
                             std::strtoll(row[6].c_str(), nullptr, 10)});
  }
  return out;
}

std::vector<AuditRow> ReadAudit(const std::string& conninfo) {
  std::vector<AuditRow> out;
  for (const auto& row : Query(conninfo,
                               "SELECT id, replica, seq, request_id, encode(prev_hash, 'hex'), "
                               "encode(hash, 'hex') FROM audit_log ORDER BY id")) {
    out.push_back(AuditRow{std::strtoll(row[0].c_str(), nullptr, 10), row[1],
                           std::strtoll(row[2].c_str(), nullptr, 10), row[3], row[4], row[5]});
  }
  return out;
}

std::vector<int64_t> SeqsOf(const std::vector<AuditRow>& rows, const std::string& replica) {
  std::vector<int64_t> seqs;
  for (const AuditRow& r : rows) {
    if (r.replica == replica) seqs.push_back(r.seq);
  }
  return seqs;
}

// What the chain of `records` appended by `replica` from seq 1 must hash to,
// as lower-case hex, computed with the canonical encoding only.
std::vector<std::string> ExpectedChain(const std::string& replica,
                                       const std::vector<TransactionRecord>& records) {
  std::vector<std::string> hashes;
  std::string prev(kAuditHashSize, '\0');
  for (size_t i = 0; i < records.size(); ++i) {
    prev = AuditHash(prev, EncodeAuditRecord(replica, static_cast<int64_t>(i + 1), records[i]));
    hashes.push_back(absl::BytesToHexString(prev));
  }
  return hashes;
}

PostgresTransactionStore::Options ForReplica(std::string replica) {
  PostgresTransactionStore::Options options;
  options.replica = std::move(replica);
  return options;
}

std::unique_ptr<PostgresTransactionStore> OpenStore(
    const std::string& conninfo, const PostgresTransactionStore::Options& options = {}) {
  auto store = PostgresTransactionStore::Open(conninfo, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Ends the server sessions of the stores of `replica` in this test's database
// (as the server does on a restart or a failover) and waits until they are gone.
void KillSessions(const std::string& conninfo, const std::string& replica) {
  const Rows rows =
      Query(conninfo, absl::StrCat("SELECT count(*) FILTER (WHERE "
                                   "pg_terminate_backend(pid, 10000)) FROM "
                                   "pg_stat_activity WHERE datname = current_database() "
                                   "AND application_name = 'ndxp-",
                                   replica, "'"));
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_NE(rows[0][0], "0") << "no session of replica " << replica;
}

// A database of its own per test, dropped afterwards.
class PostgresTransactionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = testing::TestServer();
    if (base_.empty()) {
      GTEST_SKIP() << "NDXP_TEST_POSTGRES is not set: run under scripts/with-postgres, e.g. "
                      "scripts/with-postgres build/bin/postgres_store_tests";
    }
    db_name_ = testing::DatabaseNameForTest("");
    ASSERT_NO_FATAL_FAILURE(
        ExecSql(base_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)"));
    ASSERT_NO_FATAL_FAILURE(ExecSql(base_, "CREATE DATABASE " + db_name_));
    conninfo_ = WithDatabase(base_, db_name_);
  }

  void TearDown() override {
    if (!db_name_.empty()) ExecSql(base_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
  }

  std::string base_;
  std::string db_name_;
  std::string conninfo_;
};

// ------------------------------------------------------------------ append

// A batch far larger than a statement's 65535-parameter limit would allow
// row by row: the arrays keep it one statement.
TEST_F(PostgresTransactionStoreTest, LargeBatchIsOneAppend) {
  std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
  ASSERT_NE(store, nullptr);
  std::vector<TransactionRecord> batch;
  for (int i = 0; i < 20000; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
  ASSERT_TRUE(store->Append(batch).ok());
  EXPECT_EQ(store->last_seq(), 20000);
  EXPECT_THAT(Query(conninfo_, "SELECT count(*), min(seq), max(seq) FROM audit_log"),
              ElementsAre(ElementsAre("20000", "1", "20000")));
  EXPECT_THAT(Query(conninfo_, "SELECT sum(count) FROM counters"),
              ElementsAre(ElementsAre("20000")));
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr);
  EXPECT_TRUE(status.ok()) << status;
}

// ------------------------------------------------------------- local days

// ------------------------------------------------------------------ chain

// Both stores implement one chain: the same records of the same replica hash
// the same, row for row, and count the same.
TEST_F(PostgresTransactionStoreTest, SameChainAndCountersAsTheSqliteStore) {
  std::vector<std::vector<TransactionRecord>> batches = {
      {MakeRecord(UtcMicros(2026, 6, 30, 23, 30, 0), "r-1"),
       MakeRecord(UtcMicros(1969, 7, 20, 20, 17, 0), "before-1970", "000.00.18.G12/x", -1)},
      {MakeRecord(UtcMicros(2026, 7, 1, 0, 0, 0), "r-3", "000.00.00.G12/tax-lookup", 16)},
      {MakeRecord(0, ""), MakeRecord(1, "r-5"), MakeRecord(2, "r-6")},
  };
  batches[0][0].purpose = "thu\xe1\xba\xbf";  // "thuế": UTF-8 bytes as they are
  batches[1][0].latency_micros = INT64_MAX;
  batches[1][0].request_bytes = INT64_MIN;
  batches[2][0].purpose = "";
  std::vector<TransactionRecord> all;
  for (const auto& batch : batches) all.insert(all.end(), batch.begin(), batch.end());

  ndxp::testing::TempDir dir;
  const std::string sqlite_path = dir.path() + "/hub.db";
  {
    SqliteTransactionStore::Options sqlite_options;
    sqlite_options.replica = "hub-7";
    sqlite_options.fsync_each_commit = false;
    auto sqlite = SqliteTransactionStore::Open(sqlite_path, sqlite_options);
    ASSERT_TRUE(sqlite.ok()) << sqlite.status();
    std::unique_ptr<PostgresTransactionStore> postgres = OpenStore(conninfo_, ForReplica("hub-7"));
    ASSERT_NE(postgres, nullptr);
    for (const auto& batch : batches) {
      ASSERT_TRUE((*sqlite)->Append(batch).ok());
      ASSERT_TRUE(postgres->Append(batch).ok());
    }
  }

  Rows sqlite_rows;
  Rows sqlite_counters;
  {
    ::ndxp::SqliteOptions options;
    options.wal = false;
    auto db = ::ndxp::SqliteDatabase::Open(sqlite_path, options);
    ASSERT_TRUE(db.ok()) << db.status();
    auto rows = (*db)->Prepare(
        "SELECT replica, seq, lower(hex(prev_hash)), lower(hex(hash)) FROM audit_log "
        "ORDER BY seq");
    ASSERT_TRUE(rows.ok());
    while (*rows->Step()) {
      sqlite_rows.push_back({std::string(rows->ColumnText(0)), absl::StrCat(rows->ColumnInt64(1)),
                             std::string(rows->ColumnText(2)), std::string(rows->ColumnText(3))});
    }
    auto counters = (*db)->Prepare(
        "SELECT day, consumer, status_code, count FROM counters "
        "ORDER BY day, consumer, status_code");
    ASSERT_TRUE(counters.ok());
    while (*counters->Step()) {
      sqlite_counters.push_back(
          {std::string(counters->ColumnText(0)), std::string(counters->ColumnText(1)),
           absl::StrCat(counters->ColumnInt64(2)), absl::StrCat(counters->ColumnInt64(3))});
    }
  }
  const Rows postgres_rows =
      Query(conninfo_,
            "SELECT replica, seq, encode(prev_hash, 'hex'), encode(hash, 'hex') "
            "FROM audit_log ORDER BY seq");
  ASSERT_EQ(postgres_rows.size(), all.size());
  EXPECT_EQ(postgres_rows, sqlite_rows);
  const std::vector<std::string> chain = ExpectedChain("hub-7", all);
  for (size_t i = 0; i < postgres_rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(postgres_rows[i][3], chain[i]);
  }
  EXPECT_EQ(Query(conninfo_,
                  "SELECT day, consumer, status_code, count FROM counters "
                  "ORDER BY day COLLATE \"C\", consumer COLLATE \"C\", status_code"),
            sqlite_counters);

  // Every stored byte reads back as written.
  EXPECT_THAT(Query(conninfo_,
                    "SELECT encode(convert_to(purpose, 'UTF8'), 'hex'), "
                    "latency_micros, request_bytes FROM audit_log WHERE seq = 1"),
              ElementsAre(ElementsAre("746875e1babf", "1500", "42")));
  EXPECT_THAT(Query(conninfo_,
                    "SELECT latency_micros, request_bytes, status_code "
                    "FROM audit_log WHERE seq = 3"),
              ElementsAre(ElementsAre("9223372036854775807", "-9223372036854775808", "16")));
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr);
  EXPECT_TRUE(status.ok()) << status;
}

// ------------------------------------------------------------- replicas

// docs/design.md "Storage": hub replicas side by side write the same tables and
// their counters merge. Two stores, two threads, at once, on the same counter
// keys (so their upserts contend for the same rows).
TEST_F(PostgresTransactionStoreTest, TwoReplicasWritingConcurrentlyMergeCounters) {
  constexpr int kRecordsPerReplica = 2000;
  constexpr int kBatchSize = 25;
  const int64_t base = UtcMicros(2026, 6, 30, 16, 0, 0);  // 23:00 in Hanoi
  const int64_t kHour = int64_t{3600} * 1000 * 1000;
  auto record_of = [&](const std::string& replica, int i) {
    // Local days 30 June and 1 July, three status codes, two consumers.
    return MakeRecord(base + (i % 2) * 2 * kHour + i, absl::StrCat(replica, "-", i),
                      i % 5 == 0 ? "000.00.00.G13/land" : "000.00.00.G12/tax-lookup",
                      /*status_code=*/i % 3);
  };

  std::unique_ptr<PostgresTransactionStore> hub1 = OpenStore(conninfo_, ForReplica("hub-1"));
  std::unique_ptr<PostgresTransactionStore> hub2 = OpenStore(conninfo_, ForReplica("hub-2"));
  ASSERT_NE(hub1, nullptr);
  ASSERT_NE(hub2, nullptr);

  absl::Notification start;
  auto write_all = [&](PostgresTransactionStore* store, const std::string& replica,
                       absl::Status* result) {
    start.WaitForNotification();
    for (int i = 0; i < kRecordsPerReplica; i += kBatchSize) {
      std::vector<TransactionRecord> batch;
      for (int j = i; j < i + kBatchSize; ++j) batch.push_back(record_of(replica, j));
      *result = store->Append(batch);
      if (!result->ok()) return;
    }
  };
  absl::Status result1, result2;
  std::thread writer1(write_all, hub1.get(), "hub-1", &result1);
  std::thread writer2(write_all, hub2.get(), "hub-2", &result2);
  start.Notify();
  writer1.join();
  writer2.join();
  ASSERT_TRUE(result1.ok()) << result1;
  ASSERT_TRUE(result2.ok()) << result2;
  EXPECT_EQ(hub1->last_seq(), kRecordsPerReplica);
  EXPECT_EQ(hub2->last_seq(), kRecordsPerReplica);

  EXPECT_THAT(Query(conninfo_, "SELECT sum(count) FROM counters"),
              ElementsAre(ElementsAre("4000")));
  // Key by key, what the records say.
  std::map<std::tuple<std::string, std::string, int64_t>, int64_t> want;
  const absl::TimeZone hanoi = [] {
    absl::TimeZone tz;
    absl::LoadTimeZone("Asia/Ho_Chi_Minh", &tz);
    return tz;
  }();
  for (const char* replica : {"hub-1", "hub-2"}) {
    for (int i = 0; i < kRecordsPerReplica; ++i) {
      const TransactionRecord r = record_of(replica, i);
      ++want[{absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(r.time_micros), hanoi), r.consumer,
              r.status_code}];
    }
  }
  std::map<std::tuple<std::string, std::string, int64_t>, int64_t> got;
  for (const CounterRow& row : ReadCounters(conninfo_)) {
    got[{row.day, row.consumer, row.status_code}] += row.count;
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(want.size(), 12u);

  EXPECT_THAT(Query(conninfo_,
                    "SELECT replica, count(*), min(seq), max(seq), "
                    "count(DISTINCT seq) FROM audit_log GROUP BY replica "
                    "ORDER BY replica"),
              ElementsAre(ElementsAre("hub-1", "2000", "1", "2000", "2000"),
                          ElementsAre("hub-2", "2000", "1", "2000", "2000")));
  std::string report;
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, AllOf(HasSubstr("4000 rows in 2 replica chain(s)"),
                            HasSubstr("replica hub-1: 2000 rows, seq 1..2000"),
                            HasSubstr("replica hub-2: 2000 rows, seq 1..2000")));
}

// CREATE TABLE IF NOT EXISTS is not atomic against itself; the advisory lock
// lets replicas that start together all open.
TEST_F(PostgresTransactionStoreTest, ReplicasStartingTogetherAllOpen) {
  constexpr int kReplicas = 8;
  absl::Notification start;
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      start.WaitForNotification();
      const std::string replica = absl::StrCat("hub-", i);
      auto store = PostgresTransactionStore::Open(conninfo_, ForReplica(replica));
      results[i] = store.status();
      if (store.ok()) results[i] = (*store)->Append({MakeRecord(i, replica)});
    });
  }
  start.Notify();
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kReplicas; ++i) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
  std::string report;
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr("8 rows in 8 replica chain(s)"));
}

// ------------------------------------------------------- lost connections

// The server ends the store's session (a restart, a failover): the next
// Append reconnects, sees from the chain head that nothing was lost, and
// writes its batch.
TEST_F(PostgresTransactionStoreTest, AppendReconnectsAfterTheSessionEnds) {
  std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append({MakeRecord(1, "a")}).ok());
  ASSERT_NO_FATAL_FAILURE(KillSessions(conninfo_, "hub-1"));
  absl::Status status = store->Append({MakeRecord(2, "b"), MakeRecord(3, "c")});
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(store->reconnects(), 1);
  EXPECT_EQ(store->last_seq(), 3);
  EXPECT_THAT(SeqsOf(ReadAudit(conninfo_), "hub-1"), ElementsAre(1, 2, 3));
  EXPECT_EQ(ReadCounters(conninfo_)[0].count, 3);
  EXPECT_TRUE(PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr).ok());
}

// When the connection drops under a commit, the store cannot tell from the
// reply whether it committed; the chain head can. Here another store of the
// same replica stands in for the commit whose acknowledgement was lost: it
// wrote exactly this batch. The retried Append must not write it twice.
TEST_F(PostgresTransactionStoreTest, ABatchThatCommittedUnseenIsNotWrittenTwice) {
  const std::vector<TransactionRecord> batch = {MakeRecord(1, "a"), MakeRecord(2, "b")};
  std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
  ASSERT_NE(store, nullptr);
  {
    std::unique_ptr<PostgresTransactionStore> stand_in = OpenStore(conninfo_);
    ASSERT_NE(stand_in, nullptr);
    ASSERT_TRUE(stand_in->Append(batch).ok());
  }
  ASSERT_NO_FATAL_FAILURE(KillSessions(conninfo_, "hub-1"));
  absl::Status status = store->Append(batch);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(store->last_seq(), 2);
  EXPECT_EQ(ReadAudit(conninfo_).size(), 2u);
  EXPECT_EQ(ReadCounters(conninfo_)[0].count, 2);

  ASSERT_TRUE(store->Append({MakeRecord(3, "c")}).ok());
  EXPECT_THAT(SeqsOf(ReadAudit(conninfo_), "hub-1"), ElementsAre(1, 2, 3));
  EXPECT_TRUE(PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr).ok());

  // Had the database's head moved any other way, another writer has the
  // replica: refuse rather than fork.
  {
    std::unique_ptr<PostgresTransactionStore> other = OpenStore(conninfo_);
    ASSERT_NE(other, nullptr);
    ASSERT_TRUE(other->Append({MakeRecord(4, "someone else")}).ok());
  }
  ASSERT_NO_FATAL_FAILURE(KillSessions(conninfo_, "hub-1"));
  status = store->Append({MakeRecord(4, "d")});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(store->last_seq(), 3);
  EXPECT_THAT(SeqsOf(ReadAudit(conninfo_), "hub-1"), ElementsAre(1, 2, 3, 4));
  EXPECT_TRUE(PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr).ok());
}

// ----------------------------------------------------------------- errors

// A UTF-8 database holds neither NUL bytes nor invalid UTF-8 in text: such a
// record fails its batch, which keeps nothing.
TEST_F(PostgresTransactionStoreTest, TextTheDatabaseCannotHoldIsInvalidArgument) {
  struct Case {
    const char* name;
    std::string request_id;
  } cases[] = {
      {"a NUL byte", std::string("r\0x", 3)},
      {"invalid UTF-8", "r\xff"},
  };
  std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
  ASSERT_NE(store, nullptr);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = store->Append({MakeRecord(1, "good"), MakeRecord(2, c.request_id)});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(store->last_seq(), 0);
    EXPECT_TRUE(ReadAudit(conninfo_).empty());
    EXPECT_TRUE(ReadCounters(conninfo_).empty());
  }
  ASSERT_TRUE(store->Append({MakeRecord(3, "fine")}).ok());
  EXPECT_TRUE(PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr).ok());
}

TEST_F(PostgresTransactionStoreTest, AMissingDatabaseIsUnavailable) {
  const std::string missing = WithDatabase(base_, "ndxp_no_such_database");
  auto store = PostgresTransactionStore::Open(missing, {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("ndxp_no_such_database"));
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(missing, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

// ------------------------------------------------- without a server

TEST(PostgresTransactionStoreOptionsTest, BadOptionsAreInvalidArgument) {
  struct Case {
    const char* name;
    const char* conninfo;
    const char* time_zone;
    const char* replica;
    const char* want;
  } cases[] = {
      {"malformed connection string", "host", "Asia/Ho_Chi_Minh", "hub-1", "bad connection string"},
      {"unknown connection option", "hots=localhost", "Asia/Ho_Chi_Minh", "hub-1", "hots"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PostgresTransactionStore::Options options;
    options.time_zone = c.time_zone;
    options.replica = c.replica;
    auto store = PostgresTransactionStore::Open(c.conninfo, options);
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
    EXPECT_THAT(store.status().message(), HasSubstr(c.want));
  }
}

// Nothing listens on port 1: libpq's message says why, and the caller should
// try again later.
TEST(PostgresTransactionStoreOptionsTest, AnUnreachableServerIsUnavailable) {
  const std::string conninfo = "host=127.0.0.1 port=1 connect_timeout=5 user=ndxp";
  auto store = PostgresTransactionStore::Open(conninfo, {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_THAT(store.status().message(),
              AllOf(HasSubstr("cannot connect"), HasSubstr("127.0.0.1"), HasSubstr("port 1")));
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

}  // namespace
}  // namespace ndxp::gateway
