// The hub's own methods (health, reflection, Statistics) as the connector's
// side of a call: request messages are taken from the stream whole, each is
// answered on the loop thread or, when the method blocks, on the hub's
// worker, and the answer goes back through the stream's OnResponse*
// callbacks like a connector's: the same headers, message scanning, held
// bytes bounds and trailers. Not recorded: a hub-local call is no transaction.
//
// A Health/Check of a routed service is not answered here: the stream asks
// that service's connector (ForwardedStream::ProbeConnector).
//
// Not thread-safe: lives on its stream's TransportThread, owned by the stream.
#ifndef NDXP_GATEWAY_TRANSPORT_LOCAL_CONNECTOR_H_
#define NDXP_GATEWAY_TRANSPORT_LOCAL_CONNECTOR_H_

#include <cstddef>
#include <memory>
#include <string>

#include <grpcpp/support/status.h>

#include "gateway/local/local_services.h"
#include "gateway/transport/connector_side.h"

namespace ndxp::gateway::transport {

class ForwardedStream;

class LocalConnector final : public ConnectorSide {
 public:
  // Answers of a hub-local stream waiting for its caller to read them, past
  // which further requests wait (and, unconsumed, hold the caller's window).
  static constexpr size_t kMaxBacklogBytes = 256 * 1024;
  // A request message to a hub-local method (health, reflection, statistics
  // requests are small); below the stream's initial window of 64 KiB, since
  // a message is consumed only whole.
  static constexpr size_t kMaxRequestBytes = 32 * 1024;

  // `stream` owns this and outlives it; `method` lives as long as the
  // stream's HubContext; `call` is who calls it.
  LocalConnector(ForwardedStream* stream, const LocalMethod* method, LocalCall call);

  void OnRequestReady() override;
  void OnResponseTaken(size_t length) override;
  void Cancel() override { done_ = true; }

  // A blocking method's answer, back on the stream's thread.
  void OnAnswer(const grpc::Status& status, const std::string& response);

 private:
  // Answers `message` now or on the worker; false when the stream took the
  // call elsewhere (a health probe of a routed service).
  bool Answer(std::string message);
  void SendHeaders();
  // Ends the call with `status` as the trailers.
  void Finish(const grpc::Status& status);
  bool IsHealthMethod() const;

  ForwardedStream* const stream_;
  const LocalMethod* const method_;
  // Shared with the answers computed on the worker, which may outlive this.
  const std::shared_ptr<const LocalCall> call_;
  bool busy_ = false;        // a blocking answer is being computed on the worker
  bool backlogged_ = false;  // waiting for the caller to read answers
  bool headers_sent_ = false;
  bool done_ = false;        // finished, cancelled, or handed to a connector
  int answers_ = 0;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_LOCAL_CONNECTOR_H_
