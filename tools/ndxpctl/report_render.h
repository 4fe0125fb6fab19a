// `ndxpctl report`'s documents from its figures (report_data.h): a
// self-contained HTML page with SVG charts (to print or send as is), Markdown
// (to paste into a memo) and CSV (for spreadsheets: plain numbers, one row per
// figure, the same whatever the language).
//
// Pure functions: thread-safe.
//
// Example:
//   std::string html = RenderReport(data, ReportFormat::kHtml,
//                                   ReportLocale::For(Language::kVietnamese),
//                                   absl::CivilDay(2024, 7, 5));
#ifndef NDXP_TOOLS_NDXPCTL_REPORT_RENDER_H_
#define NDXP_TOOLS_NDXPCTL_REPORT_RENDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "tools/ndxpctl/report_data.h"
#include "tools/ndxpctl/report_locale.h"

namespace ndxp::ndxpctl {

enum class ReportFormat { kHtml, kMarkdown, kCsv };

// "html", "md" or "csv"; INVALID_ARGUMENT naming the accepted ones otherwise.
absl::StatusOr<ReportFormat> ParseReportFormat(absl::string_view name);

// How many services and consumer agencies the report lists by name; the rest
// are summed into one "Others (N)" row.
inline constexpr size_t kTopServices = 10;
inline constexpr size_t kTopConsumers = 12;

// The report of `data` in `locale`'s language; `generated_on` is printed as
// the day it was made.
std::string RenderReport(const ReportData& data, ReportFormat format, const ReportLocale& locale,
                         absl::CivilDay generated_on);

}  // namespace ndxp::ndxpctl

#endif  // NDXP_TOOLS_NDXPCTL_REPORT_RENDER_H_
