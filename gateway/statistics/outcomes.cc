#include "gateway/statistics/outcomes.h"

#include "gateway/statistics/status_codes.h"

namespace ndxp::gateway::statistics {
namespace {

// A forwarded call's outcome by its status code, indexed by code (the order
// of status_codes.cc).
constexpr Outcome kForwarded[kStatusCodeCount] = {
    Outcome::kAnswered,   // OK
    Outcome::kCancelled,  // CANCELLED
    Outcome::kFailed,     // UNKNOWN
    Outcome::kRefused,    // INVALID_ARGUMENT
    Outcome::kFailed,     // DEADLINE_EXCEEDED
    Outcome::kAnswered,   // NOT_FOUND
    Outcome::kAnswered,   // ALREADY_EXISTS
    Outcome::kRefused,    // PERMISSION_DENIED
    Outcome::kRefused,    // RESOURCE_EXHAUSTED
    Outcome::kRefused,    // FAILED_PRECONDITION
    Outcome::kFailed,     // ABORTED
    Outcome::kRefused,    // OUT_OF_RANGE
    Outcome::kRefused,    // UNIMPLEMENTED
    Outcome::kFailed,     // INTERNAL
    Outcome::kFailed,     // UNAVAILABLE
    Outcome::kFailed,     // DATA_LOSS
    Outcome::kRefused,    // UNAUTHENTICATED
};

constexpr absl::string_view kNames[kOutcomeCount] = {"answered", "refused", "failed",
                                                    "cancelled"};

}  // namespace

Outcome OutcomeOf(hub::v1::Calls calls, int status_code) {
  if (calls == hub::v1::REFUSED_BY_HUB) return Outcome::kRefused;
  if (status_code < 0 || status_code >= kStatusCodeCount) return Outcome::kFailed;
  return kForwarded[status_code];
}

Outcome OutcomeOf(hub::v1::Calls calls, absl::string_view status_name) {
  std::optional<int> code = ParseStatusCode(status_name);
  return OutcomeOf(calls, code.has_value() ? *code : -1);
}

absl::string_view OutcomeName(Outcome outcome) { return kNames[static_cast<int>(outcome)]; }

void OutcomeCounts::Add(hub::v1::Calls calls, absl::string_view status_name, int64_t count) {
  counts_[static_cast<int>(OutcomeOf(calls, status_name))] += count;
}

int64_t OutcomeCounts::calls() const {
  int64_t sum = 0;
  for (int64_t count : counts_) sum += count;
  return sum;
}

std::optional<double> OutcomeCounts::Share(Outcome outcome) const {
  const int64_t whole = calls();
  if (whole <= 0) return std::nullopt;
  return static_cast<double>((*this)[outcome]) / static_cast<double>(whole);
}

}  // namespace ndxp::gateway::statistics
