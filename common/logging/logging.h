// The one logging setup of every ndxp binary (spdlog): one line per message
// on stderr with its time (UTC, microseconds), level, program and component,
// as text for people or as JSON for a log pipeline (--log-format json).
//
// Example:
//   // main(), after parsing the flags (AddLogFlags adds --log-format, --log-level):
//   ndxp::logging::InitLogging("ndxp-hub", log_flags);
//   // anywhere:
//   ndxp::logging::Log("transport").warn("TLS handshake from {} refused: {}", peer, why);
//
// text: 2026-06-30T08:15:02.123456Z WARN ndxp-hub transport: TLS handshake from ...
// json: {"time":"2026-06-30T08:15:02.123456Z","level":"warn","program":"ndxp-hub",
//        "component":"transport","message":"TLS handshake from ..."}
//
// gRPC's own messages (gpr_log) go through the same setup under component
// "grpc". Thread-safe: loggers may be used from any thread.
#ifndef NDXP_COMMON_LOGGING_LOGGING_H_
#define NDXP_COMMON_LOGGING_LOGGING_H_

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include "absl/strings/string_view.h"

namespace ndxp::logging {

enum class LogFormat { kText, kJson };

// What the command line chooses (AddLogFlags); the defaults are a binary's
// without the flags.
struct LogFlags {
  std::string format = "text";  // "text" or "json"
  std::string level = "info";   // "debug", "info", "warn" or "error"
};

// Adds --log-format text|json and --log-level debug|info|warn|error to `app`;
// CLI11 refuses other values naming the flag. `flags` must outlive parsing.
void AddLogFlags(CLI::App& app, LogFlags& flags);

// The usage lines of those two flags, for binaries that write their own help.
extern const char kLogFlagsUsage[];

// Sets the format and level of every logger, present and future, and routes
// gRPC's log through them. Call in main() once the flags are parsed; until
// then lines are text at info level under the executable's name.
void InitLogging(absl::string_view program, const LogFlags& flags);

// The logger whose lines name `component` ("transport", "recording", "tls").
// Created on first use; lives until the process exits.
spdlog::logger& Log(absl::string_view component);

// ------------------------------------------------------- exposed for testing

// Formats one message as a line of `format`, ending in '\n'.
std::unique_ptr<spdlog::formatter> MakeLineFormatter(std::string program, LogFormat format);

}  // namespace ndxp::logging

// Debian's Abseil has its own string_view (not std's): format it as text, so
// status.message() and the like go straight into a log line.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Context>
  auto format(absl::string_view text, Context& context) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), text.size()),
                                                    context);
  }
};

#endif  // NDXP_COMMON_LOGGING_LOGGING_H_
