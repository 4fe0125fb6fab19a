#include "common/config/text_proto.h"

#include <fstream>
#include <sstream>

#include <google/protobuf/io/tokenizer.h>

#include "absl/strings/str_cat.h"

namespace ndxp::config {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

// Keeps the first error the parser reports (later ones are usually echoes).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (message_.empty()) {
      line_ = line + 1;  // the parser counts from 0
      column_ = column + 1;
      message_ = message;
    }
  }
  std::string Describe(const std::string& path) const {
    return absl::StrCat(path, ":", line_, ":", column_, ": ", message_);
  }

 private:
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

}  // namespace

absl::Status TextProtoFile::Load(const std::string& path,
                                 google::protobuf::Message* message) {
  path_ = path;
  root_ = message;
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot open configuration file"));
  }
  std::stringstream text;
  text << in.rdbuf();

  FirstErrorCollector errors;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&locations_);
  if (!parser.ParseFromString(text.str(), message)) {
    return absl::InvalidArgumentError(errors.Describe(path));
  }
  return absl::OkStatus();
}

absl::Status TextProtoFile::ErrorAt(std::initializer_list<FieldStep> steps,
                                    absl::string_view reason) const {
  std::string field_path;
  int line = -1;
  const Descriptor* descriptor = root_ != nullptr ? root_->GetDescriptor() : nullptr;
  // ParseInfoTree has no const accessors; lookups do not modify it.
  auto* tree = const_cast<TextFormat::ParseInfoTree*>(&locations_);
  for (const FieldStep& step : steps) {
    if (!field_path.empty()) absl::StrAppend(&field_path, ".");
    absl::StrAppend(&field_path, step.name);
    if (step.index >= 0) absl::StrAppend(&field_path, "[", step.index, "]");
    const FieldDescriptor* field =
        descriptor == nullptr ? nullptr
                              : descriptor->FindFieldByName(std::string(step.name));
    // A repeated field named without an index has no single location: keep
    // the enclosing field's line (asking protobuf for it would abort).
    if (field == nullptr || tree == nullptr || (field->is_repeated() && step.index < 0)) {
      tree = nullptr;
      continue;
    }
    auto location = tree->GetLocation(field, step.index);
    if (location.line >= 0) line = location.line + 1;
    tree = field->type() == FieldDescriptor::TYPE_MESSAGE
               ? tree->GetTreeForNested(field, step.index)
               : nullptr;
    descriptor = field->message_type();
  }
  if (line < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": ", field_path, " ", reason));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path_, ":", line, ": ", field_path, " ", reason));
}

absl::Status TextProtoFile::Error(absl::string_view reason) const {
  return absl::InvalidArgumentError(absl::StrCat(path_, ": ", reason));
}

}  // namespace ndxp::config
