#include "connectors/civil_status/sqlite_registration_store.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::civil_status {
namespace {

v1::RegisterBirthRequest Birth(const std::string& request_id, const std::string& name) {
  v1::RegisterBirthRequest r;
  r.set_request_id(request_id);
  r.set_child_full_name(name);
  r.mutable_date_of_birth()->set_year(2024);
  r.mutable_date_of_birth()->set_month(12);
  r.mutable_date_of_birth()->set_day(30);
  r.set_sex(ndxp::residents::v1::SEX_FEMALE);
  r.set_birth_province_code("001");
  r.set_registration_office("UBND phường Cửa Nam");
  return r;
}

class SqliteRegistrationStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteRegistrationStore> Open() {
    absl::StatusOr<std::unique_ptr<SqliteRegistrationStore>> store =
        SqliteRegistrationStore::Open(dir_.path() + "/civil.db");
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  ndxp::testing::TempDir dir_;
};

TEST(CertificateNumberTest, BooksVolumesAndPages) {
  struct Case {
    int64_t sequence;
    int volume;
    int page;
    std::string formatted;
  };
  const Case cases[] = {
      {1, 1, 1, "KS-001-2024/Q1/T1"},
      {200, 1, 200, "KS-001-2024/Q1/T200"},
      {201, 2, 1, "KS-001-2024/Q2/T1"},
      {1000, 5, 200, "KS-001-2024/Q5/T200"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.formatted);
    v1::CertificateNumber n = MakeCertificateNumber("KS-001-2024", c.sequence);
    EXPECT_EQ(n.book(), "KS-001-2024");
    EXPECT_EQ(n.volume(), c.volume);
    EXPECT_EQ(n.page(), c.page);
    EXPECT_EQ(n.formatted(), c.formatted);
  }
  EXPECT_EQ(BookName(RegistrationKind::kBirth, "079", 2025), "KS-079-2025");
  EXPECT_EQ(BookName(RegistrationKind::kMarriage, "001", 1999), "KH-001-1999");
  EXPECT_EQ(BookName(RegistrationKind::kDeath, "048", 2024), "KT-048-2024");
}

TEST_F(SqliteRegistrationStoreTest, RegisterAllocatesPagesOnceAndRecognisesRetries) {
  std::unique_ptr<SqliteRegistrationStore> store = Open();
  absl::StatusOr<StoredRegistration> first =
      store->Register(RegistrationKind::kBirth, "KS-1", Birth("KS-1", "Lê Thị An"), "KS-001-2024");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->newly_created);
  EXPECT_EQ(first->state, RegistrationState::kRegistered);
  EXPECT_EQ(first->certificate_number.formatted(), "KS-001-2024/Q1/T1");

  absl::StatusOr<StoredRegistration> second = store->Register(
      RegistrationKind::kBirth, "KS-2", Birth("KS-2", "Lê Thị Bình"), "KS-001-2024");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->certificate_number.formatted(), "KS-001-2024/Q1/T2");

  // A retry: the same page, not a new one.
  absl::StatusOr<StoredRegistration> retry =
      store->Register(RegistrationKind::kBirth, "KS-1", Birth("KS-1", "Lê Thị An"), "KS-001-2024");
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->newly_created);
  EXPECT_EQ(retry->certificate_number.formatted(), "KS-001-2024/Q1/T1");

  // The same key with another child is refused, naming the difference.
  absl::StatusOr<StoredRegistration> other =
      store->Register(RegistrationKind::kBirth, "KS-1", Birth("KS-1", "Lê Thị Cúc"), "KS-001-2024");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("child_full_name"), absl::string_view::npos)
      << other.status();

  // Kinds have their own keys and books.
  v1::RegisterDeathRequest death;
  death.set_request_id("KS-1");
  absl::StatusOr<StoredRegistration> death_registration =
      store->Register(RegistrationKind::kDeath, "KS-1", death, "KT-001-2024");
  ASSERT_TRUE(death_registration.ok());
  EXPECT_EQ(death_registration->certificate_number.formatted(), "KT-001-2024/Q1/T1");
  EXPECT_EQ(*store->CountRegistrations(), 3);
}

TEST_F(SqliteRegistrationStoreTest, AdvanceRecordsEachStepAndSurvivesReopening) {
  {
    std::unique_ptr<SqliteRegistrationStore> store = Open();
    ASSERT_TRUE(
        store->Register(RegistrationKind::kBirth, "KS-1", Birth("KS-1", "Lê Thị An"), "KS-001-2024")
            .ok());
    ASSERT_TRUE(store
                    ->Advance(RegistrationKind::kBirth, "KS-1",
                              RegistrationState::kPersonalIdIssued, "001324000001", "", "")
                    .ok());
    ASSERT_TRUE(store
                    ->Advance(RegistrationKind::kBirth, "KS-1", RegistrationState::kCompleted, "",
                              "0124000001", "TE1010124000001")
                    .ok());
    EXPECT_EQ(
        store->Advance(RegistrationKind::kBirth, "KS-9", RegistrationState::kCompleted, "", "", "")
            .code(),
        absl::StatusCode::kNotFound);
  }
  std::unique_ptr<SqliteRegistrationStore> reopened = Open();
  absl::StatusOr<StoredRegistration> got = reopened->Get(RegistrationKind::kBirth, "KS-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, RegistrationState::kCompleted);
  EXPECT_EQ(got->personal_id, "001324000001");  // kept by the later step
  EXPECT_EQ(got->social_insurance_code, "0124000001");
  EXPECT_EQ(got->health_insurance_card_code, "TE1010124000001");
  v1::RegisterBirthRequest request;
  ASSERT_TRUE(request.ParseFromString(got->request));
  EXPECT_EQ(request.child_full_name(), "Lê Thị An");
  absl::StatusOr<StoredRegistration> missing = reopened->Get(RegistrationKind::kBirth, "nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "request_id: no birth registration nope");
}

TEST_F(SqliteRegistrationStoreTest, SyntheticRegistrationsOnlyOnceAndBooksContinue) {
  std::unique_ptr<SqliteRegistrationStore> store = Open();
  absl::StatusOr<int64_t> generated = store->GenerateIfEmpty(7, 300);
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_GE(*generated, 300);  // one birth each, plus marriages and deaths
  EXPECT_EQ(*store->GenerateIfEmpty(7, 300), 0);
  EXPECT_EQ(*store->CountRegistrations(), *generated);
}

}  // namespace
}  // namespace ndxp::civil_status
