#include "gateway/transport/h2_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <openssl/err.h>

#include "gateway/transport/transport_thread.h"

namespace ndxp::gateway::transport {
namespace {

// Stop asking nghttp2 for more once this much waits for the socket: the
// session keeps the rest queued (and its peers' windows stay closed).
constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

H2Connection::H2Connection(TransportThread* thread, int fd, SSL* ssl)
    : thread_(thread),
      fd_(fd),
      ssl_(ssl),
      handshaking_(ssl != nullptr),
      turn_bytes_(thread->shared().turn_bytes),
      turn_frames_(thread->shared().turn_frames) {
  ev_io_init(&io_, &H2Connection::OnIo, fd_, EV_READ);
  io_.data = this;
  ev_io_start(thread_->loop(), &io_);
  ev_timer_init(&timer_, &H2Connection::OnTimerEvent, 0., 0.);
  timer_.data = this;
}

H2Connection::~H2Connection() {
  ev_io_stop(thread_->loop(), &io_);
  ev_timer_stop(thread_->loop(), &timer_);
  if (session_ != nullptr) nghttp2_session_del(session_);
  if (ssl_ != nullptr) SSL_free(ssl_);
  ::close(fd_);
}

void H2Connection::ArmTimer(double seconds) {
  if (lingering_) return;  // the linger's deadline stands
  ev_timer_stop(thread_->loop(), &timer_);
  if (seconds > 0) {
    ev_timer_set(&timer_, seconds, 0.);
    ev_timer_start(thread_->loop(), &timer_);
  }
}

void H2Connection::OnTimerEvent(struct ev_loop*, ev_timer* watcher, int) {
  auto* self = static_cast<H2Connection*>(watcher->data);
  if (self->closed_) return;
  if (self->lingering_) {
    self->Close();
    return;
  }
  self->OnTimer();
}

void H2Connection::CloseAfterLinger() {
  if (closed_ || lingering_) return;
  // Closing a socket with unread bytes in it sends a TCP reset, which may
  // destroy the GOAWAY on its way and leave the peer not knowing why. So the
  // hub keeps reading (and dropping) what comes until the peer closes, or
  // for a second at most.
  ArmTimer(kLingerSeconds);
  lingering_ = true;
}

void H2Connection::OnIo(struct ev_loop*, ev_io* watcher, int events) {
  auto* self = static_cast<H2Connection*>(watcher->data);
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

void H2Connection::WatchWrites(bool on) {
  if (on == writing_watched_) return;
  writing_watched_ = on;
  ev_io_stop(thread_->loop(), &io_);
  ev_io_set(&io_, fd_, on ? EV_READ | EV_WRITE : EV_READ);
  ev_io_start(thread_->loop(), &io_);
}

void H2Connection::Begin() {
  if (ssl_ != nullptr) {
    Handshake();
    return;
  }
  if (!StartSession()) {
    Close();
    return;
  }
  Flush();
}

bool H2Connection::StartSession() {
  if (!OnHandshakeDone()) return false;
  // A server's peer starts with the client preface, a client's with a frame.
  splitter_ = FrameSplitter(nghttp2_session_check_server_session(session_) != 0
                                ? kClientPrefaceBytes
                                : 0);
  return true;
}

void H2Connection::Handshake() {
  ERR_clear_error();
  int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    handshaking_ = false;
    WatchWrites(false);
    if (!StartSession()) {
      Close();
      return;
    }
    ReadTurn();  // TLS may already hold the peer's first frames
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

void H2Connection::DrainAfterFailedHandshake() {
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

void H2Connection::ReadTurn() {
  uint32_t frames_left = turn_frames_;
  if (!held_.empty()) {  // what the last turn read and did not get to
    std::string held = std::move(held_);
    held_.clear();
    size_t used = Consume(reinterpret_cast<const uint8_t*>(held.data()), held.size(), &frames_left);
    if (closed_) return;
    if (used < held.size()) {
      held_ = held.substr(used);
      Yield();
      return;
    }
  }
  uint8_t buffer[kReadChunk];
  if (ssl_ != nullptr) ERR_clear_error();  // SSL_get_error reads this thread's queue
  size_t bytes = 0;
  while (!closed_) {
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
    if (lingering_) continue;  // after GOAWAY: read only to drop
    size_t used = Consume(buffer, static_cast<size_t>(n), &frames_left);
    if (closed_) return;
    if (used < static_cast<size_t>(n)) {
      held_.assign(reinterpret_cast<const char*>(buffer) + used, static_cast<size_t>(n) - used);
      Yield();
      return;
    }
  }
}

void H2Connection::Yield() {
  if (resume_queued_ || closed_) return;
  resume_queued_ = true;
  if (HubStats* stats = thread_->context()->stats) {
    stats->connection_limits[Index(ConnectionLimit::kReadBudget)].fetch_add(
        1, std::memory_order_relaxed);
  }
  thread_->ResumeLater(this);
}

void H2Connection::Resume() {
  resume_queued_ = false;
  if (closed_ || handshaking_) return;
  ReadTurn();
  if (!closed_) ScheduleFlush();
}

size_t H2Connection::Consume(const uint8_t* data, size_t length, uint32_t* frames_left) {
  size_t pos = 0, run = 0;  // data[run, pos) goes to the session next
  while (pos < length) {
    if (size_t skip = std::min(splitter_.payload_left(), length - pos); skip > 0) {
      splitter_.SkipPayload(skip);
      pos += skip;
      continue;
    }
    const size_t need = splitter_.header_bytes_needed();
    if (length - pos < need) {
      // A read cut the header: the session gets it whole, with the next
      // read (nghttp2 1.52 counts a CONTINUATION each time a read starts
      // in its header, and fails the session on the 9th).
      splitter_.HoldHeaderBytes(data + pos, length - pos);
      Deliver(data + run, pos - run);
      return length;
    }
    if (*frames_left == 0) {  // the turn is over before this frame
      return Deliver(data + run, pos - run) ? pos : length;
    }
    --*frames_left;
    const bool held = splitter_.header_bytes() > 0;
    const FrameHeader header = splitter_.CompleteHeader(data + pos);
    // The frames before it reach the session first, so that the frame is
    // judged on its stream as it stands.
    if (!Deliver(data + run, pos - run)) return length;
    if (!OnFrameHeader(header)) {  // a limit fired: the session has ended
      Flush();
      CloseAfterLinger();
      return length;
    }
    if (held) {
      if (!Deliver(splitter_.header_data(), FrameSplitter::kHeaderBytes)) return length;
      run = pos + need;
    } else {
      run = pos;
    }
    pos += need;
  }
  Deliver(data + run, pos - run);
  return length;
}

bool H2Connection::Deliver(const uint8_t* data, size_t length) {
  if (!Feeding()) return false;
  if (length > 0) {
    ssize_t used = nghttp2_session_mem_recv(session_, data, length);
    if (used < 0) {
      FailSession(static_cast<int>(used));
      return false;
    }
    // A connection error nghttp2 found itself (a malformed frame) is not
    // negative: it has queued GOAWAY and ignores the rest; Flush() sends it
    // and closes once it is out.
  }
  if (ending_) {  // a callback ended the session (rapid reset)
    Flush();
    CloseAfterLinger();
    return false;
  }
  return true;
}

void H2Connection::EndSession(uint32_t error_code) {
  if (session_ == nullptr || ending_ || session_failed_) return;
  ending_ = true;
  nghttp2_session_terminate_session(session_, error_code);
  ScheduleFlush();
}

void H2Connection::FailSession(int error) {
  // nghttp2's errors past NGHTTP2_ERR_FATAL (a callback's failure, its own
  // bounds on CONTINUATION frames and on acknowledgements the peer does not
  // read, a bad client preface) queue no GOAWAY, and the session must be
  // asked for nothing more. So the hub writes the GOAWAY itself, after the
  // whole frames already produced, for the peer to learn why it is closed.
  session_failed_ = true;
  uint32_t code = NGHTTP2_INTERNAL_ERROR;
  if (error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS || error == NGHTTP2_ERR_FLOODED) {
    code = NGHTTP2_ENHANCE_YOUR_CALM;
  } else if (error == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
    code = NGHTTP2_PROTOCOL_ERROR;
  }
  OnSessionFailed(error, code);
  const uint32_t last_stream_id =
      static_cast<uint32_t>(nghttp2_session_get_last_proc_stream_id(session_));
  const uint8_t goaway[] = {0, 0, 8, NGHTTP2_GOAWAY, 0, 0, 0, 0, 0,
                            static_cast<uint8_t>(last_stream_id >> 24),
                            static_cast<uint8_t>(last_stream_id >> 16),
                            static_cast<uint8_t>(last_stream_id >> 8),
                            static_cast<uint8_t>(last_stream_id),
                            static_cast<uint8_t>(code >> 24),
                            static_cast<uint8_t>(code >> 16),
                            static_cast<uint8_t>(code >> 8),
                            static_cast<uint8_t>(code)};
  out_.append(reinterpret_cast<const char*>(goaway), sizeof(goaway));
  Flush();
  CloseAfterLinger();
}

void H2Connection::ScheduleFlush() {
  if (flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  thread_->ScheduleFlush(this);
}

void H2Connection::Flush() {
  flush_scheduled_ = false;
  if (closed_ || handshaking_ || session_ == nullptr) return;
  for (;;) {
    while (!session_failed_ && out_.size() - out_offset_ < kMaxBufferedOut) {
      const uint8_t* data;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        Close();
        return;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (out_offset_ == out_.size()) break;
    if (!WritePending()) return;
    if (out_offset_ != out_.size()) return;  // the socket is full: EV_WRITE resumes
  }
  if (session_failed_) return;  // lingering already
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    CloseAfterLinger();  // GOAWAY exchanged and every stream done
  }
}

bool H2Connection::WritePending() {
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

void H2Connection::Close() {
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
