// The one form of a person's ID number the hub keys data subjects by, for a
// request field marked (ndxp.v1.data_subject) and, later, a token's `sub`:
// the same person must give the same key whichever way the number was typed.
//
// NormalizePersonalId(text):
//   - removes ASCII whitespace (space, \t, \n, \v, \f, \r) anywhere: numbers
//     are read out and typed in groups ("001 090 001234");
//   - then every character must be an ASCII digit: '-', '.', '/', letters and
//     non-ASCII digits make it invalid. Separators other than spaces are not
//     accepted because no issued form prints them, and the rule defines the
//     keys stored: widening it later is safe, narrowing it is not;
//   - 12 digits: a personal ID number (CCCD, số định danh cá nhân), kept as is;
//   - 9 digits: an old ID card number (CMND), kept as 9 digits. It is NOT
//     padded to 12: a CMND and a CCCD are different number spaces (a
//     person's CCCD is not their CMND with a prefix), so "000" + a CMND is a
//     12-digit number that may be someone else's CCCD: padding would alias
//     unrelated people;
//   - leading zeros are significant and kept (a CCCD starts with its
//     province code, "001" Ha Noi);
//   - any other count of digits (0-8, 10, 11, 13 or more): nullopt.
// The shape only: the province and century digits are the connectors'
// business (common/identifiers/personal_id.h), and an ID well-shaped but
// issued to no one still names whom the caller asked about.
#ifndef NDXP_GATEWAY_SUBJECTS_PERSONAL_ID_H_
#define NDXP_GATEWAY_SUBJECTS_PERSONAL_ID_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ndxp::gateway::subjects {

// Digits of a personal ID number (CCCD) and of an old ID card number (CMND).
inline constexpr size_t kPersonalIdDigits = 12;
inline constexpr size_t kOldIdCardDigits = 9;

// The digits of `text` under the rule above, or nullopt. Pure, thread-safe.
std::optional<std::string> NormalizePersonalId(absl::string_view text);

}  // namespace ndxp::gateway::subjects

#endif  // NDXP_GATEWAY_SUBJECTS_PERSONAL_ID_H_
