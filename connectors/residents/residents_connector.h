// The residents connector as ConnectorMain runs it: the SQLite register
// (filled with the synthetic population on first start) behind the
// ResidentRegistry service.
#ifndef NDXP_CONNECTORS_RESIDENTS_RESIDENTS_CONNECTOR_H_
#define NDXP_CONNECTORS_RESIDENTS_RESIDENTS_CONNECTOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "connectors/runtime/connector_main.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::residents {

// Opens config.database, generates synthetic.size citizens (100000 when 0)
// from synthetic.seed if it has none (printing "generated N citizens in T s"
// to stderr), and returns the service with the store it owns.
absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateResidentsConnector(
    const ndxp::config::v1::ConnectorConfig& config);

}  // namespace ndxp::residents

#endif  // NDXP_CONNECTORS_RESIDENTS_RESIDENTS_CONNECTOR_H_
