// What became of the calls the hub received, for people: the one
// classification of outcomes the dashboard and `ndxpctl report` (and anything
// else that sums calls by status) use, so that one call is never an answer in
// one figure and an error in another.
//
// A forwarded call (a transaction) is classified by its status, from one
// table; a call the hub refused itself (not granted, a missing purpose, over
// a limit: `refused_counters`, the Statistics API's REFUSED_BY_HUB) is refused
// whatever its status.
//
//   answered   OK, or a definite answer: NOT_FOUND ("no such record"),
//              ALREADY_EXISTS
//   refused    not allowed or not a valid request, by the hub or by the
//              provider (PERMISSION_DENIED, INVALID_ARGUMENT, ...): the
//              consumer must change something
//   failed     an error of the exchange: the provider's system or the way to
//              it failed (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...): a
//              retry may work
//   cancelled  CANCELLED: the caller cancelled the call or went away before
//              its answer (the hub records a caller that resets its call or
//              closes its connection so, whatever the connector was doing;
//              the caller's own library may have called it UNAVAILABLE).
//              Not a failure of the exchange.
//
// What the hub does to protect other members lands here too: a call whose
// stream the hub reset because its caller did not read the answers
// (limits.max_held_bytes*, limits.stalled_reader_ms) is recorded
// RESOURCE_EXHAUSTED, so refused (the consumer must read what it asks for);
// a refusal summary (ndxp-audit-v4) adds its repeat count to
// refused_counters, so every summarised refusal is counted as refused.
//
// Pure functions and constant tables: thread-safe.
//
// Example:
//   OutcomeCounts outcomes;
//   for (const hub::v1::CountRow& row : by_status.rows())  // FORWARDED, by STATUS
//     outcomes.Add(hub::v1::FORWARDED, row.key(0), row.count());
//   for (const hub::v1::CountRow& row : refused.rows())    // REFUSED_BY_HUB, by STATUS
//     outcomes.Add(hub::v1::REFUSED_BY_HUB, row.key(0), row.count());
//   std::optional<double> error_rate = outcomes.Share(Outcome::kFailed);
//   // nullopt when there were no calls at all (not "0.0%")
#ifndef NDXP_GATEWAY_STATISTICS_OUTCOMES_H_
#define NDXP_GATEWAY_STATISTICS_OUTCOMES_H_

#include <array>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "ndxp/hub/v1/statistics.pb.h"

namespace ndxp::gateway::statistics {

enum class Outcome { kAnswered, kRefused, kFailed, kCancelled };
inline constexpr int kOutcomeCount = 4;
// Every outcome, in the order figures show them.
inline constexpr Outcome kOutcomes[kOutcomeCount] = {Outcome::kAnswered, Outcome::kRefused,
                                                    Outcome::kFailed, Outcome::kCancelled};

// The outcome of a call counted under `status_code` (0..16; any other code is
// kFailed) among `calls`.
Outcome OutcomeOf(hub::v1::Calls calls, int status_code);
// The same by the status's canonical name, as the Statistics API's STATUS
// dimension gives it ("NOT_FOUND", or a stray code's number "42").
Outcome OutcomeOf(hub::v1::Calls calls, absl::string_view status_name);

// "answered", "refused", "failed", "cancelled".
absl::string_view OutcomeName(Outcome outcome);

// Calls summed by outcome.
class OutcomeCounts {
 public:
  // Counts `count` calls of `calls` that ended with `status_name`.
  void Add(hub::v1::Calls calls, absl::string_view status_name, int64_t count);

  int64_t operator[](Outcome outcome) const { return counts_[static_cast<int>(outcome)]; }
  // Every call counted, whatever its outcome.
  int64_t calls() const;
  // `outcome`'s part of calls(), 0..1; nullopt when there are no calls (a
  // share of nothing is no figure, not 0%).
  std::optional<double> Share(Outcome outcome) const;

 private:
  std::array<int64_t, kOutcomeCount> counts_ = {};
};

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_OUTCOMES_H_
