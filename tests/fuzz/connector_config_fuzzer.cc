// Fuzzes a connector's configuration file as every connector loads it
// (LoadConnectorConfig): the input is the file's text. It is either refused
// with the file, a line of it and a reason, or it loads, and then what the
// connector takes from it as it is holds: listen is host:port with a port
// 0-65535 (the server splits it again), the agency is a valid agency code
// and every allowed caller a spiffe:// ID.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "common/identifiers/agency_code.h"
#include "connectors/runtime/connector_config.h"
#include "tests/fuzz/config_file.h"

using ndxp::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ndxp::fuzz::ConfigFile kFile("connector.textproto");  // removed at exit
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  kFile.Write(text);

  absl::StatusOr<ndxp::config::v1::ConnectorConfig> config =
      ndxp::connectors::LoadConnectorConfig(kFile.path());
  if (!config.ok()) {
    ndxp::fuzz::CheckRefusal(config.status(), kFile.path(), text);
    return 0;
  }
  std::string host;
  int port = -1;
  Check(ndxp::connectors::SplitHostPort(config->listen(), &host, &port).ok());
  Check(port >= 0 && port <= 65535);
  Check(!config->trust_domain().empty());
  Check(ndxp::identifiers::IsValidAgencyCode(config->agency()));
  Check(!config->tls().ca_cert().empty() && !config->tls().cert().empty() &&
        !config->tls().key().empty());
  Check(!config->allowed_callers().empty());
  for (const std::string& caller : config->allowed_callers()) {
    Check(absl::StartsWith(caller, "spiffe://") && caller.size() > 9);
  }
  return 0;
}
