#include "connectors/land/party_registry.h"

#include "absl/strings/str_cat.h"
#include "connectors/runtime/hub_client.h"
#include "common/status/status_util.h"

namespace ndxp::land {
namespace {

using ndxp::FromGrpcStatus;
using ndxp::connectors::HubCallOptions;
using ndxp::connectors::PrepareHubCall;

// An answer of `agency_method` (e.g. "residents GetCitizen") about the party
// at `field`, as the land connector's caller should see it.
absl::Status DownstreamError(const grpc::Status& status, absl::string_view agency_method,
                             absl::string_view field) {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(
          absl::StrCat(field, ": ", agency_method, ": ", status.error_message()));
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return FromGrpcStatus(status, agency_method);  // retry later
    default:
      // Our request was refused (missing grant, ...): not the caller's fault,
      // and the downstream details are not theirs to see.
      return absl::InternalError(absl::StrCat(agency_method, " failed for ", field, ": ",
                                              status.error_message()));
  }
}

}  // namespace

HubPartyRegistry::HubPartyRegistry(std::shared_ptr<grpc::Channel> hub, absl::Duration timeout)
    : residents_(ndxp::residents::v1::ResidentRegistry::NewStub(hub)),
      business_(ndxp::business::v1::BusinessRegistry::NewStub(hub)),
      timeout_(timeout) {}

void HubPartyRegistry::PrepareLookup(grpc::ClientContext* context,
                                     absl::string_view request_id) const {
  HubCallOptions options;
  options.purpose = kLandTransferPurpose;
  options.request_id = std::string(request_id);
  options.timeout = timeout_;
  PrepareHubCall(context, options);
}

absl::StatusOr<std::string> HubPartyRegistry::NameOf(const v1::Party& party,
                                                     absl::string_view field,
                                                     absl::string_view request_id) const {
  if (party.has_enterprise_code()) {
    return EnterpriseName(party.enterprise_code(), absl::StrCat(field, ".enterprise_code"),
                          request_id);
  }
  return CitizenName(party.personal_id(), absl::StrCat(field, ".personal_id"), request_id);
}

absl::StatusOr<std::string> HubPartyRegistry::CitizenName(const std::string& personal_id,
                                                          absl::string_view field,
                                                          absl::string_view request_id) const {
  grpc::ClientContext context;
  PrepareLookup(&context, request_id);
  ndxp::residents::v1::GetCitizenRequest request;
  request.set_personal_id(personal_id);
  request.mutable_read_mask()->add_paths("full_name");
  request.mutable_read_mask()->add_paths("life_status");
  ndxp::residents::v1::GetCitizenResponse response;
  grpc::Status status = residents_->GetCitizen(&context, request, &response);
  if (!status.ok()) return DownstreamError(status, "residents GetCitizen", field);
  if (response.citizen().life_status() == ndxp::residents::v1::LIFE_STATUS_DECEASED) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": citizen ", personal_id, " is deceased (the estate must be settled first)"));
  }
  return response.citizen().full_name();
}

absl::StatusOr<std::string> HubPartyRegistry::EnterpriseName(
    const std::string& code, absl::string_view field, absl::string_view request_id) const {
  grpc::ClientContext context;
  PrepareLookup(&context, request_id);
  ndxp::business::v1::GetEnterpriseRequest request;
  request.set_enterprise_code(code);
  ndxp::business::v1::GetEnterpriseResponse response;
  grpc::Status status = business_->GetEnterprise(&context, request, &response);
  if (!status.ok()) return DownstreamError(status, "business GetEnterprise", field);
  const auto state = response.enterprise().status();
  if (state == ndxp::business::v1::ENTERPRISE_STATUS_DISSOLVED ||
      state == ndxp::business::v1::ENTERPRISE_STATUS_BANKRUPT) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": enterprise ", code, " is ",
        state == ndxp::business::v1::ENTERPRISE_STATUS_DISSOLVED ? "dissolved" : "bankrupt",
        " and can no longer transfer or acquire land-use rights"));
  }
  return response.enterprise().name();
}

}  // namespace ndxp::land
