#include "common/time/clock.h"

#include "absl/time/clock.h"

namespace ndxp {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void WaitUntil(absl::CondVar* cv, absl::Mutex* mu, absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (deadline == absl::InfiniteFuture()) {
      cv->Wait(mu);
    } else {
      cv->WaitWithDeadline(mu, deadline);
    }
  }
};

}  // namespace

Clock* Clock::Real() {
  static Clock* const real = new RealClock();
  return real;
}

absl::Time FakeClock::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::WaitUntil(absl::CondVar* cv, absl::Mutex* mu, absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (now_ >= deadline) return;
    ++waiting_;
  }
  cv->WaitWithTimeout(mu, absl::Milliseconds(1));
  absl::MutexLock lock(&mu_);
  --waiting_;
}

void FakeClock::AwaitWaiter() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* waiting) { return *waiting > 0; }, &waiting_));
}

void FakeClock::Advance(absl::Duration by) {
  absl::MutexLock lock(&mu_);
  now_ += by;
}

}  // namespace ndxp
