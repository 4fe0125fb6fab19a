#include "connectors/insurance/synthetic_insurance.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/identifiers/insurance_codes.h"
#include "common/identifiers/personal_id.h"
#include "common/identifiers/province.h"
#include "connectors/insurance/coverage_rules.h"
#include "connectors/residents/synthetic_population.h"
#include "connectors/runtime/deterministic_rng.h"

namespace ndxp::insurance {
namespace {

using ndxp::connectors::DeterministicRng;
using ndxp::identifiers::Province;
using ndxp::residents::v1::Citizen;
using ndxp::residents::v1::Date;

// Mixed into the seed so the register's draws are not the population's.
constexpr uint64_t kRegisterStream = 0x494e5355524e4345;  // "INSURNCE"
// The data set is "as of" this day.
constexpr absl::CivilDay kAsOf(2025, 1, 1);
// Deceased citizens keep a (never closed) record when they died from this day on.
constexpr absl::CivilDay kFirstUnclosedDeath(2022, 1, 1);
// Every kGhostInterval-th record, at kGhostOffset, is followed by a ghost.
constexpr int64_t kGhostInterval = 500;
constexpr int64_t kGhostOffset = 250;

absl::CivilDay DayOf(const Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

Date DateOf(absl::CivilDay day) {
  Date date;
  date.set_year(static_cast<int>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

int AgeOn(const Date& birth, absl::CivilDay day) {
  int age = static_cast<int>(day.year()) - birth.year();
  if (birth.month() > day.month() || (birth.month() == day.month() && birth.day() > day.day())) {
    --age;
  }
  return age;
}

// The province a permanent address ends with (", Hà Nội"), or nullptr.
const Province* ProvinceOfAddress(absl::string_view address) {
  static const auto* by_name = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, const Province*>();
    for (const Province& p : identifiers::AllProvinces()) (*map)[p.name] = &p;
    return map;
  }();
  const size_t comma = address.rfind(", ");
  if (comma == absl::string_view::npos) return nullptr;
  auto it = by_name->find(address.substr(comma + 2));
  return it == by_name->end() ? nullptr : it->second;
}

struct Category {
  const char* code;
  int level;
};

class Generator {
 public:
  Generator(uint64_t seed, uint32_t size) : seed_(seed), size_(size), rng_(seed ^ kRegisterStream) {}

  absl::Status Run(const std::function<absl::Status(const SyntheticInsuranceRecord&)>& sink) {
    std::vector<Citizen> citizens;
    citizens.reserve(size_);
    absl::Status generated = ndxp::residents::GenerateSyntheticPopulation(
        seed_, size_, [&](const Citizen& c) {
          held_ids_.insert(c.personal_id());
          citizens.push_back(c);
          return absl::OkStatus();
        });
    if (!generated.ok()) return generated;

    int64_t records = 0;
    SyntheticInsuranceRecord record;
    for (const Citizen& citizen : citizens) {
      if (!Registered(citizen)) continue;
      RecordOf(citizen, &record.person);
      record.problem = PlantProblem(&record.person);
      if (absl::Status s = sink(record); !s.ok()) return s;
      if (++records % kGhostInterval == kGhostOffset) {
        RecordOf(citizen, &record.person);
        record.person.set_personal_id(UnheldPersonalId(citizen));
        record.problem = PlantedProblem::kUnknownPersonalId;
        if (absl::Status s = sink(record); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

 private:
  bool Registered(const Citizen& c) {
    if (c.life_status() == ndxp::residents::v1::LIFE_STATUS_DECEASED) {
      return DayOf(c.date_of_death()) >= kFirstUnclosedDeath;
    }
    return rng_.Chance(97, 100);
  }

  std::string NewSocialInsuranceCode(absl::string_view province_code) {
    for (;;) {
      absl::StatusOr<std::string> code = identifiers::MakeSocialInsuranceCode(
          province_code, static_cast<int>(rng_.Below(identifiers::kSocialInsuranceSerialCount)));
      // The province comes from the population: MakeSocialInsuranceCode cannot fail.
      if (code.ok() && codes_.insert(*code).second) return *std::move(code);
    }
  }

  // A valid personal ID number no citizen (nor earlier ghost) holds: the
  // citizen's own with another serial.
  std::string UnheldPersonalId(const Citizen& c) {
    const auto sex = c.sex() == ndxp::residents::v1::SEX_FEMALE ? identifiers::Sex::kFemale
                                                                 : identifiers::Sex::kMale;
    for (;;) {
      absl::StatusOr<std::string> id = identifiers::MakePersonalId(
          c.personal_id().substr(0, 3), c.date_of_birth().year(), sex,
          static_cast<int>(rng_.Below(identifiers::kPersonalIdSerialCount)));
      if (id.ok() && held_ids_.insert(*id).second) return *std::move(id);
    }
  }

  Category CategoryFor(const Citizen& c, int age) {
    if (age < 6) return {kChildCategory, kChildBenefitLevel};
    if (age < 18) return {"HS", 4};
    const uint64_t draw = rng_.Below(100);
    if (age < 22) return draw < 40 ? Category{"SV", 4} : draw < 70 ? Category{"DN", 4}
                                                                   : Category{"GD", 4};
    const bool female = c.sex() == ndxp::residents::v1::SEX_FEMALE;
    if (age <= (female ? 55 : 60)) {
      return draw < 45   ? Category{"DN", 4}
             : draw < 55 ? Category{"HC", 4}
             : draw < 60 ? Category{"HX", 4}
             : draw < 65 ? Category{"HN", 2}
                         : Category{"GD", 4};
    }
    if (draw < 45) return {"HT", 2};
    if (draw < 50 && c.date_of_birth().year() < 1958) return {"CB", 2};
    return {"GD", 4};
  }

  int ContributionMonths(absl::string_view category, int age) {
    if (category == "HT") return static_cast<int>(rng_.Between(240, 420));
    if (category == "DN" || category == "HC" || category == "HX") {
      const int possible = std::max(age - 18, 1) * 12;
      return possible - static_cast<int>(rng_.Below(possible / 5 + 1));
    }
    return 0;
  }

  void RecordOf(const Citizen& c, v1::InsuredPerson* person) {
    person->Clear();
    person->set_personal_id(c.personal_id());
    person->set_full_name(c.full_name());
    *person->mutable_date_of_birth() = c.date_of_birth();
    person->set_sex(c.sex());
    person->set_social_insurance_code(NewSocialInsuranceCode(c.birth_province_code()));

    const Province* home = ProvinceOfAddress(c.permanent_address());
    if (home == nullptr) home = identifiers::FindProvince(c.birth_province_code());
    const std::string facility = rng_.Chance(30, 100)
                                     ? absl::StrCat("Bệnh viện Đa khoa ", home->name)
                                     : DefaultPrimaryCareFacility(home->name);
    const bool deceased = c.life_status() == ndxp::residents::v1::LIFE_STATUS_DECEASED;
    const int age = AgeOn(c.date_of_birth(), kAsOf);
    const Category category = CategoryFor(c, age);
    person->set_contribution_months(ContributionMonths(category.code, age));

    v1::HealthInsuranceCard card;
    if (category.code == absl::string_view(kChildCategory) && !deceased) {
      card = ChildCard(c.date_of_birth(), DefaultPrimaryCareFacility(home->name));
      person->set_coverage_status(v1::COVERAGE_STATUS_ACTIVE);
    } else {
      const uint64_t draw = rng_.Below(100);
      if (deceased || (draw >= 87 && draw < 95)) {
        person->set_coverage_status(v1::COVERAGE_STATUS_LAPSED);
        *card.mutable_valid_from() = DateOf(absl::CivilDay(2023, 1, 1));
        *card.mutable_valid_to() = DateOf(absl::CivilDay(2024, 1, 1) + rng_.Below(366));
      } else if (draw >= 95) {
        person->set_coverage_status(v1::COVERAGE_STATUS_NONE);
        return;  // registered, never issued a card
      } else {
        person->set_coverage_status(v1::COVERAGE_STATUS_ACTIVE);
        *card.mutable_valid_from() = DateOf(absl::CivilDay(2024, 1, 1));
        *card.mutable_valid_to() = DateOf(absl::CivilDay(2025, 12, 31));
      }
      card.set_participant_category(category.code);
      card.set_benefit_level(category.level);
      card.set_primary_care_facility(facility);
    }
    absl::StatusOr<std::string> card_code = identifiers::MakeHealthInsuranceCardCode(
        card.participant_category(), card.benefit_level(), home->code,
        person->social_insurance_code());
    // Categories, levels and provinces come from the tables above.
    if (card_code.ok()) card.set_card_code(*std::move(card_code));
    *person->mutable_card() = std::move(card);
  }

  // One letter of the name doubled ("Vănn"), or nullopt when the name has no
  // ASCII letter inside a word.
  std::optional<std::string> Misspelled(const std::string& name) {
    std::vector<size_t> inside_words;
    for (size_t i = 1; i < name.size(); ++i) {
      if (absl::ascii_isalpha(static_cast<unsigned char>(name[i])) && name[i - 1] != ' ') {
        inside_words.push_back(i);
      }
    }
    if (inside_words.empty()) return std::nullopt;
    const size_t at = inside_words[rng_.Below(inside_words.size())];
    std::string misspelled = name;
    misspelled.insert(at, 1, name[at]);
    return misspelled;
  }

  PlantedProblem PlantProblem(v1::InsuredPerson* person) {
    if (!rng_.Chance(1, 100)) return PlantedProblem::kNone;
    switch (rng_.Below(3)) {
      case 0:
        if (std::optional<std::string> name = Misspelled(person->full_name())) {
          person->set_full_name(*std::move(name));
          return PlantedProblem::kMisspelledName;
        }
        break;  // no letter to double: the wrong sex instead
      case 1:
        *person->mutable_date_of_birth() =
            DateOf(DayOf(person->date_of_birth()) - rng_.Between(1, 27));
        return PlantedProblem::kWrongBirthDate;
      default:
        break;
    }
    person->set_sex(person->sex() == ndxp::residents::v1::SEX_FEMALE
                        ? ndxp::residents::v1::SEX_MALE
                        : ndxp::residents::v1::SEX_FEMALE);
    return PlantedProblem::kWrongSex;
  }

  const uint64_t seed_;
  const uint32_t size_;
  DeterministicRng rng_;
  absl::flat_hash_set<std::string> held_ids_;  // membership only: order never observed
  absl::flat_hash_set<std::string> codes_;
};

}  // namespace

absl::Status GenerateSyntheticInsuranceRegister(
    uint64_t seed, uint32_t size,
    const std::function<absl::Status(const SyntheticInsuranceRecord&)>& sink) {
  return Generator(seed, size).Run(sink);
}

}  // namespace ndxp::insurance
