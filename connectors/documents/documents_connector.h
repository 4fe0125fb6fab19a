// The documents connector as ConnectorMain runs it: the electronic document
// axis (agency 000.00.00.A02), its SQLite store behind the DocumentExchange
// service. It calls no other connector.
#ifndef NDXP_CONNECTORS_DOCUMENTS_DOCUMENTS_CONNECTOR_H_
#define NDXP_CONNECTORS_DOCUMENTS_DOCUMENTS_CONNECTOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "connectors/runtime/connector_main.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::documents {

// Opens (creating on first start) config.database and returns the service
// with the store it owns, checking callers' identities against
// config.trust_domain. The axis starts empty: there is no synthetic data
// set (synthetic.seed and size are ignored). Prints a one-line summary to
// stderr.
absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateDocumentsConnector(
    const ndxp::config::v1::ConnectorConfig& config);

}  // namespace ndxp::documents

#endif  // NDXP_CONNECTORS_DOCUMENTS_DOCUMENTS_CONNECTOR_H_
