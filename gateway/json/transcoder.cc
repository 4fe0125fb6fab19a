#include "gateway/json/transcoder.h"

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/type.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "gateway/json/json_text.h"

namespace ndxp::gateway::json {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::MethodDescriptor;

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com";

std::string TypeUrl(const Descriptor& type) {
  return absl::StrCat(kTypeUrlPrefix, "/", type.full_name());
}

absl::Status ToAbsl(const google::protobuf::util::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.code()),
                      std::string(status.message().data(), status.message().size()));
}

// One step of a location: a field name, then any [index] (repeated fields).
bool IsLocationStep(absl::string_view step) {
  size_t bracket = step.find('[');
  if (!IsQuotableName(step.substr(0, bracket))) return false;
  while (bracket != absl::string_view::npos) {
    size_t close = step.find(']', bracket);
    if (close == absl::string_view::npos || close == bracket + 1) return false;
    for (char c : step.substr(bracket + 1, close - bracket - 1)) {
      if (!absl::ascii_isdigit(c)) return false;
    }
    if (close + 1 == step.size()) return true;
    if (step[close + 1] != '[') return false;
    bracket = close + 1;
  }
  return true;
}

// protobuf's location of an error ("(date_of_birth.year)", "owners[1].name",
// an unknown key as sent) with any step that is not a name: a map key or an
// unknown JSON key may be a value.
std::string RedactLocation(absl::string_view location) {
  // "(parent.path) name" for an unknown name inside a message.
  std::string path(absl::StripAsciiWhitespace(location));
  if (absl::StartsWith(path, "(")) {
    size_t close = path.find(')');
    if (close == std::string::npos) close = path.size();
    absl::string_view name = absl::StripAsciiWhitespace(
        absl::string_view(path).substr(std::min(close + 1, path.size())));
    path = name.empty() ? path.substr(1, close - 1)
                        : absl::StrCat(path.substr(1, close - 1), ".", name);
  }
  if (path.empty()) return "";
  std::vector<std::string> steps;
  for (absl::string_view step : absl::StrSplit(path, '.')) {
    steps.push_back(IsLocationStep(step) ? std::string(step) : "(not a field name)");
  }
  return absl::StrJoin(steps, ".");
}

std::string WithLocation(absl::string_view location, absl::string_view what) {
  std::string redacted = RedactLocation(location);
  return redacted.empty() ? std::string(what) : absl::StrCat(redacted, ": ", what);
}

// What protobuf says in "invalid value <what> for type <type>" when <what>
// names fields only (the rest of the time <what> is the value itself).
bool IsNamesOnly(absl::string_view what) {
  return absl::StartsWith(what, "oneof field '") ||
         absl::StartsWith(what, "Starting an object on a scalar field") ||
         absl::StartsWith(what, "Starting a list on a scalar field");
}

}  // namespace

std::string RedactJsonError(absl::string_view message, absl::string_view json) {
  // A syntax error: "<what>\n<up to 20 bytes either side of it>\n<spaces>^"
  // (the excerpt may hold newlines of its own).
  size_t first_newline = message.find('\n');
  size_t last_newline = message.rfind('\n');
  if (first_newline != last_newline && absl::EndsWith(message, "^")) {
    absl::string_view what = message.substr(0, first_newline);
    absl::string_view excerpt = message.substr(first_newline + 1, last_newline - first_newline - 1);
    size_t column = message.size() - last_newline - 2;
    size_t at = excerpt.empty() ? absl::string_view::npos : json.find(excerpt);
    if (at == absl::string_view::npos) {
      return absl::StrCat("malformed JSON at the end of the input: ", what);
    }
    return absl::StrCat("malformed JSON at byte ", at + column, ": ", what);
  }
  // "<location>: invalid value <value> for type <type>"
  constexpr absl::string_view kInvalidValue = ": invalid value ";
  size_t invalid = message.find(kInvalidValue);
  constexpr absl::string_view kForType = " for type ";
  size_t for_type = message.rfind(kForType);
  if (invalid != absl::string_view::npos && for_type != absl::string_view::npos &&
      for_type >= invalid + kInvalidValue.size()) {
    absl::string_view location = message.substr(0, invalid);
    absl::string_view what =
        message.substr(invalid + kInvalidValue.size(), for_type - invalid - kInvalidValue.size());
    absl::string_view type = message.substr(for_type + kForType.size());
    absl::ConsumePrefix(&type, kTypeUrlPrefix);
    absl::ConsumePrefix(&type, "/");
    if (!IsLocationStep(type) && !IsQuotableName(absl::StrReplaceAll(type, {{".", "_"}}))) {
      type = "(not a type name)";
    }
    if (IsNamesOnly(what)) return WithLocation(location, absl::StrCat(what, " (", type, ")"));
    return WithLocation(location, absl::StrCat("invalid value for type ", type));
  }
  // "<location>: <what>" (unknown field, missing field, not a list): <what>
  // is protobuf's own text.
  // The last ": ": an unknown key may hold one of its own.
  size_t colon = message.rfind(": ");
  if (colon != absl::string_view::npos) {
    return WithLocation(message.substr(0, colon), message.substr(colon + 2));
  }
  return std::string(message);
}

// NewTypeResolverForDescriptorPool builds a google.protobuf.Type from the
// descriptor on every call, and protobuf's JSON code resolves each type once
// per conversion: the cache keeps the result per type URL (a hit still
// copies the Type out, as the interface wants; about a tenth of a
// conversion saved, transcoder_bench). One cache for all threads rather than
// one per thread: the lock is taken shared and the types are few. Entries
// are never evicted: the pool is fixed, so the cache is bounded by its types.
class JsonTranscoder::CachingTypeResolver : public google::protobuf::util::TypeResolver {
 public:
  explicit CachingTypeResolver(const DescriptorPool* pool)
      : resolver_(google::protobuf::util::NewTypeResolverForDescriptorPool(
            std::string(kTypeUrlPrefix), pool)) {}

  google::protobuf::util::Status ResolveMessageType(const std::string& type_url,
                                                    google::protobuf::Type* type) override {
    return Resolve(type_url, type, types_,
                   [this](const std::string& url, google::protobuf::Type* out) {
                     return resolver_->ResolveMessageType(url, out);
                   });
  }

  google::protobuf::util::Status ResolveEnumType(const std::string& type_url,
                                                 google::protobuf::Enum* type) override {
    return Resolve(type_url, type, enums_,
                   [this](const std::string& url, google::protobuf::Enum* out) {
                     return resolver_->ResolveEnumType(url, out);
                   });
  }

 private:
  template <typename T, typename Uncached>
  google::protobuf::util::Status Resolve(
      const std::string& type_url, T* out,
      absl::flat_hash_map<std::string, std::unique_ptr<const T>>& cache, Uncached uncached) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = cache.find(type_url);
      if (it != cache.end()) {
        *out = *it->second;
        return google::protobuf::util::Status();
      }
    }
    // Resolved outside the lock; two threads may both resolve a new type,
    // and the first one's copy stays.
    auto resolved = std::make_unique<T>();
    google::protobuf::util::Status status = uncached(type_url, resolved.get());
    if (!status.ok()) return status;  // an unknown type is not cached
    *out = *resolved;
    absl::MutexLock lock(&mu_);
    cache.try_emplace(type_url, std::move(resolved));
    return status;
  }

  const std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<const google::protobuf::Type>> types_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<const google::protobuf::Enum>> enums_
      ABSL_GUARDED_BY(mu_);
};

JsonTranscoder::JsonTranscoder(const DescriptorPool* pool)
    : pool_(pool),
      resolver_(std::make_unique<CachingTypeResolver>(pool)),
      message_factory_(std::make_unique<google::protobuf::DynamicMessageFactory>(pool)) {}

JsonTranscoder::~JsonTranscoder() = default;

const MethodDescriptor* JsonTranscoder::FindMethod(absl::string_view grpc_path) const {
  if (!absl::ConsumePrefix(&grpc_path, "/")) return nullptr;
  size_t slash = grpc_path.find('/');
  if (slash == absl::string_view::npos) return nullptr;
  const google::protobuf::ServiceDescriptor* service =
      pool_->FindServiceByName(std::string(grpc_path.substr(0, slash)));
  if (service == nullptr) return nullptr;
  return service->FindMethodByName(std::string(grpc_path.substr(slash + 1)));
}

absl::StatusOr<std::string> JsonTranscoder::RequestToBinary(const MethodDescriptor& method,
                                                            absl::string_view json) const {
  return JsonToBinary(*method.input_type(), json);
}

absl::StatusOr<std::string> JsonTranscoder::ResponseToJson(const MethodDescriptor& method,
                                                           absl::string_view binary) const {
  return BinaryToJson(*method.output_type(), binary);
}

absl::StatusOr<std::string> JsonTranscoder::JsonToBinary(const Descriptor& type,
                                                         absl::string_view json) const {
  // protobuf 3.21 passes invalid UTF-8 through into string fields, which
  // the connector's parser then refuses as a corrupt message.
  if (size_t bad = FirstInvalidUtf8(json); bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("JSON is not UTF-8 at byte ", bad));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  options.case_insensitive_enum_parsing = false;
  std::string binary;
  absl::Status status = ToAbsl(google::protobuf::util::JsonToBinaryString(
      resolver_.get(), TypeUrl(type), google::protobuf::StringPiece(json.data(), json.size()),
      &binary, options));
  if (!status.ok()) {
    return absl::Status(status.code(), RedactJsonError(status.message(), json));
  }
  return binary;
}

absl::StatusOr<std::string> JsonTranscoder::BinaryToJson(const Descriptor& type,
                                                         absl::string_view binary) const {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = false;
  options.always_print_enums_as_ints = false;
  options.preserve_proto_field_names = false;
  // protobuf 3.21's binary-to-JSON stops silently at a truncated field and
  // answers what it read so far: a parse first refuses what is not a whole
  // message of the type.
  std::unique_ptr<google::protobuf::Message> message(message_factory_->GetPrototype(&type)->New());
  if (!message->ParseFromArray(binary.data(), static_cast<int>(binary.size()))) {
    return absl::InternalError(absl::StrCat("the answer is not a valid ", type.full_name()));
  }
  std::string json;
  google::protobuf::io::ArrayInputStream input(binary.data(), static_cast<int>(binary.size()));
  google::protobuf::io::StringOutputStream output(&json);
  absl::Status status = ToAbsl(google::protobuf::util::BinaryToJsonStream(
      resolver_.get(), TypeUrl(type), &input, &output, options));
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("the answer is not a valid ", type.full_name()));
  }
  return json;
}

}  // namespace ndxp::gateway::json
