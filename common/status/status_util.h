// Small helpers for absl::Status-returning code (hub and connectors): early-return
// macros and the one conversion to grpc::Status at the service edge.
//
// Example:
//   absl::Status Load() {
//     NDXP_RETURN_IF_ERROR(stmt.Bind(1, id));
//     NDXP_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
//     ...
//   }
//   grpc::Status GetCitizen(...) override { return ToGrpcStatus(DoGet(...)); }
#ifndef NDXP_COMMON_STATUS_STATUS_UTIL_H_
#define NDXP_COMMON_STATUS_STATUS_UTIL_H_

#include <string>
#include <utility>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

// Returns `expr` (an absl::Status) from the enclosing function if it is not OK.
#define NDXP_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::absl::Status ndxp_status_ = (expr);           \
    if (!ndxp_status_.ok()) return ndxp_status_;    \
  } while (false)

#define NDXP_STATUS_CONCAT_INNER_(a, b) a##b
#define NDXP_STATUS_CONCAT_(a, b) NDXP_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status if not OK,
// else moves the value into `lhs` (a declaration or an lvalue).
#define NDXP_ASSIGN_OR_RETURN(lhs, rexpr) \
  NDXP_ASSIGN_OR_RETURN_IMPL_(NDXP_STATUS_CONCAT_(ndxp_statusor_, __LINE__), lhs, rexpr)
#define NDXP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) return statusor.status();           \
  lhs = *std::move(statusor)

namespace ndxp {

// The same code and message as a grpc::Status (absl and gRPC share the
// numbering of canonical codes). Every payload of `status` (a
// google.rpc.BadRequest from FieldViolations, ...) becomes a detail of the
// google.rpc.Status sent in the grpc-status-details-bin trailer, its payload
// key as the detail's type URL.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The reverse, for answers of calls to other connectors: code, message
// (prefixed with `context` and ": " when not empty) and details, each detail
// a payload keyed by its type URL.
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view context = "");

}  // namespace ndxp

#endif  // NDXP_COMMON_STATUS_STATUS_UTIL_H_
