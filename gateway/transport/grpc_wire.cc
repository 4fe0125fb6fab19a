#include "gateway/transport/grpc_wire.h"

#include <zlib.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/protocol/percent_encoding.h"

namespace ndxp::gateway::transport {

// Inflates a compressed message's bytes as they pass, into a scratch buffer
// whose content is dropped, counting what they inflate to: memory stays a
// zlib state and its 32 KiB window, whatever the message inflates to, and
// the count stops (and the work with it) just past the limit.
class GrpcMessageScanner::InflatedSize {
 public:
  explicit InflatedSize(int window_bits) { ok_ = inflateInit2(&stream_, window_bits) == Z_OK; }
  ~InflatedSize() {
    if (ok_) inflateEnd(&stream_);
  }
  InflatedSize(const InflatedSize&) = delete;
  InflatedSize& operator=(const InflatedSize&) = delete;

  // False once the message inflates to more than `max` bytes. Bytes zlib
  // cannot inflate end the count: the connector cannot inflate them either
  // (it answers its own error), and inflates no more than was counted.
  // `reader`, if set, gets the inflated bytes.
  bool Feed(absl::string_view compressed, uint64_t max, FirstMessageReader* reader) {
    // Shared by the thread's streams: nothing in it is kept.
    thread_local unsigned char scratch[16 * 1024];
    if (!ok_) return true;
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    stream_.avail_in = static_cast<uInt>(compressed.size());
    for (;;) {
      stream_.next_out = scratch;
      stream_.avail_out = sizeof(scratch);
      int result = inflate(&stream_, Z_NO_FLUSH);
      const size_t out = sizeof(scratch) - stream_.avail_out;
      inflated_ += out;
      if (inflated_ > max) return false;
      if (reader != nullptr && out > 0) {
        reader->OnPayload({reinterpret_cast<const char*>(scratch), out});
      }
      if (result == Z_STREAM_END && stream_.avail_in > 0) {
        // Another gzip member follows: counted on top of this one.
        if (inflateReset(&stream_) != Z_OK) return Stop();
        continue;
      }
      if (result == Z_STREAM_END) return true;
      if (result != Z_OK && result != Z_BUF_ERROR) return Stop();
      if (stream_.avail_out != 0) return true;  // all it could take, all it had out
    }
  }

  // False once bytes zlib cannot inflate were met: what it passed on is not
  // the whole payload.
  bool ok() const { return ok_; }

 private:
  bool Stop() {
    inflateEnd(&stream_);
    ok_ = false;
    return true;
  }

  z_stream stream_{};
  bool ok_ = false;
  uint64_t inflated_ = 0;
};

GrpcMessageScanner::GrpcMessageScanner(uint32_t max_message_bytes) : max_(max_message_bytes) {}

GrpcMessageScanner::~GrpcMessageScanner() = default;

void GrpcMessageScanner::MeterInflatedSize(absl::string_view encoding) {
  // gRPC's "deflate" is the zlib format; 16 more bits of window: gzip's.
  if (encoding == "gzip") inflate_window_bits_ = 15 + 16;
  if (encoding == "deflate") inflate_window_bits_ = 15;
}

absl::Status GrpcMessageScanner::Feed(absl::string_view bytes) {
  while (status_.ok() && !bytes.empty()) {
    if (remaining_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
      remaining_ -= n;
      if (inflated_ != nullptr) {
        if (!inflated_->Feed(bytes.substr(0, n), max_, first_reader_)) {
          status_ = absl::ResourceExhaustedError(absl::StrCat(
              "a compressed message inflates to more than the limit of ", max_, " bytes"));
        }
      } else if (first_reader_ != nullptr && first_readable_) {
        first_reader_->OnPayload(bytes.substr(0, n));
      }
      if (remaining_ == 0) EndMessage();
      bytes.remove_prefix(n);
      continue;
    }
    prefix_[prefix_read_++] = static_cast<unsigned char>(bytes[0]);
    bytes.remove_prefix(1);
    if (prefix_read_ < 5) continue;
    prefix_read_ = 0;
    uint32_t length = (uint32_t{prefix_[1]} << 24) | (uint32_t{prefix_[2]} << 16) |
                      (uint32_t{prefix_[3]} << 8) | uint32_t{prefix_[4]};
    if (prefix_[0] > 1) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat("malformed gRPC message: compression flag ", prefix_[0]));
    } else if (length > max_) {
      status_ = absl::ResourceExhaustedError(
          absl::StrCat("message of ", length, " bytes is over the limit of ", max_, " bytes"));
    } else {
      ++messages_;
      payload_bytes_ += length;
      remaining_ = length;
      if (prefix_[0] == 1 && length > 0 && inflate_window_bits_ != 0) {
        inflated_ = std::make_unique<InflatedSize>(inflate_window_bits_);
      }
      // A compressed message the scanner does not inflate cannot be read.
      first_readable_ = prefix_[0] == 0 || inflated_ != nullptr;
      if (length == 0) EndMessage();
    }
  }
  return status_;
}

void GrpcMessageScanner::EndMessage() {
  if (first_reader_ != nullptr) {
    const bool readable = first_readable_ && (inflated_ == nullptr || inflated_->ok());
    std::exchange(first_reader_, nullptr)->OnMessageEnd(readable);
  }
  inflated_.reset();
}

std::string EncodeGrpcMessage(absl::string_view message) { return protocol::PercentEncode(message); }

}  // namespace ndxp::gateway::transport
