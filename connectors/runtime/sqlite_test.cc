#include "connectors/runtime/sqlite.h"

#include <memory>
#include <string>

#include "common/status/status_util.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::connectors {
namespace {

absl::StatusOr<int64_t> CountRows(SqliteDatabase& db, const std::string& sql) {
  NDXP_ASSIGN_OR_RETURN(SqliteStatement count, db.Prepare(sql));
  NDXP_ASSIGN_OR_RETURN(bool has_row, count.Step());
  return has_row ? count.ColumnInt64(0) : 0;
}

TEST(FillSyntheticDataOnceTest, FillsOnceAndAllOrNothing) {
  ndxp::testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> db = SqliteDatabase::Open(dir.path() + "/fill.db");
  ASSERT_TRUE(db.ok()) << db.status();
  SqliteDatabase* db_ = db->get();
  ASSERT_TRUE(db_->Exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                        "CREATE TABLE people (name TEXT)")
                  .ok());
  int fills = 0;
  auto fill_failing = [&]() -> absl::StatusOr<int64_t> {
    ++fills;
    NDXP_RETURN_IF_ERROR(db_->Exec("INSERT INTO people VALUES ('a')"));
    return absl::InternalError("disk full");
  };
  EXPECT_EQ(FillSyntheticDataOnce(*db_, "SELECT COUNT(*) FROM people", 7, 3, fill_failing)
                .status()
                .code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(*CountRows(*db_, "SELECT COUNT(*) FROM people"), 0) << "rolled back";

  auto fill = [&]() -> absl::StatusOr<int64_t> {
    ++fills;
    NDXP_RETURN_IF_ERROR(db_->Exec("INSERT INTO people VALUES ('a'), ('b'), ('c')"));
    return 3;
  };
  absl::StatusOr<int64_t> first =
      FillSyntheticDataOnce(*db_, "SELECT COUNT(*) FROM people", 7, 3, fill);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 3);
  EXPECT_EQ(*CountRows(*db_, "SELECT COUNT(*) FROM meta WHERE (key, value) IN "
                             "(VALUES ('synthetic_seed', '7'), ('synthetic_size', '3'))"),
            2);
  EXPECT_EQ(*FillSyntheticDataOnce(*db_, "SELECT COUNT(*) FROM people", 7, 3, fill), 0);
  EXPECT_EQ(fills, 2) << "a store holding data is not filled again";
  EXPECT_EQ(*CountRows(*db_, "SELECT COUNT(*) FROM people"), 3);
}

}  // namespace
}  // namespace ndxp::connectors
