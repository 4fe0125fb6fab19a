#include "gateway/transport/transport_thread.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "gateway/transport/downstream.h"
#include "gateway/transport/upstream.h"

namespace ndxp::gateway::transport {

TransportThread::TransportThread(int index, int listen_fd, const TransportShared* shared,
               std::shared_ptr<const HubContext> context)
    : index_(index),
      listen_fd_(listen_fd),
      shared_(shared),
      loop_(ev_loop_new(EVFLAG_AUTO)),
      context_(std::move(context)) {
  ev_io_init(&accept_watcher_, &TransportThread::OnAccept, listen_fd_, EV_READ);
  accept_watcher_.data = this;
  ev_async_init(&async_, &TransportThread::OnAsync);
  async_.data = this;
  ev_prepare_init(&prepare_, &TransportThread::OnPrepare);
  prepare_.data = this;
  ev_timer_init(&drain_timer_, &TransportThread::OnDrainTimer, 0., 0.);
  drain_timer_.data = this;
  ev_timer_init(&accept_pause_, &TransportThread::OnAcceptPause, 0., 0.);
  accept_pause_.data = this;
}

TransportThread::~TransportThread() {
  if (thread_.joinable()) Stop(absl::Now());
  ev_loop_destroy(loop_);
  ::close(listen_fd_);
}

void TransportThread::Start() {
  ev_io_start(loop_, &accept_watcher_);
  accepting_ = true;
  ev_async_start(loop_, &async_);
  ev_prepare_start(loop_, &prepare_);
  thread_ = std::thread([this] { ev_run(loop_, 0); });
}

void TransportThread::Stop(absl::Time deadline) {
  if (!thread_.joinable()) return;
  Post([this, deadline] { BeginDrain(deadline); });
  thread_.join();
}

void TransportThread::Post(std::function<void()> task) {
  {
    absl::MutexLock lock(&mu_);
    posted_.push_back(std::move(task));
  }
  ev_async_send(loop_, &async_);
}

void TransportThread::SetContext(std::shared_ptr<const HubContext> context) {
  Post([this, context = std::move(context)]() mutable { context_ = std::move(context); });
}

void TransportThread::OnAsync(struct ev_loop*, ev_async* watcher, int) {
  static_cast<TransportThread*>(watcher->data)->RunPosted();
}

void TransportThread::RunPosted() {
  std::vector<std::function<void()>> tasks;
  {
    absl::MutexLock lock(&mu_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task();
}

void TransportThread::OnAccept(struct ev_loop*, ev_io* watcher, int) {
  static_cast<TransportThread*>(watcher->data)->Accept();
}

void TransportThread::Accept() {
  for (int i = 0; i < 64; ++i) {  // a burst at a time: other connections get turns
    if (downstreams_.size() >= shared_->max_connections_per_thread) {
      PauseAccepting(0);  // until a connection closes
      return;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors: the pending connection stays queued and the
      // listener would fire at once again; wait a little instead of spinning.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        PauseAccepting(0.1);
      }
      return;
    }
    // Answers go out as soon as they are complete: trailers released after a
    // durable commit must not wait for the caller's delayed ACK (Nagle).
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto* downstream = Downstream::Accept(this, fd);
    if (downstream == nullptr) continue;
    downstreams_.insert(downstream);
    downstream->Begin();
  }
}

void TransportThread::PauseAccepting(double seconds) {
  if (!accepting_) return;
  accepting_ = false;
  ev_io_stop(loop_, &accept_watcher_);
  if (seconds > 0) {
    ev_timer_set(&accept_pause_, seconds, 0.);
    ev_timer_start(loop_, &accept_pause_);
  }
}

void TransportThread::OnAcceptPause(struct ev_loop*, ev_timer* watcher, int) {
  auto* self = static_cast<TransportThread*>(watcher->data);
  if (self->accepting_ || self->draining_) return;
  self->accepting_ = true;
  ev_io_start(self->loop_, &self->accept_watcher_);
}

void TransportThread::Recheck(std::shared_ptr<const TlsMaterial> material) {
  Post([this, material = std::move(material)] {
    absl::Time now = absl::Now();
    for (Downstream* downstream : downstreams_) downstream->Recheck(*material, now);
  });
}

void TransportThread::OnPrepare(struct ev_loop*, ev_prepare* watcher, int) {
  auto* self = static_cast<TransportThread*>(watcher->data);
  // Flushing may schedule more (a stream's data freeing another's window).
  while (!self->to_flush_.empty()) {
    std::vector<H2Connection*> batch;
    batch.swap(self->to_flush_);
    for (H2Connection* connection : batch) connection->Flush();
  }
  std::vector<H2Connection*> dead;
  dead.swap(self->to_delete_);
  for (H2Connection* connection : dead) delete connection;
  if (self->draining_) self->MaybeFinishDrain();
}

void TransportThread::ScheduleFlush(H2Connection* connection) { to_flush_.push_back(connection); }

void TransportThread::DeleteLater(H2Connection* connection) {
  // A closed connection must not be flushed after it is deleted.
  for (auto& pending : to_flush_) {
    if (pending == connection) pending = nullptr;
  }
  to_flush_.erase(std::remove(to_flush_.begin(), to_flush_.end(), nullptr), to_flush_.end());
  to_delete_.push_back(connection);
}

Upstream* TransportThread::UpstreamFor(const ServiceRoute& service) {
  std::string key = service.provider + "@" + service.endpoint;
  auto it = upstreams_.find(key);
  if (it != upstreams_.end() && it->second->accepts_streams()) return it->second;
  Upstream* upstream = Upstream::Connect(this, service, key);
  if (upstream == nullptr) return nullptr;
  upstreams_[key] = upstream;
  upstream->Begin();  // may fail at once: then it is forgotten again
  return upstream->closed() ? nullptr : upstream;
}

void TransportThread::ForgetUpstream(Upstream* upstream) {
  auto it = upstreams_.find(upstream->key());
  if (it != upstreams_.end() && it->second == upstream) upstreams_.erase(it);
}

void TransportThread::ForgetDownstream(Downstream* downstream) {
  downstreams_.erase(downstream);
  if (!accepting_ && !draining_ && !ev_is_active(&accept_pause_) &&
      downstreams_.size() < shared_->max_connections_per_thread) {
    accepting_ = true;
    ev_io_start(loop_, &accept_watcher_);
  }
}

uint64_t TransportThread::Register(ForwardedStream* stream) {
  uint64_t serial = next_serial_++;
  streams_[serial] = stream;
  return serial;
}

void TransportThread::Unregister(uint64_t serial) { streams_.erase(serial); }

ForwardedStream* TransportThread::Find(uint64_t serial) const {
  auto it = streams_.find(serial);
  return it == streams_.end() ? nullptr : it->second;
}

void TransportThread::BeginDrain(absl::Time deadline) {
  draining_ = true;
  accepting_ = false;
  ev_io_stop(loop_, &accept_watcher_);
  ev_timer_stop(loop_, &accept_pause_);
  for (Downstream* downstream : downstreams_) downstream->BeginDrain();
  double seconds = absl::ToDoubleSeconds(deadline - absl::Now());
  ev_timer_set(&drain_timer_, seconds > 0 ? seconds : 0., 0.);
  ev_timer_start(loop_, &drain_timer_);
  MaybeFinishDrain();
}

void TransportThread::MaybeFinishDrain() {
  if (stopped_ || !downstreams_.empty() || !to_delete_.empty()) return;
  stopped_ = true;
  // Connections to connectors carry no caller's call any more.
  std::vector<Upstream*> upstreams;
  for (auto& [key, upstream] : upstreams_) upstreams.push_back(upstream);
  for (Upstream* upstream : upstreams) upstream->Close();
  for (H2Connection* connection : to_delete_) delete connection;
  to_delete_.clear();
  ev_timer_stop(loop_, &drain_timer_);
  ev_break(loop_, EVBREAK_ALL);
}

void TransportThread::OnDrainTimer(struct ev_loop*, ev_timer* watcher, int) {
  auto* self = static_cast<TransportThread*>(watcher->data);
  // The grace period is over: what is still open is cut.
  std::vector<Downstream*> open(self->downstreams_.begin(), self->downstreams_.end());
  for (Downstream* downstream : open) downstream->Close();
  self->MaybeFinishDrain();
}

}  // namespace ndxp::gateway::transport
