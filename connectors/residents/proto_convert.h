// Conversions between the residents API's messages and the identifiers
// library's plain values.
#ifndef NDXP_CONNECTORS_RESIDENTS_PROTO_CONVERT_H_
#define NDXP_CONNECTORS_RESIDENTS_PROTO_CONVERT_H_

#include <optional>

#include "common/identifiers/civil_date.h"
#include "ndxp/residents/v1/residents.pb.h"

namespace ndxp::residents {

inline identifiers::CivilDate ToCivilDate(const v1::Date& date) {
  return {date.year(), date.month(), date.day()};
}

inline v1::Date ToProtoDate(const identifiers::CivilDate& date) {
  v1::Date proto;
  proto.set_year(date.year);
  proto.set_month(date.month);
  proto.set_day(date.day);
  return proto;
}

// False for an absent date (all zero), which proto3 cannot tell from a
// default one.
inline bool IsDateSet(const v1::Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

// nullopt for SEX_UNSPECIFIED and unknown enum values.
inline std::optional<identifiers::Sex> ToIdentifierSex(v1::Sex sex) {
  if (sex == v1::SEX_MALE) return identifiers::Sex::kMale;
  if (sex == v1::SEX_FEMALE) return identifiers::Sex::kFemale;
  return std::nullopt;
}

inline v1::Sex ToProtoSex(identifiers::Sex sex) {
  return sex == identifiers::Sex::kMale ? v1::SEX_MALE : v1::SEX_FEMALE;
}

}  // namespace ndxp::residents

#endif  // NDXP_CONNECTORS_RESIDENTS_PROTO_CONVERT_H_
