#include "gateway/json/connect_protocol.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/protocol/percent_encoding.h"
#include "gateway/json/json_text.h"
#include "google/rpc/status.pb.h"

namespace ndxp::gateway::json::connect {
namespace {

struct CodeRow {
  absl::StatusCode code;
  absl::string_view name;
  int http_status;
};

// connectrpc.com/docs/protocol#error-codes, row by row.
constexpr std::array<CodeRow, 16> kCodes = {{
    {absl::StatusCode::kCancelled, "canceled", 499},
    {absl::StatusCode::kUnknown, "unknown", 500},
    {absl::StatusCode::kInvalidArgument, "invalid_argument", 400},
    {absl::StatusCode::kDeadlineExceeded, "deadline_exceeded", 504},
    {absl::StatusCode::kNotFound, "not_found", 404},
    {absl::StatusCode::kAlreadyExists, "already_exists", 409},
    {absl::StatusCode::kPermissionDenied, "permission_denied", 403},
    {absl::StatusCode::kResourceExhausted, "resource_exhausted", 429},
    {absl::StatusCode::kFailedPrecondition, "failed_precondition", 400},
    {absl::StatusCode::kAborted, "aborted", 409},
    {absl::StatusCode::kOutOfRange, "out_of_range", 400},
    {absl::StatusCode::kUnimplemented, "unimplemented", 501},
    {absl::StatusCode::kInternal, "internal", 500},
    {absl::StatusCode::kUnavailable, "unavailable", 503},
    {absl::StatusCode::kDataLoss, "data_loss", 500},
    {absl::StatusCode::kUnauthenticated, "unauthenticated", 401},
}};

const CodeRow& RowFor(absl::StatusCode code) {
  int value = static_cast<int>(code);
  // The table is in code order, from CANCELLED (1) to UNAUTHENTICATED (16).
  if (value < 1 || value > 16) return kCodes[1];  // unknown
  return kCodes[value - 1];
}

absl::string_view Find(absl::Span<const Header> headers, absl::string_view name) {
  for (const Header& header : headers) {
    if (header.first == name) return header.second;
  }
  return {};
}

bool Has(absl::Span<const Header> headers, absl::string_view name) {
  for (const Header& header : headers) {
    if (header.first == name) return true;
  }
  return false;
}

// Connect's Header-Name: 1*(0-9 / a-z / "_" / "-" / ".").
bool IsHeaderName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'z') && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

bool IsAsciiValue(absl::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// HTTP fields that frame the message rather than describe the call.
bool IsFramingField(absl::string_view name) {
  for (absl::string_view framing :
       {"content-type", "content-length", "content-encoding", "accept-encoding", "te", "trailer",
        "transfer-encoding", "connection", "keep-alive", "upgrade", "proxy-connection"}) {
    if (name == framing) return true;
  }
  return false;
}

std::string UnpaddedBase64(absl::string_view bytes) {
  std::string encoded = absl::Base64Escape(bytes);
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  return encoded;
}

std::vector<ErrorDetail> DetailsFromStatusBin(absl::string_view base64) {
  std::string bytes;
  google::rpc::Status status;
  // gRPC sends it unpadded; absl's decoder takes both.
  if (base64.empty() || !absl::Base64Unescape(base64, &bytes) || !status.ParseFromString(bytes)) {
    return {};
  }
  std::vector<ErrorDetail> details;
  for (const google::protobuf::Any& any : status.details()) {
    absl::string_view type = any.type_url();
    size_t slash = type.rfind('/');
    if (slash != absl::string_view::npos) type.remove_prefix(slash + 1);
    details.push_back({std::string(type), UnpaddedBase64(any.value())});
  }
  return details;
}

void AppendMetadata(std::string* out, absl::Span<const Header> trailers) {
  // Values of one name gather in one array, in the order they came.
  std::vector<absl::string_view> names;
  for (const Header& field : trailers) {
    if (!IsPassableMetadata(field.first, field.second)) continue;
    bool seen = false;
    for (absl::string_view name : names) seen = seen || name == field.first;
    if (!seen) names.push_back(field.first);
  }
  if (names.empty()) return;
  out->append(",\"metadata\":{");
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(out, names[i]);
    out->append(":[");
    bool first = true;
    for (const Header& field : trailers) {
      if (field.first != names[i] || !IsPassableMetadata(field.first, field.second)) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(out, field.second);
    }
    out->push_back(']');
  }
  out->push_back('}');
}

// "application/json; charset=utf-8" -> media type and whether every
// parameter is one the codec allows.
std::optional<ContentType> MatchMediaType(absl::string_view media_type, bool has_charset_utf8) {
  struct Known {
    absl::string_view name;
    ContentType type;
  };
  constexpr Known kKnown[] = {
      {"application/json", {Codec::kJson, false}},
      {"application/proto", {Codec::kProto, false}},
      {"application/connect+json", {Codec::kJson, true}},
      {"application/connect+proto", {Codec::kProto, true}},
  };
  for (const Known& known : kKnown) {
    if (!absl::EqualsIgnoreCase(media_type, known.name)) continue;
    // A charset means something for JSON only.
    if (has_charset_utf8 && known.type.codec != Codec::kJson) return std::nullopt;
    return known.type;
  }
  return std::nullopt;
}

}  // namespace

absl::string_view ConnectCodeName(absl::StatusCode code) { return RowFor(code).name; }

int HttpStatusForCode(absl::StatusCode code) { return RowFor(code).http_status; }

std::optional<absl::StatusCode> CodeFromConnectName(absl::string_view name) {
  for (const CodeRow& row : kCodes) {
    if (row.name == name) return row.code;
  }
  return std::nullopt;
}

std::optional<ConnectError> ErrorFromGrpcTrailers(absl::Span<const Header> trailers) {
  ConnectError error;
  int code;
  if (Has(trailers, "grpc-status") && absl::SimpleAtoi(Find(trailers, "grpc-status"), &code) &&
      code >= 0 && code <= 16) {
    if (code == 0) return std::nullopt;
    error.code = static_cast<absl::StatusCode>(code);
  } else {
    error.code = absl::StatusCode::kUnknown;
  }
  error.message = protocol::PercentDecode(Find(trailers, "grpc-message"));
  error.details = DetailsFromStatusBin(Find(trailers, "grpc-status-details-bin"));
  return error;
}

ConnectError ErrorFromStatus(const absl::Status& status) {
  ConnectError error;
  error.code = status.ok() ? absl::StatusCode::kUnknown : status.code();
  error.message = std::string(status.message());
  return error;
}

std::string ErrorJson(const ConnectError& error) {
  std::string out = "{\"code\":";
  AppendJsonString(&out, ConnectCodeName(error.code));
  if (!error.message.empty()) {
    out.append(",\"message\":");
    AppendJsonString(&out, error.message);
  }
  if (!error.details.empty()) {
    out.append(",\"details\":[");
    for (size_t i = 0; i < error.details.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append("{\"type\":");
      AppendJsonString(&out, error.details[i].type);
      out.append(",\"value\":");
      AppendJsonString(&out, error.details[i].value_base64);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

bool IsPassableMetadata(absl::string_view name, absl::string_view value) {
  return IsHeaderName(name) && !absl::StartsWith(name, "grpc-") &&
         !absl::StartsWith(name, "connect-") && !absl::StartsWith(name, "trailer-") &&
         !IsFramingField(name) && IsAsciiValue(value);
}

std::vector<OwnedHeader> UnaryTrailerHeaders(absl::Span<const Header> trailers) {
  std::vector<OwnedHeader> headers;
  for (const Header& field : trailers) {
    if (!IsPassableMetadata(field.first, field.second)) continue;
    headers.emplace_back(absl::StrCat("trailer-", field.first), std::string(field.second));
  }
  return headers;
}

std::optional<ContentType> ParseContentType(absl::string_view content_type) {
  // A request without the header has a null view, which absl::StrSplit
  // splits into nothing at all.
  if (content_type.empty()) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(content_type, ';');
  absl::string_view media_type = absl::StripAsciiWhitespace(parts[0]);
  bool has_charset_utf8 = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view parameter = absl::StripAsciiWhitespace(parts[i]);
    std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(parameter, absl::MaxSplits('=', 1));
    absl::string_view value = absl::StripAsciiWhitespace(name_value.second);
    if (absl::ConsumePrefix(&value, "\"")) absl::ConsumeSuffix(&value, "\"");
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(name_value.first), "charset") ||
        !absl::EqualsIgnoreCase(value, "utf-8") || has_charset_utf8) {
      return std::nullopt;
    }
    has_charset_utf8 = true;
  }
  return MatchMediaType(media_type, has_charset_utf8);
}

absl::StatusOr<RequestOptions> ParseRequestHeaders(absl::Span<const Header> headers,
                                                   const ContentType& content_type) {
  RequestOptions options;
  if (Has(headers, "connect-protocol-version") &&
      Find(headers, "connect-protocol-version") != "1") {
    return absl::InvalidArgumentError(
        "connect-protocol-version: this server speaks version 1 of the Connect protocol");
  }
  if (Has(headers, "connect-timeout-ms")) {
    absl::string_view value = Find(headers, "connect-timeout-ms");
    bool digits = !value.empty() && value.size() <= 10;
    for (char c : value) digits = digits && absl::ascii_isdigit(c);
    int64_t millis = 0;
    if (!digits || !absl::SimpleAtoi(value, &millis) || millis <= 0) {
      return absl::InvalidArgumentError(
          "connect-timeout-ms: must be a positive number of milliseconds, at most 10 digits");
    }
    options.timeout = absl::Milliseconds(millis);
  }
  absl::string_view encoding_header =
      content_type.streaming ? "connect-content-encoding" : "content-encoding";
  if (Has(headers, encoding_header) &&
      !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(Find(headers, encoding_header)),
                              "identity")) {
    return absl::UnimplementedError(
        absl::StrCat(encoding_header, ": unsupported encoding; supported: identity"));
  }
  return options;
}

std::string EncodeEnvelope(uint8_t flags, absl::string_view message) {
  std::string envelope;
  envelope.reserve(kEnvelopeHeaderBytes + message.size());
  const uint32_t length = static_cast<uint32_t>(message.size());
  envelope.push_back(static_cast<char>(flags));
  envelope.push_back(static_cast<char>((length >> 24) & 0xff));
  envelope.push_back(static_cast<char>((length >> 16) & 0xff));
  envelope.push_back(static_cast<char>((length >> 8) & 0xff));
  envelope.push_back(static_cast<char>(length & 0xff));
  envelope.append(message.data(), message.size());
  return envelope;
}

std::string EncodeEndStream(const ConnectError* error, absl::Span<const Header> trailers) {
  std::string json = "{";
  if (error != nullptr) {
    json.append("\"error\":");
    json.append(ErrorJson(*error));
  }
  std::string metadata;
  AppendMetadata(&metadata, trailers);
  // AppendMetadata writes a leading comma, for after "error".
  if (!metadata.empty()) json.append(error != nullptr ? metadata : metadata.substr(1));
  json.push_back('}');
  return EncodeEnvelope(kFlagEndStream, json);
}

absl::StatusOr<absl::string_view> DecodeSingleEnvelope(absl::string_view body,
                                                       size_t max_message_bytes) {
  if (body.empty()) return absl::InvalidArgumentError("the request has no message");
  if (body.size() < kEnvelopeHeaderBytes) {
    return absl::InvalidArgumentError("the request body ends inside an envelope's header");
  }
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(body[i])); };
  const uint8_t flags = static_cast<uint8_t>(byte(0));
  const size_t length = (byte(1) << 24) | (byte(2) << 16) | (byte(3) << 8) | byte(4);
  if (length > max_message_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("the request message is ", length,
                                                     " bytes long; at most ", max_message_bytes,
                                                     " are allowed"));
  }
  if (flags & kFlagCompressed) {
    return absl::InvalidArgumentError(
        "the request message is marked compressed but connect-content-encoding is identity");
  }
  if (flags != 0) {
    return absl::InvalidArgumentError(absl::StrCat("the request envelope has flags ",
                                                   static_cast<int>(flags), "; requests send 0"));
  }
  if (body.size() - kEnvelopeHeaderBytes < length) {
    return absl::InvalidArgumentError("the request body ends inside its message");
  }
  if (body.size() - kEnvelopeHeaderBytes > length) {
    return absl::InvalidArgumentError(
        "the request body holds more than one message; this method takes one");
  }
  return body.substr(kEnvelopeHeaderBytes, length);
}

}  // namespace ndxp::gateway::json::connect
