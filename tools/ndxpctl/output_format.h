// How ndxpctl prints what the hub's Statistics API answers: aligned tables
// for people (thousands separators, a TOTAL row), CSV and JSON for programs
// (plain numbers; both always carry the total, grouped or not), and hub
// errors by status name.
//
// Pure functions over the request and the answer: no I/O, thread-safe.
//
// Example:
//   absl::StatusOr<OutputFormat> format = ParseOutputFormat("csv");
//   std::cout << RenderCount(request, response, *format);
#ifndef NDXP_TOOLS_NDXPCTL_OUTPUT_FORMAT_H_
#define NDXP_TOOLS_NDXPCTL_OUTPUT_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/statistics/agency_directory.h"
#include "ndxp/hub/v1/statistics.pb.h"

namespace ndxp::ndxpctl {

enum class OutputFormat { kTable, kCsv, kJson };

// A direct call's VIA in a table (the API, CSV and JSON say "").
inline constexpr char kDirectCall[] = "-";

// "table", "csv" or "json"; INVALID_ARGUMENT naming the accepted ones for
// anything else ("yaml").
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view name);

// 1670 -> "1,670", -1234567 -> "-1,234,567", 0 -> "0"; `separator` '.' gives
// the Vietnamese "1.670".
std::string WithThousandsSeparators(int64_t value, char separator = ',');

// The same with a sign always: "+670", "-12", "+0".
std::string SignedWithThousandsSeparators(int64_t value);

// "PERMISSION_DENIED: 000.00.00.G12/tax-lookup is not an operator": the
// canonical name of the code, not its number.
std::string DescribeStatus(const grpc::Status& status);

// Rows of cells under a header, every row as wide as the header.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // Columns from this index on hold numbers: right-aligned in RenderAligned.
  size_t first_number_column = 0;
};

// Columns padded to their widest cell (in characters: UTF-8 code points),
// two spaces apart; text left-aligned, numbers right-aligned; no trailing
// spaces.
std::string RenderAligned(const Table& table);

// Names to show beside agency codes in tables: a NAME column after each
// CONSUMER, PROVIDER or VIA column of which some row's agency is named in
// `directory`. CSV and JSON stay as the API answers (programs join
// `ndxpctl agencies` themselves).
struct AgencyLabels {
  const gateway::statistics::AgencyDirectory* directory = nullptr;  // none: codes only
  gateway::statistics::NameLanguage language = gateway::statistics::NameLanguage::kEnglish;
};

// RFC 4180: fields with a comma, quote or line break quoted, quotes doubled;
// lines end in "\n".
std::string RenderCsv(const Table& table);

// The answer of Statistics.Count for `request` (whose group_by names the key
// columns). Table: a headline with the period and total ("Transactions", or
// "Refused by the hub" for REFUSED_BY_HUB), then the rows and a
// TOTAL row when grouped (a direct call's VIA shown as kDirectCall). CSV: the
// header, the rows, then the total (a row starting "TOTAL" when grouped; the
// only row otherwise). JSON: the response with every field, total and empty
// lists included.
std::string RenderCount(const hub::v1::CountRequest& request,
                        const hub::v1::CountResponse& response, OutputFormat format,
                        const AgencyLabels& names = {});

// The answer of Statistics.Growth, laid out as RenderCount's: columns
// CURRENT, BASELINE, DIFFERENCE, PERCENT, MULTIPLE; an undefined growth (empty
// baseline) says "undefined" and why instead of percent and multiple. The
// table's headline reads "FROM .. TO against FROM .. TO: 1,670 vs 1,000,
// +67.0%, 1.67x".
std::string RenderGrowth(const hub::v1::GrowthRequest& request,
                         const hub::v1::GrowthResponse& response, OutputFormat format,
                         const AgencyLabels& names = {});

// The answer of Statistics.ListAgencies: code, English and Vietnamese names,
// one agency a row (CSV: the header "code,en,vi", as `--agency-names FILE`
// reads it), or the response (JSON).
std::string RenderAgencies(const hub::v1::ListAgenciesResponse& response, OutputFormat format);

}  // namespace ndxp::ndxpctl

#endif  // NDXP_TOOLS_NDXPCTL_OUTPUT_FORMAT_H_
