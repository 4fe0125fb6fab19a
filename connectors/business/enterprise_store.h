// The data store behind the business registry connector: the national
// business registration database. The service talks only to this interface;
// the reference implementation is SQLite (sqlite_enterprise_store.h), a real
// agency plugs in an adapter to its own register.
#ifndef NDXP_CONNECTORS_BUSINESS_ENTERPRISE_STORE_H_
#define NDXP_CONNECTORS_BUSINESS_ENTERPRISE_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ndxp/business/v1/business.pb.h"

namespace ndxp::business {

struct EnterpriseSearch {
  // A SearchKey() (enterprise_name.h), not empty: records whose name's
  // search key starts with it match.
  std::string key_prefix;
  // A 3-digit province code, or empty for every province.
  std::string province_code;
  // At most this many matches (> 0).
  int limit = 50;
};

// Implementations are thread-safe. Arguments are assumed already validated
// by the caller (well-formed codes); the store checks only what needs its
// data.
class EnterpriseStore {
 public:
  virtual ~EnterpriseStore() = default;

  // The record of an enterprise (10-digit code: owners and dependent units
  // filled) or of a dependent unit ("NNNNNNNNNN-NNN": its own record with
  // parent_enterprise_code). NOT_FOUND "enterprise_code: no enterprise or
  // dependent unit is registered under <code>" otherwise.
  virtual absl::StatusOr<v1::Enterprise> GetEnterprise(absl::string_view code) = 0;

  // The matches, ordered by the name's search key, then code.
  virtual absl::StatusOr<std::vector<v1::EnterpriseSummary>> SearchEnterprises(
      const EnterpriseSearch& search) = 0;

  // Enterprises and dependent units.
  virtual absl::StatusOr<int64_t> CountRecords() = 0;
};

}  // namespace ndxp::business

#endif  // NDXP_CONNECTORS_BUSINESS_ENTERPRISE_STORE_H_
