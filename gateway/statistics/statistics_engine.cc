#include "gateway/statistics/statistics_engine.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_util.h"
#include "gateway/statistics/periods.h"

namespace ndxp::gateway::statistics {
namespace {

using hub::v1::Dimension;
using Key = std::vector<std::string>;

// *total += value, or OUT_OF_RANGE rather than wrapping around.
absl::Status AddToTotal(int64_t value, int64_t* total) {
  if ((value > 0 && *total > std::numeric_limits<int64_t>::max() - value) ||
      (value < 0 && *total < std::numeric_limits<int64_t>::min() - value)) {
    return absl::OutOfRangeError("statistics: total count does not fit in 64 bits");
  }
  *total += value;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> TotalOf(const std::vector<CounterRow>& rows) {
  int64_t total = 0;
  for (const CounterRow& row : rows) NDXP_RETURN_IF_ERROR(AddToTotal(row.count, &total));
  return total;
}

// A request's `door`: nullopt for "" (every door), or INVALID_ARGUMENT for
// a name no door has.
absl::StatusOr<std::optional<Door>> ParseDoor(absl::string_view name) {
  if (name.empty()) return std::nullopt;
  std::optional<Door> door = DoorNamed(name);
  if (!door.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("door: unknown door \"", name,
                                                   "\" (expected one of ",
                                                   absl::StrJoin(kDoorNames, ", "),
                                                   ", or empty for every door)"));
  }
  return door;
}

void SetKey(const Key& key, google::protobuf::RepeatedPtrField<std::string>* out) {
  out->Reserve(static_cast<int>(key.size()));
  for (const std::string& value : key) *out->Add() = value;
}

}  // namespace

hub::v1::GrowthRow MakeGrowthRow(int64_t current, int64_t baseline) {
  hub::v1::GrowthRow row;
  row.set_current(current);
  row.set_baseline(baseline);
  // Counts are non-negative, so the difference cannot overflow; compute it in
  // double only for the ratios.
  const int64_t difference = current - baseline;
  row.set_difference(difference);
  if (baseline > 0) {
    row.set_defined(true);
    // difference * 100 / baseline rather than (difference / baseline) * 100:
    // one rounding, so 670 / 1000 gives exactly 67.
    row.set_percent_change(static_cast<double>(difference) * 100.0 /
                           static_cast<double>(baseline));
    row.set_multiple(static_cast<double>(current) / static_cast<double>(baseline));
  } else {
    row.set_defined(false);
    row.set_undefined_reason(baseline == 0 ? kNoBaselineReason
                                           : "the baseline count is negative");
  }
  return row;
}

StatisticsEngine::StatisticsEngine(std::unique_ptr<CounterReader> reader)
    : reader_(std::move(reader)) {}

absl::StatusOr<hub::v1::CountResponse> StatisticsEngine::Count(
    const hub::v1::CountRequest& request) const {
  NDXP_ASSIGN_OR_RETURN(DayRange period, ResolvePeriod(request.period()));
  NDXP_ASSIGN_OR_RETURN(std::vector<Dimension> group_by, ParseGroupBy(request.group_by()));
  NDXP_ASSIGN_OR_RETURN(std::optional<Door> door, ParseDoor(request.door()));
  NDXP_ASSIGN_OR_RETURN(std::vector<CounterRow> rows,
                        reader_->Sum(period.from, period.to, group_by, request.calls(), door));

  hub::v1::CountResponse response;
  *response.mutable_period() = ToResolvedPeriod(period);
  response.set_calls(request.calls());
  response.set_door(request.door());
  NDXP_ASSIGN_OR_RETURN(int64_t total, TotalOf(rows));
  response.set_total(total);
  if (group_by.empty()) return response;

  std::sort(rows.begin(), rows.end(), [](const CounterRow& a, const CounterRow& b) {
    if (a.count != b.count) return a.count > b.count;
    return a.key < b.key;
  });
  response.mutable_rows()->Reserve(static_cast<int>(rows.size()));
  for (const CounterRow& row : rows) {
    hub::v1::CountRow* out = response.add_rows();
    SetKey(row.key, out->mutable_key());
    out->set_count(row.count);
  }
  return response;
}

absl::StatusOr<hub::v1::GrowthResponse> StatisticsEngine::Growth(
    const hub::v1::GrowthRequest& request) const {
  NDXP_ASSIGN_OR_RETURN(DayRange period, ResolvePeriod(request.period()));
  NDXP_ASSIGN_OR_RETURN(DayRange baseline_period,
                        ResolveBaseline(request.period(), request.baseline()));
  NDXP_ASSIGN_OR_RETURN(std::vector<Dimension> group_by, ParseGroupBy(request.group_by()));
  NDXP_ASSIGN_OR_RETURN(std::optional<Door> door, ParseDoor(request.door()));
  NDXP_ASSIGN_OR_RETURN(
      std::vector<CounterRow> current_rows,
      reader_->Sum(period.from, period.to, group_by, request.calls(), door));
  NDXP_ASSIGN_OR_RETURN(
      std::vector<CounterRow> baseline_rows,
      reader_->Sum(baseline_period.from, baseline_period.to, group_by, request.calls(), door));

  hub::v1::GrowthResponse response;
  *response.mutable_period() = ToResolvedPeriod(period);
  response.set_calls(request.calls());
  response.set_door(request.door());
  *response.mutable_baseline_period() = ToResolvedPeriod(baseline_period);
  NDXP_ASSIGN_OR_RETURN(int64_t current_total, TotalOf(current_rows));
  NDXP_ASSIGN_OR_RETURN(int64_t baseline_total, TotalOf(baseline_rows));
  *response.mutable_total() = MakeGrowthRow(current_total, baseline_total);
  if (group_by.empty()) return response;

  // key -> (current, baseline); a key in one period only keeps 0 for the other.
  std::map<Key, std::pair<int64_t, int64_t>> merged;
  for (CounterRow& row : current_rows) merged[std::move(row.key)].first = row.count;
  for (CounterRow& row : baseline_rows) merged[std::move(row.key)].second = row.count;

  std::vector<std::pair<const Key*, std::pair<int64_t, int64_t>>> sorted;
  sorted.reserve(merged.size());
  for (const auto& [key, counts] : merged) sorted.emplace_back(&key, counts);
  // std::map iterates keys in ascending order; a stable sort on the current
  // count keeps that order among equal counts.
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second.first > b.second.first;
  });
  response.mutable_rows()->Reserve(static_cast<int>(sorted.size()));
  for (const auto& [key, counts] : sorted) {
    hub::v1::GrowthRow* out = response.add_rows();
    *out = MakeGrowthRow(counts.first, counts.second);
    SetKey(*key, out->mutable_key());
  }
  return response;
}

}  // namespace ndxp::gateway::statistics
