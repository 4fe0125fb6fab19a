#include "connectors/echo/echo_service.h"

namespace ndxp::echo {
namespace {

using ndxp::bench::v1::EchoRequest;
using ndxp::bench::v1::EchoResponse;

// One response per request, in order, until the caller half-closes.
class EchoStreamReactor final : public grpc::ServerBidiReactor<EchoRequest, EchoResponse> {
 public:
  EchoStreamReactor() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    response_.set_payload(request_.payload());
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (ok) {
      StartRead(&request_);
    } else {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the caller went away"));
    }
  }
  void OnDone() override { delete this; }

 private:
  EchoRequest request_;
  EchoResponse response_;
};

// Every request's payload appended to the one response.
class CollectReactor final : public grpc::ServerReadReactor<EchoRequest> {
 public:
  explicit CollectReactor(EchoResponse* response) : response_(response) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    response_->mutable_payload()->append(request_.payload());
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  EchoRequest request_;
  EchoResponse* const response_;
};

}  // namespace

grpc::ServerReadReactor<EchoRequest>* EchoService::Collect(grpc::CallbackServerContext*,
                                                           EchoResponse* response) {
  return new CollectReactor(response);
}

grpc::ServerUnaryReactor* EchoService::Echo(grpc::CallbackServerContext* context,
                                            const EchoRequest* request,
                                            EchoResponse* response) {
  response->set_payload(request->payload());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerBidiReactor<EchoRequest, EchoResponse>* EchoService::EchoStream(
    grpc::CallbackServerContext*) {
  return new EchoStreamReactor();
}

}  // namespace ndxp::echo
