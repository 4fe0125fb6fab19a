// The land connector as ConnectorMain runs it: the SQLite cadastre (filled
// with the synthetic parcels on first start) behind the LandRegistry
// service, which looks parties up through the hub (config.hub_endpoint) with
// the connector's own certificate.
#ifndef NDXP_CONNECTORS_LAND_LAND_CONNECTOR_H_
#define NDXP_CONNECTORS_LAND_LAND_CONNECTOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "connectors/runtime/connector_main.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::land {

// Opens config.database; if it holds no parcel, generates those of the
// synthetic population (synthetic.seed, synthetic.size citizens, 100000 when
// 0) and its enterprises, printing "generated N parcels in T s" to stderr;
// connects (lazily) to the hub. INVALID_ARGUMENT without database or
// hub_endpoint.
absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateLandConnector(
    const ndxp::config::v1::ConnectorConfig& config);

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_LAND_CONNECTOR_H_
