// ndxp.bench.v1.Echo: answers with what it was sent. A connector with no
// store, so a benchmark through the hub measures the hub, not a database.
#ifndef NDXP_CONNECTORS_ECHO_ECHO_SERVICE_H_
#define NDXP_CONNECTORS_ECHO_ECHO_SERVICE_H_

#include "ndxp/bench/v1/echo.grpc.pb.h"

namespace ndxp::echo {

// Callback API, no locks: every call is independent. Thread-safe.
class EchoService final : public ndxp::bench::v1::Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const ndxp::bench::v1::EchoRequest* request,
                                 ndxp::bench::v1::EchoResponse* response) override;

  grpc::ServerBidiReactor<ndxp::bench::v1::EchoRequest, ndxp::bench::v1::EchoResponse>*
  EchoStream(grpc::CallbackServerContext* context) override;

  grpc::ServerReadReactor<ndxp::bench::v1::EchoRequest>* Collect(
      grpc::CallbackServerContext* context, ndxp::bench::v1::EchoResponse* response) override;
};

}  // namespace ndxp::echo

#endif  // NDXP_CONNECTORS_ECHO_ECHO_SERVICE_H_
