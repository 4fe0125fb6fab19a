// The insurance connector as ConnectorMain runs it: the SQLite social
// insurance register (filled with the synthetic register on first start)
// behind the InsuranceRegistry service, and the channel to the hub it calls
// residents through.
#ifndef NDXP_CONNECTORS_INSURANCE_INSURANCE_CONNECTOR_H_
#define NDXP_CONNECTORS_INSURANCE_INSURANCE_CONNECTOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "connectors/runtime/connector_main.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::insurance {

// Opens config.database, generates the register for synthetic.size citizens
// (100000 when 0) from synthetic.seed if it is empty (printing "generated N
// insured people in T s" to stderr), creates the hub channel when
// config.hub_endpoint is set (it connects lazily: a hub that is down does not
// stop the connector from starting), and returns the service with the store
// and channel it owns. Without hub_endpoint every method but
// VerifyAgainstPopulation works; that one answers FAILED_PRECONDITION.
absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateInsuranceConnector(
    const ndxp::config::v1::ConnectorConfig& config);

}  // namespace ndxp::insurance

#endif  // NDXP_CONNECTORS_INSURANCE_INSURANCE_CONNECTOR_H_
