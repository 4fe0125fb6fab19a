// The figures of `ndxpctl report`, asked from the hub's Statistics API: the
// period's total against the same period a year earlier, its months (or days),
// provider agencies, consumer agencies, services, statuses, the calls the hub
// refused itself and the documents exchanged.
//
// Example:
//   auto stub = hub::v1::Statistics::NewStub(channel);
//   NDXP_ASSIGN_OR_RETURN(hub::v1::Period period, ParsePeriodName("2024H1"));
//   NDXP_ASSIGN_OR_RETURN(ReportData data, CollectReport(*stub, period));
//   // data.total.current() 1670000, data.total.percent_change() 67.0
//
// Thread-compatible (the stub is used from the calling thread only).
#ifndef NDXP_TOOLS_NDXPCTL_REPORT_DATA_H_
#define NDXP_TOOLS_NDXPCTL_REPORT_DATA_H_

#include <istream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/statistics/agency_directory.h"
#include "ndxp/hub/v1/statistics.grpc.pb.h"
#include "tools/ndxpctl/report_locale.h"

namespace ndxp::ndxpctl {

// The method whose successful calls are documents exchanged.
inline constexpr char kSendDocumentMethod[] = "ndxp.documents.v1.DocumentExchange/SendDocument";

// One labelled growth figure (a provider, a consumer agency, a service...).
struct ReportRow {
  std::string key;
  hub::v1::GrowthRow growth;
  std::string label = "";  // what people read ("Bộ Tư pháp"), shown with the key; "": the key
};

// One bar of the trend chart: a month (or a day, for a month's report).
struct TrendPoint {
  hub::v1::ResolvedPeriod period;
  hub::v1::GrowthRow growth;
};

struct ReportData {
  hub::v1::Period::Kind kind = hub::v1::Period::KIND_UNSPECIFIED;
  hub::v1::ResolvedPeriod period;
  hub::v1::ResolvedPeriod baseline_period;  // the same period a year earlier
  hub::v1::GrowthRow total;
  // Months of the period (days when the period is a month; the period itself when a day).
  std::vector<TrendPoint> trend;
  bool trend_by_day = false;
  // Largest current count first (then key), as the Statistics API sorts.
  std::vector<ReportRow> providers;  // agency codes
  std::vector<ReportRow> consumers;  // agency codes: subsystems summed into their agency
  std::vector<ReportRow> services;   // full service names
  std::vector<ReportRow> statuses;   // canonical status names, OK included
  // The calls the hub refused itself (not transactions) by status.
  std::vector<ReportRow> hub_refusals;
  bool hub_refusals_known = true;
  hub::v1::GrowthRow documents;      // kSendDocumentMethod answered OK
};

// Asks `stub` (an operator's channel to the hub) for every figure of the
// report of `period` (any kind but CUMULATIVE, which has no year-on-year
// months). The hub's refusal comes back as its status, with the request's
// field named ("period.anchor ..."). A hub from before the Statistics API
// counted its own refusals (its answer says FORWARDED) leaves hub_refusals
// empty and `hub_refusals_known` false.
absl::StatusOr<ReportData> CollectReport(hub::v1::Statistics::StubInterface& stub,
                                         const hub::v1::Period& period);

using ::ndxp::gateway::statistics::AgencyDirectory;

// The hub's agency directory (Statistics.ListAgencies: the names in its
// configuration); empty from a hub that names none, or predates the method,
// or refuses it (the figures' own calls then say why).
AgencyDirectory FetchAgencyNames(hub::v1::Statistics::StubInterface& stub);

// A CSV of agencies' names: the header "code,en,vi", then one agency a line
// (fields with commas in double quotes, UTF-8), as `ndxpctl agencies --format
// csv` prints them. INVALID_ARGUMENT naming `file` and the line of a row
// without three fields or with an empty code.
absl::StatusOr<AgencyDirectory> ParseAgencyNames(std::istream& csv, const std::string& file);

// The directory's language for `language`.
gateway::statistics::NameLanguage NameLanguageOf(Language language);

// Labels the provider and consumer rows of `data` whose agency has a name in
// `names`, in `language` (the other language's name when it has none).
void LabelAgencies(const AgencyDirectory& names, Language language, ReportData* data);

}  // namespace ndxp::ndxpctl

#endif  // NDXP_TOOLS_NDXPCTL_REPORT_DATA_H_
