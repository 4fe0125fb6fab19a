#include "gateway/statistics/periods.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/identifiers/civil_date.h"

namespace ndxp::gateway::statistics {
namespace {

using hub::v1::GrowthRequest;
using hub::v1::Period;

// The unit of a calendar kind, in months (DAY is handled apart).
int MonthsIn(Period::Kind kind) {
  switch (kind) {
    case Period::MONTH:
      return 1;
    case Period::QUARTER:
      return 3;
    case Period::HALF_YEAR:
      return 6;
    case Period::YEAR:
      return 12;
    default:
      return 0;
  }
}

// The MONTH, QUARTER, HALF_YEAR or YEAR containing `day`.
DayRange UnitContaining(Period::Kind kind, absl::CivilDay day) {
  const int months = MonthsIn(kind);
  const int first_month = (day.month() - 1) / months * months + 1;
  const absl::CivilMonth start(day.year(), first_month);
  return DayRange{absl::CivilDay(start), absl::CivilDay(start + months) - 1};
}

std::string KindName(Period::Kind kind) {
  return Period::Kind_IsValid(kind) ? Period::Kind_Name(kind)
                                    : absl::StrCat(static_cast<int>(kind));
}

absl::Status Unused(absl::string_view field, Period::Kind kind, absl::string_view uses) {
  return absl::InvalidArgumentError(absl::StrCat("period.", field, " is set but ",
                                                 KindName(kind), " periods use ", uses,
                                                 " only"));
}

absl::Status Missing(absl::string_view field, Period::Kind kind) {
  return absl::InvalidArgumentError(
      absl::StrCat("period.", field, " is missing (required for ", KindName(kind), ")"));
}

// `digits` (exactly `width` ASCII digits) as a number in [min, max].
bool ParseField(absl::string_view digits, size_t width, int min, int max, int* value) {
  if (digits.size() != width) return false;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(digits, value) && *value >= min && *value <= max;
}

Period Anchored(Period::Kind kind, int year, int month, int day) {
  Period period;
  period.set_kind(kind);
  *period.mutable_anchor() = ToProtoDay(absl::CivilDay(year, month, day));
  return period;
}

}  // namespace

absl::StatusOr<Period> ParsePeriodName(absl::string_view name) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "period \"", name,
        "\" is not one of YYYY (a year), YYYYH1 or YYYYH2 (a half-year), YYYYQ1..YYYYQ4 (a "
        "quarter), YYYY-MM (a month) or YYYY-MM-DD (a day), e.g. 2024H1"));
  };
  int year = 0;
  if (name.size() < 4 || !ParseField(name.substr(0, 4), 4, 1, 9999, &year)) return invalid();
  const absl::string_view rest = name.substr(4);
  int number = 0;
  if (rest.empty()) return Anchored(Period::YEAR, year, 1, 1);
  if (rest.size() == 2 && absl::ascii_toupper(static_cast<unsigned char>(rest[0])) == 'H' &&
      ParseField(rest.substr(1), 1, 1, 2, &number)) {
    return Anchored(Period::HALF_YEAR, year, (number - 1) * 6 + 1, 1);
  }
  if (rest.size() == 2 && absl::ascii_toupper(static_cast<unsigned char>(rest[0])) == 'Q' &&
      ParseField(rest.substr(1), 1, 1, 4, &number)) {
    return Anchored(Period::QUARTER, year, (number - 1) * 3 + 1, 1);
  }
  if (rest.size() >= 3 && rest[0] == '-' && ParseField(rest.substr(1, 2), 2, 1, 12, &number)) {
    if (rest.size() == 3) return Anchored(Period::MONTH, year, number, 1);
    int day = 0;
    if (rest.size() == 6 && rest[3] == '-' && ParseField(rest.substr(4), 2, 1, 31, &day)) {
      if (day > identifiers::DaysInMonth(year, number)) return invalid();
      return Anchored(Period::DAY, year, number, day);
    }
  }
  return invalid();
}

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

hub::v1::Day ToProtoDay(absl::CivilDay day) {
  hub::v1::Day out;
  out.set_year(static_cast<int32_t>(day.year()));
  out.set_month(day.month());
  out.set_day(day.day());
  return out;
}

hub::v1::ResolvedPeriod ToResolvedPeriod(const DayRange& range) {
  hub::v1::ResolvedPeriod out;
  *out.mutable_from() = ToProtoDay(range.from);
  *out.mutable_to() = ToProtoDay(range.to);
  return out;
}

absl::StatusOr<absl::CivilDay> DayFromProto(const hub::v1::Day& day, absl::string_view field) {
  const identifiers::CivilDate date{day.year(), day.month(), day.day()};
  if (!date.IsValid()) {
    const bool year_out_of_range = day.year() < 1 || day.year() > 9999;
    return absl::InvalidArgumentError(absl::StrCat(field, " ", date.ToString(),
                                                   " is not a real date",
                                                   year_out_of_range ? " (years 1..9999)" : ""));
  }
  return absl::CivilDay(day.year(), day.month(), day.day());
}

absl::CivilDay SameDayYearEarlier(absl::CivilDay day) {
  const absl::civil_year_t year = day.year() - 1;
  // CivilDay would normalize 29 February of a common year to 1 March.
  const int last = identifiers::DaysInMonth(static_cast<int>(year), day.month());
  return absl::CivilDay(year, day.month(), std::min(day.day(), last));
}

absl::StatusOr<DayRange> ResolvePeriod(const Period& period) {
  const Period::Kind kind = period.kind();
  switch (kind) {
    case Period::KIND_UNSPECIFIED:
      return absl::InvalidArgumentError(
          "period.kind is unspecified (expected DAY, MONTH, QUARTER, HALF_YEAR, YEAR, "
          "CUSTOM or CUMULATIVE)");
    case Period::DAY:
    case Period::MONTH:
    case Period::QUARTER:
    case Period::HALF_YEAR:
    case Period::YEAR:
    case Period::CUMULATIVE: {
      if (!period.has_anchor()) return Missing("anchor", kind);
      if (period.has_from()) return Unused("from", kind, "period.anchor");
      if (period.has_to()) return Unused("to", kind, "period.anchor");
      absl::StatusOr<absl::CivilDay> anchor = DayFromProto(period.anchor(), "period.anchor");
      if (!anchor.ok()) return anchor.status();
      if (kind == Period::DAY) return DayRange{*anchor, *anchor};
      if (kind == Period::CUMULATIVE) return DayRange{kEarliestDay, *anchor};
      return UnitContaining(kind, *anchor);
    }
    case Period::CUSTOM: {
      if (period.has_anchor()) return Unused("anchor", kind, "period.from and period.to");
      if (!period.has_from()) return Missing("from", kind);
      if (!period.has_to()) return Missing("to", kind);
      absl::StatusOr<absl::CivilDay> from = DayFromProto(period.from(), "period.from");
      if (!from.ok()) return from.status();
      absl::StatusOr<absl::CivilDay> to = DayFromProto(period.to(), "period.to");
      if (!to.ok()) return to.status();
      if (*from > *to) {
        return absl::InvalidArgumentError(absl::StrCat("period.from ", FormatDay(*from),
                                                       " is after period.to ",
                                                       FormatDay(*to)));
      }
      return DayRange{*from, *to};
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("period.kind ", static_cast<int>(kind), " is unknown"));
  }
}

namespace {

absl::StatusOr<DayRange> BaselineDays(const Period& period, GrowthRequest::Baseline baseline) {
  absl::StatusOr<DayRange> current = ResolvePeriod(period);
  if (!current.ok()) return current.status();
  const Period::Kind kind = period.kind();
  switch (baseline) {
    case GrowthRequest::BASELINE_UNSPECIFIED:
      return absl::InvalidArgumentError(
          "baseline is unspecified (expected YEAR_ON_YEAR or PREVIOUS_PERIOD)");
    case GrowthRequest::YEAR_ON_YEAR:
      switch (kind) {
        case Period::DAY:
        case Period::CUSTOM:
          return DayRange{SameDayYearEarlier(current->from),
                          SameDayYearEarlier(current->to)};
        case Period::CUMULATIVE:
          return DayRange{kEarliestDay, SameDayYearEarlier(current->to)};
        default:  // a calendar unit: it starts on the 1st, never on 29 February
          return UnitContaining(kind, SameDayYearEarlier(current->from));
      }
    case GrowthRequest::PREVIOUS_PERIOD:
      switch (kind) {
        case Period::DAY:
          return DayRange{current->from - 1, current->from - 1};
        case Period::CUSTOM: {
          const absl::civil_diff_t length = current->to - current->from + 1;
          return DayRange{current->from - length, current->from - 1};
        }
        case Period::CUMULATIVE:
          return absl::InvalidArgumentError(
              "baseline: previous period is undefined for cumulative periods (use "
              "YEAR_ON_YEAR)");
        default:
          return UnitContaining(kind, current->from - 1);
      }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("baseline ", static_cast<int>(baseline), " is unknown"));
  }
}

}  // namespace

absl::StatusOr<DayRange> ResolveBaseline(const Period& period,
                                         GrowthRequest::Baseline baseline) {
  absl::StatusOr<DayRange> days = BaselineDays(period, baseline);
  // A period in year 1 has no year before it: the counters' days start at
  // 0001-01-01 (and their text order needs four-digit years).
  if (days.ok() && days->to < kEarliestDay) {
    return absl::InvalidArgumentError(
        "baseline: the period starts in year 1, the earliest the hub counts; it has no "
        "period before it");
  }
  if (days.ok() && days->from < kEarliestDay) days->from = kEarliestDay;
  return days;
}

}  // namespace ndxp::gateway::statistics
