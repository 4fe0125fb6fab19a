// ndxpctl: the operator's command line for the hub.
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/tls/credentials.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/statistics/history_import.h"
#include "ndxp/hub/v1/statistics.grpc.pb.h"

namespace {

namespace v1 = ndxp::hub::v1;

constexpr char kUsage[] = R"(Usage: ndxpctl COMMAND [options]

Statistics (through the hub's Statistics API, over mutual TLS with an
operator's certificate):
  stats   --hub HOST:PORT --ca FILE --cert FILE --key FILE
          --period day|month|quarter|half-year|year|cumulative --anchor YYYY-MM-DD
          (or --period custom --from YYYY-MM-DD --to YYYY-MM-DD)
          [--group-by consumer,provider,service,method,status] [--format table|csv|json]
      Transactions in the period, grouped.
  growth  (the same options) [--baseline year-on-year|previous]
      The period against the same period a year earlier (default) or the
      previous period: both counts, difference, percent and multiple.

Offline, on the hub's SQLite database (recording.database):
  stats import --database FILE --csv FILE
      Adds historical counts (columns day,consumer,provider,service,method,
      status,count) so that year-on-year works from the first day. Every row
      is checked first; one bad row imports nothing and names its line.
  audit verify --database FILE | --postgres CONNINFO
      Recomputes the hash chain of every replica's audit log (SQLite file or
      the PostgreSQL database replicas share); names the first edited,
      deleted or inserted row.

  --help   this text

Exit status: 0 success, 1 failure (the reason is printed), 2 usage error.
)";

int Usage(const std::string& problem) {
  std::cerr << "ndxpctl: " << problem << "\n\n" << kUsage;
  return 2;
}

// --name value pairs after the command words.
bool ParseOptions(const std::vector<std::string>& args, std::map<std::string, std::string>* out,
                  std::string* problem) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) != 0 || i + 1 >= args.size()) {
      *problem = "unknown or incomplete argument \"" + args[i] + "\"";
      return false;
    }
    (*out)[args[i].substr(2)] = args[i + 1];
    ++i;
  }
  return true;
}

bool ParseDay(const std::string& text, v1::Day* day) {
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  int y, m, d;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d)) {
    return false;
  }
  day->set_year(y);
  day->set_month(m);
  day->set_day(d);
  return true;
}

std::string DayText(const v1::Day& day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

// Fills period and group_by from the options; the hub validates the rest.
bool BuildQuery(std::map<std::string, std::string>& o, v1::Period* period,
                google::protobuf::RepeatedField<int>* group_by, std::string* problem) {
  static const std::map<std::string, v1::Period::Kind> kKinds = {
      {"day", v1::Period::DAY},         {"month", v1::Period::MONTH},
      {"quarter", v1::Period::QUARTER}, {"half-year", v1::Period::HALF_YEAR},
      {"year", v1::Period::YEAR},       {"custom", v1::Period::CUSTOM},
      {"cumulative", v1::Period::CUMULATIVE}};
  static const std::map<std::string, v1::Dimension> kDimensions = {
      {"consumer", v1::CONSUMER}, {"provider", v1::PROVIDER}, {"service", v1::SERVICE},
      {"method", v1::METHOD},     {"status", v1::STATUS}};
  auto kind = kKinds.find(o["period"]);
  if (kind == kKinds.end()) {
    *problem = "--period must be one of day, month, quarter, half-year, year, custom, cumulative";
    return false;
  }
  period->set_kind(kind->second);
  using DayField = v1::Day* (v1::Period::*)();
  for (auto [flag, field] : {std::pair<const char*, DayField>{"anchor", &v1::Period::mutable_anchor},
                             std::pair<const char*, DayField>{"from", &v1::Period::mutable_from},
                             std::pair<const char*, DayField>{"to", &v1::Period::mutable_to}}) {
    if (o[flag].empty()) continue;  // an unset period field stays unset
    if (!ParseDay(o[flag], (period->*field)())) {
      *problem = absl::StrCat("--", flag, " must be YYYY-MM-DD");
      return false;
    }
  }
  if (!o["group-by"].empty()) {
    for (absl::string_view name : absl::StrSplit(o["group-by"], ',')) {
      auto dimension = kDimensions.find(std::string(name));
      if (dimension == kDimensions.end()) {
        *problem = absl::StrCat("--group-by: unknown dimension \"", name, "\"");
        return false;
      }
      group_by->Add(dimension->second);
    }
  }
  return true;
}

std::unique_ptr<v1::Statistics::Stub> Connect(std::map<std::string, std::string>& o,
                                              std::string* problem) {
  for (const char* required : {"hub", "ca", "cert", "key"}) {
    if (o[required].empty()) {
      *problem = absl::StrCat("--", required, " is required");
      return nullptr;
    }
  }
  ndxp::config::v1::TlsFiles files;
  files.set_ca_cert(o["ca"]);
  files.set_cert(o["cert"]);
  files.set_key(o["key"]);
  auto credentials = ndxp::tls::MutualTlsChannelCredentials(files);
  if (!credentials.ok()) {
    *problem = std::string(credentials.status().message());
    return nullptr;
  }
  return v1::Statistics::NewStub(grpc::CreateChannel(o["hub"], *credentials));
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, const std::string& format) {
  if (format == "csv") {
    std::cout << absl::StrJoin(header, ",") << "\n";
    for (const auto& row : rows) std::cout << absl::StrJoin(row, ",") << "\n";
    return;
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      std::cout << (c ? "  " : "") << std::string(width[c] - cells[c].size(), ' ') << cells[c];
    }
    std::cout << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
}

int Fail(const grpc::Status& status) {
  std::cerr << "ndxpctl: the hub answered " << status.error_code() << ": "
            << status.error_message() << "\n";
  return 1;
}

std::string Format(std::map<std::string, std::string>& o) {
  return o["format"].empty() ? "table" : o["format"];
}

// Ask() found nothing to stop for: the caller prints the table or CSV.
constexpr int kGoOn = -1;

// Sends `request` to the hub's Statistics API; prints the answer itself as
// JSON when asked to. Returns an exit code, or kGoOn.
template <typename Request, typename Response>
int Ask(std::map<std::string, std::string>& o,
        grpc::Status (v1::Statistics::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                  Response*),
        const Request& request, Response* response) {
  std::string problem;
  auto stub = Connect(o, &problem);
  if (stub == nullptr) return Usage(problem);
  grpc::ClientContext context;
  grpc::Status status = ((*stub).*rpc)(&context, request, response);
  if (!status.ok()) return Fail(status);
  if (Format(o) != "json") return kGoOn;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(*response, &json);
  std::cout << json << "\n";
  return 0;
}

std::vector<std::string> KeyHeader(const google::protobuf::RepeatedField<int>& group_by) {
  std::vector<std::string> header;
  for (int d : group_by) header.push_back(v1::Dimension_Name(static_cast<v1::Dimension>(d)));
  return header;
}

int Stats(std::map<std::string, std::string>& o) {
  std::string problem;
  v1::CountRequest request;
  if (!BuildQuery(o, request.mutable_period(), request.mutable_group_by(), &problem)) {
    return Usage(problem);
  }
  v1::CountResponse response;
  if (int done = Ask(o, &v1::Statistics::Stub::Count, request, &response); done != kGoOn) {
    return done;
  }
  const std::string format = Format(o);
  std::vector<std::string> header = KeyHeader(request.group_by());
  header.push_back("COUNT");
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : response.rows()) {
    std::vector<std::string> cells(row.key().begin(), row.key().end());
    cells.push_back(absl::StrCat(row.count()));
    rows.push_back(cells);
  }
  if (format == "table") {
    std::cout << "Transactions " << DayText(response.period().from()) << " .. "
              << DayText(response.period().to()) << ": " << response.total() << "\n\n";
  }
  PrintTable(header, rows, format);
  return 0;
}

std::vector<std::string> GrowthCells(const v1::GrowthRow& row) {
  std::vector<std::string> cells(row.key().begin(), row.key().end());
  cells.push_back(absl::StrCat(row.current()));
  cells.push_back(absl::StrCat(row.baseline()));
  cells.push_back(absl::StrCat(row.difference() >= 0 ? "+" : "", row.difference()));
  if (row.defined()) {
    cells.push_back(absl::StrFormat("%+.1f%%", row.percent_change()));
    cells.push_back(absl::StrFormat("%.2fx", row.multiple()));
  } else {
    cells.push_back("undefined");
    cells.push_back(row.undefined_reason());
  }
  return cells;
}

int Growth(std::map<std::string, std::string>& o) {
  std::string problem;
  v1::GrowthRequest request;
  if (!BuildQuery(o, request.mutable_period(), request.mutable_group_by(), &problem)) {
    return Usage(problem);
  }
  std::string baseline = o["baseline"].empty() ? "year-on-year" : o["baseline"];
  if (baseline == "year-on-year") {
    request.set_baseline(v1::GrowthRequest::YEAR_ON_YEAR);
  } else if (baseline == "previous") {
    request.set_baseline(v1::GrowthRequest::PREVIOUS_PERIOD);
  } else {
    return Usage("--baseline must be year-on-year or previous");
  }
  v1::GrowthResponse response;
  if (int done = Ask(o, &v1::Statistics::Stub::Growth, request, &response); done != kGoOn) {
    return done;
  }
  const std::string format = Format(o);
  std::vector<std::string> header = KeyHeader(request.group_by());
  for (const char* h : {"CURRENT", "BASELINE", "DIFFERENCE", "PERCENT", "MULTIPLE"}) {
    header.push_back(h);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : response.rows()) rows.push_back(GrowthCells(row));
  if (format == "table") {
    std::vector<std::string> total = GrowthCells(response.total());
    std::cout << DayText(response.period().from()) << " .. " << DayText(response.period().to())
              << " against " << DayText(response.baseline_period().from()) << " .. "
              << DayText(response.baseline_period().to()) << ": " << total[total.size() - 5]
              << " vs " << total[total.size() - 4] << ", " << total[total.size() - 2] << ", "
              << total[total.size() - 1] << "\n\n";
  }
  PrintTable(header, rows, format);
  return 0;
}

int Import(std::map<std::string, std::string>& o) {
  if (o["database"].empty() || o["csv"].empty()) {
    return Usage("stats import needs --database FILE and --csv FILE");
  }
  std::ifstream csv(o["csv"]);
  if (!csv) {
    std::cerr << "ndxpctl: cannot read " << o["csv"] << "\n";
    return 1;
  }
  auto summary = ndxp::gateway::statistics::ImportHistoryCsv(o["database"], csv, o["csv"]);
  if (!summary.ok()) {
    std::cerr << "ndxpctl: nothing imported: " << summary.status().message() << "\n";
    return 1;
  }
  std::cout << "imported " << summary->rows << " rows, " << summary->total_count
            << " transactions";
  if (summary->first_day.has_value()) {
    std::cout << ", " << absl::FormatCivilTime(*summary->first_day) << " .. "
              << absl::FormatCivilTime(*summary->last_day);
  }
  std::cout << "\n";
  return 0;
}

int AuditVerify(std::map<std::string, std::string>& o) {
  if (o["database"].empty() == o["postgres"].empty()) {
    return Usage("audit verify needs --database FILE or --postgres CONNINFO");
  }
  std::string report;
  absl::Status verified =
      o["postgres"].empty()
          ? ndxp::gateway::SqliteTransactionStore::VerifyAuditChain(o["database"], &report)
          : ndxp::gateway::PostgresTransactionStore::VerifyAuditChain(o["postgres"], &report);
  if (!verified.ok()) {
    std::cerr << "ndxpctl: audit log NOT intact: " << verified.message() << "\n";
    return 1;
  }
  std::cout << "audit log intact: " << report << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage("a command is required");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  size_t words = (args.size() >= 2 && ((args[0] == "stats" && args[1] == "import") ||
                                       (args[0] == "audit" && args[1] == "verify")))
                     ? 2
                     : 1;
  std::string command = args[0] + (words == 2 ? " " + args[1] : "");
  std::map<std::string, std::string> options;
  std::string problem;
  if (!ParseOptions(std::vector<std::string>(args.begin() + words, args.end()), &options,
                    &problem)) {
    return Usage(problem);
  }
  if (command == "stats") return Stats(options);
  if (command == "growth") return Growth(options);
  if (command == "stats import") return Import(options);
  if (command == "audit verify") return AuditVerify(options);
  return Usage("unknown command \"" + command + "\"");
}
