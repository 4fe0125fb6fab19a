// Fuzzes the federation's header rules: the input is "name\0value" (a
// header as raw network bytes). Whatever is accepted must be safe to hand
// to gRPC's metadata (lower-case name bytes, printable ASCII values, base64
// for -bin); a purpose that decodes must survive encode and decode unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "common/protocol/percent_encoding.h"
#include "gateway/admission/header_rules.h"

namespace {

bool SafeName(absl::string_view name) {
  if (!name.empty() && name[0] == ':') name.remove_prefix(1);
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\0');
  absl::string_view name = input.substr(0, split);
  absl::string_view value = split == absl::string_view::npos ? "" : input.substr(split + 1);

  if (ndxp::gateway::CheckHeader(name, value).ok()) {
    if (!SafeName(name)) std::abort();
    // Printable ASCII always (a -bin value is base64).
    for (char c : value) {
      if (c < 0x20 || c > 0x7e) std::abort();
    }
  }
  auto purpose = ndxp::protocol::DecodePurpose(value);
  if (purpose.ok()) {
    if (purpose->size() > ndxp::protocol::kMaxPurposeBytes) std::abort();
    auto again = ndxp::protocol::DecodePurpose(ndxp::protocol::PercentEncode(*purpose));
    if (!again.ok() || *again != *purpose) std::abort();
  }
  if (ndxp::gateway::IsValidRequestId(value) && value.size() > 128) std::abort();
  return 0;
}
