// Writes the Prometheus text exposition format, version 0.0.4
// (Content-Type: text/plain; version=0.0.4): a HELP and TYPE line per
// family, then its samples, label values escaped.
//
// Example:
//   PrometheusText page;
//   page.Family("ndxp_refusals_total", "counter", "Calls the hub refused.");
//   page.Sample("ndxp_refusals_total", {{"reason", "permission_denied"}}, 3);
//   std::string body = std::move(page).Take();
//
// Not thread-safe (a value).
#ifndef NDXP_GATEWAY_METRICS_PROMETHEUS_TEXT_H_
#define NDXP_GATEWAY_METRICS_PROMETHEUS_TEXT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gateway/metrics/histogram.h"

namespace ndxp::gateway::metrics {

inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<absl::string_view, absl::string_view>>;

class PrometheusText {
 public:
  // `type`: "counter", "gauge" or "histogram".
  void Family(absl::string_view name, absl::string_view type, absl::string_view help);
  // One sample; +Inf, -Inf and NaN are written as Prometheus spells them.
  void Sample(absl::string_view name, const Labels& labels, double value);
  // name_bucket{...,le="..."} for every bound and +Inf, name_sum, name_count.
  void HistogramSamples(absl::string_view name, const Labels& labels, const Histogram& histogram);

  std::string Take() && { return std::move(text_); }

 private:
  std::string text_;
};

// A label value escaped for the text format (backslash, double quote, newline).
std::string EscapeLabelValue(absl::string_view value);

// A sample value: integers without a fraction, "+Inf", "-Inf", "NaN".
std::string FormatSampleValue(double value);

}  // namespace ndxp::gateway::metrics

#endif  // NDXP_GATEWAY_METRICS_PROMETHEUS_TEXT_H_
