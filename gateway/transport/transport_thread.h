// One event-loop thread of the transport: it accepts callers' connections
// on its own SO_REUSEPORT listening socket, owns them, their streams and its
// own long-lived connections to each connector, so every event of a call is
// handled on one thread with no lock (BENCHMARKS.md: one loop per core, no
// hand-offs).
//
// Thread-safety: Post() may be called from any thread; everything else runs
// on the worker's own thread.
#ifndef NDXP_GATEWAY_TRANSPORT_TRANSPORT_THREAD_H_
#define NDXP_GATEWAY_TRANSPORT_TRANSPORT_THREAD_H_

#include <ev.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/hub_context.h"
#include "gateway/recording/recorder.h"
#include "gateway/transport/connector_pool.h"
#include "gateway/transport/frame_guard.h"
#include "gateway/transport/tls/tls_reloader.h"

namespace ndxp::gateway::transport {

class TlsConnection;
class Downstream;
class H1Downstream;
class Upstream;
class ForwardedStream;
class HealthChecker;
class EndpointHealthBoard;
enum class EndpointHealth : uint8_t;

// What every worker shares, owned by the transport.
struct TransportShared {
  TlsReloader* tls = nullptr;
  uint32_t max_message_bytes = 0;
  uint32_t max_concurrent_streams = 100;
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Minutes(5);
  // An HTTP/1.1 caller's: its request head complete after its first byte;
  // no request open or owed (see H1Deadlines).
  absl::Duration http1_header_timeout = absl::Seconds(10);
  absl::Duration http1_idle_timeout = absl::Minutes(1);
  size_t max_connections_per_thread = 10000;
  uint32_t reset_burst = 200;
  uint32_t resets_per_second = 100;
  // A connection's turn: what it reads before the other connections of its
  // thread get theirs (a peer hub's connection: kPeerHubTurns turns' worth).
  size_t turn_bytes = 64 * 1024;
  uint32_t turn_frames = 256;
  static constexpr uint32_t kPeerHubTurns = 16;
  FrameGuard::Limits frame_guard;  // callers' frames that do no work
  // Calls open or waiting on one connection to a connector endpoint.
  size_t max_pending_per_upstream = 5000;
  // Connectors' answer bytes the hub holds unread: for one caller's
  // connection, and for all callers together (HubStats' coarse total).
  int64_t max_held_per_connection = 1 << 20;
  int64_t max_held_total = 256 << 20;
  // A stream holding answer bytes its caller has taken none of for this long
  // is reset.
  double stalled_reader_seconds = 30;
  int threads = 1;  // loop threads: each health-checks its share of the endpoints
  EndpointHealthBoard* health = nullptr;  // what the active health checks found
};

// A Connector for its own ConnectorPool: it opens Upstreams. The
// CommitListener of its streams' records: it releases the answers that
// waited for them.
class TransportThread final : private Connector, public CommitListener {
 public:
  TransportThread(int index, int listen_fd, const TransportShared* shared,
         std::shared_ptr<const HubContext> context);
  ~TransportThread() override;

  void Start();
  // Stops accepting, sends GOAWAY to every caller, lets calls in flight
  // finish until `deadline`, then ends the thread. Blocks until it has.
  void Stop(absl::Time deadline);

  // Runs `task` on this worker's thread, soon. Thread-safe.
  void Post(std::function<void()> task);
  // CommitListener, on the recorder's writer thread: the records of the
  // streams whose serials (ForwardedStream::serial) are `records`' tags
  // were committed, or failed, with `status`. One Post for them all, so a
  // batch of answers costs this thread one wake-up, not one per answer (a
  // perf profile of the durable hub put 14% of its time in context switches
  // and 3.5% in wake-ups, SQLite 7.8%). Streams gone since are skipped.
  void OnCommitted(const absl::Status& status, std::vector<CommittedRecord> records) override;
  void SetContext(std::shared_ptr<const HubContext> context);
  // Re-checks every caller's certificate against `material` (after a
  // reload): the revoked and expired are sent away. Thread-safe.
  void Recheck(std::shared_ptr<const TlsMaterial> material);

  // --- On the worker's thread only.
  struct ev_loop* loop() const { return loop_; }
  int index() const { return index_; }
  const TransportShared& shared() const { return *shared_; }
  const std::shared_ptr<const HubContext>& context() const { return context_; }
  void ScheduleFlush(TlsConnection* connection);
  // `connection`'s turn ended with more to read: it gets its next turn on
  // the loop's next iteration, before the loop waits, and the loop does not
  // wait while one is due (bytes OpenSSL has decrypted wake no watcher).
  void ResumeLater(TlsConnection* connection);
  void DeleteLater(TlsConnection* connection);
  // Why UpstreamFor found no connection.
  using NoUpstream = ConnectorPool::NoConnection;
  // A connection to one of `service`'s endpoints, as the pool chooses (see
  // ConnectorPool::Choose); nullptr when none can be had, and *why.
  Upstream* UpstreamFor(const ServiceRoute& service, NoUpstream* why);
  // `upstream` takes no new calls (closed, or told GOAWAY): the next call to
  // its endpoint gets another connection.
  void ForgetUpstream(Upstream* upstream);
  // `upstream` is closed: nothing is left to close at the end of a drain.
  void UpstreamClosed(Upstream* upstream);
  // What a connection to the endpoint of `key` showed: it answers (calls go
  // there again), or it failed (left out for a while, longer each time, and
  // tried again in the background).
  void EndpointAnswered(const std::string& key);
  void EndpointFailed(const std::string& key);
  // Live streams by serial, so answers coming back from other threads (the
  // recorder, the hub's own blocking methods) find a stream or drop quietly.
  uint64_t Register(ForwardedStream* stream);
  void Unregister(uint64_t serial);
  ForwardedStream* Find(uint64_t serial) const;
  void ForgetDownstream(Downstream* downstream);
  // A caller's connection whose ALPN picked HTTP/1.1 (or none): `fd` and
  // `ssl`, handshake done, handed over by its Downstream. Registered, begun.
  void AdoptHttp1Caller(int fd, SSL* ssl, const sockaddr_storage& peer,
                        std::shared_ptr<const TlsMaterial> material);
  void ForgetHttp1Caller(H1Downstream* caller);
  // Of this thread's streams whose callers are not reading, the one holding
  // the most (nullptr: none, or the thread looked already at `now`: the scan
  // runs once per loop iteration at most, however many answers arrive).
  ForwardedStream* HeaviestNotReading(ev_tstamp now);
  bool draining() const { return draining_; }

 private:
  static void OnAccept(struct ev_loop* loop, ev_io* watcher, int events);
  static void OnAsync(struct ev_loop* loop, ev_async* watcher, int events);
  static void OnPrepare(struct ev_loop* loop, ev_prepare* watcher, int events);
  static void OnReadyIdle(struct ev_loop* loop, ev_idle* watcher, int events);
  static void OnDrainTimer(struct ev_loop* loop, ev_timer* watcher, int events);
  static void OnAcceptPause(struct ev_loop* loop, ev_timer* watcher, int events);
  static void OnEndpointCheck(struct ev_loop* loop, ev_timer* watcher, int events);
  // Connector: an Upstream to `endpoint`, begun and registered.
  PooledConnection* Open(const std::string& key, const PoolEndpoint& endpoint) override;
  void CheckFailedEndpoints();
  void Accept();
  void PauseAccepting(double seconds);
  void RunPosted();
  void BeginDrain(absl::Time deadline);
  void MaybeFinishDrain();
  // Callers' connections of either protocol, and accepting again below the cap.
  size_t CallerCount() const { return downstreams_.size() + http1_callers_.size(); }
  void MaybeResumeAccepting();

  const int index_;
  const int listen_fd_;
  const TransportShared* const shared_;
  struct ev_loop* const loop_;
  ev_io accept_watcher_;
  ev_async async_;
  ev_prepare prepare_;
  ev_idle ready_idle_;  // active while ready_ is not empty: the loop polls without waiting
  ev_timer drain_timer_;
  ev_timer accept_pause_;
  ev_timer endpoint_check_;
  bool accepting_ = false;
  std::thread thread_;

  absl::Mutex mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);

  // Loop-thread state.
  std::shared_ptr<const HubContext> context_;
  std::vector<TlsConnection*> to_flush_;
  std::vector<TlsConnection*> ready_;  // their next turn is due
  std::vector<TlsConnection*> to_delete_;
  absl::flat_hash_set<Downstream*> downstreams_;  // every caller's, until its ALPN is known
  absl::flat_hash_set<H1Downstream*> http1_callers_;
  ConnectorPool pool_;  // which endpoint, which connection; the backoff
  // Every open connection to a connector, those told GOAWAY and finishing
  // their calls included (an endpoint names only its newest).
  absl::flat_hash_set<Upstream*> upstreams_;
  absl::flat_hash_map<uint64_t, ForwardedStream*> streams_;
  uint64_t next_serial_ = 1;
  ev_tstamp last_unread_scan_ = -1;
  std::unique_ptr<HealthChecker> health_checker_;
  bool draining_ = false;
  bool stopped_ = false;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_TRANSPORT_THREAD_H_
