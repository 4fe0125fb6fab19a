// The reference InsuranceStore: the social insurance register in one SQLite
// file, filled on first start with the deterministic synthetic register
// (synthetic_insurance.h).
//
// Schema (see kSchema in the .cc): insured_persons (by social insurance
// code; personal_id and card_code unique), child_card_requests (request_id
// -> social insurance code, for idempotent IssueChildHealthCard), meta. A
// card's category and level are not stored apart: they are read back out of
// its code, so they cannot disagree with it.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto store, SqliteInsuranceStore::Open("insurance.db"));
//   NDXP_ASSIGN_OR_RETURN(int64_t generated, store->GenerateIfEmpty(42, 100000));
//
// Thread-safe: one connection serialised by a mutex (a call is a few indexed
// lookups).
#ifndef NDXP_CONNECTORS_INSURANCE_SQLITE_INSURANCE_STORE_H_
#define NDXP_CONNECTORS_INSURANCE_SQLITE_INSURANCE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connectors/insurance/insurance_store.h"
#include "connectors/runtime/sqlite.h"

namespace ndxp::insurance {

class SqliteInsuranceStore final : public InsuranceStore {
 public:
  struct Options {
    // Where IssueChildHealthCard draws social insurance serials from (any
    // 64-bit values; reduced modulo 10^8). Default: std::mt19937_64 seeded
    // from std::random_device. Called under the store's lock.
    std::function<uint64_t()> random;
    ndxp::SqliteOptions sqlite;
  };

  // Opens or creates the database at `path` and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteInsuranceStore>> Open(const std::string& path);
  static absl::StatusOr<std::unique_ptr<SqliteInsuranceStore>> Open(const std::string& path,
                                                                    Options options);
  ~SqliteInsuranceStore() override;

  // When the register is empty, fills it with
  // GenerateSyntheticInsuranceRegister(seed, size) in one transaction (all
  // or nothing) and returns how many records were generated; otherwise
  // returns 0 and changes nothing.
  absl::StatusOr<int64_t> GenerateIfEmpty(uint64_t seed, uint32_t size);

  // Adds one complete record (imports, tests, planting a data-quality
  // problem). ALREADY_EXISTS if its social insurance code, personal ID or
  // card code is taken.
  absl::Status InsertInsuredPerson(const ndxp::insurance::v1::InsuredPerson& person);

  absl::StatusOr<ndxp::insurance::v1::InsuredPerson> GetByPersonalId(
      absl::string_view personal_id) override;
  absl::StatusOr<ndxp::insurance::v1::InsuredPerson> GetBySocialInsuranceCode(
      absl::string_view social_insurance_code) override;
  absl::StatusOr<IssuedChildCard> IssueChildHealthCard(
      absl::string_view request_id, absl::string_view province_code,
      const ndxp::insurance::v1::InsuredPerson& child) override;
  absl::StatusOr<std::vector<ndxp::insurance::v1::InsuredPerson>> ListInCodeOrder(
      int limit) override;
  absl::StatusOr<int64_t> CountInsured() override;

 private:
  struct Statements;
  SqliteInsuranceStore(std::unique_ptr<ndxp::SqliteDatabase> db,
                       std::unique_ptr<Statements> statements, Options options);

  absl::Status InsertLocked(const ndxp::insurance::v1::InsuredPerson& person)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One record by `statement` (bound to one key), NOT_FOUND `not_found`
  // when it yields no row.
  absl::StatusOr<ndxp::insurance::v1::InsuredPerson> GetOneLocked(
      ndxp::SqliteStatement& statement, absl::string_view key,
      absl::string_view not_found) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> DrawSocialInsuranceCodeLocked(absl::string_view province_code)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const Options options_;

  absl::Mutex mu_;
  // Protected by mu_. Statements are declared after the database they belong
  // to, so they are finalized first.
  std::unique_ptr<ndxp::SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Statements> statements_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::insurance

#endif  // NDXP_CONNECTORS_INSURANCE_SQLITE_INSURANCE_STORE_H_
