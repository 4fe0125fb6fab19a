// gRPC's "grpc-timeout" header (PROTOCOL-HTTP2: 1-8 digits and a unit),
// read by admission on every call and written on every forwarded one.
#ifndef NDXP_COMMON_PROTOCOL_GRPC_TIMEOUT_H_
#define NDXP_COMMON_PROTOCOL_GRPC_TIMEOUT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ndxp::protocol {

// 1-8 digits and a unit H M S m u n; nullopt if malformed.
std::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value);

// A duration as grpc-timeout, rounded up so the connector never sees a
// longer deadline than the hub enforces.
std::string FormatGrpcTimeout(absl::Duration timeout);

}  // namespace ndxp::protocol

#endif  // NDXP_COMMON_PROTOCOL_GRPC_TIMEOUT_H_
