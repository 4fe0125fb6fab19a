#include "connectors/documents/documents_connector.h"

#include "common/logging/logging.h"
#include "connectors/documents/document_exchange_service.h"
#include "connectors/documents/sqlite_document_store.h"

namespace ndxp::documents {
namespace {

class DocumentsConnector final : public ndxp::connectors::ConnectorServices {
 public:
  DocumentsConnector(std::unique_ptr<SqliteDocumentStore> store,
                     DocumentExchangeService::Options options)
      : store_(std::move(store)), service_(store_.get(), std::move(options)) {}

  std::vector<grpc::Service*> Services() override { return {&service_}; }

 private:
  const std::unique_ptr<SqliteDocumentStore> store_;
  DocumentExchangeService service_;  // uses store_, declared after it
};

}  // namespace

absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> CreateDocumentsConnector(
    const ndxp::config::v1::ConnectorConfig& config) {
  if (config.database().empty()) {
    return absl::InvalidArgumentError(
        "database is required: the document axis's SQLite file (created on first start)");
  }
  if (config.trust_domain().empty()) {
    return absl::InvalidArgumentError(
        "trust_domain is required: callers' agencies are read from their SPIFFE IDs");
  }
  absl::StatusOr<std::unique_ptr<SqliteDocumentStore>> store =
      SqliteDocumentStore::Open(config.database());
  if (!store.ok()) return store.status();
  logging::Log("documents").info("document axis in {}", config.database());
  DocumentExchangeService::Options options;
  options.trust_domain = config.trust_domain();
  return std::make_unique<DocumentsConnector>(*std::move(store), std::move(options));
}

}  // namespace ndxp::documents
