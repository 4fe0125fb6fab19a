#include "gateway/admission/admission.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "gateway/test_config.h"

namespace ndxp::gateway {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr char kGetCitizen[] = "/ndxp.residents.v1.ResidentRegistry/GetCitizen";
constexpr char kVerifyCitizen[] = "/ndxp.residents.v1.ResidentRegistry/VerifyCitizen";
constexpr char kCaller[] = "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup";

std::string FixedRequestId() { return "hub-generated"; }

class OperatorOnly final : public LocalMethod {
 public:
  Shape shape() const override { return Shape::kUnary; }
  bool operators_only() const override { return true; }
  grpc::Status Answer(const LocalCall&, grpc::ByteBuffer*, grpc::ByteBuffer*) const override {
    return grpc::Status::OK;
  }
};

class GrantedOrOperators final : public LocalMethod {
 public:
  Shape shape() const override { return Shape::kUnary; }
  bool operators_need_no_grant() const override { return true; }
  grpc::Status Answer(const LocalCall&, grpc::ByteBuffer*, grpc::ByteBuffer*) const override {
    return grpc::Status::OK;
  }
};

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionTest() {
    auto* grant = hub_.config.add_grants();
    grant->set_consumer("000.00.00.G12");
    grant->set_service("ndxp.residents.v1.ResidentRegistry");
    hub_.config.add_operators("000.00.00.A01");
    routes_ = *RouteTable::Build(hub_.config, *hub_.pool);
    policy_ = *AccessPolicy::Build(hub_.config, *routes_);
    local_ = std::make_unique<LocalServices>(hub_.pool.get(), std::vector<std::string>{});
    local_->Add("ndxp.hub.v1.Statistics", "GetCounts", std::make_unique<OperatorOnly>());
    local_->Add("ndxp.hub.v1.DataSubjectAccess", "ListAccesses",
                std::make_unique<GrantedOrOperators>());
    tables_ = {routes_.get(), policy_.get(), local_.get(), &FixedRequestId};
  }

  AdmissionDecision AdmitAs(const std::string& spiffe_id, absl::string_view method,
                            std::vector<RequestHeader> headers) {
    identity_source_ = spiffe_id;
    identity_ = ParseSpiffeId(identity_source_, "ndxp.gov.vn");
    return Admit(tables_, {method, &identity_, headers});
  }

  TestHubConfig hub_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<AccessPolicy> policy_;
  std::unique_ptr<LocalServices> local_;
  AdmissionTables tables_;
  std::string identity_source_;
  absl::StatusOr<ConsumerIdentity> identity_;
};

TEST_F(AdmissionTest, ForwardsAGrantedCallWithTheHubsHeaders) {
  AdmissionDecision d = AdmitAs(kCaller, kGetCitizen,
                                {{":path", kGetCitizen},
                                 {"te", "trailers"},
                                 {"grpc-timeout", "5S"},
                                 {"x-app", "1"},
                                 {"x-ndxp-purpose", "Ki%E1%BB%83m tra"},
                                 {"x-ndxp-request-id", "req-1"},
                                 {"x-ndxp-consumer", "spiffe://ndxp.gov.vn/agency/X/y"},
                                 {"x-ndxp-anything", "dropped"}});
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.refusal, Refusal::kNone);
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.route->full_method, kGetCitizen);
  EXPECT_EQ(d.request_id, "req-1");
  EXPECT_EQ(d.consumer, "000.00.00.G12/tax-lookup");
  EXPECT_EQ(d.purpose, "Ki\xe1\xbb\x83m tra") << "decoded for the audit log";
  EXPECT_EQ(d.upstream_headers,
            (std::vector<std::pair<std::string, std::string>>{
                {"x-app", "1"},
                {"x-ndxp-consumer", kCaller},
                {"x-ndxp-request-id", "req-1"},
                {"x-ndxp-purpose", "Ki%E1%BB%83m tra"}}));
}

TEST_F(AdmissionTest, GeneratesARequestIdWhenNoneIsSent) {
  AdmissionDecision d = AdmitAs(kCaller, kVerifyCitizen, {});
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.request_id, "hub-generated");
  EXPECT_THAT(d.upstream_headers, Contains(Pair("x-ndxp-request-id", "hub-generated")));
  EXPECT_THAT(d.upstream_headers, Not(Contains(Pair("x-ndxp-purpose", ::testing::_))));
}

struct RefusalCase {
  const char* why;
  std::string caller;
  std::string method;
  std::vector<std::pair<std::string, std::string>> headers;
  Refusal refusal;
  absl::StatusCode code;
  std::string message_names;
};

TEST_F(AdmissionTest, RefusalsInOrder) {
  const std::string purpose = "x-ndxp-purpose";
  const RefusalCase cases[] = {
      {"identity from another trust domain", "spiffe://other.example/agency/000.00.00.G12/x",
       kGetCitizen, {}, Refusal::kUnauthenticated, absl::StatusCode::kUnauthenticated,
       "trust domain"},
      {"identity beats bad headers", "spiffe://other.example/agency/000.00.00.G12/x",
       kGetCitizen, {{"Bad", "v"}}, Refusal::kUnauthenticated,
       absl::StatusCode::kUnauthenticated, "trust domain"},
      {"upper-case name", kCaller, kVerifyCitizen, {{"X-Custom", "v"}}, Refusal::kBadHeader,
       absl::StatusCode::kInvalidArgument, "X-Custom"},
      {"upper-case spoof", kCaller, kVerifyCitizen, {{"X-Ndxp-Consumer", "v"}},
       Refusal::kBadHeader, absl::StatusCode::kInvalidArgument, "X-Ndxp-Consumer"},
      {"space in name", kCaller, kVerifyCitizen, {{"x custom", "v"}}, Refusal::kBadHeader,
       absl::StatusCode::kInvalidArgument, "x custom"},
      {"control byte", kCaller, kVerifyCitizen, {{"x-app", "a\x01"}}, Refusal::kBadHeader,
       absl::StatusCode::kInvalidArgument, "x-app"},
      {"CR LF in value", kCaller, kVerifyCitizen, {{"x-app", "a\r\nb: c"}},
       Refusal::kBadHeader, absl::StatusCode::kInvalidArgument, "x-app"},
      {"non-ASCII value", kCaller, kVerifyCitizen, {{"x-app", "\xe9"}}, Refusal::kBadHeader,
       absl::StatusCode::kInvalidArgument, "x-app"},
      {"raw UTF-8 purpose", kCaller, kGetCitizen, {{purpose, "Ki\xe1\xbb\x83m"}},
       Refusal::kBadHeader, absl::StatusCode::kInvalidArgument, purpose},
      {"non-ASCII request id", kCaller, kVerifyCitizen, {{"x-ndxp-request-id", "m\xc3\xa3"}},
       Refusal::kBadHeader, absl::StatusCode::kInvalidArgument, "x-ndxp-request-id"},
      {"request id out of its alphabet", kCaller, kVerifyCitizen,
       {{"x-ndxp-request-id", "a/b"}}, Refusal::kBadHeader,
       absl::StatusCode::kInvalidArgument, "x-ndxp-request-id"},
      {"request id too long", kCaller, kVerifyCitizen,
       {{"x-ndxp-request-id", std::string(129, 'r')}}, Refusal::kBadHeader,
       absl::StatusCode::kInvalidArgument, "x-ndxp-request-id"},
      {"two request ids", kCaller, kVerifyCitizen,
       {{"x-ndxp-request-id", "a"}, {"x-ndxp-request-id", "b"}}, Refusal::kBadHeader,
       absl::StatusCode::kInvalidArgument, "more than once"},
      {"unknown method", kCaller, "/ndxp.residents.v1.ResidentRegistry/Nope", {},
       Refusal::kUnimplemented, absl::StatusCode::kUnimplemented, "Nope"},
      {"not granted", "spiffe://ndxp.gov.vn/agency/000.00.00.G99/x", kVerifyCitizen, {},
       Refusal::kPermissionDenied, absl::StatusCode::kPermissionDenied, "000.00.00.G99/x"},
      {"not an operator", kCaller, "/ndxp.hub.v1.Statistics/GetCounts", {},
       Refusal::kPermissionDenied, absl::StatusCode::kPermissionDenied, "not an operator"},
      {"personal data without purpose", kCaller, kGetCitizen, {}, Refusal::kMissingPurpose,
       absl::StatusCode::kInvalidArgument, purpose},
      {"blank purpose", kCaller, kGetCitizen, {{purpose, "  "}}, Refusal::kMissingPurpose,
       absl::StatusCode::kInvalidArgument, "blank"},
      {"over-long purpose", kCaller, kGetCitizen, {{purpose, std::string(513, 'p')}},
       Refusal::kMissingPurpose, absl::StatusCode::kInvalidArgument, "513"},
  };
  for (const RefusalCase& c : cases) {
    SCOPED_TRACE(c.why);
    std::vector<RequestHeader> headers;
    for (const auto& [name, value] : c.headers) headers.push_back({name, value});
    AdmissionDecision d = AdmitAs(c.caller, c.method, headers);
    EXPECT_EQ(d.refusal, c.refusal) << RefusalName(d.refusal) << ": " << d.status;
    EXPECT_EQ(d.status.code(), c.code);
    EXPECT_THAT(d.status.message(), HasSubstr(c.message_names));
    EXPECT_TRUE(d.upstream_headers.empty()) << "nothing to forward on a refusal";
    EXPECT_FALSE(d.request_id.empty()) << "refusals echo a request id too";
  }
}

// A refusal's message is kept in the audit row: a path that is not a gRPC
// method's (a REST path, a mistyped URL) may carry a personal ID and is
// never quoted.
TEST_F(AdmissionTest, AnUnroutedPathIsQuotedOnlyWhenItIsAMethodName) {
  AdmissionDecision d = AdmitAs(kCaller, "/ndxp.residents.v1.ResidentRegistry/Nope", {});
  EXPECT_THAT(d.status.message(), HasSubstr("/ndxp.residents.v1.ResidentRegistry/Nope"));
  for (absl::string_view path :
       {"/v1/citizens/079123456789", "/079123456789", "/a.b/079123456789", "/a/b/c",
        "/a..b/C", "/a.b/", "//x", "/citizens/A1234567", "/v1/status", "/ndxp.x/Get?id=079123456789", "/x/y 0791"}) {
    SCOPED_TRACE(path);
    d = AdmitAs(kCaller, path, {});
    EXPECT_EQ(d.refusal, Refusal::kUnimplemented);
    EXPECT_THAT(d.status.message(), HasSubstr("not quoted"));
    EXPECT_THAT(std::string(d.status.message()), Not(HasSubstr("0791")));
  }
}

TEST_F(AdmissionTest, ARefusalEchoesTheCallersValidRequestId) {
  AdmissionDecision d = AdmitAs(kCaller, kGetCitizen, {{"x-ndxp-request-id", "mine-1"}});
  EXPECT_EQ(d.refusal, Refusal::kMissingPurpose);
  EXPECT_EQ(d.request_id, "mine-1");
  d = AdmitAs(kCaller, kVerifyCitizen, {{"x-ndxp-request-id", "not valid"}});
  EXPECT_EQ(d.request_id, "hub-generated") << "an invalid id is never echoed";
}

// DataSubjectAccess: operators need no grant; anyone else does.
TEST_F(AdmissionTest, AMethodOpenToOperatorsAdmitsThemUngrantedAndOthersOnlyGranted) {
  constexpr char kListAccesses[] = "/ndxp.hub.v1.DataSubjectAccess/ListAccesses";
  constexpr char kOperator[] = "spiffe://ndxp.gov.vn/agency/000.00.00.A01/operator";
  AdmissionDecision d = AdmitAs(kOperator, kListAccesses, {});
  EXPECT_TRUE(d.status.ok()) << d.status;
  EXPECT_NE(d.local, nullptr);
  d = AdmitAs(kCaller, kListAccesses, {});
  EXPECT_EQ(d.refusal, Refusal::kPermissionDenied);
  EXPECT_THAT(d.status.message(), HasSubstr("is not granted"));
}

// Health and reflection are granted like routed services: to a consumer, a
// method of them, or every member ("*"); nobody reaches them ungranted.
TEST_F(AdmissionTest, TheHubsOwnServicesNeedAGrant) {
  constexpr char kCheck[] = "/grpc.health.v1.Health/Check";
  constexpr char kWatch[] = "/grpc.health.v1.Health/Watch";
  constexpr char kReflection[] = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
  constexpr char kStranger[] = "spiffe://ndxp.gov.vn/agency/000.00.00.G99/nobody";
  AdmissionDecision d = AdmitAs(kCaller, kCheck, {});
  EXPECT_EQ(d.refusal, Refusal::kPermissionDenied);
  EXPECT_EQ(d.status.message(), absl::StrCat(kCaller, " is not granted ", kCheck));
  EXPECT_EQ(d.local, nullptr);

  auto* health = hub_.config.add_grants();
  health->set_consumer("000.00.00.G12/tax-lookup");
  health->set_service("grpc.health.v1.Health");
  health->set_method("Check");
  auto* reflection = hub_.config.add_grants();
  reflection->set_consumer("*");
  reflection->set_service("grpc.reflection.v1.ServerReflection");
  policy_ = *AccessPolicy::Build(hub_.config, *routes_);
  tables_.policy = policy_.get();
  EXPECT_TRUE(AdmitAs(kCaller, kCheck, {}).status.ok());
  EXPECT_EQ(AdmitAs(kCaller, kWatch, {}).refusal, Refusal::kPermissionDenied) << "one method";
  EXPECT_EQ(AdmitAs(kStranger, kCheck, {}).refusal, Refusal::kPermissionDenied);
  d = AdmitAs(kStranger, kReflection, {});
  ASSERT_TRUE(d.status.ok()) << "every member: " << d.status;
  EXPECT_NE(d.local, nullptr);
}

TEST_F(AdmissionTest, OperatorsReachOperatorMethods) {
  AdmissionDecision d =
      AdmitAs("spiffe://ndxp.gov.vn/agency/000.00.00.A01/ops", "/ndxp.hub.v1.Statistics/GetCounts", {});
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_NE(d.local, nullptr);
}

}  // namespace
}  // namespace ndxp::gateway
