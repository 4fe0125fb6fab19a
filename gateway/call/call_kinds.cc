#include "gateway/call/call_kinds.h"

namespace ndxp::gateway {

static_assert(sizeof(kDoorNames) / sizeof(kDoorNames[0]) == 3, "a name for every Door");
static_assert(sizeof(kRowKindNames) / sizeof(kRowKindNames[0]) == 3,
              "a name for every RowKind");

namespace {
constexpr bool RefusalTableInOrder() {
  for (size_t i = 0; i < kRefusalKinds; ++i) {
    if (static_cast<size_t>(kRefusals[i].kind) != i) return false;
  }
  return true;
}
static_assert(RefusalTableInOrder(), "kRefusals is indexed by Refusal");
}  // namespace

std::optional<Refusal> RefusalNamed(absl::string_view name) {
  for (const RefusalInfo& info : kRefusals) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

std::optional<Door> DoorNamed(absl::string_view name) {
  for (size_t i = 0; i < sizeof(kDoorNames) / sizeof(kDoorNames[0]); ++i) {
    if (kDoorNames[i] == name) return static_cast<Door>(i);
  }
  return std::nullopt;
}

}  // namespace ndxp::gateway
