#include "connectors/insurance/coverage_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace ndxp::insurance {

ndxp::residents::v1::Date DayBeforeSixthBirthday(const ndxp::residents::v1::Date& birth) {
  // CivilDay normalises 29 February of a common year to 1 March.
  const absl::CivilDay eve =
      absl::CivilDay(birth.year() + 6, birth.month(), birth.day()) - 1;
  ndxp::residents::v1::Date date;
  date.set_year(static_cast<int>(eve.year()));
  date.set_month(eve.month());
  date.set_day(eve.day());
  return date;
}

ndxp::insurance::v1::HealthInsuranceCard ChildCard(const ndxp::residents::v1::Date& birth,
                                                   absl::string_view primary_care_facility) {
  ndxp::insurance::v1::HealthInsuranceCard card;
  card.set_participant_category(kChildCategory);
  card.set_benefit_level(kChildBenefitLevel);
  *card.mutable_valid_from() = birth;
  *card.mutable_valid_to() = DayBeforeSixthBirthday(birth);
  card.set_primary_care_facility(std::string(primary_care_facility));
  return card;
}

std::string DefaultPrimaryCareFacility(absl::string_view province_name) {
  return absl::StrCat("Trung tâm Y tế ", province_name);
}

}  // namespace ndxp::insurance
