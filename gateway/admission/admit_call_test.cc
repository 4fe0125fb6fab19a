#include "gateway/admission/admit_call.h"

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/tls/openssl_ptr.h"
#include "gateway/test_config.h"

namespace ndxp::gateway {
namespace {

using ::testing::HasSubstr;

constexpr char kService[] = "ndxp.residents.v1.ResidentRegistry";
constexpr char kGetCitizen[] = "/ndxp.residents.v1.ResidentRegistry/GetCitizen";
constexpr char kVerifyCitizen[] = "/ndxp.residents.v1.ResidentRegistry/VerifyCitizen";
constexpr char kCaller[] = "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup";
constexpr char kStranger[] = "spiffe://ndxp.gov.vn/agency/000.00.00.Z99/nobody";
constexpr char kProvince[] = "spiffe://ndxp.gov.vn/agency/000.00.00.H11/lgsp";
constexpr char kCommune[] = "spiffe://ndxp.gov.vn/agency/000.01.05.H11/commune-office";
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::string FixedRequestId() { return "hub-generated"; }
std::string FixedNonce() { return std::string(16, 'n'); }

// One header block as a door would give it: a granted gRPC call of
// VerifyCitizen unless a test changes it.
struct Request {
  std::vector<std::pair<std::string, std::string>> headers = {
      {":method", "POST"},           {":scheme", "https"},
      {"x-ndxp-request-id", "req-1"},
      {":path", kVerifyCitizen},     {":authority", "hub"},
      {"content-type", "application/grpc"}, {"te", "trailers"},
      {"user-agent", "grpc-c++/1.51"}, {"x-app", "1"}};
  size_t extra_header_bytes = 0;  // beyond the headers kept

  Request& Set(const std::string& name, const std::string& value) {
    for (auto& header : headers) {
      if (header.first == name) {
        header.second = value;
        return *this;
      }
    }
    headers.emplace_back(name, value);
    return *this;
  }
  CallHead Head() const {
    CallHead head;
    for (const auto& [name, value] : headers) {
      head.Add(name, value);
      head.header_bytes += name.size() + value.size() + 32;
    }
    head.header_bytes += extra_header_bytes;
    return head;
  }
};

class AdmitCallTest : public ::testing::Test {
 protected:
  AdmitCallTest() {
    auto* grant = hub_.config.add_grants();
    grant->set_consumer("000.00.00.G12");
    grant->set_service(kService);
    auto* communes = hub_.config.add_grants();
    communes->set_consumer("000.01.05.H11");
    communes->set_service(kService);
    auto* peer = hub_.config.add_peers();
    peer->set_spiffe_id(kProvince);
    peer->add_may_assert("*.*.*.H11");
    auto* rate = hub_.config.add_quotas();  // one call of GetCitizen, then 1 per 1,000 s
    rate->set_consumer("000.00.00.G12");
    rate->set_service(kService);
    rate->set_method("GetCitizen");
    rate->set_calls_per_second(0.001);
    rate->set_burst(1);
    auto* open = hub_.config.add_quotas();  // two open calls of VerifyCitizen at once
    open->set_consumer("000.00.00.G12/tax-lookup");
    open->set_service(kService);
    open->set_method("VerifyCitizen");
    open->set_max_concurrent(2);
    Build();
  }

  void Build() {
    plans_.clear();  // their quota tickets point into the tables replaced here
    routes_ = *RouteTable::Build(hub_.config, *hub_.pool);
    policy_ = *AccessPolicy::Build(hub_.config, *routes_);
    local_ = std::make_unique<LocalServices>(hub_.pool.get(), std::vector<std::string>{kService});
    peers_ = *PeerTable::Build(hub_.config);
    quotas_ = QuotaTable::Build(hub_.config, *routes_);
    context_.tables = {routes_.get(), policy_.get(), local_.get(), &FixedRequestId};
    context_.peers = peers_.get();
    context_.replays = &replays_;
    context_.quotas = quotas_.get();
    context_.default_deadline = absl::Seconds(30);
    context_.max_deadline = absl::Seconds(300);
    context_.assertion_lifetime = absl::Seconds(10);
    context_.new_nonce = &FixedNonce;
    transcoder_ = std::make_unique<json::JsonTranscoder>(hub_.pool.get());
    rest_ = *json::RestMapping::Compile({hub_.pool->FindServiceByName(kService)},
                                        transcoder_.get());
    context_.json = transcoder_.get();
    context_.rest = rest_.get();
  }

  // Admits `request` from the connection of `spiffe_id` into a new plan.
  CallPlan& Admit(const Request& request, const std::string& spiffe_id = kCaller,
                  EVP_PKEY* key = nullptr) {
    identities_.push_back(std::make_unique<absl::StatusOr<ConsumerIdentity>>(
        ParseSpiffeId(*names_.emplace_back(std::make_unique<std::string>(spiffe_id)),
                      "ndxp.gov.vn")));
    heads_.push_back(std::make_unique<CallHead>(request.Head()));
    plans_.push_back(std::make_unique<CallPlan>());
    AdmitCall(context_, *heads_.back(), {identities_.back().get(), key}, kNow, *plans_.back());
    return *plans_.back();
  }

  // A peer's assertion of `consumer` for `method`, signed with key_.
  std::string Asserted(const std::string& consumer, const std::string& method,
                       const std::string& nonce, std::vector<std::string> earlier = {}) {
    ConsumerAssertion a;
    a.set_consumer(consumer);
    a.set_method(method);
    a.set_request_id("req-1");
    a.set_issued_at_ms(absl::ToUnixMillis(kNow));
    a.set_expires_at_ms(absl::ToUnixMillis(kNow + absl::Seconds(10)));
    a.set_nonce(nonce);
    for (const std::string& hub : earlier) a.add_earlier_hubs(hub);
    return *SignAssertion(a, key_.get());
  }

  TestHubConfig hub_;
  std::unique_ptr<json::JsonTranscoder> transcoder_;
  std::unique_ptr<json::RestMapping> rest_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<AccessPolicy> policy_;
  std::unique_ptr<LocalServices> local_;
  std::unique_ptr<PeerTable> peers_;
  std::unique_ptr<QuotaTable> quotas_;
  ReplayGuard replays_;
  AdmissionContext context_;
  KeyPtr key_{EVP_EC_gen("P-256")};
  std::vector<std::unique_ptr<std::string>> names_;
  std::vector<std::unique_ptr<absl::StatusOr<ConsumerIdentity>>> identities_;
  std::vector<std::unique_ptr<CallHead>> heads_;
  std::vector<std::unique_ptr<CallPlan>> plans_;
};

std::vector<std::pair<std::string, std::string>> Fields(const HeaderList& list) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : list) out.emplace_back(name, value);
  return out;
}

TEST_F(AdmitCallTest, AGrantedCallGetsItsPlanAndTheExactUpstreamHeaders) {
  CallPlan& plan = Admit(Request()
                             .Set("grpc-timeout", "5S")
                             .Set("grpc-encoding", "gzip")
                             .Set("x-ndxp-request-id", "req-1")
                             .Set("x-ndxp-consumer", "spiffe://ndxp.gov.vn/agency/X/spoofed"));
  ASSERT_TRUE(plan.status.ok()) << plan.status;
  EXPECT_EQ(plan.refusal, Refusal::kNone);
  ASSERT_NE(plan.route, nullptr);
  EXPECT_EQ(plan.route->full_method, kVerifyCitizen);
  EXPECT_EQ(plan.local, nullptr);
  EXPECT_EQ(plan.request_id, "req-1");
  EXPECT_EQ(plan.consumer, "000.00.00.G12/tax-lookup");
  EXPECT_EQ(plan.deadline, absl::Seconds(5));
  EXPECT_EQ(plan.assertion, nullptr);
  EXPECT_EQ(plan.via, "");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {":method", "POST"},
      {":scheme", "https"},
      {":path", kVerifyCitizen},
      {":authority", "127.0.0.1:1"},
      {"te", "trailers"},
      {"grpc-timeout", "5000000u"},
      {"content-type", "application/grpc"},
      {"user-agent", "grpc-c++/1.51"},
      {"grpc-encoding", "gzip"},
      {"x-app", "1"},
      {"x-ndxp-consumer", kCaller},
      {"x-ndxp-request-id", "req-1"}};
  EXPECT_EQ(Fields(plan.upstream_headers), expected);
}

// The REST door: the method comes from the path's google.api.http rule
// (GetCitizen: GET /v1/citizens/{personal_id}) and is admitted as that
// method; the connector gets a plain gRPC call of it. A path no rule maps
// is NOT_FOUND, never quoted.
TEST_F(AdmitCallTest, ARestPathIsAdmittedAsItsMappedMethod) {
  Request rest;
  rest.Set(":method", "GET").Set(":path", "/v1/citizens/079123456789?readMask=fullName");
  rest.headers.erase(std::find_if(rest.headers.begin(), rest.headers.end(),
                                  [](const auto& h) { return h.first == "content-type"; }));
  rest.Set("x-ndxp-purpose", "tax");
  Request head = rest;
  CallHead call = head.Head();
  call.door = Door::kRest;
  heads_.push_back(std::make_unique<CallHead>(call));
  CallPlan& plan = *plans_.emplace_back(std::make_unique<CallPlan>());
  absl::StatusOr<ConsumerIdentity> identity = ParseSpiffeId(kCaller, "ndxp.gov.vn");
  AdmitCall(context_, *heads_.back(), {&identity, nullptr}, kNow, plan);
  ASSERT_TRUE(plan.status.ok()) << plan.status;
  ASSERT_NE(plan.route, nullptr);
  EXPECT_EQ(plan.route->full_method, kGetCitizen);
  ASSERT_TRUE(plan.rest.has_value());
  EXPECT_EQ(plan.rest->path_values, std::vector<std::string>{"079123456789"});
  EXPECT_EQ(plan.codec, json::connect::Codec::kJson);
  const auto upstream = Fields(plan.upstream_headers);
  EXPECT_EQ(upstream[2], (std::pair<std::string, std::string>(":path", kGetCitizen)));
  EXPECT_THAT(upstream, ::testing::Contains(std::pair<std::string, std::string>(
                            "x-ndxp-request-id", "req-1")));
  EXPECT_THAT(upstream, ::testing::Contains(std::pair<std::string, std::string>(
                            "content-type", "application/grpc")));

  struct Case {
    const char* why;
    const char* method;
    const char* path;
    const char* content_type;
    const char* caller;
    Refusal refusal;
    absl::StatusCode code;
    int http_status;
    const char* message_has;
  } cases[] = {
      {"no rule maps the path", "GET", "/v1/nothing/079123456789", "", kCaller,
       Refusal::kUnimplemented, absl::StatusCode::kNotFound, 0, "no REST mapping"},
      {"mapped for another method", "DELETE", "/v1/citizens/079123456789", "", kCaller,
       Refusal::kUnimplemented, absl::StatusCode::kNotFound, 0, "mapped for GET, not DELETE"},
      {"not granted", "GET", "/v1/citizens/079123456789", "", kStranger,
       Refusal::kPermissionDenied, absl::StatusCode::kPermissionDenied, 0, "not granted"},
      {"a body that is not JSON", "POST", "/v1/citizens:verify", "text/plain", kCaller,
       Refusal::kBadRequest, absl::StatusCode::kInvalidArgument, 415, "application/json"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    Request request = rest;
    request.Set(":method", c.method).Set(":path", c.path);
    if (*c.content_type != 0) request.Set("content-type", c.content_type);
    CallHead head_of = request.Head();
    head_of.door = Door::kRest;
    heads_.push_back(std::make_unique<CallHead>(head_of));
    CallPlan& refused = *plans_.emplace_back(std::make_unique<CallPlan>());
    absl::StatusOr<ConsumerIdentity> who = ParseSpiffeId(c.caller, "ndxp.gov.vn");
    AdmitCall(context_, *heads_.back(), {&who, nullptr}, kNow, refused);
    EXPECT_EQ(refused.refusal, c.refusal) << refused.status;
    EXPECT_EQ(refused.status.code(), c.code);
    EXPECT_EQ(refused.http_status, c.http_status);
    EXPECT_THAT(refused.status.message(), HasSubstr(c.message_has));
    EXPECT_THAT(std::string(refused.status.message()), ::testing::Not(HasSubstr("0791")));
    EXPECT_EQ(refused.request_id, "req-1");
  }
}

TEST_F(AdmitCallTest, TheDeadlineIsTheCallersTheDefaultOrTheCap) {
  EXPECT_EQ(Admit(Request()).deadline, absl::Seconds(30)) << "the default";
  EXPECT_EQ(Admit(Request().Set("grpc-timeout", "250m")).deadline, absl::Milliseconds(250));
  EXPECT_EQ(Admit(Request().Set("grpc-timeout", "99999999H")).deadline, absl::Seconds(300))
      << "the hub's cap";
  hub_.config.mutable_routes(0)->set_max_deadline_ms(3'600'000);
  Build();
  EXPECT_EQ(Admit(Request().Set("grpc-timeout", "99999999H")).deadline, absl::Hours(1))
      << "the route's own cap";
}

// Every refusal kind, each from a call that fails that one check.
struct RefusalCase {
  const char* name;
  Request request;
  const char* caller;
  Refusal refusal;
  absl::StatusCode code;
  const char* says;
};

TEST_F(AdmitCallTest, EveryRefusalKindHasItsStatusAndMessage) {
  Request too_large;
  too_large.extra_header_bytes = kMaxRequestHeaderBytes;
  const RefusalCase cases[] = {
      {"header block over the limit", too_large, kCaller, Refusal::kHeadersTooLarge,
       absl::StatusCode::kResourceExhausted, "over the limit of 8192"},
      {"no valid identity", Request(), "spiffe://other.domain/agency/000.00.00.G12/x",
       Refusal::kUnauthenticated, absl::StatusCode::kUnauthenticated, "other.domain"},
      {"a bad header", Request().Set("x-app", "caf\xc3\xa9"), kCaller, Refusal::kBadHeader,
       absl::StatusCode::kInvalidArgument, "x-app"},
      {"an unknown method", Request().Set(":path", "/ndxp.residents.v1.ResidentRegistry/Nope"),
       kCaller, Refusal::kUnimplemented, absl::StatusCode::kUnimplemented, "no route"},
      {"not granted", Request(), kStranger, Refusal::kPermissionDenied,
       absl::StatusCode::kPermissionDenied, "is not granted"},
      {"personal data without a purpose", Request().Set(":path", kGetCitizen), kCaller,
       Refusal::kMissingPurpose, absl::StatusCode::kInvalidArgument, "x-ndxp-purpose"},
      {"not a POST", Request().Set(":method", "GET"), kCaller, Refusal::kBadRequest,
       absl::StatusCode::kInvalidArgument, "POST"},
      {"not gRPC's content type", Request().Set("content-type", "application/json"), kCaller,
       Refusal::kBadRequest, absl::StatusCode::kInvalidArgument, "application/json"},
      {"gRPC-Web is another protocol", Request().Set("content-type", "application/grpc-web"),
       kCaller, Refusal::kBadRequest, absl::StatusCode::kInvalidArgument, "application/grpc-web"},
      {"a malformed grpc-timeout", Request().Set("grpc-timeout", "1.5S"), kCaller,
       Refusal::kBadRequest, absl::StatusCode::kInvalidArgument, "grpc-timeout"},
      {"too large with the hub's own headers", Request().Set("x-big", std::string(7600, 'b')),
       kCaller, Refusal::kHeadersTooLarge, absl::StatusCode::kResourceExhausted,
       "connectors' limit"},
      {"an assertion from a member that is no peer",
       Request().Set("x-ndxp-assertion", "anything"), kCaller, Refusal::kPermissionDenied,
       absl::StatusCode::kPermissionDenied, "not a peer hub"},
  };
  for (const RefusalCase& c : cases) {
    SCOPED_TRACE(c.name);
    CallPlan& plan = Admit(c.request, c.caller);
    EXPECT_EQ(plan.refusal, c.refusal);
    EXPECT_EQ(plan.status.code(), c.code) << plan.status;
    EXPECT_THAT(plan.status.message(), HasSubstr(c.says));
    EXPECT_EQ(plan.route, nullptr);
    EXPECT_TRUE(plan.upstream_headers.empty());
    EXPECT_FALSE(plan.request_id.empty()) << "a refusal names its request too";
  }
}

TEST_F(AdmitCallTest, ChecksComeInOrderTheFirstFailingNamesTheRefusal) {
  // Not granted and not gRPC: the grant is checked first.
  EXPECT_EQ(Admit(Request().Set("content-type", "text/plain"), kStranger).refusal,
            Refusal::kPermissionDenied);
  // A bad header and an unknown method: the headers first.
  EXPECT_EQ(Admit(Request().Set("x-app", "\x01").Set(":path", "/a.B/C")).refusal,
            Refusal::kBadHeader);
  // A malformed timeout on a call past its quota: the timeout (no quota spent).
  Request citizen = Request().Set(":path", kGetCitizen).Set("x-ndxp-purpose", "audit");
  EXPECT_EQ(Admit(Request(citizen).Set("grpc-timeout", "x")).refusal, Refusal::kBadRequest);
}

// What a call refused for any other reason must not spend: the quota, an
// open-call slot (failed before: the content type was checked after them).
TEST_F(AdmitCallTest, ARefusedCallSpendsNoQuotaNorOpenCallSlot) {
  Request citizen = Request().Set(":path", kGetCitizen).Set("x-ndxp-purpose", "audit");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Admit(Request(citizen).Set("content-type", "application/json")).refusal,
              Refusal::kBadRequest);
    EXPECT_EQ(Admit(Request(citizen).Set("grpc-timeout", "soon")).refusal, Refusal::kBadRequest);
  }
  CallPlan& first = Admit(citizen);
  EXPECT_TRUE(first.status.ok()) << "the burst of one is still there: " << first.status;
  CallPlan& second = Admit(citizen);
  EXPECT_EQ(second.refusal, Refusal::kOverQuota);
  EXPECT_EQ(second.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GT(second.retry_after, absl::Seconds(900)) << "about 1,000 s until the next call";

  // A quota's cap on open calls: two held, the third refused, a freed slot
  // reused.
  CallPlan& a = Admit(Request());
  CallPlan& b = Admit(Request());
  ASSERT_TRUE(a.status.ok() && b.status.ok());
  EXPECT_EQ(Admit(Request().Set("content-type", "bad")).refusal, Refusal::kBadRequest);
  CallPlan& third = Admit(Request());
  EXPECT_EQ(third.refusal, Refusal::kOverQuota);
  EXPECT_EQ(third.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third.status.message(), HasSubstr("2 calls open at once"));
  a.quota = QuotaTicket();  // the first call ends
  EXPECT_TRUE(Admit(Request()).status.ok());
}

TEST_F(AdmitCallTest, TheDefaultCapOnOpenCallsOfOneConsumerToOneRoute) {
  hub_.config.mutable_limits()->set_max_calls_per_consumer_route(1);
  Build();
  Request search = Request().Set(":path", "/ndxp.residents.v1.ResidentRegistry/IssuePersonalId");
  CallPlan& held = Admit(search);
  ASSERT_TRUE(held.status.ok()) << held.status;
  EXPECT_EQ(Admit(Request(search).Set("content-type", "x")).refusal, Refusal::kBadRequest);
  CallPlan& refused = Admit(search);
  EXPECT_EQ(refused.refusal, Refusal::kOverConcurrency);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GT(refused.retry_after, absl::ZeroDuration());
  held.quota = QuotaTicket();
  EXPECT_TRUE(Admit(search).status.ok()) << "the slot is free again";
}

TEST_F(AdmitCallTest, APeerHubsMemberIsAdmittedAsItselfOnceAndRecordedVia) {
  const std::string nonce(16, 'a');
  Request request = Request().Set("x-ndxp-assertion", Asserted(kCommune, kVerifyCitizen, nonce));
  CallPlan& plan = Admit(request, kProvince, key_.get());
  ASSERT_TRUE(plan.status.ok()) << plan.status;
  EXPECT_EQ(plan.consumer, "000.01.05.H11/commune-office");
  EXPECT_EQ(plan.via, "000.00.00.H11/lgsp");
  EXPECT_EQ((*plan.identity)->spiffe_id, kCommune);
  EXPECT_EQ(Fields(plan.upstream_headers).back().first, "x-ndxp-request-id");
  // The same assertion again: a replay.
  CallPlan& again = Admit(request, kProvince, key_.get());
  EXPECT_EQ(again.refusal, Refusal::kUnauthenticated);
  EXPECT_THAT(again.status.message(), HasSubstr("replayed"));
  EXPECT_EQ(again.via, "000.00.00.H11/lgsp") << "a refusal after the assertion names the peer";
  // Two assertions on one call.
  Request twice = Request(request);
  twice.headers.emplace_back("x-ndxp-assertion", "another");
  EXPECT_EQ(Admit(twice, kProvince, key_.get()).refusal, Refusal::kUnauthenticated);
}

TEST_F(AdmitCallTest, ARefusedAssertedCallLeavesItsNonceUnspent) {
  const std::string nonce(16, 'b');
  // The commune may not call ListRelatives without a purpose: refused, and
  // the assertion's nonce is not taken, so the peer's retry is no replay.
  const std::string list = "/ndxp.residents.v1.ResidentRegistry/ListRelatives";
  Request request = Request().Set(":path", list).Set("x-ndxp-assertion",
                                                      Asserted(kCommune, list, nonce));
  EXPECT_EQ(Admit(request, kProvince, key_.get()).refusal, Refusal::kMissingPurpose);
  EXPECT_TRUE(replays_.FirstUse(nonce, kNow + absl::Seconds(10), kNow).ok())
      << "the nonce was not spent by a refused call";
}

TEST_F(AdmitCallTest, APeerRouteGetsAnAssertionWithinTheHopLimit) {
  hub_.config.mutable_routes(0)->set_peer_hub(kProvince);
  Build();
  CallPlan& plan = Admit(Request());
  ASSERT_TRUE(plan.status.ok()) << plan.status;
  ASSERT_NE(plan.assertion, nullptr);
  EXPECT_EQ(plan.assertion->consumer(), kCaller);
  EXPECT_EQ(plan.assertion->method(), kVerifyCitizen);
  EXPECT_EQ(plan.assertion->nonce(), FixedNonce());
  EXPECT_EQ(plan.assertion->expires_at_ms(), absl::ToUnixMillis(kNow + absl::Seconds(10)));
  // A call already asserted by a peer through one more hub: past the limit
  // of three hubs once forwarded again.
  Request relayed = Request().Set(
      "x-ndxp-assertion", Asserted(kCommune, kVerifyCitizen, std::string(16, 'c'),
                                   {"spiffe://ndxp.gov.vn/agency/000.00.00.H12/lgsp"}));
  CallPlan& looped = Admit(relayed, kProvince, key_.get());
  EXPECT_EQ(looped.refusal, Refusal::kPermissionDenied);
  EXPECT_THAT(looped.status.message(), HasSubstr("at most 3"));
}

TEST_F(AdmitCallTest, TheHubsOwnMethodsNeedAGrantAndTakeNoCompression) {
  const std::string check = "/grpc.health.v1.Health/Check";
  EXPECT_EQ(Admit(Request().Set(":path", check)).refusal, Refusal::kPermissionDenied);
  auto* health = hub_.config.add_grants();
  health->set_consumer("*");
  health->set_service("grpc.health.v1.Health");
  Build();
  CallPlan& plan = Admit(Request().Set(":path", check));
  ASSERT_TRUE(plan.status.ok()) << plan.status;
  EXPECT_NE(plan.local, nullptr);
  EXPECT_EQ(plan.route, nullptr);
  CallPlan& gzip = Admit(Request().Set(":path", check).Set("grpc-encoding", "gzip"));
  EXPECT_EQ(gzip.refusal, Refusal::kBadRequest);
  EXPECT_EQ(gzip.status.code(), absl::StatusCode::kUnimplemented);
}

TEST_F(AdmitCallTest, TheSameCallGetsTheSamePlan) {
  Request request = Request().Set("grpc-timeout", "2S");
  CallPlan& a = Admit(request);
  CallPlan& b = Admit(request);
  EXPECT_EQ(a.request_id, b.request_id);
  EXPECT_EQ(Fields(a.upstream_headers), Fields(b.upstream_headers));
  EXPECT_EQ(a.deadline, b.deadline);
}

}  // namespace
}  // namespace ndxp::gateway
