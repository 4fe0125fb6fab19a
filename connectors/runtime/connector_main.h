// The main() of a connector binary, shared so every connector behaves the
// same for launchers and operators:
//
//   ndxp-<name> --config FILE [--ready-file FILE]
//
// It loads and validates the configuration (exit 2 with "file:line: reason"
// in the log if invalid), builds the connector's services through a factory,
// starts the server with mutual TLS and caller authorisation, writes
// "127.0.0.1:PORT\n" to the ready file if asked (atomically: a launcher that
// sees the file sees all of it), then logs
// "listening on HOST:PORT (agency CODE)", and shuts
// down gracefully on SIGTERM or SIGINT, removing the ready file. SIGUSR1
// drains it (its grpc.health.v1 service answers NOT_SERVING, so the hub's
// health checks send it no new calls), SIGUSR2 ends the drain. SIGHUP is
// ignored (connectors have nothing to reload yet).
//
// Example (a connector's whole main.cc):
//   int main(int argc, char** argv) {
//     return ndxp::connectors::ConnectorMain(argc, argv, "residents",
//                                            &CreateResidentsConnector);
//   }
#ifndef NDXP_CONNECTORS_RUNTIME_CONNECTOR_MAIN_H_
#define NDXP_CONNECTORS_RUNTIME_CONNECTOR_MAIN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/impl/service_type.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/logging/logging.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::connectors {

// What a connector plugs in: its services and whatever they need (stores,
// clients), owned together so they outlive the server. Services() is called
// once, before the server starts.
class ConnectorServices {
 public:
  virtual ~ConnectorServices() = default;
  // Not owned by the caller; valid while this object lives.
  virtual std::vector<grpc::Service*> Services() = 0;
};

// Builds a connector from its validated configuration (opening its store,
// generating synthetic data, ...). An INVALID_ARGUMENT error is reported as a
// configuration error (exit 2), anything else as a failure to start (exit 1).
using ConnectorFactory =
    std::function<absl::StatusOr<std::unique_ptr<ConnectorServices>>(
        const ndxp::config::v1::ConnectorConfig&)>;

// Runs the connector until SIGTERM/SIGINT; returns the process exit code:
// 0 after a clean shutdown, --help or --version, 1 if it could not start, 2 for bad
// flags or an invalid configuration. `name` is the part after "ndxp-".
// Call it first thing in main(): it blocks the shutdown signals before any
// thread exists, so they are delivered only to the waiting main thread.
int ConnectorMain(int argc, char** argv, absl::string_view name,
                  const ConnectorFactory& factory);

// ------------------------------------------------------- exposed for testing

struct ConnectorFlags {
  std::string config_path;
  std::string ready_file;  // empty: none
  bool help = false;
  bool version = false;
  logging::LogFlags log;
};

// Parses the arguments after argv[0] with CLI11, the parser of every ndxp
// binary: --config FILE (required unless --help or --version), --ready-file
// FILE, --log-format and --log-level (common/logging), --help, --version;
// "--flag=value" is accepted too, and the last of a repeated flag wins.
// INVALID_ARGUMENT naming the problem otherwise.
absl::StatusOr<ConnectorFlags> ParseConnectorFlags(absl::Span<const char* const> args);

// The usage text printed by --help and after a flag error.
std::string ConnectorUsage(absl::string_view name);

// What the ready file says for a server bound to `host`:`port`: wildcard and
// loopback hosts become 127.0.0.1, where a local launcher can connect.
std::string ReadyAddress(absl::string_view host, int port);

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_CONNECTOR_MAIN_H_
