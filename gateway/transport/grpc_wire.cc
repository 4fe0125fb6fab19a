#include "gateway/transport/grpc_wire.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gateway/admission/header_rules.h"

namespace ndxp::gateway::transport {

absl::Status GrpcMessageScanner::Feed(absl::string_view bytes) {
  while (status_.ok() && !bytes.empty()) {
    if (remaining_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
      remaining_ -= n;
      bytes.remove_prefix(n);
      continue;
    }
    prefix_[prefix_read_++] = static_cast<unsigned char>(bytes[0]);
    bytes.remove_prefix(1);
    if (prefix_read_ < 5) continue;
    prefix_read_ = 0;
    uint32_t length = (uint32_t{prefix_[1]} << 24) | (uint32_t{prefix_[2]} << 16) |
                      (uint32_t{prefix_[3]} << 8) | uint32_t{prefix_[4]};
    if (prefix_[0] > 1) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat("malformed gRPC message: compression flag ", prefix_[0]));
    } else if (length > max_) {
      status_ = absl::ResourceExhaustedError(
          absl::StrCat("message of ", length, " bytes is over the limit of ", max_, " bytes"));
    } else {
      ++messages_;
      payload_bytes_ += length;
      remaining_ = length;
    }
  }
  return status_;
}

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

std::string EncodeGrpcMessage(absl::string_view message) { return PercentEncode(message); }

}  // namespace ndxp::gateway::transport
