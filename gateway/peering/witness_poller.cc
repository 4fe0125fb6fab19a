#include "gateway/peering/witness_poller.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/logging/logging.h"
#include "common/status/status_util.h"
#include "common/tls/credentials.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/log_key.h"
#include "ndxp/hub/v1/transparency.grpc.pb.h"

namespace ndxp::gateway {
namespace {

using transparency::Checkpoint;
using transparency::Hash;

constexpr absl::Duration kDefaultPollInterval = absl::Seconds(10);
// Each call's deadline: a hub that does not answer is tried again next poll.
constexpr absl::Duration kCallDeadline = absl::Seconds(10);

spdlog::logger& Log() { return logging::Log("witness"); }

std::string Head(const Checkpoint& checkpoint) {
  return absl::StrCat("size ", checkpoint.tree_size, " root ",
                      transparency::HashHex(checkpoint.root));
}

// `note` without the signature lines by the key named `name`: a checkpoint
// the log's hub publishes may carry this witness's earlier cosignature (one
// it handed back before a restart), and a note holds one line per key.
std::string WithoutSignaturesBy(const std::string& note, absl::string_view name) {
  const size_t blank = note.find("\n\n");
  if (blank == std::string::npos) return note;
  const std::string mine = absl::StrCat("\u2014 ", name, " ");
  std::string kept = note.substr(0, blank + 2);
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(note).substr(blank + 2), '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, mine)) absl::StrAppend(&kept, line, "\n");
  }
  return kept;
}

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// The log's hub is the one named: its certificate (already chained to the
// federation CA) carries the configured SPIFFE ID. Replaces the host name
// check, as a connector's identity is checked by the hub.
class SpiffeIdVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit SpiffeIdVerifier(std::string spiffe_id) : spiffe_id_(std::move(spiffe_id)) {}
  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) override {
    std::vector<std::string> seen;
    for (const grpc::string_ref& uri : request->uri_names()) {
      if (absl::string_view(uri.data(), uri.size()) == spiffe_id_) {
        *sync_status = grpc::Status::OK;
        return true;
      }
      seen.emplace_back(uri.data(), uri.size());
    }
    *sync_status =
        grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                     absl::StrCat("the log's hub presented ",
                                  seen.empty() ? "no URI SAN" : absl::StrJoin(seen, ", "), ", not ",
                                  spiffe_id_));
    return true;
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  const std::string spiffe_id_;
};

class GrpcLogClient : public WitnessedLogClient {
 public:
  using ChannelFactory = std::function<std::shared_ptr<grpc::Channel>()>;
  GrpcLogClient(ChannelFactory connect, std::string replica)
      : connect_(std::move(connect)),
        stub_(ndxp::hub::v1::Transparency::NewStub(connect_())),
        replica_(std::move(replica)) {}

  absl::StatusOr<std::string> GetCheckpoint() override {
    ndxp::hub::v1::GetCheckpointRequest request;
    request.set_replica(replica_);
    ndxp::hub::v1::GetCheckpointResponse response;
    NDXP_RETURN_IF_ERROR(Call([&](grpc::ClientContext* context) {
      return stub_->GetCheckpoint(context, request, &response);
    }));
    return response.checkpoint();
  }

  absl::StatusOr<std::vector<Hash>> GetConsistencyProof(int64_t first, int64_t second) override {
    ndxp::hub::v1::GetConsistencyProofRequest request;
    request.set_replica(replica_);
    request.set_first(first);
    request.set_second(second);
    ndxp::hub::v1::GetConsistencyProofResponse response;
    NDXP_RETURN_IF_ERROR(Call([&](grpc::ClientContext* context) {
      return stub_->GetConsistencyProof(context, request, &response);
    }));
    std::vector<Hash> proof;
    for (const std::string& bytes : response.hashes()) {
      Hash hash;
      if (bytes.size() != hash.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("the consistency proof holds a hash of ", bytes.size(), " bytes"));
      }
      std::copy(bytes.begin(), bytes.end(), hash.begin());
      proof.push_back(hash);
    }
    return proof;
  }

  absl::Status AddCosignature(const std::string& cosigned_note) override {
    ndxp::hub::v1::AddCosignatureRequest request;
    request.set_checkpoint(cosigned_note);
    ndxp::hub::v1::AddCosignatureResponse response;
    return Call([&](grpc::ClientContext* context) {
      return stub_->AddCosignature(context, request, &response);
    });
  }

  void Cancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (current_ != nullptr) current_->TryCancel();
  }

 private:
  template <typename CallFn>
  absl::Status Call(CallFn call) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return absl::CancelledError("the witness is stopping");
      current_ = &context;
    }
    grpc::Status status = call(&context);
    absl::MutexLock lock(&mu_);
    current_ = nullptr;
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      // A new channel for the next call: gRPC 1.51's channel with a custom
      // certificate verifier was seen never to complete a handshake again
      // once the log's hub restarted (each timed out in check_peer).
      stub_ = ndxp::hub::v1::Transparency::NewStub(connect_());
    }
    return FromGrpc(status);
  }

  const ChannelFactory connect_;
  std::unique_ptr<ndxp::hub::v1::Transparency::Stub> stub_;  // replaced only by Call
  const std::string replica_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<WitnessedLogClient>> ConnectToLog(
    const ndxp::config::v1::WitnessedLog& log, const ndxp::config::v1::TlsFiles& tls,
    absl::Duration poll_interval) {
  NDXP_ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::ChannelCredentials> credentials,
      tls::MutualTlsChannelCredentials(
          tls, grpc::experimental::ExternalCertificateVerifier::Create<SpiffeIdVerifier>(
                   log.spiffe_id())));
  // gRPC's reconnection backoff grows to two minutes while the log's hub is
  // down, and calls fail at once meanwhile: capped at the poll interval, the
  // first poll after it is back reaches it.
  const int backoff_ms =
      static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(poll_interval), 100, 120000));
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, std::min(backoff_ms, 1000));
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(backoff_ms, 1000));
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
  return std::make_unique<GrpcLogClient>(
      [endpoint = log.endpoint(), credentials, arguments] {
        return grpc::CreateCustomChannel(endpoint, credentials, arguments);
      },
      log.replica());
}

absl::StatusOr<std::unique_ptr<WitnessPoller>> WitnessPoller::Start(
    const ndxp::config::v1::Witness& config, const ndxp::config::v1::TlsFiles& tls) {
  NDXP_ASSIGN_OR_RETURN(transparency::Ed25519NoteKey key,
                        transparency::LoadWitnessKey(config.key()));
  const absl::Duration interval = config.poll_interval_ms() == 0
                                      ? kDefaultPollInterval
                                      : absl::Milliseconds(config.poll_interval_ms());
  std::vector<transparency::Witness::Log> witnessed;
  std::vector<FollowedLog> logs;
  for (const auto& log : config.logs()) {
    std::vector<std::string> vkeys(log.log_vkeys().begin(), log.log_vkeys().end());
    witnessed.push_back({log.origin(), vkeys});
    NDXP_ASSIGN_OR_RETURN(std::unique_ptr<WitnessedLogClient> client,
                          ConnectToLog(log, tls, interval));
    logs.push_back({log.origin(), std::move(vkeys), log.endpoint(), std::move(client)});
  }
  NDXP_ASSIGN_OR_RETURN(
      std::unique_ptr<transparency::Witness> witness,
      transparency::Witness::Open(config.state_dir(), std::move(key), std::move(witnessed)));
  auto poller = std::make_unique<WitnessPoller>(std::move(witness), std::move(logs));
  for (const FollowedLog& log : poller->logs_) {
    Log().info("witnessing {} at {}, every {}", log.origin, log.endpoint,
               absl::FormatDuration(interval));
  }
  poller->thread_ = std::thread([poller = poller.get(), interval] { poller->Run(interval); });
  return poller;
}

WitnessPoller::WitnessPoller(std::unique_ptr<transparency::Witness> witness,
                             std::vector<FollowedLog> logs)
    : witness_(std::move(witness)), logs_(std::move(logs)) {
  absl::MutexLock lock(&mu_);
  for (const FollowedLog& log : logs_) states_[log.origin];
}

WitnessPoller::~WitnessPoller() { Stop(); }

void WitnessPoller::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (FollowedLog& log : logs_) log.client->Cancel();
  if (thread_.joinable()) thread_.join();
}

void WitnessPoller::Run(absl::Duration interval) {
  while (true) {
    PollOnce();
    absl::MutexLock lock(&mu_);
    // Woken at once by Stop: a condition wait, not a sleep.
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval);
    if (stopping_) return;
  }
}

void WitnessPoller::PollOnce() {
  for (FollowedLog& log : logs_) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    Poll(log);
  }
}

void WitnessPoller::Poll(FollowedLog& log) {
  absl::StatusOr<std::string> note = log.client->GetCheckpoint();
  if (!note.ok()) return Problem(log, "GetCheckpoint", note.status());
  // The note's text (its signatures apart: the log's hub adds witnesses'),
  // for remembering what was refused or delivered.
  const size_t blank = note->find("\n\n");
  const std::string text = blank == std::string::npos ? *note : note->substr(0, blank + 1);
  absl::StatusOr<Checkpoint> offered =
      transparency::OpenTreeCheckpoint(*note, log.origin, log.log_vkeys);
  absl::StatusOr<Checkpoint> latest = witness_->Latest(log.origin);
  if (!latest.ok()) return Problem(log, "the witness's state", latest.status());
  {
    absl::MutexLock lock(&mu_);
    LogState& state = states_[log.origin];
    if (!text.empty() && text == state.refused_text) return;  // refused once, and logged
    if (!offered.ok()) {
      Log().error(
          "{} at {}: the checkpoint offered is not one of this log signed by its log key "
          "({}); refused",
          log.origin, log.endpoint, offered.status().message());
      return Refuse(log, "unverified", text);
    }
    // Cosigned and handed back already: nothing new.
    if (*offered == *latest && text == state.delivered_text) {
      state.problem.clear();
      return;
    }
  }
  std::vector<Hash> proof;
  if (latest->tree_size > 0 && offered->tree_size > latest->tree_size) {
    absl::StatusOr<std::vector<Hash>> got =
        log.client->GetConsistencyProof(latest->tree_size, offered->tree_size);
    if (!got.ok()) return Problem(log, "GetConsistencyProof", got.status());
    proof = *std::move(got);
  }
  const std::string witness_name = witness_->vkey().substr(0, witness_->vkey().find('+'));
  absl::StatusOr<std::string> cosigned =
      witness_->Cosign(WithoutSignaturesBy(*note, witness_name), proof);
  if (!cosigned.ok()) {
    absl::MutexLock lock(&mu_);
    if (absl::IsDataLoss(cosigned.status())) {
      // Witness::Cosign logged why (the proof, or another root at the size).
      Log().error(
          "TWO HISTORIES: the log {} at {} shows a checkpoint ({}) inconsistent with the one "
          "this witness cosigned ({}); refused, as every checkpoint of it will be that does not "
          "extend the one cosigned",
          log.origin, log.endpoint, Head(*offered), Head(*latest));
      return Refuse(log, "inconsistent", text);
    }
    if (absl::IsFailedPrecondition(cosigned.status())) {
      Log().error(
          "the log {} at {} offers a checkpoint ({}) older than the one this witness "
          "cosigned ({}): a rollback; refused",
          log.origin, log.endpoint, Head(*offered), Head(*latest));
      return Refuse(log, "older", text);
    }
    Log().error("the log {} at {}: checkpoint ({}) refused: {}", log.origin, log.endpoint,
                Head(*offered), cosigned.status().message());
    return Refuse(log, "unverified", text);
  }
  if (offered->tree_size > latest->tree_size) {
    absl::MutexLock lock(&mu_);
    ++states_[log.origin].cosigned;
  }
  if (absl::Status added = log.client->AddCosignature(*cosigned); !added.ok()) {
    if (absl::IsUnimplemented(added)) {
      // A hub that predates AddCosignature will not take it: handed the next
      // checkpoint's, not this one's again at every poll.
      absl::MutexLock lock(&mu_);
      states_[log.origin].delivered_text = text;
    }
    return Problem(log, "AddCosignature", added);
  }
  absl::MutexLock lock(&mu_);
  LogState& state = states_[log.origin];
  state.delivered_text = text;
  if (!state.problem.empty()) {
    Log().info("the log {} at {} answers again ({} cosigned)", log.origin, log.endpoint,
               Head(*offered));
    state.problem.clear();
  }
}

void WitnessPoller::Refuse(const FollowedLog& log, absl::string_view reason,
                           const std::string& text) {
  LogState& state = states_[log.origin];
  ++state.refused[reason];
  state.refused_text = text;
}

void WitnessPoller::Problem(const FollowedLog& log, absl::string_view stage,
                            const absl::Status& status) {
  // Once per change of error: a log's hub down for an hour is one line.
  std::string problem = absl::StrCat(stage, " ", absl::StatusCodeToString(status.code()));
  absl::MutexLock lock(&mu_);
  if (stopping_ && absl::IsCancelled(status)) return;
  LogState& state = states_[log.origin];
  if (state.problem == problem) return;
  state.problem = std::move(problem);
  Log().warn("the log {} at {}: {} failed: {}{}", log.origin, log.endpoint, stage,
             status.ToString(),
             absl::IsUnimplemented(status) && stage == "AddCosignature"
                 ? " (the log's hub predates AddCosignature: its checkpoints are cosigned and "
                   "remembered here, not published with it)"
                 : "");
}

void WitnessPoller::WriteMetrics(metrics::PrometheusText* page) const {
  absl::MutexLock lock(&mu_);
  page->Family("ndxp_witness_cosigned_total", "counter",
               "Checkpoints of another hub's log this hub cosigned as a witness, each extending "
               "the last it cosigned.");
  for (const FollowedLog& log : logs_) {
    page->Sample("ndxp_witness_cosigned_total", {{"origin", log.origin}},
                 static_cast<double>(states_.at(log.origin).cosigned));
  }
  page->Family("ndxp_witness_refused_total", "counter",
               "Checkpoints this hub refused to cosign: inconsistent (two histories), older "
               "(a rollback), unverified (not signed by the log's key).");
  for (const FollowedLog& log : logs_) {
    for (const char* reason : {"inconsistent", "older", "unverified"}) {
      auto count = states_.at(log.origin).refused.find(reason);
      page->Sample(
          "ndxp_witness_refused_total", {{"origin", log.origin}, {"reason", reason}},
          count == states_.at(log.origin).refused.end() ? 0 : static_cast<double>(count->second));
    }
  }
  page->Family("ndxp_witness_tree_size", "gauge",
               "The tree size of the last checkpoint of the log this hub cosigned.");
  for (const FollowedLog& log : logs_) {
    absl::StatusOr<Checkpoint> latest = witness_->Latest(log.origin);
    page->Sample("ndxp_witness_tree_size", {{"origin", log.origin}},
                 latest.ok() ? static_cast<double>(latest->tree_size) : 0);
  }
}

uint64_t WitnessPoller::cosigned(const std::string& origin) const {
  absl::MutexLock lock(&mu_);
  auto state = states_.find(origin);
  return state == states_.end() ? 0 : state->second.cosigned;
}

uint64_t WitnessPoller::refused(const std::string& origin, const std::string& reason) const {
  absl::MutexLock lock(&mu_);
  auto state = states_.find(origin);
  if (state == states_.end()) return 0;
  auto count = state->second.refused.find(reason);
  return count == state->second.refused.end() ? 0 : count->second;
}

}  // namespace ndxp::gateway
