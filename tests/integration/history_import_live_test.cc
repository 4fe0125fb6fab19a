// `stats import` into the SQLite file of a running hub in DURABLE mode (each
// answer waits for its commit): a large import written a bounded number of
// counters per transaction leaves the write lock to the hub between them, so
// a client calling all along gets every answer, and every imported counter is
// there afterwards. Counts, not times: after each of the import's
// transactions a call must commit before the import goes on.
#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <grpcpp/create_channel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/tls/credentials.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_server.h"
#include "gateway/statistics/counter_reader.h"
#include "gateway/statistics/history_import.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"
#include "tests/integration/recording_connector.h"
#include "tests/testing/test_pki.h"

namespace ndxp {
namespace {

using residents::v1::ResidentRegistry;

// 6,000 days from 1990-01-01, ten statuses each: 60,000 distinct counters.
constexpr int kDays = 6000;
constexpr int kStatuses = 10;

std::string LargeHistory(int64_t* total) {
  std::string csv = "day,consumer,provider,service,method,status,count\n";
  *total = 0;
  absl::CivilDay day(1990, 1, 1);
  for (int d = 0; d < kDays; ++d, ++day) {
    for (int status = 0; status < kStatuses; ++status) {
      const int64_t count = 1 + (d + status) % 7;
      *total += count;
      absl::StrAppend(&csv, absl::FormatCivilTime(day),
                      ",000.00.00.G12/tax-lookup,000.00.00.H49,"
                      "ndxp.residents.v1.ResidentRegistry,VerifyCitizen,",
                      status, ",", count, "\n");
    }
  }
  return csv;
}

TEST(HistoryImportLiveTest, ALiveHubsCallsAllCommitDuringALargeImport) {
  testing::TestPki pki;
  auto hub_tls = pki.Issue("hub", "000.00.00.A01", "hub", true);
  auto connector_tls = pki.Issue("residents", "000.00.00.H49", "residents", true);
  auto client_tls = pki.Issue("demo", "000.00.00.G12", "tax-lookup");
  testing::RecordingConnector connector(connector_tls);
  testing::TempDir dir;
  const std::string database = dir.path() + "/hub.db";
  const std::string config = dir.path() + "/hub.textproto";
  std::ofstream(config) << absl::StrCat(R"(
    listen: "127.0.0.1:0"
    trust_domain: "ndxp.gov.vn"
    tls { ca_cert: ")", hub_tls.ca_cert(), R"(" cert: ")", hub_tls.cert(), R"(" key: ")",
                                        hub_tls.key(), R"(" }
    descriptor_set: ")", NDXP_DESCRIPTOR_SET, R"("
    routes { service: "ndxp.residents.v1.ResidentRegistry" provider: "000.00.00.H49"
             endpoint: "127.0.0.1:)", connector.port(), R"(" }
    grants { consumer: "000.00.00.G12" service: "ndxp.residents.v1.ResidentRegistry" }
    recording { mode: DURABLE database: ")", database, R"(" time_zone: "UTC" }
  )");
  auto settings = gateway::LoadHubConfig(config);
  ASSERT_TRUE(settings.ok()) << settings.status();
  auto hub = gateway::HubServer::Start(*std::move(settings));
  ASSERT_TRUE(hub.ok()) << hub.status();

  auto stub = ResidentRegistry::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*hub)->port()), *tls::MutualTlsChannelCredentials(client_tls)));
  absl::Mutex errors_mu;
  std::string errors;  // the first failures' messages
  auto call = [&]() {
    grpc::ClientContext context;
    residents::v1::VerifyCitizenRequest request;
    request.set_personal_id("001085000123");
    residents::v1::VerifyCitizenResponse response;
    grpc::Status status = stub->VerifyCitizen(&context, request, &response);
    if (!status.ok()) {
      absl::MutexLock lock(&errors_mu);
      if (errors.size() < 2000) {
        absl::StrAppend(&errors, status.error_code(), " ", status.error_message(), "\n");
      }
    }
    return status.ok();
  };
  ASSERT_TRUE(call());  // connected and recording

  // A client calling all along the import, on its own thread.
  std::atomic<bool> importing{true};
  std::atomic<int64_t> client_ok{0}, client_failed{0};
  std::thread client([&] {
    while (importing.load()) (call() ? client_ok : client_failed).fetch_add(1);
  });

  int64_t total = 0;
  std::istringstream csv(LargeHistory(&total));
  gateway::statistics::ImportOptions options;
  int64_t transactions = 0, committed_between = 0;
  options.progress = [&](const gateway::statistics::ImportProgress&) {
    ++transactions;
    // Between two of the import's transactions the hub can commit: a durable
    // answer means its record is committed.
    committed_between += call() ? 1 : 0;
  };
  absl::StatusOr<gateway::statistics::ImportSummary> summary =
      gateway::statistics::ImportHistoryCsv(database, csv, "large.csv", options);
  importing.store(false);
  client.join();
  ASSERT_TRUE(summary.ok()) << summary.status();

  EXPECT_EQ(summary->counters, kDays * kStatuses);
  EXPECT_EQ(transactions, kDays * kStatuses / options.counters_per_transaction);
  EXPECT_EQ(committed_between, transactions) << errors;
  EXPECT_EQ(client_failed.load(), 0) << errors;

  // Every imported counter is counted, and every call the hub answered.
  auto reader = gateway::statistics::SqliteCounterReader::Open(database);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto history = (*reader)->Sum(absl::CivilDay(1990, 1, 1), absl::CivilDay(2009, 12, 31),
                                {hub::v1::STATUS}, hub::v1::FORWARDED, std::nullopt);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->size(), static_cast<size_t>(kStatuses));
  int64_t history_total = 0;
  for (const auto& row : *history) history_total += row.count;
  EXPECT_EQ(history_total, total);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  auto recorded = (*reader)->Sum(today - 1, today + 1, {}, hub::v1::FORWARDED, std::nullopt);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_EQ(recorded->size(), 1u);
  EXPECT_EQ(recorded->front().count, 1 + client_ok.load() + committed_between);
}

}  // namespace
}  // namespace ndxp
