#include "connectors/business/sqlite_enterprise_store.h"

#include <string>
#include <vector>

#include "connectors/business/enterprise_name.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::business {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::Enterprise ParseEnterprise(const std::string& text) {
  v1::Enterprise e;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &e)) << text;
  return e;
}

constexpr char kMinhPhat[] = R"pb(
  enterprise_code: "0100233488" kind: UNIT_KIND_ENTERPRISE
  name: "Công ty TNHH Thương mại Minh Phát" english_name: "Minh Phat Trading Company Limited"
  short_name: "MINH PHAT CO., LTD" legal_form: LEGAL_FORM_MULTI_MEMBER_LLC
  status: ENTERPRISE_STATUS_ACTIVE registration_date { year: 2010 month: 5 day: 17 }
  head_office_address: "Số 12 đường Láng Hạ, Hà Nội" province_code: "001"
  province_name: "Hà Nội" charter_capital_vnd: 5000000000
  legal_representative { personal_id: "001085000123" full_name: "Nguyễn Văn An" title: "Giám đốc" }
  owners { personal_id: "001085000123" name: "Nguyễn Văn An" capital_contribution_vnd: 3000000000 }
  owners { enterprise_code: "7900000012" name: "Công ty cổ phần Hòa Bình" capital_contribution_vnd: 2000000000 })pb";
constexpr char kHoaBinh[] = R"pb(
  enterprise_code: "7900000012" kind: UNIT_KIND_ENTERPRISE
  name: "Công ty cổ phần Hòa Bình" legal_form: LEGAL_FORM_JOINT_STOCK_COMPANY
  status: ENTERPRISE_STATUS_DISSOLVED registration_date { year: 1999 month: 1 day: 2 }
  head_office_address: "Số 1 đường Cộng Hòa, Hồ Chí Minh" province_code: "079"
  province_name: "Hồ Chí Minh" charter_capital_vnd: 10000000000
  legal_representative { personal_id: "079070000001" full_name: "Trần Thị Bình" title: "Tổng giám đốc" }
  owners { personal_id: "079070000001" name: "Trần Thị Bình" capital_contribution_vnd: 10000000000 })pb";
constexpr char kMinhPhatBranch[] = R"pb(
  enterprise_code: "0100233488-001" kind: UNIT_KIND_BRANCH parent_enterprise_code: "0100233488"
  name: "Chi nhánh Công ty TNHH Thương mại Minh Phát tại Hồ Chí Minh"
  legal_form: LEGAL_FORM_MULTI_MEMBER_LLC status: ENTERPRISE_STATUS_ACTIVE
  registration_date { year: 2015 month: 1 day: 1 } head_office_address: "Số 3 đường Cộng Hòa, Hồ Chí Minh"
  province_code: "079" province_name: "Hồ Chí Minh"
  legal_representative { personal_id: "079090000002" full_name: "Lê Văn Cường" title: "Giám đốc chi nhánh" })pb";
constexpr char kMinhAnh[] = R"pb(
  enterprise_code: "7900000020" kind: UNIT_KIND_ENTERPRISE
  name: "Doanh nghiệp tư nhân Minh Anh" legal_form: LEGAL_FORM_PRIVATE_ENTERPRISE
  status: ENTERPRISE_STATUS_ACTIVE registration_date { year: 2020 month: 2 day: 29 }
  head_office_address: "Số 9 đường Cộng Hòa, Hồ Chí Minh" province_code: "079"
  province_name: "Hồ Chí Minh" charter_capital_vnd: 500000000
  legal_representative { personal_id: "079090000002" full_name: "Lê Văn Cường" title: "Chủ doanh nghiệp" }
  owners { personal_id: "079090000002" name: "Lê Văn Cường" capital_contribution_vnd: 500000000 })pb";

class SqliteEnterpriseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteEnterpriseStore>> store =
        SqliteEnterpriseStore::Open(dir_.path() + "/business.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    for (const char* text : {kHoaBinh, kMinhPhat, kMinhPhatBranch, kMinhAnh}) {
      absl::Status inserted = store_->InsertEnterprise(ParseEnterprise(text));
      ASSERT_TRUE(inserted.ok()) << inserted;
    }
  }

  std::vector<std::string> Search(const std::string& name, const std::string& province,
                                  int limit) {
    EnterpriseSearch search;
    search.key_prefix = SearchKey(name);
    search.province_code = province;
    search.limit = limit;
    absl::StatusOr<std::vector<v1::EnterpriseSummary>> found = store_->SearchEnterprises(search);
    EXPECT_TRUE(found.ok()) << found.status();
    std::vector<std::string> codes;
    if (found.ok()) {
      for (const v1::EnterpriseSummary& s : *found) codes.push_back(s.enterprise_code());
    }
    return codes;
  }

  ndxp::testing::TempDir dir_;
  std::unique_ptr<SqliteEnterpriseStore> store_;
};

TEST_F(SqliteEnterpriseStoreTest, GetsAnEnterpriseWithOwnersAndUnits) {
  absl::StatusOr<v1::Enterprise> got = store_->GetEnterprise("0100233488");
  ASSERT_TRUE(got.ok()) << got.status();
  v1::Enterprise expected = ParseEnterprise(kMinhPhat);
  v1::DependentUnit* unit = expected.add_dependent_units();
  unit->set_unit_code("0100233488-001");
  unit->set_kind(v1::UNIT_KIND_BRANCH);
  unit->set_name("Chi nhánh Công ty TNHH Thương mại Minh Phát tại Hồ Chí Minh");
  unit->set_status(v1::ENTERPRISE_STATUS_ACTIVE);
  unit->set_province_code("079");
  EXPECT_TRUE(MessageDifferencer::Equals(*got, expected)) << got->DebugString();
}

TEST_F(SqliteEnterpriseStoreTest, GetsADependentUnitsOwnRecord) {
  absl::StatusOr<v1::Enterprise> got = store_->GetEnterprise("0100233488-001");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*got, ParseEnterprise(kMinhPhatBranch)))
      << got->DebugString();
}

TEST_F(SqliteEnterpriseStoreTest, UnknownCodeIsNotFound) {
  absl::StatusOr<v1::Enterprise> got = store_->GetEnterprise("0100233488-002");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(),
            "enterprise_code: no enterprise or dependent unit is registered under "
            "0100233488-002");
}

TEST_F(SqliteEnterpriseStoreTest, DuplicateCodeIsAlreadyExists) {
  EXPECT_EQ(store_->InsertEnterprise(ParseEnterprise(kHoaBinh)).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(SqliteEnterpriseStoreTest, SearchesByKeyPrefixInOrder) {
  struct Case {
    const char* name;
    const char* province;
    int limit;
    std::vector<std::string> codes;
  };
  const std::vector<Case> cases = {
      {"minh", "", 10, {"7900000020"}},  // Minh Phát's key starts "thuong mai"
      {"Minh Anh", "", 10, {"7900000020"}},
      {"thuong mai minh", "", 10, {"0100233488", "0100233488-001"}},
      {"THƯƠNG MẠI", "079", 10, {"0100233488-001"}},
      {"thuong", "", 1, {"0100233488"}},
      {"Công ty cổ phần Hòa", "", 10, {"7900000012"}},
      {"hoa binh x", "", 10, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Search(c.name, c.province, c.limit), c.codes);
  }
}

TEST_F(SqliteEnterpriseStoreTest, GeneratesOnlyWhenEmpty) {
  EXPECT_EQ(*store_->GenerateIfEmpty(42, 400), 0);
  EXPECT_EQ(*store_->CountRecords(), 4);

  absl::StatusOr<std::unique_ptr<SqliteEnterpriseStore>> fresh =
      SqliteEnterpriseStore::Open(dir_.path() + "/fresh.db");
  ASSERT_TRUE(fresh.ok());
  absl::StatusOr<int64_t> generated = (*fresh)->GenerateIfEmpty(42, 400);
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_GE(*generated, 20);
  EXPECT_EQ(*(*fresh)->CountRecords(), *generated);
  EXPECT_EQ(*(*fresh)->GenerateIfEmpty(42, 400), 0);
}

}  // namespace
}  // namespace ndxp::business
