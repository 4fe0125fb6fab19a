#include "connectors/runtime/connector_server.h"

#include <string>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"

namespace ndxp::connectors {
namespace {

using grpc::reflection::v1alpha::ServerReflection;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

// A service whose one method blocks until released.
class BlockingService final : public ServerReflection::Service {
 public:
  grpc::Status ServerReflectionInfo(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream)
      override {
    entered.Notify();
    release.WaitForNotification();
    ServerReflectionResponse response;
    response.set_valid_host("done");
    stream->Write(response);
    return grpc::Status::OK;
  }
  absl::Notification entered;
  absl::Notification release;
};

std::shared_ptr<grpc::Channel> Connect(const ConnectorServer& server) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                             grpc::InsecureChannelCredentials());
}

TEST(ConnectorServerTest, StartReportsTheBoundPortAndServesHealth) {
  BlockingService service;
  absl::StatusOr<std::unique_ptr<ConnectorServer>> server = ConnectorServer::Start(
      {"127.0.0.1:0", grpc::InsecureServerCredentials(), {&service}});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE((*server)->port(), 0);
  EXPECT_EQ((*server)->host(), "127.0.0.1");
  EXPECT_EQ((*server)->address(), absl::StrCat("127.0.0.1:", (*server)->port()));
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(grpc::health::v1::Health::NewStub(Connect(**server))
                  ->Check(&context, {}, &health)
                  .ok());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ConnectorServerTest, HealthSaysNotServingWhileDrained) {
  BlockingService service;
  absl::StatusOr<std::unique_ptr<ConnectorServer>> server = ConnectorServer::Start(
      {"127.0.0.1:0", grpc::InsecureServerCredentials(), {&service}});
  ASSERT_TRUE(server.ok()) << server.status();
  auto health = grpc::health::v1::Health::NewStub(Connect(**server));
  auto status_now = [&] {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckResponse answer;
    EXPECT_TRUE(health->Check(&context, {}, &answer).ok());
    return answer.status();
  };
  (*server)->SetServing(false);
  EXPECT_EQ(status_now(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  (*server)->SetServing(true);
  EXPECT_EQ(status_now(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ConnectorServerTest, StartErrors) {
  BlockingService service;
  absl::StatusOr<std::unique_ptr<ConnectorServer>> first = ConnectorServer::Start(
      {"127.0.0.1:0", grpc::InsecureServerCredentials(), {&service}});
  ASSERT_TRUE(first.ok());
  BlockingService other;
  struct Case {
    ConnectorServerOptions options;
    absl::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {{"127.0.0.1", grpc::InsecureServerCredentials(), {&other}},
       absl::StatusCode::kInvalidArgument, "listen: \"127.0.0.1\" is not host:port"},
      {{"127.0.0.1:0", nullptr, {&other}}, absl::StatusCode::kInvalidArgument,
       "server credentials are required"},
      {{"127.0.0.1:0", grpc::InsecureServerCredentials(), {}},
       absl::StatusCode::kInvalidArgument, "a connector server needs at least one service"},
      {{absl::StrCat("127.0.0.1:", (*first)->port()), grpc::InsecureServerCredentials(),
        {&other}},
       absl::StatusCode::kUnavailable,
       absl::StrCat("cannot listen on 127.0.0.1:", (*first)->port(),
                    " (address in use, or not an address of this host)")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<std::unique_ptr<ConnectorServer>> server = ConnectorServer::Start(c.options);
    EXPECT_EQ(server.status().code(), c.code);
    EXPECT_EQ(server.status().message(), c.message);
  }
}

TEST(ConnectorServerTest, ShutdownLetsCallsInFlightFinishButNotIdleConnections) {
  BlockingService service;
  absl::StatusOr<std::unique_ptr<ConnectorServer>> server = ConnectorServer::Start(
      {"127.0.0.1:0", grpc::InsecureServerCredentials(), {&service}});
  ASSERT_TRUE(server.ok());
  auto channel = Connect(**server);
  // An idle connection from another channel, like the hub's between calls.
  auto idle = Connect(**server);
  ASSERT_TRUE(idle->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(10))));

  grpc::Status status;
  ServerReflectionResponse response;
  std::thread call([&] {
    grpc::ClientContext context;
    auto stream = ServerReflection::NewStub(channel)->ServerReflectionInfo(&context);
    stream->WritesDone();
    stream->Read(&response);
    status = stream->Finish();
  });
  service.entered.WaitForNotification();

  const absl::Time start = absl::Now();
  std::thread stopper([&] { (*server)->Shutdown(absl::Seconds(30)); });
  service.release.Notify();
  stopper.join();
  call.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.valid_host(), "done");
  // Nowhere near the 30 s grace: the idle connection did not hold it.
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  (*server)->Shutdown(absl::Seconds(30));  // again: a no-op
}

}  // namespace
}  // namespace ndxp::connectors
