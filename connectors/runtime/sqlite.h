// The connector stores' SQLite convention on top of common/sqlite: the
// synthetic data set filled once, on a store's first start.
#ifndef NDXP_CONNECTORS_RUNTIME_SQLITE_H_
#define NDXP_CONNECTORS_RUNTIME_SQLITE_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sqlite/sqlite.h"

namespace ndxp::connectors {

// A connector store's first start, in one transaction: unless `count_sql`
// (a SELECT COUNT(*)) finds records already, runs `fill`, which inserts the
// synthetic data set and returns how many records it made; notes
// synthetic_seed and synthetic_size in the store's meta(key, value) table;
// commits; and folds the WAL the bulk insert left into the database rather
// than leaving that to some later request. Returns 0 when the store already
// held data (nothing is generated again).
absl::StatusOr<int64_t> FillSyntheticDataOnce(
    SqliteDatabase& db, absl::string_view count_sql, uint64_t seed, uint32_t size,
    const std::function<absl::StatusOr<int64_t>()>& fill);

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_SQLITE_H_
