#include "common/protocol/grpc_timeout.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace ndxp::protocol {

std::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t amount = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    amount = amount * 10 + (c - '0');
  }
  switch (value.back()) {
    case 'H': return absl::Hours(amount);
    case 'M': return absl::Minutes(amount);
    case 'S': return absl::Seconds(amount);
    case 'm': return absl::Milliseconds(amount);
    case 'u': return absl::Microseconds(amount);
    case 'n': return absl::Nanoseconds(amount);
    default: return std::nullopt;
  }
}

std::string FormatGrpcTimeout(absl::Duration timeout) {
  constexpr int64_t kMaxAmount = 99999999;  // eight digits
  int64_t micros = absl::ToInt64Microseconds(absl::Ceil(timeout, absl::Microseconds(1)));
  if (micros < 1) micros = 1;
  if (micros <= kMaxAmount) return absl::StrCat(micros, "u");
  int64_t millis = (micros + 999) / 1000;
  if (millis <= kMaxAmount) return absl::StrCat(millis, "m");
  int64_t seconds = (millis + 999) / 1000;
  if (seconds <= kMaxAmount) return absl::StrCat(seconds, "S");
  return absl::StrCat(std::min<int64_t>((seconds + 3599) / 3600, kMaxAmount), "H");
}

}  // namespace ndxp::protocol
