#include "gateway/admin/recording_store.h"

#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/sqlite_transaction_store.h"

namespace ndxp::gateway {

std::string ReplicaOf(const ndxp::config::v1::Recording& recording) {
  return recording.replica().empty() ? "hub-1" : recording.replica();
}

absl::StatusOr<std::unique_ptr<TransactionStore>> OpenRecordingStore(
    const ndxp::config::v1::Recording& recording, ndxp::config::v1::Recording::Mode mode,
    const std::string& replica) {
  std::string time_zone = recording.time_zone().empty() ? kDefaultTimeZone : recording.time_zone();
  if (!recording.postgres().empty()) {
    PostgresTransactionStore::Options options;
    options.time_zone = time_zone;
    options.replica = replica;
    auto store = PostgresTransactionStore::Open(recording.postgres(), options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<TransactionStore>(*std::move(store));
  }
  SqliteTransactionStore::Options options;
  options.time_zone = time_zone;
  options.replica = replica;
  options.fsync_each_commit = mode == ndxp::config::v1::Recording::DURABLE;
  auto store = SqliteTransactionStore::Open(recording.database(), options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<TransactionStore>(*std::move(store));
}

}  // namespace ndxp::gateway
