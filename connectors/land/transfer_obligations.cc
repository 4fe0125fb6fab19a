#include "connectors/land/transfer_obligations.h"

#include <algorithm>

namespace ndxp::land {

void ComputeObligations(const TransferPrices& prices,
                        const google::protobuf::RepeatedPtrField<v1::Party>& transferors,
                        v1::AssessTransferObligationsResponse* response) {
  const int64_t area_dm2 = response->parcel().area_dm2();
  const int64_t table_value = area_dm2 * prices.price_per_m2 / 100;
  const int64_t taxable = std::max(table_value, prices.declared_price_vnd);
  response->set_price_per_m2_vnd(prices.price_per_m2);
  response->set_table_value_vnd(table_value);
  response->set_taxable_value_vnd(taxable);
  response->clear_obligations();

  auto add = [response](v1::ObligationKind kind, int64_t base, const char* rate,
                        int64_t amount, const char* legal_basis) {
    v1::Obligation* line = response->add_obligations();
    line->set_kind(kind);
    line->set_base_vnd(base);
    line->set_rate(rate);
    line->set_amount_vnd(amount);
    line->set_legal_basis(legal_basis);
    return line;
  };

  add(v1::OBLIGATION_KIND_REGISTRATION_FEE, taxable, "0.5%",
      std::min(taxable * 5 / 1000, kRegistrationFeeCapVnd),
      "Nghị định 10/2022/NĐ-CP, Điều 8 (lệ phí trước bạ nhà, đất 0,5%, tối đa 500 triệu đồng)");

  const int64_t n = transferors.size();
  for (int64_t i = 0; i < n; ++i) {
    const v1::Party& transferor = transferors[static_cast<int>(i)];
    if (!transferor.has_personal_id()) continue;  // enterprises: corporate income tax
    const int64_t share = taxable / n + (i == 0 ? taxable % n : 0);
    *add(v1::OBLIGATION_KIND_PERSONAL_INCOME_TAX, share, "2%", share * 2 / 100,
         "Luật Thuế thu nhập cá nhân, Điều 14 (2% giá chuyển nhượng)")
         ->mutable_payer() = transferor;
  }

  if (prices.new_price_per_m2.has_value()) {
    const int64_t difference = std::max<int64_t>(0, *prices.new_price_per_m2 - prices.price_per_m2);
    add(v1::OBLIGATION_KIND_LAND_USE_LEVY, area_dm2 * difference / 100, "100%",
        area_dm2 * difference / 100,
        "Nghị định 103/2024/NĐ-CP (chênh lệch giá đất khi chuyển mục đích sử dụng)");
  }

  int64_t total = 0;
  for (const v1::Obligation& line : response->obligations()) total += line.amount_vnd();
  response->set_total_vnd(total);
}

}  // namespace ndxp::land
