// Charts as inline SVG, drawn on the server so a report is one self-contained
// file (no script, no network): grouped columns over categories (a trend),
// horizontal bars (a ranking) and one bar split into shares (outcomes).
//
// Pure functions: thread-safe. Text is XML-escaped here; callers pass plain
// text.
//
// Example:
//   ColumnChart chart;
//   chart.categories = {"Jan", "Feb"};
//   chart.series = {{"2024", "#1f4e8c", {1200, 1350}}, {"2023", "#b8c4d6", {800, 900}}};
//   chart.format = [](double v) { return absl::StrCat(v); };
//   std::string svg = RenderColumnChart(chart, 720, 260);
#ifndef NDXP_TOOLS_NDXPCTL_SVG_CHART_H_
#define NDXP_TOOLS_NDXPCTL_SVG_CHART_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/text/markup.h"

namespace ndxp::ndxpctl {

struct ChartSeries {
  std::string name;   // the legend's text
  std::string color;  // a CSS colour, "#1f4e8c"
  std::vector<double> values;  // one per category, >= 0
};

struct ColumnChart {
  std::vector<std::string> categories;
  std::vector<ChartSeries> series;  // drawn side by side in each category
  // Axis and value labels ("1.670.000").
  std::function<std::string(double)> format;
};

// Grouped vertical columns with a legend, a value axis of round steps and
// gridlines, `width` x `height` pixels.
std::string RenderColumnChart(const ColumnChart& chart, int width, int height);

// One horizontal bar per category (series side by side within it), the
// category's name on the left and the first series' value at the bar's end;
// as tall as its categories need.
std::string RenderBarChart(const ColumnChart& chart, int width);

struct ShareSlice {
  std::string name;
  std::string color;
  double value = 0;  // >= 0
};

// One bar split into `slices` by value, with a legend naming each and its
// value (formatted by `format`) beneath.
std::string RenderShareBar(const std::vector<ShareSlice>& slices,
                           const std::function<std::string(double)>& format, int width);

// `text` with &, <, >, " and ' escaped, for XML and HTML alike.
using ::ndxp::EscapeXml;

}  // namespace ndxp::ndxpctl

#endif  // NDXP_TOOLS_NDXPCTL_SVG_CHART_H_
