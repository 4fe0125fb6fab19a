#include "gateway/admin/statistics_methods.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include "gateway/statistics/counter_reader.h"
#include "gateway/statistics/postgres_counter_reader.h"
#include "gateway/statistics/statistics_engine.h"
#include "ndxp/hub/v1/statistics.pb.h"

namespace ndxp::gateway {
namespace {

using grpc::ByteBuffer;
using statistics::StatisticsEngine;

// One Statistics method: parse, ask the engine, serialise. The engine is
// shared by both methods and lives as long as the LocalServices.
template <typename Request, typename Response>
class StatisticsMethod final : public LocalMethod {
 public:
  using Query = absl::StatusOr<Response> (StatisticsEngine::*)(const Request&) const;

  StatisticsMethod(std::shared_ptr<const StatisticsEngine> engine, Query query)
      : engine_(std::move(engine)), query_(query) {}

  Shape shape() const override { return Shape::kUnary; }
  bool operators_only() const override { return true; }
  bool blocking() const override { return true; }

  grpc::Status Answer(const LocalCall&, ByteBuffer* request_bytes,
                      ByteBuffer* response_bytes) const override {
    if (engine_ == nullptr) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "recording is off on this hub: there are no statistics");
    }
    Request request;
    if (!grpc::SerializationTraits<Request>::Deserialize(request_bytes, &request).ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed request");
    }
    absl::StatusOr<Response> response = ((*engine_).*query_)(request);
    if (!response.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(response.status().code()),
                          std::string(response.status().message()));
    }
    response_bytes->Clear();
    bool own_buffer;
    return grpc::SerializationTraits<Response>::Serialize(*response, response_bytes, &own_buffer);
  }

 private:
  const std::shared_ptr<const StatisticsEngine> engine_;
  const Query query_;
};

// ListAgencies: the directory of the configuration it was built with.
class ListAgenciesMethod final : public LocalMethod {
 public:
  explicit ListAgenciesMethod(std::shared_ptr<const statistics::AgencyDirectory> agencies)
      : response_(agencies->ToResponse()) {}

  Shape shape() const override { return Shape::kUnary; }
  bool operators_only() const override { return true; }

  grpc::Status Answer(const LocalCall&, ByteBuffer* request_bytes,
                      ByteBuffer* response_bytes) const override {
    hub::v1::ListAgenciesRequest request;
    if (!grpc::SerializationTraits<hub::v1::ListAgenciesRequest>::Deserialize(request_bytes,
                                                                              &request)
             .ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed request");
    }
    response_bytes->Clear();
    bool own_buffer;
    return grpc::SerializationTraits<hub::v1::ListAgenciesResponse>::Serialize(
        response_, response_bytes, &own_buffer);
  }

 private:
  const hub::v1::ListAgenciesResponse response_;  // built once per configuration
};

}  // namespace

std::shared_ptr<const statistics::AgencyDirectory> AgencyDirectoryOf(
    const ndxp::config::v1::HubConfig& config) {
  auto directory = std::make_shared<statistics::AgencyDirectory>();
  for (const auto& configured : config.agencies()) {
    hub::v1::Agency agency;
    agency.set_code(configured.code());
    agency.set_name_vi(configured.name_vi());
    agency.set_name_en(configured.name_en());
    directory->Add(agency);
  }
  return directory;
}

absl::StatusOr<std::shared_ptr<const StatisticsEngine>> OpenStatisticsEngine(
    const ndxp::config::v1::Recording* recording) {
  if (recording == nullptr) return nullptr;
  if (!recording->postgres().empty()) {
    auto reader = statistics::PostgresCounterReader::Open(recording->postgres());
    if (!reader.ok()) return reader.status();
    return std::make_shared<const StatisticsEngine>(*std::move(reader));
  }
  auto reader = statistics::SqliteCounterReader::Open(recording->database());
  if (!reader.ok()) return reader.status();
  return std::make_shared<const StatisticsEngine>(*std::move(reader));
}

absl::Status AddStatisticsMethods(const ndxp::config::v1::Recording* recording,
                                  std::shared_ptr<const statistics::AgencyDirectory> agencies,
                                  LocalServices* local) {
  absl::StatusOr<std::shared_ptr<const StatisticsEngine>> opened = OpenStatisticsEngine(recording);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<const StatisticsEngine> engine = *std::move(opened);
  local->Add(kStatisticsService, "Count",
             std::make_unique<StatisticsMethod<hub::v1::CountRequest, hub::v1::CountResponse>>(
                 engine, &StatisticsEngine::Count));
  local->Add(kStatisticsService, "Growth",
             std::make_unique<StatisticsMethod<hub::v1::GrowthRequest, hub::v1::GrowthResponse>>(
                 engine, &StatisticsEngine::Growth));
  local->Add(kStatisticsService, "ListAgencies",
             std::make_unique<ListAgenciesMethod>(std::move(agencies)));
  return absl::OkStatus();
}

}  // namespace ndxp::gateway
