// Loading configuration files written in protobuf text format, with errors
// that name the file, the line and the reason.
//
// Example:
//   ndxp::config::TextProtoFile file;
//   absl::Status s = file.Load("/etc/ndxp/hub.textproto", &hub_config);
//   ...
//   if (bad) return file.ErrorAt({{"routes", 2}, {"endpoint"}}, "is empty");
//   // -> INVALID_ARGUMENT "/etc/ndxp/hub.textproto:14: routes[2].endpoint is empty"
#ifndef NDXP_COMMON_CONFIG_TEXT_PROTO_H_
#define NDXP_COMMON_CONFIG_TEXT_PROTO_H_

#include <initializer_list>
#include <string>

#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::config {

// One step of a path into a message: a field name and, for repeated fields,
// an index (-1 for singular fields).
struct FieldStep {
  FieldStep(const char* name, int index = -1) : name(name), index(index) {}
  absl::string_view name;
  int index;
};

// A parsed text-format file that remembers where each field was written, so
// later semantic checks can point at the offending line. Not thread-safe.
class TextProtoFile {
 public:
  // Reads and parses `path` into *message. On a syntax error or an unknown
  // field returns INVALID_ARGUMENT "path:line:column: reason".
  absl::Status Load(const std::string& path, google::protobuf::Message* message);

  // INVALID_ARGUMENT "path:line: a.b[i].c <reason>", the line being where the
  // field at `steps` was written (or the nearest enclosing field that was).
  absl::Status ErrorAt(std::initializer_list<FieldStep> steps,
                       absl::string_view reason) const;

  // INVALID_ARGUMENT "path: <reason>" for errors that belong to no one field.
  absl::Status Error(absl::string_view reason) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const google::protobuf::Message* root_ = nullptr;
  google::protobuf::TextFormat::ParseInfoTree locations_;
};

}  // namespace ndxp::config

#endif  // NDXP_COMMON_CONFIG_TEXT_PROTO_H_
