// The time a component reads and the waits it makes, behind one interface so
// that a decision depending on time can be tested with a clock the test moves
// (LevelDB's Env::NowMicros, RocksDB's MockSystemClock).
//
// Example:
//   class Sweeper {
//    public:
//     explicit Sweeper(Clock* clock = Clock::Real()) : clock_(clock) {}
//     void Loop() {
//       absl::MutexLock lock(&mu_);
//       while (!stopping_) clock_->WaitUntil(&cv_, &mu_, clock_->Now() + absl::Minutes(1));
//     }
//   };
//   // In a test:
//   FakeClock clock;
//   Sweeper sweeper(&clock);
//   clock.Advance(absl::Minutes(1));  // the sweeper's wait ends
//
// Both implementations are thread-safe. Clock::Real() is never deleted.
#ifndef NDXP_COMMON_TIME_CLOCK_H_
#define NDXP_COMMON_TIME_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ndxp {

class Clock {
 public:
  virtual ~Clock() = default;
  // The system's clock (absl::Now).
  static Clock* Real();

  virtual absl::Time Now() = 0;
  // Waits on `cv`, releasing `mu` (which the caller holds), until it is
  // signalled or this clock reaches `deadline` (absl::InfiniteFuture(): no
  // deadline). May return early: callers re-check their condition.
  virtual void WaitUntil(absl::CondVar* cv, absl::Mutex* mu, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;
};

// A clock that moves only when told to, for tests. A wait on it ends when
// Advance() reaches its deadline (it polls every millisecond of real time,
// so a test never waits for the fake duration itself).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1767225600))  // 2026-01-01Z
      : now_(start) {}
  absl::Time Now() override;
  void WaitUntil(absl::CondVar* cv, absl::Mutex* mu, absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Advance(absl::Duration by);
  // Blocks until a thread waits on this clock: a sync point for tests, so
  // that the clock moves only once the thread under test has done what it
  // does before it waits.
  void AwaitWaiter();

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ndxp

#endif  // NDXP_COMMON_TIME_CLOCK_H_
