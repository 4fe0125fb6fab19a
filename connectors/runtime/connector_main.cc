#include "connectors/runtime/connector_main.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>  // usage text; everything else is logged
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files/durable_file.h"
#include "common/version/version.h"
#include "connectors/runtime/caller_authorization.h"
#include "connectors/runtime/connector_config.h"
#include "connectors/runtime/connector_server.h"

namespace ndxp::connectors {
namespace {

using logging::Log;

// How long calls in flight may finish after SIGTERM before being cancelled.
constexpr absl::Duration kShutdownGrace = absl::Seconds(5);

}  // namespace

std::string ConnectorUsage(absl::string_view name) {
  return absl::StrCat(
      "usage: ndxp-", name, " --config FILE [--ready-file FILE]\n",
      "  --config FILE      connector configuration (ndxp.config.v1.ConnectorConfig,\n"
      "                     protobuf text format); required\n"
      "  --ready-file FILE  once serving, write \"127.0.0.1:PORT\\n\" to FILE\n"
      "                     (atomically) for a launcher to wait on\n",
      logging::kLogFlagsUsage,
      "  --help             print this text\n"
      "  --version          print the version and exit\n"
      "A flag's value follows it (--config FILE) or an equals sign (--config=FILE).\n"
      "Stops gracefully on SIGTERM or SIGINT. SIGUSR1 drains the connector: its\n"
      "health service (grpc.health.v1) answers NOT_SERVING, so the hub sends it no\n"
      "new calls while calls in flight finish; SIGUSR2 makes it serve again.\n"
      "Exit status: 0 clean shutdown, 1 could not start, 2 bad flags or invalid\n"
      "configuration.\n");
}

absl::StatusOr<ConnectorFlags> ParseConnectorFlags(absl::Span<const char* const> args) {
  // CLI11 would take "--config=" as "--config" and the next argument as its
  // value: an empty inline value is refused first.
  for (absl::string_view arg : args) {
    for (absl::string_view flag : {"--config", "--ready-file"}) {
      if (arg.size() == flag.size() + 1 && absl::StartsWith(arg, flag) && arg.back() == '=') {
        return absl::InvalidArgumentError(absl::StrCat(flag, " needs a non-empty value"));
      }
    }
  }
  ConnectorFlags flags;
  CLI::App app;
  app.set_help_flag();  // --help is a flag like the others: ConnectorMain prints the usage
  app.add_flag("-h,--help", flags.help);
  app.add_flag("--version", flags.version);
  // No CLI11 config file: --config is the connector's configuration.
  CLI::Option* config = app.add_option("--config", flags.config_path)
                            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  CLI::Option* ready_file = app.add_option("--ready-file", flags.ready_file)
                                ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  logging::AddLogFlags(app, flags.log);
  app.allow_extras();  // named in our own words below
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 wants them reversed
  } catch (const CLI::ArgumentMismatch&) {
    // Only a value-taking flag at the very end lacks its value.
    return absl::InvalidArgumentError(absl::StrCat(args.back(), " needs a value"));
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (std::vector<std::string> extra = app.remaining(); !extra.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown argument \"", extra.front(), "\""));
  }
  for (const auto& [option, value] : {std::pair{config, &flags.config_path},
                                      std::pair{ready_file, &flags.ready_file}}) {
    if (option->count() > 0 && value->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(option->get_name(), " needs a non-empty value"));
    }
  }
  if (!flags.help && !flags.version && flags.config_path.empty()) {
    return absl::InvalidArgumentError("--config FILE is required");
  }
  return flags;
}

std::string ReadyAddress(absl::string_view host, int port) {
  const bool local = host.empty() || host == "0.0.0.0" || host == "[::]" ||
                     host == "::" || host == "localhost" || host == "127.0.0.1" ||
                     host == "[::1]";
  return absl::StrCat(local ? absl::string_view("127.0.0.1") : host, ":", port);
}

int ConnectorMain(int argc, char** argv, absl::string_view name,
                  const ConnectorFactory& factory) {
  const std::string program = absl::StrCat("ndxp-", name);

  // Blocked here, before gRPC starts any thread, so every thread inherits the
  // mask and the signals wait for sigwait below: no work in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<const char*> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  absl::StatusOr<ConnectorFlags> flags = ParseConnectorFlags(args);
  if (!flags.ok()) {
    std::cerr << program << ": " << flags.status().message() << "\n"
              << ConnectorUsage(name);
    return 2;
  }
  if (flags->help) {
    std::cout << ConnectorUsage(name);
    return 0;
  }
  if (flags->version) {
    std::cout << VersionLine(program);
    return 0;
  }

  logging::InitLogging(program, flags->log);

  absl::StatusOr<ndxp::config::v1::ConnectorConfig> config =
      LoadConnectorConfig(flags->config_path);
  if (!config.ok()) {
    Log("config").error("{}", config.status().message());
    return 2;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      AuthorizedServerCredentials(*config);
  if (!credentials.ok()) {
    Log("config").error("{}: tls: {}", flags->config_path, credentials.status().message());
    return 2;
  }

  absl::StatusOr<std::unique_ptr<ConnectorServices>> connector = factory(*config);
  if (!connector.ok()) {
    Log("connector").error("cannot start: {}", connector.status().message());
    return connector.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }

  absl::StatusOr<std::unique_ptr<ConnectorServer>> server =
      ConnectorServer::Start({config->listen(), *credentials, (*connector)->Services()});
  if (!server.ok()) {
    Log("connector").error("cannot start: {} (or the TLS certificate/key is unusable)",
                           server.status().message());
    return 1;
  }
  if (!flags->ready_file.empty()) {
    absl::Status written = WriteFileDurably(
        flags->ready_file,
        absl::StrCat(ReadyAddress((*server)->host(), (*server)->port()), "\n"), 0644);
    if (!written.ok()) {
      Log("connector").error("ready file: {}", written.message());
      (*server)->Shutdown(absl::ZeroDuration());
      return 1;
    }
  }
  // After the ready file: whoever reads this line may rely on the file.
  Log("connector").info("listening on {} (agency {})", (*server)->address(), config->agency());

  int signal_number = 0;
  for (;;) {
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      Log("connector").info("SIGHUP ignored (nothing to reload)");
    } else if (signal_number == SIGUSR1) {
      (*server)->SetServing(false);
      Log("connector").info("draining: health NOT_SERVING, no new calls from the hub (SIGUSR2 "
                            "serves again)");
    } else if (signal_number == SIGUSR2) {
      (*server)->SetServing(true);
      Log("connector").info("serving: health SERVING");
    } else {
      break;
    }
  }
  Log("connector").info("{}, shutting down", strsignal(signal_number));
  (*server)->Shutdown(kShutdownGrace);
  if (!flags->ready_file.empty()) unlink(flags->ready_file.c_str());
  // The server is gone; services and their stores can now be destroyed.
  server->reset();
  connector->reset();
  return 0;
}

}  // namespace ndxp::connectors
