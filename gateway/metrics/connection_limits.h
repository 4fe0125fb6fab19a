// The limits a peer's connection can run into (docs/design.md,
// "Connections"), in one table: the name a log line, the counter and the
// `limit` label of ndxp_connection_limits_total give each, and the
// configuration that sets it.
//
// Example:
//   stats->connection_limits[Index(ConnectionLimit::kUselessFrames)]++;
//   log.warn("... {} ({})", Info(limit).name, Info(limit).setting);
#ifndef NDXP_GATEWAY_METRICS_CONNECTION_LIMITS_H_
#define NDXP_GATEWAY_METRICS_CONNECTION_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <iterator>

#include "absl/strings/string_view.h"

namespace ndxp::gateway {

enum class ConnectionLimit : uint8_t {
  kReadBudget,              // a turn ended: the connection waits for the next one
  kUselessFrames,           // GOAWAY ENHANCE_YOUR_CALM
  kContinuationFrames,      // GOAWAY ENHANCE_YOUR_CALM
  kStreamResets,            // GOAWAY ENHANCE_YOUR_CALM (rapid reset)
  kUnreadAcknowledgements,  // GOAWAY ENHANCE_YOUR_CALM (nghttp2's bound)
  // A stream's, not the connection's: RST_STREAM ENHANCE_YOUR_CALM to the
  // caller, the connector's stream cancelled.
  kUnreadAnswers,   // the caller's connection, or all callers, hold too much unread
  kStalledReader,   // a stream held answer bytes its caller took none of for too long
  kWastedHeaderFrames,      // GOAWAY ENHANCE_YOUR_CALM (HPACK amplification)
};

struct ConnectionLimitInfo {
  ConnectionLimit limit;
  absl::string_view name;     // the metric label and the log's word for it
  absl::string_view setting;  // what configures it
};

// In the enumeration's order.
inline constexpr ConnectionLimitInfo kConnectionLimits[] = {
    {ConnectionLimit::kReadBudget, "read_budget", "limits.turn_bytes, limits.turn_frames"},
    {ConnectionLimit::kUselessFrames, "useless_frames",
     "limits.useless_frames, limits.useless_frames_per_useful"},
    {ConnectionLimit::kContinuationFrames, "continuation_frames",
     "8 per header block, nghttp2's own bound"},
    {ConnectionLimit::kStreamResets, "stream_resets",
     "limits.reset_burst, limits.resets_per_second"},
    {ConnectionLimit::kUnreadAcknowledgements, "unread_acknowledgements",
     "1,000 queued PING and SETTINGS acknowledgements, nghttp2's own bound"},
    {ConnectionLimit::kUnreadAnswers, "unread_answers",
     "limits.max_held_bytes_per_connection, limits.max_held_bytes"},
    {ConnectionLimit::kStalledReader, "stalled_reader", "limits.stalled_reader_ms"},
    {ConnectionLimit::kWastedHeaderFrames, "wasted_header_frames", "limits.wasted_header_frames"},
};
inline constexpr size_t kConnectionLimitCount = std::size(kConnectionLimits);

constexpr size_t Index(ConnectionLimit limit) { return static_cast<size_t>(limit); }
constexpr const ConnectionLimitInfo& Info(ConnectionLimit limit) {
  return kConnectionLimits[Index(limit)];
}

namespace connection_limits_internal {
constexpr bool InOrder() {
  for (size_t i = 0; i < kConnectionLimitCount; ++i) {
    if (Index(kConnectionLimits[i].limit) != i) return false;
  }
  return true;
}
static_assert(InOrder(), "kConnectionLimits lists the limits in their enumeration's order");
}  // namespace connection_limits_internal

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_METRICS_CONNECTION_LIMITS_H_
