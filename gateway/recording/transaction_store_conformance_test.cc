// What every TransactionStore promises, run against each store: SQLite on a
// temporary file, PostgreSQL on a database of its own per case (skipped
// without NDXP_TEST_POSTGRES; run under scripts/with-postgres). A store's own
// behaviour (SQLite's journal modes, PostgreSQL's reconnects, concurrent
// replicas) stays in its own test file.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sqlite/sqlite.h"
#include "gateway/recording/audit_chain.h"
#include "gateway/recording/audit_tree.h"
#include "gateway/recording/audit_verification.h"
#include "gateway/recording/postgres/postgres_test_server.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/recording/test_records.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/merkle.h"
#include "gateway/transparency/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using Rows = std::vector<std::vector<std::string>>;

constexpr char kZeroHashHex[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

using testing::UtcMicros;
using testing::MakeRecord;

// ---- one store kind: how to make, open, verify and read a database

class StoreKind {
 public:
  virtual ~StoreKind() = default;
  // Why this store cannot run here, or "".
  virtual std::string SkipReason() const { return ""; }
  // A fresh, empty database for this case: its path or connection string.
  virtual std::string NewDatabase(const std::string& name) = 0;
  virtual absl::StatusOr<std::unique_ptr<TransactionStore>> Open(
      const std::string& database, const std::string& replica, const std::string& time_zone) = 0;
  virtual absl::Status Verify(const std::string& database, const AuditVerifyOptions& options,
                              std::string* report) = 0;
  // Plain SQL behind the store's back; text values.
  virtual Rows Query(const std::string& database, const std::string& sql) = 0;
  // SQL dialect: a BLOB/BYTEA column as lower-case hex, a hex literal.
  virtual std::string Hex(const std::string& column) const = 0;
  virtual std::string HexLiteral(const std::string& hex) const = 0;
  // Creates trigger "poison": an insert into `table` whose consumer is
  // 'poison' fails with "injected failure"; and drops it.
  virtual std::string PoisonTrigger(const std::string& table) const = 0;
  virtual std::string DropPoison(const std::string& table) const = 0;
  // Where a replica's checkpoint is kept, to tamper with it.
  virtual void ForgeCheckpoint(const std::string& database, const std::string& replica,
                               const std::function<std::string(std::string)>& edit) = 0;
  // The store's column types and table options, for kSchemaBeforeVia.
  virtual std::vector<std::pair<std::string, std::string>> Dialect() const = 0;
};

class SqliteKind final : public StoreKind {
 public:
  std::string NewDatabase(const std::string& name) override {
    return absl::StrCat(dir_.path(), "/", name, ".db");
  }
  absl::StatusOr<std::unique_ptr<TransactionStore>> Open(const std::string& database,
                                                         const std::string& replica,
                                                         const std::string& time_zone) override {
    SqliteTransactionStore::Options options;
    options.replica = replica;
    options.time_zone = time_zone;
    auto store = SqliteTransactionStore::Open(database, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<TransactionStore>(*std::move(store));
  }
  absl::Status Verify(const std::string& database, const AuditVerifyOptions& options,
                      std::string* report) override {
    return SqliteTransactionStore::VerifyAuditChain(database, options, report);
  }
  Rows Query(const std::string& database, const std::string& sql) override {
    Rows rows;
    ::ndxp::SqliteOptions options;
    options.wal = false;
    auto db = ::ndxp::SqliteDatabase::Open(database, options);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return rows;
    char* error = nullptr;
    // Every statement of `sql`; each row's values as text ("" for NULL).
    const int rc = sqlite3_exec(
        (*db)->handle(), sql.c_str(),
        [](void* out, int columns, char** values, char**) {
          std::vector<std::string> row;
          for (int i = 0; i < columns; ++i) row.emplace_back(values[i] ? values[i] : "");
          static_cast<Rows*>(out)->push_back(std::move(row));
          return 0;
        },
        &rows, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
    return rows;
  }
  std::string Hex(const std::string& column) const override {
    return absl::StrCat("lower(hex(", column, "))");
  }
  std::string HexLiteral(const std::string& hex) const override {
    return absl::StrCat("X'", hex, "'");
  }
  std::string PoisonTrigger(const std::string& table) const override {
    return absl::StrCat("CREATE TRIGGER poison BEFORE INSERT ON ", table,
                        " WHEN NEW.consumer = 'poison' "
                        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  std::string DropPoison(const std::string&) const override { return "DROP TRIGGER poison"; }
  void ForgeCheckpoint(const std::string& database, const std::string& replica,
                       const std::function<std::string(std::string)>& edit) override {
    const std::string path = CheckpointFilePath(database, replica);
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    std::ofstream(path, std::ios::trunc) << edit(text.str());
  }
  std::vector<std::pair<std::string, std::string>> Dialect() const override {
    return {{"$ID", "INTEGER PRIMARY KEY"},
            {"$INT64", "INTEGER"},
            {"$BYTES", "BLOB"},
            {"$WITHOUT_ROWID", " WITHOUT ROWID"},
            {"$CHECKPOINTS", ""}};
  }

 private:
  ::ndxp::testing::TempDir dir_;
};

class PostgresKind final : public StoreKind {
 public:
  ~PostgresKind() override {
    for (const std::string& name : databases_) {
      testing::ExecSql(server_, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
  std::string SkipReason() const override {
    return server_.empty() ? "NDXP_TEST_POSTGRES is not set: run under scripts/with-postgres"
                           : "";
  }
  std::string NewDatabase(const std::string& name) override {
    const std::string db = testing::DatabaseNameForTest(name);
    testing::ExecSql(server_, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    testing::ExecSql(server_, "CREATE DATABASE " + db);
    databases_.push_back(db);
    return testing::WithDatabase(server_, db);
  }
  absl::StatusOr<std::unique_ptr<TransactionStore>> Open(const std::string& database,
                                                         const std::string& replica,
                                                         const std::string& time_zone) override {
    PostgresTransactionStore::Options options;
    options.replica = replica;
    options.time_zone = time_zone;
    auto store = PostgresTransactionStore::Open(database, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<TransactionStore>(*std::move(store));
  }
  absl::Status Verify(const std::string& database, const AuditVerifyOptions& options,
                      std::string* report) override {
    return PostgresTransactionStore::VerifyAuditChain(database, options, report);
  }
  Rows Query(const std::string& database, const std::string& sql) override {
    return testing::Query(database, sql);
  }
  std::string Hex(const std::string& column) const override {
    return absl::StrCat("encode(", column, ", 'hex')");
  }
  std::string HexLiteral(const std::string& hex) const override {
    return absl::StrCat("decode('", hex, "', 'hex')");
  }
  std::string PoisonTrigger(const std::string& table) const override {
    return absl::StrCat(
        "CREATE OR REPLACE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.consumer = 'poison' THEN RAISE EXCEPTION 'injected failure'; "
        "END IF; RETURN NEW; END $$; CREATE TRIGGER poison BEFORE INSERT ON ",
        table, " FOR EACH ROW EXECUTE FUNCTION poison()");
  }
  std::string DropPoison(const std::string& table) const override {
    return absl::StrCat("DROP TRIGGER poison ON ", table);
  }
  void ForgeCheckpoint(const std::string& database, const std::string& replica,
                       const std::function<std::string(std::string)>& edit) override {
    const Rows rows = testing::Query(
        database,
        absl::StrCat("SELECT checkpoint FROM audit_checkpoints WHERE replica = '", replica, "'"));
    ASSERT_EQ(rows.size(), 1u);
    testing::ExecSql(database, absl::StrCat("UPDATE audit_checkpoints SET checkpoint = '",
                                            edit(rows[0][0]), "' WHERE replica = '", replica,
                                            "'"));
  }
  std::vector<std::pair<std::string, std::string>> Dialect() const override {
    return {{"$ID", "BIGSERIAL PRIMARY KEY"},
            {"$INT64", "BIGINT"},
            {"$BYTES", "BYTEA"},
            {"$WITHOUT_ROWID", ""},
            {"$CHECKPOINTS",
             "CREATE TABLE audit_checkpoints (replica TEXT PRIMARY KEY, "
             "checkpoint TEXT NOT NULL);"}};
  }

 private:
  const std::string server_ = testing::TestServer();
  std::vector<std::string> databases_;
};

struct CounterRow {
  std::string day, consumer, provider, service, method;
  int64_t status_code = 0;
  int64_t count = 0;
  std::string via = "";  // "" for direct calls
  std::string door = "grpc";
  auto Tie() const {
    return std::tie(day, consumer, provider, service, method, status_code, count, via, door);
  }
  bool operator==(const CounterRow& o) const { return Tie() == o.Tie(); }
};
void PrintTo(const CounterRow& r, std::ostream* os) {
  *os << "{" << r.day << ", " << r.consumer << ", " << r.provider << ", " << r.service << ", "
      << r.method << ", " << r.status_code << ", count " << r.count << ", via \"" << r.via
      << "\", door " << r.door << "}";
}

struct AuditRow {
  int64_t id = 0;
  std::string replica;
  int64_t seq = 0;
  std::string request_id;
  std::string prev_hash_hex;  // lower-case hex
  std::string hash_hex;
  std::string refusal;
  std::string via;
};

std::vector<int64_t> SeqsOf(const std::vector<AuditRow>& rows, const std::string& replica) {
  std::vector<int64_t> seqs;
  for (const AuditRow& r : rows) {
    if (r.replica == replica) seqs.push_back(r.seq);
  }
  return seqs;
}

using KindFactory = std::function<std::unique_ptr<StoreKind>()>;

class TransactionStoreConformanceTest : public ::testing::TestWithParam<KindFactory> {
 protected:
  void SetUp() override {
    kind_ = GetParam()();
    if (std::string reason = kind_->SkipReason(); !reason.empty()) GTEST_SKIP() << reason;
  }

  std::unique_ptr<TransactionStore> OpenStore(const std::string& database,
                                              const std::string& replica = "hub-1",
                                              const std::string& time_zone = "Asia/Ho_Chi_Minh") {
    auto store = kind_->Open(database, replica, time_zone);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Stores of replicas hub-1 and hub-2 on one database (null on failure).
  std::pair<std::unique_ptr<TransactionStore>, std::unique_ptr<TransactionStore>>
  OpenTwoReplicas(const std::string& database) {
    return {OpenStore(database, "hub-1"), OpenStore(database, "hub-2")};
  }

  absl::Status Verify(const std::string& database, std::string* report = nullptr,
                      const AuditVerifyOptions& options = {}) {
    return kind_->Verify(database, options, report);
  }

  std::vector<CounterRow> ReadCounters(const std::string& database,
                                       const std::string& table = "counters") {
    std::vector<CounterRow> out;
    for (const auto& row : kind_->Query(
             database, absl::StrCat("SELECT day, consumer, provider, service, method, "
                                    "status_code, count, via, door FROM ",
                                    table,
                                    " ORDER BY day, consumer, via, door, provider, service, "
                                    "method, status_code"))) {
      out.push_back(CounterRow{row[0], row[1], row[2], row[3], row[4],
                               std::strtoll(row[5].c_str(), nullptr, 10),
                               std::strtoll(row[6].c_str(), nullptr, 10), row[7], row[8]});
    }
    return out;
  }

  std::vector<AuditRow> ReadAudit(const std::string& database) {
    std::vector<AuditRow> out;
    for (const auto& row : kind_->Query(
             database, absl::StrCat("SELECT id, replica, seq, request_id, ",
                                    kind_->Hex("prev_hash"), ", ", kind_->Hex("hash"),
                                    ", refusal, via FROM audit_log ORDER BY id"))) {
      out.push_back(AuditRow{std::strtoll(row[0].c_str(), nullptr, 10), row[1],
                             std::strtoll(row[2].c_str(), nullptr, 10), row[3], row[4], row[5],
                             row[6], row[7]});
    }
    return out;
  }

  void Exec(const std::string& database, const std::string& sql) { kind_->Query(database, sql); }

  struct Tampering {
    std::string name;
    std::string sql;
    std::string want;  // a substring of the DATA_LOSS message
  };
  // For each case, a database of its own holding `batch`, verified, then
  // tampered with by the case's SQL: verifying it fails with DATA_LOSS
  // naming `want`, and leaves the report alone.
  void ExpectTamperingDetected(const std::vector<TransactionRecord>& batch,
                               const std::vector<Tampering>& cases) {
    int n = 0;
    for (const Tampering& c : cases) {
      SCOPED_TRACE(c.name);
      const std::string db = kind_->NewDatabase(absl::StrCat("tamper", n++));
      {
        std::unique_ptr<TransactionStore> store = OpenStore(db);
        ASSERT_NE(store, nullptr);
        ASSERT_TRUE(store->Append(batch).ok());
      }
      ASSERT_TRUE(Verify(db).ok());
      Exec(db, c.sql);
      std::string report = "untouched";
      absl::Status status = Verify(db, &report);
      EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
      EXPECT_THAT(status.message(), HasSubstr(c.want));
      EXPECT_EQ(report, "untouched");
    }
  }

  std::unique_ptr<StoreKind> kind_;
};

// ------------------------------------------------------------------ append

TEST_P(TransactionStoreConformanceTest, AppendWritesAuditRowsAndCounters) {
  const std::string db = kind_->NewDatabase("append");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const int64_t noon = UtcMicros(2026, 3, 2, 5, 0, 0);  // 12:00 in Hanoi
  const std::vector<TransactionRecord> batch = {
      MakeRecord(noon, "r-1"),
      MakeRecord(noon + 1, "r-2"),  // same counter key as r-1
      MakeRecord(noon + 2, "r-3", "000.00.00.G12/tax-lookup", /*status_code=*/7),
  };
  ASSERT_TRUE(store->Append(batch).ok());
  EXPECT_EQ(store->Head().seq, 3);

  // Every column of the first row.
  const Rows first = kind_->Query(
      db, absl::StrCat("SELECT replica, seq, time_micros, request_id, consumer, provider, "
                       "service, method, status_code, latency_micros, request_bytes, "
                       "response_bytes, purpose, refusal, via, ",
                       kind_->Hex("prev_hash"), ", ", kind_->Hex("hash"),
                       " FROM audit_log WHERE seq = 1"));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_THAT(first[0],
              ElementsAre("hub-1", "1", absl::StrCat(noon), "r-1", "000.00.00.G12/tax-lookup",
                          "000.00.00.H49", "ndxp.residents.v1.ResidentRegistry", "GetCitizen",
                          "0", "1500", "42", "512", "tax audit", "", "", kZeroHashHex,
                          absl::BytesToHexString(AuditHash(
                              ZeroAuditHash(), EncodeAuditRecord("hub-1", 1, batch[0])))));

  const std::vector<AuditRow> audit = ReadAudit(db);
  ASSERT_EQ(audit.size(), 3u);
  std::string prev = ZeroAuditHash();
  for (size_t i = 0; i < audit.size(); ++i) {
    SCOPED_TRACE(i);
    prev = AuditHash(prev, EncodeAuditRecord("hub-1", static_cast<int64_t>(i + 1), batch[i]));
    EXPECT_EQ(audit[i].replica, "hub-1");
    EXPECT_EQ(audit[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(audit[i].request_id, batch[i].request_id);
    EXPECT_EQ(audit[i].prev_hash_hex, i == 0 ? kZeroHashHex : audit[i - 1].hash_hex);
    EXPECT_EQ(audit[i].hash_hex, absl::BytesToHexString(prev));
  }
  EXPECT_EQ(store->Head().hash, prev);

  const CounterRow ok_row{"2026-03-02", "000.00.00.G12/tax-lookup", "000.00.00.H49",
                          "ndxp.residents.v1.ResidentRegistry", "GetCitizen", 0, 2};
  CounterRow denied_row = ok_row;
  denied_row.status_code = 7;
  denied_row.count = 1;
  EXPECT_THAT(ReadCounters(db), ElementsAre(ok_row, denied_row));

  // A later batch adds to the same counter, and says where its row is: the
  // receipt's seq and leaf hash (RFC 9162: SHA-256(0x00 || encoding)).
  const TransactionRecord fourth = MakeRecord(noon + 3, "r-4");
  std::vector<AppendedRow> appended;
  ASSERT_TRUE(store->Append({fourth}, &appended).ok());
  ASSERT_EQ(appended.size(), 1u);
  EXPECT_EQ(appended[0].seq, 4);
  EXPECT_EQ(appended[0].leaf_hash,
            transparency::LeafHash(EncodeAuditRecord("hub-1", 4, fourth)));
  CounterRow ok_row3 = ok_row;
  ok_row3.count = 3;
  EXPECT_THAT(ReadCounters(db), ElementsAre(ok_row3, denied_row));

  std::string report;
  absl::Status status = Verify(db, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, AllOf(HasSubstr("4 rows in 1 replica chain(s)"),
                            HasSubstr("replica hub-1: 4 rows, seq 1..4, head "),
                            HasSubstr("counters reconciled")));
}

TEST_P(TransactionStoreConformanceTest, EmptyBatchWritesNothing) {
  const std::string db = kind_->NewDatabase("empty");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Append({}).ok());
  EXPECT_EQ(store->Head().seq, 0);
  EXPECT_EQ(store->Head().hash, ZeroAuditHash());
  EXPECT_TRUE(ReadAudit(db).empty());
  std::string report;
  EXPECT_TRUE(Verify(db, &report).ok());
  EXPECT_THAT(report, HasSubstr("no rows"));
}

// A refused call is a row of the same chain, marked and encoded as refused,
// and counts apart from forwarded calls.
TEST_P(TransactionStoreConformanceTest, RefusedCallsAreChainedAndCountedApart) {
  const std::string db = kind_->NewDatabase("refused");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const int64_t noon = UtcMicros(2026, 3, 2, 5, 0, 0);
  TransactionRecord refused = MakeRecord(noon + 1, "r-2", "000.00.00.G99/stranger", 7);
  refused.refusal = "spiffe://ndxp.gov.vn/agency/000.00.00.G99/stranger is not granted ...";
  ASSERT_TRUE(store->Append({MakeRecord(noon, "r-1"), refused}).ok());

  const std::vector<AuditRow> audit = ReadAudit(db);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].refusal, "");
  EXPECT_EQ(audit[1].refusal, refused.refusal);
  EXPECT_EQ(audit[1].hash_hex,
            absl::BytesToHexString(AuditHash(absl::HexStringToBytes(audit[0].hash_hex),
                                             EncodeAuditRecord("hub-1", 2, refused))));
  EXPECT_THAT(ReadCounters(db), ElementsAre(CounterRow{"2026-03-02", "000.00.00.G12/tax-lookup",
                                                       "000.00.00.H49",
                                                       "ndxp.residents.v1.ResidentRegistry",
                                                       "GetCitizen", 0, 1}));
  EXPECT_THAT(ReadCounters(db, "refused_counters"),
              ElementsAre(CounterRow{"2026-03-02", "000.00.00.G99/stranger", "000.00.00.H49",
                                     "ndxp.residents.v1.ResidentRegistry", "GetCitizen", 7, 1}));
  EXPECT_TRUE(Verify(db).ok());

  // Blanking the reason turns the row into a forwarded call's: its hash breaks.
  Exec(db, "UPDATE audit_log SET refusal = '' WHERE seq = 2");
  absl::Status status = Verify(db);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr("seq 2, id "));
}

// A refusal summary (v4) stands for `repeat` refused calls: the counters add
// them all and reconcile, and each v4 field is covered by the hash.
TEST_P(TransactionStoreConformanceTest, ARefusalSummaryCountsItsRepeats) {
  const std::string db = kind_->NewDatabase("summary");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const int64_t noon = UtcMicros(2026, 3, 2, 5, 0, 0);
  TransactionRecord first = MakeRecord(noon, "r-1", "000.00.00.G99/stranger", 7);
  first.refusal = "not granted";
  first.refusal_kind = Refusal::kPermissionDenied;
  TransactionRecord summary = first;
  summary.time_micros = noon + 10;
  summary.request_id = "";
  summary.row_kind = RowKind::kRefusalSummary;
  summary.repeat = 4999;
  ASSERT_TRUE(store->Append({first, summary}).ok());
  EXPECT_THAT(ReadCounters(db, "refused_counters"),
              ElementsAre(CounterRow{"2026-03-02", "000.00.00.G99/stranger", "000.00.00.H49",
                                     "ndxp.residents.v1.ResidentRegistry", "GetCitizen", 7,
                                     5000}));
  std::string report;
  absl::Status status = Verify(db, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr("counters reconciled"));

  int n = 0;
  for (const char* tamper :
       {"repeat_count = 1", "row_kind = 'call'", "door = 'rest'", "refusal_kind = 'unimplemented'",
        "subjects = 'ab'", "subject_key_id = 'k'", "visible_after = 1", "encoding = 0"}) {
    SCOPED_TRACE(tamper);
    const std::string copy = kind_->NewDatabase(absl::StrCat("summary", n++));
    std::unique_ptr<TransactionStore> other = OpenStore(copy);
    ASSERT_TRUE(other->Append({first, summary}).ok());
    Exec(copy, absl::StrCat("UPDATE audit_log SET ", tamper, " WHERE seq = 2"));
    status = Verify(copy);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_THAT(status.message(), HasSubstr("seq 2, id "));
  }
}

// ------------------------------------------------------------ via a peer hub

constexpr char kProvinceHub[] = "000.00.00.H11/lgsp";
constexpr char kCommune[] = "000.11.01.H11/commune-office";

TransactionRecord Through(TransactionRecord record, const std::string& via) {
  record.via = via;
  return record;
}

// Calls of one province agency, two through its province's hub, one direct,
// and one refused through the hub, at noon in Hanoi on 2026-03-02.
std::vector<TransactionRecord> ProvinceCalls() {
  const int64_t noon = UtcMicros(2026, 3, 2, 5, 0, 0);
  TransactionRecord refused = Through(MakeRecord(noon + 3, "r-4", kCommune, 7), kProvinceHub);
  refused.refusal = "spiffe://ndxp.gov.vn/agency/000.11.01.H11/commune-office is not granted";
  return {Through(MakeRecord(noon, "r-1", kCommune), kProvinceHub),
          Through(MakeRecord(noon + 1, "r-2", kCommune), kProvinceHub),
          MakeRecord(noon + 2, "r-3", kCommune), refused};
}

CounterRow CommuneCounter(int64_t status_code, int64_t count, std::string via) {
  return CounterRow{"2026-03-02", kCommune, "000.00.00.H49", "ndxp.residents.v1.ResidentRegistry",
                    "GetCitizen", status_code, count, std::move(via)};
}

// A call that came through a peer hub is a row of the same chain naming the
// peer (encoded v3, so the peer is covered by the hash), counted apart from
// the same consumer's direct calls; refused ones too.
TEST_P(TransactionStoreConformanceTest, CallsThroughAPeerHubKeepTheirVia) {
  const std::string db = kind_->NewDatabase("via");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const std::vector<TransactionRecord> batch = ProvinceCalls();
  ASSERT_TRUE(store->Append(batch).ok());

  const std::vector<AuditRow> audit = ReadAudit(db);
  ASSERT_EQ(audit.size(), 4u);
  std::string prev = ZeroAuditHash();
  for (size_t i = 0; i < audit.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(audit[i].via, batch[i].via);
    EXPECT_EQ(audit[i].refusal, batch[i].refusal);
    prev = AuditHash(prev, EncodeAuditRecord("hub-1", static_cast<int64_t>(i + 1), batch[i]));
    EXPECT_EQ(audit[i].hash_hex, absl::BytesToHexString(prev));
  }
  EXPECT_THAT(ReadCounters(db), ElementsAre(CommuneCounter(0, 1, ""),
                                            CommuneCounter(0, 2, kProvinceHub)));
  EXPECT_THAT(ReadCounters(db, "refused_counters"),
              ElementsAre(CommuneCounter(7, 1, kProvinceHub)));
  std::string report;
  absl::Status status = Verify(db, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr("counters reconciled"));
}

TEST_P(TransactionStoreConformanceTest, TamperingWithViaIsDetected) {
  ExpectTamperingDetected(ProvinceCalls(), {
      {"a call through the peer made direct", "UPDATE audit_log SET via = '' WHERE seq = 1",
       "replica hub-1, seq 1, id 1: hash mismatch: row was modified"},
      {"a direct call given a peer", "UPDATE audit_log SET via = 'x' WHERE seq = 3",
       "replica hub-1, seq 3, id 3: hash mismatch: row was modified"},
      {"a refused call's peer changed", "UPDATE audit_log SET via = 'x' WHERE seq = 4",
       "replica hub-1, seq 4, id 4: hash mismatch: row was modified"},
      {"a counter moved to another peer",
       "UPDATE counters SET via = '000.00.00.H22/lgsp' WHERE via <> ''",
       absl::StrCat("consumer ", kCommune, " via 000.00.00.H22/lgsp, method "
                    "ndxp.residents.v1.ResidentRegistry/GetCitizen, status OK: counters say 2, "
                    "audit rows 0")},
      {"a refused counter made direct", "UPDATE refused_counters SET via = ''",
       absl::StrCat("consumer ", kCommune, ", method ndxp.residents.v1.ResidentRegistry/"
                    "GetCitizen, status PERMISSION_DENIED (refused): counters say 1, audit "
                    "rows 0")},
  });
}

// The tables as hubs made them before via was recorded (the same in both
// stores but for the $-names, which StoreKind::Dialect() fills in; both
// counter tables have the same columns).
constexpr char kSchemaBeforeVia[] = R"sql(
CREATE TABLE audit_log (
  id $ID,
  replica TEXT NOT NULL,
  seq $INT64 NOT NULL,
  time_micros $INT64 NOT NULL,
  request_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  latency_micros $INT64 NOT NULL,
  request_bytes $INT64 NOT NULL,
  response_bytes $INT64 NOT NULL,
  purpose TEXT NOT NULL,
  prev_hash $BYTES NOT NULL,
  hash $BYTES NOT NULL,
  refusal TEXT NOT NULL DEFAULT '',
  UNIQUE (replica, seq));
CREATE TABLE counters $COUNTER_COLUMNS;
CREATE TABLE refused_counters $COUNTER_COLUMNS;
$CHECKPOINTS
)sql";
constexpr char kCounterColumnsBeforeVia[] = R"sql((
  day TEXT NOT NULL,
  consumer TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  count $INT64 NOT NULL,
  PRIMARY KEY (day, consumer, provider, service, method, status_code))$WITHOUT_ROWID)sql";

// The counter tables as hubs made them after via and before door was a key.
constexpr char kCounterColumnsBeforeDoor[] = R"sql((
  day TEXT NOT NULL,
  consumer TEXT NOT NULL,
  via TEXT NOT NULL DEFAULT '',
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  count $INT64 NOT NULL,
  PRIMARY KEY (day, consumer, via, provider, service, method, status_code))$WITHOUT_ROWID)sql";

// Writes `db` as an earlier hub did, with `counter_columns` for its counter
// tables: a forwarded and a refused direct call chained as it chained them,
// and their counters. Returns the chain's head hash; `leaves`, if not null,
// gets the rows' leaf hashes (of their v1–v3 encodings).
std::string WriteEarlierHubDatabase(StoreKind& kind, const std::string& db,
                                    const char* counter_columns,
                                    std::vector<transparency::Hash>* leaves = nullptr) {
  const std::string schema =
      absl::StrReplaceAll(kSchemaBeforeVia, {{"$COUNTER_COLUMNS", counter_columns}});
  kind.Query(db, absl::StrReplaceAll(schema, kind.Dialect()));
  std::vector<TransactionRecord> old_calls = ProvinceCalls();
  old_calls = {old_calls[2], old_calls[3]};
  old_calls[1].via = "";  // before via, the refused call came directly
  std::string prev = ZeroAuditHash();
  for (size_t i = 0; i < old_calls.size(); ++i) {
    const TransactionRecord& r = old_calls[i];
    const std::string encoding =
        EncodeAuditRecord("hub-1", static_cast<int64_t>(i + 1), r, AuditEncoding::kLegacy);
    const std::string hash = AuditHash(prev, encoding);
    if (leaves != nullptr) leaves->push_back(transparency::LeafHash(encoding));
    kind.Query(db, absl::StrCat(
                 "INSERT INTO audit_log (replica, seq, time_micros, request_id, consumer, "
                 "provider, service, method, status_code, latency_micros, request_bytes, "
                 "response_bytes, purpose, prev_hash, hash, refusal) VALUES ('hub-1', ",
                 i + 1, ", ", r.time_micros, ", '", r.request_id, "', '", r.consumer, "', '",
                 r.provider, "', '", r.service, "', '", r.method, "', ", r.status_code, ", ",
                 r.latency_micros, ", ", r.request_bytes, ", ", r.response_bytes, ", '",
                 r.purpose, "', ", kind.HexLiteral(absl::BytesToHexString(prev)), ", ",
                 kind.HexLiteral(absl::BytesToHexString(hash)), ", '", r.refusal, "')"));
    prev = hash;
  }
  for (const char* table : {"counters", "refused_counters"}) {
    kind.Query(db, absl::StrCat("INSERT INTO ", table,
                                " (day, consumer, provider, service, method, status_code, "
                                "count) VALUES ('2026-03-02', '",
                                kCommune, "', '000.00.00.H49', "
                                "'ndxp.residents.v1.ResidentRegistry', 'GetCitizen', ",
                                table == std::string("counters") ? 0 : 7, ", 1)"));
  }
  return prev;
}

// A database an earlier hub wrote (its tables, a forwarded and a refused row
// chained as it chained them, their counters) verifies as it is; it opens,
// keeps its chain and counts (as direct calls'), takes calls through a peer
// hub, and opens again afterwards.
TEST_P(TransactionStoreConformanceTest, ADatabaseFromBeforeViaIsUpgradedOnOpen) {
  const std::string db = kind_->NewDatabase("before_via");
  const std::string prev = WriteEarlierHubDatabase(*kind_, db, kCounterColumnsBeforeVia);
  // Verified as it is, before any hub upgrades it (a backup, say).
  std::string report;
  absl::Status status = Verify(db, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, AllOf(HasSubstr("2 rows in 1 replica chain(s)"),
                            HasSubstr("counters reconciled")));

  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->Head().seq, 2);
    EXPECT_EQ(store->Head().hash, prev);
    const std::vector<TransactionRecord> calls = ProvinceCalls();
    ASSERT_TRUE(store->Append(calls).ok());
  }
  status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(ReadCounters(db), ElementsAre(CommuneCounter(0, 2, ""),
                                            CommuneCounter(0, 2, kProvinceHub)));
  EXPECT_THAT(ReadCounters(db, "refused_counters"),
              ElementsAre(CommuneCounter(7, 1, ""), CommuneCounter(7, 1, kProvinceHub)));
  const std::vector<AuditRow> audit = ReadAudit(db);
  ASSERT_EQ(audit.size(), 6u);
  EXPECT_EQ(audit[0].via, "");
  EXPECT_EQ(audit[1].via, "");
  EXPECT_EQ(audit[2].via, kProvinceHub);

  std::unique_ptr<TransactionStore> reopened = OpenStore(db);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->Head().seq, 6);
  ASSERT_TRUE(reopened->Append({ProvinceCalls()[0]}).ok());
  EXPECT_THAT(ReadCounters(db), ElementsAre(CommuneCounter(0, 2, ""),
                                            CommuneCounter(0, 3, kProvinceHub)));
  status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
}

// ------------------------------------------------------------ Merkle tree

// Records of every kind the tree must hold: calls, refusals, refusal
// summaries and operator lookups, one per `n`; every fifth names a data
// subject (its batch also indexes subjects).
TransactionRecord TreeRecord(int64_t n) {
  TransactionRecord record = MakeRecord(UtcMicros(2026, 3, 2, 5, 0, 0) + n, absl::StrCat("t-", n));
  if (n % 5 == 0) {
    record.subject_key_id = "k1";
    record.subjects = {absl::StrCat(std::string(60, 'a'), absl::Hex(n % 4096, absl::kZeroPad4))};
  }
  switch (n % 4) {
    case 1:
      record.refusal = "not granted";
      record.refusal_kind = Refusal::kPermissionDenied;
      record.status_code = 7;
      break;
    case 2:
      record.refusal = "not granted";
      record.refusal_kind = Refusal::kPermissionDenied;
      record.status_code = 7;
      record.request_id = "";
      record.row_kind = RowKind::kRefusalSummary;
      record.repeat = 1 + n;
      break;
    case 3:
      record.row_kind = RowKind::kOperatorLookup;
      break;
    default:
      break;
  }
  return record;
}

// Appends `count` TreeRecords from `first` on, in batches of sizes that
// cross tile boundaries in every way; adds each row's leaf hash (as Append
// reports it) to `leaves`.
void AppendTreeRecords(TransactionStore& store, int64_t first, int64_t count,
                       std::vector<transparency::Hash>& leaves) {
  constexpr int64_t kBatchSizes[] = {1, 7, 50, 255, 3, 256, 2, 257, 100, 1, 31};
  int64_t n = first;
  for (size_t b = 0; n < first + count; ++b) {
    const int64_t size = std::min(kBatchSizes[b % std::size(kBatchSizes)], first + count - n);
    std::vector<TransactionRecord> batch;
    for (int64_t i = 0; i < size; ++i) batch.push_back(TreeRecord(n + i));
    std::vector<AppendedRow> appended;
    absl::Status status = store.Append(batch, &appended);
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_EQ(appended.size(), batch.size());
    for (const AppendedRow& row : appended) {
      ASSERT_EQ(row.seq, static_cast<int64_t>(leaves.size()) + 1);
      leaves.push_back(row.leaf_hash);
    }
    n += size;
  }
}

// The root of the tree of the first `size` of `leaves`, as MemoryTileStore
// computes it.
transparency::Hash MemoryRoot(const std::vector<transparency::Hash>& leaves, int64_t size) {
  transparency::MemoryTileStore tree;
  EXPECT_TRUE(tree.Append(absl::MakeConstSpan(leaves).first(static_cast<size_t>(size))).ok());
  absl::StatusOr<transparency::Hash> root = transparency::TreeRoot(size, tree);
  EXPECT_TRUE(root.ok()) << root.status();
  return root.ok() ? *root : transparency::Hash{};
}

// `store`'s tree of `replica` holds `leaves`: its head (when it is the
// writer's), its root at several sizes, the inclusion of every leaf and the
// consistency of every pair of those sizes, all checked by the verifiers.
void ExpectTreeHolds(TransactionStore& store, const std::string& replica,
                     const std::vector<transparency::Hash>& leaves, bool writer = true) {
  const int64_t n = static_cast<int64_t>(leaves.size());
  if (writer) {
    absl::StatusOr<AuditTreeHead> head = store.TreeHead();
    ASSERT_TRUE(head.ok()) << head.status();
    EXPECT_EQ(head->size, n);
    EXPECT_EQ(transparency::HashHex(head->root), transparency::HashHex(MemoryRoot(leaves, n)));
  }
  std::vector<int64_t> sizes;
  for (int64_t size : {int64_t{1}, int64_t{255}, int64_t{256}, int64_t{257}, int64_t{600}, n}) {
    if (size <= n && (sizes.empty() || sizes.back() < size)) sizes.push_back(size);
  }
  std::vector<transparency::Hash> roots;
  for (int64_t size : sizes) {
    SCOPED_TRACE(absl::StrCat("tree size ", size));
    absl::StatusOr<transparency::Hash> root = store.AuditTreeRoot(replica, size);
    ASSERT_TRUE(root.ok()) << root.status();
    EXPECT_EQ(transparency::HashHex(*root), transparency::HashHex(MemoryRoot(leaves, size)));
    roots.push_back(*root);
    std::vector<int64_t> indexes(static_cast<size_t>(size));
    for (int64_t i = 0; i < size; ++i) indexes[static_cast<size_t>(i)] = i;
    absl::StatusOr<std::vector<std::vector<transparency::Hash>>> proofs =
        store.InclusionProofs(replica, indexes, size);
    ASSERT_TRUE(proofs.ok()) << proofs.status();
    ASSERT_EQ(proofs->size(), indexes.size());
    int failures = 0;
    for (int64_t i = 0; i < size && failures < 3; ++i) {
      absl::Status verified = transparency::VerifyInclusion(
          leaves[static_cast<size_t>(i)], i, size, (*proofs)[static_cast<size_t>(i)], *root);
      EXPECT_TRUE(verified.ok()) << "leaf " << i << ": " << verified;
      if (!verified.ok()) ++failures;
    }
  }
  for (size_t a = 0; a < sizes.size(); ++a) {
    for (size_t b = a; b < sizes.size(); ++b) {
      SCOPED_TRACE(absl::StrCat("consistency ", sizes[a], " -> ", sizes[b]));
      absl::StatusOr<std::vector<transparency::Hash>> proof =
          store.ConsistencyProof(replica, sizes[a], sizes[b]);
      ASSERT_TRUE(proof.ok()) << proof.status();
      absl::Status verified =
          transparency::VerifyConsistency(sizes[a], sizes[b], roots[a], roots[b], *proof);
      EXPECT_TRUE(verified.ok()) << verified;
    }
  }
}

// 1,000 rows of every kind in batches of varied sizes: the store's tree is
// the one a MemoryTileStore builds from the same leaf hashes, and proves
// every row's inclusion and the consistency of its past sizes.
TEST_P(TransactionStoreConformanceTest, TheAuditTreeHoldsEveryRowAndProvesIt) {
  const std::string db = kind_->NewDatabase("tree");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<AuditTreeHead> empty = store->TreeHead();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->size, 0);
  EXPECT_EQ(empty->root, transparency::EmptyTreeRoot());

  std::vector<transparency::Hash> leaves;
  AppendTreeRecords(*store, 0, 1000, leaves);
  ASSERT_EQ(leaves.size(), 1000u);
  ExpectTreeHolds(*store, "hub-1", leaves);
  // Only full tiles are stored: 3 of level 0 for 1,000 rows.
  EXPECT_THAT(kind_->Query(db,
                           "SELECT level, tile_index FROM audit_tiles ORDER BY level, "
                           "tile_index"),
              ElementsAre(ElementsAre("0", "0"), ElementsAre("0", "1"), ElementsAre("0", "2")));
  // Beyond the log there is no tree.
  EXPECT_EQ(store->AuditTreeRoot("hub-1", 1001).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->InclusionProofs("hub-1", {1000}, 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
}

// A store reopened loads its right edge back (from the rows past the last
// full tile): the same head, and the tree goes on as if never closed.
TEST_P(TransactionStoreConformanceTest, AReopenedStoreKeepsExtendingItsTree) {
  const std::string db = kind_->NewDatabase("tree_reopen");
  std::vector<transparency::Hash> leaves;
  for (int64_t rows : {300, 212, 1}) {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    absl::StatusOr<AuditTreeHead> head = store->TreeHead();
    ASSERT_TRUE(head.ok()) << head.status();
    EXPECT_EQ(head->size, static_cast<int64_t>(leaves.size()));
    EXPECT_EQ(head->root, MemoryRoot(leaves, static_cast<int64_t>(leaves.size())));
    AppendTreeRecords(*store, static_cast<int64_t>(leaves.size()), rows, leaves);
  }
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  ExpectTreeHolds(*store, "hub-1", leaves);
}

// Replicas writing one database keep a tree each, and either reads both.
TEST_P(TransactionStoreConformanceTest, TwoReplicasKeepSeparateTrees) {
  const std::string db = kind_->NewDatabase("tree_replicas");
  auto [hub1, hub2] = OpenTwoReplicas(db);
  ASSERT_NE(hub1, nullptr);
  ASSERT_NE(hub2, nullptr);
  std::vector<transparency::Hash> leaves1, leaves2;
  for (int round = 0; round < 3; ++round) {
    AppendTreeRecords(*hub1, static_cast<int64_t>(leaves1.size()), 150, leaves1);
    AppendTreeRecords(*hub2, 10000 + static_cast<int64_t>(leaves2.size()), 110, leaves2);
  }
  ASSERT_NE(leaves1.front(), leaves2.front());
  ExpectTreeHolds(*hub1, "hub-1", leaves1);
  ExpectTreeHolds(*hub2, "hub-2", leaves2);
  ExpectTreeHolds(*hub1, "hub-2", leaves2, /*writer=*/false);
  EXPECT_EQ(hub1->AuditTreeRoot("hub-3", 1).status().code(), absl::StatusCode::kNotFound);
}

// Whose a row is and its leaf (what an inclusion proof's caller is checked
// against), and the signed checkpoints of each replica's tree: the largest
// kept is the latest, the same size's note replaced (more cosignatures),
// each replica's apart, kept across a reopen.
TEST_P(TransactionStoreConformanceTest, RowsLeavesAndTreeCheckpointsAreReadBack) {
  const std::string db = kind_->NewDatabase("tree_checkpoints");
  auto [hub1, hub2] = OpenTwoReplicas(db);
  ASSERT_NE(hub1, nullptr);
  ASSERT_NE(hub2, nullptr);
  const TransactionRecord record = MakeRecord(UtcMicros(2026, 3, 2, 5, 0, 0), "r-1");
  std::vector<AppendedRow> appended;
  ASSERT_TRUE(hub1->Append({record}, &appended).ok());
  absl::StatusOr<TransactionStore::AuditLeaf> leaf = hub2->ReadAuditLeaf("hub-1", 1);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  EXPECT_EQ(leaf->consumer, record.consumer);
  EXPECT_EQ(leaf->leaf_hash, appended[0].leaf_hash);
  EXPECT_EQ(hub1->ReadAuditLeaf("hub-1", 2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(hub1->ReadAuditLeaf("hub-2", 1).status().code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(hub1->LatestTreeCheckpoint("hub-1").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(hub1->WriteTreeCheckpoint(5, "note at 5\n").ok());
  ASSERT_TRUE(hub1->WriteTreeCheckpoint(12, "note at 12\n").ok());
  ASSERT_TRUE(hub1->WriteTreeCheckpoint(9, "note at 9\n").ok());
  ASSERT_TRUE(hub1->WriteTreeCheckpoint(12, "note at 12\n\n- cosigned\n").ok());
  ASSERT_TRUE(hub2->WriteTreeCheckpoint(3, "hub-2 at 3\n").ok());
  EXPECT_EQ(*hub2->LatestTreeCheckpoint("hub-1"), "note at 12\n\n- cosigned\n");
  EXPECT_EQ(*hub1->LatestTreeCheckpoint("hub-2"), "hub-2 at 3\n");
  hub1.reset();
  std::unique_ptr<TransactionStore> reopened = OpenStore(db, "hub-1");
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->LatestTreeCheckpoint("hub-1"), "note at 12\n\n- cosigned\n");
}

// Witnesses' cosignatures of the stored checkpoints: kept per (replica,
// size, witness key), one per witness (a repeat keeps it, a later time
// replaces it), appended to the note read back in witness key order, only
// the listed witnesses' counted and shown; a quorum picks the newest
// checkpoint that has it. A size never stored is NOT_FOUND. Kept across a
// reopen, and made in a database from before them.
TEST_P(TransactionStoreConformanceTest, CosignaturesAreKeptAndPublishedWithTheirCheckpoint) {
  const std::string db = kind_->NewDatabase("tree_cosignatures");
  auto [hub1, hub2] = OpenTwoReplicas(db);
  ASSERT_NE(hub1, nullptr);
  ASSERT_NE(hub2, nullptr);
  ASSERT_TRUE(hub1->WriteTreeCheckpoint(5, "note at 5\n\n— log AAAA\n").ok());
  ASSERT_TRUE(hub1->WriteTreeCheckpoint(9, "note at 9\n\n— log BBBB\n").ok());
  using Cosignature = TransactionStore::TreeCosignature;
  const Cosignature a5{"wit-a+0000000a", 100, "— wit-a A5"};
  const Cosignature b5{"wit-b+0000000b", 101, "— wit-b B5"};
  const Cosignature a9{"wit-a+0000000a", 102, "— wit-a A9"};
  const std::vector<std::string> both = {"wit-a+0000000a", "wit-b+0000000b"};

  EXPECT_EQ(hub1->AddTreeCosignatures("hub-1", 7, "note at 7\n", {a5}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(hub1->AddTreeCosignatures("hub-2", 5, "note at 5\n", {a5}).status().code(),
            absl::StatusCode::kNotFound);
  // Another checkpoint of a stored size (another root).
  absl::Status other = hub1->AddTreeCosignatures("hub-1", 5, "note at 9\n", {a5}).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kNotFound) << other;
  EXPECT_THAT(std::string(other.message()), HasSubstr("another root"));
  absl::StatusOr<std::vector<std::string>> kept =
      hub2->AddTreeCosignatures("hub-1", 5, "note at 5\n", {b5, a5});
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(*kept, UnorderedElementsAre("wit-a+0000000a", "wit-b+0000000b"));
  kept = hub2->AddTreeCosignatures("hub-1", 5, "note at 5\n", {a5});
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(*kept, IsEmpty());
  kept = hub2->AddTreeCosignatures("hub-1", 9, "note at 9\n", {a9});
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(*kept, ElementsAre("wit-a+0000000a"));

  absl::StatusOr<std::string> note = hub2->CosignedTreeCheckpoint("hub-1", both, 0);
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_EQ(*note, "note at 9\n\n— log BBBB\n— wit-a A9\n");
  EXPECT_EQ(*hub2->CosignedTreeCheckpoint("hub-1", both, 1), *note);
  EXPECT_EQ(*hub2->CosignedTreeCheckpoint("hub-1", both, 2),
            "note at 5\n\n— log AAAA\n— wit-a A5\n— wit-b B5\n");
  // A witness no longer listed is neither counted nor shown.
  const std::vector<std::string> only_b = {"wit-b+0000000b"};
  EXPECT_EQ(*hub2->CosignedTreeCheckpoint("hub-1", only_b, 0), "note at 9\n\n— log BBBB\n");
  EXPECT_EQ(*hub2->CosignedTreeCheckpoint("hub-1", only_b, 1),
            "note at 5\n\n— log AAAA\n— wit-b B5\n");
  EXPECT_EQ(hub2->CosignedTreeCheckpoint("hub-1", both, 3).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(hub2->CosignedTreeCheckpoint("hub-2", both, 0).status().code(),
            absl::StatusCode::kNotFound);

  // The same witness again at a later time replaces its line.
  const Cosignature later_a9{"wit-a+0000000a", 200, "— wit-a A9-later"};
  kept = hub2->AddTreeCosignatures("hub-1", 9, "note at 9\n", {later_a9});
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(*kept, ElementsAre("wit-a+0000000a"));
  kept = hub2->AddTreeCosignatures("hub-1", 9, "note at 9\n", {a9});
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(*kept, IsEmpty());
  // The recorder rewriting the note of a size keeps its cosignatures.
  ASSERT_TRUE(hub1->WriteTreeCheckpoint(9, "note at 9\n\n— log CCCC\n").ok());
  hub1.reset();
  std::unique_ptr<TransactionStore> reopened = OpenStore(db, "hub-1");
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->CosignedTreeCheckpoint("hub-1", both, 1),
            "note at 9\n\n— log CCCC\n— wit-a A9-later\n");
  // A note of that size with another text (another root: a rewritten
  // history) drops them: they cosigned the old text, not this one.
  ASSERT_TRUE(reopened->WriteTreeCheckpoint(5, "note at 5, again\n\n— log EEEE\n").ok());
  EXPECT_EQ(*reopened->CosignedTreeCheckpoint("hub-1", both, 0),
            "note at 9\n\n— log CCCC\n— wit-a A9-later\n");
  EXPECT_EQ(reopened->CosignedTreeCheckpoint("hub-1", both, 2).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(reopened->WriteTreeCheckpoint(5, "note at 5\n\n— log AAAA\n").ok());
  EXPECT_EQ(reopened->CosignedTreeCheckpoint("hub-1", both, 1)->substr(0, 10), "note at 9\n");

  reopened.reset();
  hub2.reset();
  Exec(db, "DROP TABLE audit_tree_cosignatures");
  reopened = OpenStore(db, "hub-1");
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->CosignedTreeCheckpoint("hub-1", both, 0), "note at 9\n\n— log CCCC\n");
  kept = reopened->AddTreeCosignatures("hub-1", 9, "note at 9\n", {a9});
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(*kept, ElementsAre("wit-a+0000000a"));
}

// audit verify reports each witness's largest cosigned tree size and when;
// given a witness's vkey it verifies that witness's stored cosignatures,
// and names the first that does not verify.
TEST_P(TransactionStoreConformanceTest, AuditVerifyReportsAndChecksWitnessesCosignatures) {
  const std::string db = kind_->NewDatabase("verify_cosignatures");
  std::unique_ptr<TransactionStore> store = OpenStore(db, "hub-1");
  ASSERT_NE(store, nullptr);
  std::vector<transparency::Hash> leaves;
  AppendTreeRecords(*store, 0, 3, leaves);
  const transparency::Ed25519NoteKey log_key =
      *transparency::Ed25519NoteKey::Generate("ndxp.example/audit");
  const transparency::Ed25519NoteKey witness_key = *transparency::Ed25519NoteKey::Generate(
      "ndxp.example/witness", transparency::kCosignatureV1Type);
  const transparency::Ed25519NoteKey other_key = *transparency::Ed25519NoteKey::Generate(
      "ndxp.example/other-witness", transparency::kCosignatureV1Type);
  const std::string witness = absl::StrCat(
      "ndxp.example/witness+", absl::Hex(witness_key.verifier_key().KeyId(), absl::kZeroPad8));
  const std::string other = absl::StrCat("ndxp.example/other-witness+",
                                         absl::Hex(other_key.verifier_key().KeyId(),
                                                   absl::kZeroPad8));
  // Checkpoints of sizes 2 and 3, the witness cosigning both, the other
  // witness the first.
  const int64_t time = 1800000000;  // 2027-01-15 08:00:00 UTC
  std::string line_at_3;
  for (int64_t size : {2, 3}) {
    const std::string text = *transparency::FormatCheckpoint(
        {"ndxp.example/audit/hub-1", size, *store->AuditTreeRoot("hub-1", size)});
    const transparency::Ed25519NoteSigner log = *transparency::Ed25519NoteSigner::Create(log_key);
    const std::string note = *transparency::SignNote(text, {&log});
    ASSERT_TRUE(store->WriteTreeCheckpoint(size, note).ok());
    std::vector<TransactionStore::TreeCosignature> cosignatures;
    for (const auto* key : {&witness_key, &other_key}) {
      if (size == 3 && key == &other_key) continue;
      const transparency::CosignatureSigner signer =
          *transparency::CosignatureSigner::Create(*key, [&] { return time + size; });
      const std::string cosigned = *transparency::AddNoteSignatures(note, {&signer});
      std::string line = cosigned.substr(note.size());
      line.pop_back();  // "\n"
      cosignatures.push_back({absl::StrCat(key->verifier_key().name, "+",
                                           absl::Hex(key->verifier_key().KeyId(), absl::kZeroPad8)),
                              time + size, line});
      if (size == 3) line_at_3 = line;
    }
    ASSERT_TRUE(store->AddTreeCosignatures("hub-1", size, text, cosignatures).ok());
  }
  store.reset();

  std::string report;
  absl::Status status = Verify(db, &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr(absl::StrCat("witness ", witness, " cosigned replica hub-1 up to "
                                             "tree size 3 at 2027-01-15 08:00:03 UTC (cosignatures "
                                             "not checked: no --witness-vkey)")));
  EXPECT_THAT(report, HasSubstr(absl::StrCat("witness ", other, " cosigned replica hub-1 up to "
                                             "tree size 2 at 2027-01-15 08:00:02 UTC")));
  AuditVerifyOptions options;
  options.witness_vkeys = {witness_key.verifier_key().Encode()};
  status = Verify(db, &report, options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr("up to tree size 3 at 2027-01-15 08:00:03 UTC (2 cosignature(s) "
                                "verified)"));

  // The witness's line at size 3 moved onto the checkpoint of size 2.
  Exec(db, absl::StrCat("UPDATE audit_tree_cosignatures SET line = '", line_at_3,
                        "' WHERE tree_size = 2 AND witness_key = '", witness, "'"));
  status = Verify(db, &report, options);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(absl::StrCat("replica hub-1's checkpoint of tree size 2: witness ",
                                     witness, ": its stored cosignature does not verify")));
  // Unchecked, it is only reported.
  EXPECT_TRUE(Verify(db, &report).ok());
}

// The rows a request id names (what proving a call by its request id reads):
// a replica's only, the consumer's only when one is given, in seq order, at
// most as many as asked, among the replica's newest rows of the window
// asked.
TEST_P(TransactionStoreConformanceTest, RowsAreFoundByTheirRequestId) {
  constexpr int64_t kWindow = TransactionStore::kRequestIdWindow;
  const std::string db = kind_->NewDatabase("request_rows");
  auto [hub1, hub2] = OpenTwoReplicas(db);
  ASSERT_NE(hub1, nullptr);
  ASSERT_NE(hub2, nullptr);
  const int64_t time = UtcMicros(2026, 3, 2, 5, 0, 0);
  const std::string tax = "000.00.00.G12/tax", lgsp = "000.00.00.H11/lgsp";
  std::vector<TransactionRecord> batch;
  batch.push_back(MakeRecord(time, "r-1", tax));          // seq 1
  batch.push_back(MakeRecord(time, "r-2", tax));          // seq 2
  batch.push_back(MakeRecord(time, "r-1", lgsp));         // seq 3
  batch.push_back(MakeRecord(time, "r-1", tax));          // seq 4
  for (int i = 0; i < 5; ++i) batch.push_back(MakeRecord(time, "again", lgsp));  // 5..9
  std::vector<AppendedRow> appended;
  ASSERT_TRUE(hub1->Append(batch, &appended).ok());
  ASSERT_TRUE(hub2->Append({MakeRecord(time, "r-1", tax)}).ok());

  auto seqs = [](const std::vector<TransactionStore::RequestRow>& rows) {
    std::vector<int64_t> out;
    for (const auto& row : rows) out.push_back(row.seq);
    return out;
  };
  absl::StatusOr<std::vector<TransactionStore::RequestRow>> rows =
      hub2->FindRequestRows("hub-1", "r-1", tax, 20, kWindow);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(seqs(*rows), ElementsAre(1, 4));
  EXPECT_EQ((*rows)[1].consumer, tax);
  EXPECT_EQ((*rows)[1].leaf_hash, appended[3].leaf_hash);
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-1", "r-1", "", 20, kWindow)),
              ElementsAre(1, 3, 4));
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-1", "r-1", lgsp, 20, kWindow)), ElementsAre(3));
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-2", "r-1", "", 20, kWindow)), ElementsAre(1));
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-1", "again", lgsp, 3, kWindow)),
              ElementsAre(5, 6, 7));
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-1", "r-9", "", 20, kWindow)), IsEmpty());
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-1", "r-2", lgsp, 20, kWindow)), IsEmpty());

  // Only the newest rows of the window: hub-1's 9 rows, a window of 3.
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-1", "r-1", "", 20, 3)), IsEmpty());
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-1", "again", "", 20, 3)), ElementsAre(7, 8, 9));
  EXPECT_THAT(seqs(*hub1->FindRequestRows("hub-1", "r-1", "", 20, 6)), ElementsAre(4));
}

// A batch that fails (a row refused by the database, or a tile it completes
// already there: a unique violation) keeps none of its rows nor tiles, and
// the tree stays as it was; the next batch goes on from it.
TEST_P(TransactionStoreConformanceTest, AFailedAppendLeavesTheTreeAsBefore) {
  const std::string db = kind_->NewDatabase("tree_fail");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  std::vector<transparency::Hash> leaves;
  AppendTreeRecords(*store, 0, 250, leaves);
  absl::StatusOr<AuditTreeHead> before = store->TreeHead();
  ASSERT_TRUE(before.ok()) << before.status();

  // Rows 251..260 would complete tile 0/0.
  std::vector<TransactionRecord> batch;
  for (int64_t n = 250; n < 260; ++n) batch.push_back(TreeRecord(n));
  batch[9].consumer = "poison";
  Exec(db, kind_->PoisonTrigger("audit_log"));
  EXPECT_FALSE(store->Append(batch).ok());
  Exec(db, kind_->DropPoison("audit_log"));

  batch[9] = TreeRecord(259);
  Exec(db, absl::StrCat("INSERT INTO audit_tiles (replica, level, tile_index, hashes) VALUES "
                        "('hub-1', 0, 0, ",
                        kind_->HexLiteral("00"), ")"));
  absl::Status status = store->Append(batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  Exec(db, "DELETE FROM audit_tiles");

  absl::StatusOr<AuditTreeHead> after = store->TreeHead();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->size, before->size);
  EXPECT_EQ(after->root, before->root);
  EXPECT_EQ(store->Head().seq, 250);
  EXPECT_EQ(ReadAudit(db).size(), 250u);

  AppendTreeRecords(*store, 250, 300, leaves);
  ExpectTreeHolds(*store, "hub-1", leaves);
  status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
}

// A database whose rows were written before the tree (here: its tiles
// dropped, or a build cut off after the first tile) gets its tree at open,
// the same as if it had been kept all along; summaries and operator lookups
// are leaves like every row.
TEST_P(TransactionStoreConformanceTest, ADatabaseFromBeforeTheTreeGetsItOnOpen) {
  const std::string db = kind_->NewDatabase("tree_before");
  std::vector<transparency::Hash> leaves;
  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    AppendTreeRecords(*store, 0, 700, leaves);
  }
  for (const char* before :
       {"DROP TABLE audit_tiles", "DELETE FROM audit_tiles WHERE level > 0 OR tile_index > 0"}) {
    SCOPED_TRACE(before);
    Exec(db, before);
    {
      std::unique_ptr<TransactionStore> store = OpenStore(db);
      ASSERT_NE(store, nullptr);
      ExpectTreeHolds(*store, "hub-1", leaves);
    }
    EXPECT_THAT(kind_->Query(db, "SELECT count(*) FROM audit_tiles"),
                ElementsAre(ElementsAre("2")));
  }
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  AppendTreeRecords(*store, 700, 100, leaves);
  ExpectTreeHolds(*store, "hub-1", leaves);
  absl::Status status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
}

// Rows an earlier hub wrote in their v1–v3 encodings are leaves of the tree
// as those encodings hash.
TEST_P(TransactionStoreConformanceTest, LegacyRowsAreLeavesAsTheyAreEncoded) {
  const std::string db = kind_->NewDatabase("tree_legacy");
  std::vector<transparency::Hash> leaves;
  WriteEarlierHubDatabase(*kind_, db, kCounterColumnsBeforeVia, &leaves);
  ASSERT_EQ(leaves.size(), 2u);
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  ExpectTreeHolds(*store, "hub-1", leaves);
  AppendTreeRecords(*store, 0, 300, leaves);
  ExpectTreeHolds(*store, "hub-1", leaves);
  store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  ExpectTreeHolds(*store, "hub-1", leaves);
}

// ------------------------------------------------------------ doors

TransactionRecord ThroughDoor(TransactionRecord record, Door door) {
  record.door = door;
  return record;
}

// The commune's calls of ProvinceCalls() made direct, a forwarded and the
// refused one of them in by the Connect door, the others by gRPC.
std::vector<TransactionRecord> CallsByDoor() {
  std::vector<TransactionRecord> calls = ProvinceCalls();
  for (TransactionRecord& call : calls) call.via = "";
  calls[1].door = Door::kConnect;
  calls[3].door = Door::kConnect;
  return calls;
}

CounterRow CommuneCounterByDoor(int64_t status_code, int64_t count, Door door) {
  CounterRow row = CommuneCounter(status_code, count, "");
  row.door = std::string(DoorName(door));
  return row;
}

// Calls that came in by another door are counted apart from the same
// consumer's gRPC calls, refused ones too, and reconcile with their rows.
// `ndxpctl audit verify` recomputes each replica's tree from its rows and
// checks every stored full tile against it, naming the tile (and for level
// 0 the row) that disagrees; tiles missing below stored ones, or stored for
// rows not in the log (of any replica), are named too.
TEST_P(TransactionStoreConformanceTest, TheVerifierChecksTheStoredTilesAgainstTheRows) {
  std::vector<TransactionRecord> batch;
  for (int64_t n = 0; n < 600; ++n) batch.push_back(TreeRecord(n));
  {
    const std::string db = kind_->NewDatabase("verify_tiles");
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(batch).ok());
    std::string report;
    absl::Status status = Verify(db, &report);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_THAT(report, AllOf(HasSubstr("tree of replica hub-1: 600 leaves, 2 full tiles agree "
                                        "with the rows, 0 tree checkpoints checked\n"),
                              HasSubstr("  0 tree checkpoints checked\n")));
  }
  ExpectTamperingDetected(
      batch,
      {
          {"a tile altered",
           "UPDATE audit_tiles SET hashes = (SELECT hashes FROM audit_tiles WHERE "
           "tile_index = 0) WHERE tile_index = 1",
           "replica hub-1: tile level 0 index 1 disagrees with the rows at leaf 256 (row seq "
           "257, id 257): the tile was altered, or the row edited after its leaf was tiled"},
          {"a tile deleted below another", "DELETE FROM audit_tiles WHERE tile_index = 0",
           "replica hub-1: tile level 0 index 1 is stored, but level-0 tile 0 below it is not"},
          {"a tile added beyond the rows",
           "INSERT INTO audit_tiles (replica, level, tile_index, hashes) SELECT replica, level, "
           "5, hashes FROM audit_tiles WHERE tile_index = 0",
           "replica hub-1: 3 tiles stored, but its 600 rows make 2 of them"},
          {"a tile of a replica without rows",
           "INSERT INTO audit_tiles (replica, level, tile_index, hashes) SELECT 'hub-9', level, "
           "0, hashes FROM audit_tiles WHERE tile_index = 0",
           "replica hub-9: 1 tiles stored, but its 0 rows make 0 of them"},
      });
  // The last tile dropped reads as a tree built up to there (a build cut off
  // at the hub's start resumes at its next).
  const std::string db = kind_->NewDatabase("verify_tiles_cut");
  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(batch).ok());
  }
  Exec(db, "DELETE FROM audit_tiles WHERE tile_index = 1");
  std::string report;
  absl::Status status = Verify(db, &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr("600 leaves, 1 full tile agrees with the rows (tiled up to leaf "
                                "256: the hub tiles the rest at its next start)"));
}

// A forger who rewrites the last row of a full tile with a correct new hash
// leaves the chain intact (no row follows it, no chain checkpoint here), but
// not the tile its leaf is in: the verifier names the row.
TEST_P(TransactionStoreConformanceTest, ARehashedRowIsCaughtByItsTile) {
  const std::string db = kind_->NewDatabase("rehash_tiled");
  std::vector<TransactionRecord> batch;
  for (int64_t n = 0; n < transparency::kTileWidth; ++n) batch.push_back(TreeRecord(4 * n));
  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(batch).ok());
  }
  const std::vector<AuditRow> audit = ReadAudit(db);
  ASSERT_EQ(audit.size(), 256u);
  TransactionRecord forged = batch.back();
  forged.consumer = "000.00.00.G99/someone-else";
  const std::string forged_hash = AuditHash(absl::HexStringToBytes(audit[254].hash_hex),
                                            EncodeAuditRecord("hub-1", 256, forged));
  Exec(db, absl::StrCat("UPDATE audit_log SET consumer = '", forged.consumer,
                        "', hash = ", kind_->HexLiteral(absl::BytesToHexString(forged_hash)),
                        " WHERE seq = 256"));
  absl::Status status = Verify(db);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(),
              HasSubstr("replica hub-1: tile level 0 index 0 disagrees with the rows at leaf "
                        "255 (row seq 256, id 256)"));
}

// Every signed tree checkpoint (audit_tree_checkpoints) must state the root
// the rows make at its size, be of the replica's log and, with --log-vkey,
// be signed by one of those keys (the old or the new during a rotation).
TEST_P(TransactionStoreConformanceTest, TheVerifierChecksSignedTreeCheckpoints) {
  const std::string db = kind_->NewDatabase("verify_tree_checkpoints");
  ::ndxp::testing::TempDir dir;
  absl::StatusOr<transparency::Ed25519NoteKey> key =
      transparency::Ed25519NoteKey::Generate("ndxp.example/audit");
  absl::StatusOr<transparency::Ed25519NoteKey> other =
      transparency::Ed25519NoteKey::Generate("ndxp.example/audit");
  ASSERT_TRUE(key.ok() && other.ok());
  auto vkey_file = [&](const std::string& name, const transparency::Ed25519NoteKey& k) {
    const std::string path = absl::StrCat(dir.path(), "/", name, ".vkey");
    std::ofstream(path) << k.verifier_key().Encode() << "\n";
    return path;
  };
  const std::string key_file = vkey_file("log", *key), other_file = vkey_file("other", *other);
  const std::string origin = "ndxp.example/audit/hub-1";
  auto sign = [&](int64_t size, const transparency::Hash& root,
                  const transparency::Ed25519NoteKey& k, const std::string& log = "") {
    absl::StatusOr<std::string> note =
        transparency::SignTreeCheckpoint(log.empty() ? origin : log, size, root, k);
    EXPECT_TRUE(note.ok()) << note.status();
    return note.ok() ? *note : "";
  };

  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->WriteTreeCheckpoint(0, sign(0, transparency::EmptyTreeRoot(), *key)).ok());
  std::vector<transparency::Hash> leaves;
  for (int64_t size : {100, 300}) {
    AppendTreeRecords(*store, static_cast<int64_t>(leaves.size()),
                      size - static_cast<int64_t>(leaves.size()), leaves);
    absl::StatusOr<AuditTreeHead> head = store->TreeHead();
    ASSERT_TRUE(head.ok()) << head.status();
    ASSERT_TRUE(store->WriteTreeCheckpoint(size, sign(size, head->root, *key)).ok());
  }
  AuditVerifyOptions with_key, with_both, with_other;
  with_key.log_vkey_files = {key_file};
  with_both.log_vkey_files = {other_file, key_file};
  with_other.log_vkey_files = {other_file};
  for (const AuditVerifyOptions& options : {with_key, with_both}) {
    std::string report;
    absl::Status status = Verify(db, &report, options);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_THAT(report,
                AllOf(HasSubstr("tree of replica hub-1: 300 leaves, 1 full tile agrees with "
                                "the rows, 3 tree checkpoints checked (newest: tree size 300)\n"),
                      HasSubstr("  3 tree checkpoints checked, each signed by a --log-vkey "
                                "key\n")));
  }
  std::string report;
  ASSERT_TRUE(Verify(db, &report).ok());
  EXPECT_THAT(report, HasSubstr("(newest: tree size 300), signatures not checked: no "
                                "--log-vkey"));
  absl::Status status = Verify(db, nullptr, with_other);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("replica hub-1: the signed tree checkpoint of size 0 is not signed by a "
                        "--log-vkey key"));
  AuditVerifyOptions unreadable;
  unreadable.log_vkey_files = {absl::StrCat(dir.path(), "/missing.vkey")};
  EXPECT_EQ(Verify(db, nullptr, unreadable).code(), absl::StatusCode::kInvalidArgument);

  absl::StatusOr<transparency::Hash> root_200 = store->AuditTreeRoot("hub-1", 200);
  ASSERT_TRUE(root_200.ok()) << root_200.status();
  struct Bad {
    std::string name;
    int64_t size;
    std::string note;
    std::string want;
  };
  const std::string root_200_hex = transparency::HashHex(*root_200);
  for (const Bad& bad : std::vector<Bad>{
           {"another root", 150, sign(150, *root_200, *key),
            absl::StrCat("the signed tree checkpoint of size 150 states root ", root_200_hex,
                         ", the rows make ")},
           {"beyond the rows", 301, sign(301, *root_200, *key),
            "the signed tree checkpoint of size 301 is beyond its 300 rows"},
           {"another log", 200, sign(200, *root_200, *key, "ndxp.example/audit/hub-2"),
            "the signed tree checkpoint of size 200 is of another log"},
           {"another size", 201, sign(200, *root_200, *key),
            "the signed tree checkpoint of size 201 states size 200"},
       }) {
    SCOPED_TRACE(bad.name);
    ASSERT_TRUE(store->WriteTreeCheckpoint(bad.size, bad.note).ok());
    status = Verify(db, nullptr, with_key);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("replica hub-1: ", bad.want)));
    Exec(db, absl::StrCat("DELETE FROM audit_tree_checkpoints WHERE tree_size = ", bad.size));
    ASSERT_TRUE(Verify(db, nullptr, with_key).ok());
  }
}

TEST_P(TransactionStoreConformanceTest, CallsAreCountedByDoor) {
  const std::string db = kind_->NewDatabase("doors");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append(CallsByDoor()).ok());
  EXPECT_THAT(ReadCounters(db), ElementsAre(CommuneCounterByDoor(0, 1, Door::kConnect),
                                            CommuneCounterByDoor(0, 2, Door::kGrpc)));
  EXPECT_THAT(ReadCounters(db, "refused_counters"),
              ElementsAre(CommuneCounterByDoor(7, 1, Door::kConnect)));
  std::string report;
  absl::Status status = Verify(db, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr("counters reconciled"));
}

TEST_P(TransactionStoreConformanceTest, ACountMovedBetweenDoorsIsDetected) {
  ExpectTamperingDetected(CallsByDoor(), {
      {"a Connect count moved to REST", "UPDATE counters SET door = 'rest' WHERE door = 'connect'",
       absl::StrCat("consumer ", kCommune, " door rest, method "
                    "ndxp.residents.v1.ResidentRegistry/GetCitizen, status OK: counters say 1, "
                    "audit rows 0")},
      {"a refused Connect count moved to gRPC", "UPDATE refused_counters SET door = 'grpc'",
       absl::StrCat("consumer ", kCommune, ", method ndxp.residents.v1.ResidentRegistry/"
                    "GetCitizen, status PERMISSION_DENIED (refused): counters say 1, audit "
                    "rows 0")},
  });
}

// A database from before the counters were keyed by door verifies as it is
// (its counts read as gRPC's), opens with its counts kept under door grpc,
// counts Connect calls apart, and still verifies and opens again.
TEST_P(TransactionStoreConformanceTest, ADatabaseFromBeforeDoorCountsItsHistoryAsGrpc) {
  const std::string db = kind_->NewDatabase("before_door");
  WriteEarlierHubDatabase(*kind_, db, kCounterColumnsBeforeDoor);
  std::string report;
  absl::Status status = Verify(db, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr("counters reconciled"));

  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->Head().seq, 2);
    EXPECT_THAT(ReadCounters(db), ElementsAre(CommuneCounterByDoor(0, 1, Door::kGrpc)));
    EXPECT_THAT(ReadCounters(db, "refused_counters"),
                ElementsAre(CommuneCounterByDoor(7, 1, Door::kGrpc)));
    ASSERT_TRUE(store->Append(CallsByDoor()).ok());
  }
  status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(ReadCounters(db), ElementsAre(CommuneCounterByDoor(0, 1, Door::kConnect),
                                            CommuneCounterByDoor(0, 3, Door::kGrpc)));
  EXPECT_THAT(ReadCounters(db, "refused_counters"),
              ElementsAre(CommuneCounterByDoor(7, 1, Door::kConnect),
                          CommuneCounterByDoor(7, 1, Door::kGrpc)));

  std::unique_ptr<TransactionStore> reopened = OpenStore(db);
  ASSERT_NE(reopened, nullptr);
  ASSERT_TRUE(reopened->Append({ThroughDoor(CallsByDoor()[0], Door::kConnect)}).ok());
  EXPECT_THAT(ReadCounters(db), ElementsAre(CommuneCounterByDoor(0, 2, Door::kConnect),
                                            CommuneCounterByDoor(0, 3, Door::kGrpc)));
  status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
}

// ------------------------------------------------------------- local days

TEST_P(TransactionStoreConformanceTest, CountersUseTheLocalDay) {
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
      {"the day after leap day", "Asia/Ho_Chi_Minh", UtcMicros(2028, 2, 29, 17, 0, 0),
       "2028-03-01"},
      {"new year in Hanoi, still old year in UTC", "Asia/Ho_Chi_Minh",
       UtcMicros(2026, 12, 31, 17, 0, 0), "2027-01-01"},
      {"the zone is configurable: UTC", "UTC", UtcMicros(2026, 6, 30, 23, 30, 0), "2026-06-30"},
      {"before 1970", "Asia/Ho_Chi_Minh", UtcMicros(1969, 12, 31, 17, 0, 0), "1970-01-01"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string db = kind_->NewDatabase(absl::StrCat("day", n++));
    std::unique_ptr<TransactionStore> store = OpenStore(db, "hub-1", c.time_zone);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(c.time_micros, "r")}).ok());
    const std::vector<CounterRow> counters = ReadCounters(db);
    ASSERT_EQ(counters.size(), 1u);
    EXPECT_EQ(counters[0].day, c.want_day);
    EXPECT_EQ(counters[0].count, 1);
  }
}

TEST_P(TransactionStoreConformanceTest, OneBatchAcrossMidnightCountsOnBothDays) {
  const std::string db = kind_->NewDatabase("midnight");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const int64_t midnight = UtcMicros(2026, 6, 30, 17, 0, 0);
  ASSERT_TRUE(store
                  ->Append({MakeRecord(midnight - 1, "a"), MakeRecord(midnight, "b"),
                            MakeRecord(midnight + 1, "c")})
                  .ok());
  const std::vector<CounterRow> counters = ReadCounters(db);
  ASSERT_EQ(counters.size(), 2u);
  EXPECT_EQ(counters[0].day, "2026-06-30");
  EXPECT_EQ(counters[0].count, 1);
  EXPECT_EQ(counters[1].day, "2026-07-01");
  EXPECT_EQ(counters[1].count, 2);
}

// ------------------------------------------------------------------ chain

TEST_P(TransactionStoreConformanceTest, ChainSurvivesReopen) {
  const std::string db = kind_->NewDatabase("reopen");
  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(1, "a"), MakeRecord(2, "b")}).ok());
  }
  const std::string head_hex = ReadAudit(db).back().hash_hex;
  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->Head().seq, 2);
    EXPECT_EQ(absl::BytesToHexString(store->Head().hash), head_hex);
    ASSERT_TRUE(store->Append({MakeRecord(3, "c"), MakeRecord(4, "d")}).ok());
    EXPECT_EQ(store->Head().seq, 4);
  }
  const std::vector<AuditRow> audit = ReadAudit(db);
  EXPECT_THAT(SeqsOf(audit, "hub-1"), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(audit[2].prev_hash_hex, head_hex);
  std::string report;
  absl::Status status = Verify(db, &report);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, HasSubstr(absl::StrCat("replica hub-1: 4 rows, seq 1..4, head ",
                                             audit.back().hash_hex)));
}

TEST_P(TransactionStoreConformanceTest, TamperingIsDetected) {
  const std::string zero = kind_->HexLiteral(kZeroHashHex);
  std::vector<TransactionRecord> batch;
  for (int i = 1; i <= 5; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
  ExpectTamperingDetected(batch, {
      {"a row's status code changed", "UPDATE audit_log SET status_code = 7 WHERE seq = 3",
       "replica hub-1, seq 3, id 3: hash mismatch: row was modified"},
      {"a row's purpose changed", "UPDATE audit_log SET purpose = 'x' WHERE seq = 1",
       "replica hub-1, seq 1, id 1: hash mismatch: row was modified"},
      {"a row marked refused", "UPDATE audit_log SET refusal = 'x' WHERE seq = 2",
       "replica hub-1, seq 2, id 2: hash mismatch: row was modified"},
      {"a middle row deleted", "DELETE FROM audit_log WHERE seq = 3",
       "replica hub-1, seq 4, id 4: seq 3 missing: a row was deleted"},
      {"two rows deleted", "DELETE FROM audit_log WHERE seq IN (2, 3)",
       "replica hub-1, seq 4, id 4: seq 2 to 3 missing: rows were deleted"},
      {"the first row deleted", "DELETE FROM audit_log WHERE seq = 1",
       "replica hub-1, seq 2, id 2: seq 1 missing: a row was deleted"},
      {"the last row's hash changed", "UPDATE audit_log SET hash = " + zero + " WHERE seq = 5",
       "replica hub-1, seq 5, id 5: hash mismatch: row was modified"},
      {"a prev_hash relinked",
       "UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE seq = 1) "
       "WHERE seq = 4",
       "replica hub-1, seq 4, id 4: prev_hash does not match row 3"},
      {"a counter edited", "UPDATE counters SET count = count + 1000",
       "consumer 000.00.00.G12/tax-lookup, method "
       "ndxp.residents.v1.ResidentRegistry/GetCitizen, status OK: counters say 1005, audit "
       "rows 5"},
      {"a counter deleted", "DELETE FROM counters",
       "status OK: counters say 0, audit rows 5"},
  });
}

// A forger who knows the encoding rewrites a row and gives it a correct new
// hash: the next row's prev_hash still names the old one.
TEST_P(TransactionStoreConformanceTest, ARehashedRowBreaksTheNextLink) {
  const std::string db = kind_->NewDatabase("rehash");
  std::vector<TransactionRecord> batch;
  for (int i = 1; i <= 3; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(batch).ok());
  }
  const std::vector<AuditRow> audit = ReadAudit(db);
  TransactionRecord forged = batch[1];
  forged.consumer = "000.00.00.G99/someone-else";
  const std::string forged_hash = AuditHash(absl::HexStringToBytes(audit[0].hash_hex),
                                            EncodeAuditRecord("hub-1", 2, forged));
  Exec(db, absl::StrCat("UPDATE audit_log SET consumer = '", forged.consumer,
                        "', hash = ", kind_->HexLiteral(absl::BytesToHexString(forged_hash)),
                        " WHERE seq = 2"));
  absl::Status status = Verify(db);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(),
              HasSubstr("replica hub-1, seq 3, id 3: prev_hash does not match row 2"));
}

// --------------------------------------------------- checkpoints and heads

TEST_P(TransactionStoreConformanceTest, ACheckpointShowsRowsDeletedAtTheEnd) {
  ::ndxp::testing::TestPki pki;
  const auto hub = pki.Issue("hub", "000.00.00.A01", "hub", /*server=*/true);
  auto signer = CheckpointSigner::FromFiles(hub.cert(), hub.key());
  ASSERT_TRUE(signer.ok()) << signer.status();

  const std::string db = kind_->NewDatabase("checkpoint");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  std::vector<TransactionRecord> batch;
  for (int i = 1; i <= 60; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
  ASSERT_TRUE(store->Append(batch).ok());
  auto checkpoint = (*signer)->Sign("hub-1", store->Head(), absl::ToUnixMicros(absl::Now()));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  ASSERT_TRUE(store->WriteCheckpoint(*checkpoint).ok());
  store.reset();

  AuditVerifyOptions with_ca;
  with_ca.ca_file = pki.ca_cert();
  std::string report;
  absl::Status status = Verify(db, &report, with_ca);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, AllOf(HasSubstr("checkpoint of replica hub-1: seq 60"),
                            HasSubstr("replica hub-1: seq 60 matches the checkpoint")));

  // The head also given by hand, as REPLICA:SEQ:HASH and SEQ:HASH.
  const std::string head_hex = absl::BytesToHexString(checkpoint->head.hash);
  for (const std::string& text : {"hub-1:60:" + head_hex, "60:" + head_hex}) {
    SCOPED_TRACE(text);
    auto expected = ParseExpectedHead(text);
    ASSERT_TRUE(expected.ok()) << expected.status();
    AuditVerifyOptions options;
    options.expect_heads.push_back(*expected);
    EXPECT_TRUE(Verify(db, nullptr, options).ok());
  }

  Exec(db, "DELETE FROM audit_log WHERE seq > 10");
  status = Verify(db, nullptr, with_ca);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr("rows seq 11..60 missing at the end"));
}

TEST_P(TransactionStoreConformanceTest, AForgedCheckpointIsRefused) {
  ::ndxp::testing::TestPki pki;
  const auto hub = pki.Issue("hub", "000.00.00.A01", "hub", /*server=*/true);
  auto signer = CheckpointSigner::FromFiles(hub.cert(), hub.key());
  ASSERT_TRUE(signer.ok()) << signer.status();
  const auto stranger = pki.IssueBad("other-ca");  // another CA altogether
  auto stranger_signer = CheckpointSigner::FromFiles(stranger.cert(), stranger.key());
  ASSERT_TRUE(stranger_signer.ok()) << stranger_signer.status();

  struct Case {
    const char* name;
    bool by_stranger;
    std::function<std::string(std::string)> edit;
    const char* want;
  } cases[] = {
      {"its seq lowered, to hide deleted rows", false,
       [](std::string text) {
         return absl::StrReplaceAll(text, {{"\nseq 5\n", "\nseq 2\n"}});
       },
       "forged or altered"},
      {"signed by a certificate of another CA", true, [](std::string text) { return text; },
       "not a certificate of"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string db = kind_->NewDatabase(absl::StrCat("forged", n++));
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    std::vector<TransactionRecord> batch;
    for (int i = 1; i <= 5; ++i) batch.push_back(MakeRecord(i, absl::StrCat("r-", i)));
    ASSERT_TRUE(store->Append(batch).ok());
    const CheckpointSigner& by = c.by_stranger ? **stranger_signer : **signer;
    auto checkpoint = by.Sign("hub-1", store->Head(), absl::ToUnixMicros(absl::Now()));
    ASSERT_TRUE(checkpoint.ok());
    ASSERT_TRUE(store->WriteCheckpoint(*checkpoint).ok());
    store.reset();
    kind_->ForgeCheckpoint(db, "hub-1", c.edit);
    AuditVerifyOptions with_ca;
    with_ca.ca_file = pki.ca_cert();
    absl::Status status = Verify(db, nullptr, with_ca);
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(status.message(), HasSubstr(c.want));
  }
}

// ---------------------------------------------------------------- replicas

TEST_P(TransactionStoreConformanceTest, TwoReplicasShareOneDatabase) {
  const std::string db = kind_->NewDatabase("replicas");
  auto [hub1, hub2] = OpenTwoReplicas(db);
  ASSERT_NE(hub1, nullptr);
  ASSERT_NE(hub2, nullptr);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(hub1->Append({MakeRecord(10 * i, absl::StrCat("a-", i))}).ok());
    ASSERT_TRUE(hub2->Append({MakeRecord(10 * i + 1, absl::StrCat("b-", i)),
                              MakeRecord(10 * i + 2, absl::StrCat("c-", i))})
                    .ok());
  }
  EXPECT_EQ(hub1->Head().seq, 3);
  EXPECT_EQ(hub2->Head().seq, 6);

  const std::vector<AuditRow> audit = ReadAudit(db);
  EXPECT_THAT(SeqsOf(audit, "hub-1"), ElementsAre(1, 2, 3));
  EXPECT_THAT(SeqsOf(audit, "hub-2"), ElementsAre(1, 2, 3, 4, 5, 6));
  // Both replicas' calls merge into one counter.
  const std::vector<CounterRow> counters = ReadCounters(db);
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].count, 9);

  std::string report;
  absl::Status status = Verify(db, &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report, AllOf(HasSubstr("9 rows in 2 replica chain(s)"),
                            HasSubstr("replica hub-1: 3 rows, seq 1..3"),
                            HasSubstr("replica hub-2: 6 rows, seq 1..6")));

  // Tampering with one replica's chain names that replica.
  Exec(db, "UPDATE audit_log SET latency_micros = 1 WHERE replica = 'hub-2' AND seq = 4");
  status = Verify(db);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("replica hub-2, seq 4, id "));
}

TEST_P(TransactionStoreConformanceTest, TwoWritersOfOneReplicaCannotFork) {
  const std::string db = kind_->NewDatabase("fork");
  std::unique_ptr<TransactionStore> first = OpenStore(db);
  std::unique_ptr<TransactionStore> second = OpenStore(db);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->Append({MakeRecord(1, "a")}).ok());
  absl::Status status = second->Append({MakeRecord(2, "b")});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(second->Head().seq, 0);
  EXPECT_EQ(ReadAudit(db).size(), 1u);
  EXPECT_EQ(ReadCounters(db)[0].count, 1);
  EXPECT_TRUE(Verify(db).ok());
}

// ----------------------------------------------------------------- errors

// A trigger installed behind the store's back makes one record of a batch
// fail; nothing of the batch may remain, and the store's chain head must not
// have moved.
TEST_P(TransactionStoreConformanceTest, FailedBatchKeepsNothing) {
  for (const std::string table : {"audit_log", "counters"}) {
    SCOPED_TRACE(table);
    const std::string db = kind_->NewDatabase("fail_" + table);
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({MakeRecord(1, "first")}).ok());
    Exec(db, kind_->PoisonTrigger(table));

    absl::Status status = store->Append(
        {MakeRecord(2, "good"), MakeRecord(3, "poison", "poison"), MakeRecord(4, "after")});
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(status.message(), HasSubstr("injected failure"));
    EXPECT_EQ(store->Head().seq, 1);
    const std::vector<AuditRow> audit = ReadAudit(db);
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].request_id, "first");
    const std::vector<CounterRow> counters = ReadCounters(db);
    ASSERT_EQ(counters.size(), 1u);
    EXPECT_EQ(counters[0].count, 1);

    // The store goes on from where the last commit left it.
    Exec(db, kind_->DropPoison(table));
    ASSERT_TRUE(store->Append({MakeRecord(5, "retry")}).ok());
    EXPECT_THAT(SeqsOf(ReadAudit(db), "hub-1"), ElementsAre(1, 2));
    status = Verify(db);
    EXPECT_TRUE(status.ok()) << status;
  }
}

TEST_P(TransactionStoreConformanceTest, BadOptionsAreInvalidArgument) {
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
  const std::string db = kind_->NewDatabase("options");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto store = kind_->Open(db, c.replica, c.time_zone);
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
    EXPECT_THAT(store.status().message(), HasSubstr(c.want));
  }
}

TEST_P(TransactionStoreConformanceTest, VerifyWithoutAnAuditLogIsNotFound) {
  const std::string db = kind_->NewDatabase("no_audit_log");
  Exec(db, "CREATE TABLE t (x INTEGER)");
  absl::Status status = Verify(db);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("no audit_log table"));
}

// ------------------------------------------------------------ subjects

// Subjects as the hub writes them: HMACs in lowercase hex, one key per row.
const std::string kSubjectX(64, 'a');
const std::string kSubjectY(64, 'b');
const std::string kSubjectXUnderOldKey(64, 'c');
constexpr char kCurrentKey[] = "k2";
constexpr char kOldKey[] = "k1";

TransactionRecord About(TransactionRecord record, std::vector<std::string> subjects,
                        const std::string& key_id = kCurrentKey) {
  record.subject_key_id = key_id;
  record.subjects = std::move(subjects);
  return record;
}

SubjectQuery QueryAbout(const std::string& hmac_hex, int page_size = 0) {
  SubjectQuery query;
  query.subjects = {{kCurrentKey, hmac_hex}};
  query.page_size = page_size;
  return query;
}

// The request ids of `page`'s rows, in its order.
std::vector<std::string> RequestIds(const SubjectAccessPage& page) {
  std::vector<std::string> ids;
  for (const SubjectAccess& access : page.accesses) ids.push_back(access.request_id);
  return ids;
}

std::vector<std::string> ListedIds(TransactionStore& store, const SubjectQuery& query) {
  absl::StatusOr<SubjectAccessPage> page = store.ListSubjectAccesses(query);
  EXPECT_TRUE(page.ok()) << page.status();
  if (!page.ok()) return {};
  EXPECT_EQ(page->next_page_token, "");
  return RequestIds(*page);
}

// A subject's rows, whichever replica wrote them and whoever called, newest
// first, with the fields a citizen is shown; no one else's rows.
TEST_P(TransactionStoreConformanceTest, ASubjectListsExactlyItsRowsNewestFirst) {
  const std::string db = kind_->NewDatabase("subjects");
  auto [hub1, hub2] = OpenTwoReplicas(db);
  ASSERT_NE(hub1, nullptr);
  ASSERT_NE(hub2, nullptr);
  const int64_t noon = UtcMicros(2026, 12, 1, 5, 0, 0);
  TransactionRecord through_peer =
      Through(About(MakeRecord(noon + 2, "x-3", kCommune, 5), {kSubjectY, kSubjectX}),
              kProvinceHub);
  through_peer.door = Door::kConnect;
  through_peer.purpose = "household check";
  ASSERT_TRUE(hub1->Append({About(MakeRecord(noon, "x-1"), {kSubjectX}),
                            MakeRecord(noon + 1, "nobody"),
                            About(MakeRecord(noon + 3, "y-1"), {kSubjectY})})
                  .ok());
  ASSERT_TRUE(hub2->Append({About(MakeRecord(noon + 1, "x-2", kCommune), {kSubjectX}),
                            through_peer})
                  .ok());

  absl::StatusOr<SubjectAccessPage> x = hub1->ListSubjectAccesses(QueryAbout(kSubjectX));
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_THAT(RequestIds(*x), ElementsAre("x-3", "x-2", "x-1"));
  EXPECT_EQ(x->next_page_token, "");
  const SubjectAccess& newest = x->accesses[0];
  EXPECT_EQ(newest.time_micros, noon + 2);
  EXPECT_EQ(newest.consumer, kCommune);
  EXPECT_EQ(newest.via, kProvinceHub);
  EXPECT_EQ(newest.door, "connect");
  EXPECT_EQ(newest.provider, "000.00.00.H49");
  EXPECT_EQ(newest.service, "ndxp.residents.v1.ResidentRegistry");
  EXPECT_EQ(newest.method, "GetCitizen");
  EXPECT_EQ(newest.purpose, "household check");
  EXPECT_EQ(newest.status_code, 5);
  EXPECT_EQ(newest.replica, "hub-2");
  EXPECT_EQ(newest.seq, 2);
  EXPECT_EQ(newest.visible_after_micros, 0);
  EXPECT_EQ(x->accesses[2].replica, "hub-1");
  EXPECT_EQ(x->accesses[2].seq, 1);

  // Either replica's store answers for all of them.
  EXPECT_THAT(ListedIds(*hub2, QueryAbout(kSubjectY)), ElementsAre("y-1", "x-3"));
  EXPECT_THAT(ListedIds(*hub2, QueryAbout(std::string(64, 'f'))), ElementsAre());
  // Indexing left the chain and the counters as they were.
  absl::Status status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
}

// Pages of two continue below the last row shown: rows at the same instant
// are told apart, and a row appended between pages is neither repeated nor
// makes one skipped.
TEST_P(TransactionStoreConformanceTest, SubjectPagesContinueWithoutGapsOrRepeats) {
  const std::string db = kind_->NewDatabase("subject_pages");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const int64_t noon = UtcMicros(2026, 12, 1, 5, 0, 0);
  ASSERT_TRUE(store->Append({About(MakeRecord(noon, "x-1"), {kSubjectX}),
                             About(MakeRecord(noon, "x-2"), {kSubjectX}),
                             About(MakeRecord(noon + 1, "x-3"), {kSubjectX})})
                  .ok());

  absl::StatusOr<SubjectAccessPage> first =
      store->ListSubjectAccesses(QueryAbout(kSubjectX, /*page_size=*/2));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(RequestIds(*first), ElementsAre("x-3", "x-2"));
  ASSERT_NE(first->next_page_token, "");

  ASSERT_TRUE(store->Append({About(MakeRecord(noon + 2, "x-4"), {kSubjectX}),
                             About(MakeRecord(noon, "x-5"), {kSubjectX})})
                  .ok());
  SubjectQuery next = QueryAbout(kSubjectX, 2);
  next.page_token = first->next_page_token;
  absl::StatusOr<SubjectAccessPage> second = store->ListSubjectAccesses(next);
  ASSERT_TRUE(second.ok()) << second.status();
  // x-5 has x-2's instant and a later seq: it sorts above the cursor, with
  // the rows appended since the first page.
  EXPECT_THAT(RequestIds(*second), ElementsAre("x-1"));
  EXPECT_EQ(second->next_page_token, "");

  // A page that holds the last row exactly has no next one.
  EXPECT_THAT(ListedIds(*store, QueryAbout(kSubjectX, 5)),
              ElementsAre("x-4", "x-3", "x-5", "x-2", "x-1"));
}

// Rows deferred until an investigation ends stay hidden until then, but for
// an operator's view.
TEST_P(TransactionStoreConformanceTest, DeferredSubjectRowsShowOnceVisible) {
  const std::string db = kind_->NewDatabase("subject_deferred");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const int64_t noon = UtcMicros(2026, 12, 1, 5, 0, 0);
  const int64_t visible_after = UtcMicros(2027, 6, 1, 0, 0, 0);
  TransactionRecord deferred = About(MakeRecord(noon + 1, "deferred"), {kSubjectX});
  deferred.visible_after_micros = visible_after;
  ASSERT_TRUE(store->Append({About(MakeRecord(noon, "open"), {kSubjectX}), deferred}).ok());

  SubjectQuery query = QueryAbout(kSubjectX);
  query.visible_at_micros = visible_after - 1;
  EXPECT_THAT(ListedIds(*store, query), ElementsAre("open"));
  query.visible_at_micros = visible_after;
  EXPECT_THAT(ListedIds(*store, query), ElementsAre("deferred", "open"));
  query.visible_at_micros = noon;
  query.include_deferred = true;
  absl::StatusOr<SubjectAccessPage> page = store->ListSubjectAccesses(query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(RequestIds(*page), ElementsAre("deferred", "open"));
  EXPECT_EQ(page->accesses[0].visible_after_micros, visible_after);
}

// After a key rotation the subject is asked for under both keys: rows written
// under the old one stay listed; an HMAC counts only under its own key.
TEST_P(TransactionStoreConformanceTest, SubjectRowsUnderARotatedKeyAreFound) {
  const std::string db = kind_->NewDatabase("subject_rotation");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const int64_t noon = UtcMicros(2026, 12, 1, 5, 0, 0);
  ASSERT_TRUE(store->Append({About(MakeRecord(noon, "before"), {kSubjectXUnderOldKey}, kOldKey),
                             About(MakeRecord(noon + 1, "after"), {kSubjectX})})
                  .ok());

  SubjectQuery both = QueryAbout(kSubjectX);
  both.subjects.push_back({kOldKey, kSubjectXUnderOldKey});
  EXPECT_THAT(ListedIds(*store, both), ElementsAre("after", "before"));
  EXPECT_THAT(ListedIds(*store, QueryAbout(kSubjectX)), ElementsAre("after"));
  EXPECT_THAT(ListedIds(*store, QueryAbout(kSubjectXUnderOldKey)), ElementsAre());
}

// The period is [from, to).
TEST_P(TransactionStoreConformanceTest, SubjectRowsAreListedWithinThePeriod) {
  const std::string db = kind_->NewDatabase("subject_period");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  const int64_t noon = UtcMicros(2026, 12, 1, 5, 0, 0);
  ASSERT_TRUE(store->Append({About(MakeRecord(noon - 1, "before"), {kSubjectX}),
                             About(MakeRecord(noon, "first"), {kSubjectX}),
                             About(MakeRecord(noon + 9, "last"), {kSubjectX}),
                             About(MakeRecord(noon + 10, "after"), {kSubjectX})})
                  .ok());
  SubjectQuery query = QueryAbout(kSubjectX);
  query.from_micros = noon;
  query.to_micros = noon + 10;
  EXPECT_THAT(ListedIds(*store, query), ElementsAre("last", "first"));
}

TEST_P(TransactionStoreConformanceTest, AMalformedSubjectQueryIsInvalidArgument) {
  const std::string db = kind_->NewDatabase("subject_invalid");
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append({About(MakeRecord(1, "x-1"), {kSubjectX})}).ok());
  auto with_token = [](std::string token) {
    SubjectQuery query = QueryAbout(kSubjectX);
    query.page_token = std::move(token);
    return query;
  };
  SubjectQuery no_subject = QueryAbout(kSubjectX);
  no_subject.subjects.clear();
  SubjectQuery two_under_one_key = QueryAbout(kSubjectX);
  two_under_one_key.subjects.push_back({kCurrentKey, kSubjectY});
  SubjectQuery backwards = QueryAbout(kSubjectX);
  backwards.from_micros = 2;
  backwards.to_micros = 1;
  const std::vector<std::pair<std::string, SubjectQuery>> cases = {
      {"not base64", with_token("!!")},
      {"not a token", with_token(absl::WebSafeBase64Escape("hello"))},
      {"seq not a number", with_token(absl::WebSafeBase64Escape("c1\n5\nx\nhub-1"))},
      {"no replica", with_token(absl::WebSafeBase64Escape("c1\n5\n1\n"))},
      {"no subject", no_subject},
      {"upper-case HMAC", QueryAbout(std::string(64, 'A'))},
      {"short HMAC", QueryAbout("abcd")},
      {"two under one key", two_under_one_key},
      {"period backwards", backwards},
  };
  for (const auto& [name, query] : cases) {
    SCOPED_TRACE(name);
    absl::StatusOr<SubjectAccessPage> page = store->ListSubjectAccesses(query);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << page.status();
  }
  // The well-formed token the cases above are variants of is accepted.
  EXPECT_THAT(ListedIds(*store, with_token(absl::WebSafeBase64Escape("c1\n5\n1\nhub-1"))),
              ElementsAre("x-1"));
}

// A database from before the subject index gains it on open, filled from the
// rows' subjects (a row with two is found under each), and indexes the rows
// appended after.
TEST_P(TransactionStoreConformanceTest, ADatabaseFromBeforeTheSubjectIndexIsIndexedOnOpen) {
  const std::string db = kind_->NewDatabase("before_subject_index");
  const int64_t noon = UtcMicros(2026, 12, 1, 5, 0, 0);
  {
    std::unique_ptr<TransactionStore> store = OpenStore(db);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({About(MakeRecord(noon, "x-1"), {kSubjectX}),
                               About(MakeRecord(noon + 1, "xy-1"), {kSubjectX, kSubjectY}),
                               MakeRecord(noon + 2, "nobody")})
                    .ok());
  }
  Exec(db, "DROP TABLE audit_subjects");

  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(ListedIds(*store, QueryAbout(kSubjectX)), ElementsAre("xy-1", "x-1"));
  EXPECT_THAT(ListedIds(*store, QueryAbout(kSubjectY)), ElementsAre("xy-1"));
  ASSERT_TRUE(store->Append({About(MakeRecord(noon + 3, "x-2"), {kSubjectX})}).ok());
  EXPECT_THAT(ListedIds(*store, QueryAbout(kSubjectX)), ElementsAre("x-2", "xy-1", "x-1"));
  EXPECT_THAT(kind_->Query(db, "SELECT count(*) FROM audit_subjects"),
              ElementsAre(ElementsAre("4")));
  absl::Status status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
}

// A database an earlier hub wrote, long before subjects, is upgraded with
// the index and lists the rows appended after.
TEST_P(TransactionStoreConformanceTest, ADatabaseFromBeforeViaListsSubjectsAfterUpgrade) {
  const std::string db = kind_->NewDatabase("before_via_subjects");
  WriteEarlierHubDatabase(*kind_, db, kCounterColumnsBeforeVia);
  std::unique_ptr<TransactionStore> store = OpenStore(db);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(ListedIds(*store, QueryAbout(kSubjectX)), ElementsAre());
  ASSERT_TRUE(store->Append({About(MakeRecord(UtcMicros(2026, 12, 1, 5, 0, 0), "x-1"),
                                   {kSubjectX})})
                  .ok());
  EXPECT_THAT(ListedIds(*store, QueryAbout(kSubjectX)), ElementsAre("x-1"));
  absl::Status status = Verify(db);
  EXPECT_TRUE(status.ok()) << status;
}

INSTANTIATE_TEST_SUITE_P(
    Stores, TransactionStoreConformanceTest,
    ::testing::Values(KindFactory([] { return std::make_unique<SqliteKind>(); }),
                      KindFactory([] { return std::make_unique<PostgresKind>(); })),
    [](const ::testing::TestParamInfo<KindFactory>& kind) {
      return kind.index == 0 ? "Sqlite" : "Postgres";
    });

}  // namespace
}  // namespace ndxp::gateway
