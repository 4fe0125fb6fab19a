// The civil status connector as ConnectorMain runs it: the SQLite register
// books (filled with the synthetic population's registrations on first
// start) behind the CivilStatusRegistry service, which reaches residents and
// insurance through the hub with this connector's own certificate.
#ifndef NDXP_CONNECTORS_CIVIL_STATUS_CIVIL_STATUS_CONNECTOR_H_
#define NDXP_CONNECTORS_CIVIL_STATUS_CIVIL_STATUS_CONNECTOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "connectors/runtime/connector_main.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::civil_status {

// Opens config.database, records the registrations of synthetic.size
// citizens (100000 when 0) from synthetic.seed if it has none (printing
// "generated N registrations in T s" to stderr), opens the hub channel
// (config.hub_endpoint is required) and returns the service with what it owns.
absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateCivilStatusConnector(
    const ndxp::config::v1::ConnectorConfig& config);

}  // namespace ndxp::civil_status

#endif  // NDXP_CONNECTORS_CIVIL_STATUS_CIVIL_STATUS_CONNECTOR_H_
