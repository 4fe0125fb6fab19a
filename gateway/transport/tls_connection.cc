#include "gateway/transport/tls_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <openssl/err.h>

#include "gateway/transport/transport_thread.h"

namespace ndxp::gateway::transport {
namespace {

// What one read takes from the socket (or from OpenSSL) at most.
constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

TlsConnection::TlsConnection(TransportThread* thread, int fd, SSL* ssl)
    : thread_(thread),
      fd_(fd),
      ssl_(ssl),
      handshaking_(ssl != nullptr),
      turn_bytes_(thread->shared().turn_bytes),
      assertion_mac_key_(ssl) {
  ev_io_init(&io_, &TlsConnection::OnIo, fd_, EV_READ);
  io_.data = this;
  ev_io_start(thread_->loop(), &io_);
  ev_timer_init(&timer_, &TlsConnection::OnTimerEvent, 0., 0.);
  timer_.data = this;
}

TlsConnection::~TlsConnection() {
  ev_io_stop(thread_->loop(), &io_);
  ev_timer_stop(thread_->loop(), &timer_);
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

TlsConnection::Socket TlsConnection::ReleaseSocket() {
  ev_io_stop(thread_->loop(), &io_);
  ev_timer_stop(thread_->loop(), &timer_);
  Socket socket{fd_, ssl_};
  fd_ = -1;
  ssl_ = nullptr;
  return socket;
}

void TlsConnection::ArmTimer(double seconds) {
  if (lingering_) return;  // the linger's deadline stands
  ev_timer_stop(thread_->loop(), &timer_);
  if (seconds > 0) {
    ev_timer_set(&timer_, seconds, 0.);
    ev_timer_start(thread_->loop(), &timer_);
  }
}

void TlsConnection::OnTimerEvent(struct ev_loop*, ev_timer* watcher, int) {
  auto* self = static_cast<TlsConnection*>(watcher->data);
  if (self->closed_) return;
  if (self->lingering_) {
    self->Close();
    return;
  }
  self->OnTimer();
}

void TlsConnection::CloseAfterLinger() {
  if (closed_ || lingering_) return;
  // Closing a socket with unread bytes in it sends a TCP reset, which may
  // destroy the last answer (a GOAWAY, a 400) on its way and leave the peer
  // not knowing why. So the hub keeps reading (and dropping) what comes
  // until the peer closes, or for a second at most.
  ArmTimer(kLingerSeconds);
  lingering_ = true;
  if (reading_paused_) {
    reading_paused_ = false;  // the linger reads, to drop
    UpdateWatcher();
    QueueTurn();
  }
}

void TlsConnection::OnIo(struct ev_loop*, ev_io* watcher, int events) {
  auto* self = static_cast<TlsConnection*>(watcher->data);
  if (self->closed_) return;
  if (self->handshake_failed_) {
    self->DrainAfterFailedHandshake();
    return;
  }
  if (self->handshaking_) {
    self->Handshake();
    return;
  }
  if ((events & EV_WRITE) != 0 && !self->WritePending()) return;
  // A connection waiting for its next turn gets it from the thread's ready
  // list, not here as well: one turn per loop iteration.
  if ((events & EV_READ) != 0 && !self->resume_queued_) self->ReadTurn();
  if (!self->closed_) self->Flush();
}

void TlsConnection::WatchWrites(bool on) {
  if (on == writing_watched_) return;
  writing_watched_ = on;
  UpdateWatcher();
}

void TlsConnection::UpdateWatcher() {
  ev_io_stop(thread_->loop(), &io_);
  const int events = (reading_paused_ ? 0 : EV_READ) | (writing_watched_ ? EV_WRITE : 0);
  if (events == 0) return;
  ev_io_set(&io_, fd_, events);
  ev_io_start(thread_->loop(), &io_);
}

void TlsConnection::PauseReading() {
  if (reading_paused_ || lingering_ || closed_) return;
  reading_paused_ = true;
  UpdateWatcher();
}

void TlsConnection::ResumeReading() {
  if (!reading_paused_ || closed_) return;
  reading_paused_ = false;
  UpdateWatcher();
  // Held bytes, or bytes OpenSSL decrypted already, wake no watcher.
  QueueTurn();
}

void TlsConnection::Begin() {
  if (ssl_ != nullptr) {
    Handshake();
    return;
  }
  if (!StartProtocol()) {
    Close();
    return;
  }
  started_ = true;
  Flush();
}

void TlsConnection::Handshake() {
  ERR_clear_error();
  int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    handshaking_ = false;
    WatchWrites(false);
    if (!StartProtocol()) {
      Close();
      return;
    }
    started_ = true;
    ReadTurn();  // TLS may already hold the peer's first bytes
    if (!closed_) Flush();
    return;
  }
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      WatchWrites(false);
      return;
    case SSL_ERROR_WANT_WRITE:
      WatchWrites(true);
      return;
    default:
      OnHandshakeFailed();
      if (!LingerAfterFailedHandshake()) {
        Close();
        return;
      }
      // OpenSSL has written the alert that names the reason (certificate
      // required, revoked, expired, unknown CA). Closing now, with the
      // client's bytes unread, sends a TCP reset that can destroy the alert
      // on its way: a TLS 1.3 client reads it only after its first write, and
      // saw "broken pipe" instead. So: end our side, read and drop what comes
      // until the client closes, for a second at most (as CloseAfterLinger).
      ::shutdown(fd_, SHUT_WR);
      WatchWrites(false);
      ArmTimer(kLingerSeconds);
      lingering_ = true;
      handshake_failed_ = true;
  }
}

void TlsConnection::DrainAfterFailedHandshake() {
  // A turn's worth at most: a client writing at line rate meanwhile gets no
  // more of the loop than any other connection (the watcher calls again).
  char buffer[4096];
  for (size_t drained = 0; drained < turn_bytes_;) {
    ssize_t n = ::read(fd_, buffer, sizeof(buffer));
    if (n > 0) {
      drained += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Close();  // the client closed, or the socket failed
    return;
  }
}

void TlsConnection::ReadTurn() {
  if (reading_paused_) return;  // ResumeReading() queues the next turn
  BeginTurn();
  if (!held_.empty()) {  // what the last turn read and did not get to
    std::string held = std::move(held_);
    held_.clear();
    size_t used = Consume(reinterpret_cast<const uint8_t*>(held.data()), held.size());
    if (closed_) return;
    if (used < held.size()) {
      held_ = held.substr(used);
      if (!reading_paused_) Yield();
      return;
    }
  }
  uint8_t buffer[kReadChunk];
  if (ssl_ != nullptr) ERR_clear_error();  // SSL_get_error reads this thread's queue
  size_t bytes = 0;
  while (!closed_ && !reading_paused_) {
    if (bytes >= turn_bytes_) {
      Yield();  // more may wait in the kernel or in OpenSSL: the next turn reads it
      return;
    }
    ssize_t n;
    if (ssl_ != nullptr) {
      int result = SSL_read(ssl_, buffer, sizeof(buffer));
      if (result <= 0) {
        int error = SSL_get_error(ssl_, result);
        if (error == SSL_ERROR_WANT_READ) return;
        if (error == SSL_ERROR_WANT_WRITE) {
          WatchWrites(true);
          return;
        }
        Close();  // peer closed (close_notify or EOF) or a TLS error
        return;
      }
      n = result;
    } else {
      n = ::read(fd_, buffer, sizeof(buffer));
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        Close();
        return;
      }
    }
    bytes += static_cast<size_t>(n);
    if (lingering_) continue;  // read only to drop
    size_t used = Consume(buffer, static_cast<size_t>(n));
    if (closed_) return;
    if (used < static_cast<size_t>(n)) {
      held_.assign(reinterpret_cast<const char*>(buffer) + used, static_cast<size_t>(n) - used);
      // A paused protocol gets its bytes back when it resumes reading.
      if (!reading_paused_) Yield();
      return;
    }
  }
}

void TlsConnection::Yield() {
  if (resume_queued_ || closed_) return;
  if (HubStats* stats = thread_->context()->stats) {
    stats->connection_limits[Index(ConnectionLimit::kReadBudget)].fetch_add(
        1, std::memory_order_relaxed);
  }
  QueueTurn();
}

void TlsConnection::QueueTurn() {
  if (resume_queued_ || closed_) return;
  resume_queued_ = true;
  thread_->ResumeLater(this);
}

void TlsConnection::Resume() {
  resume_queued_ = false;
  if (closed_ || handshaking_) return;
  ReadTurn();
  if (!closed_) ScheduleFlush();
}

void TlsConnection::ScheduleFlush() {
  if (flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  thread_->ScheduleFlush(this);
}

void TlsConnection::Flush() {
  flush_scheduled_ = false;
  if (closed_ || handshaking_ || !started_) return;
  for (;;) {
    if (!ProduceOutput()) return;
    if (out_offset_ == out_.size()) break;
    if (!WritePending()) return;
    if (out_offset_ != out_.size()) return;  // the socket is full: EV_WRITE resumes
  }
  OnOutputFlushed();
}

bool TlsConnection::WritePending() {
  while (out_offset_ < out_.size()) {
    const char* data = out_.data() + out_offset_;
    size_t size = out_.size() - out_offset_;
    ssize_t n;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int result = SSL_write(ssl_, data, static_cast<int>(size));
      if (result <= 0) {
        int error = SSL_get_error(ssl_, result);
        if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) {
          WatchWrites(true);
          return true;
        }
        Close();
        return false;
      }
      n = result;
    } else {
      n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        WatchWrites(true);
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Close();
        return false;
      }
    }
    out_offset_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_offset_ = 0;
  WatchWrites(false);
  return true;
}

void TlsConnection::Close() {
  if (closed_) return;
  closed_ = true;
  // What failed here must not be read as another connection's error: the
  // queue is per thread, and SSL_get_error consults it (a connector's
  // handshake failing inside a caller's read made that caller's next
  // SSL_read look failed, and its connection was closed).
  if (ssl_ != nullptr) ERR_clear_error();
  ev_io_stop(thread_->loop(), &io_);
  ev_timer_stop(thread_->loop(), &timer_);
  OnClosed();
  thread_->DeleteLater(this);
}

}  // namespace ndxp::gateway::transport
