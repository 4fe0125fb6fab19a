// The hub's configuration: the text-format file, checked field by field, and
// the descriptors of the services it routes.
#ifndef NDXP_GATEWAY_CONFIG_HUB_CONFIG_H_
#define NDXP_GATEWAY_CONFIG_HUB_CONFIG_H_

#include <memory>
#include <string>

#include <google/protobuf/descriptor.h>

#include "absl/status/statusor.h"
#include "ndxp/config/v1/hub.pb.h"

namespace ndxp::gateway {

inline constexpr uint32_t kDefaultMaxMessageBytes = 4 * 1024 * 1024;
inline constexpr uint32_t kDefaultDeadlineMs = 30000;
inline constexpr uint32_t kDefaultMaxDeadlineMs = 300000;
// Connectors' answers the hub holds for callers that have not read them
// (limits.max_held_bytes_per_connection, limits.max_held_bytes), how long a
// stream may hold some its caller takes none of (limits.stalled_reader_ms),
// (limits.max_calls_per_consumer_route's default is in gateway/policy/quotas.h).
inline constexpr uint32_t kDefaultMaxHeldBytesPerConnection = 1 << 20;
inline constexpr uint64_t kDefaultMaxHeldBytes = uint64_t{256} << 20;
inline constexpr uint32_t kDefaultStalledReaderMs = 30000;
inline constexpr uint32_t kMinHeldBytesPerConnection = 64 * 1024;
inline constexpr uint32_t kMinStalledReaderMs = 100;
// An HTTP/1.1 caller's header and idle timeouts (limits.http1_*_timeout_ms).
inline constexpr uint32_t kDefaultHttp1HeaderTimeoutMs = 10000;
inline constexpr uint32_t kDefaultHttp1IdleTimeoutMs = 60000;
inline constexpr uint32_t kMinHttp1TimeoutMs = 100;
// One connection per connector measured cheapest on two cores (BENCHMARKS.md);
// more help only when one connection's thread becomes the limit.
inline constexpr uint32_t kDefaultUpstreamChannels = 1;

// A validated configuration. Relative paths in the file are resolved against
// the file's directory. Immutable once loaded.
struct HubSettings {
  ndxp::config::v1::HubConfig config;
  // Descriptors of every routed service (and what they import).
  std::unique_ptr<google::protobuf::DescriptorPool> services;
  std::string path;  // the file it came from
};

// Loads and validates `path`. Any problem is INVALID_ARGUMENT
// "path:line: field reason": the hub refuses to start on it.
absl::StatusOr<HubSettings> LoadHubConfig(const std::string& path);

// "pkg.Service" / "pkg.Service/Method": an agency code, optionally followed by
// "/subsystem".
bool IsValidConsumerName(absl::string_view consumer);

// MODE_UNSPECIFIED resolved: DURABLE with a database, OFF without.
ndxp::config::v1::Recording::Mode EffectiveRecordingMode(
    const ndxp::config::v1::Recording& recording);

inline constexpr char kDefaultTimeZone[] = "Asia/Ho_Chi_Minh";

// The replica's name when recording.replica is unset.
inline constexpr char kDefaultReplica[] = "hub-1";

// The header a citizen's subject token comes in (data_subjects.token_header).
inline constexpr char kDefaultSubjectTokenHeader[] = "x-ndxp-subject-token";

// The longest name of an agency in `agencies`, in bytes (UTF-8).
inline constexpr size_t kMaxAgencyNameBytes = 200;

// Whether the host of `listen` ("host:port") is a loopback address
// (127.0.0.0/8, ::1, localhost): reachable from this machine only.
bool IsLoopbackListen(absl::string_view listen);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_CONFIG_HUB_CONFIG_H_
