// One HTTP/2 connection of the transport, either side: the nghttp2 session
// on a TlsConnection (which owns the socket, TLS and the read turns).
// Downstream (callers) and Upstream (connectors) derive from it and own the
// streams.
//
// Besides the TlsConnection's bytes per turn, a turn is turn_frames frames
// at most (TransportShared). Each frame's header is seen before nghttp2
// reads the frame (OnFrameHeader), so that a derived class can judge it
// first.
//
// Not thread-safe: every method runs on its worker's loop thread. Owned by
// its TransportThread; Close() hands it back for deletion after the current
// event, so nghttp2 callbacks never run on a deleted connection.
#ifndef NDXP_GATEWAY_TRANSPORT_H2_CONNECTION_H_
#define NDXP_GATEWAY_TRANSPORT_H2_CONNECTION_H_

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>

#include "gateway/transport/frame_guard.h"
#include "gateway/transport/tls_connection.h"

namespace ndxp::gateway::transport {

class H2Connection : public TlsConnection {
 public:
  // See TlsConnection.
  H2Connection(TransportThread* thread, int fd, SSL* ssl);
  ~H2Connection() override;

  nghttp2_session* session() const { return session_; }

 protected:
  // After the TLS handshake (or at once, plain): create session_ and submit
  // SETTINGS. Returning false closes the connection.
  virtual bool OnHandshakeDone() = 0;

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
    SetTurnBytes(bytes);
    turn_frames_ = frames;
  }

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
    if (buffered_output() >= kMaxBufferedOut) return NGHTTP2_ERR_WOULDBLOCK;
    std::string* out = output();
    out->append(reinterpret_cast<const char*>(framehd), 9);
    size_t padlen = frame.data.padlen;
    if (padlen > 0) out->push_back(static_cast<char>(padlen - 1));
    take_body(out, length);
    if (padlen > 1) out->append(padlen - 1, '\0');
    return 0;
  }

  nghttp2_session* session_ = nullptr;

 private:
  // TlsConnection: OnHandshakeDone(), and the frame splitter for its side.
  bool StartProtocol() final;
  void BeginTurn() final { frames_left_ = turn_frames_; }
  // Hands `data` to the session frame by frame (OnFrameHeader first);
  // returns how many bytes it took: all of them, or fewer when the turn's
  // frames ran out first (the rest is the next turn's).
  size_t Consume(const uint8_t* data, size_t length) final;
  // What nghttp2 has queued, up to kMaxBufferedOut.
  bool ProduceOutput() final;
  // GOAWAY exchanged and every stream done: the connection closes.
  void OnOutputFlushed() final;

  // nghttp2_session_mem_recv; false once the session takes no more.
  bool Deliver(const uint8_t* data, size_t length);
  bool Feeding() const { return !closed() && !lingering() && !ending_ && !session_failed_; }
  void FailSession(int error);

  bool ending_ = false;     // EndSession(): the peer's bytes go no further
  bool session_failed_ = false;  // nghttp2 failed fatally: it is asked for nothing more
  uint32_t turn_frames_;
  uint32_t frames_left_ = 0;  // of this turn
  FrameSplitter splitter_;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_H2_CONNECTION_H_
