#include "gateway/subjects/subject_fields.h"

#include "absl/algorithm/container.h"
#include "ndxp/v1/options.pb.h"

namespace ndxp::gateway::subjects {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Whether a marked field lies under `message`, at any depth; `seen` keeps
// recursive types from being walked twice.
bool ReachesMark(const Descriptor& message, std::vector<const Descriptor*>* seen) {
  if (absl::c_linear_search(*seen, &message)) return false;
  seen->push_back(&message);
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    if (IsDataSubjectField(field)) return true;
    if (field.type() == FieldDescriptor::TYPE_MESSAGE && ReachesMark(*field.message_type(), seen)) {
      return true;
    }
  }
  return false;
}

// Depth-first over `message`'s fields; `path` holds the field numbers and
// `on_path` the message types from the request down to `message`.
void Collect(const Descriptor& message, FieldPath* path,
             std::vector<const Descriptor*>* on_path, SubjectFields* found) {
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    if (IsDataSubjectField(field)) {
      path->push_back(field.number());
      found->paths.push_back(*path);
      path->pop_back();
      continue;
    }
    // TYPE_GROUP is not TYPE_MESSAGE: a group's wire form is not a
    // length-delimited message.
    if (field.type() != FieldDescriptor::TYPE_MESSAGE) continue;
    const Descriptor& type = *field.message_type();
    if (static_cast<int>(path->size()) + 1 >= kMaxSubjectPathDepth ||
        absl::c_linear_search(*on_path, &type)) {
      // Only an incomplete answer if something marked lies below.
      std::vector<const Descriptor*> seen;
      found->incomplete = found->incomplete || ReachesMark(type, &seen);
      continue;
    }
    path->push_back(field.number());
    on_path->push_back(&type);
    Collect(type, path, on_path, found);
    on_path->pop_back();
    path->pop_back();
  }
}

}  // namespace

bool IsDataSubjectField(const FieldDescriptor& field) {
  return field.type() == FieldDescriptor::TYPE_STRING &&
         field.options().GetExtension(ndxp::v1::data_subject);
}

SubjectFields FindSubjectFields(const Descriptor& request) {
  SubjectFields found;
  FieldPath path;
  std::vector<const Descriptor*> on_path = {&request};
  Collect(request, &path, &on_path, &found);
  return found;
}

}  // namespace ndxp::gateway::subjects
