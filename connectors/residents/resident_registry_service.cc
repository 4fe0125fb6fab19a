#include "connectors/residents/resident_registry_service.h"

#include <google/protobuf/util/field_mask_util.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "common/identifiers/personal_id.h"
#include "common/identifiers/province.h"
#include "common/logging/logging.h"
#include "connectors/residents/name_match.h"
#include "connectors/residents/proto_convert.h"
#include "connectors/runtime/field_violations.h"
#include "common/status/status_util.h"

namespace ndxp::residents {
namespace {

using google::protobuf::util::FieldMaskUtil;
using ndxp::connectors::BadRequestOf;
using ndxp::connectors::CallerInfo;
using ndxp::connectors::CallerInfoFromContext;
using ndxp::connectors::FieldViolations;
using ndxp::ToGrpcStatus;

constexpr size_t kMaxRequestIdLength = 128;
constexpr size_t kMaxFullNameLength = 200;

// A caller-chosen key (idempotency key, registration number): required,
// at most kMaxRequestIdLength characters.
void CheckKey(FieldViolations& violations, absl::string_view field, const std::string& key,
              absl::string_view what) {
  if (key.empty()) {
    violations.Add(field, absl::StrCat("is required (", what, ")"));
  } else if (key.size() > kMaxRequestIdLength) {
    violations.Add(field, absl::StrCat("is longer than ", kMaxRequestIdLength, " characters"));
  }
}

// The personal ID to record for a request: itself when well-formed, else
// none (garbage names no citizen).
std::vector<std::string> SubjectOf(const std::string& personal_id) {
  if (!identifiers::ParsePersonalId(personal_id).ok()) return {""};
  return {personal_id};
}

void CheckSex(FieldViolations& violations, v1::Sex sex, absl::string_view field) {
  if (!v1::Sex_IsValid(sex)) {
    violations.Add(field, absl::StrCat("unknown value ", static_cast<int>(sex)));
  }
}

absl::Status ValidateVerifyRequest(const v1::VerifyCitizenRequest& r) {
  FieldViolations violations;
  violations.Check("personal_id",
                  identifiers::ParsePersonalId(r.personal_id()).status());
  // What is not given is not compared (its match flag is false), but what
  // is given must be well-formed.
  if (IsDateSet(r.date_of_birth())) {
    violations.Check("date_of_birth",
                    identifiers::ValidateCivilDate(ToCivilDate(r.date_of_birth()),
                                                   "date_of_birth"));
  }
  CheckSex(violations, r.sex(), "sex");
  return violations.ToStatus();
}

bool SameDate(const v1::Date& a, const v1::Date& b) {
  return a.year() == b.year() && a.month() == b.month() && a.day() == b.day();
}

// A batch item's error: "item <index>: <message>", its BadRequest fields
// renamed "item[<index>].<field>".
absl::Status ForBatchItem(int index, const absl::Status& status) {
  absl::Status item(status.code(), absl::StrCat("item ", index, ": ", status.message()));
  std::optional<google::rpc::BadRequest> bad_request = BadRequestOf(status);
  if (bad_request.has_value()) {
    for (auto& violation : *bad_request->mutable_field_violations()) {
      violation.set_field(absl::StrCat("item[", index, "].", violation.field()));
    }
    item.SetPayload(ndxp::connectors::kBadRequestTypeUrl,
                    absl::Cord(bad_request->SerializeAsString()));
  }
  return item;
}

}  // namespace

ResidentRegistryService::ResidentRegistryService(ResidentStore* store)
    : ResidentRegistryService(store, Options()) {}

ResidentRegistryService::ResidentRegistryService(ResidentStore* store, Options options)
    : store_(store), options_([&options] {
        if (!options.clock) options.clock = [] { return absl::Now(); };
        return std::move(options);
      }()) {}

bool ResidentRegistryService::IsFuture(const identifiers::CivilDate& date) const {
  const absl::CivilDay today = absl::ToCivilDay(options_.clock(), options_.time_zone);
  return absl::CivilDay(date.year, date.month, date.day) > today;
}

absl::Status ResidentRegistryService::Record(const CallerInfo& caller,
                                             absl::string_view method,
                                             const std::vector<std::string>& personal_ids,
                                             absl::Status outcome) {
  const absl::Time now = options_.clock();
  std::vector<AccessRecord> records;
  records.reserve(personal_ids.size());
  for (const std::string& id : personal_ids) {
    records.push_back({now, caller.consumer, caller.purpose, caller.request_id,
                       std::string(method), id, outcome.code()});
  }
  absl::Status recorded = store_->RecordAccesses(records);
  if (recorded.ok()) return outcome;
  logging::Log("access-log").error("access log write failed for {}: {}", method,
                                   recorded.message());
  if (!outcome.ok()) return outcome;  // nothing disclosed; keep the real error
  return absl::UnavailableError(
      absl::StrCat("access log unavailable, no data returned: ", recorded.message()));
}

// ------------------------------------------------------------ VerifyCitizen

absl::StatusOr<v1::VerifyCitizenResponse> ResidentRegistryService::Verify(
    const v1::VerifyCitizenRequest& request) {
  NDXP_RETURN_IF_ERROR(ValidateVerifyRequest(request));
  v1::VerifyCitizenResponse response;
  response.set_personal_id(request.personal_id());
  absl::StatusOr<v1::Citizen> citizen = store_->GetCitizen(request.personal_id());
  if (absl::IsNotFound(citizen.status())) {
    response.set_found(false);
    return response;
  }
  if (!citizen.ok()) return citizen.status();
  response.set_found(true);
  response.set_full_name_match(NamesMatch(request.full_name(), citizen->full_name()));
  response.set_date_of_birth_match(IsDateSet(request.date_of_birth()) &&
                                   SameDate(request.date_of_birth(), citizen->date_of_birth()));
  response.set_sex_match(request.sex() != v1::SEX_UNSPECIFIED &&
                         request.sex() == citizen->sex());
  response.set_life_status(citizen->life_status());
  return response;
}

grpc::Status ResidentRegistryService::VerifyCitizen(grpc::ServerContext* context,
                                                    const v1::VerifyCitizenRequest* request,
                                                    v1::VerifyCitizenResponse* response) {
  absl::StatusOr<v1::VerifyCitizenResponse> result = Verify(*request);
  absl::Status status = Record(CallerInfoFromContext(*context), kVerifyCitizenMethod,
                               SubjectOf(request->personal_id()), result.status());
  if (status.ok()) *response = *std::move(result);
  return ToGrpcStatus(status);
}

// --------------------------------------------------------------- GetCitizen

absl::StatusOr<v1::Citizen> ResidentRegistryService::Get(const v1::GetCitizenRequest& request) {
  FieldViolations violations;
  violations.Check("personal_id",
                  identifiers::ParsePersonalId(request.personal_id()).status());
  for (const std::string& path : request.read_mask().paths()) {
    if (!FieldMaskUtil::IsValidPath<v1::Citizen>(path)) {
      violations.Add("read_mask", absl::StrCat("unknown path \"", absl::CHexEscape(path),
                                               "\" (not a field of Citizen)"));
    }
  }
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  NDXP_ASSIGN_OR_RETURN(v1::Citizen citizen, store_->GetCitizen(request.personal_id()));
  google::protobuf::FieldMask mask = request.read_mask();
  if (mask.paths().empty()) {
    mask.add_paths("personal_id");
    mask.add_paths("full_name");
  }
  v1::Citizen minimised;
  FieldMaskUtil::MergeMessageTo(citizen, mask, FieldMaskUtil::MergeOptions(), &minimised);
  return minimised;
}

grpc::Status ResidentRegistryService::GetCitizen(grpc::ServerContext* context,
                                                 const v1::GetCitizenRequest* request,
                                                 v1::GetCitizenResponse* response) {
  absl::StatusOr<v1::Citizen> citizen = Get(*request);
  absl::Status status = Record(CallerInfoFromContext(*context), kGetCitizenMethod,
                               SubjectOf(request->personal_id()), citizen.status());
  if (status.ok()) *response->mutable_citizen() = *std::move(citizen);
  return ToGrpcStatus(status);
}

// ---------------------------------------------------------- IssuePersonalId

absl::StatusOr<IssuedPersonalId> ResidentRegistryService::Issue(
    const v1::IssuePersonalIdRequest& r) {
  FieldViolations violations;
  CheckKey(violations, "request_id", r.request_id(),
           "an idempotency key, e.g. the birth registration number");
  absl::string_view full_name = absl::StripAsciiWhitespace(r.full_name());
  if (full_name.empty()) {
    violations.Add("full_name", "is required");
  } else if (full_name.size() > kMaxFullNameLength) {
    violations.Add("full_name", absl::StrCat("is longer than ", kMaxFullNameLength, " bytes"));
  }
  if (!IsDateSet(r.date_of_birth())) {
    violations.Add("date_of_birth", "is required");
  } else {
    const identifiers::CivilDate birth = ToCivilDate(r.date_of_birth());
    if (!birth.IsValid()) {
      violations.Check("date_of_birth",
                      identifiers::ValidateCivilDate(birth, "date_of_birth"));
    } else if (birth.year < identifiers::kFirstEncodableBirthYear) {
      violations.Add("date_of_birth",
                     absl::StrCat(birth.ToString(),
                                  " is before 1900, which a personal ID number cannot encode"));
    } else if (IsFuture(birth)) {
      violations.Add("date_of_birth", absl::StrCat(birth.ToString(), " is in the future"));
    }
  }
  if (!v1::Sex_IsValid(r.sex())) {
    CheckSex(violations, r.sex(), "sex");
  } else if (!ToIdentifierSex(r.sex()).has_value()) {
    violations.Add("sex", "must be SEX_MALE or SEX_FEMALE");
  }
  if (identifiers::FindProvince(r.birth_province_code()) == nullptr) {
    violations.Add("birth_province_code",
                   absl::StrCat("unknown province code \"",
                                absl::CHexEscape(r.birth_province_code()), "\""));
  }
  // A father's number must encode a man, a mother's a woman.
  const identifiers::Sex male = identifiers::Sex::kMale;
  const identifiers::Sex female = identifiers::Sex::kFemale;
  if (!r.father_personal_id().empty()) {
    violations.Check("father_personal_id",
                    identifiers::ValidatePersonalId(r.father_personal_id(), nullptr, &male,
                                                    "father_personal_id"));
  }
  if (!r.mother_personal_id().empty()) {
    violations.Check("mother_personal_id",
                    identifiers::ValidatePersonalId(r.mother_personal_id(), nullptr, &female,
                                                    "mother_personal_id"));
  }
  NDXP_RETURN_IF_ERROR(violations.ToStatus());

  v1::Citizen citizen;
  citizen.set_full_name(std::string(full_name));
  *citizen.mutable_date_of_birth() = r.date_of_birth();
  citizen.set_sex(r.sex());
  citizen.set_birth_province_code(r.birth_province_code());
  citizen.set_father_personal_id(r.father_personal_id());
  citizen.set_mother_personal_id(r.mother_personal_id());
  return store_->IssuePersonalId(r.request_id(), citizen);
}

grpc::Status ResidentRegistryService::IssuePersonalId(grpc::ServerContext* context,
                                                      const v1::IssuePersonalIdRequest* request,
                                                      v1::IssuePersonalIdResponse* response) {
  absl::StatusOr<IssuedPersonalId> issued = Issue(*request);
  absl::Status status =
      Record(CallerInfoFromContext(*context), kIssuePersonalIdMethod,
             {issued.ok() ? issued->personal_id : std::string()}, issued.status());
  if (status.ok()) {
    response->set_personal_id(issued->personal_id);
    response->set_newly_issued(issued->newly_issued);
  }
  return ToGrpcStatus(status);
}

// ------------------------------------------------------------ ListRelatives

grpc::Status ResidentRegistryService::ListRelatives(grpc::ServerContext* context,
                                                    const v1::ListRelativesRequest* request,
                                                    grpc::ServerWriter<v1::Relative>* writer) {
  const CallerInfo caller = CallerInfoFromContext(*context);
  absl::StatusOr<std::vector<v1::Relative>> relatives =
      [&]() -> absl::StatusOr<std::vector<v1::Relative>> {
    FieldViolations violations;
    violations.Check("personal_id",
                    identifiers::ParsePersonalId(request->personal_id()).status());
    NDXP_RETURN_IF_ERROR(violations.ToStatus());
    return store_->ListRelatives(request->personal_id());
  }();
  // The relatives' names and birth dates are disclosed too: record them.
  std::vector<std::string> subjects = SubjectOf(request->personal_id());
  if (relatives.ok()) {
    for (const v1::Relative& r : *relatives) subjects.push_back(r.personal_id());
  }
  absl::Status status =
      Record(caller, kListRelativesMethod, subjects, relatives.status());
  if (!status.ok()) return ToGrpcStatus(status);
  for (const v1::Relative& r : *relatives) {
    if (!writer->Write(r)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  }
  return grpc::Status::OK;
}

// ------------------------------------------------------ BatchVerifyCitizens

grpc::Status ResidentRegistryService::BatchVerifyCitizens(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::VerifyCitizenResponse, v1::VerifyCitizenRequest>* stream) {
  const CallerInfo caller = CallerInfoFromContext(*context);
  v1::VerifyCitizenRequest request;
  for (int index = 0; stream->Read(&request); ++index) {
    absl::StatusOr<v1::VerifyCitizenResponse> result = Verify(request);
    absl::Status status = Record(caller, kBatchVerifyCitizensMethod,
                                 SubjectOf(request.personal_id()), result.status());
    if (!status.ok()) {
      // The first bad item ends the stream; its index says which one.
      return ToGrpcStatus(ForBatchItem(index, status));
    }
    if (!stream->Write(*result)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
  }
  return grpc::Status::OK;
}

// -------------------------------------------------------------- RecordDeath

absl::StatusOr<RecordedDeath> ResidentRegistryService::MarkDeceased(
    const v1::RecordDeathRequest& r) {
  FieldViolations violations;
  violations.Check("personal_id",
                  identifiers::ParsePersonalId(r.personal_id()).status());
  if (!IsDateSet(r.date_of_death())) {
    violations.Add("date_of_death", "is required");
  } else {
    const identifiers::CivilDate death = ToCivilDate(r.date_of_death());
    if (!death.IsValid()) {
      violations.Check("date_of_death",
                      identifiers::ValidateCivilDate(death, "date_of_death"));
    } else if (IsFuture(death)) {
      violations.Add("date_of_death", absl::StrCat(death.ToString(), " is in the future"));
    }
  }
  CheckKey(violations, "death_registration_number", r.death_registration_number(),
           "civil status's death certificate number");
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  return store_->RecordDeath(r.personal_id(), r.date_of_death(),
                             r.death_registration_number());
}

grpc::Status ResidentRegistryService::RecordDeath(grpc::ServerContext* context,
                                                  const v1::RecordDeathRequest* request,
                                                  v1::RecordDeathResponse* response) {
  absl::StatusOr<RecordedDeath> recorded = MarkDeceased(*request);
  absl::Status status = Record(CallerInfoFromContext(*context), kRecordDeathMethod,
                               SubjectOf(request->personal_id()), recorded.status());
  if (status.ok()) {
    response->set_personal_id(request->personal_id());
    *response->mutable_date_of_death() = recorded->date_of_death;
    response->set_death_registration_number(recorded->death_registration_number);
    response->set_newly_recorded(recorded->newly_recorded);
  }
  return ToGrpcStatus(status);
}

}  // namespace ndxp::residents
