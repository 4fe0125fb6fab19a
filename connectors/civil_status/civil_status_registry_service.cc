#include "connectors/civil_status/civil_status_registry_service.h"

#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "common/identifiers/personal_id.h"
#include "common/identifiers/province.h"
#include "connectors/runtime/field_violations.h"
#include "connectors/runtime/hub_client.h"
#include "common/status/status_util.h"
#include "google/rpc/error_details.pb.h"

namespace ndxp::civil_status {
namespace {

using ndxp::connectors::FieldViolations;
using ndxp::FromGrpcStatus;
using ndxp::connectors::HubCallOptions;
using ndxp::ToGrpcStatus;
using ndxp::residents::v1::Citizen;
using ndxp::residents::v1::Date;
using ndxp::residents::v1::Sex;

constexpr size_t kMaxRequestIdLength = 100;  // leaves room for ":personal-id" etc.
constexpr size_t kMaxTextLength = 200;

void CheckRequestId(FieldViolations& violations, const std::string& request_id) {
  if (request_id.empty()) {
    violations.Add("request_id", "is required (the registration's idempotency key)");
  } else if (request_id.size() > kMaxRequestIdLength) {
    violations.Add("request_id",
                   absl::StrCat("is longer than ", kMaxRequestIdLength, " characters"));
  }
}

void CheckText(FieldViolations& violations, absl::string_view field, absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) {
    violations.Add(field, "is required");
  } else if (text.size() > kMaxTextLength) {
    violations.Add(field, absl::StrCat("is longer than ", kMaxTextLength, " bytes"));
  }
}

void CheckProvince(FieldViolations& violations, absl::string_view field, const std::string& code) {
  if (identifiers::FindProvince(code) == nullptr) {
    violations.Add(field, absl::StrCat("unknown province code \"", absl::CHexEscape(code), "\""));
  }
}

identifiers::CivilDate ToCivilDate(const Date& date) {
  return {date.year(), date.month(), date.day()};
}

// Years completed on `on` by someone born on `birth`.
int AgeOn(const Date& birth, const Date& on) {
  int age = on.year() - birth.year();
  if (std::make_pair(on.month(), on.day()) < std::make_pair(birth.month(), birth.day())) --age;
  return age;
}

// Failures that may pass if the same call is made again.
bool IsTransient(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

// A procedure stopped by a downstream failure: see the header comment.
struct Progress {
  const char* reason;                  // ErrorInfo reason
  std::string done;                    // "birth registered as ..., personal ID ... issued"
  std::vector<std::string> completed;  // step names for the metadata
  std::vector<std::string> pending;    // step names for the metadata
  std::string pending_text;            // "health-insurance card"
};

absl::Status Incomplete(const StoredRegistration& registration, const Progress& progress,
                        const absl::Status& cause) {
  const absl::StatusCode code =
      IsTransient(cause.code()) ? absl::StatusCode::kUnavailable : cause.code();
  absl::Status status(code, absl::StrCat(progress.done, "; ", progress.pending_text, " pending: ",
                                         cause.message(), "; retry with the same request_id"));
  google::rpc::ErrorInfo info;
  info.set_reason(progress.reason);
  info.set_domain(kErrorInfoDomain);
  auto& metadata = *info.mutable_metadata();
  metadata["request_id"] = registration.request_id;
  metadata["certificate_number"] = registration.certificate_number.formatted();
  metadata["completed_steps"] = absl::StrJoin(progress.completed, ",");
  metadata["pending_steps"] = absl::StrJoin(progress.pending, ",");
  if (!registration.personal_id.empty()) metadata["personal_id"] = registration.personal_id;
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

// One unary call through the hub, its failure prefixed with `name`.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> CallThroughHub(
    Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& request, const HubCallOptions& options, absl::string_view name) {
  grpc::ClientContext context;
  ndxp::connectors::PrepareHubCall(&context, options);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status, name);
  return response;
}

HubCallOptions CallOptions(absl::string_view purpose, std::string request_id,
                           absl::Duration timeout) {
  HubCallOptions options;
  options.purpose = std::string(purpose);
  options.request_id = std::move(request_id);
  options.timeout = timeout;
  return options;
}

v1::BirthRegistrationState ToProtoState(RegistrationState state) {
  return static_cast<v1::BirthRegistrationState>(static_cast<int>(state));
}

absl::StatusOr<v1::BirthRegistration> BirthRegistrationOf(const StoredRegistration& stored) {
  v1::RegisterBirthRequest request;
  if (!request.ParseFromString(stored.request)) {
    return absl::InternalError(absl::StrCat("corrupt birth registration ", stored.request_id));
  }
  v1::BirthRegistration r;
  r.set_request_id(stored.request_id);
  r.set_state(ToProtoState(stored.state));
  *r.mutable_certificate_number() = stored.certificate_number;
  r.set_child_full_name(request.child_full_name());
  *r.mutable_date_of_birth() = request.date_of_birth();
  r.set_sex(request.sex());
  r.set_birth_province_code(request.birth_province_code());
  r.set_father_personal_id(request.father_personal_id());
  r.set_mother_personal_id(request.mother_personal_id());
  r.set_registration_office(request.registration_office());
  r.set_personal_id(stored.personal_id);
  r.set_social_insurance_code(stored.social_insurance_code);
  r.set_health_insurance_card_code(stored.health_insurance_card_code);
  return r;
}

}  // namespace

CivilStatusRegistryService::CivilStatusRegistryService(RegistrationStore* store,
                                                       std::shared_ptr<grpc::Channel> hub,
                                                       Options options)
    : store_(store),
      options_([&options] {
        if (!options.clock) options.clock = [] { return absl::Now(); };
        return std::move(options);
      }()),
      residents_(ndxp::residents::v1::ResidentRegistry::NewStub(hub)),
      insurance_(ndxp::insurance::v1::InsuranceRegistry::NewStub(hub)) {}

absl::Mutex& CivilStatusRegistryService::LockFor(const std::string& request_id) {
  return request_locks_[absl::Hash<std::string>()(request_id) % kRequestLockStripes];
}

bool CivilStatusRegistryService::IsFuture(const Date& date) const {
  const absl::CivilDay today = absl::ToCivilDay(options_.clock(), options_.time_zone);
  return absl::CivilDay(date.year(), date.month(), date.day()) > today;
}

absl::StatusOr<bool> CivilStatusRegistryService::IsNew(RegistrationKind kind,
                                                       const std::string& request_id) {
  absl::StatusOr<StoredRegistration> existing = store_->Get(kind, request_id);
  if (absl::IsNotFound(existing.status())) return true;
  if (!existing.ok()) return existing.status();
  return false;
}

absl::StatusOr<Citizen> CivilStatusRegistryService::LookUpCitizen(const std::string& personal_id,
                                                                  absl::string_view field,
                                                                  absl::string_view purpose,
                                                                  const std::string& request_id) {
  ndxp::residents::v1::GetCitizenRequest request;
  request.set_personal_id(personal_id);
  for (const char* path : {"personal_id", "sex", "date_of_birth", "life_status", "date_of_death"}) {
    request.mutable_read_mask()->add_paths(path);
  }
  absl::StatusOr<ndxp::residents::v1::GetCitizenResponse> response = CallThroughHub(
      *residents_, &ndxp::residents::v1::ResidentRegistry::Stub::GetCitizen, request,
      CallOptions(purpose, absl::StrCat(request_id, ":check-", field), options_.downstream_timeout),
      "residents GetCitizen");
  if (absl::IsNotFound(response.status())) {
    return absl::NotFoundError(
        absl::StrCat(field, ": no citizen holds personal ID number ", personal_id));
  }
  if (!response.ok()) return response.status();
  return response->citizen();
}

// ------------------------------------------------------------- validation

absl::Status CivilStatusRegistryService::ValidateBirth(const v1::RegisterBirthRequest& r) const {
  FieldViolations violations;
  CheckRequestId(violations, r.request_id());
  CheckText(violations, "child_full_name", r.child_full_name());
  const identifiers::CivilDate birth = ToCivilDate(r.date_of_birth());
  if (!r.has_date_of_birth()) {
    violations.Add("date_of_birth", "is required");
  } else if (!birth.IsValid()) {
    violations.Check("date_of_birth",
                    identifiers::ValidateCivilDate(birth, "date_of_birth"));
  } else if (birth.year < identifiers::kFirstEncodableBirthYear) {
    violations.Add("date_of_birth",
                   absl::StrCat(birth.ToString(),
                                " is before 1900, which a personal ID number cannot encode"));
  } else if (IsFuture(r.date_of_birth())) {
    violations.Add("date_of_birth", absl::StrCat(birth.ToString(), " is in the future"));
  }
  if (r.sex() != ndxp::residents::v1::SEX_MALE && r.sex() != ndxp::residents::v1::SEX_FEMALE) {
    violations.Add("sex", "must be SEX_MALE or SEX_FEMALE");
  }
  CheckProvince(violations, "birth_province_code", r.birth_province_code());
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
  CheckText(violations, "registration_office", r.registration_office());
  return violations.ToStatus();
}

absl::Status CivilStatusRegistryService::ValidateMarriage(
    const v1::RegisterMarriageRequest& r) const {
  FieldViolations violations;
  CheckRequestId(violations, r.request_id());
  const identifiers::Sex male = identifiers::Sex::kMale;
  const identifiers::Sex female = identifiers::Sex::kFemale;
  violations.Check("husband_personal_id",
                  identifiers::ValidatePersonalId(r.husband_personal_id(), nullptr, &male,
                                                  "husband_personal_id"));
  violations.Check("wife_personal_id",
      identifiers::ValidatePersonalId(r.wife_personal_id(), nullptr, &female, "wife_personal_id"));
  if (!r.husband_personal_id().empty() && r.husband_personal_id() == r.wife_personal_id()) {
    violations.Add("wife_personal_id", "must not be the same person as husband_personal_id");
  }
  const identifiers::CivilDate day = ToCivilDate(r.date_of_marriage());
  if (!r.has_date_of_marriage()) {
    violations.Add("date_of_marriage", "is required");
  } else if (!day.IsValid()) {
    violations.Check("date_of_marriage",
                    identifiers::ValidateCivilDate(day, "date_of_marriage"));
  } else if (IsFuture(r.date_of_marriage())) {
    violations.Add("date_of_marriage", absl::StrCat(day.ToString(), " is in the future"));
  }
  CheckProvince(violations, "registration_province_code", r.registration_province_code());
  CheckText(violations, "registration_office", r.registration_office());
  return violations.ToStatus();
}

absl::Status CivilStatusRegistryService::ValidateDeath(const v1::RegisterDeathRequest& r) const {
  FieldViolations violations;
  CheckRequestId(violations, r.request_id());
  violations.Check("personal_id",
                  identifiers::ParsePersonalId(r.personal_id()).status());
  const identifiers::CivilDate day = ToCivilDate(r.date_of_death());
  if (!r.has_date_of_death()) {
    violations.Add("date_of_death", "is required");
  } else if (!day.IsValid()) {
    violations.Check("date_of_death",
                    identifiers::ValidateCivilDate(day, "date_of_death"));
  } else if (IsFuture(r.date_of_death())) {
    violations.Add("date_of_death", absl::StrCat(day.ToString(), " is in the future"));
  }
  CheckProvince(violations, "place_of_death_province_code", r.place_of_death_province_code());
  CheckText(violations, "place_of_death", r.place_of_death());
  return violations.ToStatus();
}

// ------------------------------------------------------------------ births

absl::StatusOr<v1::RegisterBirthResponse> CivilStatusRegistryService::Birth(
    const v1::RegisterBirthRequest& r) {
  NDXP_RETURN_IF_ERROR(ValidateBirth(r));
  absl::MutexLock lock(&LockFor(r.request_id()));
  NDXP_ASSIGN_OR_RETURN(bool is_new, IsNew(RegistrationKind::kBirth, r.request_id()));
  if (is_new) {
    // Parents are checked before a page is allocated: a birth that residents
    // would refuse must not hold a page forever.
    for (const auto& [id, field] : {std::pair{&r.father_personal_id(), "father_personal_id"},
                                    std::pair{&r.mother_personal_id(), "mother_personal_id"}}) {
      if (id->empty()) continue;
      NDXP_RETURN_IF_ERROR(LookUpCitizen(*id, field, kBirthPurpose, r.request_id()).status());
    }
  }
  NDXP_ASSIGN_OR_RETURN(StoredRegistration registration,
                        store_->Register(RegistrationKind::kBirth, r.request_id(), r,
                                         BookName(RegistrationKind::kBirth, r.birth_province_code(),
                                                  r.date_of_birth().year())));
  const bool completed_before = registration.state == RegistrationState::kCompleted;
  const std::string registered_as =
      absl::StrCat("birth registered as ", registration.certificate_number.formatted());

  if (registration.state == RegistrationState::kRegistered) {
    ndxp::residents::v1::IssuePersonalIdRequest issue;
    issue.set_request_id(absl::StrCat(r.request_id(), ":personal-id"));
    issue.set_full_name(std::string(absl::StripAsciiWhitespace(r.child_full_name())));
    *issue.mutable_date_of_birth() = r.date_of_birth();
    issue.set_sex(r.sex());
    issue.set_birth_province_code(r.birth_province_code());
    issue.set_father_personal_id(r.father_personal_id());
    issue.set_mother_personal_id(r.mother_personal_id());
    absl::StatusOr<ndxp::residents::v1::IssuePersonalIdResponse> issued = CallThroughHub(
        *residents_, &ndxp::residents::v1::ResidentRegistry::Stub::IssuePersonalId, issue,
        CallOptions(kBirthPurpose, issue.request_id(), options_.downstream_timeout),
        "residents IssuePersonalId");
    if (!issued.ok()) {
      return Incomplete(registration,
                        {"BIRTH_REGISTRATION_INCOMPLETE",
                         registered_as,
                         {"registered"},
                         {"personal_id", "health_card"},
                         "personal ID and health-insurance card"},
                        issued.status());
    }
    NDXP_RETURN_IF_ERROR(store_->Advance(RegistrationKind::kBirth, r.request_id(),
                                         RegistrationState::kPersonalIdIssued,
                                         issued->personal_id(), "", ""));
    registration.state = RegistrationState::kPersonalIdIssued;
    registration.personal_id = issued->personal_id();
  }

  if (registration.state == RegistrationState::kPersonalIdIssued) {
    ndxp::insurance::v1::IssueChildHealthCardRequest card_request;
    card_request.set_request_id(absl::StrCat(r.request_id(), ":health-card"));
    card_request.set_personal_id(registration.personal_id);
    card_request.set_full_name(std::string(absl::StripAsciiWhitespace(r.child_full_name())));
    *card_request.mutable_date_of_birth() = r.date_of_birth();
    card_request.set_sex(r.sex());
    card_request.set_province_code(r.birth_province_code());
    absl::StatusOr<ndxp::insurance::v1::IssueChildHealthCardResponse> card = CallThroughHub(
        *insurance_, &ndxp::insurance::v1::InsuranceRegistry::Stub::IssueChildHealthCard,
        card_request,
        CallOptions(kBirthPurpose, card_request.request_id(), options_.downstream_timeout),
        "insurance IssueChildHealthCard");
    if (!card.ok()) {
      return Incomplete(
          registration,
          {"BIRTH_REGISTRATION_INCOMPLETE",
           absl::StrCat(registered_as, ", personal ID ", registration.personal_id, " issued"),
           {"registered", "personal_id"},
           {"health_card"},
           "health-insurance card"},
          card.status());
    }
    NDXP_RETURN_IF_ERROR(store_->Advance(RegistrationKind::kBirth, r.request_id(),
                                         RegistrationState::kCompleted, "",
                                         card->social_insurance_code(), card->card().card_code()));
    registration.state = RegistrationState::kCompleted;
    registration.social_insurance_code = card->social_insurance_code();
    registration.health_insurance_card_code = card->card().card_code();
  }

  v1::RegisterBirthResponse response;
  NDXP_ASSIGN_OR_RETURN(*response.mutable_registration(), BirthRegistrationOf(registration));
  response.set_newly_completed(!completed_before);
  return response;
}

grpc::Status CivilStatusRegistryService::RegisterBirth(grpc::ServerContext* /*context*/,
                                                       const v1::RegisterBirthRequest* request,
                                                       v1::RegisterBirthResponse* response) {
  absl::StatusOr<v1::RegisterBirthResponse> result = Birth(*request);
  if (result.ok()) *response = *std::move(result);
  return ToGrpcStatus(result.status());
}

grpc::Status CivilStatusRegistryService::GetBirthRegistration(
    grpc::ServerContext* /*context*/, const v1::GetBirthRegistrationRequest* request,
    v1::GetBirthRegistrationResponse* response) {
  absl::StatusOr<v1::BirthRegistration> registration =
      [&]() -> absl::StatusOr<v1::BirthRegistration> {
    FieldViolations violations;
    CheckRequestId(violations, request->request_id());
    NDXP_RETURN_IF_ERROR(violations.ToStatus());
    NDXP_ASSIGN_OR_RETURN(StoredRegistration stored,
                          store_->Get(RegistrationKind::kBirth, request->request_id()));
    return BirthRegistrationOf(stored);
  }();
  if (registration.ok()) *response->mutable_registration() = *std::move(registration);
  return ToGrpcStatus(registration.status());
}

// --------------------------------------------------------------- marriages

absl::StatusOr<v1::RegisterMarriageResponse> CivilStatusRegistryService::Marriage(
    const v1::RegisterMarriageRequest& r) {
  NDXP_RETURN_IF_ERROR(ValidateMarriage(r));
  absl::MutexLock lock(&LockFor(r.request_id()));
  NDXP_ASSIGN_OR_RETURN(bool is_new, IsNew(RegistrationKind::kMarriage, r.request_id()));
  if (is_new) {
    struct Spouse {
      const std::string* personal_id;
      const char* field;
      int minimum_age;
    };
    for (const Spouse& spouse :
         {Spouse{&r.husband_personal_id(), "husband_personal_id", kMinimumHusbandAge},
          Spouse{&r.wife_personal_id(), "wife_personal_id", kMinimumWifeAge}}) {
      NDXP_ASSIGN_OR_RETURN(Citizen citizen, LookUpCitizen(*spouse.personal_id, spouse.field,
                                                           kMarriagePurpose, r.request_id()));
      if (citizen.life_status() != ndxp::residents::v1::LIFE_STATUS_ALIVE) {
        return absl::FailedPreconditionError(
            absl::StrCat(spouse.field, ": ", *spouse.personal_id, " is not a living citizen"));
      }
      const int age = AgeOn(citizen.date_of_birth(), r.date_of_marriage());
      if (age < spouse.minimum_age) {
        return absl::FailedPreconditionError(
            absl::StrCat(spouse.field, ": ", *spouse.personal_id, " is ", age, " on ",
                         ToCivilDate(r.date_of_marriage()).ToString(), "; the minimum age is ",
                         spouse.minimum_age, " (Law on Marriage and Family 2014, article 8)"));
      }
    }
  }
  NDXP_ASSIGN_OR_RETURN(
      StoredRegistration registration,
      store_->Register(RegistrationKind::kMarriage, r.request_id(), r,
                       BookName(RegistrationKind::kMarriage, r.registration_province_code(),
                                r.date_of_marriage().year())));
  const bool completed_before = registration.state == RegistrationState::kCompleted;
  if (!completed_before) {
    NDXP_RETURN_IF_ERROR(store_->Advance(RegistrationKind::kMarriage, r.request_id(),
                                         RegistrationState::kCompleted, "", "", ""));
  }
  v1::RegisterMarriageResponse response;
  *response.mutable_certificate_number() = registration.certificate_number;
  response.set_newly_registered(!completed_before);
  return response;
}

grpc::Status CivilStatusRegistryService::RegisterMarriage(
    grpc::ServerContext* /*context*/, const v1::RegisterMarriageRequest* request,
    v1::RegisterMarriageResponse* response) {
  absl::StatusOr<v1::RegisterMarriageResponse> result = Marriage(*request);
  if (result.ok()) *response = *std::move(result);
  return ToGrpcStatus(result.status());
}

// ------------------------------------------------------------------ deaths

absl::StatusOr<v1::RegisterDeathResponse> CivilStatusRegistryService::Death(
    const v1::RegisterDeathRequest& r) {
  NDXP_RETURN_IF_ERROR(ValidateDeath(r));
  absl::MutexLock lock(&LockFor(r.request_id()));
  NDXP_ASSIGN_OR_RETURN(bool is_new, IsNew(RegistrationKind::kDeath, r.request_id()));
  if (is_new) {
    // What residents would refuse is refused before a page is allocated.
    NDXP_ASSIGN_OR_RETURN(Citizen citizen, LookUpCitizen(r.personal_id(), "personal_id",
                                                         kDeathPurpose, r.request_id()));
    const identifiers::CivilDate death = ToCivilDate(r.date_of_death());
    const identifiers::CivilDate birth = ToCivilDate(citizen.date_of_birth());
    if (death < birth) {
      return ndxp::connectors::InvalidField(
          "date_of_death",
          absl::StrCat(death.ToString(), " is before the date of birth ", birth.ToString()));
    }
    const identifiers::CivilDate recorded = ToCivilDate(citizen.date_of_death());
    if (citizen.life_status() == ndxp::residents::v1::LIFE_STATUS_DECEASED && recorded != death) {
      return absl::FailedPreconditionError(absl::StrCat("personal_id: ", r.personal_id(),
                                                        " is already recorded as deceased on ",
                                                        recorded.ToString()));
    }
  }
  NDXP_ASSIGN_OR_RETURN(
      StoredRegistration registration,
      store_->Register(RegistrationKind::kDeath, r.request_id(), r,
                       BookName(RegistrationKind::kDeath, r.place_of_death_province_code(),
                                r.date_of_death().year())));
  const bool completed_before = registration.state == RegistrationState::kCompleted;
  if (!completed_before) {
    ndxp::residents::v1::RecordDeathRequest record;
    record.set_personal_id(r.personal_id());
    *record.mutable_date_of_death() = r.date_of_death();
    record.set_death_registration_number(registration.certificate_number.formatted());
    absl::StatusOr<ndxp::residents::v1::RecordDeathResponse> recorded = CallThroughHub(
        *residents_, &ndxp::residents::v1::ResidentRegistry::Stub::RecordDeath, record,
        CallOptions(kDeathPurpose, absl::StrCat(r.request_id(), ":record-death"),
                    options_.downstream_timeout),
        "residents RecordDeath");
    if (!recorded.ok()) {
      return Incomplete(
          registration,
          {"DEATH_REGISTRATION_INCOMPLETE",
           absl::StrCat("death registered as ", registration.certificate_number.formatted()),
           {"registered"},
           {"population_register"},
           "population register update"},
          recorded.status());
    }
    NDXP_RETURN_IF_ERROR(store_->Advance(RegistrationKind::kDeath, r.request_id(),
                                         RegistrationState::kCompleted, r.personal_id(), "", ""));
  }
  v1::RegisterDeathResponse response;
  *response.mutable_certificate_number() = registration.certificate_number;
  response.set_newly_registered(!completed_before);
  return response;
}

grpc::Status CivilStatusRegistryService::RegisterDeath(grpc::ServerContext* /*context*/,
                                                       const v1::RegisterDeathRequest* request,
                                                       v1::RegisterDeathResponse* response) {
  absl::StatusOr<v1::RegisterDeathResponse> result = Death(*request);
  if (result.ok()) *response = *std::move(result);
  return ToGrpcStatus(result.status());
}

}  // namespace ndxp::civil_status
