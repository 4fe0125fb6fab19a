// The financial obligations of a land-use right transfer, by the formula
// documented in land.proto (AssessTransferObligationsResponse): registration
// fee 0.5% capped at 500 million VND, personal income tax 2% per individual
// transferor's share, land-use levy on a change of purpose. Integer VND,
// divisions rounding down.
//
// Example:
//   response.mutable_parcel()->set_area_dm2(10000);  // 100 m2
//   ComputeObligations({60000000, std::nullopt, 0}, transferors, &response);
//   response.total_vnd();
//
// Pure function, thread-safe.
#ifndef NDXP_CONNECTORS_LAND_TRANSFER_OBLIGATIONS_H_
#define NDXP_CONNECTORS_LAND_TRANSFER_OBLIGATIONS_H_

#include <cstdint>
#include <optional>

#include "google/protobuf/repeated_field.h"
#include "ndxp/land/v1/land.pb.h"

namespace ndxp::land {

inline constexpr int64_t kRegistrationFeeCapVnd = 500000000;

struct TransferPrices {
  int64_t price_per_m2 = 0;                   // current purpose, from the table
  std::optional<int64_t> new_price_per_m2;    // set when the purpose changes
  int64_t declared_price_vnd = 0;             // 0: none declared
};

// Fills price_per_m2_vnd, table_value_vnd, taxable_value_vnd, obligations
// and total_vnd of `response`, whose parcel (area) must be set.
// `transferors` (non-empty) are the payers of personal income tax, in order.
void ComputeObligations(const TransferPrices& prices,
                        const google::protobuf::RepeatedPtrField<v1::Party>& transferors,
                        v1::AssessTransferObligationsResponse* response);

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_TRANSFER_OBLIGATIONS_H_
