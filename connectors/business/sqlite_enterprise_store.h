// The reference EnterpriseStore: the business register in one SQLite file,
// filled on first start with the deterministic synthetic enterprises of the
// synthetic population (synthetic_enterprises.h).
//
// Schema (kSchema in the .cc): enterprises (enterprises and dependent units,
// one row each, indexed by parent code and by the name's search key),
// owners (per enterprise, in register order), meta.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto store, SqliteEnterpriseStore::Open("business.db"));
//   NDXP_ASSIGN_OR_RETURN(int64_t generated, store->GenerateIfEmpty(42, 100000));
//
// Thread-safe: one connection serialised by a mutex (each call is a few
// indexed lookups).
#ifndef NDXP_CONNECTORS_BUSINESS_SQLITE_ENTERPRISE_STORE_H_
#define NDXP_CONNECTORS_BUSINESS_SQLITE_ENTERPRISE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connectors/business/enterprise_store.h"
#include "connectors/runtime/sqlite.h"

namespace ndxp::business {

class SqliteEnterpriseStore final : public EnterpriseStore {
 public:
  // Opens or creates the database at `path` and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteEnterpriseStore>> Open(const std::string& path);
  ~SqliteEnterpriseStore() override;

  // When the register is empty, fills it with the synthetic enterprises of
  // the synthetic population (seed, population_size) in one transaction (all
  // or nothing) and returns how many records (enterprises and dependent
  // units) were generated; otherwise returns 0 and changes nothing.
  absl::StatusOr<int64_t> GenerateIfEmpty(uint64_t seed, uint32_t population_size);

  // Adds one record (imports, tests): an enterprise with its owners, or a
  // dependent unit (its dependent_units field is ignored: they are derived
  // from the units' parent codes). ALREADY_EXISTS if the code is taken.
  absl::Status InsertEnterprise(const v1::Enterprise& enterprise);

  absl::StatusOr<v1::Enterprise> GetEnterprise(absl::string_view code) override;
  absl::StatusOr<std::vector<v1::EnterpriseSummary>> SearchEnterprises(
      const EnterpriseSearch& search) override;
  absl::StatusOr<int64_t> CountRecords() override;

 private:
  struct Statements;
  SqliteEnterpriseStore(std::unique_ptr<ndxp::SqliteDatabase> db,
                        std::unique_ptr<Statements> statements);

  absl::Status InsertLocked(const v1::Enterprise& enterprise)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> CountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  // Protected by mu_. Statements are declared after the database they belong
  // to, so they are finalized first.
  std::unique_ptr<ndxp::SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Statements> statements_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::business

#endif  // NDXP_CONNECTORS_BUSINESS_SQLITE_ENTERPRISE_STORE_H_
