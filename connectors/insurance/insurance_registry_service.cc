#include "connectors/insurance/insurance_registry_service.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/identifiers/civil_date.h"
#include "common/identifiers/insurance_codes.h"
#include "common/identifiers/personal_id.h"
#include "common/identifiers/province.h"
#include "connectors/insurance/coverage_rules.h"
#include "connectors/runtime/caller_info.h"
#include "connectors/runtime/field_violations.h"
#include "connectors/runtime/hub_client.h"
#include "common/status/status_util.h"

namespace ndxp::insurance {
namespace {

using ndxp::connectors::CallerInfoFromContext;
using ndxp::connectors::FieldViolations;
using ndxp::connectors::InvalidField;
using ndxp::ToGrpcStatus;
namespace residents_v1 = ndxp::residents::v1;

constexpr size_t kMaxRequestIdLength = 128;
constexpr size_t kMaxFullNameLength = 200;
constexpr size_t kMaxPurposeLength = 200;

bool IsDateSet(const residents_v1::Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

identifiers::CivilDate ToCivilDate(const residents_v1::Date& date) {
  return {date.year(), date.month(), date.day()};
}

// The validated date of birth, or nullptr after recording why not.
const residents_v1::Date* CheckDateOfBirth(const residents_v1::Date& date,
                                           FieldViolations& violations) {
  if (!IsDateSet(date)) {
    violations.Add("date_of_birth", "is required");
    return nullptr;
  }
  absl::Status valid = identifiers::ValidateCivilDate(ToCivilDate(date), "date_of_birth");
  violations.Check("date_of_birth", valid);
  return valid.ok() ? &date : nullptr;
}

std::string RequestIdFor(const std::string& request_id, absl::string_view suffix) {
  if (request_id.empty()) return "";  // the hub generates one
  return absl::StrCat(request_id, ":", suffix);
}

}  // namespace

InsuranceRegistryService::InsuranceRegistryService(InsuranceStore* store,
                                                   std::shared_ptr<grpc::Channel> hub)
    : InsuranceRegistryService(store, std::move(hub), Options()) {}

InsuranceRegistryService::InsuranceRegistryService(InsuranceStore* store,
                                                   std::shared_ptr<grpc::Channel> hub,
                                                   Options options)
    : store_(store),
      residents_(hub != nullptr ? residents_v1::ResidentRegistry::NewStub(hub) : nullptr),
      options_(std::move(options)) {}

// --------------------------------------------------------- GetInsuredPerson

absl::StatusOr<v1::InsuredPerson> InsuranceRegistryService::Get(
    const v1::GetInsuredPersonRequest& request) {
  switch (request.key_case()) {
    case v1::GetInsuredPersonRequest::kPersonalId:
      if (absl::Status s = identifiers::ParsePersonalId(request.personal_id()).status();
          !s.ok()) {
        FieldViolations violations;
        violations.Check("personal_id", s);
        return violations.ToStatus();
      }
      return store_->GetByPersonalId(request.personal_id());
    case v1::GetInsuredPersonRequest::kSocialInsuranceCode:
      if (absl::Status s =
              identifiers::ValidateSocialInsuranceCode(request.social_insurance_code());
          !s.ok()) {
        FieldViolations violations;
        violations.Check("social_insurance_code", s);
        return violations.ToStatus();
      }
      return store_->GetBySocialInsuranceCode(request.social_insurance_code());
    default:
      return InvalidField("key", "personal_id or social_insurance_code is required");
  }
}

grpc::Status InsuranceRegistryService::GetInsuredPerson(
    grpc::ServerContext* /*context*/, const v1::GetInsuredPersonRequest* request,
    v1::GetInsuredPersonResponse* response) {
  absl::StatusOr<v1::InsuredPerson> person = Get(*request);
  if (!person.ok()) return ToGrpcStatus(person.status());
  *response->mutable_person() = *std::move(person);
  return grpc::Status::OK;
}

// ----------------------------------------------------- IssueChildHealthCard

absl::StatusOr<IssuedChildCard> InsuranceRegistryService::Issue(
    const v1::IssueChildHealthCardRequest& r) {
  FieldViolations violations;
  if (r.request_id().empty()) {
    violations.Add("request_id",
                   "is required (an idempotency key, e.g. the birth registration's request id)");
  } else if (r.request_id().size() > kMaxRequestIdLength) {
    violations.Add("request_id",
                   absl::StrCat("is longer than ", kMaxRequestIdLength, " characters"));
  }
  const absl::string_view full_name = absl::StripAsciiWhitespace(r.full_name());
  if (full_name.empty()) {
    violations.Add("full_name", "is required");
  } else if (full_name.size() > kMaxFullNameLength) {
    violations.Add("full_name", absl::StrCat("is longer than ", kMaxFullNameLength, " bytes"));
  }
  const residents_v1::Date* birth = CheckDateOfBirth(r.date_of_birth(), violations);
  std::optional<identifiers::Sex> sex;
  if (r.sex() == residents_v1::SEX_MALE) {
    sex = identifiers::Sex::kMale;
  } else if (r.sex() == residents_v1::SEX_FEMALE) {
    sex = identifiers::Sex::kFemale;
  } else if (r.sex() == residents_v1::SEX_UNSPECIFIED) {
    violations.Add("sex", "is required (SEX_MALE or SEX_FEMALE)");
  } else {
    violations.Add("sex", absl::StrCat("unknown value ", static_cast<int>(r.sex())));
  }
  // The number must agree with whatever of the birth date and sex is valid.
  const identifiers::CivilDate birth_date =
      birth != nullptr ? ToCivilDate(*birth) : identifiers::CivilDate();
  violations.Check("personal_id",
                  identifiers::ValidatePersonalId(r.personal_id(),
                                                  birth != nullptr ? &birth_date : nullptr,
                                                  sex.has_value() ? &*sex : nullptr));
  const identifiers::Province* province = identifiers::FindProvince(r.province_code());
  if (r.province_code().empty()) {
    violations.Add("province_code", "is required (3 digits, e.g. \"001\")");
  } else if (province == nullptr) {
    violations.Add("province_code",
                   absl::StrCat("\"", absl::CHexEscape(r.province_code()),
                                "\" is not one of the 63 province codes"));
  }
  NDXP_RETURN_IF_ERROR(violations.ToStatus());

  v1::InsuredPerson child;
  child.set_personal_id(r.personal_id());
  child.set_full_name(std::string(full_name));
  *child.mutable_date_of_birth() = r.date_of_birth();
  child.set_sex(r.sex());
  child.set_coverage_status(v1::COVERAGE_STATUS_ACTIVE);
  child.set_contribution_months(0);
  *child.mutable_card() =
      ChildCard(r.date_of_birth(), DefaultPrimaryCareFacility(province->name));
  return store_->IssueChildHealthCard(r.request_id(), r.province_code(), child);
}

grpc::Status InsuranceRegistryService::IssueChildHealthCard(
    grpc::ServerContext* /*context*/, const v1::IssueChildHealthCardRequest* request,
    v1::IssueChildHealthCardResponse* response) {
  absl::StatusOr<IssuedChildCard> issued = Issue(*request);
  if (!issued.ok()) return ToGrpcStatus(issued.status());
  response->set_social_insurance_code(issued->person.social_insurance_code());
  *response->mutable_card() = issued->person.card();
  response->set_newly_issued(issued->newly_issued);
  return grpc::Status::OK;
}

// -------------------------------------------------- VerifyAgainstPopulation

absl::StatusOr<v1::VerificationResult> InsuranceRegistryService::VerifyRecord(
    const v1::InsuredPerson& person, const std::string& purpose,
    const std::string& request_id) {
  residents_v1::VerifyCitizenRequest request;
  request.set_personal_id(person.personal_id());
  request.set_full_name(person.full_name());
  *request.mutable_date_of_birth() = person.date_of_birth();
  request.set_sex(person.sex());

  grpc::ClientContext context;
  ndxp::connectors::HubCallOptions call;
  call.purpose = purpose;
  call.request_id = request_id;
  call.timeout = options_.residents_timeout;
  ndxp::connectors::PrepareHubCall(&context, call);
  residents_v1::VerifyCitizenResponse answer;
  const grpc::Status status = residents_->VerifyCitizen(&context, request, &answer);
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // Residents rejected a record of ours: our data is at fault, not the
    // caller's request (whose BadRequest would name the wrong fields).
    return absl::InternalError(absl::StrCat(
        "residents VerifyCitizen rejected the record of social insurance code ",
        person.social_insurance_code(), ": ", status.error_message()));
  }
  NDXP_RETURN_IF_ERROR(ndxp::FromGrpcStatus(status, "residents VerifyCitizen"));

  v1::VerificationResult result;
  result.set_social_insurance_code(person.social_insurance_code());
  result.set_personal_id(person.personal_id());
  if (!answer.found()) {
    result.set_outcome(v1::VERIFICATION_OUTCOME_NOT_FOUND);
    return result;
  }
  if (!answer.full_name_match()) result.add_mismatched_fields("full_name");
  if (!answer.date_of_birth_match()) result.add_mismatched_fields("date_of_birth");
  if (!answer.sex_match()) result.add_mismatched_fields("sex");
  result.set_outcome(result.mismatched_fields().empty() ? v1::VERIFICATION_OUTCOME_MATCHED
                                                        : v1::VERIFICATION_OUTCOME_MISMATCHED);
  result.set_deceased(answer.life_status() == residents_v1::LIFE_STATUS_DECEASED);
  return result;
}

absl::StatusOr<v1::VerifyAgainstPopulationResponse> InsuranceRegistryService::Verify(
    const v1::VerifyAgainstPopulationRequest& request, const std::string& request_id) {
  FieldViolations violations;
  if (request.social_insurance_codes_size() > kMaxVerificationBatch) {
    violations.Add("social_insurance_codes",
                   absl::StrCat("has ", request.social_insurance_codes_size(),
                                " codes, at most ", kMaxVerificationBatch, " are allowed"));
  } else {
    for (int i = 0; i < request.social_insurance_codes_size(); ++i) {
      const std::string field = absl::StrCat("social_insurance_codes[", i, "]");
      violations.Check(field,
                      identifiers::ValidateSocialInsuranceCode(request.social_insurance_codes(i),
                                                               field));
    }
  }
  if (request.limit() < 0 || request.limit() > kMaxVerificationBatch) {
    violations.Add("limit", absl::StrCat(request.limit(), " is not in 0-", kMaxVerificationBatch,
                                         " (0 means ", kDefaultVerificationLimit, ")"));
  }
  if (request.purpose().size() > kMaxPurposeLength) {
    violations.Add("purpose", absl::StrCat("is longer than ", kMaxPurposeLength, " bytes"));
  }
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  if (residents_ == nullptr) {
    return absl::FailedPreconditionError(
        "hub_endpoint is not configured: this connector cannot reach residents "
        "VerifyCitizen to verify records");
  }
  const std::string purpose =
      request.purpose().empty() ? kDefaultVerificationPurpose : request.purpose();

  // The records to check, in answer order; nullopt for a code the register
  // does not hold.
  std::vector<std::pair<std::string, std::optional<v1::InsuredPerson>>> records;
  if (request.social_insurance_codes().empty()) {
    const int limit = request.limit() == 0 ? kDefaultVerificationLimit : request.limit();
    NDXP_ASSIGN_OR_RETURN(std::vector<v1::InsuredPerson> people,
                          store_->ListInCodeOrder(limit));
    for (v1::InsuredPerson& p : people) {
      std::string code = p.social_insurance_code();
      records.emplace_back(std::move(code), std::move(p));
    }
  } else {
    for (const std::string& code : request.social_insurance_codes()) {
      absl::StatusOr<v1::InsuredPerson> person = store_->GetBySocialInsuranceCode(code);
      if (absl::IsNotFound(person.status())) {
        records.emplace_back(code, std::nullopt);
        continue;
      }
      if (!person.ok()) return person.status();
      records.emplace_back(code, *std::move(person));
    }
  }

  v1::VerifyAgainstPopulationResponse response;
  for (const auto& [code, person] : records) {
    v1::VerificationResult result;
    if (!person.has_value()) {
      result.set_social_insurance_code(code);
      result.set_outcome(v1::VERIFICATION_OUTCOME_NO_SUCH_RECORD);
    } else {
      NDXP_ASSIGN_OR_RETURN(
          result, VerifyRecord(*person, purpose,
                               RequestIdFor(request_id, absl::StrCat("verify:", code))));
    }
    switch (result.outcome()) {
      case v1::VERIFICATION_OUTCOME_MATCHED:
        response.set_matched(response.matched() + 1);
        break;
      case v1::VERIFICATION_OUTCOME_MISMATCHED:
        response.set_mismatched(response.mismatched() + 1);
        break;
      case v1::VERIFICATION_OUTCOME_NOT_FOUND:
        response.set_not_found(response.not_found() + 1);
        break;
      default:
        response.set_no_such_record(response.no_such_record() + 1);
        break;
    }
    *response.add_results() = std::move(result);
  }
  return response;
}

grpc::Status InsuranceRegistryService::VerifyAgainstPopulation(
    grpc::ServerContext* context, const v1::VerifyAgainstPopulationRequest* request,
    v1::VerifyAgainstPopulationResponse* response) {
  absl::StatusOr<v1::VerifyAgainstPopulationResponse> verified =
      Verify(*request, CallerInfoFromContext(*context).request_id);
  if (!verified.ok()) return ToGrpcStatus(verified.status());
  *response = *std::move(verified);
  return grpc::Status::OK;
}

}  // namespace ndxp::insurance
