// The local day ("2026-03-02") a transaction is counted under, in the
// hub's time zone. Counters are keyed by it, so every row of a commit asks;
// absl::FormatTime costs about a microsecond, while the rows of a batch
// nearly always fall on one day: the last day's bounds are kept.
//
// Example:
//   LocalDay day(time_zone);
//   const std::string& text = day.Of(record.time_micros);
#ifndef NDXP_GATEWAY_RECORDING_LOCAL_DAY_H_
#define NDXP_GATEWAY_RECORDING_LOCAL_DAY_H_

#include <cstdint>
#include <limits>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace ndxp::gateway {

// Not thread-safe: one per store (used by its writer).
class LocalDay {
 public:
  explicit LocalDay(absl::TimeZone time_zone) : time_zone_(time_zone) {}

  // The day holding `time_micros`; valid until the next call.
  const std::string& Of(int64_t time_micros) {
    if (time_micros < start_micros_ || time_micros >= end_micros_) {
      const absl::CivilDay day = DayAt(time_micros);
      // A day's bounds in the zone (23 or 25 hours where clocks change).
      start_micros_ = absl::ToUnixMicros(absl::FromCivil(day, time_zone_));
      end_micros_ = absl::ToUnixMicros(absl::FromCivil(day + 1, time_zone_));
      text_ = absl::FormatCivilTime(day);
      // Where midnight itself is skipped or repeated, FromCivil's bounds may
      // be off by the shift: then nothing is kept, each call computes.
      if (!(start_micros_ <= time_micros && time_micros < end_micros_) ||
          DayAt(start_micros_) != day || DayAt(end_micros_ - 1) != day) {
        start_micros_ = std::numeric_limits<int64_t>::max();
        end_micros_ = std::numeric_limits<int64_t>::min();
      }
    }
    return text_;
  }

 private:
  absl::CivilDay DayAt(int64_t micros) const {
    return absl::ToCivilDay(absl::FromUnixMicros(micros), time_zone_);
  }

  absl::TimeZone time_zone_;
  int64_t start_micros_ = std::numeric_limits<int64_t>::max();
  int64_t end_micros_ = std::numeric_limits<int64_t>::min();
  std::string text_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_LOCAL_DAY_H_
