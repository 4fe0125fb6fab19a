// The hub as a witness of other hubs' audit logs (config `witness`,
// docs/design.md "Transparency"): every poll interval, for each log it
// follows, it fetches the log's newest checkpoint from the log's hub, asks
// for the consistency proof from the last checkpoint it cosigned of that
// log, has transparency::Witness check and cosign it, and hands the
// cosignature back to the log's hub (ndxp.hub.v1.Transparency
// GetCheckpoint, GetConsistencyProof, AddCosignature).
//
// Here in gateway/peering, not in gateway/transparency: it is a client of
// another hub (gRPC over mutual TLS with this hub's certificate, the log
// hub's SPIFFE ID checked at the handshake), which transparency/ (pure
// checks and formats, no network) must not depend on.
//
// A log that shows a history inconsistent with one the witness cosigned is
// refused: logged at ERROR naming its origin and both heads, and counted
// (ndxp_witness_refused_total{origin,reason="inconsistent"}), once per
// checkpoint refused. Other failures (its hub unreachable, a hub that
// predates AddCosignature) are logged at WARNING once per change of error.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto poller, WitnessPoller::Start(config.witness(), config.tls()));
//   ...
//   poller->Stop();  // or destroy it
#ifndef NDXP_GATEWAY_PEERING_WITNESS_POLLER_H_
#define NDXP_GATEWAY_PEERING_WITNESS_POLLER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/metrics/prometheus_text.h"
#include "gateway/transparency/merkle.h"
#include "gateway/transparency/witness.h"
#include "ndxp/config/v1/common.pb.h"
#include "ndxp/config/v1/hub.pb.h"

namespace ndxp::gateway {

// The three calls a witness makes to a log's hub, for one replica's log.
// Errors are the log's hub's (or the transport's) gRPC status.
class WitnessedLogClient {
 public:
  virtual ~WitnessedLogClient() = default;
  // The log's newest signed checkpoint note.
  virtual absl::StatusOr<std::string> GetCheckpoint() = 0;
  // RFC 9162 2.1.4's proof that the tree of `second` leaves extends the
  // tree of `first` (0 < first < second).
  virtual absl::StatusOr<std::vector<transparency::Hash>> GetConsistencyProof(int64_t first,
                                                                              int64_t second) = 0;
  // Hands the witness's cosigned checkpoint back to the log's hub.
  virtual absl::Status AddCosignature(const std::string& cosigned_note) = 0;
  // Makes a call in flight, and every later one, fail at once (shutdown).
  virtual void Cancel() {}
};

// A client of the log's hub at `log.endpoint()` over mutual TLS with this
// hub's `tls` files, refusing a hub whose certificate does not carry
// `log.spiffe_id()`; while the hub is unreachable it tries to reconnect at
// least every `poll_interval`. INVALID_ARGUMENT or NOT_FOUND when the TLS
// files cannot be read.
absl::StatusOr<std::unique_ptr<WitnessedLogClient>> ConnectToLog(
    const ndxp::config::v1::WitnessedLog& log, const ndxp::config::v1::TlsFiles& tls,
    absl::Duration poll_interval);

// Thread-safe.
class WitnessPoller {
 public:
  struct FollowedLog {
    std::string origin;
    std::vector<std::string> log_vkeys;
    std::string endpoint;  // for log lines
    std::unique_ptr<WitnessedLogClient> client;
  };

  // Opens the witness (its key and state, as the configuration validated
  // them) and a client of each log's hub, and starts polling on a thread of
  // its own, the first poll at once. Errors: the key's, the state's
  // (DATA_LOSS for a state file that does not parse), the TLS files'.
  static absl::StatusOr<std::unique_ptr<WitnessPoller>> Start(
      const ndxp::config::v1::Witness& config, const ndxp::config::v1::TlsFiles& tls);

  // A poller that polls only when told (PollOnce): for tests.
  WitnessPoller(std::unique_ptr<transparency::Witness> witness, std::vector<FollowedLog> logs);
  ~WitnessPoller();
  WitnessPoller(const WitnessPoller&) = delete;
  WitnessPoller& operator=(const WitnessPoller&) = delete;

  // One poll of every log, in order.
  void PollOnce() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the thread: a call in flight is cancelled, the wait between polls
  // cut short. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // ndxp_witness_cosigned_total{origin}, ndxp_witness_refused_total{origin,
  // reason}, ndxp_witness_tree_size{origin} (the last cosigned checkpoint's
  // size).
  void WriteMetrics(metrics::PrometheusText* page) const ABSL_LOCKS_EXCLUDED(mu_);
  // Checkpoints of `origin` cosigned since start; refused for `reason`
  // ("inconsistent": two histories; "older": smaller than the last
  // cosigned; "unverified": not a checkpoint of the origin signed by its
  // log key).
  uint64_t cosigned(const std::string& origin) const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t refused(const std::string& origin, const std::string& reason) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct LogState {
    uint64_t cosigned = 0;
    absl::flat_hash_map<std::string, uint64_t> refused;  // by reason
    // The last checkpoint refused (its note text): refused once, not at
    // every poll.
    std::string refused_text;
    // The note text whose cosignature the log's hub has taken (or cannot
    // take: it predates AddCosignature).
    std::string delivered_text;
    // The last problem logged at WARNING ("" after a poll that succeeded).
    std::string problem;
  };
  void Run(absl::Duration interval) ABSL_LOCKS_EXCLUDED(mu_);
  void Poll(FollowedLog& log) ABSL_LOCKS_EXCLUDED(mu_);
  void Refuse(const FollowedLog& log, absl::string_view reason, const std::string& text)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Logs `status` at WARNING unless the log's last problem was the same.
  void Problem(const FollowedLog& log, absl::string_view stage, const absl::Status& status)
      ABSL_LOCKS_EXCLUDED(mu_);

  std::unique_ptr<transparency::Witness> witness_;
  std::vector<FollowedLog> logs_;  // polled by one thread at a time
  std::thread thread_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, LogState> states_ ABSL_GUARDED_BY(mu_);  // by origin
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_PEERING_WITNESS_POLLER_H_
