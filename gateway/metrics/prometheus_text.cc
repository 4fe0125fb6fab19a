#include "gateway/metrics/prometheus_text.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::gateway::metrics {
namespace {

void AppendLabels(const Labels& labels, std::string* out) {
  if (labels.empty()) return;
  out->push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, labels[i].first, "=\"", EscapeLabelValue(labels[i].second), "\"");
  }
  out->push_back('}');
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped.push_back(c);
    }
  }
  return escaped;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.9g", value);
}

void PrometheusText::Family(absl::string_view name, absl::string_view type,
                            absl::string_view help) {
  absl::StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void PrometheusText::Sample(absl::string_view name, const Labels& labels, double value) {
  text_.append(name.data(), name.size());
  AppendLabels(labels, &text_);
  absl::StrAppend(&text_, " ", FormatSampleValue(value), "\n");
}

void PrometheusText::HistogramSamples(absl::string_view name, const Labels& labels,
                                      const Histogram& histogram) {
  std::string bucket = absl::StrCat(name, "_bucket");
  std::vector<uint64_t> cumulative = histogram.cumulative_counts();
  for (size_t i = 0; i <= cumulative.size(); ++i) {
    Labels with_le = labels;
    std::string le = i < cumulative.size() ? FormatSampleValue(histogram.bounds()[i]) : "+Inf";
    with_le.emplace_back("le", le);
    Sample(bucket, with_le,
           static_cast<double>(i < cumulative.size() ? cumulative[i] : histogram.count()));
  }
  Sample(absl::StrCat(name, "_sum"), labels, histogram.sum());
  Sample(absl::StrCat(name, "_count"), labels, static_cast<double>(histogram.count()));
}

}  // namespace ndxp::gateway::metrics
