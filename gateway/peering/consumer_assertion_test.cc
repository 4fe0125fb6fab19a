#include "gateway/peering/consumer_assertion.h"

#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/tls/openssl_ptr.h"

namespace ndxp::gateway {
namespace {

using ::testing::HasSubstr;

constexpr char kMethod[] = "/ndxp.residents.v1.ResidentRegistry/GetCitizen";
const absl::Time kNow = absl::FromUnixSeconds(1'780'000'000);

ConsumerAssertion Assertion() {
  ConsumerAssertion a;
  a.set_consumer("spiffe://ndxp.gov.vn/agency/000.01.05.H11/commune-office");
  a.set_method(kMethod);
  a.set_request_id("req-1");
  a.set_purpose("đăng ký khai sinh");
  a.set_issued_at_ms(absl::ToUnixMillis(kNow));
  a.set_expires_at_ms(absl::ToUnixMillis(kNow + absl::Seconds(10)));
  a.set_nonce(std::string(kAssertionNonceBytes, 'n'));
  return a;
}

CallToCheck Call() {
  // The purpose as it travels: percent-encoded (lower-case hex is valid too).
  return {kMethod, "req-1", "%c4%91%C4%83ng k%C3%BD khai sinh", kNow};
}

// The exporter secret of a connection, as both of its ends derive it.
constexpr char kConnectionSecret[] = "0123456789abcdef0123456789abcdef";

class ConsumerAssertionTest : public ::testing::Test {
 protected:
  KeyPtr signer_{EVP_EC_gen("P-256")};
  KeyPtr other_{EVP_EC_gen("P-256")};
  // The forwarding and the receiving end of one connection.
  AssertionMacKey sender_key_ = AssertionMacKey::FromSecret(kConnectionSecret);
  AssertionMacKey receiver_key_ = AssertionMacKey::FromSecret(kConnectionSecret);

  absl::StatusOr<ConsumerAssertion> OpenOnConnection(absl::string_view value) {
    return OpenAssertion(value, {signer_.get(), &receiver_key_}, Call());
  }
};

// Every check after the proof, for both forms.
enum class Proof { kSigned, kMac };

class EveryCheckTest : public ConsumerAssertionTest, public ::testing::WithParamInterface<Proof> {
 protected:
  absl::StatusOr<ConsumerAssertion> Open(const ConsumerAssertion& a, const CallToCheck& call) {
    absl::StatusOr<std::string> value = GetParam() == Proof::kMac
                                            ? MacAssertion(a, sender_key_)
                                            : SignAssertion(a, signer_.get());
    EXPECT_TRUE(value.ok()) << value.status();
    return OpenAssertion(*value, {signer_.get(), &receiver_key_}, call);
  }
};

INSTANTIATE_TEST_SUITE_P(BothForms, EveryCheckTest, ::testing::Values(Proof::kSigned, Proof::kMac),
                         [](const ::testing::TestParamInfo<Proof>& proof) {
                           return proof.param == Proof::kMac ? "Mac" : "Signed";
                         });

// "m1." base64url(payload) "." base64url(mac).
std::string MacValue(std::string payload, std::string mac) {
  return absl::StrCat(kMacAssertionPrefix, absl::WebSafeBase64Escape(payload), ".",
                      absl::WebSafeBase64Escape(mac));
}

TEST_F(ConsumerAssertionTest, MacdAssertionRoundTrips) {
  absl::StatusOr<std::string> value = MacAssertion(Assertion(), sender_key_);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_TRUE(absl::StartsWith(*value, "m1.")) << *value;
  absl::StatusOr<ConsumerAssertion> opened = OpenOnConnection(*value);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->consumer(), Assertion().consumer());
  EXPECT_EQ(opened->nonce(), Assertion().nonce());
}

TEST_F(ConsumerAssertionTest, AFlippedByteOfTheAssertionOrTheMacIsRefused) {
  const std::string payload = Assertion().SerializeAsString();
  const std::string mac = *sender_key_.Mac(payload);
  ASSERT_TRUE(OpenOnConnection(MacValue(payload, mac)).ok());
  for (size_t i : {size_t{0}, payload.size() / 2, payload.size() - 1}) {
    std::string flipped = payload;
    flipped[i] ^= 0x01;
    absl::StatusOr<ConsumerAssertion> opened = OpenOnConnection(MacValue(flipped, mac));
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated) << i;
    EXPECT_THAT(opened.status().message(),
                HasSubstr("x-ndxp-assertion: the MAC does not verify with this connection's "
                          "exporter key"))
        << i;
  }
  for (size_t i : {size_t{0}, mac.size() - 1}) {
    std::string flipped = mac;
    flipped[i] ^= 0x80;
    absl::StatusOr<ConsumerAssertion> opened = OpenOnConnection(MacValue(payload, flipped));
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated) << i;
    EXPECT_THAT(opened.status().message(), HasSubstr("the MAC does not verify")) << i;
  }
  absl::StatusOr<ConsumerAssertion> truncated =
      OpenOnConnection(MacValue(payload, mac.substr(0, 16)));
  EXPECT_THAT(truncated.status().message(), HasSubstr("the MAC does not verify"));
}

TEST_F(ConsumerAssertionTest, AMacOfAnotherConnectionsKeyIsRefused) {
  AssertionMacKey other_connection = AssertionMacKey::FromSecret("another connection's secret..");
  absl::StatusOr<std::string> value = MacAssertion(Assertion(), other_connection);
  ASSERT_TRUE(value.ok());
  absl::StatusOr<ConsumerAssertion> opened = OpenOnConnection(*value);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(opened.status().message(), HasSubstr("the MAC does not verify"));
}

TEST_F(ConsumerAssertionTest, AMacdAssertionOnAConnectionWithoutExporterKeyIsRefused) {
  absl::StatusOr<std::string> value = MacAssertion(Assertion(), sender_key_);
  ASSERT_TRUE(value.ok());
  AssertionMacKey plain(nullptr);  // no TLS (and so no TLS 1.3 exporter)
  for (AssertionMacKey* none : {static_cast<AssertionMacKey*>(nullptr), &plain}) {
    absl::StatusOr<ConsumerAssertion> opened = OpenAssertion(*value, {signer_.get(), none}, Call());
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(opened.status().message(), HasSubstr("no exporter key"));
  }
  EXPECT_EQ(MacAssertion(Assertion(), plain).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ConsumerAssertionTest, MalformedMacdValuesAreRefused) {
  for (const std::string& value : {std::string("m1."), std::string("m1.AAAA"),
                                   std::string("m1.!!.??"), std::string("m1.AAAA.AA.AA")}) {
    absl::StatusOr<ConsumerAssertion> opened = OpenOnConnection(value);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated) << value;
    EXPECT_THAT(opened.status().message(), HasSubstr("malformed: not m1.")) << value;
  }
}

// Receivers accept both forms (a federation upgrading hub by hub); a
// sender MACs where its connection has a key (TLS 1.3) and signs elsewhere.
TEST_F(ConsumerAssertionTest, TheSignedFormIsStillAcceptedAndSentWithoutAMacKey) {
  absl::StatusOr<std::string> signed_value = SignAssertion(Assertion(), signer_.get());
  ASSERT_TRUE(signed_value.ok());
  EXPECT_TRUE(OpenOnConnection(*signed_value).ok());

  absl::StatusOr<std::string> on_tls13 = ProveAssertion(Assertion(), sender_key_, signer_.get());
  ASSERT_TRUE(on_tls13.ok());
  EXPECT_TRUE(absl::StartsWith(*on_tls13, kMacAssertionPrefix));
  EXPECT_TRUE(OpenOnConnection(*on_tls13).ok());

  AssertionMacKey tls12(nullptr);
  absl::StatusOr<std::string> on_tls12 = ProveAssertion(Assertion(), tls12, signer_.get());
  ASSERT_TRUE(on_tls12.ok());
  EXPECT_FALSE(absl::StartsWith(*on_tls12, kMacAssertionPrefix));
  EXPECT_TRUE(OpenAssertion(*on_tls12, {signer_.get(), &tls12}, Call()).ok());
}

TEST_P(EveryCheckTest, SoundAssertionOpens) {
  absl::StatusOr<ConsumerAssertion> opened = Open(Assertion(), Call());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->consumer(), Assertion().consumer());
  EXPECT_EQ(opened->purpose(), "đăng ký khai sinh");
}

TEST_F(ConsumerAssertionTest, SignatureOfAnotherKeyIsRefused) {
  absl::StatusOr<std::string> value = SignAssertion(Assertion(), other_.get());
  ASSERT_TRUE(value.ok());
  absl::StatusOr<ConsumerAssertion> opened = OpenAssertion(*value, {signer_.get()}, Call());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(opened.status().message(), HasSubstr("signature does not verify"));
}

TEST_F(ConsumerAssertionTest, ModifiedPayloadIsRefused) {
  absl::StatusOr<std::string> value = SignAssertion(Assertion(), signer_.get());
  ASSERT_TRUE(value.ok());
  // The same signature over another consumer.
  ConsumerAssertion changed = Assertion();
  changed.set_consumer("spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup");
  std::string forged = absl::StrCat(absl::WebSafeBase64Escape(changed.SerializeAsString()),
                                    value->substr(value->find('.')));
  absl::StatusOr<ConsumerAssertion> opened = OpenAssertion(forged, {signer_.get()}, Call());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(opened.status().message(), HasSubstr("signature does not verify"));
}

TEST_F(ConsumerAssertionTest, MalformedValuesAreRefusedNotTrusted) {
  for (const std::string& value :
       {std::string(""), std::string("no-dot"), std::string("a.b.c"), std::string("!!.??"),
        std::string(".") , std::string(kMaxAssertionHeaderBytes + 1, 'A')}) {
    absl::StatusOr<ConsumerAssertion> opened = OpenAssertion(value, {signer_.get()}, Call());
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated) << value;
    EXPECT_THAT(opened.status().message(), HasSubstr("x-ndxp-assertion: ")) << value;
  }
  EXPECT_FALSE(OpenAssertion("AAAA.AAAA", {}, Call()).ok());
}

TEST_P(EveryCheckTest, ExpiredOrTooLongOrFutureIsRefused) {
  CallToCheck later = Call();
  later.now = kNow + absl::Seconds(10);
  EXPECT_THAT(Open(Assertion(), later).status().message(), HasSubstr("expired"));

  ConsumerAssertion long_lived = Assertion();
  long_lived.set_expires_at_ms(absl::ToUnixMillis(kNow + absl::Seconds(61)));
  EXPECT_THAT(Open(long_lived, Call()).status().message(), HasSubstr("valid for more than 60 s"));
  ConsumerAssertion backwards = Assertion();
  backwards.set_expires_at_ms(absl::ToUnixMillis(kNow - absl::Seconds(1)));
  EXPECT_THAT(Open(backwards, Call()).status().message(),
              HasSubstr("expires before it was issued"));

  CallToCheck earlier = Call();
  earlier.now = kNow - absl::Seconds(6);
  EXPECT_THAT(Open(Assertion(), earlier).status().message(), HasSubstr("issued in the future"));
  earlier.now = kNow - absl::Seconds(4);  // within the clock skew allowed
  EXPECT_TRUE(Open(Assertion(), earlier).ok());
}

TEST_P(EveryCheckTest, AnotherCallIsRefused) {
  CallToCheck other_method = Call();
  other_method.method = "/ndxp.residents.v1.ResidentRegistry/VerifyCitizen";
  EXPECT_THAT(Open(Assertion(), other_method).status().message(),
              HasSubstr("asserted for /ndxp.residents.v1.ResidentRegistry/GetCitizen, not for "
                        "/ndxp.residents.v1.ResidentRegistry/VerifyCitizen"));
  CallToCheck other_id = Call();
  other_id.request_id = "req-2";
  EXPECT_THAT(Open(Assertion(), other_id).status().message(), HasSubstr("request id"));
  CallToCheck no_id = Call();
  no_id.request_id = "";
  EXPECT_THAT(Open(Assertion(), no_id).status().message(), HasSubstr("request id"));
  CallToCheck other_purpose = Call();
  other_purpose.purpose = "marketing";
  EXPECT_THAT(Open(Assertion(), other_purpose).status().message(), HasSubstr("purpose"));
  CallToCheck no_purpose = Call();
  no_purpose.purpose = "";
  EXPECT_THAT(Open(Assertion(), no_purpose).status().message(), HasSubstr("purpose"));
}

TEST_P(EveryCheckTest, HopLimitIsPermissionDenied) {
  ConsumerAssertion one_before = Assertion();
  one_before.add_earlier_hubs("spiffe://ndxp.gov.vn/agency/000.00.00.H11/lgsp");
  EXPECT_TRUE(Open(one_before, Call()).ok());  // 3 hubs: the first, the sender, this one
  one_before.add_earlier_hubs("spiffe://ndxp.gov.vn/agency/000.00.00.A01/hub");
  absl::StatusOr<ConsumerAssertion> opened = Open(one_before, Call());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(opened.status().message(), HasSubstr("at most 3"));
}

TEST_P(EveryCheckTest, BadNonceIsRefused) {
  ConsumerAssertion a = Assertion();
  a.set_nonce("short");
  EXPECT_THAT(Open(a, Call()).status().message(), HasSubstr("nonce"));
}

}  // namespace
}  // namespace ndxp::gateway
