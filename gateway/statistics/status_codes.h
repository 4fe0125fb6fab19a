// The canonical gRPC status code names ("OK", "INVALID_ARGUMENT", ...) the
// statistics show and the history import accepts, from a fixed table rather
// than a library's display form so that they never change under us.
#ifndef NDXP_GATEWAY_STATISTICS_STATUS_CODES_H_
#define NDXP_GATEWAY_STATISTICS_STATUS_CODES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ndxp::gateway::statistics {

// Codes 0..16 have names.
inline constexpr int kStatusCodeCount = 17;

// "OK" for 0 ... "UNAUTHENTICATED" for 16; any other value as its decimal
// number ("42"), so that a stray code stays visible and distinct.
std::string StatusCodeName(int64_t code);

// The code of a canonical name ("NOT_FOUND", exact case) or of a decimal
// number 0..16 ("5"); nullopt for anything else.
std::optional<int> ParseStatusCode(absl::string_view text);

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_STATUS_CODES_H_
