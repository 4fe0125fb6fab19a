// When an HTTP/1.1 connection's one timer fires, and why, from its codec's
// state. A request head must be complete within `head_timeout` of its first
// byte: a peer that trickles a byte a second (slowloris) is answered 408 and
// closed however long it would go on, since the deadline does not move with
// each byte. A connection with no request open or owed is closed after
// `idle_timeout`. While a request is read or answered neither runs: the
// call has its own deadline (limits.max_deadline_ms). Nor does either run
// while the connection does not read (back-pressure: the hub holds the
// peer's bytes back, not the peer); a head's time starts again when reading
// resumes.
//
// Example (the connection, after each Feed and each write; in the timer):
//   H1Deadlines deadlines(limits.handshake_timeout, limits.idle_timeout);
//   H1Deadlines::Deadline next = deadlines.Update(codec, now);
//   ArmTimer(next.at - now);  // none when next.reason == kNone
//   ... the timer fires at `now` >= next.at:
//   if (next.reason == H1Deadlines::Reason::kHead) codec.HeadTimedOut();  // 408, then close
//   if (next.reason == H1Deadlines::Reason::kIdle) Close();
//
// Pure (the time is given) and not thread-safe: one per connection.
#ifndef NDXP_GATEWAY_TRANSPORT_H1_DEADLINES_H_
#define NDXP_GATEWAY_TRANSPORT_H1_DEADLINES_H_

#include "absl/time/time.h"
#include "gateway/transport/h1_codec.h"

namespace ndxp::gateway::transport {

class H1Deadlines {
 public:
  enum class Reason { kNone, kHead, kIdle };
  struct Deadline {
    Reason reason = Reason::kNone;
    absl::Time at = absl::InfiniteFuture();
  };

  H1Deadlines(absl::Duration head_timeout, absl::Duration idle_timeout)
      : head_timeout_(head_timeout), idle_timeout_(idle_timeout) {}

  // The deadline for `codec`'s state at `now`: it runs from when that state
  // began (the head's first byte, the end of the last answer, reading
  // resumed); none while the connection is not `reading`.
  Deadline Update(const H1ServerCodec& codec, absl::Time now, bool reading = true);

 private:
  const absl::Duration head_timeout_;
  const absl::Duration idle_timeout_;
  Reason reason_ = Reason::kNone;
  absl::Time since_ = absl::InfinitePast();
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_H1_DEADLINES_H_
