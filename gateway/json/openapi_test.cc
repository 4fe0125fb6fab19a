#include "gateway/json/openapi.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gateway/json/test_pool.h"
#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::json {
namespace {

using google::protobuf::Value;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A small service with a field of every kind the JSON mapping treats apart.
constexpr char kThings[] = R"pb(
  name: "things.proto"
  package: "test.v1"
  dependency: "google/protobuf/timestamp.proto"
  syntax: "proto3"
  message_type {
    name: "Thing"
    field { name: "id" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 json_name: "id" }
    field {
      name: "kind" number: 2 label: LABEL_OPTIONAL type: TYPE_ENUM type_name: ".test.v1.Kind"
      json_name: "kind"
    }
    field { name: "photo" number: 3 label: LABEL_OPTIONAL type: TYPE_BYTES json_name: "photo" }
    field {
      name: "owner" number: 4 label: LABEL_OPTIONAL type: TYPE_MESSAGE
      type_name: ".test.v1.Thing.Owner" json_name: "owner"
    }
    field { name: "tags" number: 5 label: LABEL_REPEATED type: TYPE_STRING json_name: "tags" }
    field {
      name: "labels" number: 6 label: LABEL_REPEATED type: TYPE_MESSAGE
      type_name: ".test.v1.Thing.LabelsEntry" json_name: "labels"
    }
    field {
      name: "email" number: 7 label: LABEL_OPTIONAL type: TYPE_STRING oneof_index: 0
      json_name: "email"
    }
    field {
      name: "phone" number: 8 label: LABEL_OPTIONAL type: TYPE_STRING oneof_index: 0
      json_name: "phone"
    }
    field {
      name: "created_time" number: 9 label: LABEL_OPTIONAL type: TYPE_MESSAGE
      type_name: ".google.protobuf.Timestamp" json_name: "createdTime"
    }
    field {
      name: "parent" number: 10 label: LABEL_OPTIONAL type: TYPE_MESSAGE
      type_name: ".test.v1.Thing" json_name: "parent"
    }
    field { name: "count" number: 11 label: LABEL_OPTIONAL type: TYPE_UINT64 json_name: "count" }
    field { name: "size" number: 12 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "size" }
    nested_type {
      name: "Owner"
      field {
        name: "full_name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "fullName"
      }
    }
    nested_type {
      name: "LabelsEntry"
      field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "key" }
      field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "value" }
      options { map_entry: true }
    }
    oneof_decl { name: "contact" }
  }
  message_type {
    name: "GetThingRequest"
    field {
      name: "thing_id" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 json_name: "thingId"
    }
    field {
      name: "view" number: 2 label: LABEL_OPTIONAL type: TYPE_ENUM type_name: ".test.v1.Kind"
      json_name: "view"
    }
    field {
      name: "owner" number: 3 label: LABEL_OPTIONAL type: TYPE_MESSAGE
      type_name: ".test.v1.Thing.Owner" json_name: "owner"
    }
    field {
      name: "things" number: 4 label: LABEL_REPEATED type: TYPE_MESSAGE
      type_name: ".test.v1.Thing" json_name: "things"
    }
  }
  enum_type {
    name: "Kind"
    value { name: "KIND_UNSPECIFIED" number: 0 }
    value { name: "KIND_BIG" number: 1 }
  }
  service {
    name: "Things"
    method {
      name: "GetThing" input_type: ".test.v1.GetThingRequest" output_type: ".test.v1.Thing"
      options {
        [google.api.http] {
          get: "/v1/things/{thing_id}"
          additional_bindings { post: "/v1/things:get" body: "*" }
        }
      }
    }
    method {
      name: "PutThing" input_type: ".test.v1.Thing" output_type: ".test.v1.Thing"
      options {
        [google.api.http] { put: "/v1/things/{id}" body: "owner" response_body: "tags" }
      }
    }
    method {
      name: "Upload" input_type: ".test.v1.Thing" output_type: ".test.v1.Thing"
      client_streaming: true
    }
    method {
      name: "Watch" input_type: ".test.v1.GetThingRequest" output_type: ".test.v1.Thing"
      server_streaming: true
      options { [google.api.http] { get: "/v1/things/{thing_id}:watch" } }
    }
  }
)pb";

// The member at a '/'-separated path of keys (array indexes as numbers);
// null when there is none. JSON Pointer's escaping is not needed here but
// for "/" in path keys: give those as one element of `keys`.
Value At(const Value& root, const std::vector<std::string>& keys) {
  const Value* at = &root;
  for (const std::string& key : keys) {
    if (at->has_struct_value()) {
      auto it = at->struct_value().fields().find(key);
      if (it == at->struct_value().fields().end()) return Value();
      at = &it->second;
    } else if (at->has_list_value()) {
      size_t index = std::stoul(key);
      if (index >= static_cast<size_t>(at->list_value().values_size())) return Value();
      at = &at->list_value().values(index);
    } else {
      return Value();
    }
  }
  return *at;
}

OpenApiInfo Info(std::string version) {
  OpenApiInfo info;
  info.version = std::move(version);
  return info;
}

std::string Text(const Value& value) { return value.string_value(); }

// The names of an operation's parameters, "in:name".
std::vector<std::string> ParameterNames(const Value& operation) {
  std::vector<std::string> names;
  const Value parameters = At(operation, {"parameters"});
  for (const Value& parameter : parameters.list_value().values()) {
    if (parameter.struct_value().fields().count("$ref")) {
      names.push_back(Text(At(parameter, {"$ref"})));
    } else {
      names.push_back(Text(At(parameter, {"in"})) + ":" + Text(At(parameter, {"name"})));
    }
  }
  return names;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(google::api::http.number(), 0);  // links the extension in for the text format
    google::protobuf::FileDescriptorProto timestamp, things;
    google::protobuf::Timestamp::descriptor()->file()->CopyTo(&timestamp);
    ASSERT_NE(pool_.BuildFile(timestamp), nullptr);
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kThings, &things));
    ASSERT_NE(pool_.BuildFile(things), nullptr);
    service_.descriptor = pool_.FindServiceByName("test.v1.Things");
    service_.provider = "000.00.00.G04";
    service_.provider_name = "Population registry";
    service_.personal_data_methods = {"GetThing"};
    text_ = BuildOpenApiDocument({service_}, Info("9.9.9"));
    google::protobuf::util::JsonParseOptions options;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text_, &document_, options).ok());
  }

  Value Schema(const std::string& name) { return At(document_, {"components", "schemas", name}); }
  Value Property(const std::string& type, const std::string& field) {
    return At(Schema(type), {"properties", field});
  }

  google::protobuf::DescriptorPool pool_;
  OpenApiService service_;
  std::string text_;
  Value document_;
};

TEST_F(OpenApiTest, TheDocumentIsOpenApi31WithTheServiceAsATag) {
  EXPECT_EQ(Text(At(document_, {"openapi"})), "3.1.0");
  EXPECT_EQ(Text(At(document_, {"info", "version"})), "9.9.9");
  EXPECT_EQ(Text(At(document_, {"tags", "0", "name"})), "test.v1.Things");
  EXPECT_EQ(Text(At(document_, {"tags", "0", "x-ndxp-provider"})), "000.00.00.G04");
  EXPECT_THAT(Text(At(document_, {"tags", "0", "description"})),
              HasSubstr("Provided by Population registry (000.00.00.G04)."));
  EXPECT_EQ(Text(At(document_, {"components", "securitySchemes", "memberCertificate", "type"})),
            "mutualTLS");
  EXPECT_EQ(text_.back(), '\n');
}

TEST_F(OpenApiTest, SchemasFollowTheJsonMapping) {
  const std::string thing = "test.v1.Thing";
  EXPECT_EQ(Text(At(Property(thing, "id"), {"type"})), "string");  // int64
  EXPECT_EQ(Text(At(Property(thing, "id"), {"format"})), "int64");
  EXPECT_EQ(Text(At(Property(thing, "count"), {"type"})), "string");  // uint64
  EXPECT_EQ(Text(At(Property(thing, "count"), {"format"})), "uint64");
  EXPECT_EQ(Text(At(Property(thing, "size"), {"type"})), "integer");  // int32
  EXPECT_EQ(Text(At(Property(thing, "kind"), {"$ref"})), "#/components/schemas/test.v1.Kind");
  EXPECT_EQ(Text(At(Schema("test.v1.Kind"), {"type"})), "string");
  EXPECT_EQ(Text(At(Schema("test.v1.Kind"), {"enum", "0"})), "KIND_UNSPECIFIED");
  EXPECT_EQ(Text(At(Schema("test.v1.Kind"), {"enum", "1"})), "KIND_BIG");
  EXPECT_EQ(Text(At(Property(thing, "photo"), {"type"})), "string");  // bytes
  EXPECT_EQ(Text(At(Property(thing, "photo"), {"contentEncoding"})), "base64");
  // Nested messages by reference, by their full names.
  EXPECT_EQ(Text(At(Property(thing, "owner"), {"$ref"})),
            "#/components/schemas/test.v1.Thing.Owner");
  EXPECT_EQ(Text(At(Property("test.v1.Thing.Owner", "fullName"), {"type"})), "string");
  // A recursive field refers to its own type.
  EXPECT_EQ(Text(At(Property(thing, "parent"), {"$ref"})), "#/components/schemas/test.v1.Thing");
  EXPECT_EQ(Text(At(Property(thing, "tags"), {"type"})), "array");
  EXPECT_EQ(Text(At(Property(thing, "tags"), {"items", "type"})), "string");
  // A map is an object of its values; its entry type is no schema.
  EXPECT_EQ(Text(At(Property(thing, "labels"), {"type"})), "object");
  EXPECT_EQ(Text(At(Property(thing, "labels"), {"additionalProperties", "type"})), "string");
  EXPECT_FALSE(Schema("test.v1.Thing.LabelsEntry").has_struct_value());
  // A oneof's members say so.
  for (const char* member : {"email", "phone"}) {
    SCOPED_TRACE(member);
    EXPECT_THAT(Text(At(Property(thing, member), {"description"})),
                HasSubstr("One of oneof \"contact\": set at most one of email, phone."));
  }
  EXPECT_FALSE(At(Property(thing, "id"), {"description"}).has_string_value());
  // Timestamp as RFC 3339 text.
  EXPECT_EQ(Text(At(Property(thing, "createdTime"), {"$ref"})),
            "#/components/schemas/google.protobuf.Timestamp");
  EXPECT_EQ(Text(At(Schema("google.protobuf.Timestamp"), {"type"})), "string");
  EXPECT_EQ(Text(At(Schema("google.protobuf.Timestamp"), {"format"})), "date-time");
  // Connect's error object.
  EXPECT_EQ(Text(At(Schema("connect.Error"), {"properties", "details", "items", "properties",
                                                "value", "contentEncoding"})),
              "base64");
}

TEST_F(OpenApiTest, ConnectEndpointsWithThePurposeOnPersonalData) {
  Value get = At(document_, {"paths", "/test.v1.Things/GetThing", "post"});
  EXPECT_EQ(Text(At(get, {"operationId"})), "test.v1.Things.GetThing");
  EXPECT_EQ(Text(At(get, {"x-ndxp-provider"})), "000.00.00.G04");
  EXPECT_EQ(Text(At(get, {"requestBody", "content", "application/json", "schema", "$ref"})),
            "#/components/schemas/test.v1.GetThingRequest");
  EXPECT_EQ(Text(At(get, {"responses", "200", "content", "application/json", "schema", "$ref"})),
            "#/components/schemas/test.v1.Thing");
  EXPECT_EQ(Text(At(get, {"responses", "default", "$ref"})),
            "#/components/responses/connect.Error");
  EXPECT_THAT(ParameterNames(get),
              ElementsAre("#/components/parameters/Connect-Protocol-Version",
                          "#/components/parameters/Connect-Timeout-Ms", "header:x-ndxp-purpose"));
  EXPECT_TRUE(At(get, {"parameters", "2", "required"}).bool_value());
  EXPECT_THAT(Text(At(get, {"parameters", "2", "description"})), HasSubstr("personal data"));

  Value put = At(document_, {"paths", "/test.v1.Things/PutThing", "post"});
  EXPECT_THAT(ParameterNames(put), ElementsAre("#/components/parameters/Connect-Protocol-Version",
                                               "#/components/parameters/Connect-Timeout-Ms"));
  EXPECT_FALSE(At(put, {"x-ndxp-personal-data"}).bool_value());
  // A client stream has no JSON endpoint; a server stream is enveloped.
  EXPECT_FALSE(At(document_, {"paths", "/test.v1.Things/Upload"}).has_struct_value());
  Value watch = At(document_, {"paths", "/test.v1.Things/Watch", "post"});
  EXPECT_TRUE(At(watch, {"requestBody", "content", "application/connect+json"}).has_struct_value());
  EXPECT_EQ(Text(At(watch, {"x-ndxp-streaming"})), "server");
}

TEST_F(OpenApiTest, RestEndpointsFromTheHttpRules) {
  Value get = At(document_, {"paths", "/v1/things/{thing_id}", "get"});
  EXPECT_EQ(Text(At(get, {"operationId"})), "test.v1.Things.GetThing.rest");
  // The path's field, then the other fields by JSON name through nested
  // messages (a repeated message has no query form), then the purpose.
  EXPECT_THAT(ParameterNames(get), ElementsAre("path:thing_id", "query:owner.fullName",
                                               "query:view", "header:x-ndxp-purpose"));
  EXPECT_TRUE(At(get, {"parameters", "0", "required"}).bool_value());
  EXPECT_EQ(Text(At(get, {"parameters", "0", "schema", "type"})), "string");  // int64
  EXPECT_EQ(Text(At(get, {"parameters", "2", "schema", "$ref"})),
            "#/components/schemas/test.v1.Kind");
  EXPECT_FALSE(At(get, {"requestBody"}).has_struct_value());
  // The additional binding, the whole request as its body.
  Value post = At(document_, {"paths", "/v1/things:get", "post"});
  EXPECT_EQ(Text(At(post, {"operationId"})), "test.v1.Things.GetThing.rest1");
  EXPECT_EQ(Text(At(post, {"requestBody", "content", "application/json", "schema", "$ref"})),
            "#/components/schemas/test.v1.GetThingRequest");
  EXPECT_THAT(ParameterNames(post), ElementsAre("header:x-ndxp-purpose"));
  // body: "owner" and response_body: "tags".
  Value put = At(document_, {"paths", "/v1/things/{id}", "put"});
  EXPECT_EQ(Text(At(put, {"requestBody", "content", "application/json", "schema", "$ref"})),
            "#/components/schemas/test.v1.Thing.Owner");
  EXPECT_EQ(Text(At(put, {"responses", "200", "content", "application/json", "schema", "type"})),
            "array");
  std::vector<std::string> put_parameters = ParameterNames(put);
  EXPECT_EQ(put_parameters.front(), "path:id");
  EXPECT_THAT(put_parameters, ::testing::Not(::testing::Contains("query:owner.fullName")));
  EXPECT_THAT(put_parameters, ::testing::Contains("query:tags"));
  EXPECT_THAT(put_parameters, ::testing::Contains("query:createdTime"));
  EXPECT_THAT(put_parameters, ::testing::Not(::testing::Contains("query:labels")));
  // A server stream's REST rule is not served.
  EXPECT_FALSE(At(document_, {"paths", "/v1/things/{thing_id}:watch"}).has_struct_value());
}

TEST_F(OpenApiTest, TheSameServicesGiveTheSameBytes) {
  EXPECT_EQ(BuildOpenApiDocument({service_}, Info("9.9.9")), text_);
}

TEST(OpenApiRoutedServicesTest, EveryServiceOfTheHubsDescriptorsBuilds) {
  std::unique_ptr<google::protobuf::DescriptorPool> pool = LoadTestPool();
  ASSERT_NE(pool, nullptr) << NDXP_DESCRIPTOR_SET;
  std::vector<OpenApiService> services;
  for (const char* name :
       {"ndxp.residents.v1.ResidentRegistry", "ndxp.documents.v1.DocumentExchange",
        "ndxp.bench.v1.Echo"}) {
    services.push_back({pool->FindServiceByName(name), "000.00.00.G04", "", {"GetCitizen"}});
    ASSERT_NE(services.back().descriptor, nullptr) << name;
  }
  const std::string text = BuildOpenApiDocument(services, {});
  std::reverse(services.begin(), services.end());
  EXPECT_EQ(BuildOpenApiDocument(services, {}), text);
  Value document;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &document).ok());
  Value get = At(document, {"paths", "/v1/citizens/{personal_id}", "get"});
  EXPECT_EQ(Text(At(get, {"operationId"})), "ndxp.residents.v1.ResidentRegistry.GetCitizen.rest");
  EXPECT_THAT(ParameterNames(get), ::testing::Contains("header:x-ndxp-purpose"));
  const Value mask = At(document, {"components", "schemas", "google.protobuf.FieldMask"});
  EXPECT_EQ(Text(At(mask, {"type"})), "string");
  EXPECT_EQ(Text(At(mask, {"format"})), "google-fieldmask");
  // Comments of the .proto files are the descriptions.
  EXPECT_THAT(Text(At(get, {"description"})), HasSubstr("read_mask"));
}

}  // namespace
}  // namespace ndxp::gateway::json
