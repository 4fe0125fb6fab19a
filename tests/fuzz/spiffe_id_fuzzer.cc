// Fuzzes the hub's parsing of a peer certificate's SPIFFE ID.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gateway/config/hub_config.h"
#include "common/identity/spiffe_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto identity = ndxp::ParseSpiffeId(input, "ndxp.gov.vn");
  if (identity.ok()) {
    // Whatever is accepted is a well-formed grant name and lies inside the input.
    if (!ndxp::gateway::IsValidConsumerName(identity->agency_subsystem)) std::abort();
    if (identity->spiffe_id.data() != input.data()) std::abort();
  }
  ndxp::gateway::IsValidConsumerName(input);
  return 0;
}
