// The data store behind the insurance connector: the social insurance
// register (insured people, their coverage and health-insurance cards) as the
// social insurance agency shares it. The service talks only to this
// interface; the reference implementation is SQLite
// (sqlite_insurance_store.h), a real agency plugs in an adapter to its own
// register.
#ifndef NDXP_CONNECTORS_INSURANCE_INSURANCE_STORE_H_
#define NDXP_CONNECTORS_INSURANCE_INSURANCE_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ndxp/insurance/v1/insurance.pb.h"

namespace ndxp::insurance {

// The outcome of InsuranceStore::IssueChildHealthCard.
struct IssuedChildCard {
  // The registered child: social insurance code and card filled in.
  ndxp::insurance::v1::InsuredPerson person;
  bool newly_issued = false;  // false: this request_id had been served before
};

// Implementations are thread-safe. Arguments are assumed already validated
// by the caller (well-formed identifiers, real dates); the store checks only
// what needs its data (existence, uniqueness, idempotency).
class InsuranceStore {
 public:
  virtual ~InsuranceStore() = default;

  // The full record (card included when there is one). NOT_FOUND naming the
  // key when nobody is registered under it.
  virtual absl::StatusOr<ndxp::insurance::v1::InsuredPerson> GetByPersonalId(
      absl::string_view personal_id) = 0;
  virtual absl::StatusOr<ndxp::insurance::v1::InsuredPerson> GetBySocialInsuranceCode(
      absl::string_view social_insurance_code) = 0;

  // Registers a newborn: `child` (personal_id, full_name, date_of_birth, sex,
  // coverage_status, and a card without card_code: category, level,
  // validity, facility) gets a newly drawn social insurance code of the
  // province with 3-digit code `province_code`, and its card the code
  // category + level + 2-digit province + that social insurance code.
  // Idempotent: a request_id seen before returns the record it created then,
  // with newly_issued=false, if it was for the same personal_id;
  // FAILED_PRECONDITION if that request_id registered another personal ID.
  // ALREADY_EXISTS naming the existing social insurance code and card when
  // another request (or the register itself) already holds child.personal_id.
  virtual absl::StatusOr<IssuedChildCard> IssueChildHealthCard(
      absl::string_view request_id, absl::string_view province_code,
      const ndxp::insurance::v1::InsuredPerson& child) = 0;

  // At most `limit` records in ascending social insurance code order.
  virtual absl::StatusOr<std::vector<ndxp::insurance::v1::InsuredPerson>> ListInCodeOrder(
      int limit) = 0;

  virtual absl::StatusOr<int64_t> CountInsured() = 0;
};

}  // namespace ndxp::insurance

#endif  // NDXP_CONNECTORS_INSURANCE_INSURANCE_STORE_H_
