// ndxp-hub: the federation's mutual-TLS gRPC hub.
#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/files/durable_file.h"
#include "common/logging/logging.h"
#include "common/version/version.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_server.h"

namespace {

constexpr char kUsageHead[] = R"(Usage: ndxp-hub --config FILE [--ready-file FILE] [--check-config]
               [--admin-ready-file FILE]

The national data-exchange hub: authenticates every agency node with mutual
TLS, checks access rights, and forwards each call unparsed to the connector of
the agency that owns the data.

  --config FILE      hub configuration, protobuf text format
                     (schema: proto/ndxp/config/v1/hub.proto)
  --ready-file FILE  once serving, write "HOST:PORT" here (atomically)
  --admin-ready-file FILE
                     once serving, write the admin listener's "HOST:PORT" here
                     (with admin { listen } configured; port 0 picks one)
  --check-config     validate the configuration and exit
  --test-faults DIR  for tests only: commits wait while DIR/hold exists and
                     fail while DIR/fail exists
)";

constexpr char kUsageTail[] = R"(  --help             this text
  --version          print the version and exit

A flag's value follows it (--config FILE) or an equals sign (--config=FILE).

SIGHUP reloads the configuration: it is validated first, and on any error
the running configuration stays (the error is printed). Routes, grants,
operators and deadlines change for calls that start afterwards. The TLS
certificate, key, CA and CRLs are read anew on SIGHUP and whenever the files
change (checked every 2 s): new handshakes use them at once. listen, admin,
the tls file names, recording and limits.max_message_bytes need a restart.

The admin listener (admin { listen: "127.0.0.1:9090" }) serves /metrics,
/healthz, /readyz (the hub's own state only), /connectors and a dashboard at
/; on a non-loopback address only over HTTPS to operators' client
certificates (docs/admin.md).

SIGTERM drains: GOAWAY to every caller, calls in flight finish (5 s at most),
then the hub exits.

Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 2 on an invalid
configuration (the error names file, line and reason), 1 on other failures.
)";

}  // namespace

using ndxp::logging::Log;

int main(int argc, char** argv) {
  // Flags by CLI11, as every ndxp binary: "--config FILE" and "--config=FILE"
  // alike. --help prints the usage text. CLI11's own config-file option stays off:
  // --config is the hub's configuration.
  std::string config_path;
  std::string ready_file;
  std::string admin_ready_file;
  bool check_only = false;
  ndxp::gateway::HubServer::TestOptions test_options;
  ndxp::logging::LogFlags log_flags;
  const std::string usage =
      absl::StrCat(kUsageHead, ndxp::logging::kLogFlagsUsage, kUsageTail);
  CLI::App app("The national data-exchange hub.", "ndxp-hub");
  app.formatter_fn([&](const CLI::App*, std::string, CLI::AppFormatMode) { return usage; });
  app.add_option("--config", config_path, "hub configuration, protobuf text format");
  app.add_option("--ready-file", ready_file, "once serving, write \"HOST:PORT\" here");
  app.add_option("--admin-ready-file", admin_ready_file,
                 "once serving, write the admin listener's \"HOST:PORT\" here");
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  app.add_option("--test-faults", test_options.fault_directory,
                 "for tests only: commits wait while DIR/hold exists, fail while DIR/fail does");
  ndxp::logging::AddLogFlags(app, log_flags);
  app.set_version_flag("--version", std::string(ndxp::Version()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << usage;
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::cout << ndxp::VersionLine("ndxp-hub");
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "ndxp-hub: " << e.what() << "\n\n" << usage;
    return 2;
  }
  if (config_path.empty()) {
    std::cerr << "ndxp-hub: --config FILE is required\n\n" << usage;
    return 2;
  }
  ndxp::logging::InitLogging("ndxp-hub", log_flags);

  absl::StatusOr<ndxp::gateway::HubSettings> settings =
      ndxp::gateway::LoadHubConfig(config_path);
  if (!settings.ok()) {
    Log("config").error("invalid configuration: {}", settings.status().message());
    return 2;
  }
  if (check_only) {
    std::cout << "ndxp-hub: " << config_path << " is valid\n";
    return 0;
  }

  // Block the stop signals before any thread starts, then wait for them on
  // this thread: no work in a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Every caller's connection is a descriptor: the soft limit (often 1024)
  // goes up to the hard one, so limits.max_connections is what binds.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  // Debian's Abseil checks every mutex for deadlock cycles (BENCHMARKS.md).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::string listen = settings->config.listen();
  size_t route_count = settings->config.routes_size();
  absl::StatusOr<std::unique_ptr<ndxp::gateway::HubServer>> hub =
      ndxp::gateway::HubServer::Start(*std::move(settings), test_options);
  if (!hub.ok()) {
    Log("hub").error("cannot start: {}", hub.status().message());
    return 1;
  }
  std::string host = listen.substr(0, listen.rfind(':'));
  std::string address = absl::StrCat(host, ":", (*hub)->port());
  Log("hub").info("listening on {} ({} routed services)", address, route_count);
  std::string admin = (*hub)->admin_address();
  if (!admin.empty()) {
    Log("admin").info("listening on {} (/metrics, /healthz, /readyz, /connectors, /)", admin);
  }
  // Before the hub's ready file: whoever waits for that one finds both.
  if (!admin_ready_file.empty() &&
      (admin.empty() || !ndxp::WriteFileDurably(admin_ready_file, admin + "\n", 0644).ok())) {
    Log("hub").error("cannot write {}{}", admin_ready_file,
                     admin.empty() ? ": no admin { listen } is configured" : "");
    return 1;
  }
  if (!ready_file.empty() && !ndxp::WriteFileDurably(ready_file, address + "\n", 0644).ok()) {
    Log("hub").error("cannot write the ready file {}", ready_file);
    return 1;
  }

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    absl::StatusOr<ndxp::gateway::HubSettings> next = ndxp::gateway::LoadHubConfig(config_path);
    absl::Status reloaded = next.ok() ? (*hub)->Reload(*std::move(next)) : next.status();
    if (reloaded.ok()) {
      Log("config").info("reloaded {}", config_path);
    } else {
      Log("config").error("reload failed, keeping the running configuration: {}",
                          reloaded.message());
    }
  }
  Log("hub").info("{}, shutting down", strsignal(signal_number));
  (*hub)->Shutdown();
  return 0;
}
