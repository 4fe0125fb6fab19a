#include "connectors/land/transfer_obligations.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ndxp::land {
namespace {

v1::Party Individual(const std::string& id) {
  v1::Party p;
  p.set_personal_id(id);
  return p;
}

v1::Party Enterprise(const std::string& code) {
  v1::Party p;
  p.set_enterprise_code(code);
  return p;
}

TEST(ComputeObligationsTest, FollowsTheDocumentedFormula) {
  struct Line {
    v1::ObligationKind kind;
    int64_t base;
    int64_t amount;
  };
  struct Case {
    const char* name;
    int64_t area_dm2;
    TransferPrices prices;
    std::vector<v1::Party> transferors;
    int64_t table_value, taxable_value;
    std::vector<Line> lines;
    int64_t total;
  };
  const Case cases[] = {
      {"one individual, table price",
       10000, {60000000, std::nullopt, 0}, {Individual("001085000001")},
       6000000000, 6000000000,
       {{v1::OBLIGATION_KIND_REGISTRATION_FEE, 6000000000, 30000000},
        {v1::OBLIGATION_KIND_PERSONAL_INCOME_TAX, 6000000000, 120000000}},
       150000000},
      {"two individuals, declared price higher, odd amount",
       10000, {60000000, std::nullopt, 7000000001},
       {Individual("001085000001"), Individual("001185000002")},
       6000000000, 7000000001,
       {{v1::OBLIGATION_KIND_REGISTRATION_FEE, 7000000001, 35000000},
        {v1::OBLIGATION_KIND_PERSONAL_INCOME_TAX, 3500000001, 70000000},
        {v1::OBLIGATION_KIND_PERSONAL_INCOME_TAX, 3500000000, 70000000}},
       175000000},
      {"declared price lower than the table: table wins",
       10000, {60000000, std::nullopt, 1000},
       {Individual("001085000001")},
       6000000000, 6000000000,
       {{v1::OBLIGATION_KIND_REGISTRATION_FEE, 6000000000, 30000000},
        {v1::OBLIGATION_KIND_PERSONAL_INCOME_TAX, 6000000000, 120000000}},
       150000000},
      {"enterprise transferor, fee capped",
       2000000, {38400000, std::nullopt, 0}, {Enterprise("0100233488")},
       768000000000, 768000000000,
       {{v1::OBLIGATION_KIND_REGISTRATION_FEE, 768000000000, 500000000}},
       500000000},
      {"rice land to rural residential: levy on the price difference",
       50000, {175000, 2100000, 0}, {Individual("001085000001")},
       87500000, 87500000,
       {{v1::OBLIGATION_KIND_REGISTRATION_FEE, 87500000, 437500},
        {v1::OBLIGATION_KIND_PERSONAL_INCOME_TAX, 87500000, 1750000},
        {v1::OBLIGATION_KIND_LAND_USE_LEVY, 962500000, 962500000}},
       964687500},
      {"to a cheaper purpose: no levy",
       10000, {60000000, 400000, 0}, {Individual("001085000001")},
       6000000000, 6000000000,
       {{v1::OBLIGATION_KIND_REGISTRATION_FEE, 6000000000, 30000000},
        {v1::OBLIGATION_KIND_PERSONAL_INCOME_TAX, 6000000000, 120000000},
        {v1::OBLIGATION_KIND_LAND_USE_LEVY, 0, 0}},
       150000000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::AssessTransferObligationsResponse response;
    response.mutable_parcel()->set_area_dm2(c.area_dm2);
    google::protobuf::RepeatedPtrField<v1::Party> transferors(c.transferors.begin(),
                                                              c.transferors.end());
    ComputeObligations(c.prices, transferors, &response);
    EXPECT_EQ(response.price_per_m2_vnd(), c.prices.price_per_m2);
    EXPECT_EQ(response.table_value_vnd(), c.table_value);
    EXPECT_EQ(response.taxable_value_vnd(), c.taxable_value);
    ASSERT_EQ(response.obligations_size(), static_cast<int>(c.lines.size()));
    for (size_t i = 0; i < c.lines.size(); ++i) {
      SCOPED_TRACE(i);
      const v1::Obligation& line = response.obligations(static_cast<int>(i));
      EXPECT_EQ(line.kind(), c.lines[i].kind);
      EXPECT_EQ(line.base_vnd(), c.lines[i].base);
      EXPECT_EQ(line.amount_vnd(), c.lines[i].amount);
      EXPECT_FALSE(line.legal_basis().empty());
    }
    EXPECT_EQ(response.total_vnd(), c.total);
  }
}

TEST(ComputeObligationsTest, IncomeTaxNamesEachIndividualPayer) {
  v1::AssessTransferObligationsResponse response;
  response.mutable_parcel()->set_area_dm2(10000);
  google::protobuf::RepeatedPtrField<v1::Party> transferors;
  *transferors.Add() = Enterprise("0100233488");
  *transferors.Add() = Individual("001085000001");
  ComputeObligations({60000000, std::nullopt, 0}, transferors, &response);
  ASSERT_EQ(response.obligations_size(), 2);
  EXPECT_EQ(response.obligations(1).payer().personal_id(), "001085000001");
  // The individual's share is half, the enterprise's half owes no PIT here.
  EXPECT_EQ(response.obligations(1).base_vnd(), 3000000000);
  EXPECT_EQ(response.obligations(1).amount_vnd(), 60000000);
}

}  // namespace
}  // namespace ndxp::land
