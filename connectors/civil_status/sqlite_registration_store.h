// The reference RegistrationStore: the register books in one SQLite file,
// filled on first start with the synthetic registrations of the synthetic
// population (synthetic_registrations.h).
//
// Schema (kSchema in the .cc): books (the last page sequence used in each
// book), registrations (kind, request_id -> request, book, sequence, state,
// downstream answers; (book, sequence) unique), meta.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto store, SqliteRegistrationStore::Open("civil.db"));
//   NDXP_ASSIGN_OR_RETURN(int64_t generated, store->GenerateIfEmpty(42, 100000));
//
// Thread-safe: one connection serialised by a mutex.
#ifndef NDXP_CONNECTORS_CIVIL_STATUS_SQLITE_REGISTRATION_STORE_H_
#define NDXP_CONNECTORS_CIVIL_STATUS_SQLITE_REGISTRATION_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connectors/civil_status/registration_store.h"
#include "connectors/runtime/sqlite.h"

namespace ndxp::civil_status {

class SqliteRegistrationStore final : public RegistrationStore {
 public:
  // Opens or creates the database at `path` and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteRegistrationStore>> Open(
      const std::string& path, const ndxp::SqliteOptions& options = {});
  ~SqliteRegistrationStore() override;

  // When there is no registration, records the synthetic registrations of
  // GenerateSyntheticPopulation(seed, size) in one transaction and returns
  // how many; otherwise returns 0 and changes nothing.
  absl::StatusOr<int64_t> GenerateIfEmpty(uint64_t seed, uint32_t size);

  absl::StatusOr<StoredRegistration> Register(RegistrationKind kind, absl::string_view request_id,
                                              const google::protobuf::Message& request,
                                              absl::string_view book) override;
  absl::Status Advance(RegistrationKind kind, absl::string_view request_id, RegistrationState state,
                       absl::string_view personal_id, absl::string_view social_insurance_code,
                       absl::string_view health_insurance_card_code) override;
  absl::StatusOr<StoredRegistration> Get(RegistrationKind kind,
                                         absl::string_view request_id) override;
  absl::StatusOr<int64_t> CountRegistrations() override;

 private:
  struct Statements;
  SqliteRegistrationStore(std::unique_ptr<ndxp::SqliteDatabase> db,
                          std::unique_ptr<Statements> statements);

  // Allocates the next page of `book` and inserts the registration
  // (`request` serialised).
  absl::StatusOr<StoredRegistration> InsertLocked(RegistrationKind kind,
                                                  absl::string_view request_id,
                                                  const std::string& request,
                                                  absl::string_view book, RegistrationState state,
                                                  absl::string_view personal_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::optional<StoredRegistration>> FindLocked(RegistrationKind kind,
                                                               absl::string_view request_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> CountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  // Protected by mu_. Statements are declared after their database, so they
  // are finalized first.
  std::unique_ptr<ndxp::SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Statements> statements_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::civil_status

#endif  // NDXP_CONNECTORS_CIVIL_STATUS_SQLITE_REGISTRATION_STORE_H_
