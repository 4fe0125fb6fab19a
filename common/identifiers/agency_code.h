// Agency codes of Decision 20/2020/QD-TTg: dot-separated groups of [0-9A-Z],
// usually LLL.LL.LL.XNN ("000.00.00.H49"), at most 35 characters.
#ifndef NDXP_COMMON_IDENTIFIERS_AGENCY_CODE_H_
#define NDXP_COMMON_IDENTIFIERS_AGENCY_CODE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::identifiers {

inline constexpr size_t kMaxAgencyCodeLength = 35;

// OK, or INVALID_ARGUMENT "<field>: <reason>" naming what is wrong.
absl::Status ValidateAgencyCode(absl::string_view code,
                                absl::string_view field = "agency_code");

// The same check without building a message (for hot paths).
bool IsValidAgencyCode(absl::string_view code);

}  // namespace ndxp::identifiers

#endif  // NDXP_COMMON_IDENTIFIERS_AGENCY_CODE_H_
