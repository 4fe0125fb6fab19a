// How SearchEnterprises compares enterprise names (see business.proto
// SearchEnterprisesRequest): both the registered name and the query become a
// search key, lower-case ASCII without Vietnamese diacritics and without the
// leading legal-form words, and a query matches when its key is a prefix of
// the name's key.
//
// Example:
//   SearchKey("Công ty TNHH Thương mại Đức Phát");  // "thuong mai duc phat"
//   SearchKey("CONG TY tnhh  thuong");               // "thuong"
//
// Pure functions, thread-safe.
#ifndef NDXP_CONNECTORS_BUSINESS_ENTERPRISE_NAME_H_
#define NDXP_CONNECTORS_BUSINESS_ENTERPRISE_NAME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ndxp::business {

// `text` folded to lower-case ASCII: Vietnamese (and other Latin-1 /
// Latin Extended) letters lose their diacritics ("Đ" -> "d", "Ữ" -> "u"),
// combining marks (decomposed input) are dropped, every run of characters
// that are not ASCII letters or digits becomes one space, none at either end.
// Code points with no ASCII base letter count as separators.
std::string FoldToAscii(absl::string_view text);

// FoldToAscii, then the leading legal-form and unit words removed as long as
// one matches whole words ("cong ty tnhh", "chi nhanh", ...; the list is in
// the .cc and in business.proto).
std::string SearchKey(absl::string_view name);

}  // namespace ndxp::business

#endif  // NDXP_CONNECTORS_BUSINESS_ENTERPRISE_NAME_H_
