#include "connectors/civil_status/civil_status_connector.h"

#include <iostream>

#include "absl/strings/str_format.h"
#include "connectors/civil_status/civil_status_registry_service.h"
#include "connectors/civil_status/sqlite_registration_store.h"
#include "connectors/residents/synthetic_population.h"
#include "connectors/runtime/hub_client.h"
#include "common/status/status_util.h"

namespace ndxp::civil_status {
namespace {

class CivilStatusConnector final : public ndxp::connectors::ConnectorServices {
 public:
  CivilStatusConnector(std::unique_ptr<SqliteRegistrationStore> store,
                       std::shared_ptr<grpc::Channel> hub)
      : store_(std::move(store)),
        service_(store_.get(), std::move(hub), CivilStatusRegistryService::Options()) {}

  std::vector<grpc::Service*> Services() override { return {&service_}; }

 private:
  const std::unique_ptr<SqliteRegistrationStore> store_;
  CivilStatusRegistryService service_;  // uses store_, declared after it
};

}  // namespace

absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateCivilStatusConnector(
    const ndxp::config::v1::ConnectorConfig& config) {
  if (config.database().empty()) {
    return absl::InvalidArgumentError(
        "database is required: the civil status register's SQLite file (created on first "
        "start)");
  }
  NDXP_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> hub, ndxp::connectors::HubChannel(config));
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteRegistrationStore> store,
                        SqliteRegistrationStore::Open(config.database()));

  {
    auto* loaded = store.get();
    absl::Status status = residents::LoadSyntheticDataSet(
        config, {"registrations",
                 [loaded](uint64_t seed, uint32_t size) {
                   return loaded->GenerateIfEmpty(seed, size);
                 },
                 [loaded] { return loaded->CountRegistrations(); }});
    if (!status.ok()) return status;
  }
  return std::make_unique<CivilStatusConnector>(std::move(store), std::move(hub));
}

}  // namespace ndxp::civil_status
