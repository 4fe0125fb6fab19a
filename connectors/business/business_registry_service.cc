#include "connectors/business/business_registry_service.h"

#include <algorithm>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/identifiers/enterprise_code.h"
#include "common/identifiers/province.h"
#include "connectors/business/enterprise_name.h"
#include "connectors/runtime/field_violations.h"
#include "common/status/status_util.h"

namespace ndxp::business {

using ndxp::connectors::FieldViolations;
using ndxp::ToGrpcStatus;

absl::StatusOr<v1::Enterprise> BusinessRegistryService::Get(
    const v1::GetEnterpriseRequest& request) {
  FieldViolations violations;
  violations.Check("enterprise_code",
                   identifiers::ParseEnterpriseCode(request.enterprise_code()).status());
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  return store_->GetEnterprise(request.enterprise_code());
}

grpc::Status BusinessRegistryService::GetEnterprise(grpc::ServerContext* /*context*/,
                                                    const v1::GetEnterpriseRequest* request,
                                                    v1::GetEnterpriseResponse* response) {
  absl::StatusOr<v1::Enterprise> enterprise = Get(*request);
  if (enterprise.ok()) *response->mutable_enterprise() = *std::move(enterprise);
  return ToGrpcStatus(enterprise.status());
}

absl::StatusOr<std::vector<v1::EnterpriseSummary>> BusinessRegistryService::Search(
    const v1::SearchEnterprisesRequest& request) {
  FieldViolations violations;
  EnterpriseSearch search;
  search.key_prefix = SearchKey(request.name_prefix());
  const auto letters = std::count_if(search.key_prefix.begin(), search.key_prefix.end(),
                                     [](char c) { return c != ' '; });
  if (request.name_prefix().empty()) {
    violations.Add("name_prefix", "is required");
  } else if (letters < kMinSearchKeyLetters) {
    violations.Add("name_prefix",
                   absl::StrCat("needs at least ", kMinSearchKeyLetters,
                                " letters or digits besides the legal-form words"));
  }
  if (!request.province_code().empty() &&
      identifiers::FindProvince(request.province_code()) == nullptr) {
    violations.Add("province_code", absl::StrCat("unknown province code \"",
                                                 absl::CHexEscape(request.province_code()),
                                                 "\""));
  }
  if (request.max_results() < 0 || request.max_results() > kMaxSearchResults) {
    violations.Add("max_results", absl::StrCat("must be 0 (default ", kDefaultSearchResults,
                                               ") to ", kMaxSearchResults, ", got ",
                                               request.max_results()));
  }
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  search.province_code = request.province_code();
  search.limit = request.max_results() != 0 ? request.max_results() : kDefaultSearchResults;
  return store_->SearchEnterprises(search);
}

grpc::Status BusinessRegistryService::SearchEnterprises(
    grpc::ServerContext* context, const v1::SearchEnterprisesRequest* request,
    grpc::ServerWriter<v1::EnterpriseSummary>* writer) {
  absl::StatusOr<std::vector<v1::EnterpriseSummary>> matches = Search(*request);
  if (!matches.ok()) return ToGrpcStatus(matches.status());
  for (const v1::EnterpriseSummary& match : *matches) {
    if (context->IsCancelled() || !writer->Write(match)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled the search");
    }
  }
  return grpc::Status::OK;
}

}  // namespace ndxp::business
