// The reference ResidentStore: the population register in one SQLite file,
// filled on first start with the deterministic synthetic population.
//
// Schema (see kSchema in the .cc): citizens (indexed by father and mother for
// ListRelatives), issued_personal_ids (request_id -> personal_id, for
// idempotent issuance), recorded_deaths (personal_id -> civil status's death
// registration number, for idempotent RecordDeath), access_log (who read
// whose data, when, why: time, consumer, purpose, request id, method,
// personal ID, outcome), meta.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto store, SqliteResidentStore::Open("residents.db"));
//   NDXP_ASSIGN_OR_RETURN(int64_t generated, store->GenerateIfEmpty(42, 100000));
//
// Thread-safe: one connection serialised by a mutex (a call is a few indexed
// lookups; the exchange layer, not this store, is where concurrency matters).
#ifndef NDXP_CONNECTORS_RESIDENTS_SQLITE_RESIDENT_STORE_H_
#define NDXP_CONNECTORS_RESIDENTS_SQLITE_RESIDENT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connectors/residents/resident_store.h"
#include "connectors/runtime/sqlite.h"

namespace ndxp::residents {

class SqliteResidentStore final : public ResidentStore {
 public:
  struct Options {
    // Where IssuePersonalId draws serials from (any 64-bit values; reduced
    // modulo 10^6). Default: std::mt19937_64 seeded from std::random_device.
    // Called under the store's lock.
    std::function<uint64_t()> random;
    // Stamps issued personal IDs. Default: absl::Now.
    std::function<absl::Time()> clock;
    ndxp::SqliteOptions sqlite;
  };

  // Opens or creates the database at `path` and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteResidentStore>> Open(const std::string& path);
  static absl::StatusOr<std::unique_ptr<SqliteResidentStore>> Open(const std::string& path,
                                                                   Options options);
  ~SqliteResidentStore() override;

  // When the register has no citizen, fills it with
  // GenerateSyntheticPopulation(seed, size) in one transaction (all or
  // nothing) and returns how many were generated; otherwise returns 0 and
  // changes nothing.
  absl::StatusOr<int64_t> GenerateIfEmpty(uint64_t seed, uint32_t size);

  // Adds one complete record (imports, tests). ALREADY_EXISTS if the personal
  // ID is taken; parents, when named, must already be citizens.
  absl::Status InsertCitizen(const ndxp::residents::v1::Citizen& citizen);

  absl::StatusOr<ndxp::residents::v1::Citizen> GetCitizen(
      absl::string_view personal_id) override;
  absl::StatusOr<std::vector<ndxp::residents::v1::Relative>> ListRelatives(
      absl::string_view personal_id) override;
  absl::StatusOr<IssuedPersonalId> IssuePersonalId(
      absl::string_view request_id, const ndxp::residents::v1::Citizen& citizen) override;
  absl::StatusOr<RecordedDeath> RecordDeath(
      absl::string_view personal_id, const ndxp::residents::v1::Date& date_of_death,
      absl::string_view death_registration_number) override;
  absl::Status RecordAccesses(absl::Span<const AccessRecord> records) override;
  absl::StatusOr<std::vector<AccessRecord>> ListAccesses(
      absl::string_view personal_id) override;
  absl::StatusOr<int64_t> CountCitizens() override;

 private:
  struct Statements;
  SqliteResidentStore(std::unique_ptr<ndxp::SqliteDatabase> db,
                      std::unique_ptr<Statements> statements, Options options);

  absl::Status InsertLocked(const ndxp::residents::v1::Citizen& citizen)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<ndxp::residents::v1::Relative>> ListRelativesLocked(
      absl::string_view personal_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<bool> ExistsLocked(absl::string_view personal_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> DrawPersonalIdLocked(absl::string_view province_code,
                                                   int birth_year,
                                                   ndxp::residents::v1::Sex sex)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const Options options_;

  absl::Mutex mu_;
  // Protected by mu_. Statements are declared after the database they belong
  // to, so they are finalized first.
  std::unique_ptr<ndxp::SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Statements> statements_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::residents

#endif  // NDXP_CONNECTORS_RESIDENTS_SQLITE_RESIDENT_STORE_H_
