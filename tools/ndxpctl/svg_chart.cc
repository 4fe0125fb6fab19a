#include "tools/ndxpctl/svg_chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::ndxpctl {
namespace {

constexpr char kTextColor[] = "#33415c";
constexpr char kGridColor[] = "#e3e8ef";

std::string Open(int width, int height) {
  return absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, sans-serif\" "
      "font-size=\"12\" role=\"img\">",
      width, height, width, height);
}

std::string Text(double x, double y, absl::string_view anchor, absl::string_view text,
                 absl::string_view extra = "") {
  return absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\"%s>%s</text>",
                         x, y, anchor, kTextColor, extra, EscapeXml(text));
}

std::string Rect(double x, double y, double w, double h, absl::string_view color) {
  return absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                         "fill=\"%s\"/>",
                         x, y, std::max(w, 0.0), std::max(h, 0.0), color);
}

// The smallest of 1, 2, 2.5, 5 x 10^k at least max / steps: round gridlines.
double AxisStep(double max, int steps) {
  if (max <= 0) return 1;
  const double raw = max / steps;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

double MaxValue(const ColumnChart& chart) {
  double max = 0;
  for (const ChartSeries& s : chart.series) {
    for (double v : s.values) max = std::max(max, v);
  }
  return max;
}

// The series' names with their colours, in a row from (x, y).
std::string Legend(const std::vector<ChartSeries>& series, double x, double y) {
  std::string out;
  for (const ChartSeries& s : series) {
    absl::StrAppend(&out, Rect(x, y - 10, 12, 12, s.color), Text(x + 18, y, "start", s.name));
    x += 36 + 8.0 * static_cast<double>(s.name.size());
  }
  return out;
}

}  // namespace

std::string RenderColumnChart(const ColumnChart& chart, int width, int height) {
  const double left = 86, right = 12, top = 30, bottom = 28;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const double step = AxisStep(MaxValue(chart), 4);
  const double axis_max = std::max(step, std::ceil(MaxValue(chart) / step) * step);
  std::string out = Open(width, height);
  absl::StrAppend(&out, Legend(chart.series, left, 14));
  for (double v = 0; v <= axis_max + step / 2; v += step) {
    const double y = top + plot_h - v / axis_max * plot_h;
    absl::StrAppendFormat(&out,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
                          left, y, left + plot_w, y, kGridColor);
    absl::StrAppend(&out, Text(left - 8, y + 4, "end", chart.format(v)));
  }
  const size_t n = std::max<size_t>(chart.categories.size(), 1);
  const double slot = plot_w / static_cast<double>(n);
  const double group = slot * 0.72;
  const double bar = group / static_cast<double>(std::max<size_t>(chart.series.size(), 1));
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    const double x0 = left + slot * static_cast<double>(c) + (slot - group) / 2;
    for (size_t s = 0; s < chart.series.size(); ++s) {
      const double v = c < chart.series[s].values.size() ? chart.series[s].values[c] : 0;
      const double h = v / axis_max * plot_h;
      absl::StrAppend(&out, Rect(x0 + bar * static_cast<double>(s), top + plot_h - h, bar - 2, h,
                                 chart.series[s].color));
    }
    absl::StrAppend(&out, Text(left + slot * (static_cast<double>(c) + 0.5), height - 10,
                               "middle", chart.categories[c]));
  }
  absl::StrAppendFormat(&out,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
                        left, top + plot_h, left + plot_w, top + plot_h, kTextColor);
  return out + "</svg>";
}

std::string RenderBarChart(const ColumnChart& chart, int width) {
  const double label_w = 190, value_w = 96, top = 26, row_h = 30;
  const double plot_w = width - label_w - value_w;
  const double max = std::max(MaxValue(chart), 1.0);
  const int height = static_cast<int>(top + row_h * static_cast<double>(chart.categories.size()) + 6);
  std::string out = Open(width, height);
  absl::StrAppend(&out, Legend(chart.series, label_w, 14));
  const double bar = (row_h - 8) / static_cast<double>(std::max<size_t>(chart.series.size(), 1));
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    const double y0 = top + row_h * static_cast<double>(c) + 4;
    absl::StrAppend(&out, Text(label_w - 8, y0 + (row_h - 8) / 2 + 4, "end", chart.categories[c]));
    for (size_t s = 0; s < chart.series.size(); ++s) {
      const double v = c < chart.series[s].values.size() ? chart.series[s].values[c] : 0;
      absl::StrAppend(&out, Rect(label_w, y0 + bar * static_cast<double>(s), v / max * plot_w,
                                 bar - 1, chart.series[s].color));
    }
    if (!chart.series.empty() && c < chart.series[0].values.size()) {
      const double v = chart.series[0].values[c];
      absl::StrAppend(&out, Text(label_w + v / max * plot_w + 6, y0 + bar / 2 + 4, "start",
                                 chart.format(v), " font-weight=\"bold\""));
    }
  }
  return out + "</svg>";
}

std::string RenderShareBar(const std::vector<ShareSlice>& slices,
                           const std::function<std::string(double)>& format, int width) {
  const double bar_h = 26, height = 70;
  double total = 0;
  for (const ShareSlice& s : slices) total += s.value;
  std::string out = Open(width, static_cast<int>(height));
  double x = 0;
  for (const ShareSlice& s : slices) {
    if (total <= 0) break;
    const double w = s.value / total * width;
    absl::StrAppend(&out, Rect(x, 0, w, bar_h, s.color));
    x += w;
  }
  if (total <= 0) absl::StrAppend(&out, Rect(0, 0, width, bar_h, kGridColor));
  double legend_x = 0;
  for (const ShareSlice& s : slices) {
    const std::string label = absl::StrCat(s.name, ": ", format(s.value));
    absl::StrAppend(&out, Rect(legend_x, bar_h + 16, 12, 12, s.color),
                    Text(legend_x + 18, bar_h + 26, "start", label));
    legend_x += 40 + 7.2 * static_cast<double>(label.size());
  }
  return out + "</svg>";
}

}  // namespace ndxp::ndxpctl
