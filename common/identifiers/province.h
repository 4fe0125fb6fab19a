// The provinces of Vietnam as coded in the first three digits of a personal
// ID number (Circular 59/2021/TT-BCA, appendix of place-of-birth codes).
//
// Example:
//   const Province* p = ndxp::identifiers::FindProvince("079");
//   if (p != nullptr) std::cout << p->name;  // "Hồ Chí Minh"
#ifndef NDXP_COMMON_IDENTIFIERS_PROVINCE_H_
#define NDXP_COMMON_IDENTIFIERS_PROVINCE_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ndxp::identifiers {

// One row of the table. Both views point at static storage.
struct Province {
  absl::string_view code;  // three digits, "001" .. "096"
  absl::string_view name;  // UTF-8 with diacritics, "Hà Nội"
};

// The number of provinces and centrally-run cities in the table.
inline constexpr size_t kProvinceCount = 63;

// All 63 provinces in ascending code order. Static storage, thread-safe.
absl::Span<const Province> AllProvinces();

// The province with this exact three-digit code, or nullptr if the code is
// not in the table (codes are sparse: "003" is not a province).
const Province* FindProvince(absl::string_view code);

}  // namespace ndxp::identifiers

#endif  // NDXP_COMMON_IDENTIFIERS_PROVINCE_H_
