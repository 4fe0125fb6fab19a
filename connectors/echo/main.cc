// ndxp-echo: the benchmark connector (ndxp.bench.v1.Echo) on the shared
// connector runtime, so it runs behind the hub like any agency's connector.
#include "connectors/echo/echo_service.h"
#include "connectors/runtime/connector_main.h"

namespace {

class EchoConnector final : public ndxp::connectors::ConnectorServices {
 public:
  std::vector<grpc::Service*> Services() override { return {&service_}; }

 private:
  ndxp::echo::EchoService service_;
};

}  // namespace

int main(int argc, char** argv) {
  return ndxp::connectors::ConnectorMain(
      argc, argv, "echo",
      [](const ndxp::config::v1::ConnectorConfig&)
          -> absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> {
        return std::make_unique<EchoConnector>();
      });
}
