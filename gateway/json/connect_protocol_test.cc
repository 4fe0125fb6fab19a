#include "gateway/json/connect_protocol.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::json::connect {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::Pair;

// connectrpc.com/docs/protocol#error-codes, typed in again from the table.
TEST(ConnectCodesTest, EveryGrpcCodeByTheSpecificationsTable) {
  struct Row {
    absl::StatusCode code;
    const char* name;
    int http_status;
  };
  const Row rows[] = {
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
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(ConnectCodeName(row.code), row.name);
    EXPECT_EQ(HttpStatusForCode(row.code), row.http_status);
    EXPECT_THAT(CodeFromConnectName(row.name), Optional(row.code));
  }
  EXPECT_EQ(ConnectCodeName(static_cast<absl::StatusCode>(17)), "unknown");
  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kOk), 500);
  EXPECT_EQ(CodeFromConnectName("cancelled"), std::nullopt) << "Connect spells it canceled";
  EXPECT_EQ(CodeFromConnectName("ok"), std::nullopt);
}

TEST(ConnectErrorTest, FromGrpcTrailersWithDetails) {
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field("personal_id");
  violation->set_description("must be 12 digits");
  google::rpc::Status status;
  status.set_code(3);
  status.add_details()->PackFrom(bad_request);
  std::string details_bin = absl::Base64Escape(status.SerializeAsString());

  std::vector<Header> trailers = {
      {"grpc-status", "3"},
      {"grpc-message", "personal_id: ph%E1%BA%A3i c%C3%B3 12 ch%E1%BB%AF s%E1%BB%91"},
      {"grpc-status-details-bin", details_bin}};
  std::optional<ConnectError> error = ErrorFromGrpcTrailers(trailers);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error->message, "personal_id: phải có 12 chữ số");
  ASSERT_EQ(error->details.size(), 1u);
  EXPECT_EQ(error->details[0].type, "google.rpc.BadRequest");
  std::string value;
  ASSERT_TRUE(absl::Base64Unescape(error->details[0].value_base64, &value));
  EXPECT_EQ(value, bad_request.SerializeAsString());
  EXPECT_EQ(error->details[0].value_base64.find('='), std::string::npos) << "unpadded";
  EXPECT_EQ(ErrorJson(*error),
            "{\"code\":\"invalid_argument\",\"message\":\"personal_id: phải có 12 chữ số\","
            "\"details\":[{\"type\":\"google.rpc.BadRequest\",\"value\":\"" +
                error->details[0].value_base64 + "\"}]}");
}

TEST(ConnectErrorTest, StatusRules) {
  EXPECT_EQ(ErrorFromGrpcTrailers({{"grpc-status", "0"}}), std::nullopt);
  struct Case {
    std::vector<Header> trailers;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {{}, absl::StatusCode::kUnknown},
      {{{"grpc-status", "x"}}, absl::StatusCode::kUnknown},
      {{{"grpc-status", "17"}}, absl::StatusCode::kUnknown},
      {{{"grpc-status", "-1"}}, absl::StatusCode::kUnknown},
      {{{"grpc-status", "14"}}, absl::StatusCode::kUnavailable},
      // Details that do not decode leave the code and message standing.
      {{{"grpc-status", "5"}, {"grpc-status-details-bin", "!!"}}, absl::StatusCode::kNotFound},
  };
  for (const Case& c : cases) {
    std::optional<ConnectError> error = ErrorFromGrpcTrailers(c.trailers);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, c.code);
    EXPECT_TRUE(error->details.empty());
  }
}

TEST(ConnectErrorTest, JsonEscapesTheMessageAndLeavesOutEmptyParts) {
  EXPECT_EQ(ErrorJson(ErrorFromStatus(absl::UnavailableError(""))), R"({"code":"unavailable"})");
  EXPECT_EQ(ErrorJson(ErrorFromStatus(absl::NotFoundError("no \"x\"\n\\"))),
            R"({"code":"not_found","message":"no \"x\"\n\\"})");
  // Percent-decoding can yield any bytes; the JSON stays UTF-8.
  std::optional<ConnectError> error =
      ErrorFromGrpcTrailers({{"grpc-status", "13"}, {"grpc-message", "bad %FF byte"}});
  EXPECT_EQ(ErrorJson(*error), "{\"code\":\"internal\",\"message\":\"bad \xEF\xBF\xBD byte\"}");
}

TEST(ConnectMetadataTest, TrailersBecomePrefixedHeaders) {
  std::vector<Header> trailers = {{"grpc-status", "0"},
                                  {"grpc-message", "ok"},
                                  {"grpc-status-details-bin", "CAM"},
                                  {"x-ndxp-transaction-id", "t-42"},
                                  {"acme-cost-bin", "AAE"},
                                  {"connect-smuggled", "1"},
                                  {"content-type", "application/grpc"},
                                  {"Upper-Case", "x"},
                                  {"x-bad-value", "tab\there"},
                                  {"x-ndxp-transaction-id", "t-43"}};
  EXPECT_THAT(UnaryTrailerHeaders(trailers),
              ElementsAre(Pair("trailer-x-ndxp-transaction-id", "t-42"),
                          Pair("trailer-acme-cost-bin", "AAE"),
                          Pair("trailer-x-ndxp-transaction-id", "t-43")));
}

TEST(ConnectContentTypeTest, TheFourTypesAndNothingElse) {
  struct Case {
    const char* content_type;
    std::optional<Codec> codec;
    bool streaming;
  };
  const Case cases[] = {
      {"application/json", Codec::kJson, false},
      {"application/json; charset=utf-8", Codec::kJson, false},
      {"Application/JSON;charset=\"UTF-8\"", Codec::kJson, false},
      {"application/proto", Codec::kProto, false},
      {"application/connect+json", Codec::kJson, true},
      {"application/connect+json; charset=utf-8", Codec::kJson, true},
      {"application/connect+proto", Codec::kProto, true},
      {"application/json; charset=latin1", std::nullopt, false},
      {"application/json; charset=utf-8; charset=utf-8", std::nullopt, false},
      {"application/json; boundary=x", std::nullopt, false},
      {"application/proto; charset=utf-8", std::nullopt, false},
      {"application/grpc", std::nullopt, false},
      {"application/grpc+json", std::nullopt, false},
      {"application/x-protobuf", std::nullopt, false},
      {"text/plain", std::nullopt, false},
      {"", std::nullopt, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.content_type);
    std::optional<ContentType> type = ParseContentType(c.content_type);
    ASSERT_EQ(type.has_value(), c.codec.has_value());
    if (!type) continue;
    EXPECT_EQ(type->codec, *c.codec);
    EXPECT_EQ(type->streaming, c.streaming);
  }
  // A request without the header: a null view (crashed the hub before).
  EXPECT_FALSE(ParseContentType(absl::string_view()).has_value());
}

TEST(ConnectHeadersTest, VersionTimeoutAndEncoding) {
  const ContentType unary{Codec::kJson, false};
  const ContentType streaming{Codec::kJson, true};
  absl::StatusOr<RequestOptions> options = ParseRequestHeaders({}, unary);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->timeout, std::nullopt);

  options = ParseRequestHeaders({{"connect-protocol-version", "1"},
                                 {"connect-timeout-ms", "5000"},
                                 {"content-encoding", "identity"}},
                                unary);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->timeout, absl::Seconds(5));
  options = ParseRequestHeaders({{"connect-timeout-ms", "9999999999"}}, unary);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->timeout, absl::Milliseconds(9999999999));

  struct Case {
    std::vector<Header> headers;
    ContentType type;
    absl::StatusCode code;
    const char* names;
  };
  const Case cases[] = {
      {{{"connect-protocol-version", "2"}},
       unary,
       absl::StatusCode::kInvalidArgument,
       "connect-protocol-version"},
      {{{"connect-protocol-version", ""}},
       unary,
       absl::StatusCode::kInvalidArgument,
       "connect-protocol-version"},
      {{{"connect-timeout-ms", "0"}},
       unary,
       absl::StatusCode::kInvalidArgument,
       "connect-timeout-ms"},
      {{{"connect-timeout-ms", "12345678901"}},
       unary,
       absl::StatusCode::kInvalidArgument,
       "connect-timeout-ms"},
      {{{"connect-timeout-ms", "+5"}},
       unary,
       absl::StatusCode::kInvalidArgument,
       "connect-timeout-ms"},
      {{{"connect-timeout-ms", " 5"}},
       unary,
       absl::StatusCode::kInvalidArgument,
       "connect-timeout-ms"},
      {{{"connect-timeout-ms", ""}},
       unary,
       absl::StatusCode::kInvalidArgument,
       "connect-timeout-ms"},
      {{{"content-encoding", "gzip"}},
       unary,
       absl::StatusCode::kUnimplemented,
       "supported: identity"},
      {{{"connect-content-encoding", "br"}},
       streaming,
       absl::StatusCode::kUnimplemented,
       "connect-content-encoding"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.names);
    absl::StatusOr<RequestOptions> refused = ParseRequestHeaders(c.headers, c.type);
    EXPECT_EQ(refused.status().code(), c.code);
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(c.names));
  }
  // Streaming uses connect-content-encoding; content-encoding frames the
  // whole body and is not Connect's business there.
  EXPECT_TRUE(ParseRequestHeaders({{"connect-content-encoding", "identity"}}, streaming).ok());
}

TEST(ConnectEnvelopeTest, EncodesMessagesAndTheEndOfStream) {
  EXPECT_EQ(EncodeEnvelope(0, "{}"), std::string("\x00\x00\x00\x00\x02{}", 7));
  std::string long_message(0x010203, 'x');
  EXPECT_EQ(EncodeEnvelope(0, long_message).substr(0, 5), std::string("\x00\x00\x01\x02\x03", 5));

  EXPECT_EQ(EncodeEndStream(nullptr, {}), std::string("\x02\x00\x00\x00\x02{}", 7));
  ConnectError error = ErrorFromStatus(absl::UnavailableError("overloaded"));
  std::vector<Header> trailers = {
      {"grpc-status", "14"}, {"acme-cost", "237"}, {"acme-cost", "1"}, {"x-id", "a\"b"}};
  std::string end = EncodeEndStream(&error, trailers);
  const std::string json = R"({"error":{"code":"unavailable","message":"overloaded"},)"
                           R"("metadata":{"acme-cost":["237","1"],"x-id":["a\"b"]}})";
  EXPECT_EQ(end, EncodeEnvelope(kFlagEndStream, json));
  EXPECT_EQ(EncodeEndStream(nullptr, {{"acme-cost", "237"}}),
            EncodeEnvelope(kFlagEndStream, R"({"metadata":{"acme-cost":["237"]}})"));
}

TEST(ConnectEnvelopeTest, DecodesTheOneRequestMessage) {
  const std::string body = EncodeEnvelope(0, R"({"personalId":"1"})");  // the result views it
  absl::StatusOr<absl::string_view> message = DecodeSingleEnvelope(body, 1024);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(*message, R"({"personalId":"1"})");
  const std::string empty_message = EncodeEnvelope(0, "");
  message = DecodeSingleEnvelope(empty_message, 1024);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(*message, "");

  struct Case {
    std::string body;
    absl::StatusCode code;
    const char* says;
  };
  const Case cases[] = {
      {"", absl::StatusCode::kInvalidArgument, "no message"},
      {std::string("\x00\x00\x00", 3), absl::StatusCode::kInvalidArgument, "header"},
      {EncodeEnvelope(0, "abc").substr(0, 7), absl::StatusCode::kInvalidArgument,
       "inside its message"},
      {EncodeEnvelope(0, "a") + EncodeEnvelope(0, "b"), absl::StatusCode::kInvalidArgument,
       "more than one"},
      {EncodeEnvelope(kFlagCompressed, "a"), absl::StatusCode::kInvalidArgument, "compressed"},
      {EncodeEnvelope(kFlagEndStream, "{}"), absl::StatusCode::kInvalidArgument, "flags 2"},
      {EncodeEnvelope(0x80, "{}"), absl::StatusCode::kInvalidArgument, "flags 128"},
      {std::string(EncodeEnvelope(0, std::string(1025, 'x'))), absl::StatusCode::kResourceExhausted,
       "1025 bytes"},
      // The announced length alone refuses it, body or no body.
      {std::string("\x00\xff\xff\xff\xff", 5), absl::StatusCode::kResourceExhausted, "4294967295"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    absl::StatusOr<absl::string_view> refused = DecodeSingleEnvelope(c.body, 1024);
    EXPECT_EQ(refused.status().code(), c.code);
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(c.says));
  }
}

}  // namespace
}  // namespace ndxp::gateway::json::connect
