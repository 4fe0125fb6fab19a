// The configured recording store: SQLite embedded, or PostgreSQL for
// several replicas. The hub's Recorder writes through one; a hub-local
// method that reads the audit log (DataSubjectAccess) opens another, since
// a store belongs to one thread.
#ifndef NDXP_GATEWAY_ADMIN_RECORDING_STORE_H_
#define NDXP_GATEWAY_ADMIN_RECORDING_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/config/hub_config.h"
#include "gateway/recording/transaction_store.h"

namespace ndxp::gateway {

// The configured replica's name ("hub-1" when unset).
std::string ReplicaOf(const ndxp::config::v1::Recording& recording);

// Opens `recording`'s store as `replica` (each store keeps a chain of its
// own: a reading store names a replica it never writes), fsync'ing each
// commit in DURABLE `mode`.
absl::StatusOr<std::unique_ptr<TransactionStore>> OpenRecordingStore(
    const ndxp::config::v1::Recording& recording, ndxp::config::v1::Recording::Mode mode,
    const std::string& replica);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMIN_RECORDING_STORE_H_
