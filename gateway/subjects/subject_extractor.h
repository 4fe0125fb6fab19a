// The data subjects' personal ID numbers a request names, read off its
// protobuf wire form along the paths of subject_fields.h: no parse into a
// message, no copy of it, no allocation for up to kMaxSubjects values.
//
// Every occurrence counts: each element of a repeated field, and each
// occurrence of a singular message field (protobuf merges them, and an ID in
// any of them reaches the connector's parser as a field it may read: the
// last one of a singular string wins there, but the hub cannot know which
// parser a connector runs, so it reports them all).
//
// The whole message's wire form is checked (CodedInputStream): a truncated
// field anywhere, a field number 0, an end-group without its start or with
// another number, a varint longer than 10 bytes, a length beyond the message
// or 2 GiB, wire types 6 and 7 are malformed, and so are the messages looked
// into. Unknown fields of every wire type are skipped, groups with their
// nested groups (up to kMaxGroupDepth). A field on a path with another wire
// type than length-delimited (a string, or a message to look into) is
// malformed too: protobuf would keep it as an unknown field, but a request
// that sends it is not one to serve without knowing whom it is about.
//
// One machine reads the wire form: SubjectScan, fed a message's bytes in any
// chunking (HTTP/2 DATA frames, gzip inflated piecewise) with bounded state,
// so the hub never holds a request to read its subjects. Extract is that
// machine fed the whole message at once.
#ifndef NDXP_GATEWAY_SUBJECTS_SUBJECT_EXTRACTOR_H_
#define NDXP_GATEWAY_SUBJECTS_SUBJECT_EXTRACTOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/subjects/subject_fields.h"

namespace ndxp::gateway::subjects {

// More subjects than this in one request: kTooManySubjects.
inline constexpr size_t kMaxSubjects = 16;
// Groups nested deeper in unknown fields: malformed (protobuf's own parser
// stops at 100 levels of nesting too).
inline constexpr int kMaxGroupDepth = 100;

// The longest value read as a subject. A longer one is reported as an empty
// value (a view of none of its bytes, or ""), still counted toward
// kMaxSubjects: NormalizePersonalId rejects "", so a request padding an ID
// (whitespace is allowed in one) past this reads as naming an invalid ID, to
// refuse, never as naming nobody; and a scan never holds more than this of it.
inline constexpr size_t kMaxSubjectValueBytes = 64;

// Views into the scanned message: valid while its bytes are.
using SubjectValues = absl::InlinedVector<absl::string_view, kMaxSubjects>;
// Copies, for a message read in chunks (SubjectScan): each at most
// kMaxSubjectValueBytes, so short IDs stay in their strings' inline buffers.
using SubjectIds = absl::InlinedVector<std::string, 4>;

enum class ExtractStatus {
  kOk,
  // Not a well-formed message: no subjects are reported.
  kMalformed,
  // More than kMaxSubjects values: the first kMaxSubjects found are reported,
  // the rest of the message is not read.
  kTooManySubjects,
};

class SubjectExtractor {
 public:
  // Paths longer than kMaxSubjectPathDepth, empty ones, those with a field
  // number outside 1..2^29-1, and a path through a field another path ends on
  // (or ending on one another path goes through) are left out.
  explicit SubjectExtractor(absl::Span<const FieldPath> paths);
  // The marked fields of `request` (FindSubjectFields).
  static SubjectExtractor ForRequest(const google::protobuf::Descriptor& request);

  // Built by ForRequest for a request with marked fields beyond its paths
  // (SubjectFields::incomplete): Extract may miss subjects, so a method
  // like that should be refused rather than served.
  bool incomplete() const { return incomplete_; }

  // No path: every message has no subject (and is not read).
  bool empty() const { return nodes_.empty(); }

  // Clears `subjects` and fills it with the values found, in wire order
  // (SubjectScan fed `message` whole; an empty view at a value too long).
  // Thread-safe (const, no state of its own).
  ExtractStatus Extract(absl::string_view message, SubjectValues* subjects) const;

 private:
  friend class SubjectScan;

  // One field of a message on a path: a marked string, or a message field
  // to look into (nodes_[child]).
  struct Edge {
    int field_number = 0;
    bool subject = false;
    int child = -1;
  };
  // A message on a path. nodes_[0] is the request; paths sharing a prefix
  // share its nodes (a trie over field numbers).
  struct Node {
    absl::InlinedVector<Edge, 4> edges;
  };
  void AddPath(const FieldPath& path);

  std::vector<Node> nodes_;
  bool incomplete_ = false;
};

// One message's scan, fed its bytes in any chunking: the same subjects and
// status whatever the chunks. State is bounded (about 1.7 KiB, no
// allocation): the open messages on a path (at most kMaxSubjectPathDepth),
// the open unknown groups' numbers (at most kMaxGroupDepth), a partial varint,
// and the values found, each cut off at kMaxSubjectValueBytes.
// Once the status is known (malformed, too many subjects) Feed is a no-op;
// so it is when the extractor is empty.
class SubjectScan {
 public:
  // `extractor` outlives the scan.
  explicit SubjectScan(const SubjectExtractor& extractor) : SubjectScan(extractor, true) {}

  void Feed(absl::string_view chunk);
  // After the message's last byte, once: clears `subjects` and fills it as
  // Extract does. A message that ends mid-field, in a group or in a nested
  // message still open is kMalformed; so is one of more than 2 GiB (unless
  // kTooManySubjects was known before).
  ExtractStatus Finish(SubjectIds* subjects);

 private:
  friend class SubjectExtractor;
  using Edge = SubjectExtractor::Edge;

  // What the bytes being read are.
  enum class Phase : uint8_t {
    kTag,      // a field's tag (or between fields)
    kVarint,   // a varint field's value, skipped
    kLength,   // a length-delimited field's length (pending_edge_: which)
    kSkip,     // bytes of a field not on a path
    kValue,    // a marked string's bytes
    kDrain,    // bytes up to the end of the outermost open message on a path,
               // after a subject past kMaxSubjects (Extract read them whole)
  };
  // A message on a path being read, not the request: its trie node, and the
  // position of its end (a nested length never runs past its parent's).
  struct OpenMessage {
    int node;
    uint64_t end;
  };
  // A subject found: where its value starts in the message, its length.
  struct Found {
    uint32_t offset;
    uint32_t size;
  };

  // `copy_values`: keep the values' bytes (Extract reports views instead).
  SubjectScan(const SubjectExtractor& extractor, bool copy_values);

  ExtractStatus Finish();
  void OnTag(uint32_t tag);
  void OnLength(uint64_t length);
  void Fail() { status_ = Status::kMalformed; }
  // Bytes left in the innermost open message on a path (the request's end
  // is not known).
  uint64_t LeftInMessage() const;

  // kNoPaths: the extractor is empty, no byte is looked at.
  enum class Status : uint8_t { kReading, kNoPaths, kMalformed, kTooManySubjects };

  const SubjectExtractor& extractor_;
  const bool copy_values_;
  Status status_;
  Phase phase_ = Phase::kTag;
  // The varint being read: bytes so far and their value.
  int varint_bytes_ = 0;
  uint64_t varint_ = 0;
  // Bytes of the message read.
  uint64_t position_ = 0;
  // Bytes left of a kSkip, kValue or kDrain.
  uint64_t remaining_ = 0;
  const Edge* pending_edge_ = nullptr;
  int open_messages_ = 0;
  int open_groups_ = 0;
  size_t found_count_ = 0;
  // Filled up to the counts above only: not initialized.
  OpenMessage messages_[kMaxSubjectPathDepth];
  int group_numbers_[kMaxGroupDepth];
  Found found_[kMaxSubjects];
  char values_[kMaxSubjects][kMaxSubjectValueBytes];
};

}  // namespace ndxp::gateway::subjects

#endif  // NDXP_GATEWAY_SUBJECTS_SUBJECT_EXTRACTOR_H_
