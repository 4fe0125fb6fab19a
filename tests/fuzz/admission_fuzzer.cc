// Fuzzes admission as a whole: the input is a request's header block as a
// caller may send it ("name\0value\n" per field, the first byte choosing the
// caller's identity), decided against one route with personal-data methods,
// one grant and the operators' rule. Whatever is admitted must carry only
// headers safe for a connector: names and values by the header rules, no
// x-ndxp-* but the three the hub sets (each once, the consumer the verified
// identity), a request id by its rule; a refusal must name a status and
// still echo a valid request id.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gateway/admission/admission.h"
#include "gateway/admission/header_rules.h"
#include "gateway/test_config.h"

namespace {

using namespace ndxp::gateway;
using ndxp::ConsumerIdentity;
using ndxp::ParseSpiffeId;

struct Tables {
  Tables() {
    auto* grant = hub.config.add_grants();
    grant->set_consumer("000.00.00.G12");
    grant->set_service("ndxp.residents.v1.ResidentRegistry");
    routes = *RouteTable::Build(hub.config, *hub.pool);
    policy = *AccessPolicy::Build(hub.config, *routes);
    tables = {routes.get(), policy.get(), nullptr, [] { return std::string("hub-made-id"); }};
  }
  TestHubConfig hub;
  std::unique_ptr<RouteTable> routes;
  std::unique_ptr<AccessPolicy> policy;
  AdmissionTables tables;
};

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Tables* const kTables = new Tables();
  static const char* const kCallers[] = {
      "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup",
      "spiffe://ndxp.gov.vn/agency/000.00.00.H49/claims",
      "spiffe://evil.example/agency/000.00.00.G12/tax-lookup",
  };
  if (size == 0) return 0;
  const std::string caller = kCallers[data[0] % 3];
  absl::StatusOr<ConsumerIdentity> identity = ParseSpiffeId(caller, "ndxp.gov.vn");
  absl::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<RequestHeader> headers;
  absl::string_view path;
  for (absl::string_view field : absl::StrSplit(input, '\n')) {
    size_t split = field.find('\0');
    RequestHeader header{field.substr(0, split),
                         split == absl::string_view::npos ? "" : field.substr(split + 1)};
    if (header.name == ":path") path = header.value;
    headers.push_back(header);
  }
  AdmissionDecision decision = Admit(kTables->tables, {path, &identity, headers});

  Check(IsValidRequestId(decision.request_id));
  if (!decision.status.ok()) {
    Check(decision.refusal != Refusal::kNone && decision.route == nullptr);
    return 0;
  }
  Check(decision.route != nullptr && identity.ok());
  int consumers = 0, request_ids = 0, purposes = 0;
  for (const auto& [name, value] : decision.upstream_headers) {
    Check(CheckHeader(name, value).ok());
    Check(!IsTransportHeader(name));
    if (absl::StartsWith(name, "x-ndxp-")) {
      if (name == "x-ndxp-consumer") {
        ++consumers;
        Check(value == caller);
      } else if (name == "x-ndxp-request-id") {
        ++request_ids;
        Check(value == decision.request_id);
      } else {
        Check(name == "x-ndxp-purpose");
        ++purposes;
      }
    }
  }
  Check(consumers == 1 && request_ids == 1 && purposes <= 1);
  if (decision.route->personal_data) Check(purposes == 1 && !decision.purpose.empty());
  return 0;
}
