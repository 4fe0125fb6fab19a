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
#ifndef NDXP_GATEWAY_SUBJECTS_SUBJECT_EXTRACTOR_H_
#define NDXP_GATEWAY_SUBJECTS_SUBJECT_EXTRACTOR_H_

#include <cstddef>
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

// Views into the scanned message: valid while its bytes are.
using SubjectValues = absl::InlinedVector<absl::string_view, kMaxSubjects>;

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

  // Clears `subjects` and fills it with the values found, in wire order.
  // Thread-safe (const, no state of its own).
  ExtractStatus Extract(absl::string_view message, SubjectValues* subjects) const;

 private:
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
  class Scan;

  void AddPath(const FieldPath& path);

  std::vector<Node> nodes_;
  bool incomplete_ = false;
};

}  // namespace ndxp::gateway::subjects

#endif  // NDXP_GATEWAY_SUBJECTS_SUBJECT_EXTRACTOR_H_
