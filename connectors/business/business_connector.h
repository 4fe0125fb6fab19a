// The business registry connector as ConnectorMain runs it: the SQLite
// register (filled with the synthetic enterprises on first start) behind the
// BusinessRegistry service.
#ifndef NDXP_CONNECTORS_BUSINESS_BUSINESS_CONNECTOR_H_
#define NDXP_CONNECTORS_BUSINESS_BUSINESS_CONNECTOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "connectors/runtime/connector_main.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::business {

// Opens config.database; if it holds no enterprise, generates those of the
// synthetic population (synthetic.seed, synthetic.size citizens, 100000 when
// 0), printing "generated N enterprises and units in T s" to stderr; returns
// the service with the store it owns.
absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateBusinessConnector(
    const ndxp::config::v1::ConnectorConfig& config);

}  // namespace ndxp::business

#endif  // NDXP_CONNECTORS_BUSINESS_BUSINESS_CONNECTOR_H_
