// Request validation errors in the shape every gRPC client understands:
// INVALID_ARGUMENT carrying a google.rpc.BadRequest with one FieldViolation
// per bad field (docs/design.md "Status codes"). The violations travel as an
// absl::Status payload; ToGrpcStatus (status_util.h) turns every payload into
// a detail of the google.rpc.Status in the grpc-status-details-bin trailer.
//
// Example:
//   FieldViolations violations;
//   violations.Check("personal_id", ValidatePersonalId(request.personal_id()));
//   if (request.full_name().empty()) violations.Add("full_name", "is required");
//   NDXP_RETURN_IF_ERROR(violations.ToStatus());
//
// The status message lists the violations too ("personal_id: must be 12
// digits; full_name: is required"), so a client that ignores details still
// sees which field is wrong.
#ifndef NDXP_CONNECTORS_RUNTIME_FIELD_VIOLATIONS_H_
#define NDXP_CONNECTORS_RUNTIME_FIELD_VIOLATIONS_H_

#include <optional>
#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"

namespace ndxp::connectors {

// The absl::Status payload key of a BadRequest: the type URL it has inside a
// google.protobuf.Any.
inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

// Collects the violations of one request. Not thread-safe (one per request).
class FieldViolations {
 public:
  // Records that `field` (a path such as "citizens[2].personal_id") is wrong.
  void Add(absl::string_view field, absl::string_view description);
  // Records `status`'s message against `field` unless it is OK, without a
  // leading "<field>: " (the identifier validators' messages start so). For
  // the validators, whose messages say what is wrong.
  void Check(absl::string_view field, const absl::Status& status);

  bool empty() const { return bad_request_.field_violations().empty(); }
  const google::rpc::BadRequest& bad_request() const { return bad_request_; }

  // OK when nothing was recorded; INVALID_ARGUMENT "<field>: <description>;
  // ..." with the BadRequest as payload otherwise.
  absl::Status ToStatus() const;

 private:
  google::rpc::BadRequest bad_request_;
};

// INVALID_ARGUMENT for a single bad field, with its BadRequest.
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// The BadRequest carried by `status`, if any.
std::optional<google::rpc::BadRequest> BadRequestOf(const absl::Status& status);
// The BadRequest among the details of a grpc::Status (as a client sees it).
std::optional<google::rpc::BadRequest> BadRequestOf(const grpc::Status& status);

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_FIELD_VIOLATIONS_H_
