#include "gateway/json/openapi.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gateway/json/json_text.h"
#include "gateway/json/rest_mapping.h"
#include "google/api/http.pb.h"

namespace ndxp::gateway::json {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

// A JSON value whose objects keep their keys sorted (std::map), so that the
// text written is the same for the same input.
class Json {
 public:
  using Object = std::map<std::string, Json>;
  using Array = std::vector<Json>;

  Json() : value_(Object()) {}
  Json(const char* text) : value_(std::string(text)) {}     // NOLINT: implicit by design
  Json(std::string text) : value_(std::move(text)) {}       // NOLINT
  Json(bool flag) : value_(flag) {}                         // NOLINT
  Json(int number) : value_(static_cast<int64_t>(number)) {}  // NOLINT
  Json(int64_t number) : value_(number) {}                  // NOLINT
  Json(Array items) : value_(std::move(items)) {}           // NOLINT
  Json(Object members) : value_(std::move(members)) {}      // NOLINT

  static Json ArrayOf(std::initializer_list<Json> items) { return Json(Array(items)); }

  // The member `key` of an object (added, null-free: an empty object).
  Json& operator[](const std::string& key) { return std::get<Object>(value_)[key]; }
  bool Has(const std::string& key) const {
    const Object* members = std::get_if<Object>(&value_);
    return members != nullptr && members->count(key) > 0;
  }
  void Push(Json item) { std::get<Array>(value_).push_back(std::move(item)); }

  void Write(std::string* out, int depth) const {
    const std::string indent(2 * (depth + 1), ' ');
    if (const auto* text = std::get_if<std::string>(&value_)) {
      AppendJsonString(out, *text);
    } else if (const bool* flag = std::get_if<bool>(&value_)) {
      out->append(*flag ? "true" : "false");
    } else if (const int64_t* number = std::get_if<int64_t>(&value_)) {
      absl::StrAppend(out, *number);
    } else if (const Array* items = std::get_if<Array>(&value_)) {
      if (items->empty()) {
        out->append("[]");
        return;
      }
      out->append("[");
      for (size_t i = 0; i < items->size(); ++i) {
        absl::StrAppend(out, i == 0 ? "\n" : ",\n", indent);
        (*items)[i].Write(out, depth + 1);
      }
      absl::StrAppend(out, "\n", indent.substr(2), "]");
    } else {
      const Object& members = std::get<Object>(value_);
      if (members.empty()) {
        out->append("{}");
        return;
      }
      out->append("{");
      bool first = true;
      for (const auto& [key, member] : members) {
        absl::StrAppend(out, first ? "\n" : ",\n", indent);
        first = false;
        AppendJsonString(out, key);
        out->append(": ");
        member.Write(out, depth + 1);
      }
      absl::StrAppend(out, "\n", indent.substr(2), "}");
    }
  }

 private:
  std::variant<std::string, bool, int64_t, Array, Object> value_;
};

constexpr char kSchemas[] = "#/components/schemas/";
constexpr char kErrorSchema[] = "connect.Error";
constexpr char kErrorResponse[] = "connect.Error";

Json Ref(absl::string_view target) { return Json::Object{{"$ref", std::string(target)}}; }

Json SchemaRef(absl::string_view full_name) { return Ref(absl::StrCat(kSchemas, full_name)); }

// The comment before a declaration in its .proto (the descriptor set keeps
// source info), one space of indent taken off each line; "" when none.
template <typename DescriptorT>
std::string CommentOf(const DescriptorT& descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return "";
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(location.leading_comments, '\n')) {
    absl::ConsumePrefix(&line, " ");
    lines.push_back(std::string(absl::StripTrailingAsciiWhitespace(line)));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return absl::StrJoin(lines, "\n");
}

// The well-known types protobuf's JSON mapping writes as something other
// than an object of their fields, by full name.
Json WellKnownSchema(absl::string_view name, bool* found) {
  *found = true;
  auto scalar = [](const char* type, const char* format) {
    Json schema = Json::Object{{"type", type}};
    if (format != nullptr) schema["format"] = format;
    return schema;
  };
  if (name == "google.protobuf.Timestamp") {
    Json schema = scalar("string", "date-time");
    schema["description"] = "RFC 3339 in UTC, \"2026-01-15T01:30:15.01Z\".";
    return schema;
  }
  // Duration and FieldMask by formats of their own: JSON Schema's
  // "duration" is ISO 8601's ("PT1.5S"), not protobuf's "1.5s".
  if (name == "google.protobuf.Duration") {
    Json schema = scalar("string", "google-duration");
    schema["pattern"] = "^-?[0-9]+(\\.[0-9]{1,9})?s$";
    schema["description"] = "Seconds with up to nine fractional digits and the suffix \"s\", "
                            "\"1.5s\".";
    return schema;
  }
  if (name == "google.protobuf.FieldMask") {
    Json schema = scalar("string", "google-fieldmask");
    schema["description"] = "Field paths (lowerCamelCase, dotted) separated by commas, "
                            "\"fullName,dateOfBirth\".";
    return schema;
  }
  if (name == "google.protobuf.Struct") {
    Json schema = scalar("object", nullptr);
    schema["description"] = "Any JSON object.";
    return schema;
  }
  if (name == "google.protobuf.Value") {
    return Json::Object{{"description", "Any JSON value."}};
  }
  if (name == "google.protobuf.ListValue") {
    Json schema = scalar("array", nullptr);
    schema["items"] = Json::Object{};
    schema["description"] = "Any JSON array.";
    return schema;
  }
  if (name == "google.protobuf.Any") {
    Json schema = scalar("object", nullptr);
    schema["properties"]["@type"] = scalar("string", nullptr);
    schema["required"] = Json::ArrayOf({"@type"});
    schema["description"] = "A message of the type \"@type\" names "
                            "(\"type.googleapis.com/<full name>\"), with its fields, or its "
                            "JSON form under \"value\" for a well-known type.";
    return schema;
  }
  static const auto* kWrappers = new std::map<absl::string_view, std::pair<const char*,
                                                                           const char*>>{
      {"google.protobuf.DoubleValue", {"number", "double"}},
      {"google.protobuf.FloatValue", {"number", "float"}},
      {"google.protobuf.Int64Value", {"string", "int64"}},
      {"google.protobuf.UInt64Value", {"string", "uint64"}},
      {"google.protobuf.Int32Value", {"integer", "int32"}},
      {"google.protobuf.UInt32Value", {"integer", "uint32"}},
      {"google.protobuf.BoolValue", {"boolean", nullptr}},
      {"google.protobuf.StringValue", {"string", nullptr}},
      {"google.protobuf.BytesValue", {"string", "byte"}},
  };
  auto wrapper = kWrappers->find(name);
  if (wrapper != kWrappers->end()) {
    Json schema = scalar(wrapper->second.first, wrapper->second.second);
    if (name == "google.protobuf.BytesValue") schema["contentEncoding"] = "base64";
    return schema;
  }
  *found = false;
  return Json();
}

// Whether a message type reads as one query parameter (its JSON is a string
// or a scalar).
bool IsScalarLike(const Descriptor& type) {
  static const auto* kNames = new std::set<absl::string_view>{
      "google.protobuf.Timestamp",   "google.protobuf.Duration",   "google.protobuf.FieldMask",
      "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
      "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
      "google.protobuf.BoolValue",   "google.protobuf.StringValue", "google.protobuf.BytesValue"};
  return kNames->count(type.full_name()) > 0;
}

// The schema of one value of a scalar field type (not message or enum).
Json ScalarSchema(FieldDescriptor::Type type) {
  switch (type) {
    case FieldDescriptor::TYPE_DOUBLE:
      return Json::Object{{"type", "number"}, {"format", "double"}};
    case FieldDescriptor::TYPE_FLOAT:
      return Json::Object{{"type", "number"}, {"format", "float"}};
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      return Json::Object{{"type", "integer"}, {"format", "int32"}};
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return Json::Object{{"type", "integer"},
                          {"format", "uint32"},
                          {"minimum", 0},
                          {"maximum", int64_t{4294967295}}};
    // 64-bit integers are strings in protobuf's JSON (a JavaScript number
    // holds 53 bits); readers accept a number too.
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
      return Json::Object{{"type", "string"}, {"format", "int64"}, {"pattern", "^-?[0-9]+$"}};
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      return Json::Object{{"type", "string"}, {"format", "uint64"}, {"pattern", "^[0-9]+$"}};
    case FieldDescriptor::TYPE_BOOL:
      return Json::Object{{"type", "boolean"}};
    case FieldDescriptor::TYPE_BYTES:
      return Json::Object{{"type", "string"}, {"format", "byte"}, {"contentEncoding", "base64"}};
    default:
      return Json::Object{{"type", "string"}};
  }
}

class DocumentBuilder {
 public:
  std::string Build(std::vector<OpenApiService> services, const OpenApiInfo& info);

 private:
  // {"$ref": ...} to the type's schema, added to components/schemas once.
  Json MessageSchema(const Descriptor& type);
  Json EnumSchema(const EnumDescriptor& type);
  // One value of the field (its type, not its repetition).
  Json ValueSchema(const FieldDescriptor& field);
  // The field as a property: arrays and maps included.
  Json FieldSchema(const FieldDescriptor& field);

  void AddConnect(const OpenApiService& service, const MethodDescriptor& method, bool personal);
  void AddRest(const OpenApiService& service, const MethodDescriptor& method, bool personal);
  void AddRestBinding(const OpenApiService& service, const MethodDescriptor& method,
                      bool personal, const google::api::HttpRule& rule, int binding);
  // Query parameters for the fields of `type` under `prefix` (JSON names),
  // leaving out `excluded` (dotted proto paths) and what is under them.
  void AddQueryParameters(const Descriptor& type, const std::string& json_prefix,
                          const std::string& proto_prefix,
                          const std::set<std::string>& excluded,
                          std::vector<const Descriptor*>* stack,
                          std::map<std::string, Json>* parameters);
  // What every operation of `method` has; `parameters` first, then the
  // purpose header when the method carries personal data.
  Json Operation(const OpenApiService& service, const MethodDescriptor& method, bool personal,
                 absl::string_view door, Json::Array parameters);

  Json schemas_;
  Json paths_;
};

Json DocumentBuilder::EnumSchema(const EnumDescriptor& type) {
  const std::string& name = type.full_name();
  if (!schemas_.Has(name)) {
    Json schema;
    if (name == "google.protobuf.NullValue") {
      schema["type"] = "null";
    } else {
      Json::Array values;
      for (int i = 0; i < type.value_count(); ++i) values.push_back(type.value(i)->name());
      schema["type"] = "string";
      schema["enum"] = Json(std::move(values));
      std::string comment = CommentOf(type);
      std::string note = "By value name (readers also accept the number).";
      schema["description"] = comment.empty() ? note : absl::StrCat(comment, "\n\n", note);
    }
    schemas_[name] = std::move(schema);
  }
  return SchemaRef(name);
}

Json DocumentBuilder::MessageSchema(const Descriptor& type) {
  const std::string& name = type.full_name();
  if (schemas_.Has(name)) return SchemaRef(name);
  bool well_known = false;
  Json special = WellKnownSchema(name, &well_known);
  if (well_known) {
    schemas_[name] = std::move(special);
    return SchemaRef(name);
  }
  schemas_[name] = Json();  // placeholder first: a recursive type refers to itself
  Json schema;
  schema["type"] = "object";
  std::string comment = CommentOf(type);
  if (!comment.empty()) schema["description"] = comment;
  Json properties;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    Json property = FieldSchema(field);
    std::vector<std::string> notes;
    std::string field_comment = CommentOf(field);
    if (!field_comment.empty()) notes.push_back(field_comment);
    if (const auto* oneof = field.real_containing_oneof()) {
      std::vector<std::string> members;
      for (int k = 0; k < oneof->field_count(); ++k) {
        members.push_back(oneof->field(k)->json_name());
      }
      notes.push_back(absl::StrCat("One of oneof \"", oneof->name(), "\": set at most one of ",
                                   absl::StrJoin(members, ", "), "."));
    }
    if (!notes.empty()) property["description"] = absl::StrJoin(notes, "\n\n");
    properties[field.json_name()] = std::move(property);
  }
  schema["properties"] = std::move(properties);
  schemas_[name] = std::move(schema);
  return SchemaRef(name);
}

Json DocumentBuilder::ValueSchema(const FieldDescriptor& field) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      return MessageSchema(*field.message_type());
    case FieldDescriptor::TYPE_ENUM:
      return EnumSchema(*field.enum_type());
    default:
      return ScalarSchema(field.type());
  }
}

Json DocumentBuilder::FieldSchema(const FieldDescriptor& field) {
  if (field.is_map()) {
    const FieldDescriptor& value = *field.message_type()->map_value();
    Json schema = Json::Object{{"type", "object"}, {"additionalProperties", ValueSchema(value)}};
    const FieldDescriptor& key = *field.message_type()->map_key();
    if (key.cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      schema["propertyNames"] = Json::Object{
          {"pattern", key.type() == FieldDescriptor::TYPE_BOOL ? "^(true|false)$" : "^-?[0-9]+$"}};
    }
    return schema;
  }
  if (field.is_repeated()) return Json::Object{{"type", "array"}, {"items", ValueSchema(field)}};
  return ValueSchema(field);
}

Json DocumentBuilder::Operation(const OpenApiService& service, const MethodDescriptor& method,
                                bool personal, absl::string_view door,
                                Json::Array parameters) {
  Json operation;
  operation["tags"] = Json::ArrayOf({service.descriptor->full_name()});
  operation["summary"] = absl::StrCat(method.name(), " (", door, ")");
  std::string comment = CommentOf(method);
  if (!comment.empty()) operation["description"] = comment;
  operation["x-ndxp-provider"] = service.provider;
  operation["x-ndxp-personal-data"] = personal;
  operation["x-ndxp-grpc-method"] =
      absl::StrCat("/", service.descriptor->full_name(), "/", method.name());
  if (personal) {
    parameters.push_back(Json::Object{
        {"name", "x-ndxp-purpose"},
        {"in", "header"},
        {"required", true},
        {"schema", Json::Object{{"type", "string"}, {"minLength", 1}, {"maxLength", 512}}},
        {"description",
         "The declared purpose or legal basis of the call, required on methods that carry "
         "personal data: not blank, at most 512 bytes, text that is not ASCII as "
         "percent-encoded UTF-8 (\"%C4%91\" for \"\u0111\"). Missing or bad: "
         "invalid_argument. Recorded with the transaction."}});
  }
  operation["parameters"] = Json(std::move(parameters));
  operation["responses"]["default"] = Ref(absl::StrCat("#/components/responses/", kErrorResponse));
  return operation;
}

void DocumentBuilder::AddConnect(const OpenApiService& service, const MethodDescriptor& method,
                                 bool personal) {
  if (method.client_streaming()) return;  // gRPC only
  const bool stream = method.server_streaming();
  const char* content = stream ? "application/connect+json" : "application/json";
  Json operation = Operation(service, method, personal, "Connect",
                             {Ref("#/components/parameters/Connect-Protocol-Version"),
                              Ref("#/components/parameters/Connect-Timeout-Ms")});
  operation["operationId"] = absl::StrCat(service.descriptor->full_name(), ".", method.name());
  operation["requestBody"] = Json::Object{
      {"required", true},
      {"content",
       Json::Object{{content, Json::Object{{"schema", MessageSchema(*method.input_type())}}}}}};
  operation["responses"]["200"] = Json::Object{
      {"description", stream ? "The responses, each in a Connect envelope, then the "
                               "end-of-stream message (with the error if the stream failed)."
                             : "The response message."},
      {"content",
       Json::Object{{content, Json::Object{{"schema", MessageSchema(*method.output_type())}}}}}};
  if (stream) operation["x-ndxp-streaming"] = "server";
  paths_[absl::StrCat("/", service.descriptor->full_name(), "/", method.name())]["post"] =
      std::move(operation);
}

// The field a dotted proto path ("date_of_birth.year") names in `type`, or
// nullptr.
const FieldDescriptor* FieldAt(const Descriptor& type, absl::string_view path) {
  const Descriptor* in = &type;
  const FieldDescriptor* field = nullptr;
  for (absl::string_view name : absl::StrSplit(path, '.')) {
    if (in == nullptr) return nullptr;
    field = in->FindFieldByName(std::string(name));
    if (field == nullptr) return nullptr;
    in = field->message_type();
  }
  return field;
}

void DocumentBuilder::AddQueryParameters(const Descriptor& type, const std::string& json_prefix,
                                         const std::string& proto_prefix,
                                         const std::set<std::string>& excluded,
                                         std::vector<const Descriptor*>* stack,
                                         std::map<std::string, Json>* parameters) {
  if (std::find(stack->begin(), stack->end(), &type) != stack->end()) return;  // recursive
  stack->push_back(&type);
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const std::string proto_path = absl::StrCat(proto_prefix, field.name());
    const std::string json_path = absl::StrCat(json_prefix, field.json_name());
    if (excluded.count(proto_path) > 0 || field.is_map()) continue;
    const Descriptor* message = field.message_type();
    if (message != nullptr && !IsScalarLike(*message)) {
      // Struct, Value, Any: no query form either.
      if (!field.is_repeated() && !absl::StartsWith(message->full_name(), "google.protobuf.")) {
        AddQueryParameters(*message, json_path + ".", proto_path + ".", excluded, stack,
                           parameters);
      }
      continue;  // nor has a repeated message
    }
    Json parameter = Json::Object{{"name", json_path}, {"in", "query"},
                                  {"schema", FieldSchema(field)}};
    std::string comment = CommentOf(field);
    if (!comment.empty()) parameter["description"] = comment;
    if (field.is_repeated()) parameter["explode"] = true;  // ?id=1&id=2
    (*parameters)[json_path] = std::move(parameter);
  }
  stack->pop_back();
}

void DocumentBuilder::AddRestBinding(const OpenApiService& service,
                                     const MethodDescriptor& method, bool personal,
                                     const google::api::HttpRule& rule, int binding) {
  std::string verb, path;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      verb = "get";
      path = rule.get();
      break;
    case google::api::HttpRule::kPut:
      verb = "put";
      path = rule.put();
      break;
    case google::api::HttpRule::kPost:
      verb = "post";
      path = rule.post();
      break;
    case google::api::HttpRule::kDelete:
      verb = "delete";
      path = rule.delete_();
      break;
    case google::api::HttpRule::kPatch:
      verb = "patch";
      path = rule.patch();
      break;
    case google::api::HttpRule::kCustom:
      // OpenAPI has a fixed set of methods: HEAD, OPTIONS and TRACE map.
      verb = absl::AsciiStrToLower(rule.custom().kind());
      path = rule.custom().path();
      if (verb != "head" && verb != "options" && verb != "trace") return;
      break;
    default:
      return;
  }
  // "{field}" and "{field=*}" are path parameters named by the field path; a
  // bare "*" segment matches any one segment, bound to no field.
  Json::Array parameters;
  std::set<std::string> bound;
  std::vector<std::string> segments;
  absl::string_view rest = path;
  std::string suffix;  // ":verb"
  if (size_t colon = rest.rfind(':'); colon != absl::string_view::npos &&
                                      rest.find('}', colon) == absl::string_view::npos) {
    suffix = std::string(rest.substr(colon));
    rest = rest.substr(0, colon);
  }
  int unbound = 0;
  for (absl::string_view segment : absl::StrSplit(absl::StripPrefix(rest, "/"), '/')) {
    std::string name;
    const FieldDescriptor* field = nullptr;
    if (absl::StartsWith(segment, "{") && absl::EndsWith(segment, "}")) {
      absl::string_view variable = segment.substr(1, segment.size() - 2);
      name = std::string(variable.substr(0, variable.find('=')));
      field = FieldAt(*method.input_type(), name);
      bound.insert(name);
    } else if (segment == "*" || segment == "**") {
      name = absl::StrCat("segment", ++unbound);
    } else {
      segments.push_back(std::string(segment));
      continue;
    }
    segments.push_back(absl::StrCat("{", name, "}"));
    Json parameter = Json::Object{
        {"name", name},
        {"in", "path"},
        {"required", true},
        {"schema", field != nullptr ? ValueSchema(*field) : Json::Object{{"type", "string"}}}};
    if (field == nullptr) {
      parameter["description"] = "Any one path segment.";
    } else if (std::string comment = CommentOf(*field); !comment.empty()) {
      parameter["description"] = comment;
    }
    parameters.push_back(std::move(parameter));
  }
  const std::string template_path = absl::StrCat("/", absl::StrJoin(segments, "/"), suffix);

  Json request_body;
  bool has_body = false;
  if (rule.body() == "*") {
    request_body = MessageSchema(*method.input_type());
    has_body = true;
  } else if (!rule.body().empty()) {
    if (const FieldDescriptor* field = method.input_type()->FindFieldByName(rule.body())) {
      request_body = FieldSchema(*field);
      has_body = true;
      bound.insert(rule.body());
    }
  }
  if (rule.body() != "*") {
    std::map<std::string, Json> query;  // by name
    std::vector<const Descriptor*> stack;
    AddQueryParameters(*method.input_type(), "", "", bound, &stack, &query);
    for (auto& [name, parameter] : query) parameters.push_back(std::move(parameter));
  }

  Json operation = Operation(service, method, personal, "REST", std::move(parameters));
  operation["operationId"] = absl::StrCat(service.descriptor->full_name(), ".", method.name(),
                                          binding == 0 ? ".rest" : absl::StrCat(".rest", binding));
  if (has_body) {
    operation["requestBody"] = Json::Object{
        {"required", true},
        {"content", Json::Object{{"application/json", Json::Object{{"schema", request_body}}}}}};
  }
  Json response = MessageSchema(*method.output_type());
  if (!rule.response_body().empty()) {
    if (const FieldDescriptor* field =
            method.output_type()->FindFieldByName(rule.response_body())) {
      response = FieldSchema(*field);
    }
  }
  operation["responses"]["200"] = Json::Object{
      {"description", rule.response_body().empty()
                          ? std::string("The response message.")
                          : absl::StrCat("The response's field ", rule.response_body(), ".")},
      {"content", Json::Object{{"application/json", Json::Object{{"schema", response}}}}}};
  Json& at = paths_[template_path];
  if (at.Has(verb)) return;  // two rules for one path and verb: the first is served
  at[verb] = std::move(operation);
}

void DocumentBuilder::AddRest(const OpenApiService& service, const MethodDescriptor& method,
                              bool personal) {
  if (method.client_streaming() || method.server_streaming()) return;
  std::unique_ptr<google::api::HttpRule> rule = HttpRuleOf(method);
  if (rule == nullptr) return;
  AddRestBinding(service, method, personal, *rule, 0);
  for (int i = 0; i < rule->additional_bindings_size(); ++i) {
    AddRestBinding(service, method, personal, rule->additional_bindings(i), i + 1);
  }
}

std::string DocumentBuilder::Build(std::vector<OpenApiService> services,
                                   const OpenApiInfo& info) {
  std::sort(services.begin(), services.end(), [](const auto& a, const auto& b) {
    return a.descriptor->full_name() < b.descriptor->full_name();
  });
  Json::Array tags;
  for (const OpenApiService& service : services) {
    const ServiceDescriptor& descriptor = *service.descriptor;
    std::vector<std::string> notes;
    if (std::string comment = CommentOf(descriptor); !comment.empty()) notes.push_back(comment);
    notes.push_back(absl::StrCat(
        "Provided by ",
        service.provider_name.empty() ? service.provider
                                      : absl::StrCat(service.provider_name, " (",
                                                     service.provider, ")"),
        "."));
    Json tag = Json::Object{{"name", descriptor.full_name()},
                            {"description", absl::StrJoin(notes, "\n\n")},
                            {"x-ndxp-provider", service.provider}};
    if (!service.provider_name.empty()) tag["x-ndxp-provider-name"] = service.provider_name;
    tags.push_back(std::move(tag));
    for (int i = 0; i < descriptor.method_count(); ++i) {
      const MethodDescriptor& method = *descriptor.method(i);
      const bool personal =
          std::find(service.personal_data_methods.begin(), service.personal_data_methods.end(),
                    method.name()) != service.personal_data_methods.end();
      AddConnect(service, method, personal);
      AddRest(service, method, personal);
    }
  }

  Json document;
  document["openapi"] = "3.1.0";
  document["info"] = Json::Object{
      {"title", info.title},
      {"version", info.version.empty() ? std::string("0") : info.version},
      {"description",
       "Every service the hub routes, callable in JSON by members: unary Connect calls "
       "(POST /<package>.<Service>/<Method>) and the REST mappings of the services' "
       "google.api.http options. Every call is admitted as a gRPC call is (the caller's "
       "certificate, its grants, the purpose of personal data, quotas) and recorded."}};
  document["security"] = Json::ArrayOf({Json::Object{{"memberCertificate", Json::Array()}}});
  document["tags"] = Json(std::move(tags));
  document["paths"] = std::move(paths_);

  Json& components = document["components"];
  components["securitySchemes"]["memberCertificate"] = Json::Object{
      {"type", "mutualTLS"},
      {"description", "The member's certificate from the federation CA, its SPIFFE ID naming "
                      "the agency (and subsystem) that calls."}};
  components["parameters"]["Connect-Protocol-Version"] = Json::Object{
      {"name", "Connect-Protocol-Version"},
      {"in", "header"},
      {"required", false},
      {"schema", Json::Object{{"type", "string"}, {"enum", Json::ArrayOf({"1"})}}},
      {"description", "Connect's protocol version; \"1\" when sent."}};
  components["parameters"]["Connect-Timeout-Ms"] = Json::Object{
      {"name", "Connect-Timeout-Ms"},
      {"in", "header"},
      {"required", false},
      {"schema", Json::Object{{"type", "string"}, {"pattern", "^[0-9]{1,10}$"}}},
      {"description", "The call's deadline in milliseconds (capped by the hub)."}};
  components["responses"][kErrorResponse] = Json::Object{
      {"description",
       "Connect's error object. The HTTP status follows Connect's table: invalid_argument "
       "400, unauthenticated 401, permission_denied 403, not_found 404, resource_exhausted "
       "429, unimplemented 501, unavailable 503, deadline_exceeded 504, ..."},
      {"content", Json::Object{{"application/json",
                                Json::Object{{"schema", SchemaRef(kErrorSchema)}}}}}};
  Json::Array codes;
  for (const char* code :
       {"canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found",
        "already_exists", "permission_denied", "resource_exhausted", "failed_precondition",
        "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss",
        "unauthenticated"}) {
    codes.push_back(code);
  }
  Json detail = Json::Object{{"type", "object"}, {"required", Json::ArrayOf({"type", "value"})}};
  detail["properties"]["type"] = Json::Object{
      {"type", "string"},
      {"description", "The detail's full message name, \"google.rpc.BadRequest\"."}};
  detail["properties"]["value"] = Json::Object{
      {"type", "string"},
      {"contentEncoding", "base64"},
      {"description", "The detail, serialized protobuf, base64."}};
  detail["properties"]["debug"] = Json::Object{{"description", "The detail as JSON, when sent."}};
  Json error = Json::Object{{"type", "object"}, {"required", Json::ArrayOf({"code"})}};
  error["properties"]["code"] = Json::Object{{"type", "string"}, {"enum", Json(std::move(codes))}};
  error["properties"]["message"] = Json::Object{{"type", "string"}};
  error["properties"]["details"] = Json::Object{{"type", "array"}, {"items", std::move(detail)}};
  schemas_[kErrorSchema] = std::move(error);
  components["schemas"] = std::move(schemas_);

  std::string text;
  document.Write(&text, 0);
  text.push_back('\n');
  return text;
}

}  // namespace

std::string BuildOpenApiDocument(absl::Span<const OpenApiService> services,
                                 const OpenApiInfo& info) {
  return DocumentBuilder().Build(std::vector<OpenApiService>(services.begin(), services.end()),
                                 info);
}

}  // namespace ndxp::gateway::json
