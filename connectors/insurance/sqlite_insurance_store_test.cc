// SqliteInsuranceStore against a real SQLite file in a temporary directory.
#include "connectors/insurance/sqlite_insurance_store.h"

#include <cstdint>
#include <string>
#include <vector>

#include "common/identifiers/insurance_codes.h"
#include "connectors/insurance/coverage_rules.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::insurance {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::InsuredPerson Person(const std::string& text) {
  v1::InsuredPerson person;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &person)) << text;
  return person;
}

// A newborn as the service hands it to the store: no codes yet.
v1::InsuredPerson Child(const std::string& personal_id) {
  v1::InsuredPerson child = Person(R"pb(
    full_name: "Nguyễn Văn Bé" date_of_birth { year: 2024 month: 2 day: 29 } sex: SEX_MALE
    coverage_status: COVERAGE_STATUS_ACTIVE)pb");
  child.set_personal_id(personal_id);
  *child.mutable_card() = ChildCard(child.date_of_birth(), "Trung tâm Y tế Hồ Chí Minh");
  return child;
}

class SqliteInsuranceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  // Opens the same file again, with serials drawn from `draws` in turn.
  void Reopen(std::vector<uint64_t> draws = {}) {
    store_.reset();
    SqliteInsuranceStore::Options options;
    if (!draws.empty()) {
      auto next = std::make_shared<size_t>(0);
      options.random = [draws, next] { return draws[(*next)++ % draws.size()]; };
    }
    absl::StatusOr<std::unique_ptr<SqliteInsuranceStore>> store =
        SqliteInsuranceStore::Open(dir_.path() + "/insurance.db", options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  ndxp::testing::TempDir dir_;  // declared first: outlives the store
  std::unique_ptr<SqliteInsuranceStore> store_;
};

TEST_F(SqliteInsuranceStoreTest, InsertedRecordReadsBackByEitherKey) {
  const v1::InsuredPerson worker = Person(R"pb(
    social_insurance_code: "0112345678" personal_id: "001085000123" full_name: "Trần Thị Lan"
    date_of_birth { year: 1985 month: 6 day: 7 } sex: SEX_FEMALE
    coverage_status: COVERAGE_STATUS_ACTIVE contribution_months: 180
    card { card_code: "DN4010112345678" participant_category: "DN" benefit_level: 4
           valid_from { year: 2024 month: 1 day: 1 } valid_to { year: 2025 month: 12 day: 31 }
           primary_care_facility: "Bệnh viện Bạch Mai" })pb");
  const v1::InsuredPerson uncovered = Person(R"pb(
    social_insurance_code: "7900000001" personal_id: "079190000001" full_name: "Lê Văn Tư"
    date_of_birth { year: 1990 month: 1 day: 2 } sex: SEX_MALE
    coverage_status: COVERAGE_STATUS_NONE)pb");
  ASSERT_TRUE(store_->InsertInsuredPerson(worker).ok());
  ASSERT_TRUE(store_->InsertInsuredPerson(uncovered).ok());

  for (const v1::InsuredPerson& expected : {worker, uncovered}) {
    SCOPED_TRACE(expected.social_insurance_code());
    absl::StatusOr<v1::InsuredPerson> by_id = store_->GetByPersonalId(expected.personal_id());
    ASSERT_TRUE(by_id.ok()) << by_id.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*by_id, expected)) << by_id->DebugString();
    absl::StatusOr<v1::InsuredPerson> by_code =
        store_->GetBySocialInsuranceCode(expected.social_insurance_code());
    ASSERT_TRUE(by_code.ok()) << by_code.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*by_code, expected)) << by_code->DebugString();
  }
  EXPECT_EQ(*store_->CountInsured(), 2);

  // Unique keys: the same code, the same personal ID, the same card.
  v1::InsuredPerson duplicate = worker;
  duplicate.set_personal_id("001085000999");
  EXPECT_EQ(store_->InsertInsuredPerson(duplicate).code(), absl::StatusCode::kAlreadyExists);
  duplicate = worker;
  duplicate.set_social_insurance_code("0112345679");
  EXPECT_EQ(store_->InsertInsuredPerson(duplicate).code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(SqliteInsuranceStoreTest, NotFoundNamesTheKey) {
  absl::StatusOr<v1::InsuredPerson> missing = store_->GetByPersonalId("001085000123");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "no insured person with personal ID 001085000123");
  missing = store_->GetBySocialInsuranceCode("0112345678");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "no insured person with social insurance code 0112345678");
}

TEST_F(SqliteInsuranceStoreTest, ChildCardIsIdempotentByRequestIdAcrossReopen) {
  Reopen({12345678});
  absl::StatusOr<IssuedChildCard> first =
      store_->IssueChildHealthCard("birth-1:health-card", "079", Child("079224000001"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->newly_issued);
  EXPECT_EQ(first->person.social_insurance_code(), "7912345678");
  EXPECT_EQ(first->person.card().card_code(), "TE1797912345678");
  EXPECT_TRUE(identifiers::ValidateHealthInsuranceCardCode(first->person.card().card_code()).ok());
  // 29 February 2024: six on 1 March 2030, covered to 28 February.
  EXPECT_EQ(first->person.card().valid_to().year(), 2030);
  EXPECT_EQ(first->person.card().valid_to().month(), 2);
  EXPECT_EQ(first->person.card().valid_to().day(), 28);

  Reopen({87654321});  // a different draw would give a different code
  absl::StatusOr<IssuedChildCard> again =
      store_->IssueChildHealthCard("birth-1:health-card", "079", Child("079224000001"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->newly_issued);
  EXPECT_TRUE(MessageDifferencer::Equals(again->person, first->person))
      << again->person.DebugString();
  EXPECT_EQ(*store_->CountInsured(), 1);

  absl::StatusOr<v1::InsuredPerson> stored = store_->GetByPersonalId("079224000001");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*stored, first->person)) << stored->DebugString();
}

TEST_F(SqliteInsuranceStoreTest, ChildCardConflicts) {
  ASSERT_TRUE(store_->IssueChildHealthCard("r1", "001", Child("001224000001")).ok());
  absl::StatusOr<v1::InsuredPerson> holder = store_->GetByPersonalId("001224000001");
  ASSERT_TRUE(holder.ok());

  // Another request for a child who already has a card.
  absl::StatusOr<IssuedChildCard> second =
      store_->IssueChildHealthCard("r2", "001", Child("001224000001"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(second.status().message(),
            "personal ID 001224000001 is already insured under social insurance code " +
                holder->social_insurance_code() + " with card " + holder->card().card_code());

  // The same request id for another child.
  absl::StatusOr<IssuedChildCard> reused =
      store_->IssueChildHealthCard("r1", "001", Child("001224000002"));
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reused.status().message(),
            "request_id \"r1\" already issued a card to personal ID 001224000001, not "
            "001224000002");
  EXPECT_EQ(*store_->CountInsured(), 1);
}

TEST_F(SqliteInsuranceStoreTest, DrawsAgainWhenACodeIsTaken) {
  ASSERT_TRUE(store_->InsertInsuredPerson(Person(R"pb(
    social_insurance_code: "0100000007" personal_id: "001085000123" full_name: "Trần Thị Lan"
    date_of_birth { year: 1985 month: 6 day: 7 } sex: SEX_FEMALE
    coverage_status: COVERAGE_STATUS_NONE)pb")).ok());
  Reopen({7, 7, 8});
  absl::StatusOr<IssuedChildCard> issued =
      store_->IssueChildHealthCard("r1", "001", Child("001224000001"));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->person.social_insurance_code(), "0100000008");
}

TEST_F(SqliteInsuranceStoreTest, ListsInCodeOrder) {
  for (const char* code : {"7900000003", "0100000002", "4500000001"}) {
    v1::InsuredPerson p = Person(R"pb(full_name: "Lê Văn Tư" sex: SEX_MALE
      date_of_birth { year: 1990 month: 1 day: 2 } coverage_status: COVERAGE_STATUS_NONE)pb");
    p.set_social_insurance_code(code);
    p.set_personal_id(std::string("0011900000") + code[9] + "0");
    ASSERT_TRUE(store_->InsertInsuredPerson(p).ok());
  }
  absl::StatusOr<std::vector<v1::InsuredPerson>> two = store_->ListInCodeOrder(2);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].social_insurance_code(), "0100000002");
  EXPECT_EQ((*two)[1].social_insurance_code(), "4500000001");
  EXPECT_EQ(store_->ListInCodeOrder(10)->size(), 3u);
}

TEST_F(SqliteInsuranceStoreTest, GeneratesOnceFromSeedAndSize) {
  absl::StatusOr<int64_t> generated = store_->GenerateIfEmpty(7, 300);
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_GT(*generated, 250);
  EXPECT_EQ(*store_->CountInsured(), *generated);
  EXPECT_EQ(*store_->GenerateIfEmpty(7, 300), 0);  // not empty: nothing changes
  EXPECT_EQ(*store_->CountInsured(), *generated);

  // Every stored record reads back with valid codes.
  absl::StatusOr<std::vector<v1::InsuredPerson>> all = store_->ListInCodeOrder(1000);
  ASSERT_TRUE(all.ok()) << all.status();
  for (const v1::InsuredPerson& p : *all) {
    SCOPED_TRACE(p.social_insurance_code());
    EXPECT_TRUE(identifiers::ValidateSocialInsuranceCode(p.social_insurance_code()).ok());
    EXPECT_EQ(p.has_card(), p.coverage_status() != v1::COVERAGE_STATUS_NONE);
    if (p.has_card()) {
      EXPECT_TRUE(identifiers::ValidateHealthInsuranceCardCode(p.card().card_code()).ok());
      EXPECT_EQ(p.card().card_code().substr(5), p.social_insurance_code());
    }
  }
}

}  // namespace
}  // namespace ndxp::insurance
