#include "connectors/runtime/connector_config.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/identifiers/agency_code.h"

namespace ndxp::connectors {

using ndxp::config::v1::ConnectorConfig;

absl::Status ValidateConnectorConfig(const ConnectorConfig& config,
                                     const ndxp::config::TextProtoFile& file) {
  if (config.listen().empty()) {
    return file.ErrorAt({"listen"}, "is required (host:port; port 0 picks a free port)");
  }
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(config.listen(), &host, &port); !s.ok()) {
    return file.ErrorAt({"listen"}, s.message());
  }
  if (config.trust_domain().empty()) {
    return file.ErrorAt({"trust_domain"}, "is required (e.g. \"ndxp.gov.vn\")");
  }
  if (config.agency().empty()) {
    return file.ErrorAt({"agency"}, "is required (e.g. \"000.00.00.H49\")");
  }
  if (absl::Status s = ndxp::identifiers::ValidateAgencyCode(config.agency(), "agency");
      !s.ok()) {
    return file.ErrorAt({"agency"}, absl::StripPrefix(s.message(), "agency: agency code "));
  }
  if (config.tls().ca_cert().empty()) {
    return file.ErrorAt({"tls", "ca_cert"}, "is required (PEM file of the federation CA)");
  }
  if (config.tls().cert().empty()) {
    return file.ErrorAt({"tls", "cert"}, "is required (PEM file of this connector's certificate)");
  }
  if (config.tls().key().empty()) {
    return file.ErrorAt({"tls", "key"}, "is required (PEM file of this connector's private key)");
  }
  if (config.allowed_callers().empty()) {
    // Absent: there is no line to point at.
    return file.Error("allowed_callers needs at least one caller's SPIFFE ID (the hub's)");
  }
  for (int i = 0; i < config.allowed_callers_size(); ++i) {
    const std::string& caller = config.allowed_callers(i);
    if (!absl::StartsWith(caller, "spiffe://") || caller.size() == 9) {
      return file.ErrorAt({{"allowed_callers", i}},
                          absl::StrCat("\"", caller, "\" is not a spiffe:// ID"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ConnectorConfig> LoadConnectorConfig(const std::string& path) {
  ndxp::config::TextProtoFile file;
  ConnectorConfig config;
  if (absl::Status s = file.Load(path, &config); !s.ok()) return s;
  if (absl::Status s = ValidateConnectorConfig(config, file); !s.ok()) return s;
  return config;
}

}  // namespace ndxp::connectors
