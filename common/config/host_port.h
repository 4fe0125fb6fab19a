// Addresses in configuration files: "host:port", split as every ndxp binary
// reads them (the hub's and connectors' listen, the hub's connector
// endpoints).
#ifndef NDXP_COMMON_CONFIG_HOST_PORT_H_
#define NDXP_COMMON_CONFIG_HOST_PORT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::config {

// Splits "host:port" ("[::1]:50051" too, the brackets kept) at the last ':'.
// INVALID_ARGUMENT "<reason>" (no field name) when there is no ':' or the
// port is not 0-65535 written in decimal digits.
absl::Status SplitHostPort(absl::string_view address, std::string* host, int* port);

}  // namespace ndxp::config

#endif  // NDXP_COMMON_CONFIG_HOST_PORT_H_
