// The JSON door's REST side: google.api.http rules (proto/google/api/http.proto)
// compiled from the routed methods' options, and a request's method, path,
// query and body matched to a method and its request message.
//
// The subset of google.api.http supported (Compile refuses anything else,
// naming the method):
// - patterns get, put, post, delete, patch and custom (any verb);
//   additional_bindings, one level (theirs are ignored, as Google's are);
// - path templates of literal segments, "*" (one segment, not bound),
//   "{field}" and "{field.path}" (one segment, also written "{field=*}"),
//   and a final ":verb"; no "**", no multi-segment variables;
// - a variable names a singular scalar or enum field, through singular
//   message fields;
// - body "*" (the whole request, as JSON), body "field" (a singular message
//   field, as JSON) or none;
// - every other field from the query string: proto or JSON names, dotted
//   for nested fields ("date_of_birth.year"), repeated fields by repeating
//   the parameter, google.protobuf.FieldMask / Timestamp / Duration and the
//   wrappers by their JSON string form; with body "*" no query parameter
//   (every field is the body's);
// - no response_body: the whole response message is the answer.
//
// Matching: the path is split on '/' before each segment is
// percent-decoded ("%2F" stays inside its segment); an empty, "." or ".."
// segment matches nothing. The rule with the most literal segments wins.
// Path variables are set after the body and override it; a query parameter
// may not name a field of the path or of the body, nor another field of a
// oneof the path set.
//
// Errors never quote a path segment, a query value or the body (any may be a
// personal ID); they name the field:
//   no rule matches            NOT_FOUND (the door answers 404)
//   a value does not fit       INVALID_ARGUMENT "<field.path>: <why>"
//   unknown query parameter    INVALID_ARGUMENT naming it when
//                              IsQuotableName (json_text.h)
#ifndef NDXP_GATEWAY_JSON_REST_MAPPING_H_
#define NDXP_GATEWAY_JSON_REST_MAPPING_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/json/transcoder.h"

namespace google::api {
class HttpRule;
}

namespace ndxp::gateway::json {

// The google.api.http option of a method, or nullptr when it has none. Reads
// the option from its wire form, so it works whether or not the process
// knows the extension (a pool loaded from a descriptor set at run time keeps
// it as an unknown field when annotations.pb.cc is not linked in).
std::unique_ptr<google::api::HttpRule> HttpRuleOf(const google::protobuf::MethodDescriptor& method);

// Immutable after Compile; Match is thread-safe.
class RestMapping {
 public:
  // A request matched to its method.
  struct Request {
    const google::protobuf::MethodDescriptor* method = nullptr;
    std::string binary;  // the request message, serialized
    // Always nullptr: response_body is refused by Compile.
    const google::protobuf::FieldDescriptor* response_body = nullptr;
  };

  // The rules of every method of `services`. INVALID_ARGUMENT naming the
  // method for a rule outside the supported subset or naming a field the
  // method's messages lack.
  // REQUIRES: the services' pool and `transcoder` (over the same pool)
  // outlive the mapping.
  static absl::StatusOr<std::unique_ptr<RestMapping>> Compile(
      absl::Span<const google::protobuf::ServiceDescriptor* const> services,
      const JsonTranscoder* transcoder);

  ~RestMapping();
  RestMapping(const RestMapping&) = delete;
  RestMapping& operator=(const RestMapping&) = delete;

  // A request's method and path matched to a rule, before its query and
  // body are read (a door admits the call by its method first).
  struct Found {
    const google::protobuf::MethodDescriptor* method = nullptr;
    bool takes_body = false;  // body "*" or a field
    std::vector<std::string> path_values;  // percent-decoded, in the rule's order

   private:
    friend class RestMapping;
    const void* rule = nullptr;
  };

  // `path` without the query string. NOT_FOUND as Match.
  absl::StatusOr<Found> Find(absl::string_view http_method, absl::string_view path) const;
  // The request message of `found` (from this mapping's Find), with its
  // query (without the '?') and body.
  absl::StatusOr<Request> Build(const Found& found, absl::string_view query,
                                absl::string_view body) const;

  // Find, then Build: `path` without the query string, `query` without the '?'.
  absl::StatusOr<Request> Match(absl::string_view http_method, absl::string_view path,
                                absl::string_view query, absl::string_view body) const;

  // One line per rule, "GET /v1/citizens/{personal_id}
  // ndxp.residents.v1.ResidentRegistry.GetCitizen", in matching order.
  std::vector<std::string> Describe() const;

 private:
  struct Rule;
  RestMapping(const JsonTranscoder* transcoder, std::vector<Rule> rules);

  absl::StatusOr<Request> BuildRequest(const Rule& rule, absl::Span<const std::string> path_values,
                                       absl::string_view query, absl::string_view body) const;

  // Constant after construction.
  const JsonTranscoder* const transcoder_;
  std::vector<Rule> rules_;
  // GetPrototype is thread-safe.
  mutable google::protobuf::DynamicMessageFactory factory_;
};

}  // namespace ndxp::gateway::json

#endif  // NDXP_GATEWAY_JSON_REST_MAPPING_H_
