#include "gateway/recording/local_day.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace ndxp::gateway {
namespace {

// Every 7 minutes over two years, LocalDay names the day absl::FormatTime
// does: in a zone without changes, and in ones whose clocks jumped at
// midnight (Sao Paulo skipped 00:00-01:00 on 2018-11-04; Havana repeated
// 00:00-01:00 on 2019-11-03), where a day starts at 01:00 or lasts 25 hours.
TEST(LocalDayTest, NamesTheDayFormatTimeNamesAcrossMidnightClockChanges) {
  for (const char* zone : {"Asia/Ho_Chi_Minh", "America/Sao_Paulo", "America/Havana", "UTC"}) {
    absl::TimeZone time_zone;
    ASSERT_TRUE(absl::LoadTimeZone(zone, &time_zone)) << zone;
    LocalDay day(time_zone);
    const absl::Time start = absl::FromCivil(absl::CivilDay(2018, 1, 1), time_zone);
    for (absl::Time t = start; t < start + absl::Hours(24 * 730); t += absl::Minutes(7)) {
      const int64_t micros = absl::ToUnixMicros(t);
      ASSERT_EQ(day.Of(micros), absl::FormatTime("%Y-%m-%d", t, time_zone))
          << zone << " at " << absl::FormatTime(t);
    }
    // Out of order, as rows of a batch may be: the day is still the row's.
    EXPECT_EQ(day.Of(absl::ToUnixMicros(start)), absl::FormatTime("%Y-%m-%d", start, time_zone));
  }
}

}  // namespace
}  // namespace ndxp::gateway
