#include "tools/ndxpctl/ndxpctl.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/tls/credentials.h"
#include "common/version/version.h"
#include "absl/time/clock.h"
#include "gateway/call/call_kinds.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_context.h"
#include "gateway/recording/audit_receipt.h"
#include "gateway/recording/audit_verification.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/sqlite_backup.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/statistics/history_import.h"
#include "gateway/statistics/periods.h"
#include "gateway/subjects/subject_keys.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/log_key.h"
#include "gateway/transparency/merkle.h"
#include "gateway/transparency/receipt_proof.h"
#include "gateway/transparency/signed_note.h"
#include "ndxp/hub/v1/data_subject_access.grpc.pb.h"
#include "ndxp/hub/v1/statistics.grpc.pb.h"
#include "ndxp/hub/v1/transparency.grpc.pb.h"
#include "tools/ndxpctl/output_format.h"
#include "tools/ndxpctl/report_data.h"
#include "tools/ndxpctl/report_locale.h"
#include "tools/ndxpctl/report_render.h"

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
      {"method", v1::METHOD},     {"status", v1::STATUS},     {"via", v1::VIA},
      {"door", v1::DOOR}};
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
  std::string calls = "forwarded";
  std::string door;  // "": every door
  // Offline (stats import, audit verify, backup, restore).
  std::string database, csv, postgres;
  // stats import: the batch's name, and whether it replaces one of that name.
  std::string batch;
  bool replace = false;
  // report: --period holds a period's name ("2024H1"); --format html|md|csv.
  std::string lang = "en", out, agency_names;
  // backup --out and restore --from.
  std::string backup_dir;
  bool force = false;
  // openapi: the hub's configuration (--config).
  std::string config;
  // audit verify: heads known from elsewhere, the counters' zone.
  std::vector<std::string> expect_heads;
  std::vector<std::string> witness_vkeys;  // files
  std::string time_zone = "Asia/Ho_Chi_Minh";
  // audit verify: files of the log key's verifier keys (--log-vkey).
  std::vector<std::string> log_vkeys;
  // subject-key generate: the key's id, and whether it is added to --out.
  std::string key_id;
  bool rotate = false;
  // log-key and witness-key generate: the key's name (--out, --force);
  // log-key and witness-key vkey: --key.
  std::string key_name;
  // subject accesses: why the operator looks, and the page size asked for.
  std::string reason;
  int page_size = 0;
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

CLI::Validator PeriodName() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        absl::StatusOr<v1::Period> period = ndxp::gateway::statistics::ParsePeriodName(value);
        return period.ok() ? "" : std::string(period.status().message());
      },
      "");
}

template <typename Parse>
CLI::Validator ParsedBy(Parse parse) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        auto parsed = parse(value);
        return parsed.ok() ? "" : std::string(parsed.status().message());
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

// --lang and --agency-names: how agencies are named beside their codes.
void AddNameFlags(CLI::App* command, Flags* flags, const char* lang_help) {
  command->add_option("--lang", flags->lang, lang_help)
      ->type_name("en|vi")
      ->check(ParsedBy(&ParseLanguage))
      ->capture_default_str();
  command
      ->add_option("--agency-names", flags->agency_names,
                   "more agencies' names, over the hub's (its configuration's `agencies`): a "
                   "CSV with the header code,en,vi, as `ndxpctl agencies --format csv` prints")
      ->type_name("FILE");
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
                   "(consumer, provider, service, method, status, via: the peer hub a call "
                   "came through, - for a direct call; door: the protocol it came in by)")
      ->type_name("DIMENSIONS")
      ->check(GroupByFormat());
  command
      ->add_option("--calls", flags->calls,
                   "forwarded: transactions, the calls the hub forwarded to a connector; "
                   "refused: the calls the hub refused itself (not granted, purpose missing, "
                   "over a limit), which are not transactions")
      ->type_name("forwarded|refused")
      ->check(OneOf({"forwarded", "refused"}))
      ->capture_default_str();
  const std::vector<std::string> doors(std::begin(ndxp::gateway::kDoorNames),
                                       std::end(ndxp::gateway::kDoorNames));
  command
      ->add_option("--door", flags->door,
                   absl::StrCat("only the calls that came in by this door (",
                                absl::StrJoin(doors, ", "),
                                "; imported history and calls from before the hub had other "
                                "doors are grpc's); default: every door"))
      ->type_name("DOOR")
      ->check(OneOf(doors));
  command
      ->add_option("--format", flags->format,
                   "table (for people), csv or json (for programs; both carry the total)")
      ->type_name("table|csv|json")
      ->check(OutputFormatName())
      ->capture_default_str();
}

// Fills period and group_by; the flags' validators have checked each value,
// the hub checks that they fit together.
template <typename Request>
absl::Status BuildQuery(const Flags& flags, Request* request) {
  request->set_calls(flags.calls == "refused" ? v1::REFUSED_BY_HUB : v1::FORWARDED);
  request->set_door(flags.door);
  v1::Period* period = request->mutable_period();
  google::protobuf::RepeatedField<int>* group_by = request->mutable_group_by();
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

// A channel to the hub over mTLS with the operator's certificate.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectChannel(const Flags& flags) {
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
  return grpc::CreateChannel(flags.hub, *credentials);
}

absl::StatusOr<std::unique_ptr<v1::Statistics::Stub>> Connect(const Flags& flags) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectChannel(flags);
  if (!channel.ok()) return channel.status();
  return v1::Statistics::NewStub(*channel);
}

// The names to show beside agency codes: the hub's directory, with
// --agency-names FILE's entries over it. An error names an unreadable or
// malformed FILE.
absl::StatusOr<AgencyDirectory> AgencyNamesFor(const Flags& flags,
                                               v1::Statistics::StubInterface& stub) {
  AgencyDirectory names = FetchAgencyNames(stub);
  if (flags.agency_names.empty()) return names;
  std::ifstream csv(flags.agency_names);
  if (!csv) return absl::NotFoundError(absl::StrCat("cannot read ", flags.agency_names));
  absl::StatusOr<AgencyDirectory> local = ParseAgencyNames(csv, flags.agency_names);
  if (!local.ok()) return local.status();
  names.Merge(*local);
  return names;
}

// Asks the hub; prints the answer with `render` (tables with the agencies'
// names), or the hub's refusal.
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
  // A hub from before doors ignores `door` and counts every door.
  if (response.door() != request.door()) {
    err << "ndxpctl: the hub does not count by door (a version from before doors): its answer "
           "would count every door\n";
    return kExitFailure;
  }
  const OutputFormat format = *ParseOutputFormat(flags.format);
  AgencyDirectory directory;
  if (format == OutputFormat::kTable) {  // programs' formats carry codes only
    absl::StatusOr<AgencyDirectory> names = AgencyNamesFor(flags, **stub);
    if (!names.ok()) {
      err << "ndxpctl: " << names.status().message() << "\n";
      return kExitFailure;
    }
    directory = *std::move(names);
  }
  out << render(request, response, format,
                AgencyLabels{&directory, NameLanguageOf(*ParseLanguage(flags.lang))});
  return 0;
}

int Agencies(const Flags& flags, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl agencies";
  absl::StatusOr<std::unique_ptr<v1::Statistics::Stub>> stub = Connect(flags);
  if (!stub.ok()) return ReportUsageError({command, std::string(stub.status().message())}, err);
  grpc::ClientContext context;
  v1::ListAgenciesResponse response;
  grpc::Status status = (**stub).ListAgencies(&context, v1::ListAgenciesRequest(), &response);
  if (!status.ok()) {
    err << "ndxpctl: the hub answered " << DescribeStatus(status) << "\n";
    return kExitFailure;
  }
  out << RenderAgencies(response, *ParseOutputFormat(flags.format));
  return 0;
}

int Stats(const Flags& flags, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl stats";
  v1::CountRequest request;
  if (absl::Status built = BuildQuery(flags, &request); !built.ok()) {
    return ReportUsageError({command, std::string(built.message())}, err);
  }
  return Ask(command, flags, &v1::Statistics::Stub::Count, request, &RenderCount, out, err);
}

int Growth(const Flags& flags, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl growth";
  v1::GrowthRequest request;
  if (absl::Status built = BuildQuery(flags, &request); !built.ok()) {
    return ReportUsageError({command, std::string(built.message())}, err);
  }
  request.set_baseline(flags.baseline == "previous" ? v1::GrowthRequest::PREVIOUS_PERIOD
                                                    : v1::GrowthRequest::YEAR_ON_YEAR);
  return Ask(command, flags, &v1::Statistics::Stub::Growth, request, &RenderGrowth, out, err);
}

// The start of `day` (YYYY-MM-DD, checked by DayFormat) in `zone`.
google::protobuf::Timestamp StartOfDay(const std::string& day, const absl::TimeZone& zone,
                                       int days_later = 0) {
  v1::Day parsed;
  ParseDay(day, &parsed);
  const absl::Time start = absl::FromCivil(
      absl::CivilDay(parsed.year(), parsed.month(), parsed.day()) + days_later, zone);
  google::protobuf::Timestamp time;
  time.set_seconds(absl::ToUnixSeconds(start));
  return time;
}

// A personal ID from standard input (its first line): never from argv,
// which other users of the machine can read (ps) and shells keep.
absl::StatusOr<std::string> ReadPersonalId(std::istream& in) {
  std::string line;
  std::getline(in, line);
  std::string id(absl::StripAsciiWhitespace(line));
  if (id.empty()) {
    return absl::InvalidArgumentError(
        "the personal ID is read from standard input (never from the command line): none given");
  }
  return id;
}

// An agency's name, or its code when the hub has none.
std::string NameOr(const std::string& name, const std::string& code) {
  return name.empty() ? code : name;
}

// Every page of one person's accesses, as a table: who, whose data, what,
// why, with what outcome, in the hub's time zone.
int SubjectAccesses(const Flags& flags, std::istream& in, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl subject accesses";
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(flags.time_zone, &zone)) {
    return ReportUsageError({command, absl::StrCat("unknown time zone ", flags.time_zone)}, err);
  }
  v1::ListAccessesRequest request;
  request.set_reason(flags.reason);
  request.set_page_size(flags.page_size);
  if (!flags.from.empty()) *request.mutable_start_time() = StartOfDay(flags.from, zone);
  if (!flags.to.empty()) *request.mutable_end_time() = StartOfDay(flags.to, zone, 1);
  absl::StatusOr<std::string> personal_id = ReadPersonalId(in);
  if (!personal_id.ok()) {
    return ReportUsageError({command, std::string(personal_id.status().message())}, err);
  }
  request.set_personal_id(*personal_id);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectChannel(flags);
  if (!channel.ok()) {
    return ReportUsageError({command, std::string(channel.status().message())}, err);
  }
  std::unique_ptr<v1::DataSubjectAccess::Stub> stub = v1::DataSubjectAccess::NewStub(*channel);
  Table table;
  table.header = {"Time",   "Consumer", "Provider", "Method", "Purpose",
                  "Status", "Door",     "Via",      "Notice deferred until"};
  auto local_time = [&zone](const google::protobuf::Timestamp& time) {
    return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(time.seconds()), zone);
  };
  do {
    grpc::ClientContext context;
    v1::ListAccessesResponse response;
    grpc::Status status = stub->ListAccesses(&context, request, &response);
    if (!status.ok()) {
      err << "ndxpctl: the hub answered " << DescribeStatus(status) << "\n";
      return kExitFailure;
    }
    for (const v1::Access& access : response.accesses()) {
      table.rows.push_back({local_time(access.time()),
                            NameOr(access.consumer_name(), access.consumer()),
                            NameOr(access.provider_name(), access.provider()), access.method(),
                            access.purpose(), access.status(), access.door(), access.via(),
                            access.has_notice_deferred_until()
                                ? local_time(access.notice_deferred_until())
                                : ""});
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  out << table.rows.size() << (table.rows.size() == 1 ? " access" : " accesses")
      << ", newest first (times in " << flags.time_zone << ")\n";
  if (!table.rows.empty()) out << RenderAligned(table);
  return 0;
}

int Import(const Flags& flags, std::ostream& out, std::ostream& err) {
  if (flags.database.empty() == flags.postgres.empty()) {
    return ReportUsageError(
        {"ndxpctl stats import", "needs --database FILE or --postgres CONNINFO"}, err);
  }
  std::ifstream csv(flags.csv);
  if (!csv) {
    err << "ndxpctl: cannot read " << flags.csv << "\n";
    return kExitFailure;
  }
  ndxp::gateway::statistics::ImportOptions options;
  options.batch = flags.batch;
  options.replace = flags.replace;
  int reported = -1;  // the last tenth reported
  options.progress = [&](const ndxp::gateway::statistics::ImportProgress& progress) {
    const int tenth = static_cast<int>(progress.counters_written * 10 / progress.counters);
    if (tenth == reported) return;
    reported = tenth;
    err << "import: " << tenth * 10 << "% (" << WithThousandsSeparators(progress.counters_written)
        << " of " << WithThousandsSeparators(progress.counters) << " counters)\n";
  };
  auto summary = flags.postgres.empty()
                     ? ndxp::gateway::statistics::ImportHistoryCsv(flags.database, csv,
                                                                   flags.csv, options)
                     : ndxp::gateway::statistics::ImportHistoryCsvToPostgres(
                           flags.postgres, csv, flags.csv, options);
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
  out << "\n  batch " << summary->batch << " (sha256 " << summary->sha256 << ")\n";
  if (summary->replaced.has_value()) {
    out << "  replaced the batch imported at " << summary->replaced->imported << " from "
        << summary->replaced->source << " (" << WithThousandsSeparators(summary->replaced->rows)
        << " rows, " << WithThousandsSeparators(summary->replaced->total_count)
        << " transactions)\n";
  }
  if (summary->discarded_unfinished > 0) {
    out << "  discarded " << summary->discarded_unfinished
        << " unfinished or replaced import(s) first (never counted)\n";
  }
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
  options.log_vkey_files = flags.log_vkeys;
  for (const std::string& text : flags.expect_heads) {
    auto head = ndxp::gateway::ParseExpectedHead(text);
    if (!head.ok()) {
      return ReportUsageError({"ndxpctl audit verify", std::string(head.status().message())}, err);
    }
    options.expect_heads.push_back(*std::move(head));
  }
  for (const std::string& path : flags.witness_vkeys) {
    std::ifstream file(path);
    if (!file.is_open()) {
      return ReportUsageError({"ndxpctl audit verify", absl::StrCat("cannot read ", path)}, err);
    }
    const std::string vkey((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    const std::string trimmed(absl::StripAsciiWhitespace(vkey));
    if (auto witness = ndxp::transparency::CosignatureVerifier::FromVkey(trimmed); !witness.ok()) {
      return ReportUsageError({"ndxpctl audit verify",
                               absl::StrCat("--witness-vkey ", path, ": ",
                                            witness.status().message())},
                              err);
    }
    options.witness_vkeys.push_back(trimmed);
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

// `text` to --out FILE, or to `out` without one.
int WriteResult(const std::string& text, const std::string& path, std::ostream& out,
                std::ostream& err) {
  if (path.empty()) {
    out << text;
    return 0;
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    err << "ndxpctl: cannot write " << path << "\n";
    return kExitFailure;
  }
  return 0;
}

// What `audit prove` and `audit verify-receipt` read.
struct ReceiptFlags {
  Flags connection;  // --hub, --ca, --cert, --key
  // prove: REPLICA:INDEX or a receipt, or --request-id (with --replica).
  std::string row, request_id, replica;
  int min_cosignatures = 0;
  std::string format = "text", out;
  // verify-receipt: the proof file, the log's and the witnesses' vkey files.
  std::string proof, vkey;
  std::vector<std::string> witness_vkeys;
  int quorum = -1;  // -1: every witness given
};

// The row a prove argument names: "REPLICA:INDEX", or a receipt
// "REPLICA:INDEX:LEAFHEX" as the hub sends it (x-ndxp-receipt), whose leaf
// is then checked against the hub's. A replica name may hold ':'.
struct ProvedRow {
  std::string replica;
  int64_t leaf_index = 0;
  std::optional<ndxp::transparency::Hash> leaf_hash;
};

absl::StatusOr<ProvedRow> ParseProvedRow(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon != std::string::npos && text.size() - colon - 1 == 64) {
    absl::StatusOr<ndxp::gateway::AuditReceipt> receipt = ndxp::gateway::ParseAuditReceipt(text);
    if (!receipt.ok()) return receipt.status();
    return ProvedRow{receipt->replica, receipt->leaf_index, receipt->leaf_hash};
  }
  ProvedRow row;
  const absl::string_view index =
      colon == std::string::npos ? "" : absl::string_view(text).substr(colon + 1);
  if (colon == std::string::npos || colon == 0 || index.empty() ||
      !std::all_of(index.begin(), index.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(index, &row.leaf_index)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": expected REPLICA:INDEX (e.g. hub-1:41) or a receipt "
        "REPLICA:INDEX:LEAFHASH as the hub's x-ndxp-receipt header holds it"));
  }
  row.replica = text.substr(0, colon);
  return row;
}

ndxp::transparency::Hash HashFromBytes(const std::string& bytes) {
  ndxp::transparency::Hash hash{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), hash.size()), hash.begin());
  return hash;
}

// The proof in words: the receipt it proves, the tree, the proof's hashes
// and the checkpoint note.
std::string ProofText(const ndxp::transparency::ReceiptProof& proof) {
  std::string text = absl::StrCat(
      "receipt ", proof.replica, ":", proof.leaf_index, ":",
      ndxp::transparency::HashHex(proof.leaf_hash), "\n  in replica ", proof.replica,
      "'s tree of ", WithThousandsSeparators(proof.tree_size), " leaves, root ",
      ndxp::transparency::HashHex(proof.root_hash), "\n  inclusion proof, leaf to root (",
      proof.hashes.size(), proof.hashes.size() == 1 ? " hash" : " hashes", "):\n");
  for (const ndxp::transparency::Hash& hash : proof.hashes) {
    absl::StrAppend(&text, "    ", ndxp::transparency::HashHex(hash), "\n");
  }
  absl::StrAppend(&text, "  checkpoint (a signed note: its text, a blank line, signatures):\n");
  for (absl::string_view line : absl::StrSplit(proof.checkpoint, '\n')) {
    absl::StrAppend(&text, line.empty() ? "" : "    ", line, "\n");
  }
  // The note's last "\n" made one empty line too many.
  if (absl::EndsWith(text, "\n\n")) text.pop_back();
  return text;
}

// How many of a signed note's signature lines are cosignatures (C2SP
// tlog-cosignature: a key ID, 8 bytes of time and a 64-byte signature),
// whoever made them: what a checkpoint asked with min_cosignatures must
// have at least (a hub from before min_cosignatures ignores it).
int CosignatureLines(absl::string_view note) {
  const size_t blank = note.find("\n\n");
  if (blank == absl::string_view::npos) return 0;
  int count = 0;
  for (absl::string_view line : absl::StrSplit(note.substr(blank + 2), '\n')) {
    const size_t space = line.rfind(' ');
    std::string signature;
    if (absl::StartsWith(line, "\xE2\x80\x94 ") && space != absl::string_view::npos &&
        absl::Base64Unescape(line.substr(space + 1), &signature) &&
        signature.size() == 4 + 8 + 64) {
      ++count;
    }
  }
  return count;
}

int AuditProve(const ReceiptFlags& flags, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl audit prove";
  if (flags.row.empty() == flags.request_id.empty()) {
    return ReportUsageError(
        {command, "name the call: REPLICA:INDEX (or its receipt), or --request-id ID"}, err);
  }
  if (!flags.row.empty() && !flags.replica.empty()) {
    return ReportUsageError(
        {command, "--replica goes with --request-id (REPLICA:INDEX names its replica)"}, err);
  }
  ProvedRow row;
  row.replica = flags.replica;
  if (!flags.row.empty()) {
    absl::StatusOr<ProvedRow> parsed = ParseProvedRow(flags.row);
    if (!parsed.ok()) return ReportUsageError({command, std::string(parsed.status().message())}, err);
    row = *std::move(parsed);
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectChannel(flags.connection);
  if (!channel.ok()) {
    return ReportUsageError({command, std::string(channel.status().message())}, err);
  }
  std::unique_ptr<v1::Transparency::Stub> stub = v1::Transparency::NewStub(*channel);

  // The checkpoint first, then the proof against its tree size: the proof
  // and the checkpoint match even while the hub signs newer ones.
  v1::GetCheckpointRequest checkpoint_request;
  checkpoint_request.set_replica(row.replica);
  checkpoint_request.set_min_cosignatures(flags.min_cosignatures);
  v1::GetCheckpointResponse checkpoint;
  {
    grpc::ClientContext context;
    grpc::Status status = stub->GetCheckpoint(&context, checkpoint_request, &checkpoint);
    if (!status.ok()) {
      err << "ndxpctl: the hub answered " << DescribeStatus(status) << " (its checkpoint"
          << (flags.min_cosignatures > 0
                  ? absl::StrCat(" cosigned by ", flags.min_cosignatures, " witnesses")
                  : "")
          << ")\n";
      return kExitFailure;
    }
  }
  if (const int cosigned = CosignatureLines(checkpoint.checkpoint());
      cosigned < flags.min_cosignatures) {
    err << "ndxpctl: the hub's checkpoint holds " << cosigned << " cosignature(s), "
        << flags.min_cosignatures
        << " asked for (--min-cosignatures): the hub does not select checkpoints by their "
           "cosignatures (a version from before witnesses)\n";
    return kExitFailure;
  }
  v1::GetInclusionProofRequest proof_request;
  proof_request.set_replica(row.replica);
  proof_request.set_leaf_index(row.leaf_index);
  proof_request.set_request_id(flags.request_id);
  proof_request.set_tree_size(checkpoint.tree_size());
  v1::GetInclusionProofResponse answer;
  {
    grpc::ClientContext context;
    grpc::Status status = stub->GetInclusionProof(&context, proof_request, &answer);
    if (!status.ok()) {
      err << "ndxpctl: the hub answered " << DescribeStatus(status) << "\n";
      return kExitFailure;
    }
  }
  ndxp::transparency::ReceiptProof proof;
  proof.replica = answer.replica().empty() ? row.replica : answer.replica();
  proof.leaf_index = answer.leaf_index();
  proof.leaf_hash = HashFromBytes(answer.leaf_hash());
  proof.tree_size = answer.tree_size();
  proof.root_hash = HashFromBytes(answer.root_hash());
  for (const std::string& hash : answer.hashes()) proof.hashes.push_back(HashFromBytes(hash));
  proof.checkpoint = checkpoint.checkpoint();
  // What the hub answered must hold together before it is written down;
  // the signatures are verify-receipt's, with keys from elsewhere.
  if (proof.tree_size != checkpoint.tree_size() ||
      proof.root_hash != HashFromBytes(checkpoint.root_hash()) ||
      !absl::EndsWith(checkpoint.origin(), absl::StrCat("/", proof.replica))) {
    err << "ndxpctl: the hub's proof (replica " << proof.replica << ", tree size "
        << proof.tree_size << ") is not against its checkpoint (" << checkpoint.origin()
        << ", size " << checkpoint.tree_size() << ")\n";
    return kExitFailure;
  }
  if (absl::Status included =
          ndxp::transparency::VerifyInclusion(proof.leaf_hash, proof.leaf_index, proof.tree_size,
                                              proof.hashes, proof.root_hash);
      !included.ok()) {
    err << "ndxpctl: the hub's proof does not hold: " << included.message() << "\n";
    return kExitFailure;
  }
  if (row.leaf_hash.has_value() && *row.leaf_hash != proof.leaf_hash) {
    err << "ndxpctl: the receipt's leaf " << ndxp::transparency::HashHex(*row.leaf_hash)
        << " is not the one the hub proves at " << proof.replica << ":" << proof.leaf_index
        << " (" << ndxp::transparency::HashHex(proof.leaf_hash)
        << "): the receipt is not of this hub's log, or the log no longer holds that row\n";
    return kExitFailure;
  }
  const std::string text = flags.format == "json"
                               ? ndxp::transparency::ReceiptProofToJson(proof)
                               : ProofText(proof);
  if (int written = WriteResult(text, flags.out, out, err); written != 0) return written;
  if (!flags.out.empty()) {
    out << "proof of " << proof.replica << ":" << proof.leaf_index << " in the tree of "
        << WithThousandsSeparators(proof.tree_size) << " leaves written to " << flags.out
        << "; check it with ndxpctl audit verify-receipt " << flags.out << " --vkey FILE\n";
  }
  return 0;
}

// The one line of a vkey file (as `ndxpctl log-key vkey` prints it): a
// log's (an Ed25519 note key) or a witness's (a cosignature key).
absl::StatusOr<std::string> ReadVkeyFile(const std::string& path, bool witness) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  std::getline(file, line);
  std::string vkey(absl::StripAsciiWhitespace(line));
  absl::Status parsed =
      witness ? ndxp::transparency::CosignatureVerifier::FromVkey(vkey).status()
              : ndxp::transparency::Ed25519NoteVerifier::FromVkey(vkey).status();
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a ", witness ? "witness's" : "log's", " verifier key: ", parsed.message()));
  }
  return vkey;
}

int VerifyReceipt(const ReceiptFlags& flags, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl audit verify-receipt";
  const int witnesses = static_cast<int>(flags.witness_vkeys.size());
  const int quorum = flags.quorum < 0 ? witnesses : flags.quorum;
  if (quorum > witnesses) {
    return ReportUsageError({command, absl::StrCat("--quorum ", quorum, " is more than the ",
                                                   witnesses, " --witness-vkey given")},
                            err);
  }
  std::vector<std::string> log_vkeys, witness_vkeys;
  for (const auto& [paths, vkeys] :
       {std::pair{std::vector<std::string>{flags.vkey}, &log_vkeys},
        std::pair{flags.witness_vkeys, &witness_vkeys}}) {
    for (const std::string& path : paths) {
      absl::StatusOr<std::string> vkey = ReadVkeyFile(path, vkeys == &witness_vkeys);
      if (!vkey.ok()) return ReportUsageError({command, std::string(vkey.status().message())}, err);
      vkeys->push_back(*std::move(vkey));
    }
  }
  std::ifstream file(flags.proof, std::ios::binary);
  if (!file) {
    err << "ndxpctl: receipt NOT verified: cannot read " << flags.proof << "\n";
    return kExitFailure;
  }
  std::stringstream json;
  json << file.rdbuf();
  absl::StatusOr<ndxp::transparency::ReceiptProof> proof =
      ndxp::transparency::ReceiptProofFromJson(json.str());
  if (!proof.ok()) {
    err << "ndxpctl: receipt NOT verified: " << flags.proof << ": " << proof.status().message()
        << "\n";
    return kExitFailure;
  }
  absl::StatusOr<ndxp::transparency::ReceiptVerification> verified =
      ndxp::transparency::VerifyReceiptProof(*proof, log_vkeys, witness_vkeys, quorum);
  if (!verified.ok()) {
    // The other checks' messages name themselves.
    err << "ndxpctl: receipt NOT verified: "
        << (absl::IsUnauthenticated(verified.status())
                ? "the checkpoint's signature by the log key: "
                : "")
        << verified.status().message() << "\n";
    return kExitFailure;
  }
  out << "receipt verified: " << proof->replica << ":" << proof->leaf_index << " (leaf "
      << ndxp::transparency::HashHex(proof->leaf_hash) << ") is in replica " << proof->replica
      << "'s log, in the tree of " << WithThousandsSeparators(proof->tree_size) << " leaves\n"
      << "  checkpoint " << verified->checkpoint.origin << " signed by log key "
      << verified->log_key << "\n";
  for (const ndxp::transparency::Cosignature& cosignature : verified->cosignatures) {
    out << "  cosigned by witness " << cosignature.witness << " at "
        << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(cosignature.time_seconds),
                            absl::UTCTimeZone())
        << "\n";
  }
  if (witnesses == 0) {
    out << "  only the hub's word is proven: no --witness-vkey was given, so nothing protects "
           "against a split view (the hub showing you one history and others another)\n";
  } else {
    out << "  quorum: " << verified->cosignatures.size() << " of the " << witnesses
        << " witnesses given cosigned (" << quorum << " needed)\n";
  }
  return 0;
}

// `audit prove` and `audit verify-receipt`, added to `audit`.
struct ReceiptCommands {
  CLI::App* prove;
  CLI::App* verify_receipt;
};

ReceiptCommands AddReceiptCommands(CLI::App* audit, ReceiptFlags* flags) {
  constexpr char kExitStatus[] =
      "Exit status: 0 success, 1 failure (the reason is printed), 2 usage error.";
  CLI::App* prove = audit->add_subcommand(
      "prove", "Prove that one call is in the hub's audit log: its receipt with an inclusion "
               "proof and the signed checkpoint it is against");
  AddHubFlags(prove, &flags->connection);
  prove
      ->add_option("row", flags->row,
                   "the call's row, REPLICA:INDEX (e.g. hub-1:41), or its receipt as the hub "
                   "sent it (x-ndxp-receipt: hub-1:41:<leaf hash>), whose leaf must then be the "
                   "one the hub proves")
      ->type_name("REPLICA:INDEX");
  prove
      ->add_option("--request-id", flags->request_id,
                   "instead of REPLICA:INDEX: the x-ndxp-request-id the call was made with (one "
                   "of your own calls; operators: anyone's; among the replica's newest 100,000 "
                   "rows); when several rows hold it they are listed")
      ->type_name("ID");
  prove
      ->add_option("--replica", flags->replica,
                   "with --request-id: the replica whose log to look in (default: the answering "
                   "hub's)")
      ->type_name("REPLICA");
  prove
      ->add_option("--min-cosignatures", flags->min_cosignatures,
                   "prove against the newest checkpoint at least N of the hub's witnesses have "
                   "cosigned (0: the newest checkpoint)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  prove
      ->add_option("--format", flags->format,
                   "text (for people) or json (the proof file verify-receipt reads)")
      ->type_name("text|json")
      ->check(OneOf({"text", "json"}))
      ->capture_default_str();
  prove->add_option("--out", flags->out, "write the proof here instead of to stdout")
      ->type_name("FILE");
  prove->footer(absl::StrCat(
      "Asks the hub (its Transparency service, over mutual TLS) for its signed checkpoint,\n"
      "then for the proof that the row is a leaf of the tree that checkpoint signs. The\n"
      "row's consumer may prove its own calls; operators any. A receipt alone proves\n"
      "nothing: keep the JSON proof, and check it offline with `ndxpctl audit\n"
      "verify-receipt` against the log's verifier key and the witnesses'. A row the newest\n"
      "checkpoint does not cover yet is refused: ask again after the next one is signed.\n",
      "--hub, --ca, --cert and --key default to $NDXP_HUB, $NDXP_CA, $NDXP_CERT, $NDXP_KEY.\n\n",
      "Example: ndxpctl audit prove hub-1:41 --format json --out receipt-41.json\n"
      "         ndxpctl audit prove --request-id 7d1c0b2e --min-cosignatures 1 --format json\n\n",
      kExitStatus));

  CLI::App* verify_receipt = audit->add_subcommand(
      "verify-receipt", "Check a proof `audit prove --format json` wrote, offline: signed by "
                        "the log key, cosigned by a quorum of witnesses, the leaf in the tree");
  verify_receipt->add_option("proof", flags->proof, "the proof file (JSON)")
      ->type_name("FILE")
      ->required();
  verify_receipt
      ->add_option("--vkey", flags->vkey,
                   "the log's verifier key, one line (as `ndxpctl log-key vkey` prints it, and "
                   "the hub's endpoints.json publishes it)")
      ->type_name("FILE")
      ->required();
  verify_receipt
      ->add_option("--witness-vkey", flags->witness_vkeys,
                   "a witness's verifier key, one line (repeatable)")
      ->type_name("FILE");
  verify_receipt
      ->add_option("--quorum", flags->quorum,
                   "how many of the witnesses given must have cosigned the checkpoint "
                   "(default: all of them)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  verify_receipt->footer(absl::StrCat(
      "Verifies, in this order, naming the first check that fails: the checkpoint is\n"
      "signed by the log key; it is of the proof's replica, size and root; the leaf is in\n"
      "that tree (RFC 9162 inclusion proof); at least --quorum of the witnesses given\n"
      "cosigned it (C2SP tlog-cosignature). Without witnesses only the hub's own word is\n"
      "proven: a hub could show one history to you and another to others (a split view);\n"
      "witnesses that cosign only what is consistent with all they saw rule that out.\n\n"
      "Example: ndxpctl audit verify-receipt receipt-41.json --vkey log.vkey \\\n"
      "           --witness-vkey witness-a.vkey --witness-vkey witness-b.vkey --quorum 1\n\n",
      kExitStatus));
  return {prove, verify_receipt};
}

int Report(const Flags& flags, std::ostream& out, std::ostream& err) {
  const std::string command = "ndxpctl report";
  if (flags.period.empty()) {
    return ReportUsageError({command, "--period is required (e.g. 2024H1, 2024Q2, 2024-06, 2024)"},
                            err);
  }
  absl::StatusOr<std::unique_ptr<v1::Statistics::Stub>> stub = Connect(flags);
  if (!stub.ok()) return ReportUsageError({command, std::string(stub.status().message())}, err);
  absl::StatusOr<ReportData> data =
      CollectReport(**stub, *ndxp::gateway::statistics::ParsePeriodName(flags.period));
  if (!data.ok()) {
    err << "ndxpctl: the hub answered "
        << absl::StatusCodeToString(data.status().code()) << ": " << data.status().message()
        << "\n";
    return kExitFailure;
  }
  const ReportLocale& locale = ReportLocale::For(*ParseLanguage(flags.lang));
  absl::StatusOr<AgencyDirectory> names = AgencyNamesFor(flags, **stub);
  if (!names.ok()) {
    err << "ndxpctl: " << names.status().message() << "\n";
    return kExitFailure;
  }
  LabelAgencies(*names, locale.language(), &*data);
  const std::string text =
      RenderReport(*data, *ParseReportFormat(flags.format), locale,
                   absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
  if (int written = WriteResult(text, flags.out, out, err); written != 0) return written;
  if (!flags.out.empty()) {
    out << "report " << locale.PeriodName(data->kind, data->period) << " ("
        << flags.format << ", " << flags.lang << ") written to " << flags.out << ": "
        << locale.Headline(data->total, data->baseline_period.from().year()) << "\n";
  }
  return 0;
}

// "  replica hub-1: seq 1..12,345, head 3f2a..., signed checkpoint at seq
// 12,300" for each chain.
std::string ChainLines(const v1::BackupManifest& manifest) {
  std::string lines;
  for (const v1::AuditChainHead& chain : manifest.chains()) {
    absl::StrAppend(&lines, "  replica ", chain.replica(), ": seq 1..",
                    WithThousandsSeparators(chain.seq()), ", head ", chain.hash());
    std::string checkpoint = ", no signed checkpoint";
    for (const v1::AuditChainHead& signed_head : manifest.checkpoints()) {
      if (signed_head.replica() == chain.replica()) {
        checkpoint = absl::StrCat(", signed checkpoint at seq ",
                                  WithThousandsSeparators(signed_head.seq()));
      }
    }
    absl::StrAppend(&lines, checkpoint, "\n");
  }
  return lines;
}

int Backup(const Flags& flags, std::ostream& out, std::ostream& err) {
  int reported = -1;  // the last tenth reported
  auto progress = [&](int64_t done, int64_t total) {
    const int tenth = total > 0 ? static_cast<int>(done * 10 / total) : 10;
    if (tenth == reported) return;
    reported = tenth;
    err << "backup: copied " << tenth * 10 << "% (" << WithThousandsSeparators(done) << " of "
        << WithThousandsSeparators(total) << " pages)\n";
  };
  absl::StatusOr<v1::BackupManifest> manifest = ndxp::gateway::BackupSqliteDatabase(
      flags.database, flags.backup_dir, absl::StrCat("ndxpctl ", Version()), progress);
  if (!manifest.ok()) {
    err << "ndxpctl: backup failed: " << manifest.status().message() << "\n";
    return kExitFailure;
  }
  out << "backed up " << flags.database << " to " << flags.backup_dir << " (snapshot "
      << manifest->created_at() << "): " << WithThousandsSeparators(manifest->audit_rows())
      << " audit rows, chains intact, " << WithThousandsSeparators(manifest->size_bytes())
      << " bytes, sha256 " << manifest->sha256() << "\n"
      << ChainLines(*manifest);
  return 0;
}

int Restore(const Flags& flags, std::ostream& out, std::ostream& err) {
  absl::StatusOr<v1::BackupManifest> manifest =
      ndxp::gateway::RestoreSqliteDatabase(flags.backup_dir, flags.database, flags.force);
  if (!manifest.ok()) {
    err << "ndxpctl: restore refused: " << manifest.status().message() << "\n";
    return kExitFailure;
  }
  out << "restored " << flags.database << " from " << flags.backup_dir << " (snapshot "
      << manifest->created_at() << "): checksum matches, "
      << WithThousandsSeparators(manifest->audit_rows())
      << " audit rows, chains intact and ending at the manifest's heads\n"
      << ChainLines(*manifest);
  return 0;
}

int SubjectKeyGenerate(const Flags& flags, std::ostream& out, std::ostream& err) {
  absl::Status status =
      ndxp::gateway::subjects::GenerateSubjectKey(flags.out, flags.key_id, flags.rotate);
  if (!status.ok()) {
    err << "ndxpctl: subject-key generate failed: " << status.message() << "\n";
    return kExitFailure;
  }
  out << "wrote subject key " << flags.key_id << " to " << flags.out
      << (flags.rotate ? " before the keys it held" : "")
      << " (mode 0600): the current key from the hub's next start\n";
  return 0;
}

int LogKeyGenerate(const Flags& flags, std::ostream& out, std::ostream& err) {
  absl::StatusOr<ndxp::transparency::Ed25519NoteKey> key =
      ndxp::transparency::GenerateLogKey(flags.out, flags.key_name, flags.force);
  if (!key.ok()) {
    err << "ndxpctl: log-key generate failed: " << key.status().message()
        << (absl::IsAlreadyExists(key.status())
                ? " (a log key is long-lived: replacing it needs a rotation, docs/design.md "
                  "\"Transparency\"; --force replaces it)"
                : "")
        << "\n";
    return kExitFailure;
  }
  // The vkey alone on stdout, for scripts to publish; the rest for people.
  out << key->verifier_key().Encode() << "\n";
  err << "ndxpctl: wrote log key " << flags.key_name << " to " << flags.out
      << " (mode 0600): keep it beside the hub's TLS key and back it up offline, never with "
         "the database; publish the verifier key printed above\n";
  return 0;
}

int LogKeyVkey(const Flags& flags, std::ostream& out, std::ostream& err) {
  absl::StatusOr<ndxp::transparency::Ed25519NoteKey> key =
      ndxp::transparency::LoadLogKey(flags.key);
  if (!key.ok()) {
    err << "ndxpctl: log-key vkey failed: " << key.status().message() << "\n";
    return kExitFailure;
  }
  out << key->verifier_key().Encode() << "\n";
  return 0;
}

int WitnessKeyGenerate(const Flags& flags, std::ostream& out, std::ostream& err) {
  absl::StatusOr<ndxp::transparency::Ed25519NoteKey> key =
      ndxp::transparency::GenerateWitnessKey(flags.out, flags.key_name, flags.force);
  if (!key.ok()) {
    err << "ndxpctl: witness-key generate failed: " << key.status().message()
        << (absl::IsAlreadyExists(key.status())
                ? " (the logs it witnesses list its verifier key: a new key must be given to "
                  "them; --force replaces it)"
                : "")
        << "\n";
    return kExitFailure;
  }
  // The vkey alone on stdout, for scripts to publish; the rest for people.
  out << key->verifier_key().Encode() << "\n";
  err << "ndxpctl: wrote witness key " << flags.key_name << " to " << flags.out
      << " (mode 0600): give the verifier key printed above to the logs it witnesses "
         "(transparency.witness_vkeys)\n";
  return 0;
}

int WitnessKeyVkey(const Flags& flags, std::ostream& out, std::ostream& err) {
  absl::StatusOr<ndxp::transparency::Ed25519NoteKey> key =
      ndxp::transparency::LoadWitnessKey(flags.key);
  if (!key.ok()) {
    err << "ndxpctl: witness-key vkey failed: " << key.status().message() << "\n";
    return kExitFailure;
  }
  out << key->verifier_key().Encode() << "\n";
  return 0;
}

// The OpenAPI document the hub serves for the configuration at
// flags.config, built by the hub's own code (BuildHubContext), so the bytes
// are /openapi.json's for that configuration.
int OpenApi(const Flags& flags, std::ostream& out, std::ostream& err) {
  absl::StatusOr<ndxp::gateway::HubSettings> settings = ndxp::gateway::LoadHubConfig(flags.config);
  if (!settings.ok()) {
    err << "ndxpctl: invalid configuration: " << settings.status().message() << "\n";
    return kExitFailure;
  }
  absl::StatusOr<std::shared_ptr<const ndxp::gateway::HubContext>> context =
      ndxp::gateway::BuildHubContext(*std::move(settings), ndxp::gateway::HubParts());
  if (!context.ok()) {
    err << "ndxpctl: invalid configuration: " << context.status().message() << "\n";
    return kExitFailure;
  }
  return WriteResult((*context)->openapi, flags.out, out, err);
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
  return Run(argc, argv, std::cin, out, err);
}

int Run(int argc, const char* const* argv, std::istream& in, std::ostream& out,
        std::ostream& err) {
  // One set per command: CLI11 reads the environment for every command's
  // flags, parsed or not, so shared variables would let one command's
  // defaults overwrite another's flags.
  Flags stats_flags, import_flags, growth_flags, verify_flags, report_flags, backup_flags,
      restore_flags, agencies_flags, openapi_flags, subject_key_flags, subject_flags, log_key_flags,
      witness_key_flags;
  CLI::App app("The operator's command line for the ndxp hub.", "ndxpctl");
  app.set_version_flag("--version", absl::StrCat("ndxpctl ", Version()));
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
  AddNameFlags(stats, &stats_flags,
               "the language of the agencies' names a table shows beside their codes");
  stats->footer(absl::StrCat(
      "Asks the hub over mutual TLS with an operator's certificate (one listed under\n"
      "`operators` in the hub's configuration). ", kHubDefaults, "\n\n",
      "Example: ndxpctl stats --period half-year --anchor 2026-06-30 --group-by consumer,method\n"
      "Province agencies by the peer hub they called through (VIA - for direct calls):\n"
      "  ndxpctl stats --period month --anchor 2026-06-30 --group-by consumer,via\n"
      "Calls by the protocol they came in by, and one door's consumers:\n"
      "  ndxpctl stats --period month --anchor 2026-06-30 --group-by door\n"
      "  ndxpctl stats --period month --anchor 2026-06-30 --door connect --group-by consumer\n\n",
      kExitStatus));

  CLI::App* import = stats->add_subcommand(
      "import", "Add counts from before the hub existed to its database, as one batch "
                "(offline or while the hub runs)");
  CLI::Option* import_database =
      import
          ->add_option("--database", import_flags.database,
                       "the hub's SQLite database (recording.database)")
          ->type_name("FILE");
  import
      ->add_option("--postgres", import_flags.postgres,
                   "the PostgreSQL database hub replicas share (recording.postgres, a libpq "
                   "connection string)")
      ->type_name("CONNINFO")
      ->excludes(import_database);
  import
      ->add_option("--csv", import_flags.csv,
                   "the counts: a header, then day,consumer,provider,service,method,status,count")
      ->type_name("FILE")
      ->required();
  import
      ->add_option("--batch", import_flags.batch,
                   "the batch's name (default: sha256:<the file's SHA-256>)")
      ->type_name("ID");
  import->add_flag("--replace", import_flags.replace,
                   "replace the counts of the batch of that name, imported before");
  import->footer(absl::StrCat(
      "So that year-on-year works from the first day. Every row is checked first: one bad\n"
      "row imports nothing and names its line. Each import is a batch, named by --batch or\n"
      "by the file's SHA-256; a batch or file imported before is refused (the message says\n"
      "when it was imported), unless --replace, which swaps its counts for the new ones at\n"
      "once. The counts are written a few thousand per transaction, so a running hub's\n"
      "calls keep committing; the batch counts only once complete, and an import cut short\n"
      "counts nothing (run it again). Progress goes to stderr, the summary to stdout.\n\n"
      "Example: ndxpctl stats import --database state/data/hub.db --csv history-2025.csv\n"
      "         ndxpctl stats import --postgres \"host=db dbname=ndxp\" --csv h.csv --batch "
      "archive-2025\n\n",
      kExitStatus));

  CLI::App* growth = app.add_subcommand(
      "growth", "A period against a year earlier or the period before (the hub's Statistics API)");
  AddHubFlags(growth, &growth_flags);
  AddQueryFlags(growth, &growth_flags);
  AddNameFlags(growth, &growth_flags,
               "the language of the agencies' names a table shows beside their codes");
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
      ->add_option("--log-vkey", verify_flags.log_vkeys,
                   "a file holding the log key's verifier key (ndxpctl log-key vkey): every "
                   "signed tree checkpoint must be signed by one of these keys (repeatable: "
                   "the old and the new key during a rotation)")
      ->type_name("FILE");
  verify
      ->add_option("--witness-vkey", verify_flags.witness_vkeys,
                   "a witness's vkey file (ndxpctl witness-key vkey): its stored cosignatures "
                   "must verify (repeatable)")
      ->type_name("FILE");
  verify
      ->add_option("--time-zone", verify_flags.time_zone,
                   "the hub's recording.time_zone, in which counters' days are counted")
      ->type_name("ZONE")
      ->capture_default_str();
  verify->footer(absl::StrCat(
      "Checks every replica's hash chain, that it reaches the hub's latest signed\n"
      "checkpoint (rows deleted at the end are reported) and every --expect-head, and\n"
      "that the counters agree with the audit rows (a count that disagrees is named by\n"
      "day, consumer, the peer hub it came through if any, method and status). Days of\n"
      "imported history, which have no audit rows, are not reconciled. Rebuilds each\n"
      "replica's Merkle tree from its rows: the stored tiles must agree, and every signed\n"
      "tree checkpoint must state the root the rows make at its size (and be signed by a\n"
      "--log-vkey key, if given). Reports each witness that cosigned a replica's tree\n"
      "checkpoints, up to which tree size and when; a --witness-vkey's cosignatures are\n"
      "verified against the checkpoints.\n\n"
      "Example: ndxpctl audit verify --database state/data/hub.db --ca certs/ca.pem\n\n",
      kExitStatus));

  ReceiptFlags receipt_flags;
  const ReceiptCommands receipts = AddReceiptCommands(audit, &receipt_flags);

  CLI::App* report = app.add_subcommand(
      "report", "The review of a period to send upward: HTML with charts, Markdown or CSV, in "
                "English or Vietnamese (the hub's Statistics API)");
  AddHubFlags(report, &report_flags);
  report
      ->add_option("--period", report_flags.period,
                   "2024 (a year), 2024H1 or 2024H2, 2024Q1..2024Q4, 2024-06 (a month) or "
                   "2024-06-15 (a day) (required)")
      ->type_name("NAME")
      ->check(PeriodName());
  report_flags.format = "html";
  report
      ->add_option("--format", report_flags.format,
                   "html (one self-contained page with charts, to print or send), md "
                   "(Markdown, to paste) or csv (the figures, plain numbers, for spreadsheets)")
      ->type_name("html|md|csv")
      ->check(ParsedBy(&ParseReportFormat))
      ->capture_default_str();
  AddNameFlags(report, &report_flags,
               "en (English) or vi (Vietnamese: \"1.670.000 giao dịch, tăng 67,0% ...\")");
  report->add_option("--out", report_flags.out, "write the report here instead of to stdout")
      ->type_name("FILE");
  report->footer(absl::StrCat(
      "The period against the same period a year earlier: the total and its growth, by month\n"
      "(by day for a month), by provider agency, by consumer agency, the most used services,\n"
      "refusals, errors and cancelled calls by status, and the documents exchanged. Agencies\n"
      "show by the names in the hub's configuration (`agencies`) beside their codes.\n",
      kHubDefaults, "\n\n",
      "Example: ndxpctl report --period 2024H1 --lang vi --out report-2024H1.html\n\n",
      kExitStatus));

  CLI::App* agencies = app.add_subcommand(
      "agencies", "The agencies' names the hub shows beside their codes (its configuration's "
                  "`agencies`, the hub's Statistics API)");
  AddHubFlags(agencies, &agencies_flags);
  agencies
      ->add_option("--format", agencies_flags.format,
                   "table, csv (code,en,vi: what --agency-names reads) or json")
      ->type_name("table|csv|json")
      ->check(OutputFormatName())
      ->capture_default_str();
  agencies->footer(absl::StrCat(
      "The names ndxpctl stats, growth and report, and the hub's dashboard, show beside agency\n"
      "codes; set in the hub's configuration (`agencies { code name_vi name_en }`) and\n"
      "reloaded with it. ", kHubDefaults, "\n\n",
      "Example: ndxpctl agencies --format csv > agency-names.csv\n\n", kExitStatus));

  CLI::App* backup = app.add_subcommand(
      "backup", "Copy the hub's SQLite database while it runs, with a manifest (checksum and "
                "audit-chain heads)");
  backup->add_option("--database", backup_flags.database,
                     "the hub's SQLite database (recording.database)")
      ->type_name("FILE")
      ->required();
  backup->add_option("--out", backup_flags.backup_dir,
                     "a new directory for the copy (hub.db) and its manifest (manifest.json)")
      ->type_name("DIR")
      ->required();
  backup->footer(absl::StrCat(
      "SQLite's online backup: the copy is the database as it was when the backup started, so\n"
      "it holds every transaction answered before; the hub keeps serving and writing. The\n"
      "copy's audit chain is verified before the manifest is written. Keep backups offline.\n"
      "PostgreSQL: pg_dump and pg_restore (docs/operations.md).\n\n"
      "Example: ndxpctl backup --database /var/lib/ndxp/hub.db --out /backup/hub-2024-07-01\n\n",
      kExitStatus));

  CLI::App* restore = app.add_subcommand(
      "restore", "Put a backup in a database's place after checking its checksum and "
                 "audit chain (the hub stopped)");
  restore->add_option("--from", restore_flags.backup_dir, "a directory ndxpctl backup made")
      ->type_name("DIR")
      ->required();
  restore->add_option("--database", restore_flags.database,
                      "the database to restore (recording.database of the hub to start)")
      ->type_name("FILE")
      ->required();
  restore->add_flag("--force", restore_flags.force, "replace an existing database file");
  restore->footer(absl::StrCat(
      "Refuses a backup whose checksum or chain heads differ from its manifest, a database a\n"
      "process has open (stop the hub first), and an existing file without --force. The\n"
      "restored file's audit chain is verified; ndxpctl audit verify works on it too.\n\n"
      "Example: ndxpctl restore --from /backup/hub-2024-07-01 --database /var/lib/ndxp/hub.db\n\n",
      kExitStatus));

  CLI::App* openapi = app.add_subcommand(
      "openapi", "The OpenAPI 3.1 document of the services a hub configuration routes (what "
                 "the hub serves as /openapi.json)");
  openapi->add_option("--config", openapi_flags.config, "the hub's configuration (text format)")
      ->type_name("FILE")
      ->required();
  openapi->add_option("--output", openapi_flags.out, "write the document here instead of to stdout")
      ->type_name("FILE");
  openapi->footer(absl::StrCat(
      "Every routed service's methods as Connect endpoints (POST /<package>.<Service>/<Method>)\n"
      "and REST endpoints (their google.api.http rules), with JSON Schemas of the messages,\n"
      "x-ndxp-purpose required on methods with personal data and each operation's provider\n"
      "agency (x-ndxp-provider). Built from the configuration and its descriptor set by the\n"
      "hub's own code, offline: no hub needs to run, and the document is byte for byte the\n"
      "one a hub with this configuration serves (deterministic: it can be diffed).\n\n"
      "Example: ndxpctl openapi --config /etc/ndxp/hub.textproto --output openapi.json\n\n",
      kExitStatus));

  CLI::App* subject_key =
      app.add_subcommand("subject-key", "The hubs' keys for data subjects' HMACs");
  subject_key->require_subcommand(1);
  subject_key->footer(kExitStatus);
  CLI::App* generate_key = subject_key->add_subcommand(
      "generate", "Make a random subject key in a new key file, or as the current key of one");
  generate_key->add_option("--out", subject_key_flags.out, "the key file (written mode 0600)")
      ->type_name("FILE")
      ->required();
  generate_key->add_option("--id", subject_key_flags.key_id,
                           "the key's id, written into every audit row it hashes subjects for")
      ->type_name("ID")
      ->required();
  generate_key->add_flag("--rotate", subject_key_flags.rotate,
                         "add the key to an existing file as its current key (the first); the "
                         "older keys stay, so that rows written under them are still found");
  generate_key->footer(absl::StrCat(
      "The file holds \"<id> <secret in base64>\" lines, the first the current key; the hub\n"
      "refuses it when group or others may read it. Keep it beside the hub's TLS key, not\n"
      "with the database: database backups must not hold it. Every hub of the federation\n"
      "needs the same keys: copy the file to them over a secure channel.\n\n"
      "Example: ndxpctl subject-key generate --out /etc/ndxp/subject-keys --id 2026a\n"
      "         ndxpctl subject-key generate --out /etc/ndxp/subject-keys --id 2027a --rotate\n\n",
      kExitStatus));

  CLI::App* log_key =
      app.add_subcommand("log-key", "The hub's log key, which signs its audit log's checkpoints");
  log_key->require_subcommand(1);
  log_key->footer(kExitStatus);
  CLI::App* generate_log_key =
      log_key->add_subcommand("generate", "Make a new Ed25519 log key and print its verifier key");
  generate_log_key->add_option("--out", log_key_flags.out, "the key file (written mode 0600)")
      ->type_name("FILE")
      ->required();
  generate_log_key
      ->add_option("--name", log_key_flags.key_name,
                   "the key's name: the trust domain followed by /audit (e.g. ndxp.gov.vn/audit), "
                   "the name the hub's checkpoints are signed under")
      ->type_name("NAME")
      ->required();
  generate_log_key->add_flag("--force", log_key_flags.force,
                             "replace an existing key file (only as part of a rotation)");
  generate_log_key->footer(absl::StrCat(
      "The file holds one line, PRIVATE+KEY+<name>+<key ID>+<base64> (Go's sumdb/note\n"
      "form); the hub refuses it when group or others may read it. The verifier key\n"
      "(<name>+<key ID>+<base64>) is printed on standard output: publish it where\n"
      "verifiers and witnesses find it. Keep the key beside the hub's TLS key and back it\n"
      "up offline, never with the database; every replica of the hub uses the same key.\n\n"
      "Example: ndxpctl log-key generate --out /etc/ndxp/log.key --name ndxp.gov.vn/audit\n\n",
      kExitStatus));
  CLI::App* log_key_vkey =
      log_key->add_subcommand("vkey", "Print the verifier key of an existing log key");
  log_key_vkey->add_option("--key", log_key_flags.key, "the key file")
      ->type_name("FILE")
      ->required();
  log_key_vkey->footer(
      absl::StrCat("Example: ndxpctl log-key vkey --key /etc/ndxp/log.key\n\n", kExitStatus));

  CLI::App* witness_key = app.add_subcommand(
      "witness-key", "A witness's key, which cosigns other hubs' audit log checkpoints");
  witness_key->require_subcommand(1);
  witness_key->footer(kExitStatus);
  CLI::App* generate_witness_key = witness_key->add_subcommand(
      "generate", "Make a new witness cosignature key and print its verifier key");
  generate_witness_key->add_option("--out", witness_key_flags.out, "the key file (written mode 0600)")
      ->type_name("FILE")
      ->required();
  generate_witness_key
      ->add_option("--name", witness_key_flags.key_name,
                   "the key's name: the trust domain followed by /witness (e.g. "
                   "province.ndxp.gov.vn/witness), the name its cosignatures are made under")
      ->type_name("NAME")
      ->required();
  generate_witness_key->add_flag("--force", witness_key_flags.force,
                                 "replace an existing key file");
  generate_witness_key->footer(absl::StrCat(
      "A C2SP tlog-cosignature key (Ed25519, signature type 4): the hub's own, neither its\n"
      "TLS key nor a log key. The file holds one line, PRIVATE+KEY+<name>+<key ID>+<base64>;\n"
      "the hub refuses it when group or others may read it (config witness { key }). The\n"
      "verifier key is printed on standard output: the logs the hub witnesses list it in\n"
      "transparency.witness_vkeys, and verifiers count its cosignatures with it.\n\n"
      "Example: ndxpctl witness-key generate --out /etc/ndxp/witness.key \\\n"
      "           --name province.ndxp.gov.vn/witness\n\n",
      kExitStatus));
  CLI::App* witness_key_vkey =
      witness_key->add_subcommand("vkey", "Print the verifier key of an existing witness key");
  witness_key_vkey->add_option("--key", witness_key_flags.key, "the key file")
      ->type_name("FILE")
      ->required();
  witness_key_vkey->footer(absl::StrCat(
      "Example: ndxpctl witness-key vkey --key /etc/ndxp/witness.key\n\n", kExitStatus));

  CLI::App* subject = app.add_subcommand("subject", "A data subject's accesses (operators)");
  subject->require_subcommand(1);
  subject->footer(kExitStatus);
  CLI::App* subject_accesses = subject->add_subcommand(
      "accesses", "The calls recorded about one person (the hub's DataSubjectAccess API), "
                  "the personal ID read from standard input");
  AddHubFlags(subject_accesses, &subject_flags);
  subject_accesses
      ->add_option("--reason", subject_flags.reason,
                   "why you look: recorded with your lookup in the hub's audit log")
      ->type_name("TEXT")
      ->required();
  subject_accesses->add_option("--from", subject_flags.from, "first day of the calls")
      ->type_name("YYYY-MM-DD")
      ->check(DayFormat());
  subject_accesses->add_option("--to", subject_flags.to, "last day of the calls (included)")
      ->type_name("YYYY-MM-DD")
      ->check(DayFormat());
  subject_accesses
      ->add_option("--page-size", subject_flags.page_size,
                   "rows the hub answers at a time (1..100); every page is printed")
      ->type_name("N")
      ->check(CLI::Range(1, 100));
  subject_accesses
      ->add_option("--time-zone", subject_flags.time_zone, "the days' and times' zone")
      ->type_name("ZONE")
      ->capture_default_str();
  subject_accesses->footer(absl::StrCat(
      "The personal ID is read from standard input, never from the command line (which\n"
      "other users see in ps and shells keep). Your lookup is itself an audit row\n"
      "(row kind operator_lookup, the reason its purpose); calls whose notice a grant\n"
      "defers are listed, with the deferral.\n\n"
      "Example: ndxpctl subject accesses --reason \"complaint 2026/117\" --from 2026-01-01 \\\n"
      "           < id.txt\n\n",
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
  if (receipts.prove->parsed()) return AuditProve(receipt_flags, out, err);
  if (receipts.verify_receipt->parsed()) return VerifyReceipt(receipt_flags, out, err);
  if (report->parsed()) return Report(report_flags, out, err);
  if (agencies->parsed()) return Agencies(agencies_flags, out, err);
  if (backup->parsed()) return Backup(backup_flags, out, err);
  if (restore->parsed()) return Restore(restore_flags, out, err);
  if (openapi->parsed()) return OpenApi(openapi_flags, out, err);
  if (generate_key->parsed()) return SubjectKeyGenerate(subject_key_flags, out, err);
  if (subject_accesses->parsed()) return SubjectAccesses(subject_flags, in, out, err);
  if (generate_log_key->parsed()) return LogKeyGenerate(log_key_flags, out, err);
  if (log_key_vkey->parsed()) return LogKeyVkey(log_key_flags, out, err);
  if (generate_witness_key->parsed()) return WitnessKeyGenerate(witness_key_flags, out, err);
  if (witness_key_vkey->parsed()) return WitnessKeyVkey(witness_key_flags, out, err);
  return ReportUsageError({"ndxpctl", "a command is required"}, err);
}

}  // namespace ndxp::ndxpctl
