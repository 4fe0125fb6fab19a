#include "gateway/hub_server.h"

#include <algorithm>
#include <thread>

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_cat.h"
#include "gateway/recording/fault_injecting_store.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/sqlite_transaction_store.h"

namespace ndxp::gateway {
namespace {

// The configured store: SQLite embedded, or PostgreSQL for several replicas.
absl::StatusOr<std::unique_ptr<TransactionStore>> OpenStore(
    const ndxp::config::v1::Recording& recording, ndxp::config::v1::Recording::Mode mode) {
  std::string time_zone = recording.time_zone().empty() ? kDefaultTimeZone : recording.time_zone();
  std::string replica = recording.replica().empty() ? "hub-1" : recording.replica();
  if (!recording.postgres().empty()) {
    PostgresTransactionStore::Options options;
    options.time_zone = time_zone;
    options.replica = replica;
    auto store = PostgresTransactionStore::Open(recording.postgres(), options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<TransactionStore>(*std::move(store));
  }
  SqliteTransactionStore::Options options;
  options.time_zone = time_zone;
  options.replica = replica;
  options.fsync_each_commit = mode == ndxp::config::v1::Recording::DURABLE;
  auto store = SqliteTransactionStore::Open(recording.database(), options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<TransactionStore>(*std::move(store));
}

}  // namespace

absl::StatusOr<std::unique_ptr<HubServer>> HubServer::Start(HubSettings settings,
                                                             const TestOptions& test) {
  std::unique_ptr<HubServer> hub(new HubServer());
  hub->started_with_ = settings.config;
  const auto& config = hub->started_with_;

  // One transport thread per core, at least two (BENCHMARKS.md).
  const int threads = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  using Recording = ndxp::config::v1::Recording;
  Recording::Mode mode = EffectiveRecordingMode(config.recording());
  if (mode != Recording::OFF) {
    absl::StatusOr<std::unique_ptr<TransactionStore>> store = OpenStore(config.recording(), mode);
    if (!store.ok()) return store.status();
    if (!test.fault_directory.empty()) {
      *store = std::make_unique<FaultInjectingStore>(*std::move(store), test.fault_directory);
    }
    // The chain's head is anchored with the hub's own TLS key.
    absl::StatusOr<std::unique_ptr<CheckpointSigner>> signer =
        CheckpointSigner::FromFiles(config.tls().cert(), config.tls().key());
    if (!signer.ok()) return signer.status();
    hub->recorder_ = std::make_unique<Recorder>(
        *std::move(store), threads, *std::move(signer),
        config.recording().replica().empty() ? "hub-1" : config.recording().replica());
    hub->hold_until_recorded_ = mode == Recording::DURABLE;
  }

  absl::StatusOr<std::shared_ptr<const HubContext>> context =
      BuildHubContext(std::move(settings), hub->parts());
  if (!context.ok()) return context.status();
  auto streams = transport::StreamTransport::Start(*std::move(context), threads);
  if (!streams.ok()) return streams.status();
  hub->streams_ = *std::move(streams);
  hub->port_ = hub->streams_->port();
  return hub;
}

absl::Status HubServer::Reload(HubSettings settings) {
  absl::MutexLock lock(&reload_mu_);
  if (streams_ == nullptr) return absl::FailedPreconditionError("the hub is shut down");
  const auto& next = settings.config;
  using google::protobuf::util::MessageDifferencer;
  // The files' paths are fixed; with the stream transport their contents
  // reload live (and here).
  if (next.listen() != started_with_.listen() ||
      !MessageDifferencer::Equals(next.tls(), started_with_.tls()) ||
      !MessageDifferencer::Equals(next.recording(), started_with_.recording()) ||
      MaxMessageBytes(next) != MaxMessageBytes(started_with_)) {
    return absl::FailedPreconditionError(
        "listen, the tls file names, recording and limits.max_message_bytes take effect only "
        "on a restart; the running configuration stays");
  }
  absl::StatusOr<std::shared_ptr<const HubContext>> context =
      BuildHubContext(std::move(settings), parts());
  if (!context.ok()) return context.status();
  // The certificate, key, CA and CRLs are read anew (rotation, revocation).
  if (absl::Status tls = streams_->ReloadTls(); !tls.ok()) return tls;
  streams_->SetContext(*context);
  return absl::OkStatus();
}

HubServer::~HubServer() { Shutdown(); }

void HubServer::Shutdown(std::chrono::milliseconds grace) {
  absl::MutexLock lock(&reload_mu_);
  if (streams_ == nullptr) return;
  // Answers waiting for their records still need the recorder and worker.
  streams_->Shutdown(absl::FromChrono(grace));
  worker_.Stop();
  if (recorder_ != nullptr) recorder_->Stop();
  streams_.reset();
}

}  // namespace ndxp::gateway
