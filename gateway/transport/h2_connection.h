// One HTTP/2 connection of the transport, either side: a non-blocking
// socket (TLS, or plain on a Unix-domain socket), its nghttp2 session, and
// the event-loop watchers that move bytes between them. Downstream
// (callers) and Upstream (connectors) derive from it and own the streams.
//
// A connection reads in turns: at most turn_bytes and turn_frames
// (TransportShared) each time its loop comes to it, so that one peer
// writing without pause cannot keep the loop from the others. What is left
// waits in the kernel, in OpenSSL or in held_ for the next turn, which the
// thread gives it on its next iteration (TransportThread::ResumeLater).
// Each frame's header is seen before nghttp2 reads the frame
// (OnFrameHeader), so that a derived class can judge it first.
//
// Not thread-safe: every method runs on its worker's loop thread. Owned by
// its TransportThread; Close() hands it back for deletion after the current event,
// so nghttp2 callbacks never run on a deleted connection.
#ifndef NDXP_GATEWAY_TRANSPORT_H2_CONNECTION_H_
#define NDXP_GATEWAY_TRANSPORT_H2_CONNECTION_H_

#include <ev.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <string>

#include "gateway/transport/frame_guard.h"

namespace ndxp::gateway::transport {

class TransportThread;

class H2Connection {
 public:
  // Takes `fd` (non-blocking, connected or connecting) and `ssl` (nullptr:
  // plain); starts watching the socket and the TLS handshake.
  H2Connection(TransportThread* thread, int fd, SSL* ssl);
  virtual ~H2Connection();
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  // Starts the TLS handshake (or, plain, the session at once). Called once
  // the connection is registered with its thread: it may Close() at once.
  void Begin();
  // Asks for Flush() before the loop next waits (writes are coalesced).
  void ScheduleFlush();
  // Sends what the session has queued, as far as the socket takes it.
  void Flush();
  // Ends the connection now: OnClosed() runs, deletion follows the event.
  void Close();
  bool closed() const { return closed_; }
  nghttp2_session* session() const { return session_; }
  TransportThread* thread() const { return thread_; }
  SSL* ssl() const { return ssl_; }
  int fd() const { return fd_; }

 protected:
  // After the TLS handshake (or at once, plain): create session_ and submit
  // SETTINGS. Returning false closes the connection.
  virtual bool OnHandshakeDone() = 0;
  // The connection is gone (peer closed, error, Close()); streams must be
  // told. Called once.
  virtual void OnClosed() = 0;
  // The handshake did not complete (SSL error or peer gone before it).
  virtual void OnHandshakeFailed() {}
  // Whether a failed handshake's connection stays open for up to
  // kLingerSeconds, reading and dropping what the peer sends, so the alert
  // that names the reason reaches it (a caller's side); else it closes at
  // once (a connector's side, whose calls go elsewhere without waiting).
  virtual bool LingerAfterFailedHandshake() const { return false; }

  // After GOAWAY: Close() once the peer closes, or after kLingerSeconds.
  void CloseAfterLinger();
  static constexpr double kLingerSeconds = 1.0;

  // Ends the session with GOAWAY `error_code`: nothing more the peer sent
  // reaches the session (from inside an nghttp2 callback too: the read
  // stops when the callback returns), the GOAWAY goes out, the connection
  // lingers and closes.
  void EndSession(uint32_t error_code);

  // Each frame's header as it arrives, before nghttp2 has any of the frame
  // and after it has read every frame before it. Returning false drops the
  // frame and everything after it, and the connection closes after its
  // linger: the override has called EndSession(), or found the session
  // ending already.
  virtual bool OnFrameHeader(const FrameHeader&) { return true; }
  // nghttp2 failed the session with `error` (a negative nghttp2_error); the
  // transport answers GOAWAY `goaway_code` itself, as nghttp2 queues none.
  virtual void OnSessionFailed(int /*error*/, uint32_t /*goaway_code*/) {}
  // A turn is this many bytes and frames at most (a peer hub's may be larger).
  void SetTurn(size_t bytes, uint32_t frames) {
    turn_bytes_ = bytes;
    turn_frames_ = frames;
  }

  // Restarts the idle/handshake timer for `seconds` (0 stops it).
  void ArmTimer(double seconds);
  virtual void OnTimer() { Close(); }

  // For nghttp2's send_data_callback (NGHTTP2_DATA_FLAG_NO_COPY): writes the
  // DATA frame's header and padding around the `length` body bytes that
  // `take_body(out, length)` appends, straight into the write buffer. The
  // body is copied once, from the stream's queue to the buffer TLS encrypts,
  // instead of through nghttp2's frame buffer as well.
  // Returns what the callback returns: 0, or NGHTTP2_ERR_WOULDBLOCK while
  // the write buffer is full (nghttp2 asks again with the same frame), so a
  // caller that does not read keeps its streams' bytes, and their windows,
  // where back-pressure sees them.
  template <typename TakeBody>
  int AppendDataFrame(const nghttp2_frame& frame, const uint8_t* framehd, size_t length,
                      TakeBody take_body) {
    if (out_.size() - out_offset_ >= kMaxBufferedOut) return NGHTTP2_ERR_WOULDBLOCK;
    out_.append(reinterpret_cast<const char*>(framehd), 9);
    size_t padlen = frame.data.padlen;
    if (padlen > 0) out_.push_back(static_cast<char>(padlen - 1));
    take_body(&out_, length);
    if (padlen > 1) out_.append(padlen - 1, '\0');
    return 0;
  }

  // Bytes produced but not yet taken by the socket that stop more from
  // being produced.
  static constexpr size_t kMaxBufferedOut = 64 * 1024;

  nghttp2_session* session_ = nullptr;

 private:
  static void OnIo(struct ev_loop* loop, ev_io* watcher, int events);
  static void OnTimerEvent(struct ev_loop* loop, ev_timer* watcher, int events);
  void Handshake();
  // After a failed handshake: reads the socket's bytes and drops them (no
  // TLS left to read them with) until the peer closes.
  void DrainAfterFailedHandshake();
  bool StartSession();  // OnHandshakeDone(), and the frame splitter for its side
  // One turn: held_ first, then the socket, until it would block, the turn
  // is over (Yield) or the connection stops reading.
  void ReadTurn();
  // The next turn, given by the thread.
  void Resume();
  void Yield();
  // Hands `data` to the session frame by frame (OnFrameHeader first);
  // returns how many bytes it took: all of them, or fewer when the turn's
  // frames ran out first (the rest is the next turn's).
  size_t Consume(const uint8_t* data, size_t length, uint32_t* frames_left);
  // nghttp2_session_mem_recv; false once the session takes no more.
  bool Deliver(const uint8_t* data, size_t length);
  bool Feeding() const { return !closed_ && !lingering_ && !ending_ && !session_failed_; }
  void FailSession(int error);
  bool WritePending();  // false on a fatal error (connection closed)
  void WatchWrites(bool on);

  TransportThread* const thread_;
  const int fd_;
  SSL* const ssl_;
  ev_io io_;
  ev_timer timer_;
  bool handshaking_;
  bool writing_watched_ = false;
  bool flush_scheduled_ = false;
  bool closed_ = false;
  bool lingering_ = false;  // GOAWAY sent: reading only to drop, then closing
  bool handshake_failed_ = false;  // lingering after a failed handshake
  bool ending_ = false;     // EndSession(): the peer's bytes go no further
  bool session_failed_ = false;  // nghttp2 failed fatally: it is asked for nothing more
  bool resume_queued_ = false;   // on the thread's ready list
  size_t turn_bytes_;
  uint32_t turn_frames_;
  FrameSplitter splitter_;
  std::string held_;  // bytes read in a turn that ended before they were taken
  std::string out_;  // bytes nghttp2 produced that the socket has not taken
  size_t out_offset_ = 0;

  friend class TransportThread;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_H2_CONNECTION_H_
