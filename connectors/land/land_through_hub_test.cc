// The land connector in a federation with residents and business: every
// party of a transfer is looked up through the real hub (mutual TLS, grants,
// purpose) with the land connector's own certificate.
#include <set>
#include <string>
#include <vector>

#include "common/identifiers/personal_id.h"
#include "common/protocol/metadata.h"
#include "connectors/business/business_connector.h"
#include "connectors/business/synthetic_enterprises.h"
#include "connectors/land/land_connector.h"
#include "connectors/land/sqlite_land_store.h"
#include "connectors/residents/residents_connector.h"
#include "connectors/runtime/field_violations.h"
#include "gtest/gtest.h"
#include "ndxp/land/v1/land.grpc.pb.h"
#include "tests/testing/test_federation.h"

namespace ndxp::land {
namespace {

using ndxp::residents::v1::Citizen;
using ndxp::testing::TestFederation;

constexpr uint64_t kSeed = 42;
constexpr uint32_t kPopulation = 2000;
// A parcel of our own, in a commune the generator never uses (Hà Nội's are
// 00301..00599): 100 m2 of urban residential land at 60 000 000 VND/m2.
constexpr char kParcelId[] = "000010010001";
constexpr char kSerial[] = "ZZ000001";

v1::Party Individual(const std::string& id) {
  v1::Party p;
  p.set_personal_id(id);
  return p;
}
v1::Party Company(const std::string& code) {
  v1::Party p;
  p.set_enterprise_code(code);
  return p;
}

class LandThroughHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::vector<Citizen>> people =
        business::CollectSyntheticPopulation(kSeed, kPopulation);
    ASSERT_TRUE(people.ok());
    for (const Citizen& c : *people) {
      const bool adult = c.date_of_birth().year() < 2000;
      if (c.life_status() == ndxp::residents::v1::LIFE_STATUS_DECEASED) {
        if (deceased_.empty()) deceased_ = c.personal_id();
      } else if (adult && living_.size() < 3) {
        living_.push_back(c);
      }
    }
    ASSERT_TRUE(business::GenerateSyntheticEnterprises(
                    kSeed, *people, [&](const business::v1::Enterprise& e) {
                      if (!e.parent_enterprise_code().empty()) return absl::OkStatus();
                      if (e.status() == business::v1::ENTERPRISE_STATUS_ACTIVE &&
                          active_company_.empty()) {
                        active_company_ = e.enterprise_code();
                      }
                      if (e.status() == business::v1::ENTERPRISE_STATUS_DISSOLVED &&
                          dissolved_company_.empty()) {
                        dissolved_company_ = e.enterprise_code();
                      }
                      return absl::OkStatus();
                    })
                    .ok());
    ASSERT_EQ(living_.size(), 3u);
    ASSERT_FALSE(deceased_.empty());
    ASSERT_FALSE(active_company_.empty());
    ASSERT_FALSE(dissolved_company_.empty());

    Start("residents", "000.00.00.G04", "ndxp.residents.v1.ResidentRegistry",
          {"VerifyCitizen", "GetCitizen", "ListRelatives", "IssuePersonalId"},
          &ndxp::residents::CreateResidentsConnector);
    Start("business", "000.00.00.G09", "ndxp.business.v1.BusinessRegistry", {"GetEnterprise"},
          &business::CreateBusinessConnector);
    Start("land", "000.00.00.G15", "ndxp.land.v1.LandRegistry",
          {"GetParcel", "AssessTransferObligations"}, &CreateLandConnector);
    federation_.Grant("000.00.00.G15/land", "ndxp.residents.v1.ResidentRegistry", "GetCitizen");
    federation_.Grant("000.00.00.G15/land", "ndxp.business.v1.BusinessRegistry",
                      "GetEnterprise");
    federation_.Grant("000.00.00.G12", "ndxp.land.v1.LandRegistry");
    absl::Status applied = federation_.ApplyHubConfig();
    ASSERT_TRUE(applied.ok()) << applied;

    // Our parcel, owned by the first two living citizens, written beside the
    // generated ones in the land connector's own database.
    absl::StatusOr<std::unique_ptr<SqliteLandStore>> store =
        SqliteLandStore::Open(federation_.ConnectorConfigOf("land").database());
    ASSERT_TRUE(store.ok()) << store.status();
    v1::Parcel parcel;
    parcel.set_parcel_id(kParcelId);
    parcel.set_commune_code("00001");
    parcel.set_map_sheet(1);
    parcel.set_parcel_number(1);
    parcel.set_area_dm2(10000);
    parcel.set_purpose("ODT");
    parcel.set_address("Thửa đất số 1, tờ bản đồ số 1, phường mã 00001, Hà Nội");
    parcel.set_province_code("001");
    v1::Certificate certificate;
    certificate.set_serial(kSerial);
    certificate.set_parcel_id(kParcelId);
    certificate.mutable_issue_date()->set_year(2020);
    certificate.mutable_issue_date()->set_month(1);
    certificate.mutable_issue_date()->set_day(2);
    for (int i = 0; i < 2; ++i) {
      *certificate.add_owners() = Individual(living_[i].personal_id());
      certificate.mutable_owners(i)->set_name(living_[i].full_name());
    }
    absl::Status inserted = (*store)->InsertParcel(parcel, certificate);
    ASSERT_TRUE(inserted.ok()) << inserted;

    stub_ = v1::LandRegistry::NewStub(
        federation_.ChannelAs(federation_.Client("demo", "000.00.00.G12", "tax-lookup")));
  }

  void Start(const std::string& name, const std::string& agency, const std::string& service,
             const std::vector<std::string>& personal, ndxp::connectors::ConnectorFactory f) {
    TestFederation::ConnectorOptions options;
    options.name = name;
    options.agency = agency;
    options.routes = {{service, personal}};
    options.factory = std::move(f);
    options.seed = kSeed;
    options.size = kPopulation;
    absl::Status started = federation_.StartConnector(options);
    ASSERT_TRUE(started.ok()) << name << ": " << started;
  }

  // The transfer of our parcel by its two holders to `transferee`.
  v1::AssessTransferObligationsRequest Transfer(const v1::Party& transferee) const {
    v1::AssessTransferObligationsRequest request;
    request.set_certificate_serial(kSerial);
    *request.add_transferors() = Individual(living_[0].personal_id());
    *request.add_transferors() = Individual(living_[1].personal_id());
    *request.add_transferees() = transferee;
    request.set_declared_price_vnd(7000000001);
    return request;
  }

  grpc::Status Assess(const v1::AssessTransferObligationsRequest& request,
                      v1::AssessTransferObligationsResponse* response) {
    grpc::ClientContext context;
    context.AddMetadata(ndxp::protocol::kPurposeHeader, "notarised transfer of land-use rights");
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->AssessTransferObligations(&context, request, response);
  }

  TestFederation federation_;
  std::unique_ptr<v1::LandRegistry::Stub> stub_;
  std::vector<Citizen> living_;
  std::string deceased_;
  std::string active_company_;
  std::string dissolved_company_;
};

TEST_F(LandThroughHubTest, AssessesATransferWithExactAmounts) {
  v1::AssessTransferObligationsResponse response;
  grpc::Status status = Assess(Transfer(Individual(living_[2].personal_id())), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // 100 m2 x 60 000 000 = 6 000 000 000 < declared 7 000 000 001.
  EXPECT_EQ(response.price_per_m2_vnd(), 60000000);
  EXPECT_EQ(response.table_value_vnd(), 6000000000);
  EXPECT_EQ(response.taxable_value_vnd(), 7000000001);
  ASSERT_EQ(response.obligations_size(), 3);
  EXPECT_EQ(response.obligations(0).kind(), v1::OBLIGATION_KIND_REGISTRATION_FEE);
  EXPECT_EQ(response.obligations(0).amount_vnd(), 35000000);  // 0.5%, rounded down
  EXPECT_EQ(response.obligations(1).payer().personal_id(), living_[0].personal_id());
  EXPECT_EQ(response.obligations(1).base_vnd(), 3500000001);  // takes the remainder
  EXPECT_EQ(response.obligations(1).amount_vnd(), 70000000);
  EXPECT_EQ(response.obligations(2).payer().personal_id(), living_[1].personal_id());
  EXPECT_EQ(response.obligations(2).amount_vnd(), 70000000);
  EXPECT_EQ(response.total_vnd(), 175000000);
  // Names as the residents registry knows them, through the hub.
  ASSERT_EQ(response.transferees_size(), 1);
  EXPECT_EQ(response.transferees(0).name(), living_[2].full_name());
  EXPECT_EQ(response.transferors(1).name(), living_[1].full_name());
  EXPECT_EQ(response.parcel().parcel_id(), kParcelId);
}

TEST_F(LandThroughHubTest, AnActiveEnterpriseMayAcquireByParcelNumber) {
  v1::AssessTransferObligationsRequest request = Transfer(Company(active_company_));
  request.clear_certificate_serial();
  request.mutable_parcel()->mutable_number()->set_commune_code("00001");
  request.mutable_parcel()->mutable_number()->set_map_sheet(1);
  request.mutable_parcel()->mutable_number()->set_parcel_number(1);
  v1::AssessTransferObligationsResponse response;
  grpc::Status status = Assess(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.transferees(0).name().empty());
  EXPECT_EQ(response.total_vnd(), 175000000);
}

TEST_F(LandThroughHubTest, PartiesThatCannotTransactAreRefused) {
  std::set<std::string> ids;
  for (const Citizen& c : living_) ids.insert(c.personal_id());
  // A well-formed number no citizen holds.
  std::string unknown;
  for (int serial = 0; unknown.empty(); ++serial) {
    absl::StatusOr<std::string> id =
        identifiers::MakePersonalId("001", 1980, identifiers::Sex::kMale, serial);
    ASSERT_TRUE(id.ok());
    v1::AssessTransferObligationsResponse probe;
    if (Assess(Transfer(Individual(*id)), &probe).error_code() == grpc::StatusCode::NOT_FOUND) {
      unknown = *id;
    }
  }
  struct Case {
    const char* name;
    v1::AssessTransferObligationsRequest request;
    grpc::StatusCode code;
    const char* message_part;
  };
  v1::AssessTransferObligationsRequest not_owners = Transfer(Individual(living_[2].personal_id()));
  not_owners.mutable_transferors()->RemoveLast();
  const Case cases[] = {
      {"unknown citizen", Transfer(Individual(unknown)), grpc::StatusCode::NOT_FOUND,
       "transferees[0].personal_id: residents GetCitizen"},
      {"deceased citizen", Transfer(Individual(deceased_)),
       grpc::StatusCode::FAILED_PRECONDITION, "transferees[0].personal_id: citizen"},
      {"unknown enterprise", Transfer(Company("0100233488")), grpc::StatusCode::NOT_FOUND,
       "transferees[0].enterprise_code: business GetEnterprise"},
      {"dissolved enterprise", Transfer(Company(dissolved_company_)),
       grpc::StatusCode::FAILED_PRECONDITION, "is dissolved"},
      {"transferors are not all the holders", not_owners,
       grpc::StatusCode::FAILED_PRECONDITION, "transferors: must be exactly the holders"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::AssessTransferObligationsResponse response;
    grpc::Status status = Assess(c.request, &response);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_NE(status.error_message().find(c.message_part), std::string::npos)
        << status.error_message();
  }
}

TEST_F(LandThroughHubTest, BadIdentifiersAreAllReported) {
  v1::AssessTransferObligationsRequest request;
  request.set_certificate_serial("cs12");
  request.mutable_parcel()->set_parcel_id("00001001000");
  *request.add_transferors() = Individual("00108500012");
  *request.add_transferees() = Company("0100233480");
  request.add_transferees();
  request.set_new_purpose("XXX");
  request.set_declared_price_vnd(-1);
  v1::AssessTransferObligationsResponse response;
  grpc::Status status = Assess(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::optional<google::rpc::BadRequest> bad = ndxp::connectors::BadRequestOf(status);
  ASSERT_TRUE(bad.has_value());
  std::set<std::string> fields;
  for (const auto& v : bad->field_violations()) fields.insert(v.field());
  EXPECT_EQ(fields, (std::set<std::string>{
                        "certificate_serial", "parcel.parcel_id", "transferors[0].personal_id",
                        "transferees[0].enterprise_code", "transferees[1]", "new_purpose",
                        "declared_price_vnd"}));
}

TEST_F(LandThroughHubTest, DownstreamStoppedIsUnavailableNamingIt) {
  federation_.StopConnector("residents");
  v1::AssessTransferObligationsResponse response;
  grpc::Status status = Assess(Transfer(Individual(living_[2].personal_id())), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("residents GetCitizen"), std::string::npos)
      << status.error_message();

  ASSERT_TRUE(federation_.RestartConnector("residents").ok());
  federation_.StopConnector("business");
  status = Assess(Transfer(Company(active_company_)), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("business GetEnterprise"), std::string::npos)
      << status.error_message();
}

}  // namespace
}  // namespace ndxp::land
