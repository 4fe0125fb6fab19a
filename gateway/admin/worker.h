// One thread that runs blocking work (database queries of the hub's own
// services) off the proxy's completion-queue threads, which must never wait.
#ifndef NDXP_GATEWAY_ADMIN_WORKER_H_
#define NDXP_GATEWAY_ADMIN_WORKER_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace ndxp::gateway {

// Thread-safe. Tasks run one at a time, in order.
class Worker {
 public:
  Worker();
  ~Worker();  // Stop()

  void Run(std::function<void()> task);
  // Runs the tasks already queued, then joins the thread. Run must not be
  // called after Stop.
  void Stop();

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMIN_WORKER_H_
