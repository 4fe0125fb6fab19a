// Periods of whole local days for the statistics API (docs/design.md "Statistics"):
// a Period resolved to its first and last day, and the baseline a growth figure
// compares it with (the same period a year earlier, or the period just before).
//
// Example:
//   hub::v1::Period half;
//   half.set_kind(hub::v1::Period::HALF_YEAR);
//   *half.mutable_anchor() = ToProtoDay(absl::CivilDay(2026, 3, 15));
//   NDXP_ASSIGN_OR_RETURN(DayRange current, ResolvePeriod(half));
//   // current: 2026-01-01 .. 2026-06-30
//   NDXP_ASSIGN_OR_RETURN(DayRange baseline,
//                         ResolveBaseline(half, hub::v1::GrowthRequest::YEAR_ON_YEAR));
//   // baseline: 2025-01-01 .. 2025-06-30
//
// Every function here is a pure function of its arguments (no clock, no time
// zone: days are the hub's local days as the counters store them), so all are
// thread-safe. Invalid input is INVALID_ARGUMENT naming the field and the
// reason ("period.anchor 2026-02-30 is not a real date").
#ifndef NDXP_GATEWAY_STATISTICS_PERIODS_H_
#define NDXP_GATEWAY_STATISTICS_PERIODS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "ndxp/hub/v1/statistics.pb.h"

namespace ndxp::gateway::statistics {

// The first day a CUMULATIVE period (and its year-on-year baseline) starts on:
// "everything up to the anchor" without a query for the oldest counter.
inline constexpr absl::CivilDay kEarliestDay(1, 1, 1);

// Days `from` .. `to`, both included.
struct DayRange {
  absl::CivilDay from;
  absl::CivilDay to;

  friend bool operator==(const DayRange& a, const DayRange& b) {
    return a.from == b.from && a.to == b.to;
  }
  friend bool operator!=(const DayRange& a, const DayRange& b) { return !(a == b); }
};

// The days of `period`. DAY, MONTH, QUARTER, HALF_YEAR (Jan-Jun, Jul-Dec) and
// YEAR are the calendar unit containing `anchor`; CUSTOM is `from` .. `to`;
// CUMULATIVE is kEarliestDay .. `anchor`. A kind uses only its own fields:
// `anchor` for every kind but CUSTOM, `from` and `to` for CUSTOM; setting the
// others is an error rather than silently ignored. Dates must be real days of
// years 1..9999.
absl::StatusOr<DayRange> ResolvePeriod(const hub::v1::Period& period);

// The days `period` is compared with (validates `period` as ResolvePeriod).
//   YEAR_ON_YEAR: the same calendar unit a year earlier; DAY and CUSTOM shift
//     each date back a year, 29 February becoming 28 February; CUMULATIVE is
//     everything up to the anchor a year earlier.
//   PREVIOUS_PERIOD: the unit just before (the day, month, quarter, half-year
//     or year before); CUSTOM: the range of the same length ending the day
//     before `from`; CUMULATIVE: INVALID_ARGUMENT (it has no previous period).
// A baseline is cut to start no earlier than kEarliestDay; one that would end
// before it (a period in year 1) is INVALID_ARGUMENT.
absl::StatusOr<DayRange> ResolveBaseline(const hub::v1::Period& period,
                                         hub::v1::GrowthRequest::Baseline baseline);

// `day` one year earlier, 29 February becoming 28 February.
absl::CivilDay SameDayYearEarlier(absl::CivilDay day);

// A proto Day as a civil day; INVALID_ARGUMENT "<field> 2026-02-30 is not a
// real date" unless it is a real day of years 1..9999.
absl::StatusOr<absl::CivilDay> DayFromProto(const hub::v1::Day& day, absl::string_view field);

hub::v1::Day ToProtoDay(absl::CivilDay day);
hub::v1::ResolvedPeriod ToResolvedPeriod(const DayRange& range);

// A period as operators name it, anchored on its first day:
//   "2024"        YEAR       2024-01-01 .. 2024-12-31
//   "2024H1"      HALF_YEAR  2024-01-01 .. 2024-06-30 ("2024H2": July .. December)
//   "2024Q2"      QUARTER    2024-04-01 .. 2024-06-30
//   "2024-06"     MONTH      2024-06-01 .. 2024-06-30
//   "2024-06-15"  DAY
// H and Q may be lower case. INVALID_ARGUMENT naming the text and the forms
// accepted for anything else ("2024H3", "2024-13", "H1 2024").
absl::StatusOr<hub::v1::Period> ParsePeriodName(absl::string_view name);

// "YYYY-MM-DD", the year zero-padded to four digits (so that, for years
// 0..9999, text order is day order, as the counters table relies on).
std::string FormatDay(absl::CivilDay day);

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_PERIODS_H_
