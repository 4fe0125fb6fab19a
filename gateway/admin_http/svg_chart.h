// Charts for the dashboard as inline SVG, rendered on the server: no script,
// no network, and the numbers are in the page's text (titles and labels),
// where a test or a screen reader can find them.
#ifndef NDXP_GATEWAY_ADMIN_HTTP_SVG_CHART_H_
#define NDXP_GATEWAY_ADMIN_HTTP_SVG_CHART_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ndxp::gateway::admin_http {

// A column per bar, value on top, label below (months).
struct Bar {
  std::string label;
  int64_t value = 0;
};
std::string ColumnChart(const std::vector<Bar>& bars, absl::string_view caption);

// A pair of horizontal bars per row: this period and the one it is
// compared with, and the change as text.
struct BarPair {
  std::string label;
  int64_t current = 0;
  int64_t baseline = 0;
  std::string change;  // "+67.0%", "new"
};
std::string PairedBarChart(const std::vector<BarPair>& rows, absl::string_view current_name,
                           absl::string_view baseline_name, absl::string_view caption);

// 1670000 as "1,670,000".
std::string GroupThousands(int64_t value);

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_SVG_CHART_H_
