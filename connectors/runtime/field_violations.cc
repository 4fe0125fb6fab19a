#include "connectors/runtime/field_violations.h"

#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/rpc/status.pb.h"

namespace ndxp::connectors {

void FieldViolations::Add(absl::string_view field, absl::string_view description) {
  google::rpc::BadRequest::FieldViolation* violation = bad_request_.add_field_violations();
  violation->set_field(std::string(field));
  violation->set_description(std::string(description));
}

void FieldViolations::Check(absl::string_view field, const absl::Status& status) {
  if (status.ok()) return;
  absl::string_view reason = status.message();
  absl::ConsumePrefix(&reason, absl::StrCat(field, ": "));  // the violation names it
  Add(field, reason);
}

absl::Status FieldViolations::ToStatus() const {
  if (empty()) return absl::OkStatus();
  std::string message;
  for (const auto& violation : bad_request_.field_violations()) {
    absl::StrAppend(&message, message.empty() ? "" : "; ", violation.field(), ": ",
                    violation.description());
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(bad_request_.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  FieldViolations violations;
  violations.Add(field, description);
  return violations.ToStatus();
}

std::optional<google::rpc::BadRequest> BadRequestOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) return std::nullopt;
  return bad_request;
}

std::optional<google::rpc::BadRequest> BadRequestOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return std::nullopt;
  }
  for (const auto& detail : details.details()) {
    google::rpc::BadRequest bad_request;
    if (detail.type_url() == kBadRequestTypeUrl && bad_request.ParseFromString(detail.value())) {
      return bad_request;
    }
  }
  return std::nullopt;
}

}  // namespace ndxp::connectors
