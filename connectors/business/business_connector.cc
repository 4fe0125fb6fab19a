#include "connectors/business/business_connector.h"

#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "connectors/business/business_registry_service.h"
#include "connectors/business/sqlite_enterprise_store.h"
#include "connectors/residents/synthetic_population.h"

namespace ndxp::business {
namespace {

class BusinessConnector final : public ndxp::connectors::ConnectorServices {
 public:
  explicit BusinessConnector(std::unique_ptr<SqliteEnterpriseStore> store)
      : store_(std::move(store)), service_(store_.get()) {}

  std::vector<grpc::Service*> Services() override { return {&service_}; }

 private:
  const std::unique_ptr<SqliteEnterpriseStore> store_;
  BusinessRegistryService service_;  // uses store_, declared after it
};

}  // namespace

absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateBusinessConnector(
    const ndxp::config::v1::ConnectorConfig& config) {
  if (config.database().empty()) {
    return absl::InvalidArgumentError(
        "database is required: the business register's SQLite file (created on first start)");
  }
  absl::StatusOr<std::unique_ptr<SqliteEnterpriseStore>> store =
      SqliteEnterpriseStore::Open(config.database());
  if (!store.ok()) return store.status();

  {
    auto* loaded = store->get();
    absl::Status status = residents::LoadSyntheticDataSet(
        config, {"enterprises and units",
                 [loaded](uint64_t seed, uint32_t size) {
                   return loaded->GenerateIfEmpty(seed, size);
                 },
                 [loaded] { return loaded->CountRecords(); }});
    if (!status.ok()) return status;
  }
  return std::make_unique<BusinessConnector>(*std::move(store));
}

}  // namespace ndxp::business
