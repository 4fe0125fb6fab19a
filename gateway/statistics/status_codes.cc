#include "gateway/statistics/status_codes.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ndxp::gateway::statistics {
namespace {

// Indexed by code; the names of grpc/include/grpcpp/support/status_code_enum.h
// and absl/status/status.h.
constexpr absl::string_view kNames[kStatusCodeCount] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

}  // namespace

std::string StatusCodeName(int64_t code) {
  if (code >= 0 && code < kStatusCodeCount) return std::string(kNames[code]);
  return absl::StrCat(code);
}

std::optional<int> ParseStatusCode(absl::string_view text) {
  for (int code = 0; code < kStatusCodeCount; ++code) {
    if (text == kNames[code]) return code;
  }
  // Digits only: SimpleAtoi alone would also take "+5" and " 5".
  if (text.empty() || text.size() > 2) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int code = 0;
  if (!absl::SimpleAtoi(text, &code) || code >= kStatusCodeCount) return std::nullopt;
  return code;
}

}  // namespace ndxp::gateway::statistics
