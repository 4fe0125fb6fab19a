// Fuzzes every identifier validator the connectors apply to request fields:
// personal ID, enterprise code, social-insurance code, health-insurance card
// code, agency code. None may crash; an accepted code must be rebuilt
// exactly from its parts where the federation can make one (a validator that
// accepts what the issuer could never have made is a bug).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/identifiers/agency_code.h"
#include "common/identifiers/enterprise_code.h"
#include "common/identifiers/insurance_codes.h"
#include "common/identifiers/personal_id.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view code(reinterpret_cast<const char*>(data), size);
  using namespace ndxp::identifiers;

  if (auto id = ParsePersonalId(code); id.ok()) {
    absl::StatusOr<std::string> made =
        MakePersonalId(id->province->code, id->birth_year(), id->sex, id->serial);
    Check(made.ok() && *made == code);
  }
  if (auto enterprise = ParseEnterpriseCode(code); enterprise.ok()) {
    Check(enterprise->enterprise_code.size() == 10);
    if (enterprise->is_dependent_unit()) {
      absl::StatusOr<std::string> made =
          MakeDependentUnitCode(enterprise->enterprise_code, enterprise->dependent_unit);
      Check(made.ok() && *made == code);
    }
  }
  (void)ValidateEnterpriseCode(code);
  (void)ParseSocialInsuranceCode(code);
  (void)ValidateSocialInsuranceCode(code);
  (void)ParseHealthInsuranceCardCode(code);
  (void)ValidateHealthInsuranceCardCode(code);
  (void)FindParticipantCategory(code);
  (void)FindProvinceByTwoDigitCode(code);
  (void)TwoDigitProvinceCode(code);
  if (IsValidAgencyCode(code)) Check(ValidateAgencyCode(code, "agency").ok());
  return 0;
}
