// Where a request names its data subjects: the paths, from a method's request
// message, to the string fields marked [(ndxp.v1.data_subject) = true]
// (proto/ndxp/v1/options.proto).
//
// The descriptor comes from the pool the hub builds at run time from
// services.binpb. Its FieldOptions are parsed with the extensions linked into
// the binary: this library links the generated options.pb, so the mark is a
// known extension (GetExtension), not an unknown field of FieldOptions.
#ifndef NDXP_GATEWAY_SUBJECTS_SUBJECT_FIELDS_H_
#define NDXP_GATEWAY_SUBJECTS_SUBJECT_FIELDS_H_

#include <vector>

#include <google/protobuf/descriptor.h>

namespace ndxp::gateway::subjects {

// Field numbers from the request message down to a marked string field, e.g.
// {3, 1}: AssessTransferObligationsRequest.transferors (3) -> Party.personal_id (1).
// Every field on the way is a message field, singular or repeated (a map's
// values too); the last is a string field, singular or repeated.
using FieldPath = std::vector<int>;

// The longest path followed: message fields nested deeper are not looked into.
inline constexpr int kMaxSubjectPathDepth = 8;

struct SubjectFields {
  // Depth-first, in field declaration order.
  std::vector<FieldPath> paths;
  // Some message field was not looked into, its type being one already on
  // the way (a recursive message) or the path too deep: marked fields under
  // it are not in `paths`.
  bool incomplete = false;
};

// Whether `field` carries [(ndxp.v1.data_subject) = true]; only a string
// field's mark counts (another type holds no personal ID number).
bool IsDataSubjectField(const google::protobuf::FieldDescriptor& field);

// The marked fields under `request`. Groups (proto2) and extensions are not
// looked into.
SubjectFields FindSubjectFields(const google::protobuf::Descriptor& request);

}  // namespace ndxp::gateway::subjects

#endif  // NDXP_GATEWAY_SUBJECTS_SUBJECT_FIELDS_H_
