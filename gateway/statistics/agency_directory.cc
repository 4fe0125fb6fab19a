#include "gateway/statistics/agency_directory.h"

namespace ndxp::gateway::statistics {

AgencyDirectory::AgencyDirectory(
    const google::protobuf::RepeatedPtrField<hub::v1::Agency>& agencies) {
  for (const hub::v1::Agency& agency : agencies) Add(agency);
}

void AgencyDirectory::Add(const hub::v1::Agency& agency) {
  if (agency.code().empty()) return;
  agencies_[agency.code()] = agency;
}

void AgencyDirectory::Merge(const AgencyDirectory& other) {
  for (const auto& [code, agency] : other.agencies_) agencies_[code] = agency;
}

const hub::v1::Agency* AgencyDirectory::Find(absl::string_view key) const {
  auto found = agencies_.find(key.substr(0, key.find('/')));
  return found == agencies_.end() ? nullptr : &found->second;
}

std::string AgencyDirectory::Name(absl::string_view key, NameLanguage language) const {
  const hub::v1::Agency* agency = Find(key);
  if (agency == nullptr) return "";
  const std::string& first =
      language == NameLanguage::kEnglish ? agency->name_en() : agency->name_vi();
  const std::string& second =
      language == NameLanguage::kEnglish ? agency->name_vi() : agency->name_en();
  return first.empty() ? second : first;
}

hub::v1::ListAgenciesResponse AgencyDirectory::ToResponse() const {
  hub::v1::ListAgenciesResponse response;
  for (const auto& [code, agency] : agencies_) *response.add_agencies() = agency;
  return response;
}

}  // namespace ndxp::gateway::statistics
