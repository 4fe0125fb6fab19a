#include "gateway/subjects/subject_extractor.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstdint>
#include <limits>

namespace ndxp::gateway::subjects {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;

// The edge of `field_number` among a node's (a few: a linear search), or
// nullptr; const or not as `edges`.
template <typename Edges>
auto FindEdge(Edges& edges, int field_number) -> decltype(&*edges.begin()) {
  for (auto& edge : edges) {
    if (edge.field_number == field_number) return &edge;
  }
  return nullptr;
}

// WireFormatLite::SkipField, but stricter where it is more lenient than
// protobuf's parser: a length is a varint of at most 2^31-1 (not its low 32
// bits), an end-group's number must be the group's, group nesting is bounded.
bool SkipField(CodedInputStream* input, uint32_t tag, int group_depth);

bool SkipGroup(CodedInputStream* input, int field_number, int group_depth) {
  if (group_depth > kMaxGroupDepth) return false;
  while (true) {
    const uint32_t tag = input->ReadTag();
    // The message ends (or a bad tag) before the group does.
    if (tag == 0 || WireFormatLite::GetTagFieldNumber(tag) == 0) return false;
    if (WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_END_GROUP) {
      return WireFormatLite::GetTagFieldNumber(tag) == field_number;
    }
    if (!SkipField(input, tag, group_depth)) return false;
  }
}

bool SkipField(CodedInputStream* input, uint32_t tag, int group_depth) {
  switch (WireFormatLite::GetTagWireType(tag)) {
    case WireFormatLite::WIRETYPE_VARINT: {
      uint64_t ignored;
      return input->ReadVarint64(&ignored);
    }
    case WireFormatLite::WIRETYPE_FIXED64:
      return input->Skip(8);
    case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
      int length;
      return input->ReadVarintSizeAsInt(&length) && input->Skip(length);
    }
    case WireFormatLite::WIRETYPE_START_GROUP:
      return SkipGroup(input, WireFormatLite::GetTagFieldNumber(tag), group_depth + 1);
    case WireFormatLite::WIRETYPE_FIXED32:
      return input->Skip(4);
    default:  // an end-group outside its group, wire types 6 and 7
      return false;
  }
}

}  // namespace

SubjectExtractor::SubjectExtractor(absl::Span<const FieldPath> paths) {
  for (const FieldPath& path : paths) AddPath(path);
}

SubjectExtractor SubjectExtractor::ForRequest(const google::protobuf::Descriptor& request) {
  const SubjectFields fields = FindSubjectFields(request);
  SubjectExtractor extractor(fields.paths);
  extractor.incomplete_ = fields.incomplete;
  return extractor;
}

void SubjectExtractor::AddPath(const FieldPath& path) {
  if (path.empty() || static_cast<int>(path.size()) > kMaxSubjectPathDepth) return;
  for (int number : path) {
    if (number < 1 || number > google::protobuf::FieldDescriptor::kMaxNumber) return;
  }
  // A dry walk first: a conflicting path leaves the trie as it was.
  for (int node = nodes_.empty() ? -1 : 0, i = 0; node >= 0 && i < static_cast<int>(path.size());
       ++i) {
    const Edge* edge = FindEdge(nodes_[node].edges, path[i]);
    if (edge == nullptr) break;
    const bool last = i + 1 == static_cast<int>(path.size());
    if (last ? edge->child >= 0 : edge->subject) return;
    node = edge->child;
  }
  if (nodes_.empty()) nodes_.emplace_back();
  int node = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    Edge* edge = FindEdge(nodes_[node].edges, path[i]);
    if (edge == nullptr) edge = &nodes_[node].edges.emplace_back(Edge{path[i], false, -1});
    if (i + 1 == path.size()) {
      edge->subject = true;
      return;
    }
    if (edge->child < 0) {
      edge->child = static_cast<int>(nodes_.size());
      nodes_.emplace_back();  // `edge` is not used after this: it may move
    }
    node = FindEdge(nodes_[node].edges, path[i])->child;
  }
}

// One Extract call: the values found so far.
class SubjectExtractor::Scan {
 public:
  Scan(const std::vector<Node>& nodes, SubjectValues* subjects)
      : nodes_(nodes), subjects_(subjects) {}

  // `message` is one of nodes_[node]'s type. Recursion is as deep as the
  // trie, at most kMaxSubjectPathDepth.
  ExtractStatus Message(absl::string_view message, int node) {
    if (message.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return ExtractStatus::kMalformed;
    }
    CodedInputStream input(reinterpret_cast<const uint8_t*>(message.data()),
                           static_cast<int>(message.size()));
    while (true) {
      const uint32_t tag = input.ReadTag();
      // 0: the end of the message, or a tag that is not one.
      if (tag == 0) {
        return input.ConsumedEntireMessage() ? ExtractStatus::kOk : ExtractStatus::kMalformed;
      }
      const int field_number = WireFormatLite::GetTagFieldNumber(tag);
      if (field_number == 0) return ExtractStatus::kMalformed;
      const Edge* edge = FindEdge(nodes_[node].edges, field_number);
      if (edge == nullptr) {
        if (!SkipField(&input, tag, 0)) return ExtractStatus::kMalformed;
        continue;
      }
      int length;
      if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED ||
          !input.ReadVarintSizeAsInt(&length)) {
        return ExtractStatus::kMalformed;
      }
      const int start = input.CurrentPosition();
      if (!input.Skip(length)) return ExtractStatus::kMalformed;
      const absl::string_view value = message.substr(start, length);
      if (edge->subject) {
        if (subjects_->size() == kMaxSubjects) return ExtractStatus::kTooManySubjects;
        subjects_->push_back(value);
      } else if (ExtractStatus status = Message(value, edge->child);
                 status != ExtractStatus::kOk) {
        return status;
      }
    }
  }

 private:
  const std::vector<Node>& nodes_;
  SubjectValues* const subjects_;
};

ExtractStatus SubjectExtractor::Extract(absl::string_view message,
                                        SubjectValues* subjects) const {
  subjects->clear();
  if (nodes_.empty()) return ExtractStatus::kOk;
  const ExtractStatus status = Scan(nodes_, subjects).Message(message, 0);
  if (status == ExtractStatus::kMalformed) subjects->clear();
  return status;
}

}  // namespace ndxp::gateway::subjects
