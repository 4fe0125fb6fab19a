#include "gateway/transport/frame_guard.h"

#include <cstring>

namespace ndxp::gateway::transport {

void FrameSplitter::HoldHeaderBytes(const uint8_t* data, size_t n) {
  std::memcpy(header_ + header_bytes_, data, n);
  header_bytes_ += n;
}

FrameHeader FrameSplitter::CompleteHeader(const uint8_t* data) {
  std::memcpy(header_ + header_bytes_, data, header_bytes_needed());
  header_bytes_ = 0;
  FrameHeader header;
  header.length = (uint32_t{header_[0]} << 16) | (uint32_t{header_[1]} << 8) | header_[2];
  header.type = header_[3];
  header.flags = header_[4];
  header.stream_id = static_cast<int32_t>(((uint32_t{header_[5]} & 0x7f) << 24) |
                                          (uint32_t{header_[6]} << 16) |
                                          (uint32_t{header_[7]} << 8) | header_[8]);
  payload_left_ = header.length;
  return header;
}

FrameGuard::Use FrameGuard::Classify(const FrameHeader& header, Stream stream) {
  const bool end_stream = (header.flags & frame::kEndStream) != 0;
  if (header.type == frame::kContinuation) {
    // Outside a block, or on another stream: nghttp2 answers PROTOCOL_ERROR.
    if (!in_block_ || header.stream_id != block_stream_) {
      in_block_ = false;
      return Use::kUseless;
    }
    ++continuations_;
    if ((header.flags & frame::kEndHeaders) != 0) in_block_ = false;
    return block_useless_ ? Use::kUseless : Use::kNeutral;
  }
  in_block_ = false;  // a block cut by another frame: nghttp2 answers PROTOCOL_ERROR
  Use use = Use::kUseless;
  switch (header.type) {
    case frame::kData:
      if (stream == Stream::kOpen && (header.length > 0 || end_stream)) use = Use::kUseful;
      break;
    case frame::kHeaders:
      block_over_limit_ = false;
      if (stream == Stream::kNone) {
        // Client streams are odd and each new one is higher than the last;
        // anything else is a stream that has been (or a protocol error).
        if ((header.stream_id & 1) == 1 && header.stream_id > highest_opened_) {
          highest_opened_ = header.stream_id;
          use = Use::kUseful;
        }
      } else if (stream == Stream::kOpen && end_stream) {
        use = Use::kUseful;  // trailers
      }
      if ((header.flags & frame::kEndHeaders) == 0) {
        in_block_ = true;
        block_useless_ = use == Use::kUseless;
        block_stream_ = header.stream_id;
        continuations_ = 0;
      }
      break;
    case frame::kRstStream:
      if (stream != Stream::kNone) use = Use::kUseful;
      break;
    default:  // PRIORITY, SETTINGS, PING, WINDOW_UPDATE, GOAWAY, PUSH_PROMISE, unknown
      break;
  }
  return use;
}

void FrameGuard::Roll(double now) {
  if (window_start_ >= 0 && now - window_start_ < limits_.window_seconds) return;
  if (window_start_ >= 0 && now - window_start_ < 2 * limits_.window_seconds) {
    useful_[1] = useful_[0];
    useless_[1] = useless_[0];
    wasted_frames_[1] = wasted_frames_[0];
    window_start_ += limits_.window_seconds;
  } else {
    useful_[1] = useless_[1] = wasted_frames_[1] = 0;
    window_start_ = now;
  }
  useful_[0] = useless_[0] = wasted_frames_[0] = 0;
}

FrameGuard::Verdict FrameGuard::OnFrame(const FrameHeader& header, Stream stream, double now) {
  Roll(now);
  const bool continued = header.type == frame::kContinuation && in_block_ &&
                         header.stream_id == block_stream_;
  Use use = Classify(header, stream);
  if (continued && continuations_ > limits_.max_continuations) {
    return Verdict::kContinuationFrames;
  }
  // Decoded for nothing: a useless HEADERS and its CONTINUATION frames, and
  // the CONTINUATION frames of a block already past the header list limit.
  const bool wasted = (header.type == frame::kHeaders && use == Use::kUseless) ||
                      (continued && (block_useless_ || block_over_limit_));
  if (wasted) {
    ++wasted_frames_[0];
    if (wasted_header_frames() > limits_.wasted_header_frames) {
      return Verdict::kWastedHeaderFrames;
    }
  }
  if (use == Use::kUseful) ++useful_[0];
  if (use != Use::kUseless) return Verdict::kPass;
  ++useless_[0];
  return useless() > limits_.useless_frames + uint64_t{limits_.useless_per_useful} * useful()
             ? Verdict::kUselessFrames
             : Verdict::kPass;
}

void FrameGuard::OnDataSent(double now) {
  Roll(now);
  ++useful_[0];
}

FrameGuard::Verdict FrameGuard::OnHeaderBlockOverLimit(double now) {
  Roll(now);
  block_over_limit_ = in_block_;  // its CONTINUATION frames to come count too
  ++wasted_frames_[0];
  return wasted_header_frames() > limits_.wasted_header_frames ? Verdict::kWastedHeaderFrames
                                                               : Verdict::kPass;
}

}  // namespace ndxp::gateway::transport
