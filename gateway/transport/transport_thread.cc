#include "gateway/transport/transport_thread.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "gateway/transport/downstream.h"
#include "gateway/transport/forwarded_stream.h"
#include "gateway/transport/h1_downstream.h"
#include "gateway/transport/health_checker.h"
#include "gateway/transport/tls_connection.h"
#include "gateway/transport/upstream.h"

namespace ndxp::gateway::transport {
namespace {

// How often endpoints that failed are tried again in the background (how
// long one is left out after failing: ConnectorPool::Options).
constexpr double kEndpointCheckSeconds = 1.0;

ConnectorPool::Options PoolOptions(const TransportShared& shared) {
  ConnectorPool::Options options;
  options.max_pending_per_connection = shared.max_pending_per_upstream;
  return options;
}

}  // namespace

TransportThread::TransportThread(int index, int listen_fd, const TransportShared* shared,
               std::shared_ptr<const HubContext> context)
    : index_(index),
      listen_fd_(listen_fd),
      shared_(shared),
      loop_(ev_loop_new(EVFLAG_AUTO)),
      context_(std::move(context)),
      pool_(this, shared->health, PoolOptions(*shared)) {
  ev_io_init(&accept_watcher_, &TransportThread::OnAccept, listen_fd_, EV_READ);
  accept_watcher_.data = this;
  ev_async_init(&async_, &TransportThread::OnAsync);
  async_.data = this;
  ev_prepare_init(&prepare_, &TransportThread::OnPrepare);
  prepare_.data = this;
  ev_idle_init(&ready_idle_, &TransportThread::OnReadyIdle);
  ready_idle_.data = this;
  ev_timer_init(&drain_timer_, &TransportThread::OnDrainTimer, 0., 0.);
  drain_timer_.data = this;
  ev_timer_init(&accept_pause_, &TransportThread::OnAcceptPause, 0., 0.);
  accept_pause_.data = this;
  ev_timer_init(&endpoint_check_, &TransportThread::OnEndpointCheck, kEndpointCheckSeconds,
                kEndpointCheckSeconds);
  endpoint_check_.data = this;
  health_checker_ = std::make_unique<HealthChecker>(this);
}

TransportThread::~TransportThread() {
  if (thread_.joinable()) Stop(absl::Now());
  health_checker_.reset();  // its timers are on the loop
  ev_loop_destroy(loop_);
  ::close(listen_fd_);
}

void TransportThread::Start() {
  ev_io_start(loop_, &accept_watcher_);
  accepting_ = true;
  ev_async_start(loop_, &async_);
  ev_prepare_start(loop_, &prepare_);
  ev_timer_start(loop_, &endpoint_check_);
  health_checker_->SetRoutes(*context_->routes);
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

void TransportThread::OnCommitted(const absl::Status& status,
                                  std::vector<CommittedRecord> records) {
  Post([this, status, records = std::move(records)] {
    for (const CommittedRecord& record : records) {
      if (ForwardedStream* stream = Find(record.tag)) stream->OnRecorded(status, record.row);
    }
  });
}

void TransportThread::SetContext(std::shared_ptr<const HubContext> context) {
  Post([this, context = std::move(context)]() mutable {
    context_ = std::move(context);
    health_checker_->SetRoutes(*context_->routes);
  });
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
    if (CallerCount() >= shared_->max_connections_per_thread) {
      PauseAccepting(0);  // until a connection closes
      return;
    }
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof(peer);
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
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
    auto* downstream = Downstream::Accept(this, fd, peer);
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
    for (H1Downstream* caller : http1_callers_) caller->Recheck(*material, now);
  });
}

void TransportThread::OnPrepare(struct ev_loop*, ev_prepare* watcher, int) {
  auto* self = static_cast<TransportThread*>(watcher->data);
  // The next turn of each connection whose last one ended with bytes left,
  // once per iteration: between two of its turns every other connection
  // with bytes to read has had one (its I/O event) too. A connection that
  // uses up this turn as well is back on the list for the next iteration.
  if (!self->ready_.empty()) {
    std::vector<TlsConnection*> turns;
    turns.swap(self->ready_);
    for (TlsConnection* connection : turns) connection->Resume();
  }
  if (self->ready_.empty()) {
    ev_idle_stop(self->loop_, &self->ready_idle_);
  } else {
    ev_idle_start(self->loop_, &self->ready_idle_);
  }
  // Flushing may schedule more (a stream's data freeing another's window).
  while (!self->to_flush_.empty()) {
    std::vector<TlsConnection*> batch;
    batch.swap(self->to_flush_);
    for (TlsConnection* connection : batch) connection->Flush();
  }
  std::vector<TlsConnection*> dead;
  dead.swap(self->to_delete_);
  for (TlsConnection* connection : dead) delete connection;
  if (self->draining_) self->MaybeFinishDrain();
}

void TransportThread::OnReadyIdle(struct ev_loop*, ev_idle*, int) {
  // Nothing: while this watcher is active the loop does not wait in its
  // poll, and the next OnPrepare gives the turns due.
}

void TransportThread::ScheduleFlush(TlsConnection* connection) { to_flush_.push_back(connection); }

void TransportThread::ResumeLater(TlsConnection* connection) {
  ready_.push_back(connection);
  ev_idle_start(loop_, &ready_idle_);
}

void TransportThread::DeleteLater(TlsConnection* connection) {
  // A closed connection must not be flushed, nor resumed, after it is deleted.
  to_flush_.erase(std::remove(to_flush_.begin(), to_flush_.end(), connection), to_flush_.end());
  ready_.erase(std::remove(ready_.begin(), ready_.end(), connection), ready_.end());
  to_delete_.push_back(connection);
}

Upstream* TransportThread::UpstreamFor(const ServiceRoute& service, NoUpstream* why) {
  ConnectorPool::Choice choice = pool_.Choose(service, ev_now(loop_));
  if (choice.connection == nullptr) {
    *why = choice.why;
    return nullptr;
  }
  return static_cast<Upstream*>(choice.connection);  // Open makes nothing else
}

PooledConnection* TransportThread::Open(const std::string& key, const PoolEndpoint& endpoint) {
  Upstream* upstream =
      Upstream::Connect(this, endpoint.provider, endpoint.peer_hub, endpoint.address, key);
  if (upstream == nullptr) {
    EndpointFailed(key);
    return nullptr;
  }
  upstreams_.insert(upstream);
  // May fail at once: its close reports the failure and unregisters it.
  upstream->Begin();
  return upstream->closed() ? nullptr : upstream;
}

void TransportThread::EndpointAnswered(const std::string& key) { pool_.Answered(key); }

void TransportThread::EndpointFailed(const std::string& key) { pool_.Failed(key, ev_now(loop_)); }

void TransportThread::OnEndpointCheck(struct ev_loop*, ev_timer* watcher, int) {
  static_cast<TransportThread*>(watcher->data)->CheckFailedEndpoints();
}

void TransportThread::CheckFailedEndpoints() {
  // An endpoint left out is connected to again once its time is up, before
  // a call has to: a connection that completes its handshake brings it back.
  if (draining_) return;
  pool_.ReconnectDue(ev_now(loop_));
}

void TransportThread::ForgetUpstream(Upstream* upstream) { pool_.Forget(upstream->key(), upstream); }

void TransportThread::UpstreamClosed(Upstream* upstream) {
  ForgetUpstream(upstream);
  upstreams_.erase(upstream);
}

void TransportThread::ForgetDownstream(Downstream* downstream) {
  downstreams_.erase(downstream);
  MaybeResumeAccepting();
}

void TransportThread::AdoptHttp1Caller(int fd, SSL* ssl, const sockaddr_storage& peer,
                                       std::shared_ptr<const TlsMaterial> material) {
  auto* caller = new H1Downstream(this, fd, ssl, peer, std::move(material));
  http1_callers_.insert(caller);
  caller->Begin();
}

void TransportThread::ForgetHttp1Caller(H1Downstream* caller) {
  http1_callers_.erase(caller);
  MaybeResumeAccepting();
}

void TransportThread::MaybeResumeAccepting() {
  if (!accepting_ && !draining_ && !ev_is_active(&accept_pause_) &&
      CallerCount() < shared_->max_connections_per_thread) {
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

ForwardedStream* TransportThread::HeaviestNotReading(ev_tstamp now) {
  if (now == last_unread_scan_) return nullptr;  // found none this iteration
  ForwardedStream* heaviest = nullptr;
  for (const auto& [serial, stream] : streams_) {
    if (stream->NotReading(now) &&
        (heaviest == nullptr ||
         stream->held_response_bytes() > heaviest->held_response_bytes())) {
      heaviest = stream;
    }
  }
  if (heaviest == nullptr) last_unread_scan_ = now;
  return heaviest;
}

void TransportThread::BeginDrain(absl::Time deadline) {
  draining_ = true;
  accepting_ = false;
  ev_io_stop(loop_, &accept_watcher_);
  ev_timer_stop(loop_, &accept_pause_);
  ev_timer_stop(loop_, &endpoint_check_);
  health_checker_->Stop();
  // A connection still in its handshake closes at once, leaving the set.
  std::vector<Downstream*> open(downstreams_.begin(), downstreams_.end());
  for (Downstream* downstream : open) downstream->BeginDrain();
  std::vector<H1Downstream*> http1(http1_callers_.begin(), http1_callers_.end());
  for (H1Downstream* caller : http1) caller->BeginDrain();
  double seconds = absl::ToDoubleSeconds(deadline - absl::Now());
  ev_timer_set(&drain_timer_, seconds > 0 ? seconds : 0., 0.);
  ev_timer_start(loop_, &drain_timer_);
  MaybeFinishDrain();
}

void TransportThread::MaybeFinishDrain() {
  if (stopped_ || CallerCount() != 0 || !to_delete_.empty()) return;
  stopped_ = true;
  // Connections to connectors carry no caller's call any more: every one
  // closes, one told GOAWAY that its connector has not closed yet included.
  std::vector<Upstream*> upstreams(upstreams_.begin(), upstreams_.end());
  for (Upstream* upstream : upstreams) upstream->Close();
  for (TlsConnection* connection : to_delete_) delete connection;
  to_delete_.clear();
  ev_timer_stop(loop_, &drain_timer_);
  ev_break(loop_, EVBREAK_ALL);
}

void TransportThread::OnDrainTimer(struct ev_loop*, ev_timer* watcher, int) {
  auto* self = static_cast<TransportThread*>(watcher->data);
  // The grace period is over: what is still open is cut.
  std::vector<Downstream*> open(self->downstreams_.begin(), self->downstreams_.end());
  for (Downstream* downstream : open) downstream->Close();
  std::vector<H1Downstream*> http1(self->http1_callers_.begin(), self->http1_callers_.end());
  for (H1Downstream* caller : http1) caller->Close();
  self->MaybeFinishDrain();
}

}  // namespace ndxp::gateway::transport
