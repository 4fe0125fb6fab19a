#include "connectors/residents/sqlite_resident_store.h"

#include <deque>
#include <string>
#include <vector>

#include "common/identifiers/personal_id.h"
#include "connectors/residents/synthetic_population.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::residents {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::Date MakeDate(int y, int m, int d) {
  v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

v1::Citizen MakeCitizen(const std::string& id, const std::string& name, v1::Date birth,
                        v1::Sex sex, const std::string& father = "",
                        const std::string& mother = "") {
  v1::Citizen c;
  c.set_personal_id(id);
  c.set_full_name(name);
  *c.mutable_date_of_birth() = birth;
  c.set_sex(sex);
  c.set_birth_province_code(id.substr(0, 3));
  c.set_permanent_address("Số 1 Lê Lợi, phường Bến Nghé, Hồ Chí Minh");
  c.set_ethnicity("Kinh");
  c.set_nationality("Việt Nam");
  c.set_father_personal_id(father);
  c.set_mother_personal_id(mother);
  c.set_life_status(v1::LIFE_STATUS_ALIVE);
  return c;
}

class SqliteResidentStoreTest : public ::testing::Test {
 protected:
  // A store whose serial draws come from `serials` (then 0, 1, 2, ...).
  std::unique_ptr<SqliteResidentStore> OpenStore(const std::string& name,
                                                 std::deque<uint64_t> serials = {}) {
    SqliteResidentStore::Options options;
    auto queue = std::make_shared<std::deque<uint64_t>>(std::move(serials));
    auto next = std::make_shared<uint64_t>(0);
    options.random = [queue, next] {
      if (queue->empty()) return (*next)++;
      uint64_t v = queue->front();
      queue->pop_front();
      return v;
    };
    options.clock = [] { return absl::FromUnixSeconds(1735689600); };  // 2025-01-01
    absl::StatusOr<std::unique_ptr<SqliteResidentStore>> store =
        SqliteResidentStore::Open(dir_.path() + "/" + name, std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // A family: grandfather, father, mother, two children (younger one first
  // by insertion, older by birth).
  void AddFamily(SqliteResidentStore& store) {
    for (const v1::Citizen& c :
         {MakeCitizen("001040000001", "Nguyễn Văn Tổ", MakeDate(1940, 1, 1), v1::SEX_MALE),
          MakeCitizen("001065000002", "Nguyễn Văn Bố", MakeDate(1965, 3, 4), v1::SEX_MALE,
                      "001040000001"),
          MakeCitizen("079168000003", "Trần Thị Mẹ", MakeDate(1968, 7, 8), v1::SEX_FEMALE),
          MakeCitizen("079098000004", "Nguyễn Văn Em", MakeDate(1998, 9, 9), v1::SEX_MALE,
                      "001065000002", "079168000003"),
          MakeCitizen("079192000005", "Nguyễn Thị Chị", MakeDate(1992, 2, 2), v1::SEX_FEMALE,
                      "001065000002", "079168000003")}) {
      ASSERT_TRUE(store.InsertCitizen(c).ok()) << c.personal_id();
    }
  }

  ndxp::testing::TempDir dir_;
};

TEST_F(SqliteResidentStoreTest, GenerationIsDeterministicAndOnlyOnce) {
  std::vector<std::string> ids;
  ASSERT_TRUE(GenerateSyntheticPopulation(5, 2000, [&](const v1::Citizen& c) {
                ids.push_back(c.personal_id());
                return absl::OkStatus();
              }).ok());
  auto a = OpenStore("a.db");
  auto b = OpenStore("b.db");
  ASSERT_EQ(*a->GenerateIfEmpty(5, 2000), 2000);
  ASSERT_EQ(*b->GenerateIfEmpty(5, 2000), 2000);
  EXPECT_EQ(*a->CountCitizens(), 2000);
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    absl::StatusOr<v1::Citizen> ca = a->GetCitizen(id);
    absl::StatusOr<v1::Citizen> cb = b->GetCitizen(id);
    ASSERT_TRUE(ca.ok()) << ca.status();
    ASSERT_TRUE(cb.ok()) << cb.status();
    EXPECT_EQ(ca->SerializeAsString(), cb->SerializeAsString());
  }
  // Not empty any more: nothing is generated again, even with another seed.
  EXPECT_EQ(*a->GenerateIfEmpty(6, 10), 0);
  EXPECT_EQ(*a->CountCitizens(), 2000);
}

TEST_F(SqliteResidentStoreTest, StoredRecordsRoundTripExactly) {
  std::vector<v1::Citizen> generated;
  ASSERT_TRUE(GenerateSyntheticPopulation(8, 500, [&](const v1::Citizen& c) {
                generated.push_back(c);
                return absl::OkStatus();
              }).ok());
  auto store = OpenStore("r.db");
  ASSERT_EQ(*store->GenerateIfEmpty(8, 500), 500);
  for (const v1::Citizen& expected : generated) {
    SCOPED_TRACE(expected.personal_id());
    absl::StatusOr<v1::Citizen> got = store->GetCitizen(expected.personal_id());
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(MessageDifferencer::Equals(*got, expected))
        << got->DebugString() << " vs " << expected.DebugString();
  }
}

TEST_F(SqliteResidentStoreTest, DataSurvivesReopening) {
  {
    auto store = OpenStore("p.db");
    AddFamily(*store);
  }
  auto store = OpenStore("p.db");
  EXPECT_EQ(*store->CountCitizens(), 5);
  EXPECT_EQ(store->GetCitizen("079168000003")->full_name(), "Trần Thị Mẹ");
}

TEST_F(SqliteResidentStoreTest, LookupsAndNotFound) {
  auto store = OpenStore("l.db");
  AddFamily(*store);
  absl::StatusOr<v1::Citizen> c = store->GetCitizen("079098000004");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->full_name(), "Nguyễn Văn Em");
  EXPECT_EQ(c->birth_province_name(), "Hồ Chí Minh");
  EXPECT_EQ(c->father_personal_id(), "001065000002");
  EXPECT_EQ(c->life_status(), v1::LIFE_STATUS_ALIVE);
  absl::StatusOr<v1::Citizen> missing = store->GetCitizen("001090999999");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "personal_id: no citizen holds personal ID number 001090999999");
  EXPECT_EQ(store->InsertCitizen(MakeCitizen("001040000001", "X", MakeDate(1940, 1, 1),
                                             v1::SEX_MALE))
                .code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(SqliteResidentStoreTest, ListRelatives) {
  auto store = OpenStore("f.db");
  AddFamily(*store);
  struct Case {
    std::string id;
    std::vector<std::pair<v1::Relation, std::string>> expected;
  };
  const Case cases[] = {
      {"079098000004",
       {{v1::RELATION_FATHER, "001065000002"}, {v1::RELATION_MOTHER, "079168000003"}}},
      {"001065000002",
       {{v1::RELATION_FATHER, "001040000001"},
        {v1::RELATION_CHILD, "079192000005"},   // older child first
        {v1::RELATION_CHILD, "079098000004"}}},
      {"079168000003",
       {{v1::RELATION_CHILD, "079192000005"}, {v1::RELATION_CHILD, "079098000004"}}},
      {"001040000001", {{v1::RELATION_CHILD, "001065000002"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    absl::StatusOr<std::vector<v1::Relative>> relatives = store->ListRelatives(c.id);
    ASSERT_TRUE(relatives.ok()) << relatives.status();
    ASSERT_EQ(relatives->size(), c.expected.size());
    for (size_t i = 0; i < c.expected.size(); ++i) {
      EXPECT_EQ((*relatives)[i].relation(), c.expected[i].first);
      EXPECT_EQ((*relatives)[i].personal_id(), c.expected[i].second);
      EXPECT_FALSE((*relatives)[i].full_name().empty());
      EXPECT_NE((*relatives)[i].date_of_birth().year(), 0);
    }
  }
  EXPECT_EQ(store->ListRelatives("001090999999").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteResidentStoreTest, IssuanceIsIdempotentUniqueAndInherits) {
  auto store = OpenStore("i.db", {/*taken: 079098000004*/ 4, 4000000004, 77});
  AddFamily(*store);
  v1::Citizen baby;
  baby.set_full_name("Nguyễn Văn Út");
  *baby.mutable_date_of_birth() = MakeDate(1998, 12, 1);
  baby.set_sex(v1::SEX_MALE);
  baby.set_birth_province_code("079");
  baby.set_father_personal_id("001065000002");
  baby.set_mother_personal_id("079168000003");

  // Serial 4 (twice, the second modulo 10^6) collides with Nguyễn Văn Em;
  // the next draw is free.
  absl::StatusOr<IssuedPersonalId> first = store->IssuePersonalId("birth-1", baby);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->personal_id, "079098000077");
  EXPECT_TRUE(first->newly_issued);

  absl::StatusOr<IssuedPersonalId> again = store->IssuePersonalId("birth-1", baby);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->personal_id, "079098000077");
  EXPECT_FALSE(again->newly_issued);

  absl::StatusOr<v1::Citizen> issued = store->GetCitizen("079098000077");
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->full_name(), "Nguyễn Văn Út");
  EXPECT_EQ(issued->ethnicity(), "Kinh");
  EXPECT_EQ(issued->permanent_address(), "Số 1 Lê Lợi, phường Bến Nghé, Hồ Chí Minh");
  EXPECT_EQ(issued->nationality(), "Việt Nam");
  EXPECT_EQ(issued->life_status(), v1::LIFE_STATUS_ALIVE);
  EXPECT_EQ(*store->CountCitizens(), 6);

  // Another request: another, valid number.
  absl::StatusOr<IssuedPersonalId> second = store->IssuePersonalId("birth-2", baby);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->personal_id, first->personal_id);
  const identifiers::CivilDate birth{1998, 12, 1};
  const identifiers::Sex male = identifiers::Sex::kMale;
  EXPECT_TRUE(identifiers::ValidatePersonalId(second->personal_id, &birth, &male).ok());

  // Children of the parents now include the newborns.
  EXPECT_EQ(store->ListRelatives("079168000003")->size(), 4u);
}

TEST_F(SqliteResidentStoreTest, IssuanceFallsBackToAScanWhenDrawsKeepColliding) {
  // Sixteen draws all hit the one taken serial; the scan then starts at 4
  // and takes the next free serial, 5.
  std::deque<uint64_t> serials(16, 4);
  serials.push_back(4);
  auto store = OpenStore("c.db", serials);
  AddFamily(*store);
  v1::Citizen baby = MakeCitizen("", "Nguyễn Văn Sau", MakeDate(1998, 1, 1), v1::SEX_MALE);
  baby.set_birth_province_code("079");
  absl::StatusOr<IssuedPersonalId> issued = store->IssuePersonalId("r", baby);
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->personal_id, "079098000005");
}

TEST_F(SqliteResidentStoreTest, IssuanceNeedsExistingParents) {
  auto store = OpenStore("n.db");
  AddFamily(*store);
  v1::Citizen baby = MakeCitizen("", "Lê Văn Mới", MakeDate(2024, 1, 1), v1::SEX_MALE);
  baby.set_birth_province_code("001");
  baby.set_father_personal_id("001090999999");
  absl::StatusOr<IssuedPersonalId> issued = store->IssuePersonalId("x", baby);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(issued.status().message(),
            "father_personal_id: no citizen holds personal ID number 001090999999");
  baby.clear_father_personal_id();
  baby.set_mother_personal_id("001190999999");
  EXPECT_EQ(store->IssuePersonalId("x", baby).status().message(),
            "mother_personal_id: no citizen holds personal ID number 001190999999");
  // A failed request leaves no idempotency record: the fixed one succeeds.
  baby.clear_mother_personal_id();
  EXPECT_TRUE(store->IssuePersonalId("x", baby).ok());
  EXPECT_EQ(*store->CountCitizens(), 6);
}

TEST_F(SqliteResidentStoreTest, RecordDeathIsIdempotentAndRefusesAnotherDate) {
  std::unique_ptr<SqliteResidentStore> store = OpenStore("deaths.db");
  AddFamily(*store);
  absl::StatusOr<RecordedDeath> first =
      store->RecordDeath("001040000001", MakeDate(2024, 5, 6), "KT-001-2024-0000001");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->newly_recorded);
  EXPECT_EQ(first->death_registration_number, "KT-001-2024-0000001");

  // The same death again, even under another number: the first answer.
  absl::StatusOr<RecordedDeath> again =
      store->RecordDeath("001040000001", MakeDate(2024, 5, 6), "KT-001-2024-0000099");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->newly_recorded);
  EXPECT_EQ(again->death_registration_number, "KT-001-2024-0000001");

  absl::StatusOr<v1::Citizen> dead = store->GetCitizen("001040000001");
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->life_status(), v1::LIFE_STATUS_DECEASED);
  EXPECT_TRUE(MessageDifferencer::Equals(dead->date_of_death(), MakeDate(2024, 5, 6)));

  struct Case {
    std::string personal_id;
    v1::Date date;
    absl::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {"001040000001", MakeDate(2024, 5, 7), absl::StatusCode::kFailedPrecondition,
       "personal_id: 001040000001 is already recorded as deceased on 2024-05-06, not "
       "2024-05-07"},
      {"001090999999", MakeDate(2024, 5, 7), absl::StatusCode::kNotFound,
       "personal_id: no citizen holds personal ID number 001090999999"},
      {"079098000004", MakeDate(1998, 9, 8), absl::StatusCode::kInvalidArgument,
       "date_of_death: 1998-09-08 is before the date of birth 1998-09-09"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<RecordedDeath> bad = store->RecordDeath(c.personal_id, c.date, "KT-x");
    EXPECT_EQ(bad.status().code(), c.code);
    EXPECT_EQ(bad.status().message(), c.message);
  }
  // A refused death changed nothing.
  EXPECT_EQ(store->GetCitizen("079098000004")->life_status(), v1::LIFE_STATUS_ALIVE);
  // Born and died the same day is possible.
  EXPECT_TRUE(store->RecordDeath("079098000004", MakeDate(1998, 9, 9), "KT-y").ok());
}

TEST_F(SqliteResidentStoreTest, AccessLog) {
  auto store = OpenStore("a.db");
  AddFamily(*store);
  const absl::Time t0 = absl::FromUnixMicros(1735689600123456);
  std::vector<AccessRecord> records = {
      {t0, "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax", "tax assessment", "r1",
       "/ndxp.residents.v1.ResidentRegistry/GetCitizen", "079098000004",
       absl::StatusCode::kOk},
      {t0 + absl::Seconds(1), "spiffe://ndxp.gov.vn/agency/000.00.00.G13/ins", "claim", "r2",
       "/ndxp.residents.v1.ResidentRegistry/VerifyCitizen", "079098000004",
       absl::StatusCode::kOk},
      {t0, "c", "p", "r3", "m", "001040000001", absl::StatusCode::kNotFound},
  };
  ASSERT_TRUE(store->RecordAccesses(records).ok());
  absl::StatusOr<std::vector<AccessRecord>> accesses = store->ListAccesses("079098000004");
  ASSERT_TRUE(accesses.ok());
  ASSERT_EQ(accesses->size(), 2u);
  EXPECT_EQ((*accesses)[0], records[0]);
  EXPECT_EQ((*accesses)[1], records[1]);
  EXPECT_EQ(store->ListAccesses("001040000001")->size(), 1u);
  EXPECT_TRUE(store->ListAccesses("001065000002")->empty());
}

}  // namespace
}  // namespace ndxp::residents
