// Text for HTML and SVG pages the hub and ndxpctl write themselves (the
// admin dashboard, the half-year report).
#ifndef NDXP_COMMON_TEXT_MARKUP_H_
#define NDXP_COMMON_TEXT_MARKUP_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ndxp {

// `text` with &, <, >, " and ' escaped, safe in XML and HTML elements and
// attribute values alike.
std::string EscapeXml(absl::string_view text);

}  // namespace ndxp

#endif  // NDXP_COMMON_TEXT_MARKUP_H_
