#include "connectors/business/synthetic_enterprises.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/identifiers/enterprise_code.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ndxp::business {
namespace {

using ndxp::residents::v1::Citizen;

std::vector<v1::Enterprise> Generate(uint64_t seed, const std::vector<Citizen>& people) {
  std::vector<v1::Enterprise> records;
  absl::Status status =
      GenerateSyntheticEnterprises(seed, people, [&](const v1::Enterprise& e) {
        records.push_back(e);
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
  return records;
}

int YearsOn(const ndxp::residents::v1::Date& birth, const ndxp::residents::v1::Date& day) {
  int years = day.year() - birth.year();
  if (std::make_pair(day.month(), day.day()) < std::make_pair(birth.month(), birth.day())) {
    --years;
  }
  return years;
}

class SyntheticEnterprisesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::vector<Citizen>> people = CollectSyntheticPopulation(7, 4000);
    ASSERT_TRUE(people.ok()) << people.status();
    people_ = new std::vector<Citizen>(*std::move(people));
  }
  static void TearDownTestSuite() { delete people_; }
  static std::vector<Citizen>* people_;
};
std::vector<Citizen>* SyntheticEnterprisesTest::people_ = nullptr;

TEST_F(SyntheticEnterprisesTest, SameSeedSameRecords) {
  std::vector<v1::Enterprise> a = Generate(7, *people_);
  std::vector<v1::Enterprise> b = Generate(7, *people_);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a[i], b[i])) << i;
  }
  std::vector<v1::Enterprise> other = Generate(8, *people_);
  EXPECT_FALSE(google::protobuf::util::MessageDifferencer::Equals(a[0], other[0]));
}

TEST_F(SyntheticEnterprisesTest, RecordsAreConsistentWithThePopulation) {
  std::map<std::string, const Citizen*> citizens;
  for (const Citizen& c : *people_) citizens[c.personal_id()] = &c;
  std::vector<v1::Enterprise> records = Generate(7, *people_);

  std::map<std::string, const v1::Enterprise*> seen;
  int enterprises = 0, units = 0;
  std::set<v1::EnterpriseStatus> statuses;
  for (const v1::Enterprise& e : records) {
    SCOPED_TRACE(e.enterprise_code());
    absl::StatusOr<identifiers::EnterpriseCodeParts> code =
        identifiers::ParseEnterpriseCode(e.enterprise_code());
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_FALSE(e.name().empty());
    EXPECT_TRUE(seen.emplace(e.enterprise_code(), &e).second) << "duplicate code";
    statuses.insert(e.status());

    auto rep = citizens.find(e.legal_representative().personal_id());
    ASSERT_NE(rep, citizens.end()) << "representative is not a citizen";
    EXPECT_EQ(rep->second->full_name(), e.legal_representative().full_name());
    EXPECT_EQ(rep->second->life_status(), ndxp::residents::v1::LIFE_STATUS_ALIVE);
    EXPECT_GE(YearsOn(rep->second->date_of_birth(), e.registration_date()), 18);

    if (code->is_dependent_unit()) {
      ++units;
      EXPECT_EQ(e.parent_enterprise_code(), code->enterprise_code);
      ASSERT_EQ(seen.count(e.parent_enterprise_code()), 1u) << "unit before its parent";
      EXPECT_EQ(e.owners_size(), 0);
      EXPECT_NE(e.kind(), v1::UNIT_KIND_ENTERPRISE);
      continue;
    }
    ++enterprises;
    // A unit's code carries its parent's province, not where the unit is.
    EXPECT_EQ(code->province->code, e.province_code());
    EXPECT_EQ(e.kind(), v1::UNIT_KIND_ENTERPRISE);
    ASSERT_GT(e.owners_size(), 0);
    int64_t contributed = 0;
    for (const v1::Owner& owner : e.owners()) {
      contributed += owner.capital_contribution_vnd();
      EXPECT_GT(owner.capital_contribution_vnd(), 0);
      if (owner.has_enterprise_code()) {
        auto parent = seen.find(owner.enterprise_code());
        ASSERT_NE(parent, seen.end()) << "corporate owner not generated earlier";
        EXPECT_NE(owner.enterprise_code(), e.enterprise_code());
        EXPECT_EQ(owner.name(), parent->second->name());
      } else {
        auto person = citizens.find(owner.personal_id());
        ASSERT_NE(person, citizens.end()) << owner.personal_id();
        EXPECT_EQ(person->second->life_status(), ndxp::residents::v1::LIFE_STATUS_ALIVE);
        EXPECT_GE(YearsOn(person->second->date_of_birth(), e.registration_date()), 18);
      }
    }
    EXPECT_EQ(contributed, e.charter_capital_vnd());
  }
  EXPECT_EQ(enterprises, 4000 / 20);
  EXPECT_GT(units, 0);
  EXPECT_GT(statuses.count(v1::ENTERPRISE_STATUS_DISSOLVED), 0u);
}

TEST_F(SyntheticEnterprisesTest, EmptyPopulationYieldsNothing) {
  EXPECT_TRUE(Generate(7, {}).empty());
}

}  // namespace
}  // namespace ndxp::business
