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

  grpc::Status Answer(ByteBuffer* request_bytes, ByteBuffer* response_bytes) const override {
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

}  // namespace

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
  return absl::OkStatus();
}

}  // namespace ndxp::gateway
