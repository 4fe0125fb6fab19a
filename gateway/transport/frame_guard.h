// A caller's frames judged from their 9-byte headers, before nghttp2 reads
// them: FrameSplitter finds the headers in the byte stream, FrameGuard says
// which frames do work for a call and when those that do none are a flood.
//
// Why before nghttp2: nghttp2 1.52 calls no callback at all for some frames
// (unknown types, DATA on a stream it has forgotten, CONTINUATION of a block
// it ignores) yet still spends on them (it HPACK-decodes a HEADERS block on
// a closed stream to keep its table in step), and its own bound on
// CONTINUATION frames is a fatal error that sends no GOAWAY. Seeing each
// header first lets the transport count every frame and end the session
// with a GOAWAY before the frame is read.
//
// Example (the transport, for each read):
//   FrameSplitter splitter(kClientPrefaceBytes);
//   FrameGuard guard(limits);
//   ... the splitter yields `header`, before any of it reaches nghttp2:
//   if (guard.OnFrame(header, StandingOf(header.stream_id), now) != FrameGuard::Verdict::kPass) {
//     nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM);
//   }
//
// Both classes are pure (the time is given), small and not thread-safe: one
// of each per connection, on its loop thread.
#ifndef NDXP_GATEWAY_TRANSPORT_FRAME_GUARD_H_
#define NDXP_GATEWAY_TRANSPORT_FRAME_GUARD_H_

#include <cstddef>
#include <cstdint>

namespace ndxp::gateway::transport {

// The header of one HTTP/2 frame (RFC 9113 section 4.1).
struct FrameHeader {
  uint32_t length = 0;  // of the payload
  uint8_t type = 0;
  uint8_t flags = 0;
  int32_t stream_id = 0;  // the reserved bit cleared
};

// Frame types and flags (RFC 9113 section 6), without nghttp2's header.
namespace frame {
inline constexpr uint8_t kData = 0x0, kHeaders = 0x1, kPriority = 0x2, kRstStream = 0x3,
                         kSettings = 0x4, kPushPromise = 0x5, kPing = 0x6, kGoaway = 0x7,
                         kWindowUpdate = 0x8, kContinuation = 0x9;
inline constexpr uint8_t kEndStream = 0x1, kEndHeaders = 0x4;
}  // namespace frame

// What a client sends before its first frame ("PRI * HTTP/2.0...").
inline constexpr size_t kClientPrefaceBytes = 24;

// Follows a peer's byte stream from frame header to frame header, across
// reads that cut it anywhere: it holds the bytes of a header that a read cut
// (so that the header can be handed on whole) and counts down the rest of
// each frame. It reads no payload.
class FrameSplitter {
 public:
  static constexpr size_t kHeaderBytes = 9;

  // `preface_bytes`: what comes before the first frame header (a server's
  // view of a client: kClientPrefaceBytes).
  explicit FrameSplitter(size_t preface_bytes = 0) : payload_left_(preface_bytes) {}

  // Bytes of the current frame's payload (or of the preface) still to come;
  // while 0, the stream is at a frame header.
  size_t payload_left() const { return payload_left_; }
  // REQUIRES: n <= payload_left().
  void SkipPayload(size_t n) { payload_left_ -= n; }

  // At a header: how many of its bytes came in earlier reads (0 to 8), held
  // here, and how many are still needed.
  size_t header_bytes() const { return header_bytes_; }
  size_t header_bytes_needed() const { return kHeaderBytes - header_bytes_; }
  // REQUIRES: payload_left() == 0 and n < header_bytes_needed(): keeps the
  // start of a header a read cut.
  void HoldHeaderBytes(const uint8_t* data, size_t n);
  // REQUIRES: payload_left() == 0 and `data` holds header_bytes_needed()
  // bytes: the header, whole; payload_left() becomes its length. Its nine
  // bytes stay in header_data() until the next header starts.
  FrameHeader CompleteHeader(const uint8_t* data);
  const uint8_t* header_data() const { return header_; }

 private:
  size_t payload_left_;
  size_t header_bytes_ = 0;
  uint8_t header_[kHeaderBytes] = {};
};

// Counts a caller's frames by whether they do work for a call and says
// when those that do none are a flood: within a window (and the one before
// it), more than
// `useless_frames` plus `useless_per_useful` for each useful frame (a ratio,
// as Envoy limits frames that do no work: a WINDOW_UPDATE or RST_STREAM
// right after a stream closed is a normal race, a stream of them is not).
// Also bounds the CONTINUATION frames of one header block.
//
// Useful: HEADERS opening a new stream, DATA with bytes or END_STREAM on a
// stream the caller may still send on, trailers (HEADERS with END_STREAM) on
// such a stream, RST_STREAM of a stream still open (rapid resets have their
// own bound), and each DATA frame the hub sends the caller (its answers are
// what a WINDOW_UPDATE or a PING for bandwidth estimation follows).
// Useless: unknown types, any frame on a closed or never opened stream
// (HEADERS on a closed stream included: nghttp2 still decodes them), empty
// DATA without END_STREAM (a gRPC client's empty END_STREAM DATA, its
// half-close, is useful), HEADERS without END_STREAM on an open stream,
// PRIORITY, WINDOW_UPDATE, SETTINGS, PING, GOAWAY, PUSH_PROMISE, and a
// CONTINUATION of a useless HEADERS. A CONTINUATION of a useful one is
// neither.
//
// And counts header frames decoded for nothing, which HPACK makes cheap to
// send and dear to read (16 KiB of one-byte references to a 4,000-byte table
// entry decode to 64 MB, about 1 ms of the hub's time): every useless
// HEADERS and the CONTINUATION frames of its block (nghttp2 decodes them to
// keep HPACK in step), and the frame in which a block decodes past the
// header list limit and every CONTINUATION of that block after it
// (OnHeaderBlockOverLimit). Frames, not blocks: a block may have 9 of
// them. More than `wasted_header_frames` in a window (and the one before)
// is a flood: a bare count, since no well-behaved client sends any.
class FrameGuard {
 public:
  struct Limits {
    uint32_t useless_frames = 100;     // in any window, whatever else comes
    uint32_t useless_per_useful = 4;   // more for each useful frame in the window
    double window_seconds = 10;
    // CONTINUATION frames after one HEADERS. nghttp2 1.52 (Debian's
    // backport of the CVE-2024-28182 fix) fails the session on the 9th
    // without a GOAWAY: the guard must stop the 9th first.
    uint32_t max_continuations = 8;
    // HEADERS and CONTINUATION frames decoded for nothing, in any window.
    uint32_t wasted_header_frames = 10;
  };

  // Where the frame's stream stands in the session when its header arrives.
  enum class Stream : uint8_t {
    kNone,      // never opened, or closed (the guard tells them apart by id)
    kOpen,      // the caller may still send on it (open, half-closed local)
    kCallerDone,  // the caller ended its side; the hub's answer goes on
  };
  enum class Use : uint8_t { kUseful, kNeutral, kUseless };
  enum class Verdict : uint8_t {
    kPass,
    kUselessFrames,
    kContinuationFrames,
    kWastedHeaderFrames,
  };

  explicit FrameGuard(Limits limits) : limits_(limits) {}

  // Judges and counts one frame of the caller, at time `now` (seconds).
  Verdict OnFrame(const FrameHeader& header, Stream stream, double now);
  // The hub sent the caller a DATA frame.
  void OnDataSent(double now);
  // A header block of the caller decoded past the header list limit in the
  // frame nghttp2 is decoding (the transport measures it; once per block):
  // that frame is counted, and so is each CONTINUATION of the block after it.
  Verdict OnHeaderBlockOverLimit(double now);

  // What `header` does, given its stream; remembers what later frames are
  // judged by (the highest stream opened, the open header block).
  Use Classify(const FrameHeader& header, Stream stream);

  // What is judged now: the frames of this window and the one before (so
  // that frames late after a burst of calls are weighed against it, not
  // against a new, empty window), and the CONTINUATION frames of the last
  // header block. For logs and tests.
  uint64_t useful() const { return useful_[0] + useful_[1]; }
  uint64_t useless() const { return useless_[0] + useless_[1]; }
  uint32_t continuations() const { return continuations_; }
  uint64_t wasted_header_frames() const { return wasted_frames_[0] + wasted_frames_[1]; }
  const Limits& limits() const { return limits_; }

 private:
  void Roll(double now);

  const Limits limits_;
  double window_start_ = -1;
  uint64_t useful_[2] = {};   // [0] this window, [1] the one before
  uint64_t useless_[2] = {};
  uint64_t wasted_frames_[2] = {};
  int32_t highest_opened_ = 0;  // the highest stream id a HEADERS opened
  bool in_block_ = false;       // HEADERS without END_HEADERS seen, block not ended
  bool block_useless_ = false;
  bool block_over_limit_ = false;  // the open block decoded past the header list limit
  int32_t block_stream_ = 0;
  uint32_t continuations_ = 0;  // of the last block
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_FRAME_GUARD_H_
