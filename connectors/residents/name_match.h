// Comparing personal names the way VerifyCitizen promises: case- and
// space-insensitively, with Vietnamese letters ("NGUYỄN  Văn an" matches
// "Nguyễn Văn An").
#ifndef NDXP_CONNECTORS_RESIDENTS_NAME_MATCH_H_
#define NDXP_CONNECTORS_RESIDENTS_NAME_MATCH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ndxp::residents {

// `name` lower-cased (ASCII, Latin-1, Latin Extended-A, Ơ/Ư and the Latin
// Extended Additional letters Vietnamese uses) with runs of whitespace
// collapsed to one space and none at either end. Input is expected in NFC
// (precomposed), as the register stores it; bytes that are not valid UTF-8
// are kept as they are.
std::string NormalizeName(absl::string_view name);

// NormalizeName(a) == NormalizeName(b), and neither is empty.
bool NamesMatch(absl::string_view a, absl::string_view b);

}  // namespace ndxp::residents

#endif  // NDXP_CONNECTORS_RESIDENTS_NAME_MATCH_H_
