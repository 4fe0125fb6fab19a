#include "tools/ndxpctl/report_data.h"

#include <algorithm>
#include <map>
#include <utility>

#include <grpcpp/client_context.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/status/status_util.h"
#include "gateway/statistics/periods.h"
#include "gateway/statistics/statistics_engine.h"

namespace ndxp::ndxpctl {
namespace {

namespace v1 = ::ndxp::hub::v1;
using ::ndxp::gateway::statistics::DayFromProto;
using ::ndxp::gateway::statistics::MakeGrowthRow;
using ::ndxp::gateway::statistics::ToProtoDay;

// One year-on-year Growth call.
absl::StatusOr<v1::GrowthResponse> YearOnYear(v1::Statistics::StubInterface& stub,
                                              const v1::Period& period,
                                              std::vector<v1::Dimension> group_by,
                                              v1::Calls calls = v1::FORWARDED) {
  v1::GrowthRequest request;
  *request.mutable_period() = period;
  request.set_baseline(v1::GrowthRequest::YEAR_ON_YEAR);
  request.set_calls(calls);
  for (v1::Dimension dimension : group_by) request.add_group_by(dimension);
  grpc::ClientContext context;
  v1::GrowthResponse response;
  grpc::Status status = stub.Growth(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

// The rows of a response grouped by one dimension, in the hub's order.
std::vector<ReportRow> Rows(const v1::GrowthResponse& response) {
  std::vector<ReportRow> rows;
  for (const v1::GrowthRow& row : response.rows()) {
    rows.push_back({row.key(0), row});
    rows.back().growth.clear_key();
  }
  return rows;
}

// Consumers ("agency/subsystem") summed into their agency, sorted as the hub
// sorts: current count descending, then key.
std::vector<ReportRow> ByAgency(const v1::GrowthResponse& consumers) {
  std::map<std::string, std::pair<int64_t, int64_t>> sums;
  for (const v1::GrowthRow& row : consumers.rows()) {
    const std::string& consumer = row.key(0);
    auto& [current, baseline] = sums[consumer.substr(0, consumer.find('/'))];
    current += row.current();
    baseline += row.baseline();
  }
  std::vector<ReportRow> rows;
  for (const auto& [agency, counts] : sums) {
    rows.push_back({agency, MakeGrowthRow(counts.first, counts.second)});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const ReportRow& a, const ReportRow& b) {
    return a.growth.current() > b.growth.current();
  });
  return rows;
}

v1::Period Custom(absl::CivilDay from, absl::CivilDay to) {
  v1::Period period;
  period.set_kind(v1::Period::CUSTOM);
  *period.mutable_from() = ToProtoDay(from);
  *period.mutable_to() = ToProtoDay(to);
  return period;
}

// The fields of one CSV line (RFC 4180 quotes; no line breaks inside fields).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back().push_back('"');
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  return fields;
}

}  // namespace

AgencyDirectory FetchAgencyNames(v1::Statistics::StubInterface& stub) {
  grpc::ClientContext context;
  v1::ListAgenciesResponse response;
  if (!stub.ListAgencies(&context, v1::ListAgenciesRequest(), &response).ok()) return {};
  return AgencyDirectory(response.agencies());
}

gateway::statistics::NameLanguage NameLanguageOf(Language language) {
  return language == Language::kEnglish ? gateway::statistics::NameLanguage::kEnglish
                                        : gateway::statistics::NameLanguage::kVietnamese;
}

absl::StatusOr<AgencyDirectory> ParseAgencyNames(std::istream& csv, const std::string& file) {
  AgencyDirectory names;
  std::string line;
  for (int number = 1; std::getline(csv, line); ++number) {
    if (number == 1 || line.empty() || line == "\r") continue;  // the header, blank lines
    std::vector<std::string> fields = CsvFields(line);
    if (fields.size() != 3 || fields[0].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ":", number, ": expected code,en,vi (", fields.size(), " fields)"));
    }
    v1::Agency agency;
    agency.set_code(fields[0]);
    agency.set_name_en(fields[1]);
    agency.set_name_vi(fields[2]);
    names.Add(agency);
  }
  return names;
}

void LabelAgencies(const AgencyDirectory& names, Language language, ReportData* data) {
  for (std::vector<ReportRow>* rows : {&data->providers, &data->consumers}) {
    for (ReportRow& row : *rows) row.label = names.Name(row.key, NameLanguageOf(language));
  }
}

absl::StatusOr<ReportData> CollectReport(v1::Statistics::StubInterface& stub,
                                         const v1::Period& period) {
  if (period.kind() == v1::Period::CUMULATIVE) {
    return absl::InvalidArgumentError(
        "period: a report covers a year, half-year, quarter, month or day, not a cumulative "
        "total");
  }
  ReportData data;
  data.kind = period.kind();
  NDXP_ASSIGN_OR_RETURN(v1::GrowthResponse total, YearOnYear(stub, period, {}));
  data.period = total.period();
  data.baseline_period = total.baseline_period();
  data.total = total.total();

  NDXP_ASSIGN_OR_RETURN(v1::GrowthResponse providers, YearOnYear(stub, period, {v1::PROVIDER}));
  data.providers = Rows(providers);
  NDXP_ASSIGN_OR_RETURN(v1::GrowthResponse consumers, YearOnYear(stub, period, {v1::CONSUMER}));
  data.consumers = ByAgency(consumers);
  NDXP_ASSIGN_OR_RETURN(v1::GrowthResponse services, YearOnYear(stub, period, {v1::SERVICE}));
  data.services = Rows(services);
  NDXP_ASSIGN_OR_RETURN(v1::GrowthResponse statuses, YearOnYear(stub, period, {v1::STATUS}));
  data.statuses = Rows(statuses);
  NDXP_ASSIGN_OR_RETURN(v1::GrowthResponse hub_refusals,
                        YearOnYear(stub, period, {v1::STATUS}, v1::REFUSED_BY_HUB));
  data.hub_refusals_known = hub_refusals.calls() == v1::REFUSED_BY_HUB;
  if (data.hub_refusals_known) data.hub_refusals = Rows(hub_refusals);
  NDXP_ASSIGN_OR_RETURN(v1::GrowthResponse methods,
                        YearOnYear(stub, period, {v1::METHOD, v1::STATUS}));
  data.documents = MakeGrowthRow(0, 0);
  for (const v1::GrowthRow& row : methods.rows()) {
    if (row.key(0) == kSendDocumentMethod && row.key(1) == "OK") {
      data.documents = row;
      data.documents.clear_key();
    }
  }

  // The trend: one bar per month, or per day when the period is a month or
  // shorter, each against the same days a year earlier.
  NDXP_ASSIGN_OR_RETURN(absl::CivilDay from, DayFromProto(data.period.from(), "period.from"));
  NDXP_ASSIGN_OR_RETURN(absl::CivilDay to, DayFromProto(data.period.to(), "period.to"));
  data.trend_by_day = to - from < 31;
  for (absl::CivilDay start = from; start <= to;) {
    absl::CivilDay end =
        data.trend_by_day ? start
                          : std::min(to, absl::CivilDay(absl::CivilMonth(start) + 1) - 1);
    NDXP_ASSIGN_OR_RETURN(v1::GrowthResponse point, YearOnYear(stub, Custom(start, end), {}));
    data.trend.push_back({point.period(), point.total()});
    start = end + 1;
  }
  return data;
}

}  // namespace ndxp::ndxpctl
