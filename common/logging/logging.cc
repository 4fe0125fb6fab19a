#include "common/logging/logging.h"

#include <errno.h>  // program_invocation_short_name
#include <time.h>

#include <chrono>
#include <cstdio>
#include <utility>

#include <grpc/support/log.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace ndxp::logging {
namespace {

absl::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

void Append(spdlog::memory_buf_t& dest, absl::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

// RFC 3339 in UTC with microseconds: sorts as text, and no time zone to guess.
void AppendTime(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point time) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::microseconds>(
      time.time_since_epoch());
  time_t seconds = static_cast<time_t>(since_epoch.count() / 1000000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  int n = std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                        utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                        utc.tm_min, utc.tm_sec,
                        static_cast<long long>(since_epoch.count() % 1000000));
  Append(dest, absl::string_view(text, n > 0 ? static_cast<size_t>(n) : 0));
}

// Length of the valid UTF-8 sequence at the start of `s`, 0 if it is not one.
size_t Utf8SequenceLength(absl::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (lead == 0xED && byte(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;
    if (lead == 0xF4 && byte(1) > 0x8F) return 0;
    return 4;
  }
  return 0;
}

// A JSON string's content. Messages may quote what a peer sent, so bytes
// that are not UTF-8 become U+FFFD: every line stays valid JSON.
void AppendJsonString(spdlog::memory_buf_t& dest, absl::string_view text) {
  dest.push_back('"');
  while (!text.empty()) {
    unsigned char c = static_cast<unsigned char>(text[0]);
    size_t taken = 1;
    if (c == '"' || c == '\\') {
      dest.push_back('\\');
      dest.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      Append(dest, "\\n");
    } else if (c == '\t') {
      Append(dest, "\\t");
    } else if (c < 0x20 || c == 0x7F) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      Append(dest, escaped);
    } else if (c < 0x80) {
      dest.push_back(static_cast<char>(c));
    } else if (size_t length = Utf8SequenceLength(text); length > 0) {
      Append(dest, text.substr(0, length));
      taken = length;
    } else {
      Append(dest, "\\ufffd");
    }
    text.remove_prefix(taken);
  }
  dest.push_back('"');
}

class LineFormatter final : public spdlog::formatter {
 public:
  LineFormatter(std::string program, LogFormat format)
      : program_(std::move(program)), format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    absl::string_view component(msg.logger_name.data(), msg.logger_name.size());
    absl::string_view message(msg.payload.data(), msg.payload.size());
    if (format_ == LogFormat::kJson) {
      Append(dest, "{\"time\":\"");
      AppendTime(dest, msg.time);
      Append(dest, "\",\"level\":\"");
      Append(dest, LevelName(msg.level));
      Append(dest, "\",\"program\":");
      AppendJsonString(dest, program_);
      Append(dest, ",\"component\":");
      AppendJsonString(dest, component);
      Append(dest, ",\"message\":");
      AppendJsonString(dest, message);
      Append(dest, "}\n");
      return;
    }
    AppendTime(dest, msg.time);
    dest.push_back(' ');
    for (char c : LevelName(msg.level)) dest.push_back(static_cast<char>(c - 'a' + 'A'));
    dest.push_back(' ');
    Append(dest, program_);
    dest.push_back(' ');
    Append(dest, component);
    Append(dest, ": ");
    // One event, one line: a message's own line breaks are shown, not made.
    for (char c : message) {
      if (c == '\n') {
        Append(dest, "\\n");
      } else if (c == '\r') {
        Append(dest, "\\r");
      } else {
        dest.push_back(c);
      }
    }
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(program_, format_);
  }

 private:
  const std::string program_;
  const LogFormat format_;
};

// Every logger writes through one stderr sink, so a format change reaches all.
class Loggers {
 public:
  static Loggers& Get() {
    static Loggers* loggers = new Loggers();  // never destroyed: logging works until exit
    return *loggers;
  }

  spdlog::logger& For(absl::string_view component) {
    absl::MutexLock lock(&mu_);
    auto it = loggers_.find(component);
    if (it == loggers_.end()) {
      auto logger = std::make_shared<spdlog::logger>(std::string(component), sink_);
      logger->set_level(level_);
      logger->flush_on(spdlog::level::trace);
      it = loggers_.emplace(std::string(component), std::move(logger)).first;
    }
    return *it->second;
  }

  void Configure(std::string program, LogFormat format, spdlog::level::level_enum level) {
    absl::MutexLock lock(&mu_);
    sink_->set_formatter(MakeLineFormatter(std::move(program), format));
    level_ = level;
    for (auto& [name, logger] : loggers_) logger->set_level(level);
  }

 private:
  Loggers() : sink_(std::make_shared<spdlog::sinks::stderr_sink_mt>()) {
    sink_->set_formatter(MakeLineFormatter(program_invocation_short_name, LogFormat::kText));
  }

  const std::shared_ptr<spdlog::sinks::sink> sink_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<spdlog::logger>> loggers_
      ABSL_GUARDED_BY(mu_);
  spdlog::level::level_enum level_ ABSL_GUARDED_BY(mu_) = spdlog::level::info;
};

void GrpcToLog(gpr_log_func_args* args) {
  spdlog::level::level_enum level = args->severity == GPR_LOG_SEVERITY_ERROR ? spdlog::level::err
                                    : args->severity == GPR_LOG_SEVERITY_INFO
                                        ? spdlog::level::info
                                        : spdlog::level::debug;
  Log("grpc").log(level, "{} ({}:{})", args->message, args->file, args->line);
}

}  // namespace

const char kLogFlagsUsage[] =
    "  --log-format text|json  one line per message on stderr: time (UTC), level,\n"
    "                     program, component, message; json: one object a line\n"
    "                     (default: text)\n"
    "  --log-level LEVEL  debug, info, warn or error (default: info)\n";

void AddLogFlags(CLI::App& app, LogFlags& flags) {
  // The type names say the choices; CLI11 would append them a second time.
  app.add_option("--log-format", flags.format, "log lines as text or json")
      ->type_name("text|json")
      ->check(CLI::IsMember({"text", "json"}).description(""))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--log-level", flags.level, "least severe level logged")
      ->type_name("debug|info|warn|error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}).description(""))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void InitLogging(absl::string_view program, const LogFlags& flags) {
  spdlog::level::level_enum level = flags.level == "debug"  ? spdlog::level::debug
                                    : flags.level == "warn"  ? spdlog::level::warn
                                    : flags.level == "error" ? spdlog::level::err
                                                             : spdlog::level::info;
  Loggers::Get().Configure(std::string(program),
                           flags.format == "json" ? LogFormat::kJson : LogFormat::kText, level);
  // gRPC's info messages are about its internals (which poller, ...): they
  // stay off, as gRPC has them by default, unless debugging.
  gpr_set_log_verbosity(level <= spdlog::level::debug ? GPR_LOG_SEVERITY_DEBUG
                                                      : GPR_LOG_SEVERITY_ERROR);
  gpr_set_log_function(&GrpcToLog);
}

spdlog::logger& Log(absl::string_view component) { return Loggers::Get().For(component); }

std::unique_ptr<spdlog::formatter> MakeLineFormatter(std::string program, LogFormat format) {
  return std::make_unique<LineFormatter>(std::move(program), format);
}

}  // namespace ndxp::logging
