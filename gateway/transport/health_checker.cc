#include "gateway/transport/health_checker.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "gateway/transport/connector_socket.h"
#include "gateway/transport/h2_connection.h"
#include "gateway/transport/transport_thread.h"
#include "grpc/health/v1/health.pb.h"

namespace ndxp::gateway::transport {
namespace {

constexpr double kDefaultIntervalSeconds = 5.0;
constexpr double kDefaultTimeoutSeconds = 2.0;
// An endpoint that does not serve is asked again this often at most, so one
// that is back (a drain ended, a restart) gets calls soon.
constexpr double kLongestRecheckSeconds = 1.0;
// A HealthCheckResponse is 2 bytes; an answer far longer is not one.
constexpr size_t kMaxAnswerBytes = 256;
constexpr char kCheckPath[] = "/grpc.health.v1.Health/Check";

absl::string_view View(const uint8_t* data, size_t length) {
  return {reinterpret_cast<const char*>(data), length};
}

}  // namespace

// The long-lived connection one endpoint's checks go over: one Check at a
// time, its answer reported to the target's checker. Owned by its
// TransportThread, as every H2Connection; not thread-safe.
class HealthCheckConnection final : public H2Connection {
 public:
  using Result = HealthChecker::Result;

  // Starts connecting to the target's endpoint; nullptr if no socket could
  // be made. Ask(), then Begin().
  static HealthCheckConnection* Connect(TransportThread* thread, HealthChecker::Target* target) {
    std::optional<ConnectorSocket> socket =
        ConnectToConnector(*thread->shared().tls->Current(), target->address);
    if (!socket.has_value()) return nullptr;
    return new HealthCheckConnection(thread, socket->fd, socket->ssl, target);
  }

  // Sends one Check (once the handshake is done); its result, or kNoAnswer
  // after `timeout_seconds`, goes to the checker.
  void Ask(double timeout_seconds) {
    asking_ = true;
    http_status_.clear();
    grpc_status_.clear();
    answer_.clear();
    answer_too_long_ = false;
    ArmTimer(timeout_seconds);
    if (session_ != nullptr) Submit();
  }

  // The target is forgotten: nothing more is reported, the connection ends.
  void Detach() {
    target_ = nullptr;
    asking_ = false;
    Close();
  }

  // False once closed or told GOAWAY: the next check needs a new connection.
  bool usable() const { return !closed() && !goaway_received_; }

 private:
  HealthCheckConnection(TransportThread* thread, int fd, SSL* ssl, HealthChecker::Target* target)
      : H2Connection(thread, fd, ssl),
        target_(target),
        trust_domain_(thread->context()->trust_domain()) {}

  bool OnHandshakeDone() override {
    // Only the route's provider (or peer hub) may say whether its calls go there.
    if (!PresentsProvider(ssl(), trust_domain_, target_->provider, target_->peer_hub)) {
      return false;
    }
    nghttp2_session_callbacks* callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrameReceived);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &OnDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &OnStreamClose);
    int rv = nghttp2_session_client_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    if (rv != 0) return false;
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    if (asking_) Submit();
    return true;
  }

  void OnClosed() override {
    if (target_ == nullptr) return;
    if (target_->connection == this) target_->connection = nullptr;
    if (asking_) Finish(Result::kNoAnswer);  // refused, a failed handshake, lost
  }

  void OnTimer() override {  // no answer (or no handshake) in time
    if (asking_) Finish(Result::kNoAnswer);
    if (target_ != nullptr && target_->connection == this) target_->connection = nullptr;
    target_ = nullptr;
    Close();  // a connection that does not answer is not asked again
  }

  void Submit() {
    const std::string timeout = absl::StrCat(
        std::max<int64_t>(1, static_cast<int64_t>(TimeoutMillis())), "m");
    const std::string scheme = ssl() != nullptr ? "https" : "http";
    const std::pair<absl::string_view, absl::string_view> headers[] = {
        {":method", "POST"},
        {":scheme", scheme},
        {":path", kCheckPath},
        {":authority", target_->address},
        {"te", "trailers"},
        {"content-type", "application/grpc"},
        {"grpc-timeout", timeout},
    };
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : headers) {
      nva.push_back({const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                     const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                     name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    request_sent_ = 0;
    nghttp2_data_provider body;
    body.source.ptr = this;
    body.read_callback = &ReadRequest;
    stream_id_ = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), &body, nullptr);
    if (stream_id_ < 0) {
      Finish(Result::kNoAnswer);
      Close();
      return;
    }
    ScheduleFlush();
  }

  double TimeoutMillis() const { return target_->checker->TimeoutSeconds() * 1000; }

  // What the answer says, once its stream has closed.
  Result Judge(uint32_t error_code) const {
    if (error_code != NGHTTP2_NO_ERROR) return Result::kNoAnswer;  // reset, refused
    if (http_status_ != "200") return Result::kNotServing;
    // UNIMPLEMENTED, or PERMISSION_DENIED from a peer hub that did not grant
    // this one grpc.health.v1.Health: no health to read, not a failure.
    if (grpc_status_ == "12" || grpc_status_ == "7") return Result::kNoHealthService;
    if (grpc_status_ != "0" || answer_too_long_ || answer_.size() < 5) return Result::kNotServing;
    // One uncompressed message: flag 0, its length, HealthCheckResponse.
    const auto* prefix = reinterpret_cast<const uint8_t*>(answer_.data());
    const size_t length = (size_t{prefix[1]} << 24) | (size_t{prefix[2]} << 16) |
                          (size_t{prefix[3]} << 8) | prefix[4];
    grpc::health::v1::HealthCheckResponse response;
    if (prefix[0] != 0 || length != answer_.size() - 5 ||
        !response.ParseFromArray(answer_.data() + 5, static_cast<int>(length))) {
      return Result::kNotServing;
    }
    return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
               ? Result::kServing
               : Result::kNotServing;
  }

  void Finish(Result result) {
    asking_ = false;
    stream_id_ = -1;
    ArmTimer(0);
    if (target_ != nullptr) target_->checker->Report(*target_, result);
  }

  static ssize_t ReadRequest(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                             uint32_t* flags, nghttp2_data_source* source, void*) {
    // An empty HealthCheckRequest (service "": the connector as a whole).
    static constexpr uint8_t kEmptyRequest[5] = {0, 0, 0, 0, 0};
    auto* self = static_cast<HealthCheckConnection*>(source->ptr);
    size_t n = std::min(length, sizeof(kEmptyRequest) - self->request_sent_);
    std::copy_n(kEmptyRequest + self->request_sent_, n, buffer);
    self->request_sent_ += n;
    if (self->request_sent_ == sizeof(kEmptyRequest)) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* data) {
    auto* self = static_cast<HealthCheckConnection*>(data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->hd.stream_id != self->stream_id_) return 0;
    absl::string_view header = View(name, name_length);
    // Short values only: these are a few digits.
    if (value_length > 8) return 0;
    const char* text = reinterpret_cast<const char*>(value);
    if (header == ":status") self->http_status_.assign(text, value_length);
    if (header == "grpc-status") self->grpc_status_.assign(text, value_length);
    return 0;
  }

  static int OnFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* data) {
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      static_cast<HealthCheckConnection*>(data)->goaway_received_ = true;
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t length, void* self_data) {
    auto* self = static_cast<HealthCheckConnection*>(self_data);
    if (stream_id != self->stream_id_) return 0;
    if (self->answer_.size() + length > kMaxAnswerBytes) {
      self->answer_too_long_ = true;
    } else {
      self->answer_.append(reinterpret_cast<const char*>(data), length);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* data) {
    auto* self = static_cast<HealthCheckConnection*>(data);
    if (stream_id != self->stream_id_ || !self->asking_) return 0;
    self->Finish(self->Judge(error_code));
    return 0;
  }

  HealthChecker::Target* target_;  // nullptr once forgotten
  const std::string trust_domain_;
  bool asking_ = false;  // a check is out, or waits for the handshake
  bool goaway_received_ = false;
  int32_t stream_id_ = -1;
  size_t request_sent_ = 0;
  std::string http_status_, grpc_status_, answer_;
  bool answer_too_long_ = false;
};

std::atomic<EndpointHealth>* EndpointHealthBoard::Cell(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto& cell = cells_[key];
  if (cell == nullptr) cell = std::make_unique<std::atomic<EndpointHealth>>(EndpointHealth::kUnchecked);
  return cell.get();
}

HealthChecker::HealthChecker(TransportThread* thread) : thread_(thread) {}

HealthChecker::~HealthChecker() { Stop(); }

void HealthChecker::SetRoutes(const RouteTable& routes) {
  if (stopped_) return;
  const int threads = std::max(1, thread_->shared().threads);
  absl::flat_hash_set<std::string> seen, mine;
  size_t position = 0;
  for (const auto& service : routes.services()) {
    for (size_t i = 0; i < service->endpoints.size(); ++i) {
      const std::string& key = service->upstream_keys[i];
      if (!seen.insert(key).second) continue;
      if (position++ % threads != static_cast<size_t>(thread_->index())) continue;
      mine.insert(key);
      auto& target = targets_[key];
      if (target != nullptr) continue;
      target = std::make_unique<Target>();
      target->checker = this;
      target->key = key;
      target->provider = service->provider;
      target->peer_hub = service->peer_hub;
      target->address = service->endpoints[i];
      // A verdict from before (the endpoint was another thread's, or routed
      // earlier) stands until this thread's first check, which is now.
      target->health = thread_->shared().health->Cell(key);
      ev_timer_init(&target->timer, &HealthChecker::OnTimer, 0., 0.);
      target->timer.data = target.get();
      ev_timer_start(thread_->loop(), &target->timer);
    }
  }
  std::vector<std::string> gone;
  for (const auto& [key, target] : targets_) {
    if (!mine.contains(key)) gone.push_back(key);
  }
  for (const std::string& key : gone) Forget(*targets_[key]);
}

void HealthChecker::Stop() {
  stopped_ = true;
  std::vector<Target*> all;
  for (const auto& [key, target] : targets_) all.push_back(target.get());
  for (Target* target : all) Forget(*target);
}

void HealthChecker::Forget(Target& target) {
  ev_timer_stop(thread_->loop(), &target.timer);
  if (target.connection != nullptr) target.connection->Detach();
  const std::string key = target.key;
  targets_.erase(key);  // destroys `target`
}

void HealthChecker::OnTimer(struct ev_loop*, ev_timer* watcher, int) {
  auto* target = static_cast<Target*>(watcher->data);
  target->checker->Check(*target);
}

double HealthChecker::IntervalSeconds() const {
  uint32_t ms = thread_->context()->settings.config.health_checks().interval_ms();
  return ms != 0 ? ms / 1000.0 : kDefaultIntervalSeconds;
}

double HealthChecker::TimeoutSeconds() const {
  // A check waits for the one before: a timeout longer than the interval
  // only makes the next check later.
  uint32_t ms = thread_->context()->settings.config.health_checks().timeout_ms();
  return ms != 0 ? ms / 1000.0 : std::min(kDefaultTimeoutSeconds, IntervalSeconds());
}

void HealthChecker::Check(Target& target) {
  HealthCheckConnection* connection = target.connection;
  if (connection != nullptr && !connection->usable()) {
    connection->Detach();  // told GOAWAY: the next check goes over a new one
    connection = nullptr;
  }
  if (connection == nullptr) {
    connection = HealthCheckConnection::Connect(thread_, &target);
    if (connection == nullptr) {
      Report(target, Result::kNoAnswer);
      return;
    }
    target.connection = connection;
    connection->Ask(TimeoutSeconds());
    connection->Begin();  // may fail at once: then it reports kNoAnswer
    return;
  }
  connection->Ask(TimeoutSeconds());
}

void HealthChecker::Report(Target& target, Result result) {
  const EndpointHealth now = result == Result::kServing || result == Result::kNoHealthService
                                 ? EndpointHealth::kServing
                             : result == Result::kNotServing ? EndpointHealth::kNotServing
                                                             : EndpointHealth::kNoAnswer;
  // Before the metrics: whoever sees the verdict there finds every thread
  // routing by it.
  const EndpointHealth before = target.health->exchange(now, std::memory_order_acq_rel);
  if (auto* metrics = thread_->context()->metrics) {
    metrics->OnHealthCheck(target.provider, target.address, result);
  }
  if (now != before) {
    spdlog::logger& log = logging::Log("transport");
    const absl::string_view name = metrics::CallMetrics::Name(result);
    if (now == EndpointHealth::kServing) {
      if (result == Result::kNoHealthService) {
        log.warn("connector {} at {} has no health service for this hub (UNIMPLEMENTED, or "
                 "PERMISSION_DENIED by a peer hub that grants it none): taken as serving",
                 target.provider, target.address);
      } else if (before != EndpointHealth::kUnchecked) {
        log.info("connector {} at {} serves again: calls go to it", target.provider,
                 target.address);
      }
    } else {
      log.warn("connector {} at {} health check: {}; no new calls until it answers SERVING",
               target.provider, target.address, name);
    }
  }
  const double interval = IntervalSeconds();
  const double next =
      now == EndpointHealth::kServing ? interval : std::min(interval, kLongestRecheckSeconds);
  ev_timer_set(&target.timer, next, 0.);
  ev_timer_start(thread_->loop(), &target.timer);
}

}  // namespace ndxp::gateway::transport
