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
#include "gateway/recording/sqlite_transaction_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kZeroHashHex[] = "0000000000000000000000000000000000000000000000000000000000000000";

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

// ---- plain SQL through libpq, independent of the store

using Rows = std::vector<std::vector<std::string>>;

struct FinishConn {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, FinishConn>;

Conn ConnectPlain(const std::string& conninfo) {
  Conn conn(PQconnectdb(conninfo.c_str()));
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  // "... does not exist, skipping" and the like: not worth the test log.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

// Runs `sql` (one or more statements) and returns the last one's rows as text.
Rows Query(const std::string& conninfo, const std::string& sql) {
  Rows rows;
  Conn conn = ConnectPlain(conninfo);
  if (PQstatus(conn.get()) != CONNECTION_OK) return rows;
  PGresult* result = PQexec(conn.get(), sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
      << sql << ": " << PQresultErrorMessage(result);
  for (int row = 0; row < PQntuples(result); ++row) {
    std::vector<std::string> values;
    for (int column = 0; column < PQnfields(result); ++column) {
      values.emplace_back(PQgetvalue(result, row, column));
    }
    rows.push_back(std::move(values));
  }
  PQclear(result);
  return rows;
}

void ExecSql(const std::string& conninfo, const std::string& sql) { Query(conninfo, sql); }

// `conninfo` (a string or a URI) with its dbname replaced by `dbname`.
std::string WithDatabase(const std::string& conninfo, const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  EXPECT_NE(options, nullptr) << (error != nullptr ? error : "");
  PQfreemem(error);
  std::string out;
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::string(o->keyword) == "dbname") continue;
    absl::StrAppend(&out, o->keyword, "='",
                    absl::StrReplaceAll(o->val, {{"\\", "\\\\"}, {"'", "\\'"}}), "' ");
  }
  PQconninfoFree(options);
  absl::StrAppend(&out, "dbname=", dbname);
  return out;
}

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
  *os << "{" << r.day << ", " << r.consumer << ", " << r.provider << ", " << r.service << ", "
      << r.method << ", " << r.status_code << ", count " << r.count << "}";
}

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
    const char* base = std::getenv("NDXP_TEST_POSTGRES");
    if (base == nullptr || *base == '\0') {
      GTEST_SKIP() << "NDXP_TEST_POSTGRES is not set: run under scripts/with-postgres, e.g. "
                      "scripts/with-postgres build/bin/postgres_store_tests";
    }
    base_ = base;
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string full_name = absl::StrCat(test->test_suite_name(), ".", test->name());
    // Identifiers are at most 63 bytes: a readable prefix and a hash of the rest.
    db_name_ = absl::StrFormat("ndxp_t_%s_%06x",
                               absl::AsciiStrToLower(std::string(test->name()).substr(0, 48)),
                               std::hash<std::string>()(full_name) & 0xffffff);
    for (char& c : db_name_) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
    }
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

TEST_F(PostgresTransactionStoreTest, AppendWritesAuditRowsAndCounters) {
  std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->database(), HasSubstr(db_name_));
  const int64_t noon = UtcMicros(2026, 3, 2, 5, 0, 0);  // 12:00 in Hanoi
  const std::vector<TransactionRecord> batch = {
      MakeRecord(noon, "r-1"),
      MakeRecord(noon + 1, "r-2"),  // same counter key as r-1
      MakeRecord(noon + 2, "r-3", "000.00.00.G12/tax-lookup", /*status_code=*/7),
  };
  ASSERT_TRUE(store->Append(batch).ok());
  EXPECT_EQ(store->last_seq(), 3);

  // Every column of the first row.
  const Rows first =
      Query(conninfo_,
            "SELECT replica, seq, time_micros, request_id, consumer, provider, service, method, "
            "status_code, latency_micros, request_bytes, response_bytes, purpose, "
            "encode(prev_hash, 'hex'), encode(hash, 'hex') FROM audit_log WHERE id = 1");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_THAT(
      first[0],
      ElementsAre("hub-1", "1", absl::StrCat(noon), "r-1", "000.00.00.G12/tax-lookup",
                  "000.00.00.H49", "ndxp.residents.v1.ResidentRegistry", "GetCitizen", "0", "1500",
                  "42", "512", "tax audit", kZeroHashHex,
                  absl::BytesToHexString(AuditHash(std::string(kAuditHashSize, '\0'),
                                                   EncodeAuditRecord("hub-1", 1, batch[0])))));

  const std::vector<AuditRow> audit = ReadAudit(conninfo_);
  ASSERT_EQ(audit.size(), 3u);
  const std::vector<std::string> chain = ExpectedChain("hub-1", batch);
  for (size_t i = 0; i < audit.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(audit[i].replica, "hub-1");
    EXPECT_EQ(audit[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(audit[i].request_id, batch[i].request_id);
    EXPECT_EQ(audit[i].prev_hash_hex, i == 0 ? kZeroHashHex : audit[i - 1].hash_hex);
    EXPECT_EQ(audit[i].hash_hex, chain[i]);
  }

  const CounterRow ok_row{"2026-03-02",
                          "000.00.00.G12/tax-lookup",
                          "000.00.00.H49",
                          "ndxp.residents.v1.ResidentRegistry",
                          "GetCitizen",
                          0,
                          2};
  CounterRow denied_row = ok_row;
  denied_row.status_code = 7;
  denied_row.count = 1;
  EXPECT_THAT(ReadCounters(conninfo_), ElementsAre(ok_row, denied_row));

  // A later batch adds to the same counter.
  ASSERT_TRUE(store->Append({MakeRecord(noon + 3, "r-4")}).ok());
  CounterRow ok_row3 = ok_row;
  ok_row3.count = 3;
  EXPECT_THAT(ReadCounters(conninfo_), ElementsAre(ok_row3, denied_row));

  std::string report;
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, AllOf(HasSubstr(db_name_), HasSubstr("4 rows in 1 replica chain(s)"),
                            HasSubstr("replica hub-1: 4 rows, seq 1..4, head ")));
}

TEST_F(PostgresTransactionStoreTest, EmptyBatchWritesNothing) {
  std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Append({}).ok());
  EXPECT_EQ(store->last_seq(), 0);
  EXPECT_TRUE(ReadAudit(conninfo_).empty());
  std::string report;
  EXPECT_TRUE(PostgresTransactionStore::VerifyAuditChain(conninfo_, &report).ok());
  EXPECT_THAT(report, HasSubstr("no rows"));
}

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

TEST_F(PostgresTransactionStoreTest, CountersUseTheLocalDay) {
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
      {"new year in Hanoi, still old year in UTC", "Asia/Ho_Chi_Minh",
       UtcMicros(2026, 12, 31, 17, 0, 0), "2027-01-01"},
      {"the zone is configurable: UTC", "UTC", UtcMicros(2026, 6, 30, 23, 30, 0), "2026-06-30"},
      {"before 1970", "Asia/Ho_Chi_Minh", UtcMicros(1969, 12, 31, 17, 0, 0), "1970-01-01"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExecSql(conninfo_, "DROP TABLE IF EXISTS audit_log, counters");
    PostgresTransactionStore::Options options;
    options.time_zone = c.time_zone;
    std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_, options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(c.time_micros, "r")}).ok());
    const std::vector<CounterRow> counters = ReadCounters(conninfo_);
    ASSERT_EQ(counters.size(), 1u);
    EXPECT_EQ(counters[0].day, c.want_day);
    EXPECT_EQ(counters[0].count, 1);
  }
}

TEST_F(PostgresTransactionStoreTest, OneBatchAcrossMidnightCountsOnBothDays) {
  std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
  ASSERT_NE(store, nullptr);
  const int64_t midnight = UtcMicros(2026, 6, 30, 17, 0, 0);
  ASSERT_TRUE(store
                  ->Append({MakeRecord(midnight - 1, "a"), MakeRecord(midnight, "b"),
                            MakeRecord(midnight + 1, "c")})
                  .ok());
  const std::vector<CounterRow> counters = ReadCounters(conninfo_);
  ASSERT_EQ(counters.size(), 2u);
  EXPECT_EQ(counters[0].day, "2026-06-30");
  EXPECT_EQ(counters[0].count, 1);
  EXPECT_EQ(counters[1].day, "2026-07-01");
  EXPECT_EQ(counters[1].count, 2);
}

// ------------------------------------------------------------------ chain

TEST_F(PostgresTransactionStoreTest, ChainSurvivesReopen) {
  {
    std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(1, "a"), MakeRecord(2, "b")}).ok());
  }
  const std::string head_hex = ReadAudit(conninfo_).back().hash_hex;
  {
    std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->last_seq(), 2);
    ASSERT_TRUE(store->Append({MakeRecord(3, "c"), MakeRecord(4, "d")}).ok());
    EXPECT_EQ(store->last_seq(), 4);
  }
  const std::vector<AuditRow> audit = ReadAudit(conninfo_);
  EXPECT_THAT(SeqsOf(audit, "hub-1"), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(audit[2].prev_hash_hex, head_hex);
  std::string report;
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr(absl::StrCat("replica hub-1: 4 rows, seq 1..4, head ",
                                             audit.back().hash_hex)));
}

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

TEST_F(PostgresTransactionStoreTest, TamperingIsDetected) {
  struct Case {
    const char* name;
    const char* sql;
    const char* want;  // a substring of the DATA_LOSS message
  } cases[] = {
      {"a row's status code changed", "UPDATE audit_log SET status_code = 7 WHERE seq = 3",
       "replica hub-1, seq 3, id 3: hash mismatch: row was modified"},
      {"a row's purpose changed", "UPDATE audit_log SET purpose = 'x' WHERE seq = 1",
       "replica hub-1, seq 1, id 1: hash mismatch: row was modified"},
      {"a middle row deleted", "DELETE FROM audit_log WHERE seq = 3",
       "replica hub-1, seq 4, id 4: seq 3 missing: a row was deleted"},
      {"two rows deleted", "DELETE FROM audit_log WHERE seq IN (2, 3)",
       "replica hub-1, seq 4, id 4: seq 2 to 3 missing: rows were deleted"},
      {"the first row deleted", "DELETE FROM audit_log WHERE seq = 1",
       "replica hub-1, seq 2, id 2: seq 1 missing: a row was deleted"},
      {"the last row's hash changed",
       "UPDATE audit_log SET hash = decode(repeat('00', 32), 'hex') WHERE seq = 5",
       "replica hub-1, seq 5, id 5: hash mismatch: row was modified"},
      {"a middle row's hash changed",
       "UPDATE audit_log SET hash = decode(repeat('00', 32), 'hex') WHERE seq = 2",
       "replica hub-1, seq 2, id 2: hash mismatch"},
      {"a prev_hash relinked",
       "UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE seq = 1) "
       "WHERE seq = 4",
       "replica hub-1, seq 4, id 4: prev_hash does not match row 3"},
      {"the first row's prev_hash changed",
       "UPDATE audit_log SET prev_hash = decode(repeat('01', 32), 'hex') WHERE seq = 1",
       "replica hub-1, seq 1, id 1: prev_hash of the first row is not 32 zero bytes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExecSql(conninfo_, "DROP TABLE IF EXISTS audit_log, counters");
    {
      std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
      ASSERT_NE(store, nullptr);
      std::vector<TransactionRecord> batch;
      for (int i = 1; i <= 5; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
      ASSERT_TRUE(store->Append(batch).ok());
    }
    ASSERT_TRUE(PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr).ok());
    ExecSql(conninfo_, c.sql);
    std::string report = "untouched";
    absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, &report);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_THAT(status.message(), HasSubstr(c.want));
    EXPECT_THAT(status.message(),
                HasSubstr(absl::StrCat("audit chain broken in postgres ", db_name_, " on ")));
    EXPECT_EQ(report, "untouched");
  }
}

// A forger who knows the encoding rewrites a row and gives it a correct new
// hash: the next row's prev_hash still names the old one.
TEST_F(PostgresTransactionStoreTest, ARehashedRowBreaksTheNextLink) {
  std::vector<TransactionRecord> batch;
  for (int i = 1; i <= 3; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
  {
    std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(batch).ok());
  }
  const std::vector<AuditRow> audit = ReadAudit(conninfo_);
  TransactionRecord forged = batch[1];
  forged.consumer = "000.00.00.G99/someone-else";
  const std::string forged_hash =
      AuditHash(absl::HexStringToBytes(audit[0].hash_hex), EncodeAuditRecord("hub-1", 2, forged));
  ExecSql(conninfo_,
          absl::StrCat("UPDATE audit_log SET consumer = '", forged.consumer, "', hash = '\\x",
                       absl::BytesToHexString(forged_hash), "'::bytea WHERE seq = 2"));
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(),
              HasSubstr("replica hub-1, seq 3, id 3: prev_hash does not match row 2"));
}

// ------------------------------------------------------------- replicas

TEST_F(PostgresTransactionStoreTest, TwoReplicasShareOneDatabase) {
  std::unique_ptr<PostgresTransactionStore> hub1 = OpenStore(conninfo_, ForReplica("hub-1"));
  std::unique_ptr<PostgresTransactionStore> hub2 = OpenStore(conninfo_, ForReplica("hub-2"));
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

  const std::vector<AuditRow> audit = ReadAudit(conninfo_);
  EXPECT_THAT(SeqsOf(audit, "hub-1"), ElementsAre(1, 2, 3));
  EXPECT_THAT(SeqsOf(audit, "hub-2"), ElementsAre(1, 2, 3, 4, 5, 6));
  // Both replicas' calls merge into one counter.
  const std::vector<CounterRow> counters = ReadCounters(conninfo_);
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].count, 9);

  std::string report;
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, AllOf(HasSubstr("9 rows in 2 replica chain(s)"),
                            HasSubstr("replica hub-1: 3 rows, seq 1..3"),
                            HasSubstr("replica hub-2: 6 rows, seq 1..6")));

  // Tampering with one replica's chain names that replica.
  ExecSql(conninfo_, "UPDATE audit_log SET latency_micros = 1 WHERE replica = 'hub-2' AND seq = 4");
  status = PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("replica hub-2, seq 4, id "));
}

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

TEST_F(PostgresTransactionStoreTest, TwoWritersOfOneReplicaCannotFork) {
  std::unique_ptr<PostgresTransactionStore> first = OpenStore(conninfo_);
  std::unique_ptr<PostgresTransactionStore> second = OpenStore(conninfo_);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->Append({MakeRecord(1, "a")}).ok());
  absl::Status status = second->Append({MakeRecord(2, "b")});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(status.message(), HasSubstr("replica hub-1"));
  EXPECT_EQ(second->last_seq(), 0);
  EXPECT_EQ(ReadAudit(conninfo_).size(), 1u);
  EXPECT_EQ(ReadCounters(conninfo_)[0].count, 1);
  EXPECT_TRUE(PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr).ok());
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

// A trigger installed behind the store's back makes one record of a batch
// fail; nothing of the batch may remain, and the store's chain head must not
// have moved.
TEST_F(PostgresTransactionStoreTest, FailedBatchKeepsNothing) {
  struct Case {
    const char* name;
    const char* table;
  } cases[] = {
      {"an audit insert fails", "audit_log"},
      {"the counter upsert fails", "counters"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExecSql(conninfo_, "DROP TABLE IF EXISTS audit_log, counters");
    std::unique_ptr<PostgresTransactionStore> store = OpenStore(conninfo_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(1, "first")}).ok());
    ExecSql(conninfo_,
            absl::StrCat("CREATE OR REPLACE FUNCTION poison() RETURNS trigger "
                         "LANGUAGE plpgsql AS $$ BEGIN "
                         "IF NEW.consumer = 'poison' THEN RAISE EXCEPTION 'injected failure'; "
                         "END IF; RETURN NEW; END $$; "
                         "CREATE TRIGGER poison BEFORE INSERT ON ",
                         c.table, " FOR EACH ROW EXECUTE FUNCTION poison()"));

    absl::Status status = store->Append(
        {MakeRecord(2, "good"), MakeRecord(3, "poison", "poison"), MakeRecord(4, "after")});
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(status.message(), HasSubstr("injected failure"));
    EXPECT_EQ(store->last_seq(), 1);
    const std::vector<AuditRow> audit = ReadAudit(conninfo_);
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].request_id, "first");
    const std::vector<CounterRow> counters = ReadCounters(conninfo_);
    ASSERT_EQ(counters.size(), 1u);
    EXPECT_EQ(counters[0].count, 1);

    // The store goes on from where the last commit left it.
    ExecSql(conninfo_, absl::StrCat("DROP TRIGGER poison ON ", c.table));
    ASSERT_TRUE(store->Append({MakeRecord(5, "retry")}).ok());
    EXPECT_THAT(SeqsOf(ReadAudit(conninfo_), "hub-1"), ElementsAre(1, 2));
    status = PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr);
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(store->reconnects(), 0);
  }
}

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

TEST_F(PostgresTransactionStoreTest, VerifyWithoutAnAuditLogIsNotFound) {
  absl::Status status = PostgresTransactionStore::VerifyAuditChain(conninfo_, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("no audit_log table"));
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
      {"unknown zone", "", "Mars/Olympus_Mons", "hub-1", "Mars/Olympus_Mons"},
      {"UTC offset is not a zone name", "", "+07:00", "hub-1", "+07:00"},
      {"empty replica", "", "Asia/Ho_Chi_Minh", "", "replica"},
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
