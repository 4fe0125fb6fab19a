#include "gateway/hub_server.h"

#include <algorithm>
#include <optional>
#include <thread>

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_cat.h"
#include "gateway/admin/recording_store.h"
#include "gateway/admin/statistics_methods.h"
#include "gateway/recording/fault_injecting_store.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/log_key.h"

namespace ndxp::gateway {
namespace {

// Every route's connector endpoints, for the admin listener's probe.
std::vector<admin_http::ConnectorProbe::Route> ConnectorsOf(
    const ndxp::config::v1::HubConfig& config) {
  std::vector<admin_http::ConnectorProbe::Route> routes;
  for (const auto& route : config.routes()) {
    std::vector<std::string> endpoints = {route.endpoint()};
    endpoints.insert(endpoints.end(), route.replicas().begin(), route.replicas().end());
    routes.push_back({route.service(), route.provider(), std::move(endpoints), route.peer_hub()});
  }
  return routes;
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
  hub->metrics_ = std::make_unique<metrics::CallMetrics>(threads);
  Recording::Mode mode = EffectiveRecordingMode(config.recording());
  if (mode != Recording::OFF) {
    absl::StatusOr<std::unique_ptr<TransactionStore>> store =
        OpenRecordingStore(config.recording(), mode, ReplicaOf(config.recording()));
    if (!store.ok()) return store.status();
    if (!test.fault_directory.empty()) {
      *store = std::make_unique<FaultInjectingStore>(*std::move(store), test.fault_directory);
    }
    // The chain's head is anchored with the hub's own TLS key.
    absl::StatusOr<std::unique_ptr<CheckpointSigner>> signer =
        CheckpointSigner::FromFiles(config.tls().cert(), config.tls().key());
    if (!signer.ok()) return signer.status();
    // With a log key, the replica's Merkle tree is signed too (C2SP
    // checkpoints: receipts, proofs and witnesses rest on them).
    std::optional<TreeCheckpointSigner> tree_signer;
    if (config.has_transparency()) {
      absl::StatusOr<transparency::Ed25519NoteKey> log_key =
          transparency::LoadLogKey(config.transparency().log_key());
      if (!log_key.ok()) return log_key.status();
      absl::StatusOr<std::string> origin =
          transparency::CheckpointOrigin(config.trust_domain(), ReplicaOf(config.recording()));
      if (!origin.ok()) return origin.status();
      tree_signer = TreeCheckpointSigner{*std::move(origin), *std::move(log_key)};
    }
    hub->recorder_ = std::make_unique<Recorder>(
        *std::move(store), threads, *std::move(signer), ReplicaOf(config.recording()),
        absl::Minutes(1), Clock::Real(), std::move(tree_signer));
    hub->hold_until_recorded_ = mode == Recording::DURABLE;
  }

  absl::StatusOr<std::shared_ptr<const HubContext>> context =
      BuildHubContext(std::move(settings), hub->parts());
  if (!context.ok()) return context.status();
  hub->Install(*context);
  auto streams = transport::StreamTransport::Start(*std::move(context), threads);
  if (!streams.ok()) return streams.status();
  hub->streams_ = *std::move(streams);
  hub->port_ = hub->streams_->port();
  hub->serving_ = true;
  if (config.has_witness()) {
    // On a thread of its own, not the transport's loops: it waits on other
    // hubs.
    absl::StatusOr<std::unique_ptr<WitnessPoller>> witness =
        WitnessPoller::Start(config.witness(), config.tls());
    if (!witness.ok()) return witness.status();
    hub->witness_ = *std::move(witness);
  }
  if (config.has_admin()) {
    if (absl::Status s = hub->StartAdmin(config); !s.ok()) return s;
  }
  return hub;
}

absl::Status HubServer::StartAdmin(const ndxp::config::v1::HubConfig& config) {
  probe_ = std::make_unique<admin_http::ConnectorProbe>(streams_->tls(), config.trust_domain());
  probe_->SetRoutes(ConnectorsOf(config));
  absl::StatusOr<std::shared_ptr<const statistics::StatisticsEngine>> statistics =
      OpenStatisticsEngine(recorder_ != nullptr ? &config.recording() : nullptr);
  if (!statistics.ok()) return statistics.status();
  statistics_ = *std::move(statistics);

  admin_http::AdminSources sources;
  sources.stats = &stats_;
  sources.calls = metrics_.get();
  sources.tls = streams_->tls();
  sources.connectors = probe_.get();
  sources.recorder = recorder_.get();
  sources.statistics = statistics_.get();
  if (recorder_ != nullptr) {
    sources.database = config.recording().database();
    sources.store = config.recording().postgres().empty() ? "sqlite" : "postgresql";
  }
  std::string zone = config.recording().time_zone().empty() ? kDefaultTimeZone
                                                             : config.recording().time_zone();
  if (!absl::LoadTimeZone(zone, &sources.time_zone)) sources.time_zone = absl::UTCTimeZone();
  sources.serving = [this] { return serving_.load(); };
  sources.is_operator = [this](const ConsumerIdentity& caller) { return IsOperator(caller); };
  sources.agencies = [this] {  // the running configuration's, reloaded with it
    absl::MutexLock lock(&context_mu_);
    return context_->agencies;
  };
  sources.context = [this] {  // reloaded with the configuration
    absl::MutexLock lock(&context_mu_);
    return context_;
  };
  sources.trust_domain = config.trust_domain();
  if (witness_ != nullptr) {
    sources.witness_metrics = [this](metrics::PrometheusText* page) {
      witness_->WriteMetrics(page);
    };
  }
  absl::StatusOr<std::unique_ptr<admin_http::AdminServer>> admin =
      admin_http::AdminServer::Start(config, std::move(sources));
  if (!admin.ok()) return admin.status();
  admin_ = *std::move(admin);
  return absl::OkStatus();
}

void HubServer::Install(std::shared_ptr<const HubContext> context) {
  absl::MutexLock lock(&context_mu_);
  context_ = std::move(context);
}

bool HubServer::IsOperator(const ConsumerIdentity& caller) const {
  absl::MutexLock lock(&context_mu_);
  return context_ != nullptr && context_->policy->IsOperator(caller);
}

absl::Status HubServer::Reload(HubSettings settings) {
  absl::MutexLock lock(&reload_mu_);
  if (streams_ == nullptr) return absl::FailedPreconditionError("the hub is shut down");
  const auto& next = settings.config;
  using google::protobuf::util::MessageDifferencer;
  // The files' paths are fixed; with the stream transport their contents
  // reload live (and here).
  if (next.listen() != started_with_.listen() ||
      !MessageDifferencer::Equals(next.admin(), started_with_.admin()) ||
      !MessageDifferencer::Equals(next.tls(), started_with_.tls()) ||
      !MessageDifferencer::Equals(next.recording(), started_with_.recording()) ||
      !MessageDifferencer::Equals(next.witness(), started_with_.witness()) ||
      MaxMessageBytes(next) != MaxMessageBytes(started_with_)) {
    return absl::FailedPreconditionError(
        "listen, admin, the tls file names, recording, witness and limits.max_message_bytes take "
        "effect only on a restart; the running configuration stays");
  }
  absl::StatusOr<std::shared_ptr<const HubContext>> context =
      BuildHubContext(std::move(settings), parts());
  if (!context.ok()) return context.status();
  // The certificate, key, CA and CRLs are read anew (rotation, revocation).
  if (absl::Status tls = streams_->ReloadTls(); !tls.ok()) return tls;
  streams_->SetContext(*context);
  Install(*context);
  if (probe_ != nullptr) probe_->SetRoutes(ConnectorsOf((*context)->settings.config));
  return absl::OkStatus();
}

HubServer::~HubServer() { Shutdown(); }

void HubServer::Shutdown(std::chrono::milliseconds grace) {
  absl::MutexLock lock(&reload_mu_);
  if (streams_ == nullptr) return;
  serving_ = false;  // /readyz says so while calls drain
  // Answers waiting for their records still need the recorder and worker.
  streams_->Shutdown(absl::FromChrono(grace));
  worker_.Stop();
  // Before the admin listener, whose /metrics reads it; it reads nothing of
  // the transport.
  if (witness_ != nullptr) witness_->Stop();
  if (recorder_ != nullptr) recorder_->Stop();
  // The admin pages read the transport's TLS material.
  if (admin_ != nullptr) admin_->Stop();
  probe_.reset();
  streams_.reset();
}

}  // namespace ndxp::gateway
