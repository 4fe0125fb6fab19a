// The SQLite store's own behaviour; what every store promises is in
// transaction_store_conformance_test.cc.
#include "gateway/recording/sqlite_transaction_store.h"

#include <memory>
#include <string>

#include "common/sqlite/sqlite.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

using ::testing::HasSubstr;

TransactionRecord MakeRecord(const std::string& request_id) {
  TransactionRecord r;
  r.request_id = request_id;
  r.consumer = "000.00.00.G12/tax-lookup";
  r.service = "ndxp.residents.v1.ResidentRegistry";
  r.method = "GetCitizen";
  return r;
}

std::unique_ptr<::ndxp::SqliteDatabase> OpenPlain(const std::string& path) {
  ::ndxp::SqliteOptions options;
  options.wal = false;
  auto db = ::ndxp::SqliteDatabase::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

// The text of the first column of the first row of `sql`.
std::string QueryText(const std::string& path, const std::string& sql) {
  std::unique_ptr<::ndxp::SqliteDatabase> db = OpenPlain(path);
  if (db == nullptr) return "";
  auto stmt = db->Prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  if (!stmt.ok() || !stmt->Step().value_or(false)) return "";
  return std::string(stmt->ColumnText(0));
}

class SqliteTransactionStoreTest : public ::testing::Test {
 protected:
  std::string DbPath(const std::string& name = "hub.db") const {
    return dir_.path() + "/" + name;
  }
  ndxp::testing::TempDir dir_;
};

TEST_F(SqliteTransactionStoreTest, BothDurabilityModesCommitInWalMode) {
  for (bool fsync : {true, false}) {
    SCOPED_TRACE(fsync);
    const std::string path = DbPath(fsync ? "full.db" : "normal.db");
    SqliteTransactionStore::Options options;
    options.fsync_each_commit = fsync;
    auto store = SqliteTransactionStore::Open(path, options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append({MakeRecord("r-1")}).ok());
    EXPECT_EQ(QueryText(path, "SELECT count(*) FROM audit_log"), "1");
    EXPECT_EQ(QueryText(path, "PRAGMA journal_mode"), "wal");
  }
}

// A file written before refusals were recorded gains the refusal column;
// its rows stay forwarded calls and its chain still verifies.
TEST_F(SqliteTransactionStoreTest, AnOlderFileIsUpgradedOnOpen) {
  const std::string path = DbPath();
  {
    auto store = SqliteTransactionStore::Open(path, {});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append({MakeRecord("old")}).ok());
  }
  std::unique_ptr<::ndxp::SqliteDatabase> db = OpenPlain(path);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("ALTER TABLE audit_log DROP COLUMN refusal; "
                       "DROP TABLE refused_counters").ok());
  db.reset();
  {
    auto store = SqliteTransactionStore::Open(path, {});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append({MakeRecord("new")}).ok());
  }
  EXPECT_EQ(QueryText(path, "SELECT count(*) FROM audit_log WHERE refusal = ''"), "2");
  absl::Status status = SqliteTransactionStore::VerifyAuditChain(path, nullptr);
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(SqliteTransactionStoreTest, OpenInAMissingDirectoryIsUnavailable) {
  auto store = SqliteTransactionStore::Open(dir_.path() + "/no/such/dir/hub.db", {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
}

TEST_F(SqliteTransactionStoreTest, VerifyWithoutAFileIsNotFound) {
  absl::Status status = SqliteTransactionStore::VerifyAuditChain(DbPath("missing.db"), nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("no such file"));
}

}  // namespace
}  // namespace ndxp::gateway
