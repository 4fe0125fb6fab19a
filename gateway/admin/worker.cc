#include "gateway/admin/worker.h"

namespace ndxp::gateway {

Worker::Worker() : thread_([this] { Loop(); }) {}

Worker::~Worker() { Stop(); }

void Worker::Run(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
}

void Worker::Loop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Worker* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return !w->tasks_.empty() || w->stopping_;
          },
          this));
      if (tasks_.empty()) return;  // stopping, nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void Worker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace ndxp::gateway
