#include "gateway/admin_http/svg_chart.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/text/markup.h"

namespace ndxp::gateway::admin_http {
namespace {

constexpr char kCurrentColor[] = "#1f6feb";
constexpr char kBaselineColor[] = "#b6c2d1";

// A round axis maximum at or above `value` (1, 2 or 5 times a power of ten).
int64_t NiceCeiling(int64_t value) {
  if (value <= 0) return 1;
  int64_t step = 1;
  while (step * 10 <= value) step *= 10;
  for (int64_t m : {1, 2, 5, 10}) {
    if (m * step >= value) return m * step;
  }
  return 10 * step;
}

}  // namespace

std::string GroupThousands(int64_t value) {
  std::string digits = absl::StrCat(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return value < 0 ? "-" + out : out;
}

std::string ColumnChart(const std::vector<Bar>& bars, absl::string_view caption) {
  constexpr int kWidth = 960, kHeight = 280, kLeft = 64, kRight = 16, kTop = 24, kBottom = 48;
  int64_t most = 0;
  for (const Bar& bar : bars) most = std::max(most, bar.value);
  int64_t axis = NiceCeiling(most);
  double plot_width = kWidth - kLeft - kRight, plot_height = kHeight - kTop - kBottom;
  std::string svg = absl::StrFormat(
      R"(<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">)", kWidth, kHeight,
      EscapeXml(caption));
  for (int i = 0; i <= 4; ++i) {
    double y = kTop + plot_height * (1 - i / 4.0);
    absl::StrAppendFormat(&svg,
                          R"(<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>)"
                          R"(<text x="%d" y="%.1f" class="axis" text-anchor="end">%s</text>)",
                          kLeft, kWidth - kRight, y, y, kLeft - 8, y + 4,
                          GroupThousands(axis * i / 4));
  }
  double slot = bars.empty() ? plot_width : plot_width / bars.size();
  // At most 12 labels under the axis (each bar's title has its own), the
  // last bar always labelled.
  size_t label_every = (bars.size() + 11) / 12;
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    double height = plot_height * static_cast<double>(bar.value) / axis;
    double x = kLeft + slot * i + slot * 0.15;
    double y = kTop + plot_height - height;
    absl::StrAppendFormat(
        &svg,
        R"(<g><title>%s: %s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s"/>)",
        EscapeXml(bar.label), GroupThousands(bar.value), x, y, slot * 0.7, height,
        kCurrentColor);
    if (bar.value > 0) {
      absl::StrAppendFormat(&svg, R"(<text x="%.1f" y="%.1f" class="value" text-anchor="middle">%s</text>)",
                            x + slot * 0.35, y - 4, GroupThousands(bar.value));
    }
    if ((bars.size() - 1 - i) % label_every == 0) {
      absl::StrAppendFormat(&svg,
                            R"(<text x="%.1f" y="%d" class="axis" text-anchor="middle">%s</text>)",
                            x + slot * 0.35, kHeight - kBottom + 18, EscapeXml(bar.label));
    }
    svg += "</g>";
  }
  svg += "</svg>";
  return svg;
}

std::string PairedBarChart(const std::vector<BarPair>& rows, absl::string_view current_name,
                           absl::string_view baseline_name, absl::string_view caption) {
  constexpr int kWidth = 960, kLabel = 200, kChange = 90, kRowHeight = 44, kTop = 34;
  int64_t most = 1;
  for (const BarPair& row : rows) most = std::max({most, row.current, row.baseline});
  double plot_width = kWidth - kLabel - kChange - 70;
  int height = kTop + kRowHeight * static_cast<int>(std::max<size_t>(rows.size(), 1)) + 8;
  std::string svg = absl::StrFormat(
      R"(<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">)", kWidth, height,
      EscapeXml(caption));
  absl::StrAppendFormat(&svg,
                        R"(<rect x="%d" y="6" width="12" height="12" fill="%s"/>)"
                        R"(<text x="%d" y="16" class="axis">%s</text>)"
                        R"(<rect x="%d" y="6" width="12" height="12" fill="%s"/>)"
                        R"(<text x="%d" y="16" class="axis">%s</text>)",
                        kLabel, kCurrentColor, kLabel + 18, EscapeXml(current_name), kLabel + 200,
                        kBaselineColor, kLabel + 218, EscapeXml(baseline_name));
  for (size_t i = 0; i < rows.size(); ++i) {
    const BarPair& row = rows[i];
    double y = kTop + kRowHeight * static_cast<double>(i);
    double current = plot_width * static_cast<double>(row.current) / most;
    double baseline = plot_width * static_cast<double>(row.baseline) / most;
    absl::StrAppendFormat(
        &svg,
        R"(<g><title>%s: %s against %s (%s)</title>)"
        R"(<text x="%d" y="%.1f" class="label" text-anchor="end">%s</text>)"
        R"(<rect x="%d" y="%.1f" width="%.1f" height="16" rx="2" fill="%s"/>)"
        R"(<text x="%.1f" y="%.1f" class="value">%s</text>)"
        R"(<rect x="%d" y="%.1f" width="%.1f" height="12" rx="2" fill="%s"/>)"
        R"(<text x="%.1f" y="%.1f" class="value muted">%s</text>)"
        R"(<text x="%d" y="%.1f" class="change" text-anchor="end">%s</text></g>)",
        EscapeXml(row.label), GroupThousands(row.current), GroupThousands(row.baseline),
        EscapeXml(row.change), kLabel - 10, y + 20, EscapeXml(row.label), kLabel, y + 2, current,
        kCurrentColor, kLabel + current + 6, y + 14, GroupThousands(row.current), kLabel, y + 21,
        baseline, kBaselineColor, kLabel + baseline + 6, y + 31, GroupThousands(row.baseline),
        kWidth - 8, y + 22, EscapeXml(row.change));
  }
  svg += "</svg>";
  return svg;
}

}  // namespace ndxp::gateway::admin_http
