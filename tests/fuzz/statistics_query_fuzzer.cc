// Fuzzes the statistics query arguments an operator's client sends: the
// input is parsed as a Growth request (its period and baseline, as the
// Statistics API receives them) and, as text, as a period's name (ndxpctl
// report --period). Nothing may crash; every period that resolves is a real
// range of days within years 1..9999, its year-on-year and previous-period
// baselines too, and a name that parses resolves.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gateway/statistics/periods.h"
#include "ndxp/hub/v1/statistics.pb.h"

namespace {

using ndxp::gateway::statistics::DayRange;
using ndxp::hub::v1::GrowthRequest;

void CheckRange(const DayRange& range) {
  if (range.from > range.to || range.from < absl::CivilDay(1, 1, 1) ||
      range.to > absl::CivilDay(9999, 12, 31)) {
    std::abort();
  }
}

void CheckPeriod(const ndxp::hub::v1::Period& period) {
  absl::StatusOr<DayRange> range = ndxp::gateway::statistics::ResolvePeriod(period);
  if (!range.ok()) return;
  CheckRange(*range);
  for (auto baseline : {GrowthRequest::YEAR_ON_YEAR, GrowthRequest::PREVIOUS_PERIOD}) {
    absl::StatusOr<DayRange> before =
        ndxp::gateway::statistics::ResolveBaseline(period, baseline);
    if (before.ok()) {
      CheckRange(*before);
      if (before->to >= range->to) std::abort();  // a baseline ends before its period
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  GrowthRequest request;
  if (request.ParseFromArray(data, static_cast<int>(size))) CheckPeriod(request.period());
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  if (absl::StatusOr<ndxp::hub::v1::Period> named =
          ndxp::gateway::statistics::ParsePeriodName(text);
      named.ok()) {
    if (!ndxp::gateway::statistics::ResolvePeriod(*named).ok()) std::abort();
    CheckPeriod(*named);
  }
  return 0;
}
