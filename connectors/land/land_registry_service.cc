#include "connectors/land/land_registry_service.h"

#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/identifiers/enterprise_code.h"
#include "common/identifiers/personal_id.h"
#include "common/identifiers/province.h"
#include "connectors/land/land_identifiers.h"
#include "connectors/land/land_prices.h"
#include "connectors/land/transfer_obligations.h"
#include "connectors/runtime/caller_info.h"
#include "common/status/status_util.h"

namespace ndxp::land {
namespace {

using ndxp::connectors::CallerInfoFromContext;
using ndxp::connectors::FieldViolations;
using ndxp::ToGrpcStatus;

// Tells parties apart: "P<personal id>" or "E<enterprise code>".
std::string PartyKey(const v1::Party& party) {
  return party.has_enterprise_code() ? absl::StrCat("E", party.enterprise_code())
                                     : absl::StrCat("P", party.personal_id());
}

// The parcel id `ref` names, or nullopt after recording why it names none.
std::optional<std::string> CheckParcelRef(const v1::ParcelRef& ref, absl::string_view field,
                                          FieldViolations& violations) {
  switch (ref.ref_case()) {
    case v1::ParcelRef::kParcelId: {
      const std::string id_field = absl::StrCat(field, ".parcel_id");
      absl::Status valid = ParseParcelId(ref.parcel_id(), id_field).status();
      violations.Check(id_field, valid);
      if (!valid.ok()) return std::nullopt;
      return ref.parcel_id();
    }
    case v1::ParcelRef::kNumber: {
      ParcelNumberParts parts{ref.number().commune_code(), ref.number().map_sheet(),
                              ref.number().parcel_number()};
      const bool ok = CheckParcelNumber(
          parts, absl::StrCat(field, ".number"),
          [&violations](absl::string_view f, const absl::Status& s) { violations.Check(f, s); });
      if (!ok) return std::nullopt;
      return MakeParcelId(parts);
    }
    case v1::ParcelRef::REF_NOT_SET:
      break;
  }
  violations.Add(field, "is required: parcel_id or number");
  return std::nullopt;
}

// "P<id>" or "E<code>" for a well-formed party, nullopt after recording why
// it is not one.
std::optional<std::string> CheckParty(const v1::Party& party, const std::string& field,
                                      FieldViolations& violations) {
  if (party.has_personal_id()) {
    const std::string f = absl::StrCat(field, ".personal_id");
    absl::Status valid = identifiers::ParsePersonalId(party.personal_id(), f).status();
    violations.Check(f, valid);
    if (valid.ok()) return PartyKey(party);
    return std::nullopt;
  }
  if (party.has_enterprise_code()) {
    const std::string f = absl::StrCat(field, ".enterprise_code");
    absl::Status valid = identifiers::ValidateEnterpriseCode(party.enterprise_code(), f);
    violations.Check(f, valid);
    if (valid.ok()) return PartyKey(party);
    return std::nullopt;
  }
  violations.Add(field, "needs a personal_id or an enterprise_code");
  return std::nullopt;
}

// The keys of the parties of one side; records bad, missing and repeated ones.
std::set<std::string> CheckSide(const google::protobuf::RepeatedPtrField<v1::Party>& side,
                                absl::string_view name, FieldViolations& violations) {
  std::set<std::string> keys;
  if (side.empty()) violations.Add(name, "at least one party is required");
  for (int i = 0; i < side.size(); ++i) {
    const std::string field = absl::StrCat(name, "[", i, "]");
    std::optional<std::string> key = CheckParty(side[i], field, violations);
    if (key.has_value() && !keys.insert(*key).second) violations.Add(field, "is listed twice");
  }
  return keys;
}

absl::Status CheckPurpose(absl::string_view purpose, absl::string_view field) {
  if (FindLandPurpose(purpose) != nullptr) return absl::OkStatus();
  std::vector<absl::string_view> codes;
  for (const LandPurpose& p : AllLandPurposes()) codes.push_back(p.code);
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown land-use purpose \"",
                                                 absl::CHexEscape(purpose), "\" (one of ",
                                                 absl::StrJoin(codes, ", "), ")"));
}

std::set<std::string> KeysOf(const google::protobuf::RepeatedPtrField<v1::Party>& parties) {
  std::set<std::string> keys;
  for (const v1::Party& p : parties) keys.insert(PartyKey(p));
  return keys;
}

}  // namespace

// ---------------------------------------------------------------- GetParcel

absl::StatusOr<v1::GetParcelResponse> LandRegistryService::Get(
    const v1::GetParcelRequest& request) {
  FieldViolations violations;
  std::optional<std::string> parcel_id = CheckParcelRef(request.parcel(), "parcel", violations);
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  v1::GetParcelResponse response;
  NDXP_ASSIGN_OR_RETURN(*response.mutable_parcel(), store_->GetParcel(*parcel_id));
  NDXP_ASSIGN_OR_RETURN(*response.mutable_certificate(),
                        store_->GetCertificateOfParcel(*parcel_id));
  return response;
}

grpc::Status LandRegistryService::GetParcel(grpc::ServerContext* /*context*/,
                                            const v1::GetParcelRequest* request,
                                            v1::GetParcelResponse* response) {
  absl::StatusOr<v1::GetParcelResponse> result = Get(*request);
  if (result.ok()) *response = *std::move(result);
  return ToGrpcStatus(result.status());
}

// ------------------------------------------------------------- GetLandPrice

grpc::Status LandRegistryService::GetLandPrice(grpc::ServerContext* /*context*/,
                                               const v1::GetLandPriceRequest* request,
                                               v1::GetLandPriceResponse* response) {
  FieldViolations violations;
  if (identifiers::FindProvince(request->province_code()) == nullptr) {
    violations.Add("province_code", absl::StrCat("unknown province code \"",
                                                 absl::CHexEscape(request->province_code()),
                                                 "\""));
  }
  violations.Check("purpose", CheckPurpose(request->purpose(), "purpose"));
  if (!violations.empty()) return ToGrpcStatus(violations.ToStatus());
  absl::StatusOr<int64_t> price =
      store_->GetLandPrice(request->province_code(), request->purpose());
  if (price.ok()) response->set_vnd_per_m2(*price);
  return ToGrpcStatus(price.status());
}

// ------------------------------------------------ AssessTransferObligations

absl::StatusOr<v1::AssessTransferObligationsResponse> LandRegistryService::Assess(
    const v1::AssessTransferObligationsRequest& request, absl::string_view request_id) {
  // 1. Every field, every violation.
  FieldViolations violations;
  const bool has_serial = !request.certificate_serial().empty();
  const bool has_parcel = request.has_parcel();
  if (!has_serial && !has_parcel) {
    violations.Add("certificate_serial", "certificate_serial or parcel is required");
  }
  if (has_serial) {
    violations.Check("certificate_serial",
                     ValidateCertificateSerial(request.certificate_serial()));
  }
  std::optional<std::string> parcel_id;
  if (has_parcel) parcel_id = CheckParcelRef(request.parcel(), "parcel", violations);
  const std::set<std::string> transferors =
      CheckSide(request.transferors(), "transferors", violations);
  const std::set<std::string> transferees =
      CheckSide(request.transferees(), "transferees", violations);
  for (int i = 0; i < request.transferees_size(); ++i) {
    if (transferors.count(PartyKey(request.transferees(i))) > 0) {
      violations.Add(absl::StrCat("transferees[", i, "]"), "is also a transferor");
    }
  }
  if (request.declared_price_vnd() < 0) {
    violations.Add("declared_price_vnd", "must not be negative");
  }
  if (!request.new_purpose().empty()) {
    violations.Check("new_purpose", CheckPurpose(request.new_purpose(), "new_purpose"));
  }
  NDXP_RETURN_IF_ERROR(violations.ToStatus());

  // 2. The certificate in force and its parcel.
  v1::AssessTransferObligationsResponse response;
  v1::Certificate& certificate = *response.mutable_certificate();
  if (has_serial) {
    NDXP_ASSIGN_OR_RETURN(certificate, store_->GetCertificate(request.certificate_serial()));
    if (parcel_id.has_value() && *parcel_id != certificate.parcel_id()) {
      return ndxp::connectors::InvalidField(
          "parcel", absl::StrCat("is parcel ", *parcel_id, " but certificate ",
                                 certificate.serial(), " is for parcel ",
                                 certificate.parcel_id()));
    }
  } else {
    NDXP_ASSIGN_OR_RETURN(certificate, store_->GetCertificateOfParcel(*parcel_id));
  }
  NDXP_ASSIGN_OR_RETURN(*response.mutable_parcel(), store_->GetParcel(certificate.parcel_id()));

  // 3. Only the holders can transfer, all of them together.
  if (transferors != KeysOf(certificate.owners())) {
    std::vector<std::string> holders;
    for (const v1::Party& owner : certificate.owners()) {
      holders.push_back(owner.has_enterprise_code() ? owner.enterprise_code()
                                                    : owner.personal_id());
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "transferors: must be exactly the holders of certificate ", certificate.serial(),
        " (", absl::StrJoin(holders, ", "), ")"));
  }

  // 4. Every party as the registries know it, through the hub.
  for (auto [side, name, out] :
       {std::tuple{&request.transferors(), "transferors", response.mutable_transferors()},
        std::tuple{&request.transferees(), "transferees", response.mutable_transferees()}}) {
    for (int i = 0; i < side->size(); ++i) {
      NDXP_ASSIGN_OR_RETURN(std::string registered,
                            parties_->NameOf((*side)[i], absl::StrCat(name, "[", i, "]"),
                                             request_id));
      v1::Party* party = out->Add();
      *party = (*side)[i];
      party->set_name(registered);
    }
  }

  // 5. The amounts.
  const v1::Parcel& parcel = response.parcel();
  TransferPrices prices;
  prices.declared_price_vnd = request.declared_price_vnd();
  NDXP_ASSIGN_OR_RETURN(prices.price_per_m2,
                        store_->GetLandPrice(parcel.province_code(), parcel.purpose()));
  if (!request.new_purpose().empty() && request.new_purpose() != parcel.purpose()) {
    NDXP_ASSIGN_OR_RETURN(prices.new_price_per_m2,
                          store_->GetLandPrice(parcel.province_code(), request.new_purpose()));
  }
  ComputeObligations(prices, response.transferors(), &response);
  return response;
}

grpc::Status LandRegistryService::AssessTransferObligations(
    grpc::ServerContext* context, const v1::AssessTransferObligationsRequest* request,
    v1::AssessTransferObligationsResponse* response) {
  absl::StatusOr<v1::AssessTransferObligationsResponse> result =
      Assess(*request, CallerInfoFromContext(*context).request_id);
  if (result.ok()) *response = *std::move(result);
  return ToGrpcStatus(result.status());
}

}  // namespace ndxp::land
