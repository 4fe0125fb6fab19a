#include "gateway/recording/sqlite_transaction_store.h"

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sqlite/sqlite.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

using ::ndxp::SqliteDatabase;
using ::ndxp::SqliteStatement;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kZeroHashHex[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

int64_t UtcMicros(int year, int month, int day, int hour, int minute, int second) {
  return absl::ToUnixMicros(absl::FromCivil(
      absl::CivilSecond(year, month, day, hour, minute, second), absl::UTCTimeZone()));
}

TransactionRecord MakeRecord(int64_t time_micros, std::string request_id,
                             std::string consumer = "000.00.00.G12/tax-lookup",
                             int status_code = 0) {
  TransactionRecord r;
  r.time_micros = time_micros;
  r.request_id = std::move(request_id);
  r.consumer = std::move(consumer);
  r.provider = "000.00.00.H49";
  r.service = "ndxp.residents.v1.ResidentRegistry";
  r.method = "GetCitizen";
  r.status_code = status_code;
  r.latency_micros = 1500;
  r.request_bytes = 42;
  r.response_bytes = 512;
  r.purpose = "tax audit";
  return r;
}

// ---- plain-SQL readers, independent of the store

struct CounterRow {
  std::string day, consumer, provider, service, method;
  int64_t status_code = 0;
  int64_t count = 0;
  auto Tie() const {
    return std::tie(day, consumer, provider, service, method, status_code, count);
  }
  bool operator==(const CounterRow& o) const { return Tie() == o.Tie(); }
};
void PrintTo(const CounterRow& r, std::ostream* os) {
  *os << "{" << r.day << ", " << r.consumer << ", " << r.provider << ", " << r.service
      << ", " << r.method << ", " << r.status_code << ", count " << r.count << "}";
}

struct AuditRow {
  int64_t id = 0;
  std::string replica;
  int64_t seq = 0;
  std::string request_id;
  std::string prev_hash_hex;  // lower-case hex
  std::string hash_hex;
};

std::unique_ptr<SqliteDatabase> OpenPlain(const std::string& path) {
  ::ndxp::SqliteOptions options;
  options.wal = false;
  auto db = SqliteDatabase::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

void ExecSql(const std::string& path, const std::string& sql) {
  std::unique_ptr<SqliteDatabase> db = OpenPlain(path);
  ASSERT_NE(db, nullptr);
  absl::Status status = db->Exec(sql);
  ASSERT_TRUE(status.ok()) << status;
}

std::vector<CounterRow> ReadCounters(const std::string& path) {
  std::vector<CounterRow> rows;
  std::unique_ptr<SqliteDatabase> db = OpenPlain(path);
  if (db == nullptr) return rows;
  auto stmt = db->Prepare(
      "SELECT day, consumer, provider, service, method, status_code, count FROM counters "
      "ORDER BY day, consumer, provider, service, method, status_code");
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  if (!stmt.ok()) return rows;
  for (;;) {
    absl::StatusOr<bool> has_row = stmt->Step();
    EXPECT_TRUE(has_row.ok()) << has_row.status();
    if (!has_row.ok() || !*has_row) break;
    CounterRow r;
    r.day = std::string(stmt->ColumnText(0));
    r.consumer = std::string(stmt->ColumnText(1));
    r.provider = std::string(stmt->ColumnText(2));
    r.service = std::string(stmt->ColumnText(3));
    r.method = std::string(stmt->ColumnText(4));
    r.status_code = stmt->ColumnInt64(5);
    r.count = stmt->ColumnInt64(6);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<AuditRow> ReadAudit(const std::string& path) {
  std::vector<AuditRow> rows;
  std::unique_ptr<SqliteDatabase> db = OpenPlain(path);
  if (db == nullptr) return rows;
  auto stmt = db->Prepare(
      "SELECT id, replica, seq, request_id, lower(hex(prev_hash)), lower(hex(hash)) "
      "FROM audit_log ORDER BY id");
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  if (!stmt.ok()) return rows;
  for (;;) {
    absl::StatusOr<bool> has_row = stmt->Step();
    EXPECT_TRUE(has_row.ok()) << has_row.status();
    if (!has_row.ok() || !*has_row) break;
    AuditRow r;
    r.id = stmt->ColumnInt64(0);
    r.replica = std::string(stmt->ColumnText(1));
    r.seq = stmt->ColumnInt64(2);
    r.request_id = std::string(stmt->ColumnText(3));
    r.prev_hash_hex = std::string(stmt->ColumnText(4));
    r.hash_hex = std::string(stmt->ColumnText(5));
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<int64_t> SeqsOf(const std::vector<AuditRow>& rows, const std::string& replica) {
  std::vector<int64_t> seqs;
  for (const AuditRow& r : rows) {
    if (r.replica == replica) seqs.push_back(r.seq);
  }
  return seqs;
}

class SqliteTransactionStoreTest : public ::testing::Test {
 protected:
  std::string DbPath(const std::string& name = "hub.db") const {
    return dir_.path() + "/" + name;
  }

  static std::unique_ptr<SqliteTransactionStore> OpenStore(
      const std::string& path, const SqliteTransactionStore::Options& options = {}) {
    auto store = SqliteTransactionStore::Open(path, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static SqliteTransactionStore::Options ForReplica(std::string replica) {
    SqliteTransactionStore::Options options;
    options.replica = std::move(replica);
    return options;
  }

  ndxp::testing::TempDir dir_;
};

// ---------------------------------------------------------------- encoding

TEST(AuditEncodingTest, LayoutIsPinned) {
  TransactionRecord r;
  r.status_code = -1;  // two's complement, widened to 8 bytes
  EXPECT_EQ(absl::BytesToHexString(EncodeAuditRecord("h", 1, r)),
            absl::StrCat("0000000d", absl::BytesToHexString("ndxp-audit-v1"),  // tag
                         "00000001", "68",                // replica "h"
                         "0000000000000001",              // seq
                         "0000000000000000",              // time_micros
                         "00000000", "00000000", "00000000", "00000000",
                         "00000000",                      // request_id..method
                         "ffffffffffffffff",              // status_code
                         "0000000000000000", "0000000000000000",
                         "0000000000000000",              // latency, request, response
                         "00000000"));                    // purpose
}

// Computed independently (Python hashlib/struct from the header's description);
// a change here breaks every auditor's re-implementation.
TEST(AuditEncodingTest, HashGoldenVectors) {
  TransactionRecord r;
  r.time_micros = UtcMicros(2026, 6, 30, 23, 30, 0);
  r.request_id = "r-1";
  r.consumer = "000.00.00.G12/tax-lookup";
  r.provider = "000.00.00.H49";
  r.service = "ndxp.residents.v1.ResidentRegistry";
  r.method = "GetCitizen";
  r.status_code = 5;
  r.latency_micros = 1234;
  r.request_bytes = 10;
  r.response_bytes = 20;
  r.purpose = "thu\xe1\xba\xbf";  // "thuế": UTF-8 bytes as they are
  const std::string encoding = EncodeAuditRecord("hub-1", 7, r);
  EXPECT_EQ(encoding.size(), 188u);

  std::string counting(kAuditHashSize, '\0');
  for (size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<char>(i);
  struct Case {
    std::string prev_hash;
    const char* want_hex;
  } cases[] = {
      {std::string(kAuditHashSize, '\0'),
       "89a5371361eddc38e66d31c38e3a4c2a728b1132df3affa34e8369fd8eec850c"},
      {counting, "a6a64f355bb59903ac83e0327ead93c4660038c192636c7a9ce28bece5f6ed53"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::BytesToHexString(c.prev_hash));
    EXPECT_EQ(absl::BytesToHexString(AuditHash(c.prev_hash, encoding)), c.want_hex);
  }
}

// ------------------------------------------------------------------ append

TEST_F(SqliteTransactionStoreTest, AppendWritesAuditRowsAndCounters) {
  const std::string path = DbPath();
  std::unique_ptr<SqliteTransactionStore> store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  const int64_t noon = UtcMicros(2026, 3, 2, 5, 0, 0);  // 12:00 in Hanoi
  const std::vector<TransactionRecord> batch = {
      MakeRecord(noon, "r-1"),
      MakeRecord(noon + 1, "r-2"),  // same counter key as r-1
      MakeRecord(noon + 2, "r-3", "000.00.00.G12/tax-lookup", /*status_code=*/7),
  };
  ASSERT_TRUE(store->Append(batch).ok());
  EXPECT_EQ(store->last_seq(), 3);

  // Every column of the first row.
  {
    std::unique_ptr<SqliteDatabase> db = OpenPlain(path);
    ASSERT_NE(db, nullptr);
    auto stmt = db->Prepare(
        "SELECT replica, seq, time_micros, request_id, consumer, provider, service, "
        "method, status_code, latency_micros, request_bytes, response_bytes, purpose, "
        "lower(hex(prev_hash)), lower(hex(hash)) FROM audit_log WHERE id = 1");
    ASSERT_TRUE(stmt.ok()) << stmt.status();
    ASSERT_TRUE(*stmt->Step());
    EXPECT_EQ(stmt->ColumnText(0), "hub-1");
    EXPECT_EQ(stmt->ColumnInt64(1), 1);
    EXPECT_EQ(stmt->ColumnInt64(2), noon);
    EXPECT_EQ(stmt->ColumnText(3), "r-1");
    EXPECT_EQ(stmt->ColumnText(4), "000.00.00.G12/tax-lookup");
    EXPECT_EQ(stmt->ColumnText(5), "000.00.00.H49");
    EXPECT_EQ(stmt->ColumnText(6), "ndxp.residents.v1.ResidentRegistry");
    EXPECT_EQ(stmt->ColumnText(7), "GetCitizen");
    EXPECT_EQ(stmt->ColumnInt64(8), 0);
    EXPECT_EQ(stmt->ColumnInt64(9), 1500);
    EXPECT_EQ(stmt->ColumnInt64(10), 42);
    EXPECT_EQ(stmt->ColumnInt64(11), 512);
    EXPECT_EQ(stmt->ColumnText(12), "tax audit");
    EXPECT_EQ(stmt->ColumnText(13), kZeroHashHex);
    EXPECT_EQ(stmt->ColumnText(14),
              absl::BytesToHexString(AuditHash(std::string(kAuditHashSize, '\0'),
                                               EncodeAuditRecord("hub-1", 1, batch[0]))));
    stmt->Reset();
    auto mode = db->Prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.ok());
    ASSERT_TRUE(*mode->Step());
    EXPECT_EQ(mode->ColumnText(0), "wal");
  }

  const std::vector<AuditRow> audit = ReadAudit(path);
  ASSERT_EQ(audit.size(), 3u);
  for (size_t i = 0; i < audit.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(audit[i].replica, "hub-1");
    EXPECT_EQ(audit[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(audit[i].request_id, batch[i].request_id);
    EXPECT_EQ(audit[i].prev_hash_hex, i == 0 ? kZeroHashHex : audit[i - 1].hash_hex);
  }

  const CounterRow ok_row{"2026-03-02", "000.00.00.G12/tax-lookup", "000.00.00.H49",
                          "ndxp.residents.v1.ResidentRegistry", "GetCitizen", 0, 2};
  CounterRow denied_row = ok_row;
  denied_row.status_code = 7;
  denied_row.count = 1;
  EXPECT_THAT(ReadCounters(path), ElementsAre(ok_row, denied_row));

  // A later batch adds to the same counter.
  ASSERT_TRUE(store->Append({MakeRecord(noon + 3, "r-4")}).ok());
  CounterRow ok_row3 = ok_row;
  ok_row3.count = 3;
  EXPECT_THAT(ReadCounters(path), ElementsAre(ok_row3, denied_row));

  std::string report;
  EXPECT_TRUE(SqliteTransactionStore::VerifyAuditChain(path, &report).ok());
  EXPECT_THAT(report, HasSubstr("replica hub-1: 4 rows, seq 1..4, head "));
}

TEST_F(SqliteTransactionStoreTest, EmptyBatchWritesNothing) {
  std::unique_ptr<SqliteTransactionStore> store = OpenStore(DbPath());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Append({}).ok());
  EXPECT_EQ(store->last_seq(), 0);
  EXPECT_TRUE(ReadAudit(DbPath()).empty());
  std::string report;
  EXPECT_TRUE(SqliteTransactionStore::VerifyAuditChain(DbPath(), &report).ok());
  EXPECT_THAT(report, HasSubstr("no rows"));
}

TEST_F(SqliteTransactionStoreTest, BothDurabilityModesCommit) {
  for (bool fsync : {true, false}) {
    SCOPED_TRACE(fsync);
    const std::string path = DbPath(fsync ? "full.db" : "normal.db");
    SqliteTransactionStore::Options options;
    options.fsync_each_commit = fsync;
    std::unique_ptr<SqliteTransactionStore> store = OpenStore(path, options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(0, "r-1")}).ok());
    EXPECT_EQ(ReadAudit(path).size(), 1u);
  }
}

// ------------------------------------------------------------- local days

TEST_F(SqliteTransactionStoreTest, CountersUseTheLocalDay) {
  struct Case {
    const char* name;
    const char* time_zone;
    int64_t time_micros;
    const char* want_day;
  } cases[] = {
      {"23:30 UTC on 30 June is 06:30 on 1 July in Hanoi", "Asia/Ho_Chi_Minh",
       UtcMicros(2026, 6, 30, 23, 30, 0), "2026-07-01"},
      {"16:59:59 UTC is 23:59:59 the same local day", "Asia/Ho_Chi_Minh",
       UtcMicros(2026, 6, 30, 16, 59, 59), "2026-06-30"},
      {"the last microsecond of the local day", "Asia/Ho_Chi_Minh",
       UtcMicros(2026, 6, 30, 17, 0, 0) - 1, "2026-06-30"},
      {"17:00:00 UTC is local midnight, the next day", "Asia/Ho_Chi_Minh",
       UtcMicros(2026, 6, 30, 17, 0, 0), "2026-07-01"},
      {"leap day begins at 17:00 UTC on 28 February", "Asia/Ho_Chi_Minh",
       UtcMicros(2028, 2, 28, 17, 0, 0), "2028-02-29"},
      {"leap day's last second", "Asia/Ho_Chi_Minh", UtcMicros(2028, 2, 29, 16, 59, 59),
       "2028-02-29"},
      {"the day after leap day", "Asia/Ho_Chi_Minh", UtcMicros(2028, 2, 29, 17, 0, 0),
       "2028-03-01"},
      {"new year in Hanoi, still old year in UTC", "Asia/Ho_Chi_Minh",
       UtcMicros(2026, 12, 31, 17, 0, 0), "2027-01-01"},
      {"the zone is configurable: UTC", "UTC", UtcMicros(2026, 6, 30, 23, 30, 0),
       "2026-06-30"},
      {"before 1970", "Asia/Ho_Chi_Minh", UtcMicros(1969, 12, 31, 17, 0, 0),
       "1970-01-01"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = DbPath(absl::StrCat("day-", n++, ".db"));
    SqliteTransactionStore::Options options;
    options.time_zone = c.time_zone;
    std::unique_ptr<SqliteTransactionStore> store = OpenStore(path, options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(c.time_micros, "r")}).ok());
    const std::vector<CounterRow> counters = ReadCounters(path);
    ASSERT_EQ(counters.size(), 1u);
    EXPECT_EQ(counters[0].day, c.want_day);
    EXPECT_EQ(counters[0].count, 1);
  }
}

TEST_F(SqliteTransactionStoreTest, OneBatchAcrossMidnightCountsOnBothDays) {
  std::unique_ptr<SqliteTransactionStore> store = OpenStore(DbPath());
  ASSERT_NE(store, nullptr);
  const int64_t midnight = UtcMicros(2026, 6, 30, 17, 0, 0);
  ASSERT_TRUE(store
                  ->Append({MakeRecord(midnight - 1, "a"), MakeRecord(midnight, "b"),
                            MakeRecord(midnight + 1, "c")})
                  .ok());
  const std::vector<CounterRow> counters = ReadCounters(DbPath());
  ASSERT_EQ(counters.size(), 2u);
  EXPECT_EQ(counters[0].day, "2026-06-30");
  EXPECT_EQ(counters[0].count, 1);
  EXPECT_EQ(counters[1].day, "2026-07-01");
  EXPECT_EQ(counters[1].count, 2);
}

// ------------------------------------------------------------------ chain

TEST_F(SqliteTransactionStoreTest, ChainSurvivesReopen) {
  const std::string path = DbPath();
  std::string head_hex;
  {
    std::unique_ptr<SqliteTransactionStore> store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(1, "a"), MakeRecord(2, "b")}).ok());
  }
  head_hex = ReadAudit(path).back().hash_hex;
  {
    std::unique_ptr<SqliteTransactionStore> store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->last_seq(), 2);
    ASSERT_TRUE(store->Append({MakeRecord(3, "c"), MakeRecord(4, "d")}).ok());
    EXPECT_EQ(store->last_seq(), 4);
  }
  const std::vector<AuditRow> audit = ReadAudit(path);
  EXPECT_THAT(SeqsOf(audit, "hub-1"), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(audit[2].prev_hash_hex, head_hex);
  std::string report;
  absl::Status status = SqliteTransactionStore::VerifyAuditChain(path, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr(absl::StrCat("replica hub-1: 4 rows, seq 1..4, head ",
                                             audit.back().hash_hex)));
}

TEST_F(SqliteTransactionStoreTest, TamperingIsDetected) {
  struct Case {
    const char* name;
    const char* sql;
    std::vector<std::string> want;  // substrings of the DATA_LOSS message
  } cases[] = {
      {"a row's status code changed",
       "UPDATE audit_log SET status_code = 7 WHERE seq = 3",
       {"replica hub-1, seq 3, id 3: hash mismatch: row was modified"}},
      {"a row's purpose changed", "UPDATE audit_log SET purpose = 'x' WHERE seq = 1",
       {"replica hub-1, seq 1, id 1: hash mismatch: row was modified"}},
      {"a middle row deleted", "DELETE FROM audit_log WHERE seq = 3",
       {"replica hub-1, seq 4, id 4: seq 3 missing: a row was deleted"}},
      {"two rows deleted", "DELETE FROM audit_log WHERE seq IN (2, 3)",
       {"replica hub-1, seq 4, id 4: seq 2 to 3 missing: rows were deleted"}},
      {"the first row deleted", "DELETE FROM audit_log WHERE seq = 1",
       {"replica hub-1, seq 2, id 2: seq 1 missing: a row was deleted"}},
      {"the last row's hash changed",
       "UPDATE audit_log SET hash = zeroblob(32) WHERE seq = 5",
       {"replica hub-1, seq 5, id 5: hash mismatch: row was modified"}},
      {"a middle row's hash changed",
       "UPDATE audit_log SET hash = zeroblob(32) WHERE seq = 2",
       {"replica hub-1, seq 2, id 2: hash mismatch"}},
      {"a prev_hash relinked",
       "UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE seq = 1) "
       "WHERE seq = 4",
       {"replica hub-1, seq 4, id 4: prev_hash does not match row 3"}},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = DbPath(absl::StrCat("tamper-", n++, ".db"));
    {
      std::unique_ptr<SqliteTransactionStore> store = OpenStore(path);
      ASSERT_NE(store, nullptr);
      std::vector<TransactionRecord> batch;
      for (int i = 1; i <= 5; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
      ASSERT_TRUE(store->Append(batch).ok());
    }
    ASSERT_TRUE(SqliteTransactionStore::VerifyAuditChain(path, nullptr).ok());
    ExecSql(path, c.sql);
    std::string report = "untouched";
    absl::Status status = SqliteTransactionStore::VerifyAuditChain(path, &report);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    for (const std::string& want : c.want) {
      EXPECT_THAT(status.message(), HasSubstr(want));
    }
    EXPECT_THAT(status.message(), HasSubstr(path));
    EXPECT_EQ(report, "untouched");
  }
}

// A forger who knows the encoding rewrites a row and gives it a correct new
// hash: the next row's prev_hash still names the old one.
TEST_F(SqliteTransactionStoreTest, ARehashedRowBreaksTheNextLink) {
  const std::string path = DbPath();
  std::vector<TransactionRecord> batch;
  for (int i = 1; i <= 3; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
  {
    std::unique_ptr<SqliteTransactionStore> store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(batch).ok());
  }
  const std::vector<AuditRow> audit = ReadAudit(path);
  TransactionRecord forged = batch[1];
  forged.consumer = "000.00.00.G99/someone-else";
  const std::string forged_hash = AuditHash(absl::HexStringToBytes(audit[0].hash_hex),
                                            EncodeAuditRecord("hub-1", 2, forged));
  ExecSql(path, absl::StrCat("UPDATE audit_log SET consumer = '", forged.consumer,
                             "', hash = X'", absl::BytesToHexString(forged_hash),
                             "' WHERE seq = 2"));
  absl::Status status = SqliteTransactionStore::VerifyAuditChain(path, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(),
              HasSubstr("replica hub-1, seq 3, id 3: prev_hash does not match row 2"));
}

TEST_F(SqliteTransactionStoreTest, TwoReplicasShareOneFile) {
  const std::string path = DbPath();
  std::unique_ptr<SqliteTransactionStore> hub1 = OpenStore(path, ForReplica("hub-1"));
  std::unique_ptr<SqliteTransactionStore> hub2 = OpenStore(path, ForReplica("hub-2"));
  ASSERT_NE(hub1, nullptr);
  ASSERT_NE(hub2, nullptr);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(hub1->Append({MakeRecord(10 * i, absl::StrCat("a-", i))}).ok());
    ASSERT_TRUE(hub2->Append({MakeRecord(10 * i + 1, absl::StrCat("b-", i)),
                              MakeRecord(10 * i + 2, absl::StrCat("c-", i))})
                    .ok());
  }
  EXPECT_EQ(hub1->last_seq(), 3);
  EXPECT_EQ(hub2->last_seq(), 6);

  const std::vector<AuditRow> audit = ReadAudit(path);
  EXPECT_THAT(SeqsOf(audit, "hub-1"), ElementsAre(1, 2, 3));
  EXPECT_THAT(SeqsOf(audit, "hub-2"), ElementsAre(1, 2, 3, 4, 5, 6));
  // Both replicas' calls merge into one counter.
  const std::vector<CounterRow> counters = ReadCounters(path);
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].count, 9);

  std::string report;
  absl::Status status = SqliteTransactionStore::VerifyAuditChain(path, &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, AllOf(HasSubstr("9 rows in 2 replica chain(s)"),
                            HasSubstr("replica hub-1: 3 rows, seq 1..3"),
                            HasSubstr("replica hub-2: 6 rows, seq 1..6")));

  // Tampering with one replica's chain names that replica.
  ExecSql(path, "UPDATE audit_log SET latency_micros = 1 WHERE replica = 'hub-2' AND seq = 4");
  status = SqliteTransactionStore::VerifyAuditChain(path, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("replica hub-2, seq 4, id "));
}

TEST_F(SqliteTransactionStoreTest, TwoWritersOfOneReplicaCannotFork) {
  const std::string path = DbPath();
  std::unique_ptr<SqliteTransactionStore> first = OpenStore(path);
  std::unique_ptr<SqliteTransactionStore> second = OpenStore(path);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->Append({MakeRecord(1, "a")}).ok());
  absl::Status status = second->Append({MakeRecord(2, "b")});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(second->last_seq(), 0);
  EXPECT_EQ(ReadAudit(path).size(), 1u);
  EXPECT_EQ(ReadCounters(path)[0].count, 1);
  EXPECT_TRUE(SqliteTransactionStore::VerifyAuditChain(path, nullptr).ok());
}

// ----------------------------------------------------------------- errors

// A trigger installed behind the store's back makes one record of a batch
// fail at a chosen step; nothing of the batch may remain, and the store's
// in-memory chain head must not have moved.
TEST_F(SqliteTransactionStoreTest, FailedBatchKeepsNothing) {
  struct Case {
    const char* name;
    const char* trigger;
  } cases[] = {
      {"the second audit insert fails",
       "CREATE TRIGGER poison BEFORE INSERT ON audit_log WHEN NEW.request_id = 'poison' "
       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"},
      {"the counter upsert fails after every audit row was inserted",
       "CREATE TRIGGER poison BEFORE INSERT ON counters WHEN NEW.consumer = 'poison' "
       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = DbPath(absl::StrCat("fail-", n++, ".db"));
    std::unique_ptr<SqliteTransactionStore> store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(1, "first")}).ok());
    ExecSql(path, c.trigger);

    absl::Status status =
        store->Append({MakeRecord(2, "good"), MakeRecord(3, "poison", "poison"),
                       MakeRecord(4, "after")});
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(status.message(), HasSubstr("injected failure"));
    EXPECT_EQ(store->last_seq(), 1);
    const std::vector<AuditRow> audit = ReadAudit(path);
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].request_id, "first");
    const std::vector<CounterRow> counters = ReadCounters(path);
    ASSERT_EQ(counters.size(), 1u);
    EXPECT_EQ(counters[0].count, 1);

    // The store goes on from where the last commit left it.
    ExecSql(path, "DROP TRIGGER poison");
    ASSERT_TRUE(store->Append({MakeRecord(5, "retry")}).ok());
    EXPECT_THAT(SeqsOf(ReadAudit(path), "hub-1"), ElementsAre(1, 2));
    status = SqliteTransactionStore::VerifyAuditChain(path, nullptr);
    EXPECT_TRUE(status.ok()) << status;
  }
}

TEST_F(SqliteTransactionStoreTest, BadOptionsAreInvalidArgument) {
  struct Case {
    const char* name;
    const char* time_zone;
    const char* replica;
    const char* want;
  } cases[] = {
      {"unknown zone", "Mars/Olympus_Mons", "hub-1", "Mars/Olympus_Mons"},
      {"UTC offset is not a zone name", "+07:00", "hub-1", "+07:00"},
      {"empty replica", "Asia/Ho_Chi_Minh", "", "replica"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SqliteTransactionStore::Options options;
    options.time_zone = c.time_zone;
    options.replica = c.replica;
    auto store = SqliteTransactionStore::Open(DbPath(), options);
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
    EXPECT_THAT(store.status().message(), HasSubstr(c.want));
  }
}

TEST_F(SqliteTransactionStoreTest, OpenInAMissingDirectoryIsUnavailable) {
  auto store = SqliteTransactionStore::Open(dir_.path() + "/no/such/dir/hub.db", {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
}

TEST_F(SqliteTransactionStoreTest, VerifyWithoutAnAuditLogIsNotFound) {
  ExecSql(DbPath("other.db"), "CREATE TABLE t (x)");
  struct Case {
    const char* name;
    std::string path;
    const char* want;
  } cases[] = {
      {"no file", DbPath("missing.db"), "no such file"},
      {"no audit_log table", DbPath("other.db"), "no audit_log table"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = SqliteTransactionStore::VerifyAuditChain(c.path, nullptr);
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
    EXPECT_THAT(status.message(), HasSubstr(c.want));
  }
}

}  // namespace
}  // namespace ndxp::gateway
