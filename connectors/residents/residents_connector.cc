#include "connectors/residents/residents_connector.h"

#include <iostream>

#include "absl/strings/str_format.h"
#include "connectors/residents/resident_registry_service.h"
#include "connectors/residents/sqlite_resident_store.h"
#include "connectors/residents/synthetic_population.h"

namespace ndxp::residents {
namespace {

class ResidentsConnector final : public ndxp::connectors::ConnectorServices {
 public:
  explicit ResidentsConnector(std::unique_ptr<SqliteResidentStore> store)
      : store_(std::move(store)), service_(store_.get()) {}

  std::vector<grpc::Service*> Services() override { return {&service_}; }

 private:
  const std::unique_ptr<SqliteResidentStore> store_;
  ResidentRegistryService service_;  // uses store_, declared after it
};

}  // namespace

absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateResidentsConnector(
    const ndxp::config::v1::ConnectorConfig& config) {
  if (config.database().empty()) {
    return absl::InvalidArgumentError(
        "database is required: the population register's SQLite file (created on first start)");
  }
  absl::StatusOr<std::unique_ptr<SqliteResidentStore>> store =
      SqliteResidentStore::Open(config.database());
  if (!store.ok()) return store.status();

  {
    auto* loaded = store->get();
    absl::Status status = LoadSyntheticDataSet(
        config, {"citizens",
                 [loaded](uint64_t seed, uint32_t size) {
                   return loaded->GenerateIfEmpty(seed, size);
                 },
                 [loaded] { return loaded->CountCitizens(); }});
    if (!status.ok()) return status;
  }
  return std::make_unique<ResidentsConnector>(*std::move(store));
}

}  // namespace ndxp::residents
