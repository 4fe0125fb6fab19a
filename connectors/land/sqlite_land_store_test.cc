#include "connectors/land/sqlite_land_store.h"

#include <string>

#include "connectors/land/land_identifiers.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::land {
namespace {

using google::protobuf::util::MessageDifferencer;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

constexpr char kParcel[] = R"pb(
  parcel_id: "003760120045" commune_code: "00376" map_sheet: 12 parcel_number: 45
  area_dm2: 8555 purpose: "ODT" address: "Thửa đất số 45, tờ bản đồ số 12, phường mã 00376, Hà Nội"
  province_code: "001" province_name: "Hà Nội")pb";
constexpr char kCertificate[] = R"pb(
  serial: "CS123456" parcel_id: "003760120045" issue_date { year: 2012 month: 3 day: 4 }
  owners { personal_id: "001085000123" name: "Nguyễn Văn An" }
  owners { enterprise_code: "0100233488" name: "Công ty TNHH Thương mại Minh Phát" })pb";

class SqliteLandStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteLandStore>> store =
        SqliteLandStore::Open(dir_.path() + "/land.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    absl::Status inserted =
        store_->InsertParcel(Parse<v1::Parcel>(kParcel), Parse<v1::Certificate>(kCertificate));
    ASSERT_TRUE(inserted.ok()) << inserted;
  }

  ndxp::testing::TempDir dir_;
  std::unique_ptr<SqliteLandStore> store_;
};

TEST_F(SqliteLandStoreTest, ReadsWhatWasInserted) {
  absl::StatusOr<v1::Parcel> parcel = store_->GetParcel("003760120045");
  ASSERT_TRUE(parcel.ok()) << parcel.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*parcel, Parse<v1::Parcel>(kParcel)));
  for (auto certificate : {store_->GetCertificate("CS123456"),
                           store_->GetCertificateOfParcel("003760120045")}) {
    ASSERT_TRUE(certificate.ok()) << certificate.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*certificate, Parse<v1::Certificate>(kCertificate)))
        << certificate->DebugString();
  }
}

TEST_F(SqliteLandStoreTest, MissingRecordsAreNotFoundNamingThem) {
  EXPECT_EQ(store_->GetParcel("003760120046").status().message(),
            "parcel: no parcel 003760120046 in the register");
  EXPECT_EQ(store_->GetCertificate("CS123457").status().message(),
            "certificate_serial: no certificate CS123457 is in force");
  EXPECT_EQ(store_->GetCertificateOfParcel("003760120046").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetLandPrice("003", "ODT").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteLandStoreTest, PriceTableIsFilledOnOpen) {
  EXPECT_EQ(*store_->GetLandPrice("001", "ODT"), 60000000);
  EXPECT_EQ(*store_->GetLandPrice("070", "LUC"), 175000);
}

TEST_F(SqliteLandStoreTest, DuplicateParcelIsAlreadyExists) {
  EXPECT_EQ(store_->InsertParcel(Parse<v1::Parcel>(kParcel), Parse<v1::Certificate>(kCertificate))
                .code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(SqliteLandStoreTest, GeneratesValidRecordsOnlyWhenEmpty) {
  EXPECT_EQ(*store_->GenerateIfEmpty(42, 400), 0);
  absl::StatusOr<std::unique_ptr<SqliteLandStore>> fresh =
      SqliteLandStore::Open(dir_.path() + "/fresh.db");
  ASSERT_TRUE(fresh.ok());
  absl::StatusOr<int64_t> generated = (*fresh)->GenerateIfEmpty(42, 400);
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(*generated, 100);
  EXPECT_EQ(*(*fresh)->GenerateIfEmpty(42, 400), 0);
  EXPECT_EQ(*(*fresh)->CountParcels(), 100);
}

}  // namespace
}  // namespace ndxp::land
