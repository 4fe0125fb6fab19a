// What the transport reads of gRPC on the wire without parsing messages:
// the 5-byte length prefix of each message (compressed or not, the limit is
// on wire bytes, and on what a compressed request inflates to) and the
// trailers a hub-made answer carries.
#ifndef NDXP_GATEWAY_TRANSPORT_GRPC_WIRE_H_
#define NDXP_GATEWAY_TRANSPORT_GRPC_WIRE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ndxp::gateway::transport {

// Reads the payload of a stream's first message as it passes through a
// GrpcMessageScanner (the data subjects it names: gateway/subjects).
class FirstMessageReader {
 public:
  virtual ~FirstMessageReader() = default;
  // The payload's next bytes: inflated, for a compressed message the
  // scanner meters; only views, valid during the call.
  virtual void OnPayload(absl::string_view bytes) = 0;
  // After the payload's last byte. `readable` is false for a compressed
  // message the scanner does not inflate (an encoding it does not meter, or
  // bytes zlib cannot inflate): its payload was not passed on whole.
  virtual void OnMessageEnd(bool readable) = 0;
};

// Follows the message boundaries of one direction of a gRPC stream, fed the
// DATA bytes in any chunking. Never buffers: it keeps only the position
// within the current prefix or message. Not thread-safe.
class GrpcMessageScanner {
 public:
  explicit GrpcMessageScanner(uint32_t max_message_bytes);
  ~GrpcMessageScanner();
  GrpcMessageScanner(const GrpcMessageScanner&) = delete;
  GrpcMessageScanner& operator=(const GrpcMessageScanner&) = delete;

  // Compressed messages of the stream's grpc-encoding `encoding` ("gzip",
  // "deflate"; others are not inflated) are inflated from now on as they
  // pass, into a scratch buffer that is dropped, and refused once they
  // inflate past the limit: a gRPC server (1.51) checks a message's
  // compressed size, then inflates it whole, so 4 MiB of gzip would cost a
  // connector 4 GiB. Costs a zlib state (~40 KiB) while a compressed
  // message passes, and stops just past the limit.
  void MeterInflatedSize(absl::string_view encoding);

  // Passes the first message's payload to `reader` (not owned; it outlives
  // the scanner or the message's end) as it goes by. Set before the first
  // byte is fed.
  void ReadFirstMessage(FirstMessageReader* reader) { first_reader_ = reader; }

  // RESOURCE_EXHAUSTED as soon as a prefix announces a message longer than
  // the limit (before any of it is buffered), or a metered compressed
  // message inflates past it (before its last byte is through);
  // INVALID_ARGUMENT if the flag byte is neither 0 nor 1. Once non-OK,
  // stays so.
  absl::Status Feed(absl::string_view bytes);

  int64_t messages() const { return messages_; }
  int64_t payload_bytes() const { return payload_bytes_; }  // prefixes excluded
  // True between messages (no prefix or payload half-read).
  bool at_boundary() const { return prefix_read_ == 0 && remaining_ == 0; }

 private:
  class InflatedSize;

  // After a message's last byte: the first one's reader learns it ended.
  void EndMessage();

  const uint32_t max_;
  int inflate_window_bits_ = 0;  // zlib's for the metered encoding; 0: none
  std::unique_ptr<InflatedSize> inflated_;  // while a metered message passes
  FirstMessageReader* first_reader_ = nullptr;  // until the first message ends
  bool first_readable_ = true;  // not compressed, or inflated as it passes
  absl::Status status_;
  unsigned char prefix_[5] = {};
  int prefix_read_ = 0;
  uint64_t remaining_ = 0;  // payload bytes of the current message still due
  int64_t messages_ = 0;
  int64_t payload_bytes_ = 0;
};

// A grpc-message value: printable ASCII except '%' as is, other bytes %XX.
std::string EncodeGrpcMessage(absl::string_view message);

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_GRPC_WIRE_H_
