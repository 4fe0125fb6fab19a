#include "gateway/proxy/proxy_service.h"

#include <cstdio>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/server_callback.h>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/protocol/metadata.h"
#include "gateway/identity/consumer_identity.h"

namespace ndxp::gateway {
namespace {

using grpc::ByteBuffer;
using grpc::GenericCallbackServerContext;
using grpc::Status;
using grpc::StatusCode;

absl::string_view View(const grpc::string_ref& s) { return {s.data(), s.size()}; }

// The first value of a client metadata key, or empty.
absl::string_view ClientHeader(const GenericCallbackServerContext& ctx, const char* key) {
  auto it = ctx.client_metadata().find(key);
  return it == ctx.client_metadata().end() ? absl::string_view() : View(it->second);
}

// 128 random bits in hex; per-thread generator, no lock.
std::string NewRequestId() {
  static thread_local absl::BitGen bits;
  char id[33];
  std::snprintf(id, sizeof(id), "%016llx%016llx",
                static_cast<unsigned long long>(absl::Uniform<uint64_t>(bits)),
                static_cast<unsigned long long>(absl::Uniform<uint64_t>(bits)));
  return std::string(id, 32);
}

// Client headers that are not forwarded: transport headers gRPC sets itself,
// and the federation's own, which the hub sets from what it verified.
bool IsForwardedHeader(absl::string_view key) {
  return !(key.empty() || key[0] == ':' || absl::StartsWith(key, "grpc-") ||
           key == "user-agent" || key == "te" || key == "content-type" ||
           key == "host" || absl::StartsWith(key, "x-ndxp-"));
}

// Copies a connector's response headers or trailers to the caller.
template <typename AddFn>
void CopyConnectorMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& from,
                           AddFn add) {
  for (const auto& [key, value] : from) {
    absl::string_view k = View(key);
    if (k == protocol::kRequestIdHeader) continue;  // the hub echoes its own
    add(std::string(k), std::string(View(value)));
  }
}

// A call refused before forwarding. Operations started in the constructor
// run once gRPC binds the reactor.
class RejectedCall final : public grpc::ServerGenericBidiReactor {
 public:
  explicit RejectedCall(Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

// The upstream request: the caller's identity and request metadata, and its
// deadline, as the connector must see them.
void PrepareUpstream(const ProxyContext& hub, const GenericCallbackServerContext& ctx,
                     const ConsumerIdentity& consumer, const std::string& request_id,
                     absl::string_view purpose, grpc::ClientContext* upstream) {
  for (const auto& [key, value] : ctx.client_metadata()) {
    absl::string_view k = View(key);
    if (IsForwardedHeader(k)) upstream->AddMetadata(std::string(k), std::string(View(value)));
  }
  upstream->AddMetadata(protocol::kConsumerHeader, std::string(consumer.spiffe_id));
  upstream->AddMetadata(protocol::kRequestIdHeader, request_id);
  if (!purpose.empty()) upstream->AddMetadata(protocol::kPurposeHeader, std::string(purpose));
  auto deadline = ctx.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    deadline = std::chrono::system_clock::now() + hub.default_deadline;
  }
  upstream->set_deadline(deadline);
}

// Unary methods: read the one request, make one generic unary call upstream,
// answer with its response and status in a single batch.
class UnaryProxyCall final : public grpc::ServerGenericBidiReactor {
 public:
  UnaryProxyCall(const ProxyContext& hub, GenericCallbackServerContext* ctx,
                 const MethodRoute& route)
      : ctx_(ctx), route_(route), stub_(hub.upstreams->StubFor(*route.service)) {
    StartRead(&request_);
  }

  grpc::ClientContext* upstream_context() { return &upstream_; }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(Status(StatusCode::CANCELLED, "the caller sent no request"));
      return;
    }
    stub_.UnaryCall(&upstream_, route_.full_method, grpc::StubOptions(), &request_,
                    &response_, [this](Status status) { OnUpstreamDone(std::move(status)); });
  }

  void OnCancel() override { upstream_.TryCancel(); }
  void OnDone() override { delete this; }

 private:
  void OnUpstreamDone(Status status) {
    auto add_header = [this](std::string k, std::string v) {
      ctx_->AddInitialMetadata(std::move(k), std::move(v));
    };
    auto add_trailer = [this](std::string k, std::string v) {
      ctx_->AddTrailingMetadata(std::move(k), std::move(v));
    };
    CopyConnectorMetadata(upstream_.GetServerInitialMetadata(), add_header);
    CopyConnectorMetadata(upstream_.GetServerTrailingMetadata(), add_trailer);
    if (status.ok()) {
      StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
    } else {
      Finish(status);
    }
  }

  GenericCallbackServerContext* const ctx_;
  const MethodRoute& route_;
  grpc::GenericStub& stub_;
  grpc::ClientContext upstream_;
  ByteBuffer request_;
  ByteBuffer response_;
};

// Streaming methods (client, server or both): two pumps, caller -> connector
// (requests) and connector -> caller (responses), each with at most one
// message in flight, so a slow side applies back-pressure to the other.
//
// Lifetime: the connector's call holds two reactor holds, one per pump, so its
// OnDone (after which no operation may be started on it) cannot run while a
// pump may still start one. Its OnDone finishes the caller's call, and the
// caller's OnDone, which always comes last, deletes this.
class StreamingProxyCall final : public grpc::ServerGenericBidiReactor {
 public:
  StreamingProxyCall(const ProxyContext& hub, GenericCallbackServerContext* ctx,
                     const MethodRoute& route)
      : ctx_(ctx), upstream_(this) {
    hub.upstreams->StubFor(*route.service)
        .PrepareBidiStreamingCall(&upstream_context_, route.full_method,
                                  grpc::StubOptions(), &upstream_);
  }

  grpc::ClientContext* upstream_context() { return &upstream_context_; }

  void Start() {
    upstream_.AddMultipleHolds(2);  // the request pump's and the response pump's
    upstream_.StartRead(&response_);
    upstream_.StartCall();
    StartRead(&request_);
  }

  // Request pump: a request arrived from the caller, or the caller half-closed.
  void OnReadDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      if (request_hold_released_) return;  // the connector has closed its side
      if (ok) {
        upstream_write_in_flight_ = true;
      } else {
        request_hold_released_ = true;
      }
    }
    if (ok) {
      upstream_.StartWrite(&request_);
    } else {
      upstream_.StartWritesDone();
      upstream_.RemoveHold();
    }
  }

  // Response pump: a response reached the caller (or the caller is gone).
  void OnWriteDone(bool ok) override {
    if (ok) {
      upstream_.StartRead(&response_);
      return;
    }
    upstream_context_.TryCancel();
    upstream_.RemoveHold();
  }

  void OnCancel() override { upstream_context_.TryCancel(); }
  void OnDone() override { delete this; }

 private:
  class Upstream final : public grpc::ClientBidiReactor<ByteBuffer, ByteBuffer> {
   public:
    explicit Upstream(StreamingProxyCall* call) : call_(call) {}
    void OnReadInitialMetadataDone(bool ok) override { call_->OnUpstreamHeaders(ok); }
    void OnReadDone(bool ok) override { call_->OnUpstreamRead(ok); }
    void OnWriteDone(bool ok) override { call_->OnUpstreamWriteDone(ok); }
    void OnDone(const Status& status) override { call_->OnUpstreamDone(status); }

   private:
    StreamingProxyCall* const call_;
  };

  // The connector's response headers go out first, on their own; a response
  // that arrives before they are handled waits for them.
  void OnUpstreamHeaders(bool ok) {
    bool write_waiting;
    {
      absl::MutexLock lock(&mu_);
      headers_handled_ = true;
      write_waiting = response_waiting_;
      if (ok) {
        CopyConnectorMetadata(upstream_context_.GetServerInitialMetadata(),
                              [this](std::string k, std::string v) {
                                ctx_->AddInitialMetadata(std::move(k), std::move(v));
                              });
      }
    }
    if (ok) StartSendInitialMetadata();
    if (write_waiting) StartWrite(&response_);
  }

  // Response pump: a response arrived from the connector, or it has no more.
  void OnUpstreamRead(bool ok) {
    if (!ok) {
      // The connector closed its side: requests still streaming in have
      // nowhere to go, so the request pump lets go too (unless a write is in
      // flight: its completion does it). The status follows in OnUpstreamDone.
      bool release_request_hold;
      {
        absl::MutexLock lock(&mu_);
        connector_closed_ = true;
        release_request_hold = !request_hold_released_ && !upstream_write_in_flight_;
        if (release_request_hold) request_hold_released_ = true;
      }
      if (release_request_hold) upstream_.RemoveHold();
      upstream_.RemoveHold();  // the response pump's
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (!headers_handled_) {
        response_waiting_ = true;
        return;
      }
    }
    StartWrite(&response_);
  }

  // Request pump: the connector took a request (or stopped taking them).
  void OnUpstreamWriteDone(bool ok) {
    bool release_request_hold;
    {
      absl::MutexLock lock(&mu_);
      upstream_write_in_flight_ = false;
      release_request_hold = !ok || connector_closed_;
      if (release_request_hold) request_hold_released_ = true;
    }
    if (release_request_hold) {
      upstream_.RemoveHold();
    } else {
      StartRead(&request_);
    }
  }

  // Runs after both pumps released their holds: no operation is in flight on
  // either side, so the caller's call can finish with the connector's status.
  void OnUpstreamDone(const Status& status) {
    CopyConnectorMetadata(upstream_context_.GetServerTrailingMetadata(),
                          [this](std::string k, std::string v) {
                            ctx_->AddTrailingMetadata(std::move(k), std::move(v));
                          });
    Finish(status);  // the caller's OnDone deletes this: touch nothing after
  }

  GenericCallbackServerContext* const ctx_;
  grpc::ClientContext upstream_context_;
  Upstream upstream_;
  ByteBuffer request_;
  ByteBuffer response_;

  absl::Mutex mu_;
  bool headers_handled_ ABSL_GUARDED_BY(mu_) = false;
  bool response_waiting_ ABSL_GUARDED_BY(mu_) = false;
  bool upstream_write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool connector_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool request_hold_released_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerGenericBidiReactor* ProxyService::CreateReactor(
    GenericCallbackServerContext* ctx) {
  const ProxyContext& hub = *context_;
  ProxyStats& stats = *hub.stats;

  // Who is calling: only the verified certificate says.
  std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
  absl::StatusOr<ConsumerIdentity> consumer =
      IdentityFromAuthContext(*auth, hub.trust_domain);
  if (!consumer.ok()) {
    stats.unauthenticated.fetch_add(1, std::memory_order_relaxed);
    return new RejectedCall(Status(StatusCode::UNAUTHENTICATED,
                                   std::string(consumer.status().message())));
  }

  const MethodRoute* route = hub.routes->Find(ctx->method());
  if (route == nullptr) {
    stats.unimplemented.fetch_add(1, std::memory_order_relaxed);
    return new RejectedCall(Status(StatusCode::UNIMPLEMENTED,
                                   absl::StrCat("no route for method ", ctx->method())));
  }
  if (!hub.policy->Allows(*consumer, *route)) {
    stats.permission_denied.fetch_add(1, std::memory_order_relaxed);
    return new RejectedCall(
        Status(StatusCode::PERMISSION_DENIED,
               absl::StrCat(consumer->spiffe_id, " is not granted ", route->full_method)));
  }
  absl::string_view purpose = ClientHeader(*ctx, protocol::kPurposeHeader);
  if (route->personal_data && purpose.empty()) {
    stats.missing_purpose.fetch_add(1, std::memory_order_relaxed);
    return new RejectedCall(Status(
        StatusCode::INVALID_ARGUMENT,
        absl::StrCat(protocol::kPurposeHeader, " metadata is required: ", route->full_method,
                     " returns personal data")));
  }

  std::string request_id(ClientHeader(*ctx, protocol::kRequestIdHeader));
  if (request_id.empty()) request_id = NewRequestId();
  ctx->AddInitialMetadata(protocol::kRequestIdHeader, request_id);
  stats.forwarded.fetch_add(1, std::memory_order_relaxed);

  if (route->unary) {
    auto* call = new UnaryProxyCall(hub, ctx, *route);
    PrepareUpstream(hub, *ctx, *consumer, request_id, purpose, call->upstream_context());
    return call;
  }
  auto* call = new StreamingProxyCall(hub, ctx, *route);
  PrepareUpstream(hub, *ctx, *consumer, request_id, purpose, call->upstream_context());
  call->Start();
  return call;
}

}  // namespace ndxp::gateway
