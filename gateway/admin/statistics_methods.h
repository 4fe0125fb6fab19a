// ndxp.hub.v1.Statistics as methods the hub answers itself: operators only,
// run on the hub's worker thread (they query the database).
#ifndef NDXP_GATEWAY_ADMIN_STATISTICS_METHODS_H_
#define NDXP_GATEWAY_ADMIN_STATISTICS_METHODS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/local/local_services.h"
#include "gateway/statistics/agency_directory.h"
#include "gateway/statistics/statistics_engine.h"
#include "ndxp/config/v1/hub.pb.h"

namespace ndxp::gateway {

inline constexpr char kStatisticsService[] = "ndxp.hub.v1.Statistics";

// The statistics engine over the recording's store (its SQLite file or
// PostgreSQL database); nullptr when `recording` is nullptr (recording off).
// An error if the store cannot be opened.
absl::StatusOr<std::shared_ptr<const statistics::StatisticsEngine>> OpenStatisticsEngine(
    const ndxp::config::v1::Recording* recording);

// The configuration's `agencies` as a directory.
std::shared_ptr<const statistics::AgencyDirectory> AgencyDirectoryOf(
    const ndxp::config::v1::HubConfig& config);

// Adds Count and Growth to `local`, answered from the recording's store
// (its SQLite file or PostgreSQL database); with recording off they answer
// FAILED_PRECONDITION. An error if the store cannot be opened. Adds
// ListAgencies, answered from `agencies` (not null) whether recording is on
// or off.
absl::Status AddStatisticsMethods(const ndxp::config::v1::Recording* recording,
                                  std::shared_ptr<const statistics::AgencyDirectory> agencies,
                                  LocalServices* local);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMIN_STATISTICS_METHODS_H_
