#include "gateway/subjects/personal_id.h"

#include "absl/strings/ascii.h"

namespace ndxp::gateway::subjects {

std::optional<std::string> NormalizePersonalId(absl::string_view text) {
  std::string digits;
  digits.reserve(kPersonalIdDigits);
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    // Longer than any ID already: no need to read (or store) the rest.
    if (digits.size() == kPersonalIdDigits) return std::nullopt;
    digits.push_back(c);
  }
  if (digits.size() != kPersonalIdDigits && digits.size() != kOldIdCardDigits) {
    return std::nullopt;
  }
  return digits;
}

}  // namespace ndxp::gateway::subjects
