#include "connectors/civil_status/synthetic_registrations.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "connectors/residents/synthetic_population.h"
#include "gtest/gtest.h"

namespace ndxp::civil_status {
namespace {

using ndxp::residents::v1::Citizen;

std::vector<SyntheticRegistration> Generate(uint64_t seed, uint32_t size) {
  std::vector<SyntheticRegistration> out;
  absl::Status status =
      GenerateSyntheticRegistrations(seed, size, [&](const SyntheticRegistration& r) {
        out.push_back(r);
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

std::string Fingerprint(const std::vector<SyntheticRegistration>& registrations) {
  std::string all;
  for (const SyntheticRegistration& r : registrations) {
    absl::StrAppend(&all, r.request_id, "|", r.book, "|", r.personal_id, "|", r.request, "\n");
  }
  return all;
}

TEST(SyntheticRegistrationsTest, SameSeedSameRecordsOtherSeedOthers) {
  EXPECT_EQ(Fingerprint(Generate(42, 500)), Fingerprint(Generate(42, 500)));
  EXPECT_NE(Fingerprint(Generate(42, 500)), Fingerprint(Generate(43, 500)));
}

TEST(SyntheticRegistrationsTest, ConsistentWithThePopulation) {
  std::map<std::string, Citizen> citizens;
  ASSERT_TRUE(ndxp::residents::GenerateSyntheticPopulation(11, 2000, [&](const Citizen& c) {
                citizens[c.personal_id()] = c;
                return absl::OkStatus();
              }).ok());
  int births = 0, marriages = 0, deaths = 0, deceased = 0;
  for (const auto& [id, c] : citizens) {
    if (c.life_status() == ndxp::residents::v1::LIFE_STATUS_DECEASED) ++deceased;
  }
  for (const SyntheticRegistration& r : Generate(11, 2000)) {
    SCOPED_TRACE(r.request_id);
    switch (r.kind) {
      case RegistrationKind::kBirth: {
        ++births;
        v1::RegisterBirthRequest birth;
        ASSERT_TRUE(birth.ParseFromString(r.request));
        const Citizen& c = citizens.at(r.personal_id);
        EXPECT_EQ(birth.child_full_name(), c.full_name());
        EXPECT_EQ(birth.sex(), c.sex());
        EXPECT_EQ(birth.father_personal_id(), c.father_personal_id());
        EXPECT_EQ(r.book, BookName(RegistrationKind::kBirth, c.birth_province_code(),
                                   c.date_of_birth().year()));
        break;
      }
      case RegistrationKind::kMarriage: {
        ++marriages;
        v1::RegisterMarriageRequest marriage;
        ASSERT_TRUE(marriage.ParseFromString(r.request));
        const Citizen& husband = citizens.at(marriage.husband_personal_id());
        const Citizen& wife = citizens.at(marriage.wife_personal_id());
        EXPECT_EQ(husband.sex(), ndxp::residents::v1::SEX_MALE);
        EXPECT_EQ(wife.sex(), ndxp::residents::v1::SEX_FEMALE);
        EXPECT_GT(marriage.date_of_marriage().year(), husband.date_of_birth().year());
        break;
      }
      case RegistrationKind::kDeath: {
        ++deaths;
        v1::RegisterDeathRequest death;
        ASSERT_TRUE(death.ParseFromString(r.request));
        const Citizen& c = citizens.at(death.personal_id());
        EXPECT_EQ(c.life_status(), ndxp::residents::v1::LIFE_STATUS_DECEASED);
        EXPECT_EQ(death.date_of_death().year(), c.date_of_death().year());
        break;
      }
    }
  }
  EXPECT_EQ(births, 2000);
  EXPECT_EQ(deaths, deceased);
  EXPECT_GT(marriages, 0);
}

}  // namespace
}  // namespace ndxp::civil_status
