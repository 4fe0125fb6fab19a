// The federation's agencies by name: code -> Vietnamese and English names,
// from the hub configuration's `agencies`, served by the Statistics API's
// ListAgencies, and read by everything that shows agencies to people (the
// dashboard, ndxpctl stats, growth and report), so that a code such as
// 000.00.00.G04 reads "Population registry" / "Cơ sở dữ liệu quốc gia về dân
// cư" everywhere alike.
//
// Immutable once built: thread-safe. The hub builds one per configuration
// and replaces it on reload.
//
// Example:
//   AgencyDirectory directory(response.agencies());  // a ListAgenciesResponse
//   directory.Name("000.00.00.G12/tax-lookup", NameLanguage::kEnglish);  // "Tax office"
//   directory.Name("000.00.00.Z99", NameLanguage::kEnglish);             // "" (not named)
#ifndef NDXP_GATEWAY_STATISTICS_AGENCY_DIRECTORY_H_
#define NDXP_GATEWAY_STATISTICS_AGENCY_DIRECTORY_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "ndxp/hub/v1/statistics.pb.h"

namespace ndxp::gateway::statistics {

enum class NameLanguage { kEnglish, kVietnamese };

class AgencyDirectory {
 public:
  AgencyDirectory() = default;
  // The agencies listed (a later entry of a code replaces an earlier one;
  // entries without a code are left out).
  explicit AgencyDirectory(const google::protobuf::RepeatedPtrField<hub::v1::Agency>& agencies);

  // The agency of `key`, an agency code or "agency/subsystem" (a consumer,
  // a peer hub), or nullptr when it has no entry.
  const hub::v1::Agency* Find(absl::string_view key) const;

  // The name in `language` of the agency of `key`; the other language's when
  // it has none in `language`; "" when the agency is not named.
  std::string Name(absl::string_view key, NameLanguage language) const;

  // Adds or replaces `agency` (by its code); one without a code is ignored.
  void Add(const hub::v1::Agency& agency);
  // Every entry of `other` added, replacing this one's of the same code.
  void Merge(const AgencyDirectory& other);

  bool empty() const { return agencies_.empty(); }
  size_t size() const { return agencies_.size(); }
  // By code, for ListAgencies.
  hub::v1::ListAgenciesResponse ToResponse() const;

 private:
  std::map<std::string, hub::v1::Agency, std::less<>> agencies_;
};

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_AGENCY_DIRECTORY_H_
