// The hub as one object: the stream transport (mutual TLS, HTTP/2, the
// hub's own health, reflection and statistics) and the recorder, built from
// a validated configuration. main() and the tests both use it.
#ifndef NDXP_GATEWAY_HUB_SERVER_H_
#define NDXP_GATEWAY_HUB_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/admin_http/admin_server.h"
#include "gateway/admin_http/connector_probe.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_context.h"
#include "gateway/metrics/call_metrics.h"
#include "gateway/peering/witness_poller.h"
#include "gateway/recording/recorder.h"
#include "gateway/transport/stream_transport.h"

namespace ndxp::gateway {

// Serving from Start() until Shutdown() (or destruction). Thread-safe.
class HubServer {
 public:
  // What only tests set.
  struct TestOptions {
    // Installs a FaultInjectingStore steered by files in this directory
    // (gateway/recording/fault_injecting_store.h); "" for none.
    std::string fault_directory;
  };

  // Builds and starts the server; an error if a certificate cannot be read
  // or the listen address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HubServer>> Start(HubSettings settings,
                                                          const TestOptions& test = {});
  ~HubServer();

  // Replaces routes, grants, operators and limits on deadlines for calls
  // that start from now on (calls in flight finish under the old
  // configuration), and re-reads the TLS certificate, key, CA and CRLs. On
  // any error the running configuration stays. The listen address, the TLS
  // file names, recording, the witness block and the message size limit need a restart:
  // FAILED_PRECONDITION if they changed.
  absl::Status Reload(HubSettings settings);

  int port() const { return port_; }
  // The admin listener's "host:port" as bound; "" without `admin` configured.
  std::string admin_address() const { return admin_ != nullptr ? admin_->address() : ""; }
  const HubStats& stats() const { return stats_; }
  // The recorder's counters (refusals dropped, checkpoints) are its own.
  // nullptr when recording is off.
  const Recorder* recorder() const { return recorder_.get(); }

  // Stops accepting calls and waits for calls in flight (up to `grace`).
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  HubServer() = default;
  HubParts parts() {
    return {&stats_, metrics_.get(), recorder_.get(), hold_until_recorded_, &worker_, &replays_};
  }
  // Starts the admin listener on `config.admin()` and its connector probe.
  absl::Status StartAdmin(const ndxp::config::v1::HubConfig& config);
  void Install(std::shared_ptr<const HubContext> context) ABSL_LOCKS_EXCLUDED(context_mu_);
  bool IsOperator(const ConsumerIdentity& caller) const ABSL_LOCKS_EXCLUDED(context_mu_);

  // Constant after Start.
  ndxp::config::v1::HubConfig started_with_;  // what only a restart can change
  HubStats stats_;
  ReplayGuard replays_;  // across reloads: a reload must not reopen a replay
  std::unique_ptr<metrics::CallMetrics> metrics_;
  std::unique_ptr<Recorder> recorder_;  // outlives the calls that record
  Worker worker_;                       // the hub's own blocking methods
  bool hold_until_recorded_ = false;
  std::unique_ptr<transport::StreamTransport> streams_;
  int port_ = 0;
  std::unique_ptr<admin_http::ConnectorProbe> probe_;
  std::shared_ptr<const statistics::StatisticsEngine> statistics_;
  std::unique_ptr<admin_http::AdminServer> admin_;
  std::unique_ptr<WitnessPoller> witness_;  // with `witness` configured
  std::atomic<bool> serving_{false};

  absl::Mutex reload_mu_;  // one reload at a time
  // The configuration calls start under now (the admin listener's operators).
  mutable absl::Mutex context_mu_;
  std::shared_ptr<const HubContext> context_ ABSL_GUARDED_BY(context_mu_);
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_HUB_SERVER_H_
