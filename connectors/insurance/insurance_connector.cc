#include "connectors/insurance/insurance_connector.h"

#include <iostream>

#include "absl/strings/str_format.h"
#include "connectors/insurance/insurance_registry_service.h"
#include "connectors/insurance/sqlite_insurance_store.h"
#include "connectors/residents/synthetic_population.h"
#include "connectors/runtime/hub_client.h"

namespace ndxp::insurance {
namespace {

class InsuranceConnector final : public ndxp::connectors::ConnectorServices {
 public:
  InsuranceConnector(std::unique_ptr<SqliteInsuranceStore> store,
                     std::shared_ptr<grpc::Channel> hub)
      : store_(std::move(store)), service_(store_.get(), std::move(hub)) {}

  std::vector<grpc::Service*> Services() override { return {&service_}; }

 private:
  const std::unique_ptr<SqliteInsuranceStore> store_;
  InsuranceRegistryService service_;  // uses store_, declared after it
};

}  // namespace

absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateInsuranceConnector(
    const ndxp::config::v1::ConnectorConfig& config) {
  if (config.database().empty()) {
    return absl::InvalidArgumentError(
        "database is required: the social insurance register's SQLite file (created on first "
        "start)");
  }
  std::shared_ptr<grpc::Channel> hub;
  if (!config.hub_endpoint().empty()) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        ndxp::connectors::HubChannel(config);
    if (!channel.ok()) return channel.status();
    hub = *std::move(channel);
  }
  absl::StatusOr<std::unique_ptr<SqliteInsuranceStore>> store =
      SqliteInsuranceStore::Open(config.database());
  if (!store.ok()) return store.status();

  {
    auto* loaded = store->get();
    absl::Status status = residents::LoadSyntheticDataSet(
        config, {"insured people",
                 [loaded](uint64_t seed, uint32_t size) {
                   return loaded->GenerateIfEmpty(seed, size);
                 },
                 [loaded] { return loaded->CountInsured(); }});
    if (!status.ok()) return status;
  }
  return std::make_unique<InsuranceConnector>(*std::move(store), std::move(hub));
}

}  // namespace ndxp::insurance
