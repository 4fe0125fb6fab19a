#include "connectors/runtime/sqlite.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_util.h"

namespace ndxp::connectors {

absl::StatusOr<int64_t> FillSyntheticDataOnce(
    SqliteDatabase& db, absl::string_view count_sql, uint64_t seed, uint32_t size,
    const std::function<absl::StatusOr<int64_t>()>& fill) {
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction transaction, SqliteTransaction::Begin(db));
  NDXP_ASSIGN_OR_RETURN(SqliteStatement count, db.Prepare(count_sql));
  NDXP_ASSIGN_OR_RETURN(bool has_row, count.Step());
  const int64_t existing = has_row ? count.ColumnInt64(0) : 0;
  count.Reset();
  if (existing > 0) return 0;
  NDXP_ASSIGN_OR_RETURN(int64_t generated, fill());
  NDXP_ASSIGN_OR_RETURN(SqliteStatement set_meta,
                        db.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"));
  for (const auto& [key, value] :
       {std::pair<const char*, std::string>{"synthetic_seed", absl::StrCat(seed)},
        {"synthetic_size", absl::StrCat(size)}}) {
    set_meta.Reset();
    NDXP_RETURN_IF_ERROR(set_meta.BindAll(key, value));
    NDXP_RETURN_IF_ERROR(set_meta.Run());
  }
  NDXP_RETURN_IF_ERROR(transaction.Commit());
  NDXP_RETURN_IF_ERROR(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return generated;
}

}  // namespace ndxp::connectors
