// ThreadSanitizer's view of Debian's Abseil synchronization (linked into every
// target of a -DNDXP_SANITIZER=thread build, nowhere else).
//
// Debian builds Abseil without TSan, so absl::Mutex, CondVar and Notification
// synchronize through atomics and futexes TSan never sees: every member an
// absl::Mutex guards would be reported as a race. Abseil built with TSan
// annotates itself (base/internal/tsan_mutex_interface.h); this does the same
// from outside: each public entry point is defined here, runs the library's
// own (found with dlsym(RTLD_NEXT)) and tells TSan what it did, a release
// before a lock is given up and an acquire once it is held. Definitions in
// this library come before libabsl_synchronization's in the dynamic linker's
// search order, so gRPC's calls into Abseil come here too.
//
// Reader locks are modelled as exclusive ones (a reader's unlock releases to
// the next reader too): it can hide a race between two readers, never report
// one that is not there.
//
// Abseil's own deadlock detector is turned off in these builds: its graph is
// guarded by Abseil's internal SpinLock, inline code of the uninstrumented
// library, so TSan reports its bookkeeping as races; TSan's lock-order
// detector does the same job.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

// The symbol names below are those of Debian 12's Abseil (inline namespace
// debian3); another build of Abseil needs them spelled again.
static_assert(std::is_same_v<absl::Mutex, absl::debian3::Mutex>,
              "the mangled names below assume Abseil's inline namespace debian3");

namespace {

// The library's definition of `symbol` (a mangled name), as a function taking
// `this` first, as the Itanium C++ ABI calls a member function.
template <typename Function>
Function Library(const char* symbol) {
  void* found = dlsym(RTLD_NEXT, symbol);
  if (found == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan: %s not found: %s\n", symbol, dlerror());
    std::abort();
  }
  return reinterpret_cast<Function>(found);
}

#define NDXP_ABSL(symbol) "_ZN4absl7debian3" symbol
#define NDXP_ABSL_CONST(symbol) "_ZNK4absl7debian3" symbol

// Await and LockWhen evaluate the caller's condition with the mutex held, but
// inside the library, by the waiting thread or by the one unlocking: each
// evaluation is told to TSan as a critical section of its own.
struct HeldCondition {
  const absl::Condition* condition;
  absl::Mutex* mu;
};

bool EvaluateHeld(HeldCondition* held) {
  __tsan_acquire(held->mu);
  const bool met = held->condition->Eval();
  __tsan_release(held->mu);
  return met;
}

// Runs the library's LockWhen or Await variant `wait`, which returns with the
// lock held whether the condition or the time limit ended the wait.
template <typename Result, typename... Limit>
Result WaitHolding(Result (*wait)(absl::Mutex*, const absl::Condition&, Limit...),
                   absl::Mutex* mu, const absl::Condition& condition, Limit... limit) {
  HeldCondition held{&condition, mu};
  if constexpr (std::is_void_v<Result>) {
    wait(mu, absl::Condition(&EvaluateHeld, &held), limit...);
    __tsan_acquire(mu);
  } else {
    const Result met = wait(mu, absl::Condition(&EvaluateHeld, &held), limit...);
    __tsan_acquire(mu);
    return met;
  }
}

__attribute__((constructor)) void WithoutAbseilDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static const auto lock = Library<void (*)(Mutex*)>(NDXP_ABSL("5Mutex4LockEv"));
  lock(this);
  __tsan_acquire(this);
}

void Mutex::ReaderLock() {
  static const auto lock = Library<void (*)(Mutex*)>(NDXP_ABSL("5Mutex10ReaderLockEv"));
  lock(this);
  __tsan_acquire(this);
}

bool Mutex::TryLock() {
  static const auto try_lock = Library<bool (*)(Mutex*)>(NDXP_ABSL("5Mutex7TryLockEv"));
  const bool held = try_lock(this);
  if (held) __tsan_acquire(this);
  return held;
}

bool Mutex::ReaderTryLock() {
  static const auto try_lock =
      Library<bool (*)(Mutex*)>(NDXP_ABSL("5Mutex13ReaderTryLockEv"));
  const bool held = try_lock(this);
  if (held) __tsan_acquire(this);
  return held;
}

void Mutex::Unlock() {
  static const auto unlock = Library<void (*)(Mutex*)>(NDXP_ABSL("5Mutex6UnlockEv"));
  __tsan_release(this);
  unlock(this);
}

void Mutex::ReaderUnlock() {
  static const auto unlock = Library<void (*)(Mutex*)>(NDXP_ABSL("5Mutex12ReaderUnlockEv"));
  __tsan_release(this);
  unlock(this);
}

void Mutex::LockWhen(const Condition& condition) {
  static const auto lock_when = Library<void (*)(Mutex*, const Condition&)>(
      NDXP_ABSL("5Mutex8LockWhenERKNS0_9ConditionE"));
  WaitHolding(lock_when, this, condition);
}

void Mutex::ReaderLockWhen(const Condition& condition) {
  static const auto lock_when = Library<void (*)(Mutex*, const Condition&)>(
      NDXP_ABSL("5Mutex14ReaderLockWhenERKNS0_9ConditionE"));
  WaitHolding(lock_when, this, condition);
}

bool Mutex::LockWhenWithTimeout(const Condition& condition, absl::Duration timeout) {
  static const auto lock_when = Library<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      NDXP_ABSL("5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  return WaitHolding(lock_when, this, condition, timeout);
}

bool Mutex::LockWhenWithDeadline(const Condition& condition, absl::Time deadline) {
  static const auto lock_when = Library<bool (*)(Mutex*, const Condition&, absl::Time)>(
      NDXP_ABSL("5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  return WaitHolding(lock_when, this, condition, deadline);
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& condition, absl::Duration timeout) {
  static const auto lock_when = Library<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      NDXP_ABSL("5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  return WaitHolding(lock_when, this, condition, timeout);
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& condition, absl::Time deadline) {
  static const auto lock_when = Library<bool (*)(Mutex*, const Condition&, absl::Time)>(
      NDXP_ABSL("5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  return WaitHolding(lock_when, this, condition, deadline);
}

// Await gives the lock up while it waits and holds it again when it returns.
void Mutex::Await(const Condition& condition) {
  static const auto await = Library<void (*)(Mutex*, const Condition&)>(
      NDXP_ABSL("5Mutex5AwaitERKNS0_9ConditionE"));
  __tsan_release(this);
  WaitHolding(await, this, condition);
}

bool Mutex::AwaitWithTimeout(const Condition& condition, absl::Duration timeout) {
  static const auto await = Library<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      NDXP_ABSL("5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  __tsan_release(this);
  return WaitHolding(await, this, condition, timeout);
}

bool Mutex::AwaitWithDeadline(const Condition& condition, absl::Time deadline) {
  static const auto await = Library<bool (*)(Mutex*, const Condition&, absl::Time)>(
      NDXP_ABSL("5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  __tsan_release(this);
  return WaitHolding(await, this, condition, deadline);
}

// A condition variable's wait gives up its mutex and holds it again.
void CondVar::Wait(Mutex* mu) {
  static const auto wait =
      Library<void (*)(CondVar*, Mutex*)>(NDXP_ABSL("7CondVar4WaitEPNS0_5MutexE"));
  __tsan_release(mu);
  wait(this, mu);
  __tsan_acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static const auto wait = Library<bool (*)(CondVar*, Mutex*, absl::Duration)>(
      NDXP_ABSL("7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE"));
  __tsan_release(mu);
  const bool timed_out = wait(this, mu, timeout);
  __tsan_acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static const auto wait = Library<bool (*)(CondVar*, Mutex*, absl::Time)>(
      NDXP_ABSL("7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE"));
  __tsan_release(mu);
  const bool timed_out = wait(this, mu, deadline);
  __tsan_acquire(mu);
  return timed_out;
}

// HasBeenNotified() is inline (instrumented in the caller) and loads
// notified_yet_ with acquire order: Notify releases at that address, which the
// library's uninstrumented store would not.
void Notification::Notify() {
  static const auto notify =
      Library<void (*)(Notification*)>(NDXP_ABSL("12Notification6NotifyEv"));
  __tsan_release(&notified_yet_);
  notify(this);
}

void Notification::WaitForNotification() const {
  static const auto wait = Library<void (*)(const Notification*)>(
      NDXP_ABSL_CONST("12Notification19WaitForNotificationEv"));
  wait(this);
  __tsan_acquire(const_cast<std::atomic<bool>*>(&notified_yet_));
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  static const auto wait = Library<bool (*)(const Notification*, absl::Duration)>(
      NDXP_ABSL_CONST("12Notification30WaitForNotificationWithTimeoutENS0_8DurationE"));
  const bool notified = wait(this, timeout);
  if (notified) __tsan_acquire(const_cast<std::atomic<bool>*>(&notified_yet_));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static const auto wait = Library<bool (*)(const Notification*, absl::Time)>(
      NDXP_ABSL_CONST("12Notification31WaitForNotificationWithDeadlineENS0_4TimeE"));
  const bool notified = wait(this, deadline);
  if (notified) __tsan_acquire(const_cast<std::atomic<bool>*>(&notified_yet_));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
