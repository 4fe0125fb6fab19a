#include "gateway/json/rest_mapping.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/protocol/percent_encoding.h"
#include "gateway/json/json_text.h"
#include "google/api/http.pb.h"

namespace ndxp::gateway::json {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using google::protobuf::Reflection;

namespace {

// google/api/annotations.proto: extend MethodOptions { HttpRule http = 72295728; }
constexpr int kHttpRuleExtension = 72295728;

// A field path as compiled: each step a field of the message before it.
using FieldPath = std::vector<const FieldDescriptor*>;

std::string PathName(const FieldPath& path) {
  std::vector<absl::string_view> names;
  for (const FieldDescriptor* field : path) names.push_back(field->name());
  return absl::StrJoin(names, ".");
}

// Methods named back in an error; any other text is the caller's.
bool IsHttpMethodName(absl::string_view method) {
  for (absl::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    if (method == known) return true;
  }
  return false;
}

const FieldDescriptor* FindField(const Descriptor& type, absl::string_view name) {
  if (const FieldDescriptor* field = type.FindFieldByName(std::string(name))) return field;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == name) return type.field(i);
  }
  return nullptr;
}

// Messages a query parameter sets from its JSON string form.
bool IsStringFormWellKnown(const Descriptor& type) {
  static const auto* const kNames = new absl::flat_hash_set<std::string>{
      "google.protobuf.FieldMask",   "google.protobuf.Timestamp",   "google.protobuf.Duration",
      "google.protobuf.StringValue", "google.protobuf.BytesValue",  "google.protobuf.Int32Value",
      "google.protobuf.Int64Value",  "google.protobuf.UInt32Value", "google.protobuf.UInt64Value",
      "google.protobuf.FloatValue",  "google.protobuf.DoubleValue", "google.protobuf.BoolValue"};
  return kNames->contains(type.full_name());
}

// "a.b.c" resolved from `type`: every step but the last a singular message.
absl::StatusOr<FieldPath> ResolvePath(const Descriptor& type, absl::string_view dotted) {
  FieldPath path;
  const Descriptor* current = &type;
  std::vector<absl::string_view> names = absl::StrSplit(dotted, '.');
  for (size_t i = 0; i < names.size(); ++i) {
    const FieldDescriptor* field = current == nullptr ? nullptr : FindField(*current, names[i]);
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          IsQuotableName(names[i]) ? absl::StrCat(PathName(path), path.empty() ? "" : ".", names[i])
                                   : std::string("(not a field name)"),
          ": no such field"));
    }
    path.push_back(field);
    if (i + 1 < names.size()) {
      if (field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        return absl::InvalidArgumentError(
            absl::StrCat(PathName(path), ": not a message, cannot name a field inside"));
      }
      current = field->message_type();
    }
  }
  return path;
}

// The message that holds the path's last field, created on the way.
Message* Holder(Message* request, const FieldPath& path) {
  Message* message = request;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    message = message->GetReflection()->MutableMessage(message, path[i]);
  }
  return message;
}

// One scalar (or one element of a repeated scalar) from its text form.
absl::Status SetScalar(Message* message, const FieldDescriptor* field, absl::string_view text,
                       const std::string& name) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", why));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        // JSON's bytes: base64, standard or URL-safe.
        if (!absl::Base64Unescape(text, &value) && !absl::WebSafeBase64Unescape(text, &value)) {
          return invalid("not base64");
        }
      } else {
        if (FirstInvalidUtf8(text) != absl::string_view::npos) return invalid("not UTF-8");
        value = std::string(text);
      }
      repeated ? reflection->AddString(message, field, std::move(value))
               : reflection->SetString(message, field, std::move(value));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value)) return invalid("not a 32-bit integer");
      repeated ? reflection->AddInt32(message, field, value)
               : reflection->SetInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) return invalid("not a 64-bit integer");
      repeated ? reflection->AddInt64(message, field, value)
               : reflection->SetInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (text.empty() || text[0] == '-' || !absl::SimpleAtoi(text, &value)) {
        return invalid("not an unsigned 32-bit integer");
      }
      repeated ? reflection->AddUInt32(message, field, value)
               : reflection->SetUInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (text.empty() || text[0] == '-' || !absl::SimpleAtoi(text, &value)) {
        return invalid("not an unsigned 64-bit integer");
      }
      repeated ? reflection->AddUInt64(message, field, value)
               : reflection->SetUInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double value;
      if (!absl::SimpleAtod(text, &value)) return invalid("not a number");
      repeated ? reflection->AddDouble(message, field, value)
               : reflection->SetDouble(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float value;
      if (!absl::SimpleAtof(text, &value)) return invalid("not a number");
      repeated ? reflection->AddFloat(message, field, value)
               : reflection->SetFloat(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (text == "true") {
        value = true;
      } else if (text == "false") {
        value = false;
      } else {
        return invalid("not true or false");
      }
      repeated ? reflection->AddBool(message, field, value)
               : reflection->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number;
      if (const auto* value = field->enum_type()->FindValueByName(std::string(text))) {
        number = value->number();
      } else if (!absl::SimpleAtoi(text, &number) ||
                 // A proto2 enum is closed: only its values.
                 (field->enum_type()->file()->syntax() !=
                      google::protobuf::FileDescriptor::SYNTAX_PROTO3 &&
                  field->enum_type()->FindValueByNumber(number) == nullptr)) {
        return invalid(absl::StrCat("not a value of ", field->enum_type()->full_name()));
      }
      repeated ? reflection->AddEnumValue(message, field, number)
               : reflection->SetEnumValue(message, field, number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return invalid("a message cannot be set from text");
}

// Refuses a second field of one oneof (reflection would quietly clear the first).
absl::Status CheckOneof(const Message& message, const FieldDescriptor* field,
                        const std::string& name) {
  const google::protobuf::OneofDescriptor* oneof = field->real_containing_oneof();
  if (oneof == nullptr) return absl::OkStatus();
  const FieldDescriptor* set = message.GetReflection()->GetOneofFieldDescriptor(message, oneof);
  if (set != nullptr && set != field) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": oneof ", oneof->name(), " already has ", set->name(), " set"));
  }
  return absl::OkStatus();
}

struct Segment {
  enum Kind { kLiteral, kWildcard, kVariable } kind;
  std::string literal;  // kLiteral
  FieldPath field;      // kVariable
};

// A path segment of the request, percent-decoded; nullopt for one that
// matches nothing ("", ".", "..").
std::optional<std::string> DecodeSegment(absl::string_view raw) {
  if (raw.empty()) return std::nullopt;
  std::string decoded = protocol::PercentDecode(raw);
  if (decoded.empty() || decoded == "." || decoded == "..") return std::nullopt;
  return decoded;
}

// "a+b%20c" as a query name or value: '+' is a space (HTML forms).
std::string DecodeQueryPart(absl::string_view raw) {
  return protocol::PercentDecode(absl::StrReplaceAll(raw, {{"+", " "}}));
}

}  // namespace

std::unique_ptr<google::api::HttpRule> HttpRuleOf(const MethodDescriptor& method) {
  const std::string options = method.options().SerializeAsString();
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(options.data()),
                                               static_cast<int>(options.size()));
  std::unique_ptr<google::api::HttpRule> rule;
  using google::protobuf::internal::WireFormatLite;
  while (uint32_t tag = input.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == kHttpRuleExtension &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      std::string bytes;
      uint32_t length;
      if (!input.ReadVarint32(&length) || !input.ReadString(&bytes, static_cast<int>(length))) {
        return nullptr;
      }
      if (rule == nullptr) rule = std::make_unique<google::api::HttpRule>();
      // A repeated occurrence merges, as the parser of a known extension would.
      if (!rule->MergeFromString(bytes)) return nullptr;
    } else if (!WireFormatLite::SkipField(&input, tag)) {
      return nullptr;
    }
  }
  return rule;
}

struct RestMapping::Rule {
  std::string http_method;  // "GET"
  std::string path_template;
  std::vector<Segment> segments;
  std::string verb;  // after ':', or empty
  const MethodDescriptor* method = nullptr;
  enum class Body { kNone, kWhole, kField } body = Body::kNone;
  const FieldDescriptor* body_field = nullptr;  // Body::kField
  const FieldDescriptor* response_body = nullptr;
  int literal_count = 0;
};

namespace {

absl::Status Unsupported(const MethodDescriptor& method, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(method.full_name(), ": google.api.http: ", what));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestMapping>> RestMapping::Compile(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services,
    const JsonTranscoder* transcoder) {
  std::vector<Rule> rules;
  auto compile = [&](const MethodDescriptor& method,
                     const google::api::HttpRule& http) -> absl::Status {
    Rule rule;
    rule.method = &method;
    switch (http.pattern_case()) {
      case google::api::HttpRule::kGet:
        rule.http_method = "GET", rule.path_template = http.get();
        break;
      case google::api::HttpRule::kPut:
        rule.http_method = "PUT", rule.path_template = http.put();
        break;
      case google::api::HttpRule::kPost:
        rule.http_method = "POST", rule.path_template = http.post();
        break;
      case google::api::HttpRule::kDelete:
        rule.http_method = "DELETE", rule.path_template = http.delete_();
        break;
      case google::api::HttpRule::kPatch:
        rule.http_method = "PATCH", rule.path_template = http.patch();
        break;
      case google::api::HttpRule::kCustom:
        rule.http_method = absl::AsciiStrToUpper(http.custom().kind());
        rule.path_template = http.custom().path();
        break;
      case google::api::HttpRule::PATTERN_NOT_SET:
        return Unsupported(method, "a rule without a pattern");
    }
    if (method.client_streaming()) {
      return Unsupported(method, "a client-streaming method has no REST mapping here");
    }
    absl::string_view path = rule.path_template;
    if (!absl::ConsumePrefix(&path, "/") || path.empty()) {
      return Unsupported(method, absl::StrCat("path ", rule.path_template, " is not /segments"));
    }
    // The verb: a ':' in the last segment, outside a variable's braces.
    size_t last_slash = path.rfind('/');
    size_t last_brace = path.rfind('}');
    size_t colon = path.rfind(':');
    if (colon != absl::string_view::npos &&
        (last_slash == absl::string_view::npos || colon > last_slash) &&
        (last_brace == absl::string_view::npos || colon > last_brace)) {
      rule.verb = std::string(path.substr(colon + 1));
      path = path.substr(0, colon);
      if (rule.verb.empty()) return Unsupported(method, "an empty verb");
    }
    absl::flat_hash_set<std::string> bound;
    for (absl::string_view segment : absl::StrSplit(path, '/')) {
      if (segment.empty()) return Unsupported(method, "an empty path segment");
      if (segment == "*") {
        rule.segments.push_back({Segment::kWildcard, "", {}});
      } else if (segment == "**" || absl::StrContains(segment, "**")) {
        return Unsupported(method, "** (multi-segment) in a path");
      } else if (absl::StartsWith(segment, "{")) {
        if (!absl::EndsWith(segment, "}")) {
          return Unsupported(method, "a variable spanning segments");
        }
        absl::string_view variable = segment.substr(1, segment.size() - 2);
        std::pair<absl::string_view, absl::string_view> name_pattern =
            absl::StrSplit(variable, absl::MaxSplits('=', 1));
        if (!name_pattern.second.empty() && name_pattern.second != "*") {
          return Unsupported(method, absl::StrCat("variable pattern ", name_pattern.second));
        }
        absl::StatusOr<FieldPath> field = ResolvePath(*method.input_type(), name_pattern.first);
        if (!field.ok()) return Unsupported(method, field.status().message());
        const FieldDescriptor* leaf = field->back();
        if (leaf->is_repeated() || leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          return Unsupported(method, absl::StrCat("path variable ", PathName(*field),
                                                  " is not a singular scalar"));
        }
        if (!bound.insert(PathName(*field)).second) {
          return Unsupported(method, absl::StrCat(PathName(*field), " bound twice"));
        }
        rule.segments.push_back({Segment::kVariable, "", *std::move(field)});
      } else if (absl::StrContains(segment, "{") || absl::StrContains(segment, "}")) {
        return Unsupported(method, "a variable inside a literal segment");
      } else {
        rule.segments.push_back({Segment::kLiteral, std::string(segment), {}});
        ++rule.literal_count;
      }
    }
    if (http.body() == "*") {
      rule.body = Rule::Body::kWhole;
    } else if (!http.body().empty()) {
      const FieldDescriptor* field = method.input_type()->FindFieldByName(http.body());
      if (field == nullptr || field->is_repeated() ||
          field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        return Unsupported(method,
                           absl::StrCat("body ", http.body(), " is not a singular message field"));
      }
      if (bound.contains(field->name())) {
        return Unsupported(method, absl::StrCat("body ", http.body(), " is also in the path"));
      }
      rule.body = Rule::Body::kField;
      rule.body_field = field;
    }
    if (!http.response_body().empty()) {
      // The door answers with the whole response message.
      return Unsupported(method, absl::StrCat("response_body ", http.response_body(),
                                              " is not supported (the whole response is the "
                                              "answer)"));
    }
    rules.push_back(std::move(rule));
    return absl::OkStatus();
  };
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor& method = *service->method(i);
      std::unique_ptr<google::api::HttpRule> http = HttpRuleOf(method);
      if (http == nullptr) continue;
      if (absl::Status status = compile(method, *http); !status.ok()) return status;
      for (const google::api::HttpRule& additional : http->additional_bindings()) {
        if (absl::Status status = compile(method, additional); !status.ok()) return status;
      }
    }
  }
  // The most literal segments first: "/v1/a/b" before "/v1/a/{x}".
  std::stable_sort(rules.begin(), rules.end(),
                   [](const Rule& a, const Rule& b) { return a.literal_count > b.literal_count; });
  return std::unique_ptr<RestMapping>(new RestMapping(transcoder, std::move(rules)));
}

RestMapping::RestMapping(const JsonTranscoder* transcoder, std::vector<Rule> rules)
    : transcoder_(transcoder), rules_(std::move(rules)) {}

RestMapping::~RestMapping() = default;

std::vector<std::string> RestMapping::Describe() const {
  std::vector<std::string> lines;
  for (const Rule& rule : rules_) {
    lines.push_back(
        absl::StrCat(rule.http_method, " ", rule.path_template, " ", rule.method->full_name()));
  }
  return lines;
}

absl::StatusOr<RestMapping::Request> RestMapping::Match(absl::string_view http_method,
                                                        absl::string_view path,
                                                        absl::string_view query,
                                                        absl::string_view body) const {
  absl::StatusOr<Found> found = Find(http_method, path);
  if (!found.ok()) return found.status();
  return Build(*found, query, body);
}

absl::StatusOr<RestMapping::Request> RestMapping::Build(const Found& found,
                                                        absl::string_view query,
                                                        absl::string_view body) const {
  return BuildRequest(*static_cast<const Rule*>(found.rule), found.path_values, query, body);
}

absl::StatusOr<RestMapping::Found> RestMapping::Find(absl::string_view http_method,
                                                     absl::string_view path) const {
  const absl::Status not_found = absl::NotFoundError("no REST mapping matches this path");
  if (!absl::ConsumePrefix(&path, "/")) return not_found;
  absl::string_view path_for_other_method;  // a rule's method, when only that differs
  for (const Rule& rule : rules_) {
    absl::string_view rest = path;
    if (!rule.verb.empty() && !absl::ConsumeSuffix(&rest, absl::StrCat(":", rule.verb))) continue;
    std::vector<absl::string_view> raw_segments = absl::StrSplit(rest, '/');
    if (raw_segments.size() != rule.segments.size()) continue;
    std::vector<std::string> values;
    bool matches = true;
    for (size_t i = 0; i < raw_segments.size() && matches; ++i) {
      std::optional<std::string> segment = DecodeSegment(raw_segments[i]);
      const Segment& expected = rule.segments[i];
      if (!segment.has_value()) {
        matches = false;
      } else if (expected.kind == Segment::kLiteral) {
        matches = *segment == expected.literal;
      } else if (expected.kind == Segment::kVariable) {
        values.push_back(*std::move(segment));
      }
    }
    if (!matches) continue;
    if (rule.http_method != http_method) {
      if (path_for_other_method.empty()) path_for_other_method = rule.http_method;
      continue;
    }
    Found found;
    found.method = rule.method;
    found.takes_body = rule.body != Rule::Body::kNone;
    found.path_values = std::move(values);
    found.rule = &rule;
    return found;
  }
  if (!path_for_other_method.empty()) {
    return absl::NotFoundError(
        absl::StrCat("this path is mapped for ", path_for_other_method, ", not ",
                     IsHttpMethodName(http_method) ? http_method : "this method"));
  }
  return not_found;
}

absl::StatusOr<RestMapping::Request> RestMapping::BuildRequest(
    const Rule& rule, absl::Span<const std::string> path_values, absl::string_view query,
    absl::string_view body) const {
  std::unique_ptr<Message> request(factory_.GetPrototype(rule.method->input_type())->New());
  const Reflection* reflection = request->GetReflection();

  switch (rule.body) {
    case Rule::Body::kNone:
      if (!body.empty()) {
        return absl::InvalidArgumentError("this mapping takes no body: send fields in the query");
      }
      break;
    case Rule::Body::kWhole:
      if (!body.empty()) {
        absl::StatusOr<std::string> binary =
            transcoder_->JsonToBinary(*rule.method->input_type(), body);
        if (!binary.ok()) return binary.status();
        if (!request->ParseFromString(*binary)) return absl::InternalError("body did not reparse");
      }
      break;
    case Rule::Body::kField:
      if (!body.empty()) {
        absl::StatusOr<std::string> binary =
            transcoder_->JsonToBinary(*rule.body_field->message_type(), body);
        if (!binary.ok()) {
          return absl::Status(
              binary.status().code(),
              absl::StrCat(rule.body_field->name(), " (the body): ", binary.status().message()));
        }
        if (!reflection->MutableMessage(request.get(), rule.body_field)->ParseFromString(*binary)) {
          return absl::InternalError("body did not reparse");
        }
      }
      break;
  }

  // Path variables after the body: they win over it.
  size_t next_value = 0;
  for (const Segment& segment : rule.segments) {
    if (segment.kind != Segment::kVariable) continue;
    const std::string field_name = PathName(segment.field);
    Message* holder = Holder(request.get(), segment.field);
    const FieldDescriptor* leaf = segment.field.back();
    // The body may have set another field of the variable's oneof: the path's wins.
    if (const auto* oneof = leaf->real_containing_oneof()) {
      holder->GetReflection()->ClearOneof(holder, oneof);
    }
    if (absl::Status status = SetScalar(holder, leaf, path_values[next_value++], field_name);
        !status.ok()) {
      return status;
    }
  }

  absl::flat_hash_set<std::string> path_bound;
  for (const Segment& segment : rule.segments) {
    if (segment.kind == Segment::kVariable) path_bound.insert(PathName(segment.field));
  }

  if (!query.empty()) {
    if (rule.body == Rule::Body::kWhole) {
      return absl::InvalidArgumentError(
          "this mapping takes every field in the body: no query parameters");
    }
    for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> raw =
          absl::StrSplit(pair, absl::MaxSplits('=', 1));
      const std::string name = DecodeQueryPart(raw.first);
      const std::string value = DecodeQueryPart(raw.second);
      absl::StatusOr<FieldPath> field = ResolvePath(*rule.method->input_type(), name);
      if (!field.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("query parameter ", field.status().message()));
      }
      const std::string field_name = PathName(*field);
      if (path_bound.contains(field_name)) {
        return absl::InvalidArgumentError(absl::StrCat(field_name, ": already in the path"));
      }
      if (rule.body_field != nullptr && field->front() == rule.body_field) {
        return absl::InvalidArgumentError(absl::StrCat(field_name, ": already in the body"));
      }
      Message* holder = Holder(request.get(), *field);
      const FieldDescriptor* leaf = field->back();
      if (leaf->is_map()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field_name, ": a map cannot be a query parameter"));
      }
      if (leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (leaf->is_repeated() || !IsStringFormWellKnown(*leaf->message_type())) {
          return absl::InvalidArgumentError(
              absl::StrCat(field_name, ": a message cannot be a query parameter"));
        }
        std::string json;
        AppendJsonString(&json, value);
        absl::StatusOr<std::string> binary = transcoder_->JsonToBinary(*leaf->message_type(), json);
        if (!binary.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(field_name, ": not a valid ", leaf->message_type()->full_name()));
        }
        if (absl::Status status = CheckOneof(*holder, leaf, field_name); !status.ok())
          return status;
        if (!holder->GetReflection()->MutableMessage(holder, leaf)->ParseFromString(*binary)) {
          return absl::InternalError("query parameter did not reparse");
        }
        continue;
      }
      if (absl::Status status = CheckOneof(*holder, leaf, field_name); !status.ok()) return status;
      if (absl::Status status = SetScalar(holder, leaf, value, field_name); !status.ok()) {
        return status;
      }
    }
  }

  Request matched;
  matched.method = rule.method;
  matched.response_body = rule.response_body;
  if (!request->SerializeToString(&matched.binary)) {
    return absl::InternalError("the request did not serialize");
  }
  return matched;
}

}  // namespace ndxp::gateway::json
