#include "common/sqlite/sqlite.h"

#include <string>

#include "common/status/status_util.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteDatabase>> db = SqliteDatabase::Open(path());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER, note TEXT)").ok());
  }
  std::string path() const { return dir_.path() + "/test.db"; }

  int64_t Count() {
    absl::StatusOr<SqliteStatement> count = db_->Prepare("SELECT COUNT(*) FROM kv");
    EXPECT_TRUE(count.ok());
    absl::StatusOr<bool> row = count->Step();
    EXPECT_TRUE(row.ok() && *row);
    return count->ColumnInt64(0);
  }

  ndxp::testing::TempDir dir_;  // declared first: outlives db_
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(SqliteTest, OpensInWalMode) {
  absl::StatusOr<SqliteStatement> mode = db_->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
}

TEST_F(SqliteTest, BindsAndReadsEveryType) {
  absl::StatusOr<SqliteStatement> insert = db_->Prepare("INSERT INTO kv VALUES (?, ?, ?)");
  ASSERT_TRUE(insert.ok()) << insert.status();
  struct Row {
    std::string key;
    int64_t value;
    std::optional<std::string> note;
  };
  const Row rows[] = {{"a", 1, "first"},
                      {"b", -9000000000, std::nullopt},
                      {"c", 0, ""},
                      {"Nguyễn", 42, "Việt Nam"},
                      {std::string("nul\0byte", 8), 7, std::string("x\0y", 3)}};
  for (const Row& r : rows) {
    SCOPED_TRACE(r.key);
    ASSERT_TRUE(insert->BindAll(r.key, r.value, r.note).ok());
    ASSERT_TRUE(insert->Run().ok());
  }
  absl::StatusOr<SqliteStatement> select = db_->Prepare("SELECT v, note FROM kv WHERE k = ?");
  ASSERT_TRUE(select.ok());
  for (const Row& r : rows) {
    SCOPED_TRACE(r.key);
    select->Reset();
    ASSERT_TRUE(select->Bind(1, r.key).ok());
    absl::StatusOr<bool> has_row = select->Step();
    ASSERT_TRUE(has_row.ok() && *has_row);
    EXPECT_EQ(select->ColumnInt64(0), r.value);
    EXPECT_EQ(select->ColumnOptionalText(1), r.note);
    EXPECT_EQ(select->ColumnIsNull(1), !r.note.has_value());
    EXPECT_FALSE(*select->Step());
  }
}

TEST_F(SqliteTest, UniqueViolationIsAlreadyExists) {
  absl::StatusOr<SqliteStatement> insert = db_->Prepare("INSERT INTO kv (k) VALUES (?)");
  ASSERT_TRUE(insert.ok());
  ASSERT_TRUE(insert->BindAll("dup").ok());
  ASSERT_TRUE(insert->Run().ok());
  absl::Status status = insert->Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_NE(status.message().find(path()), std::string::npos) << status;
}

TEST_F(SqliteTest, ErrorsNameTheDatabaseAndStatement) {
  absl::StatusOr<SqliteStatement> bad = db_->Prepare("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(bad.status().message().find("sqlite " + path() + ": prepare \"SELEC 1\""),
            std::string::npos)
      << bad.status();
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> missing =
      SqliteDatabase::Open(dir_.path() + "/no/such/dir/x.db");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable) << missing.status();
}

TEST_F(SqliteTest, TransactionCommitsOrRollsBack) {
  absl::StatusOr<SqliteStatement> insert = db_->Prepare("INSERT INTO kv (k) VALUES (?)");
  ASSERT_TRUE(insert.ok());
  {
    absl::StatusOr<SqliteTransaction> txn = SqliteTransaction::Begin(*db_);
    ASSERT_TRUE(txn.ok()) << txn.status();
    ASSERT_TRUE(insert->BindAll("kept").ok());
    ASSERT_TRUE(insert->Run().ok());
    ASSERT_TRUE(txn->Commit().ok());
    EXPECT_FALSE(txn->Commit().ok());  // already ended
  }
  EXPECT_EQ(Count(), 1);
  {
    absl::StatusOr<SqliteTransaction> txn = SqliteTransaction::Begin(*db_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(insert->BindAll("dropped").ok());
    ASSERT_TRUE(insert->Run().ok());
    EXPECT_EQ(Count(), 2);
  }  // destroyed uncommitted
  EXPECT_EQ(Count(), 1);
  {
    absl::StatusOr<SqliteTransaction> txn = SqliteTransaction::Begin(*db_);
    ASSERT_TRUE(txn.ok());
    SqliteTransaction moved = *std::move(txn);
    ASSERT_TRUE(insert->BindAll("moved").ok());
    ASSERT_TRUE(insert->Run().ok());
    ASSERT_TRUE(moved.Rollback().ok());
  }
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteTest, SecondConnectionSeesCommittedData) {
  ASSERT_TRUE(db_->Exec("INSERT INTO kv (k, v) VALUES ('x', 5)").ok());
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> other = SqliteDatabase::Open(path());
  ASSERT_TRUE(other.ok());
  absl::StatusOr<SqliteStatement> select = (*other)->Prepare("SELECT v FROM kv");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnInt64(0), 5);
}

absl::StatusOr<int> UsesMacros(SqliteDatabase& db, bool fail) {
  NDXP_RETURN_IF_ERROR(db.Exec(fail ? "NOT SQL" : "SELECT 1"));
  NDXP_ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare("SELECT 7"));
  NDXP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<int>(stmt.ColumnInt64(0)) : -1;
}

TEST_F(SqliteTest, StatusMacros) {
  EXPECT_EQ(*UsesMacros(*db_, false), 7);
  EXPECT_EQ(UsesMacros(*db_, true).status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace ndxp
