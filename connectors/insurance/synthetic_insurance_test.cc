// The synthetic register: deterministic, consistent with the residents
// population it is derived from, and with the documented planted problems.
#include "connectors/insurance/synthetic_insurance.h"

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "common/identifiers/insurance_codes.h"
#include "common/identifiers/personal_id.h"
#include "connectors/insurance/coverage_rules.h"
#include "connectors/residents/synthetic_population.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ndxp::insurance {
namespace {

using google::protobuf::util::MessageDifferencer;
using ndxp::residents::v1::Citizen;

std::vector<SyntheticInsuranceRecord> Generate(uint64_t seed, uint32_t size) {
  std::vector<SyntheticInsuranceRecord> records;
  absl::Status status =
      GenerateSyntheticInsuranceRegister(seed, size, [&](const SyntheticInsuranceRecord& r) {
        records.push_back(r);
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
  return records;
}

absl::flat_hash_map<std::string, Citizen> Population(uint64_t seed, uint32_t size) {
  absl::flat_hash_map<std::string, Citizen> citizens;
  absl::Status status = ndxp::residents::GenerateSyntheticPopulation(
      seed, size, [&](const Citizen& c) {
        citizens[c.personal_id()] = c;
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
  return citizens;
}

bool SameDate(const ndxp::residents::v1::Date& a, const ndxp::residents::v1::Date& b) {
  return a.year() == b.year() && a.month() == b.month() && a.day() == b.day();
}

TEST(SyntheticInsuranceTest, SameSeedSameRecords) {
  const std::vector<SyntheticInsuranceRecord> a = Generate(11, 400);
  const std::vector<SyntheticInsuranceRecord> b = Generate(11, 400);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(MessageDifferencer::Equals(a[i].person, b[i].person));
    EXPECT_EQ(a[i].problem, b[i].problem);
  }
  const std::vector<SyntheticInsuranceRecord> other = Generate(12, 400);
  EXPECT_FALSE(other.size() == a.size() &&
               MessageDifferencer::Equals(other[0].person, a[0].person));
}

// Every record agrees with its citizen except in the one way its planted
// problem says; about 1% carry a problem; ghosts every 500th record.
TEST(SyntheticInsuranceTest, RecordsMatchThePopulationExceptPlantedProblems) {
  constexpr uint64_t kSeed = 42;
  constexpr uint32_t kSize = 20000;
  const absl::flat_hash_map<std::string, Citizen> citizens = Population(kSeed, kSize);
  const std::vector<SyntheticInsuranceRecord> records = Generate(kSeed, kSize);

  std::map<PlantedProblem, int> problems;
  absl::flat_hash_set<std::string> codes, ids;
  int living = 0;
  for (const auto& [id, c] : citizens) {
    living += c.life_status() == ndxp::residents::v1::LIFE_STATUS_ALIVE;
  }
  for (const SyntheticInsuranceRecord& r : records) {
    const v1::InsuredPerson& p = r.person;
    SCOPED_TRACE(p.DebugString());
    ++problems[r.problem];
    EXPECT_TRUE(codes.insert(p.social_insurance_code()).second) << "duplicate code";
    EXPECT_TRUE(ids.insert(p.personal_id()).second) << "duplicate personal ID";
    EXPECT_TRUE(identifiers::ValidateSocialInsuranceCode(p.social_insurance_code()).ok());
    EXPECT_TRUE(identifiers::ParsePersonalId(p.personal_id()).ok());
    if (p.coverage_status() == v1::COVERAGE_STATUS_NONE) {
      EXPECT_FALSE(p.has_card());
    } else {
      ASSERT_TRUE(p.has_card());
      EXPECT_TRUE(identifiers::ValidateHealthInsuranceCardCode(p.card().card_code()).ok());
      EXPECT_EQ(p.card().card_code().substr(0, 2), p.card().participant_category());
      EXPECT_EQ(p.card().card_code()[2] - '0', p.card().benefit_level());
      EXPECT_EQ(p.card().card_code().substr(5), p.social_insurance_code());
    }

    auto it = citizens.find(p.personal_id());
    if (r.problem == PlantedProblem::kUnknownPersonalId) {
      EXPECT_EQ(it, citizens.end());
      continue;
    }
    ASSERT_NE(it, citizens.end());
    const Citizen& c = it->second;
    // The code carries the 2-digit birth province.
    EXPECT_EQ(p.social_insurance_code().substr(0, 2), c.birth_province_code().substr(1));
    EXPECT_EQ(p.full_name() == c.full_name(), r.problem != PlantedProblem::kMisspelledName);
    EXPECT_EQ(SameDate(p.date_of_birth(), c.date_of_birth()),
              r.problem != PlantedProblem::kWrongBirthDate);
    EXPECT_EQ(p.sex() == c.sex(), r.problem != PlantedProblem::kWrongSex);
    if (p.card().participant_category() == "TE" &&
        c.life_status() == ndxp::residents::v1::LIFE_STATUS_ALIVE) {
      EXPECT_EQ(p.coverage_status(), v1::COVERAGE_STATUS_ACTIVE);
      EXPECT_TRUE(SameDate(p.card().valid_from(), c.date_of_birth()));
      EXPECT_TRUE(SameDate(p.card().valid_to(), DayBeforeSixthBirthday(c.date_of_birth())));
    }
    if (c.life_status() == ndxp::residents::v1::LIFE_STATUS_DECEASED) {
      EXPECT_EQ(p.coverage_status(), v1::COVERAGE_STATUS_LAPSED);
    }
  }
  const int total = static_cast<int>(records.size());
  // Most living citizens are registered.
  EXPECT_GT(total, living * 9 / 10);
  EXPECT_LT(total, static_cast<int>(citizens.size()));
  // About 1% planted errors, a third of each kind, roughly.
  const int planted = problems[PlantedProblem::kMisspelledName] +
                      problems[PlantedProblem::kWrongBirthDate] +
                      problems[PlantedProblem::kWrongSex];
  EXPECT_GT(planted, total / 200);
  EXPECT_LT(planted, total / 50);
  EXPECT_GT(problems[PlantedProblem::kMisspelledName], 0);
  EXPECT_GT(problems[PlantedProblem::kWrongBirthDate], 0);
  EXPECT_GT(problems[PlantedProblem::kWrongSex], 0);
  // One ghost after each 500 records counted from the 250th.
  const int ghosts = problems[PlantedProblem::kUnknownPersonalId];
  EXPECT_GT(ghosts, 0);
  EXPECT_EQ(ghosts, (total - ghosts + 250) / 500);
}

TEST(SyntheticInsuranceTest, CategoriesFollowAgeAsOf2025) {
  const absl::flat_hash_map<std::string, Citizen> citizens = Population(5, 3000);
  for (const SyntheticInsuranceRecord& r : Generate(5, 3000)) {
    const v1::InsuredPerson& p = r.person;
    if (!p.has_card() || r.problem != PlantedProblem::kNone) continue;
    SCOPED_TRACE(p.DebugString());
    const int year = citizens.at(p.personal_id()).date_of_birth().year();
    const std::string& category = p.card().participant_category();
    if (year >= 2020) {
      EXPECT_EQ(category, "TE");  // under six on 2025-01-01
    }
    if (year >= 2008 && year <= 2017) {
      EXPECT_EQ(category, "HS");
    }
    if (category == "HT") {
      EXPECT_LT(year, 1970);
    }
  }
}

TEST(SyntheticInsuranceTest, HundredThousandCitizensInSeconds) {
  const absl::Time start = absl::Now();
  int64_t records = 0;
  ASSERT_TRUE(GenerateSyntheticInsuranceRegister(3, 100000, [&](const SyntheticInsuranceRecord&) {
                ++records;
                return absl::OkStatus();
              }).ok());
  EXPECT_GT(records, 90000);
  // Not a timing assertion: printed for the record.
  std::cerr << "generated " << records << " records in " << absl::Now() - start << "\n";
}

}  // namespace
}  // namespace ndxp::insurance
