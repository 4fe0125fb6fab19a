#include "tools/ndxpctl/ndxpctl.h"

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/tls/credentials.h"
#include "gateway/recording/audit_verification.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/statistics/history_import.h"
#include "ndxp/hub/v1/statistics.grpc.pb.h"
#include "tools/ndxpctl/output_format.h"

#ifndef NDXP_VERSION
#define NDXP_VERSION "unknown"
#endif

namespace ndxp::ndxpctl {
namespace {

namespace v1 = ::ndxp::hub::v1;

const std::map<std::string, v1::Period::Kind>& PeriodKinds() {
  static const auto* kinds = new std::map<std::string, v1::Period::Kind>{
      {"day", v1::Period::DAY},         {"month", v1::Period::MONTH},
      {"quarter", v1::Period::QUARTER}, {"half-year", v1::Period::HALF_YEAR},
      {"year", v1::Period::YEAR},       {"custom", v1::Period::CUSTOM},
      {"cumulative", v1::Period::CUMULATIVE}};
  return *kinds;
}

const std::map<std::string, v1::Dimension>& Dimensions() {
  static const auto* dimensions = new std::map<std::string, v1::Dimension>{
      {"consumer", v1::CONSUMER}, {"provider", v1::PROVIDER}, {"service", v1::SERVICE},
      {"method", v1::METHOD},     {"status", v1::STATUS}};
  return *dimensions;
}

// Everything the commands read, filled by CLI11.
struct Flags {
  // Connecting to the hub (stats, growth).
  std::string hub, ca, cert, key;
  // The query (stats, growth).
  std::string period, anchor, from, to, group_by;
  std::string format = "table";
  std::string baseline = "year-on-year";
  // Offline (stats import, audit verify).
  std::string database, csv, postgres;
  // audit verify: heads known from elsewhere, the counters' zone.
  std::vector<std::string> expect_heads;
  std::string time_zone = "Asia/Ho_Chi_Minh";
};

// A usage error found after parsing: exit 2, as CLI11's own.
struct UsageError {
  std::string command;  // "ndxpctl stats"
  std::string problem;
};

int ReportUsageError(const UsageError& usage, std::ostream& err) {
  err << usage.command << ": " << usage.problem << "\nRun \"" << usage.command
      << " --help\" for usage.\n";
  return kExitUsage;
}

template <typename Map>
std::string Keys(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : map) keys.push_back(key);
  return absl::StrJoin(keys, ", ");
}

// CLI11 validators answer "" when the value is fine, the problem otherwise;
// CLI11 puts the flag's name in front.
CLI::Validator OneOf(std::vector<std::string> names) {
  return CLI::Validator(
      [names](std::string& value) -> std::string {
        for (const std::string& name : names) {
          if (value == name) return "";
        }
        return absl::StrCat("\"", value, "\" is not one of ", absl::StrJoin(names, ", "));
      },
      "");
}

bool ParseDay(const std::string& text, v1::Day* day) {
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  int y, m, d;
  if (parts.size() != 3 || parts[0].size() != 4 || parts[1].size() != 2 || parts[2].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d)) {
    return false;
  }
  day->set_year(y);
  day->set_month(m);
  day->set_day(d);
  return true;
}

CLI::Validator DayFormat() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        v1::Day day;
        return ParseDay(value, &day) ? "" : absl::StrCat("\"", value, "\" is not YYYY-MM-DD");
      },
      "");
}

CLI::Validator GroupByFormat() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        for (absl::string_view name : absl::StrSplit(value, ',')) {
          if (Dimensions().count(std::string(name)) == 0) {
            return absl::StrCat("unknown dimension \"", name, "\" (expected a comma-separated ",
                                "list of ", Keys(Dimensions()), ")");
          }
        }
        return "";
      },
      "");
}

CLI::Validator OutputFormatName() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        absl::StatusOr<OutputFormat> format = ParseOutputFormat(value);
        return format.ok() ? "" : std::string(format.status().message());
      },
      "");
}

void AddHubFlags(CLI::App* command, Flags* flags) {
  command->add_option("--hub", flags->hub, "the hub's address")
      ->type_name("HOST:PORT")
      ->envname("NDXP_HUB");
  command->add_option("--ca", flags->ca, "the federation CA's certificate (PEM)")
      ->type_name("FILE")
      ->envname("NDXP_CA");
  command->add_option("--cert", flags->cert, "an operator's certificate (PEM)")
      ->type_name("FILE")
      ->envname("NDXP_CERT");
  command->add_option("--key", flags->key, "its private key (PEM)")
      ->type_name("FILE")
      ->envname("NDXP_KEY");
}

void AddQueryFlags(CLI::App* command, Flags* flags) {
  command
      ->add_option("--period", flags->period,
                   "day, month, quarter, half-year or year containing --anchor; "
                   "cumulative: everything up to --anchor; custom: --from .. --to (required)")
      ->type_name("KIND")
      ->check(OneOf({"day", "month", "quarter", "half-year", "year", "custom", "cumulative"}));
  command->add_option("--anchor", flags->anchor, "a day in the period")
      ->type_name("YYYY-MM-DD")
      ->check(DayFormat());
  command->add_option("--from", flags->from, "first day of a custom period")
      ->type_name("YYYY-MM-DD")
      ->check(DayFormat());
  command->add_option("--to", flags->to, "last day of a custom period (included)")
      ->type_name("YYYY-MM-DD")
      ->check(DayFormat());
  command
      ->add_option("--group-by", flags->group_by,
                   "one row per value of these, e.g. consumer,method "
                   "(consumer, provider, service, method, status)")
      ->type_name("DIMENSIONS")
      ->check(GroupByFormat());
  command
      ->add_option("--format", flags->format,
                   "table (for people), csv or json (for programs; both carry the total)")
      ->type_name("table|csv|json")
      ->check(OutputFormatName())
      ->capture_default_str();
}

// Fills period and group_by; the flags' validators have checked each value,
// the hub checks that they fit together.
absl::Status BuildQuery(const Flags& flags, v1::Period* period,
                        google::protobuf::RepeatedField<int>* group_by) {
  if (flags.period.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--period is required (", Keys(PeriodKinds()), ")"));
  }
  period->set_kind(PeriodKinds().at(flags.period));
  if (!flags.anchor.empty()) ParseDay(flags.anchor, period->mutable_anchor());
  if (!flags.from.empty()) ParseDay(flags.from, period->mutable_from());
  if (!flags.to.empty()) ParseDay(flags.to, period->mutable_to());
  if (!flags.group_by.empty()) {
    for (absl::string_view name : absl::StrSplit(flags.group_by, ',')) {
      group_by->Add(Dimensions().at(std::string(name)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<v1::Statistics::Stub>> Connect(const Flags& flags) {
  for (const auto& [value, flag, variable] :
       {std::tuple{&flags.hub, "--hub HOST:PORT", "NDXP_HUB"},
        std::tuple{&flags.ca, "--ca FILE", "NDXP_CA"},
        std::tuple{&flags.cert, "--cert FILE", "NDXP_CERT"},
        std::tuple{&flags.key, "--key FILE", "NDXP_KEY"}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " is required (or set ", variable, ")"));
    }
  }
  ndxp::config::v1::TlsFiles files;
  files.set_ca_cert(flags.ca);
  files.set_cert(flags.cert);
  files.set_key(flags.key);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ndxp::tls::MutualTlsChannelCredentials(files);
  if (!credentials.ok()) return absl::InvalidArgumentError(credentials.status().message());
  return v1::Statistics::NewStub(grpc::CreateChannel(flags.hub, *credentials));
}

// Asks the hub; prints the answer with `render`, or the hub's refusal.
template <typename Request, typename Response, typename Render>
int Ask(const std::string& command, const Flags& flags,
        grpc::Status (v1::Statistics::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                  Response*),
        const Request& request, Render render, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::unique_ptr<v1::Statistics::Stub>> stub = Connect(flags);
  if (!stub.ok()) return ReportUsageError({command, std::string(stub.status().message())}, err);
  grpc::ClientContext context;
  Response response;
  grpc::Status status = ((**stub).*rpc)(&context, request, &response);
  if (!status.ok()) {
    err << "ndxpctl: the hub answered " << DescribeStatus(status) << "\n";
    return kExitFailure;
  }
  out << render(request, response, *ParseOutputFormat(flags.format));
  return 0;
}

int Stats(const Flags& flags, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl stats";
  v1::CountRequest request;
  if (absl::Status built = BuildQuery(flags, request.mutable_period(), request.mutable_group_by());
      !built.ok()) {
    return ReportUsageError({command, std::string(built.message())}, err);
  }
  return Ask(command, flags, &v1::Statistics::Stub::Count, request, &RenderCount, out, err);
}

int Growth(const Flags& flags, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl growth";
  v1::GrowthRequest request;
  if (absl::Status built = BuildQuery(flags, request.mutable_period(), request.mutable_group_by());
      !built.ok()) {
    return ReportUsageError({command, std::string(built.message())}, err);
  }
  request.set_baseline(flags.baseline == "previous" ? v1::GrowthRequest::PREVIOUS_PERIOD
                                                    : v1::GrowthRequest::YEAR_ON_YEAR);
  return Ask(command, flags, &v1::Statistics::Stub::Growth, request, &RenderGrowth, out, err);
}

int Import(const Flags& flags, std::ostream& out, std::ostream& err) {
  std::ifstream csv(flags.csv);
  if (!csv) {
    err << "ndxpctl: cannot read " << flags.csv << "\n";
    return kExitFailure;
  }
  auto summary = ndxp::gateway::statistics::ImportHistoryCsv(flags.database, csv, flags.csv);
  if (!summary.ok()) {
    err << "ndxpctl: nothing imported: " << summary.status().message() << "\n";
    return kExitFailure;
  }
  out << "imported " << WithThousandsSeparators(summary->rows) << " rows, "
      << WithThousandsSeparators(summary->total_count) << " transactions";
  if (summary->first_day.has_value()) {
    out << ", " << absl::FormatCivilTime(*summary->first_day) << " .. "
        << absl::FormatCivilTime(*summary->last_day);
  }
  out << "\n";
  return 0;
}

int AuditVerify(const Flags& flags, std::ostream& out, std::ostream& err) {
  if (flags.database.empty() == flags.postgres.empty()) {
    return ReportUsageError(
        {"ndxpctl audit verify", "needs --database FILE or --postgres CONNINFO"}, err);
  }
  ndxp::gateway::AuditVerifyOptions options;
  options.time_zone = flags.time_zone;
  options.ca_file = flags.ca;
  for (const std::string& text : flags.expect_heads) {
    auto head = ndxp::gateway::ParseExpectedHead(text);
    if (!head.ok()) {
      return ReportUsageError({"ndxpctl audit verify", std::string(head.status().message())}, err);
    }
    options.expect_heads.push_back(*std::move(head));
  }
  std::string report;
  absl::Status verified =
      flags.postgres.empty()
          ? ndxp::gateway::SqliteTransactionStore::VerifyAuditChain(flags.database, options,
                                                                    &report)
          : ndxp::gateway::PostgresTransactionStore::VerifyAuditChain(flags.postgres, options,
                                                                      &report);
  if (!verified.ok()) {
    err << "ndxpctl: audit log NOT intact: " << verified.message() << "\n";
    return kExitFailure;
  }
  out << "audit log intact: " << report << "\n";
  return 0;
}

// The last command parsed ("import" in "ndxpctl stats import ..."), and
// the command line up to it.
const CLI::App* LastCommand(const CLI::App& app, std::string* line) {
  *line = app.get_name();
  const CLI::App* command = &app;
  for (std::vector<CLI::App*> parsed = app.get_subcommands(); !parsed.empty();
       parsed = command->get_subcommands()) {
    command = parsed.front();
    absl::StrAppend(line, " ", command->get_name());
  }
  return command;
}

// CLI11's message, except that a word where a command is required is an
// unknown command (CLI11 would say "A subcommand is required").
std::string ParseProblem(const CLI::ParseError& error, const CLI::App& command) {
  std::vector<std::string> words = command.remaining();
  if (command.get_require_subcommand_min() == 0 || words.empty() ||
      absl::StartsWith(words.front(), "-")) {
    return error.what();
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : command.get_subcommands({})) names.push_back(sub->get_name());
  std::string expected = names.size() == 1 ? names[0]
                                           : absl::StrCat(absl::StrJoin(names.begin(),
                                                                        names.end() - 1, ", "),
                                                          " or ", names.back());
  return absl::StrCat("unknown command \"", words.front(), "\" (expected ", expected, ")");
}

}  // namespace

int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  // One set per command: CLI11 reads the environment for every command's
  // flags, parsed or not, so shared variables would let one command's
  // defaults overwrite another's flags.
  Flags stats_flags, import_flags, growth_flags, verify_flags;
  CLI::App app("The operator's command line for the ndxp hub.", "ndxpctl");
  app.set_version_flag("--version", absl::StrCat("ndxpctl ", NDXP_VERSION));
  app.require_subcommand(1);
  constexpr char kExitStatus[] =
      "Exit status: 0 success, 1 failure (the reason is printed), 2 usage error.";
  constexpr char kHubDefaults[] =
      "--hub, --ca, --cert and --key default to $NDXP_HUB, $NDXP_CA, $NDXP_CERT, $NDXP_KEY.";

  CLI::App* stats = app.add_subcommand(
      "stats", "Transactions in a period, grouped (the hub's Statistics API)");
  stats->require_subcommand(0, 1);
  AddHubFlags(stats, &stats_flags);
  AddQueryFlags(stats, &stats_flags);
  stats->footer(absl::StrCat(
      "Asks the hub over mutual TLS with an operator's certificate (one listed under\n"
      "`operators` in the hub's configuration). ", kHubDefaults, "\n\n",
      "Example: ndxpctl stats --period half-year --anchor 2026-06-30 --group-by consumer,method\n\n",
      kExitStatus));

  CLI::App* import = stats->add_subcommand(
      "import", "Add counts from before the hub existed to its SQLite database (offline)");
  import->add_option("--database", import_flags.database,
                     "the hub's SQLite database (recording.database)")
      ->type_name("FILE")
      ->required();
  import
      ->add_option("--csv", import_flags.csv,
                   "the counts: a header, then day,consumer,provider,service,method,status,count")
      ->type_name("FILE")
      ->required();
  import->footer(absl::StrCat(
      "So that year-on-year works from the first day. Every row is checked first: one bad\n"
      "row imports nothing and names its line.\n\n"
      "Example: ndxpctl stats import --database state/data/hub.db --csv history-2025.csv\n\n",
      kExitStatus));

  CLI::App* growth = app.add_subcommand(
      "growth", "A period against a year earlier or the period before (the hub's Statistics API)");
  AddHubFlags(growth, &growth_flags);
  AddQueryFlags(growth, &growth_flags);
  growth
      ->add_option("--baseline", growth_flags.baseline,
                   "year-on-year: the same period a year earlier; previous: the period before")
      ->type_name("year-on-year|previous")
      ->check(OneOf({"year-on-year", "previous"}))
      ->capture_default_str();
  growth->footer(absl::StrCat(
      "Both counts, the difference, percent and multiple (\"1,670 vs 1,000, +67.0%, 1.67x\");\n"
      "undefined, and said so, when the baseline is empty. ", kHubDefaults, "\n\n",
      "Example: ndxpctl growth --period quarter --anchor 2026-09-30 --baseline previous\n\n",
      kExitStatus));

  CLI::App* audit = app.add_subcommand("audit", "The hub's audit log");
  audit->require_subcommand(1);
  audit->footer(kExitStatus);
  CLI::App* verify = audit->add_subcommand(
      "verify", "Recompute the audit log's hash chain; name the first edited, deleted or "
                "inserted row");
  CLI::Option* database =
      verify->add_option("--database", verify_flags.database, "the hub's SQLite database")
          ->type_name("FILE");
  verify
      ->add_option("--postgres", verify_flags.postgres,
                   "the PostgreSQL database hub replicas share (libpq connection string): "
                   "every replica's chain")
      ->type_name("CONNINFO")
      ->excludes(database);
  verify
      ->add_option("--expect-head", verify_flags.expect_heads,
                   "a chain head known from elsewhere: the chain must reach it (repeatable)")
      ->type_name("[REPLICA:]SEQ:HASH");
  verify
      ->add_option("--ca", verify_flags.ca,
                   "the federation CA (PEM): checkpoints must be signed by one of its "
                   "certificates")
      ->type_name("FILE")
      ->envname("NDXP_CA");
  verify
      ->add_option("--time-zone", verify_flags.time_zone,
                   "the hub's recording.time_zone, in which counters' days are counted")
      ->type_name("ZONE")
      ->capture_default_str();
  verify->footer(absl::StrCat(
      "Checks every replica's hash chain, that it reaches the hub's latest signed\n"
      "checkpoint (rows deleted at the end are reported) and every --expect-head, and\n"
      "that the counters agree with the audit rows (a count that disagrees is named by\n"
      "day, consumer, method and status). Days of imported history, which have no audit\n"
      "rows, are not reconciled.\n\n"
      "Example: ndxpctl audit verify --database state/data/hub.db --ca certs/ca.pem\n\n",
      kExitStatus));

  // Set last: subcommands copy their parent's footer when created.
  app.footer(absl::StrCat(kHubDefaults, "\nRun \"ndxpctl COMMAND --help\" for a command's flags.\n",
                          kExitStatus));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e, out, err);  // --help, --version
    }
    std::string line;
    const CLI::App* command = LastCommand(app, &line);
    return ReportUsageError({line, ParseProblem(e, *command)}, err);
  }

  if (import->parsed()) return Import(import_flags, out, err);
  if (stats->parsed()) return Stats(stats_flags, out, err);
  if (growth->parsed()) return Growth(growth_flags, out, err);
  if (verify->parsed()) return AuditVerify(verify_flags, out, err);
  return ReportUsageError({"ndxpctl", "a command is required"}, err);
}

}  // namespace ndxp::ndxpctl
