#include "connectors/civil_status/synthetic_registrations.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/identifiers/province.h"
#include "connectors/residents/synthetic_population.h"
#include "connectors/runtime/deterministic_rng.h"
#include "common/status/status_util.h"

namespace ndxp::civil_status {
namespace {

using ndxp::residents::v1::Citizen;
using ndxp::residents::v1::Date;

// Distinct from the population's own stream, so adding civil status records
// never changes who the citizens are.
constexpr uint64_t kStreamSalt = 0x6369766c73746174;  // "civlstat"

absl::CivilDay ToDay(const Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

Date ToDate(absl::CivilDay day) {
  Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

std::string OfficeOf(absl::string_view province_code) {
  const identifiers::Province* province = identifiers::FindProvince(province_code);
  return absl::StrCat("Ủy ban nhân dân ", province != nullptr ? province->name : province_code);
}

}  // namespace

absl::Status GenerateSyntheticRegistrations(
    uint64_t seed, uint32_t size,
    const std::function<absl::Status(const SyntheticRegistration&)>& sink) {
  connectors::DeterministicRng rng(seed ^ kStreamSalt);
  absl::flat_hash_map<std::string, Date> birth_dates;  // by personal ID
  absl::flat_hash_set<std::string> married;            // "<husband>:<wife>"
  std::vector<SyntheticRegistration> marriages, deaths;

  auto on_citizen = [&](const Citizen& c) -> absl::Status {
    birth_dates[c.personal_id()] = c.date_of_birth();
    v1::RegisterBirthRequest birth;
    birth.set_request_id(absl::StrCat("synthetic:birth:", c.personal_id()));
    birth.set_child_full_name(c.full_name());
    *birth.mutable_date_of_birth() = c.date_of_birth();
    birth.set_sex(c.sex());
    birth.set_birth_province_code(c.birth_province_code());
    birth.set_father_personal_id(c.father_personal_id());
    birth.set_mother_personal_id(c.mother_personal_id());
    birth.set_registration_office(OfficeOf(c.birth_province_code()));
    NDXP_RETURN_IF_ERROR(
        sink({RegistrationKind::kBirth, birth.request_id(), birth.SerializeAsString(),
              BookName(RegistrationKind::kBirth, c.birth_province_code(), c.date_of_birth().year()),
              c.personal_id()}));

    // The parents' marriage, registered before their first child.
    const std::string couple = absl::StrCat(c.father_personal_id(), ":", c.mother_personal_id());
    if (!c.father_personal_id().empty() && !c.mother_personal_id().empty() &&
        married.insert(couple).second) {
      const absl::CivilDay child = ToDay(c.date_of_birth());
      absl::CivilDay day = child - 270 - rng.Between(0, 3 * 365);
      // Not before both are of marriageable age, nor after the birth.
      const Date& husband = birth_dates[c.father_personal_id()];
      const Date& wife = birth_dates[c.mother_personal_id()];
      day = std::max({day, ToDay(husband) + 20 * 366, ToDay(wife) + 18 * 366});
      day = std::min(day, child);
      v1::RegisterMarriageRequest marriage;
      marriage.set_request_id(absl::StrCat("synthetic:marriage:", couple));
      marriage.set_husband_personal_id(c.father_personal_id());
      marriage.set_wife_personal_id(c.mother_personal_id());
      *marriage.mutable_date_of_marriage() = ToDate(day);
      marriage.set_registration_province_code(c.birth_province_code());
      marriage.set_registration_office(OfficeOf(c.birth_province_code()));
      marriages.push_back({RegistrationKind::kMarriage, marriage.request_id(),
                           marriage.SerializeAsString(),
                           BookName(RegistrationKind::kMarriage, c.birth_province_code(),
                                    static_cast<int>(day.year())),
                           ""});
    }
    if (c.life_status() == ndxp::residents::v1::LIFE_STATUS_DECEASED) {
      v1::RegisterDeathRequest death;
      death.set_request_id(absl::StrCat("synthetic:death:", c.personal_id()));
      death.set_personal_id(c.personal_id());
      *death.mutable_date_of_death() = c.date_of_death();
      death.set_place_of_death_province_code(c.birth_province_code());
      death.set_place_of_death(c.permanent_address());
      deaths.push_back(
          {RegistrationKind::kDeath, death.request_id(), death.SerializeAsString(),
           BookName(RegistrationKind::kDeath, c.birth_province_code(), c.date_of_death().year()),
           c.personal_id()});
    }
    return absl::OkStatus();
  };
  NDXP_RETURN_IF_ERROR(ndxp::residents::GenerateSyntheticPopulation(seed, size, on_citizen));
  for (const std::vector<SyntheticRegistration>* group : {&marriages, &deaths}) {
    for (const SyntheticRegistration& r : *group) NDXP_RETURN_IF_ERROR(sink(r));
  }
  return absl::OkStatus();
}

}  // namespace ndxp::civil_status
