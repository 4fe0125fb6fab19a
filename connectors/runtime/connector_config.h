// Loading and validating a connector's configuration
// (ndxp.config.v1.ConnectorConfig, protobuf text format). Every error names
// the file, the line where the offending field was written and the reason,
// e.g. "residents.textproto:7: allowed_callers[1] \"hub\" is not a spiffe:// ID".
//
// Example:
//   absl::StatusOr<ConnectorConfig> config = LoadConnectorConfig(path);
//   if (!config.ok()) { std::cerr << config.status().message(); return 2; }
#ifndef NDXP_CONNECTORS_RUNTIME_CONNECTOR_CONFIG_H_
#define NDXP_CONNECTORS_RUNTIME_CONNECTOR_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config/host_port.h"
#include "common/config/text_proto.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::connectors {

// Reads `path` and checks it with ValidateConnectorConfig. INVALID_ARGUMENT
// "path:line: reason" on a syntax error, an unknown field or a failed check.
absl::StatusOr<ndxp::config::v1::ConnectorConfig> LoadConnectorConfig(
    const std::string& path);

// The semantic checks on a parsed configuration, reported against `file`:
// listen is host:port (port 0-65535, 0 = any free port); trust_domain is set;
// agency is a valid agency code; tls.ca_cert, tls.cert and tls.key are set;
// allowed_callers has at least one entry and every entry starts with
// "spiffe://". `database` and `synthetic` are optional here: connectors with
// a store require them themselves.
absl::Status ValidateConnectorConfig(const ndxp::config::v1::ConnectorConfig& config,
                                     const ndxp::config::TextProtoFile& file);

// Splits "host:port" (common/config/host_port.h).
using ndxp::config::SplitHostPort;

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_CONNECTOR_CONFIG_H_
