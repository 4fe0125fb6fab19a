#include "gateway/proxy/async_proxy.h"

#include <cstdio>

#include <grpcpp/alarm.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/protocol/metadata.h"
#include "gateway/admission/admission.h"
#include "gateway/identity/consumer_identity.h"

namespace ndxp::gateway {
namespace {

using grpc::ByteBuffer;
using grpc::Status;
using grpc::StatusCode;

// Calls requested ahead on each queue, so arriving calls never wait for the
// queue's thread to ask for the next one.
constexpr int kCallsRequestedAhead = 32;

absl::string_view View(const grpc::string_ref& s) { return {s.data(), s.size()}; }

// 128 random bits in hex; per-thread generator, no lock.
std::string NewRequestId() {
  static thread_local absl::BitGen bits;
  char id[33];
  std::snprintf(id, sizeof(id), "%016llx%016llx",
                static_cast<unsigned long long>(absl::Uniform<uint64_t>(bits)),
                static_cast<unsigned long long>(absl::Uniform<uint64_t>(bits)));
  return std::string(id, 32);
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

// What the hub decided about a call before forwarding it.
struct Admission {
  Status refusal;  // OK: forward to `route`, or answer with `local`
  const MethodRoute* route = nullptr;
  const LocalMethod* local = nullptr;
};


// The admission decision (gateway/admission) applied to a gRPC call: the
// request id echoed (refusals included); on success the upstream context
// carries the caller's identity, metadata and deadline, and `record` who
// calls what. Nothing the caller sent reaches gRPC's metadata unchecked.
Admission Admit(const ProxyContext& hub, grpc::GenericServerContext& ctx,
                grpc::ClientContext* upstream, TransactionRecord* record) {
  absl::StatusOr<ConsumerIdentity> consumer =
      IdentityFromAuthContext(*ctx.auth_context(), hub.trust_domain());
  std::vector<RequestHeader> headers;
  headers.reserve(ctx.client_metadata().size());
  for (const auto& [key, value] : ctx.client_metadata()) headers.push_back({View(key), View(value)});
  AdmissionTables tables{hub.routes.get(), hub.policy.get(), hub.local.get(), &NewRequestId};
  AdmissionDecision decision = Admit(tables, {ctx.method(), &consumer, headers});
  CountAdmission(decision, hub.stats);
  ctx.AddInitialMetadata(protocol::kRequestIdHeader, decision.request_id);
  if (!decision.status.ok()) {
    return {Status(static_cast<StatusCode>(decision.status.code()),
                   std::string(decision.status.message()))};
  }
  if (decision.local != nullptr) return {Status::OK, nullptr, decision.local};

  for (auto& [key, value] : decision.upstream_headers) {
    upstream->AddMetadata(std::move(key), std::move(value));
  }
  auto deadline = ctx.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    deadline = std::chrono::system_clock::now() + hub.default_deadline;
  }
  upstream->set_deadline(deadline);

  if (hub.recorder != nullptr) {
    const MethodRoute* route = decision.route;
    record->request_id = std::move(decision.request_id);
    record->consumer = std::move(decision.consumer);
    record->provider = route->service->provider;
    record->service = route->service->service;
    record->method = std::string(route->method);
    record->purpose = std::move(decision.purpose);
  }
  return {Status::OK, decision.route};
}

class ProxyCall;

// A completion-queue tag: the call and which of its handlers the event is for.
struct Tag {
  ProxyCall* call;
  void (ProxyCall::*handler)(bool ok);
};

// One call through the hub, from the caller's request to the connector and
// back. Not thread-safe, and needs not be: all its events arrive on one
// queue, handled by that queue's thread one at a time. Owns itself: deleted
// when no operation of its own is outstanding.
class ProxyCall {
 public:
  // Called with queue->mu held (by Start, or from an event of this queue).
  explicit ProxyCall(AsyncProxy::Queue* queue) : queue_(queue), cq_(queue->cq.get()) {
    context_.AsyncNotifyWhenDone(&done_);  // delivered only if the call is accepted
    queue->service->RequestCall(&context_, &stream_, cq_, cq_, Arm(accepted_));
  }

  // While the queue drains at shutdown no operation may start: only
  // cancellation still flows, so the connector's side ends promptly.
  void OnEvent(Tag* tag, bool ok, bool draining) {
    --outstanding_;
    if (!draining) {
      (this->*tag->handler)(ok);
    } else if (tag == &done_) {
      upstream_context_.TryCancel();
    }
    if (outstanding_ == 0) delete this;
  }

 private:
  Tag* Arm(Tag& tag) {
    ++outstanding_;
    return &tag;
  }

  void OnAccepted(bool ok) {
    if (!ok) return;  // the server is shutting down
    ++outstanding_;   // the done notification is now due
    new ProxyCall(queue_);
    hub_ = queue_->context;  // this call's configuration, to its end
    record_.time_micros = absl::GetCurrentTimeNanos() / 1000;

    Admission admission = Admit(*hub_, context_, &upstream_context_, &record_);
    if (!admission.refusal.ok()) {
      stream_.Finish(admission.refusal, Arm(finished_));
      return;
    }
    if (admission.local != nullptr) {
      local_ = admission.local;
      stream_.Read(&request_, Arm(local_read_));
      return;
    }
    route_ = admission.route;
    grpc::GenericStub& stub = hub_->upstreams->StubFor(*route_->service);
    if (route_->unary) {
      stream_.Read(&request_, Arm(unary_request_read_));
      return;
    }
    upstream_stream_ = stub.PrepareCall(&upstream_context_, route_->full_method, cq_);
    upstream_stream_->StartCall(Arm(upstream_started_));
  }

  void OnDone(bool) {
    if (context_.IsCancelled()) upstream_context_.TryCancel();
  }

  void OnFinished(bool) {}

  // --- The hub's own methods (health, reflection), answered here.

  void OnLocalRead(bool ok) {
    using Shape = LocalMethod::Shape;
    if (!ok) {  // the caller half-closed (or went away)
      if (local_->shape() == Shape::kBidi) {
        stream_.Finish(Status::OK, Arm(finished_));
      } else if (local_->shape() == Shape::kUnary) {
        stream_.Finish(Status(StatusCode::INVALID_ARGUMENT, "no request message"),
                       Arm(finished_));
      }
      // kWatch: its answer is sent; the stream stays open until cancelled.
      return;
    }
    if (local_->blocking()) {
      // Off this thread; the outcome comes back to this call's queue.
      Arm(local_answered_);
      hub_->worker->Run([this] {
        local_status_ = local_->Answer(&request_, &response_);
        alarm_.Set(cq_, gpr_now(GPR_CLOCK_MONOTONIC), &local_answered_);
      });
      return;
    }
    local_status_ = local_->Answer(&request_, &response_);
    OnLocalAnswered(true);
  }

  void OnLocalAnswered(bool) {
    using Shape = LocalMethod::Shape;
    const Status& status = local_status_;
    if (!status.ok()) {
      stream_.Finish(status, Arm(finished_));
    } else if (local_->shape() == Shape::kUnary) {
      stream_.WriteAndFinish(response_, grpc::WriteOptions(), Status::OK, Arm(finished_));
    } else {
      stream_.Write(response_, Arm(local_written_));
    }
  }

  void OnLocalWritten(bool ok) {
    if (ok) stream_.Read(&request_, Arm(local_read_));
  }

  // --- Unary: one request, one generic unary call upstream, one answer.

  void OnUnaryRequestRead(bool ok) {
    if (!ok) {
      stream_.Finish(Status(StatusCode::CANCELLED, "the caller sent no request"),
                     Arm(finished_));
      return;
    }
    record_.request_bytes += request_.Length();
    unary_call_ = hub_->upstreams->StubFor(*route_->service)
                      .PrepareUnaryCall(&upstream_context_, route_->full_method, request_, cq_);
    unary_call_->StartCall();
    unary_call_->Finish(&response_, &upstream_status_, Arm(unary_answered_));
  }

  void OnUnaryAnswered(bool) {
    CopyResponseMetadata();
    if (upstream_status_.ok()) record_.response_bytes += response_.Length();
    Complete(/*with_response=*/upstream_status_.ok());
  }

  // --- Streaming: a request pump (caller -> connector) and a response pump
  // (connector -> caller), each with one message in flight, so a slow side
  // holds the other back.

  void OnUpstreamStarted(bool ok) {
    if (!ok) return FinishUpstream();
    upstream_stream_->ReadInitialMetadata(Arm(upstream_headers_));
    stream_.Read(&request_, Arm(request_read_));
  }

  void OnUpstreamHeaders(bool ok) {
    if (!ok) return FinishUpstream();
    CopyConnectorMetadata(upstream_context_.GetServerInitialMetadata(),
                          [this](std::string k, std::string v) {
                            context_.AddInitialMetadata(std::move(k), std::move(v));
                          });
    stream_.SendInitialMetadata(Arm(headers_sent_));
    upstream_stream_->Read(&response_, Arm(response_read_));
  }

  void OnHeadersSent(bool) {}

  void OnRequestRead(bool ok) {
    if (upstream_finishing_) return;  // the connector has closed its side
    if (ok) {
      record_.request_bytes += request_.Length();
      upstream_stream_->Write(request_, Arm(request_forwarded_));
    } else {
      upstream_stream_->WritesDone(Arm(writes_done_));  // the caller half-closed
    }
  }

  void OnRequestForwarded(bool ok) {
    if (ok && !upstream_finishing_) stream_.Read(&request_, Arm(request_read_));
  }

  void OnWritesDone(bool) {}

  void OnResponseRead(bool ok) {
    if (!ok) return FinishUpstream();  // no more responses
    record_.response_bytes += response_.Length();
    stream_.Write(response_, Arm(response_forwarded_));
  }

  void OnResponseForwarded(bool ok) {
    if (ok) {
      upstream_stream_->Read(&response_, Arm(response_read_));
      return;
    }
    upstream_context_.TryCancel();  // the caller is gone
    FinishUpstream();
  }

  // Only reached with no response write in flight: the response pump re-arms
  // its read only after the previous write completed.
  void FinishUpstream() {
    if (upstream_finishing_) return;
    upstream_finishing_ = true;
    upstream_stream_->Finish(&upstream_status_, Arm(upstream_finished_));
  }

  void OnUpstreamFinished(bool) {
    CopyResponseMetadata();
    Complete(/*with_response=*/false);
  }

  // --- The transaction: recorded, and in durable mode the caller's answer
  // waits until its record is committed.

  void Complete(bool with_response) {
    Recorder* recorder = hub_->recorder;
    if (recorder == nullptr) return Answer(with_response);
    record_.status_code = upstream_status_.error_code();
    record_.latency_micros = absl::GetCurrentTimeNanos() / 1000 - record_.time_micros;
    if (!hub_->hold_until_recorded) {
      recorder->Record(queue_->index, std::move(record_));
      return Answer(with_response);
    }
    answer_with_response_ = with_response;
    Arm(recorded_);
    // Runs on the recorder's thread: hand the outcome back to this call's
    // queue, whose thread alone touches the call.
    recorder->Record(queue_->index, std::move(record_), [this](const absl::Status& status) {
      record_status_ = status;
      alarm_.Set(cq_, gpr_now(GPR_CLOCK_MONOTONIC), &recorded_);
    });
  }

  void OnRecorded(bool) {
    if (!record_status_.ok()) {
      // An answer whose transaction is not on record is not released.
      stream_.Finish(Status(StatusCode::UNAVAILABLE,
                            "the hub could not record this transaction; retry later"),
                     Arm(finished_));
      return;
    }
    Answer(answer_with_response_);
  }

  void Answer(bool with_response) {
    if (with_response) {
      stream_.WriteAndFinish(response_, grpc::WriteOptions(), upstream_status_, Arm(finished_));
    } else {
      stream_.Finish(upstream_status_, Arm(finished_));
    }
  }

  // The connector's trailers (and, for unary calls, headers) to the caller.
  void CopyResponseMetadata() {
    if (route_ != nullptr && route_->unary) {
      CopyConnectorMetadata(upstream_context_.GetServerInitialMetadata(),
                            [this](std::string k, std::string v) {
                              context_.AddInitialMetadata(std::move(k), std::move(v));
                            });
    }
    CopyConnectorMetadata(upstream_context_.GetServerTrailingMetadata(),
                          [this](std::string k, std::string v) {
                            context_.AddTrailingMetadata(std::move(k), std::move(v));
                          });
  }

  AsyncProxy::Queue* const queue_;
  grpc::ServerCompletionQueue* const cq_;
  std::shared_ptr<const ProxyContext> hub_;
  int outstanding_ = 0;
  const MethodRoute* route_ = nullptr;
  const LocalMethod* local_ = nullptr;

  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_{&context_};
  // Declared after their context: the readers live in the call's arena.
  grpc::ClientContext upstream_context_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> unary_call_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> upstream_stream_;
  ByteBuffer request_;
  ByteBuffer response_;
  Status upstream_status_;
  bool upstream_finishing_ = false;
  TransactionRecord record_;
  grpc::Alarm alarm_;
  absl::Status record_status_;  // set by the recorder before the alarm fires
  Status local_status_;         // set by the worker before the alarm fires
  bool answer_with_response_ = false;

  Tag accepted_{this, &ProxyCall::OnAccepted};
  Tag done_{this, &ProxyCall::OnDone};
  Tag finished_{this, &ProxyCall::OnFinished};
  Tag local_read_{this, &ProxyCall::OnLocalRead};
  Tag local_written_{this, &ProxyCall::OnLocalWritten};
  Tag local_answered_{this, &ProxyCall::OnLocalAnswered};
  Tag unary_request_read_{this, &ProxyCall::OnUnaryRequestRead};
  Tag unary_answered_{this, &ProxyCall::OnUnaryAnswered};
  Tag upstream_started_{this, &ProxyCall::OnUpstreamStarted};
  Tag upstream_headers_{this, &ProxyCall::OnUpstreamHeaders};
  Tag headers_sent_{this, &ProxyCall::OnHeadersSent};
  Tag request_read_{this, &ProxyCall::OnRequestRead};
  Tag request_forwarded_{this, &ProxyCall::OnRequestForwarded};
  Tag writes_done_{this, &ProxyCall::OnWritesDone};
  Tag response_read_{this, &ProxyCall::OnResponseRead};
  Tag response_forwarded_{this, &ProxyCall::OnResponseForwarded};
  Tag upstream_finished_{this, &ProxyCall::OnUpstreamFinished};
  Tag recorded_{this, &ProxyCall::OnRecorded};
};

}  // namespace

AsyncProxy::AsyncProxy(std::shared_ptr<const ProxyContext> context, int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    auto queue = std::make_unique<Queue>();
    queue->service = &service_;
    queue->context = context;
    queue->index = i;
    queues_.push_back(std::move(queue));
  }
}

void AsyncProxy::SetContext(const std::shared_ptr<const ProxyContext>& context) {
  for (auto& queue : queues_) {
    absl::MutexLock lock(&queue->mu);
    queue->context = context;
  }
}

AsyncProxy::~AsyncProxy() { Shutdown(); }

void AsyncProxy::AddTo(grpc::ServerBuilder* builder) {
  builder->RegisterAsyncGenericService(&service_);
  for (auto& queue : queues_) queue->cq = builder->AddCompletionQueue();
}

void AsyncProxy::Start() {
  for (auto& queue : queues_) {
    {
      absl::MutexLock lock(&queue->mu);
      for (int i = 0; i < kCallsRequestedAhead; ++i) new ProxyCall(queue.get());
    }
    queue->thread = std::thread([this, q = queue.get()] { Run(q); });
  }
}

void AsyncProxy::Run(Queue* queue) {
  void* tag;
  bool ok;
  while (queue->cq->Next(&tag, &ok)) {
    absl::MutexLock lock(&queue->mu);
    Tag* event = static_cast<Tag*>(tag);
    event->call->OnEvent(event, ok, queue->shutting_down);
  }
}

void AsyncProxy::Shutdown() {
  for (auto& queue : queues_) {
    if (!queue->thread.joinable()) continue;
    {
      absl::MutexLock lock(&queue->mu);
      if (queue->shutting_down) continue;
      queue->shutting_down = true;
    }
    queue->cq->Shutdown();
  }
  for (auto& queue : queues_) {
    if (queue->thread.joinable()) queue->thread.join();
  }
}

}  // namespace ndxp::gateway
