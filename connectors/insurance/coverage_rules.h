// Rules of health-insurance coverage shared by the register's synthetic data
// and the IssueChildHealthCard service, so both make the same cards.
#ifndef NDXP_CONNECTORS_INSURANCE_COVERAGE_RULES_H_
#define NDXP_CONNECTORS_INSURANCE_COVERAGE_RULES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "ndxp/insurance/v1/insurance.pb.h"
#include "ndxp/residents/v1/residents.pb.h"

namespace ndxp::insurance {

// Children under six are covered free of charge (Law on Health Insurance,
// art. 12): category "TE", benefit level 1.
inline constexpr char kChildCategory[] = "TE";
inline constexpr int kChildBenefitLevel = 1;

// The day before the sixth birthday of a child born on `birth` (a real date).
// A child born on 29 February turns six on 1 March of a common year, so its
// card runs to 28 February.
ndxp::residents::v1::Date DayBeforeSixthBirthday(const ndxp::residents::v1::Date& birth);

// The card of a child born on `birth`, without its code: category TE, level
// 1, valid from the birth date to DayBeforeSixthBirthday, registered at
// `primary_care_facility`.
ndxp::insurance::v1::HealthInsuranceCard ChildCard(const ndxp::residents::v1::Date& birth,
                                                   absl::string_view primary_care_facility);

// Where the insured in the province named `province_name` register for
// primary care by default: its provincial health centre
// ("Trung tâm Y tế Hà Nội").
std::string DefaultPrimaryCareFacility(absl::string_view province_name);

}  // namespace ndxp::insurance

#endif  // NDXP_CONNECTORS_INSURANCE_COVERAGE_RULES_H_
