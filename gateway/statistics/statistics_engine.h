// The statistics operators ask for (docs/design.md "Statistics"): transaction
// counts over a period grouped by consumer, provider, service, method,
// status, via or door (and of one door only, on request), and growth against
// the same period a year earlier or the period just before, as counts,
// difference, percent change and multiple.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteCounterReader> reader,
//                         SqliteCounterReader::Open("/var/lib/ndxp/hub.db"));
//   StatisticsEngine engine(std::move(reader));
//   hub::v1::GrowthRequest request;
//   request.mutable_period()->set_kind(hub::v1::Period::HALF_YEAR);
//   *request.mutable_period()->mutable_anchor() = ToProtoDay(absl::CivilDay(2026, 1, 1));
//   request.set_baseline(hub::v1::GrowthRequest::YEAR_ON_YEAR);
//   NDXP_ASSIGN_OR_RETURN(hub::v1::GrowthResponse growth, engine.Growth(request));
//   // growth.total(): current 1670, baseline 1000, difference 670,
//   //                 percent_change 67.0, multiple 1.67
//
// The RPC service (and its operator check) sits in front of this; requests
// are validated here, INVALID_ARGUMENT naming the field ("period.anchor ...",
// "group_by[1]: ...", "baseline ...", "door: ...").
#ifndef NDXP_GATEWAY_STATISTICS_STATISTICS_ENGINE_H_
#define NDXP_GATEWAY_STATISTICS_STATISTICS_ENGINE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "gateway/statistics/counter_reader.h"
#include "ndxp/hub/v1/statistics.pb.h"

namespace ndxp::gateway::statistics {

// The message of GrowthRow.undefined_reason when there is nothing to compare with.
inline constexpr char kNoBaselineReason[] = "no transactions in the baseline period";

// One growth figure: current against baseline (key left empty). Defined only
// for baseline > 0; otherwise defined=false with undefined_reason, and
// percent_change and multiple stay 0 (never a division by zero).
hub::v1::GrowthRow MakeGrowthRow(int64_t current, int64_t baseline);

// Answers CountRequest and GrowthRequest from a CounterReader. Thread-safe
// (it holds no mutable state; the reader is thread-safe).
//
// Responses: with an empty group_by, `rows` is empty and only `total` is set;
// otherwise one row per combination of dimension values that has counters in
// either period, sorted by count (Growth: current count) descending, then by
// key ascending; a combination present in one period only shows 0 for the
// other. Resolved periods are filled in (a CUMULATIVE period starts on
// kEarliestDay, 0001-01-01).
class StatisticsEngine {
 public:
  explicit StatisticsEngine(std::unique_ptr<CounterReader> reader);

  StatisticsEngine(const StatisticsEngine&) = delete;
  StatisticsEngine& operator=(const StatisticsEngine&) = delete;

  absl::StatusOr<hub::v1::CountResponse> Count(const hub::v1::CountRequest& request) const;
  absl::StatusOr<hub::v1::GrowthResponse> Growth(const hub::v1::GrowthRequest& request) const;

 private:
  // Constant after construction.
  const std::unique_ptr<CounterReader> reader_;
};

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_STATISTICS_ENGINE_H_
