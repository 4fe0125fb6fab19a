#include "gateway/transport/h1_deadlines.h"

namespace ndxp::gateway::transport {

H1Deadlines::Deadline H1Deadlines::Update(const H1ServerCodec& codec, absl::Time now,
                                          bool reading) {
  Reason reason = Reason::kNone;
  if (codec.Finished() || !reading) {
    // Finished: the connection closes once its output is out. Not reading:
    // what the peer sent waits for the hub.
    reason = Reason::kNone;
  } else if (codec.InHead()) {
    reason = Reason::kHead;
  } else if (codec.Idle()) {
    reason = Reason::kIdle;
  }
  if (reason != reason_) {
    reason_ = reason;
    since_ = now;
  }
  switch (reason_) {
    case Reason::kHead:
      return {reason_, since_ + head_timeout_};
    case Reason::kIdle:
      return {reason_, since_ + idle_timeout_};
    case Reason::kNone:
      break;
  }
  return {};
}

}  // namespace ndxp::gateway::transport
