// Fuzzes what the transport reads of gRPC from the network without parsing
// messages. Input: byte 0 picks the limit and byte 1 the chunk size; the rest
// is fed to a GrpcMessageScanner in chunks (a stream's DATA) and also parsed
// as a grpc-timeout value. The scanner must agree with a whole-input scan
// whatever the chunking, never count a message over the limit, and stay
// failed once failed; a timeout that parses must format back to a value that
// parses to at least the same duration (the connector never gets longer).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/protocol/grpc_timeout.h"
#include "gateway/transport/grpc_wire.h"

using ndxp::gateway::transport::GrpcMessageScanner;
using ndxp::protocol::FormatGrpcTimeout;
using ndxp::protocol::ParseGrpcTimeout;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t limit = 1u << (data[0] % 24);
  const size_t chunk = 1 + data[1] % 64;
  absl::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  GrpcMessageScanner whole(limit), chunked(limit);
  absl::Status whole_status = whole.Feed(bytes);
  absl::Status chunked_status;
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    absl::Status s = chunked.Feed(bytes.substr(at, chunk));
    if (!chunked_status.ok() && s.ok()) std::abort();  // failed stays failed
    chunked_status = s;
  }
  if (whole_status.ok() != chunked_status.ok()) std::abort();
  if (whole_status.ok()) {
    if (whole.messages() != chunked.messages() ||
        whole.payload_bytes() != chunked.payload_bytes() ||
        whole.at_boundary() != chunked.at_boundary()) {
      std::abort();
    }
    if (whole.payload_bytes() > static_cast<int64_t>(limit) * (whole.messages() + 1)) {
      std::abort();
    }
  }

  if (std::optional<absl::Duration> timeout = ParseGrpcTimeout(bytes)) {
    if (*timeout < absl::ZeroDuration()) std::abort();
    std::optional<absl::Duration> again = ParseGrpcTimeout(FormatGrpcTimeout(*timeout));
    if (!again.has_value() || *again < *timeout) std::abort();
  }
  return 0;
}
