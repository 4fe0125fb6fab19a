// The protocol-neutral half of one connection of the transport, either
// side: a non-blocking socket (TLS, or plain on a Unix-domain socket), the
// TLS handshake, the event-loop watchers and timer, the read loop in turns,
// the write buffer and the close (with its linger). The protocol on top
// (H2Connection: nghttp2; H1Downstream: HTTP/1.1) derives from it and sees
// bytes in and puts bytes out through the hooks below, as nghttpx's
// ClientHandler carries an Upstream.
//
// A connection reads in turns: at most turn_bytes (TransportShared) each
// time its loop comes to it, so that one peer writing without pause cannot
// keep the loop from the others; the protocol may end a turn sooner (by
// taking fewer bytes than offered: H2Connection's frames per turn). What is
// left waits in the kernel, in OpenSSL or in held_ for the next turn, which
// the thread gives it on its next iteration (TransportThread::ResumeLater).
//
// Not thread-safe: every method runs on its worker's loop thread. Owned by
// its TransportThread; Close() hands it back for deletion after the current
// event, so no callback runs on a deleted connection.
#ifndef NDXP_GATEWAY_TRANSPORT_TLS_CONNECTION_H_
#define NDXP_GATEWAY_TRANSPORT_TLS_CONNECTION_H_

#include <ev.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "gateway/peering/consumer_assertion.h"

namespace ndxp::gateway::transport {

class TransportThread;

class TlsConnection {
 public:
  // Takes `fd` (non-blocking, connected or connecting) and `ssl` (nullptr:
  // plain); starts watching the socket and the TLS handshake.
  TlsConnection(TransportThread* thread, int fd, SSL* ssl);
  virtual ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Starts the TLS handshake (or, plain, the protocol at once). Called once
  // the connection is registered with its thread: it may Close() at once.
  void Begin();
  // Asks for Flush() before the loop next waits (writes are coalesced).
  void ScheduleFlush();
  // Asks the protocol for output (ProduceOutput) and writes it, as far as
  // the socket takes it; OnOutputFlushed() once all of it is written.
  void Flush();
  // Ends the connection now: OnClosed() runs, deletion follows the event.
  void Close();
  bool closed() const { return closed_; }
  TransportThread* thread() const { return thread_; }
  SSL* ssl() const { return ssl_; }
  int fd() const { return fd_; }
  // The key of the peer-hub assertions MAC'd on this connection (both
  // sides), derived when first used.
  AssertionMacKey& assertion_mac_key() { return assertion_mac_key_; }

 protected:
  // After the TLS handshake (or at once, plain): the protocol starts.
  // Returning false closes the connection.
  virtual bool StartProtocol() = 0;
  // The connection is gone (peer closed, error, Close()). Called once.
  virtual void OnClosed() = 0;
  // The handshake did not complete (SSL error or peer gone before it).
  virtual void OnHandshakeFailed() {}
  // Whether a failed handshake's connection stays open for up to
  // kLingerSeconds, reading and dropping what the peer sends, so the alert
  // that names the reason reaches it (a caller's side); else it closes at
  // once (a connector's side, whose calls go elsewhere without waiting).
  virtual bool LingerAfterFailedHandshake() const { return false; }

  // A turn begins (the protocol's own per-turn budget starts again).
  virtual void BeginTurn() {}
  // Bytes the peer sent, for the protocol. Returns how many it took: all of
  // them, or fewer when it ends the turn before the rest (they are held and
  // offered again first on the next turn, which Consume's caller queues).
  virtual size_t Consume(const uint8_t* data, size_t length) = 0;
  // Appends what the protocol has to send to output(), stopping once
  // buffered_output() reaches kMaxBufferedOut. Returns false when it closed
  // the connection.
  virtual bool ProduceOutput() = 0;
  // Everything produced has been written (a Flush() that emptied the buffer).
  virtual void OnOutputFlushed() {}

  // Close() once the peer closes, or after kLingerSeconds: what the peer
  // sends meanwhile is read and dropped, so the last answer is not destroyed
  // by a TCP reset.
  void CloseAfterLinger();
  bool lingering() const { return lingering_; }
  static constexpr double kLingerSeconds = 1.0;

  // A turn is this many bytes at most (a peer hub's may be larger).
  void SetTurnBytes(size_t bytes) { turn_bytes_ = bytes; }
  // Restarts the idle/handshake timer for `seconds` (0 stops it).
  void ArmTimer(double seconds);
  virtual void OnTimer() { Close(); }

  // Back-pressure from the protocol: while paused the socket is not read
  // (the peer's bytes wait in the kernel and its TCP window closes). Resuming
  // queues a turn, as bytes OpenSSL already decrypted wake no watcher.
  void PauseReading();
  void ResumeReading();
  bool reading_paused() const { return reading_paused_; }

  // The write buffer the protocol appends to (ProduceOutput), and how much
  // of it the socket has not taken yet.
  std::string* output() { return &out_; }
  size_t buffered_output() const { return out_.size() - out_offset_; }
  // Bytes produced but not yet taken by the socket that stop more from
  // being produced.
  static constexpr size_t kMaxBufferedOut = 64 * 1024;

  // Gives up the socket and its TLS (handshake done) for another connection
  // to carry on with (its Begin() finds the handshake done): this one stops
  // watching them and frees neither. For a caller's Downstream whose ALPN
  // picked HTTP/1.1 (H1Downstream). Called before this one closes.
  struct Socket {
    int fd;
    SSL* ssl;
  };
  Socket ReleaseSocket();

 private:
  static void OnIo(struct ev_loop* loop, ev_io* watcher, int events);
  static void OnTimerEvent(struct ev_loop* loop, ev_timer* watcher, int events);
  void Handshake();
  // After a failed handshake: reads the socket's bytes and drops them (no
  // TLS left to read them with) until the peer closes.
  void DrainAfterFailedHandshake();
  // One turn: held_ first, then the socket, until it would block, the turn
  // is over (Yield) or the connection stops reading.
  void ReadTurn();
  // The next turn, given by the thread.
  void Resume();
  // The turn ended with more to read: counted (the read budget) and queued.
  void Yield();
  // Puts the connection on the thread's ready list for its next turn.
  void QueueTurn();
  bool WritePending();  // false on a fatal error (connection closed)
  void WatchWrites(bool on);
  void UpdateWatcher();

  TransportThread* const thread_;
  int fd_;      // -1 once released
  SSL* ssl_;    // nullptr: plain, or released
  ev_io io_;
  ev_timer timer_;
  bool handshaking_;
  bool started_ = false;  // StartProtocol() succeeded
  bool writing_watched_ = false;
  bool reading_paused_ = false;
  bool flush_scheduled_ = false;
  bool closed_ = false;
  bool lingering_ = false;  // reading only to drop, then closing
  bool handshake_failed_ = false;  // lingering after a failed handshake
  bool resume_queued_ = false;   // on the thread's ready list
  size_t turn_bytes_;
  std::string held_;  // bytes read in a turn that ended before they were taken
  std::string out_;  // bytes the protocol produced that the socket has not taken
  size_t out_offset_ = 0;
  AssertionMacKey assertion_mac_key_;

  friend class TransportThread;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_TLS_CONNECTION_H_
