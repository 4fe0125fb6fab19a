// Fuzzes personal ID number validation, which every connector runs on request
// fields from the network.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/identifiers/personal_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto parts = ndxp::identifiers::ParsePersonalId(input);
  if (!parts.ok()) return 0;
  // A parsed number is rebuilt exactly from its parts.
  auto rebuilt = ndxp::identifiers::MakePersonalId(parts->province->code, parts->birth_year(),
                                                   parts->sex, parts->serial);
  if (!rebuilt.ok() || *rebuilt != input) std::abort();
  ndxp::identifiers::CivilDate birth{parts->birth_year(), 1, 1};
  if (!ndxp::identifiers::ValidatePersonalId(input, &birth, &parts->sex).ok()) std::abort();
  return 0;
}
