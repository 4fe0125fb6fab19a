#include "gateway/transport/local_connector.h"

#include <memory>
#include <utility>
#include <vector>

#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "gateway/transport/forwarded_stream.h"
#include "gateway/transport/grpc_wire.h"
#include "gateway/transport/transport_thread.h"

namespace ndxp::gateway::transport {
namespace {

constexpr absl::string_view kHealthCheck = "/grpc.health.v1.Health/Check";
constexpr absl::string_view kHealthWatch = "/grpc.health.v1.Health/Watch";

// `method`'s answer to one request message: its status and, when OK, the
// response message's bytes.
std::pair<grpc::Status, std::string> Call(const LocalMethod& method, const LocalCall& call,
                                          const std::string& message) {
  grpc::Slice slice(message);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::Status status = method.Answer(call, &request, &response);
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (status.ok() && response.Dump(&slices).ok()) {
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return {std::move(status), std::move(bytes)};
}

// A Health/Check request naming a service (empty: the hub itself, or not a
// check).
std::string CheckedService(const LocalMethod* method, const LocalServices& local,
                           const std::string& message) {
  grpc::health::v1::HealthCheckRequest check;
  if (method != local.Find(kHealthCheck) ||
      !check.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    return "";
  }
  return check.service();
}

}  // namespace

LocalConnector::LocalConnector(ForwardedStream* stream, const LocalMethod* method, LocalCall call)
    : stream_(stream), method_(method), call_(std::make_shared<const LocalCall>(std::move(call))) {}

bool LocalConnector::IsHealthMethod() const {
  const LocalServices& local = *stream_->hub()->local;
  return method_ == local.Find(kHealthCheck) || method_ == local.Find(kHealthWatch);
}

void LocalConnector::OnRequestReady() {
  using Shape = LocalMethod::Shape;
  if (done_ || busy_) return;
  ByteQueue& body = stream_->request_body();
  // Complete messages only: the stream's scanner has checked each prefix.
  while (body.size() >= 5) {
    // Answers the caller does not read hold back its further requests.
    if (stream_->held_response_bytes() > kMaxBacklogBytes) {
      backlogged_ = true;
      return;
    }
    uint8_t prefix[5];
    body.Peek(prefix, 5);
    const size_t length = (size_t{prefix[1]} << 24) | (size_t{prefix[2]} << 16) |
                          (size_t{prefix[3]} << 8) | size_t{prefix[4]};
    if (length > kMaxRequestBytes) {
      // Consumed only whole, a larger message could never fit the stream's
      // window: the call would wait for its deadline.
      return Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 absl::StrCat("a request to the hub's own methods is at most ",
                                              kMaxRequestBytes, " bytes; this one is ", length)));
    }
    if (body.size() - 5 < length) break;
    if (prefix[0] != 0) {
      return Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                 "the hub's own methods take no compression"));
    }
    std::string message(length, '\0');
    body.Take(prefix, 5);
    body.Take(reinterpret_cast<uint8_t*>(message.data()), length);
    stream_->ConsumeRequest(5 + length);  // the window, not a buffer, bounds what waits
    if (method_->shape() != Shape::kBidi && answers_ > 0) continue;  // one request only
    ++answers_;
    if (!Answer(std::move(message)) || done_ || busy_) return;
  }
  if (stream_->request_ended() && body.empty()) {
    if (method_->shape() == Shape::kBidi) {
      Finish(grpc::Status::OK);
    } else if (method_->shape() == Shape::kUnary && answers_ == 0) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
    }
    // kWatch: the stream stays open until the caller cancels or the deadline.
  }
}

bool LocalConnector::Answer(std::string message) {
  const std::string service = CheckedService(method_, *stream_->hub()->local, message);
  if (!service.empty() && stream_->ProbeConnector(service)) {
    done_ = true;  // the connector of that service answers
    return false;
  }
  if (IsHealthMethod()) CountHealthProbe(HealthProbeAnswer::kHub, stream_->hub()->stats);
  if (!method_->blocking()) {
    auto [status, response] = Call(*method_, *call_, message);
    OnAnswer(status, response);
    return true;
  }
  busy_ = true;
  TransportThread* thread = stream_->thread();
  const uint64_t serial = stream_->serial();
  const LocalMethod* method = method_;
  std::shared_ptr<const HubContext> hub = stream_->hub();  // keeps `method` alive
  hub->worker->Run([thread, serial, method, hub, call = call_, message = std::move(message)] {
    auto [status, response] = Call(*method, *call, message);
    thread->Post([thread, serial, status = std::move(status), response = std::move(response)] {
      if (ForwardedStream* stream = thread->Find(serial)) {
        if (LocalConnector* local = stream->local_connector()) local->OnAnswer(status, response);
      }
    });
  });
  return true;
}

void LocalConnector::OnAnswer(const grpc::Status& status, const std::string& response) {
  busy_ = false;
  if (done_) return;
  if (!status.ok()) return Finish(status);
  SendHeaders();
  const uint8_t prefix[5] = {0, static_cast<uint8_t>(response.size() >> 24),
                             static_cast<uint8_t>(response.size() >> 16),
                             static_cast<uint8_t>(response.size() >> 8),
                             static_cast<uint8_t>(response.size())};
  stream_->OnResponseData(prefix, sizeof(prefix));
  if (done_) return;  // the stream ended the call (its bounds)
  stream_->OnResponseData(reinterpret_cast<const uint8_t*>(response.data()), response.size());
  if (done_) return;
  if (method_->shape() == LocalMethod::Shape::kUnary) return Finish(grpc::Status::OK);
  OnRequestReady();
}

void LocalConnector::OnResponseTaken(size_t) {
  if (!backlogged_ || stream_->held_response_bytes() > kMaxBacklogBytes) return;
  backlogged_ = false;
  // Answer the next requests once out of nghttp2's callback.
  TransportThread* thread = stream_->thread();
  const uint64_t serial = stream_->serial();
  thread->Post([thread, serial] {
    if (ForwardedStream* stream = thread->Find(serial)) {
      if (LocalConnector* local = stream->local_connector()) local->OnRequestReady();
    }
  });
}

void LocalConnector::SendHeaders() {
  if (headers_sent_) return;
  headers_sent_ = true;
  stream_->OnResponseHeader(":status", "200");
  stream_->OnResponseHeader("content-type", "application/grpc");
  stream_->OnResponseHeadersDone(/*end_stream=*/false);
}

void LocalConnector::Finish(const grpc::Status& status) {
  if (done_) return;
  done_ = true;
  if (!headers_sent_) {  // trailers-only, as a gRPC server answers an error
    stream_->OnResponseHeader(":status", "200");
  }
  stream_->OnResponseHeader("grpc-status", absl::StrCat(static_cast<int>(status.error_code())));
  if (!status.error_message().empty()) {
    stream_->OnResponseHeader("grpc-message", EncodeGrpcMessage(status.error_message()));
  }
  stream_->OnResponseHeadersDone(/*end_stream=*/true);
}

}  // namespace ndxp::gateway::transport
