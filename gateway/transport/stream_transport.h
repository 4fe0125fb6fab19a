// The hub's own HTTP/2 transport: TLS (OpenSSL) and HTTP/2 frames (nghttp2)
// on one event-loop thread per core, forwarding each admitted call's stream
// to its connector over long-lived multiplexed connections, without
// building gRPC call objects or parsing payloads (docs/design.md, "The
// pieces"). The hub's own methods (health, reflection, statistics) are
// answered on the same threads, behind the same admission.
//
// Thread-safe: SetContext, ReloadTls and Shutdown may be called from any
// thread.
#ifndef NDXP_GATEWAY_TRANSPORT_STREAM_TRANSPORT_H_
#define NDXP_GATEWAY_TRANSPORT_STREAM_TRANSPORT_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gateway/hub_context.h"
#include "gateway/transport/health_checker.h"
#include "gateway/transport/tls/tls_reloader.h"
#include "gateway/transport/transport_thread.h"

namespace ndxp::gateway::transport {

class StreamTransport {
 public:
  // Binds `listen` ("host:port", port 0 picks one), reads the TLS material
  // and starts `threads` loops. Errors name the address or the file.
  static absl::StatusOr<std::unique_ptr<StreamTransport>> Start(
      std::shared_ptr<const HubContext> context, int threads);
  ~StreamTransport();

  int port() const { return port_; }
  // The TLS material in use (certificate and CRL expiry, the admin
  // listener's connector probes).
  const TlsReloader* tls() const { return tls_.get(); }
  // New calls take `context`; calls in flight keep theirs.
  void SetContext(const std::shared_ptr<const HubContext>& context);
  // Rebuilds the TLS material from its files now (SIGHUP); keeps the
  // running one and says why on error.
  absl::Status ReloadTls();
  // GOAWAY to every caller; calls in flight finish until `grace` is over;
  // then every thread's loop ends (the threads' objects stay until
  // destruction, for answers still posted to them). Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  StreamTransport() = default;
  void WatchTlsFiles();
  void RecheckConnections();

  TransportShared shared_;
  std::unique_ptr<TlsReloader> tls_;
  EndpointHealthBoard health_;
  std::vector<std::unique_ptr<TransportThread>> threads_;
  int port_ = 0;
  absl::Notification stopping_;
  std::thread tls_watcher_;
  bool shut_down_ = false;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_STREAM_TRANSPORT_H_
