#include "gateway/transport/h2_connection.h"

#include <algorithm>

#include "gateway/transport/transport_thread.h"

namespace ndxp::gateway::transport {

H2Connection::H2Connection(TransportThread* thread, int fd, SSL* ssl)
    : TlsConnection(thread, fd, ssl), turn_frames_(thread->shared().turn_frames) {}

H2Connection::~H2Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool H2Connection::StartProtocol() {
  if (!OnHandshakeDone()) return false;
  // A server's peer starts with the client preface, a client's with a frame.
  splitter_ = FrameSplitter(nghttp2_session_check_server_session(session_) != 0
                                ? kClientPrefaceBytes
                                : 0);
  return true;
}

size_t H2Connection::Consume(const uint8_t* data, size_t length) {
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
    if (frames_left_ == 0) {  // the turn is over before this frame
      return Deliver(data + run, pos - run) ? pos : length;
    }
    --frames_left_;
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
  output()->append(reinterpret_cast<const char*>(goaway), sizeof(goaway));
  Flush();
  CloseAfterLinger();
}

bool H2Connection::ProduceOutput() {
  if (session_ == nullptr) return true;
  while (!session_failed_ && buffered_output() < kMaxBufferedOut) {
    const uint8_t* data;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      Close();
      return false;
    }
    if (n == 0) break;
    output()->append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  return true;
}

void H2Connection::OnOutputFlushed() {
  if (session_ == nullptr || session_failed_) return;  // lingering already
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    CloseAfterLinger();  // GOAWAY exchanged and every stream done
  }
}

}  // namespace ndxp::gateway::transport
