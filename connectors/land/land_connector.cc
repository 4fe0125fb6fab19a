#include "connectors/land/land_connector.h"

#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "connectors/land/land_registry_service.h"
#include "connectors/land/party_registry.h"
#include "connectors/land/sqlite_land_store.h"
#include "connectors/residents/synthetic_population.h"
#include "connectors/runtime/hub_client.h"

namespace ndxp::land {
namespace {

class LandConnector final : public ndxp::connectors::ConnectorServices {
 public:
  LandConnector(std::unique_ptr<SqliteLandStore> store, std::shared_ptr<grpc::Channel> hub)
      : store_(std::move(store)), parties_(std::move(hub)), service_(store_.get(), &parties_) {}

  std::vector<grpc::Service*> Services() override { return {&service_}; }

 private:
  const std::unique_ptr<SqliteLandStore> store_;
  const HubPartyRegistry parties_;
  LandRegistryService service_;  // uses store_ and parties_, declared after them
};

}  // namespace

absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateLandConnector(
    const ndxp::config::v1::ConnectorConfig& config) {
  if (config.database().empty()) {
    return absl::InvalidArgumentError(
        "database is required: the land register's SQLite file (created on first start)");
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> hub = ndxp::connectors::HubChannel(config);
  if (!hub.ok()) return hub.status();
  absl::StatusOr<std::unique_ptr<SqliteLandStore>> store =
      SqliteLandStore::Open(config.database());
  if (!store.ok()) return store.status();

  {
    auto* loaded = store->get();
    absl::Status status = residents::LoadSyntheticDataSet(
        config, {"parcels",
                 [loaded](uint64_t seed, uint32_t size) {
                   return loaded->GenerateIfEmpty(seed, size);
                 },
                 [loaded] { return loaded->CountParcels(); }});
    if (!status.ok()) return status;
  }
  return std::make_unique<LandConnector>(*std::move(store), *std::move(hub));
}

}  // namespace ndxp::land
