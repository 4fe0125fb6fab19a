#include "gateway/subjects/subject_extractor.h"

#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace ndxp::gateway::subjects {
namespace {

using google::protobuf::internal::WireFormatLite;

// A varint has at most 10 bytes (CodedInputStream).
constexpr int kMaxVarintBytes = 10;
constexpr uint64_t kMaxLength = std::numeric_limits<int>::max();

// The edge of `field_number` among a node's (a few: a linear search), or
// nullptr; const or not as `edges`.
template <typename Edges>
auto FindEdge(Edges& edges, int field_number) -> decltype(&*edges.begin()) {
  for (auto& edge : edges) {
    if (edge.field_number == field_number) return &edge;
  }
  return nullptr;
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

ExtractStatus SubjectExtractor::Extract(absl::string_view message,
                                        SubjectValues* subjects) const {
  subjects->clear();
  SubjectScan scan(*this, /*copy_values=*/false);
  scan.Feed(message);
  const ExtractStatus status = scan.Finish();
  if (status == ExtractStatus::kMalformed) return status;
  for (size_t i = 0; i < scan.found_count_; ++i) {
    const SubjectScan::Found& found = scan.found_[i];
    subjects->push_back(message.substr(
        found.offset, found.size > kMaxSubjectValueBytes ? 0 : found.size));
  }
  return status;
}

// The rules are CodedInputStream's (and WireFormatLite::SkipField's), but
// stricter where those are more lenient than protobuf's parser: a length is a
// varint of at most 2^31-1 (not its low 32 bits), an end-group's number must
// be the group's, group nesting is bounded.
SubjectScan::SubjectScan(const SubjectExtractor& extractor, bool copy_values)
    : extractor_(extractor),
      copy_values_(copy_values),
      status_(extractor.empty() ? Status::kNoPaths : Status::kReading) {}

uint64_t SubjectScan::LeftInMessage() const {
  return open_messages_ == 0 ? kMaxLength : messages_[open_messages_ - 1].end - position_;
}

void SubjectScan::Feed(absl::string_view chunk) {
  if (status_ != Status::kReading) return;
  // Over 2 GiB: malformed, as CodedInputStream's int sizes make it.
  if (chunk.size() > kMaxLength - position_) return Fail();
  const char* next = chunk.data();
  const char* const end = next + chunk.size();
  while (next < end && status_ == Status::kReading) {
    if (phase_ == Phase::kTag || phase_ == Phase::kVarint || phase_ == Phase::kLength) {
      const uint8_t byte = static_cast<uint8_t>(*next++);
      ++position_;
      varint_ |= uint64_t{byte & 0x7fu} << (7 * varint_bytes_);
      if (++varint_bytes_ == kMaxVarintBytes && (byte & 0x80) != 0) return Fail();
      if ((byte & 0x80) == 0) {
        const uint64_t value = varint_;
        varint_ = 0;
        varint_bytes_ = 0;
        switch (phase_) {
          // A tag's bits past 32 are dropped (CodedInputStream::ReadTag).
          case Phase::kTag: OnTag(static_cast<uint32_t>(value)); break;
          case Phase::kLength: OnLength(value); break;
          default: phase_ = Phase::kTag; break;
        }
      }
    } else {
      // remaining_ never runs past the innermost open message (OnTag,
      // OnLength): that message's end is met at a field's end or not at all.
      const size_t count = static_cast<size_t>(
          std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - next)));
      if (phase_ == Phase::kValue && copy_values_) {
        const Found& found = found_[found_count_ - 1];
        if (found.size <= kMaxSubjectValueBytes) {
          std::copy(next, next + count,
                    values_[found_count_ - 1] + (found.size - remaining_));
        }
      }
      next += count;
      position_ += count;
      remaining_ -= count;
      if (remaining_ == 0) {
        if (phase_ == Phase::kDrain) status_ = Status::kTooManySubjects;
        phase_ = Phase::kTag;
      }
    }
    if (status_ != Status::kReading || phase_ == Phase::kDrain) continue;
    // The nested messages ending here: each must end between two fields.
    while (open_messages_ > 0 && position_ == messages_[open_messages_ - 1].end) {
      if (phase_ != Phase::kTag || varint_bytes_ != 0 || open_groups_ != 0) return Fail();
      --open_messages_;
    }
  }
}

void SubjectScan::OnTag(uint32_t tag) {
  const int field_number = WireFormatLite::GetTagFieldNumber(tag);
  if (field_number == 0) return Fail();  // tag 0 too
  const auto wire_type = WireFormatLite::GetTagWireType(tag);
  // In a group every field is the group's, on no path.
  if (open_groups_ == 0) {
    const int node = open_messages_ == 0 ? 0 : messages_[open_messages_ - 1].node;
    if (const Edge* edge = FindEdge(extractor_.nodes_[node].edges, field_number)) {
      if (wire_type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return Fail();
      pending_edge_ = edge;
      phase_ = Phase::kLength;
      return;
    }
  }
  switch (wire_type) {
    case WireFormatLite::WIRETYPE_VARINT:
      phase_ = Phase::kVarint;
      return;
    case WireFormatLite::WIRETYPE_FIXED64:
    case WireFormatLite::WIRETYPE_FIXED32:
      remaining_ = wire_type == WireFormatLite::WIRETYPE_FIXED64 ? 8 : 4;
      if (remaining_ > LeftInMessage()) return Fail();
      phase_ = Phase::kSkip;
      return;
    case WireFormatLite::WIRETYPE_LENGTH_DELIMITED:
      pending_edge_ = nullptr;
      phase_ = Phase::kLength;
      return;
    case WireFormatLite::WIRETYPE_START_GROUP:
      // protobuf's own parser stops at 100 levels of nesting too.
      if (open_groups_ == kMaxGroupDepth) return Fail();
      group_numbers_[open_groups_++] = field_number;
      return;
    case WireFormatLite::WIRETYPE_END_GROUP:
      if (open_groups_ == 0 || group_numbers_[open_groups_ - 1] != field_number) return Fail();
      --open_groups_;
      return;
    default:  // wire types 6 and 7
      return Fail();
  }
}

void SubjectScan::OnLength(uint64_t length) {
  if (length > kMaxLength || length > LeftInMessage()) return Fail();
  const Edge* const edge = pending_edge_;
  phase_ = length == 0 ? Phase::kTag : Phase::kSkip;
  remaining_ = length;
  if (edge == nullptr) return;
  if (!edge->subject) {
    messages_[open_messages_++] = OpenMessage{edge->child, position_ + length};
    phase_ = Phase::kTag;
    return;
  }
  if (found_count_ == kMaxSubjects) {
    // Extract stops here, once the request has had the bytes of this value
    // and of the messages holding it (their lengths are checked first).
    remaining_ = (open_messages_ == 0 ? position_ + length : messages_[0].end) - position_;
    if (remaining_ == 0) {
      status_ = Status::kTooManySubjects;
    } else {
      phase_ = Phase::kDrain;
    }
    return;
  }
  found_[found_count_++] = Found{static_cast<uint32_t>(position_), static_cast<uint32_t>(length)};
  if (length != 0) phase_ = Phase::kValue;
}

ExtractStatus SubjectScan::Finish() {
  switch (status_) {
    case Status::kMalformed:
      return ExtractStatus::kMalformed;
    case Status::kTooManySubjects:
      return ExtractStatus::kTooManySubjects;
    case Status::kNoPaths:
      return ExtractStatus::kOk;
    case Status::kReading:
      break;
  }
  // Open messages end where a field does (Feed): none may be left open.
  const bool between_fields = phase_ == Phase::kTag && varint_bytes_ == 0;
  if (!between_fields || open_groups_ != 0 || open_messages_ != 0) {
    Fail();
    return ExtractStatus::kMalformed;
  }
  return ExtractStatus::kOk;
}

ExtractStatus SubjectScan::Finish(SubjectIds* subjects) {
  subjects->clear();
  const ExtractStatus status = Finish();
  if (status == ExtractStatus::kMalformed) return status;
  for (size_t i = 0; i < found_count_; ++i) {
    const size_t size = found_[i].size;
    subjects->emplace_back(size > kMaxSubjectValueBytes ? absl::string_view()
                                                        : absl::string_view(values_[i], size));
  }
  return status;
}

}  // namespace ndxp::gateway::subjects
