#include "gateway/identity/subject_token.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/substitute.h"
#include "common/protocol/base64url.h"
#include "common/tls/signature.h"

namespace ndxp::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using protocol::EncodeBase64Url;

constexpr char kIssuer[] = "https://id.gov.vn";
constexpr char kAudience[] = "ndxp-hub";
// A personal ID: no refusal may show it.
constexpr char kSub[] = "001099012345";
constexpr char kHeader[] = R"({"alg":"ES256","typ":"JWT"})";

KeyPtr NewKey(const char* type, const char* curve = nullptr) {
  KeyPtr key(curve ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve)
                   : EVP_PKEY_Q_keygen(nullptr, nullptr, type));
  EXPECT_NE(key, nullptr) << type;
  return key;
}

KeyPtr NewRsaKey() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  EXPECT_NE(key, nullptr);
  return key;
}

std::string Pem(EVP_PKEY* key, bool private_key = false) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (private_key) {
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio.get(), key);
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// OpenSSL's DER ECDSA signature as JWS's R‖S, each `half` bytes.
std::string RawFromDer(const std::string& der, int half) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  std::string raw(2 * half, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, half);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + half, half);
  return raw;
}

std::string SigningInput(absl::string_view header, absl::string_view payload) {
  return absl::StrCat(EncodeBase64Url(header), ".", EncodeBase64Url(payload));
}

// `input` and the EC `key`'s signature of it (R‖S): a compact JWS when
// `input` is one's first two parts.
std::string SignInput(EVP_PKEY* key, const std::string& input, int half = 32) {
  absl::StatusOr<std::string> der = SignBytes(key, input);
  EXPECT_TRUE(der.ok()) << der.status();
  return absl::StrCat(input, ".", EncodeBase64Url(RawFromDer(*der, half)));
}

std::string SignedToken(EVP_PKEY* key, absl::string_view header, absl::string_view payload,
                        int half = 32) {
  return SignInput(key, SigningInput(header, payload), half);
}

class SubjectTokenTest : public ::testing::Test {
 protected:
  SubjectTokenTest() : provider_(NewKey("EC", "P-256")) {
    SubjectTokenOptions options;
    options.issuer = kIssuer;
    options.audience = kAudience;
    options.clock = &clock_;
    auto verifier = SubjectTokenVerifier::Create(Pem(provider_.get()), options);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
  }

  int64_t Now() { return absl::ToUnixSeconds(clock_.Now()); }

  // The claims of a good token issued now for five minutes, then `extra`
  // (",\"nbf\":..."): a test needing another value of a claim replaces it.
  std::string Claims(absl::string_view extra = "") {
    return absl::Substitute(R"({"iss":"$0","aud":"$1","sub":"$2","iat":$3,"exp":$4$5})", kIssuer,
                            kAudience, kSub, Now(), Now() + 300, extra);
  }

  std::string Token(absl::string_view payload) {
    return SignedToken(provider_.get(), kHeader, payload);
  }

  void ExpectRefused(const std::string& token, absl::string_view why) {
    absl::StatusOr<VerifiedSubject> subject = verifier_->Verify(token);
    ASSERT_FALSE(subject.ok()) << "accepted: " << why;
    EXPECT_EQ(subject.status().code(), absl::StatusCode::kUnauthenticated);
    const std::string message(subject.status().message());
    EXPECT_THAT(message, HasSubstr(why));
    EXPECT_THAT(message, Not(HasSubstr(kSub)));
    for (absl::string_view part : absl::StrSplit(token, '.')) {
      if (part.size() >= 8) {
        EXPECT_THAT(message, Not(HasSubstr(part.substr(0, 8))));
      }
    }
  }

  void ExpectAccepted(const std::string& token) {
    absl::StatusOr<VerifiedSubject> subject = verifier_->Verify(token);
    ASSERT_TRUE(subject.ok()) << subject.status();
    EXPECT_EQ(subject->sub, kSub);
  }

  FakeClock clock_;
  KeyPtr provider_;
  std::unique_ptr<SubjectTokenVerifier> verifier_;
};

TEST_F(SubjectTokenTest, AValidTokenGivesItsSubjectAndTimes) {
  const int64_t now = Now();
  absl::StatusOr<VerifiedSubject> subject = verifier_->Verify(Token(Claims()));
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->sub, kSub);
  EXPECT_EQ(subject->expires, absl::FromUnixSeconds(now + 300));
  EXPECT_EQ(subject->issued_at, absl::FromUnixSeconds(now));
  // typ is optional.
  ExpectAccepted(SignedToken(provider_.get(), R"({"alg":"ES256"})", Claims()));
}

TEST_F(SubjectTokenTest, TheAudienceMayBeAnArrayHoldingIt) {
  const std::string payload = absl::Substitute(
      R"({"iss":"$0","aud":["portal","$1"],"sub":"$2","exp":$3})", kIssuer, kAudience, kSub,
      Now() + 300);
  ExpectAccepted(Token(payload));
  ExpectRefused(Token(absl::StrReplaceAll(payload, {{kAudience, "other-hub"}})),
                "token audience (aud) does not name \"ndxp-hub\"");
  ExpectRefused(Token(absl::StrReplaceAll(payload, {{absl::StrCat("\"", kAudience, "\""), "7"}})),
                "token audience");
}

TEST_F(SubjectTokenTest, AnotherAudienceOrIssuerIsRefused) {
  ExpectRefused(Token(absl::StrReplaceAll(Claims(), {{kAudience, "ndxp-hub-2"}})),
                "token audience (aud) does not name \"ndxp-hub\"");
  ExpectRefused(Token(absl::StrReplaceAll(Claims(), {{R"("aud":"ndxp-hub",)", ""}})),
                "token audience (aud) is missing");
  ExpectRefused(Token(absl::StrReplaceAll(Claims(), {{kIssuer, "https://id.example"}})),
                "token issuer \"https://id.example\" is not \"https://id.gov.vn\"");
  ExpectRefused(Token(absl::StrReplaceAll(Claims(), {{R"("iss":"https://id.gov.vn",)", ""}})),
                "token issuer (iss) is missing");
}

TEST_F(SubjectTokenTest, ExpiryIsCheckedWithTheSkewAtItsBoundary) {
  const std::string token = Token(Claims());  // exp: now + 300 s; skew 60 s
  clock_.Advance(absl::Seconds(300 + 60) - absl::Nanoseconds(1));
  ExpectAccepted(token);
  clock_.Advance(absl::Nanoseconds(1));
  ExpectRefused(token, "token expired at 2026-01-01T00:05:00Z");
}

TEST_F(SubjectTokenTest, ATokenNotYetValidIsRefused) {
  // nbf within the skew passes, beyond it does not.
  ExpectAccepted(Token(Claims(absl::StrCat(R"(,"nbf":)", Now() + 60))));
  ExpectRefused(Token(Claims(absl::StrCat(R"(,"nbf":)", Now() + 61))), "token not yet valid");
  const std::string issued_later = absl::Substitute(
      R"({"iss":"$0","aud":"$1","sub":"$2","iat":$3,"exp":$4})", kIssuer, kAudience, kSub,
      Now() + 61, Now() + 300);
  ExpectRefused(Token(issued_later), "token not yet valid: issued at");
  clock_.Advance(absl::Seconds(1));
  ExpectAccepted(Token(issued_later));
}

TEST_F(SubjectTokenTest, ALifetimeOverAnHourIsRefused) {
  auto claims = [&](absl::string_view times) {
    return absl::Substitute(R"({"iss":"$0","aud":"$1","sub":"$2",$3})", kIssuer, kAudience, kSub,
                            times);
  };
  ExpectAccepted(Token(claims(absl::StrCat(R"("iat":)", Now(), R"(,"exp":)", Now() + 3600))));
  ExpectRefused(Token(claims(absl::StrCat(R"("iat":)", Now(), R"(,"exp":)", Now() + 3601))),
                "token lifetime 1h1s is longer than the 1h allowed");
  // Without iat, what is left of it counts.
  ExpectAccepted(Token(claims(absl::StrCat(R"("exp":)", Now() + 3600))));
  ExpectRefused(Token(claims(absl::StrCat(R"("exp":)", Now() + 3601))), "token lifetime");
  ExpectRefused(Token(claims(absl::StrCat(R"("iat":)", Now()))), "token has no expiry (exp)");
  ExpectRefused(Token(claims(absl::StrCat(R"("exp":")", Now() + 60, "\""))),
                "token is malformed: the claim exp is not a date");
}

TEST_F(SubjectTokenTest, TheSubjectMustBeANonEmptyString) {
  for (absl::string_view sub : {R"("sub":"",)", R"("sub":1099012345,)", R"("sub":null,)", ""}) {
    SCOPED_TRACE(sub);
    ExpectRefused(Token(absl::StrReplaceAll(Claims(), {{R"("sub":"001099012345",)", sub}})),
                  "token subject (sub) is missing or not a non-empty string");
  }
}

TEST_F(SubjectTokenTest, OnlyES256IsAccepted) {
  const std::string payload = Claims();
  // alg "none": no signature at all.
  ExpectRefused(SigningInput(R"({"alg":"none","typ":"JWT"})", payload) + ".",
                "token algorithm \"none\" is not ES256");
  // HS256 keyed with the provider's public key, which anyone has: the
  // confusion attack on verifiers that take the algorithm from the token.
  const std::string pem = Pem(provider_.get());
  const std::string input = SigningInput(R"({"alg":"HS256","typ":"JWT"})", payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_size = 0;
  ASSERT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, pem.data(), pem.size(),
                      reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                      sizeof(mac), &mac_size),
            nullptr);
  const std::string hmac(reinterpret_cast<char*>(mac), mac_size);
  ExpectRefused(absl::StrCat(input, ".", EncodeBase64Url(hmac)),
                "token algorithm \"HS256\" is not ES256");
  // The same MAC under an ES256 header is no ECDSA signature either.
  ExpectRefused(absl::StrCat(SigningInput(kHeader, payload), ".", EncodeBase64Url(hmac)),
                "the signature is 32 bytes, not 64");
  KeyPtr p384 = NewKey("EC", "P-384");
  ExpectRefused(SignedToken(p384.get(), R"({"alg":"ES384"})", payload, 48),
                "token algorithm \"ES384\" is not ES256");
  KeyPtr rsa = NewRsaKey();
  const std::string rs256_input = SigningInput(R"({"alg":"RS256"})", payload);
  absl::StatusOr<std::string> rs256 = SignBytes(rsa.get(), rs256_input);
  ASSERT_TRUE(rs256.ok());
  ExpectRefused(absl::StrCat(rs256_input, ".", EncodeBase64Url(*rs256)),
                "token algorithm \"RS256\" is not ES256");
  ExpectRefused(SignedToken(provider_.get(), R"({"typ":"JWT"})", payload),
                "token algorithm (alg) is missing");
  ExpectRefused(SignedToken(provider_.get(), R"({"alg":"es256"})", payload),
                "token algorithm \"es256\" is not ES256");
}

TEST_F(SubjectTokenTest, HeaderExtensionsAreRefused) {
  ExpectRefused(SignedToken(provider_.get(), R"({"alg":"ES256","typ":"at+jwt"})", Claims()),
                "token is malformed: the header's typ is not JWT");
  ExpectRefused(
      SignedToken(provider_.get(), R"({"alg":"ES256","crit":["exp"],"exp":1})", Claims()),
      "token is malformed: the header names critical extensions (crit)");
  ExpectRefused(SignedToken(provider_.get(), R"(["ES256"])", Claims()),
                "token is malformed: the header is not a JSON object");
}

TEST_F(SubjectTokenTest, AForgedOrTamperedTokenDoesNotVerify) {
  KeyPtr other = NewKey("EC", "P-256");
  ExpectRefused(SignedToken(other.get(), kHeader, Claims()), "token signature does not verify");

  // Another citizen's ID under the provider's signature.
  const std::string token = Token(Claims());
  const size_t first = token.find('.'), second = token.rfind('.');
  const std::string tampered = absl::StrCat(
      token.substr(0, first + 1),
      EncodeBase64Url(absl::StrReplaceAll(Claims(), {{kSub, "001099099999"}})),
      token.substr(second));
  ExpectRefused(tampered, "token signature does not verify");
  // A header changed after signing.
  ExpectRefused(absl::StrCat(EncodeBase64Url(R"({"alg":"ES256"})"), token.substr(first)),
                "token signature does not verify");
}

TEST_F(SubjectTokenTest, TheSignatureIsRawRAndSWithinTheGroupOrder) {
  const std::string input = SigningInput(kHeader, Claims());
  absl::StatusOr<std::string> der = SignBytes(provider_.get(), input);
  ASSERT_TRUE(der.ok());
  // DER, as OpenSSL writes it, is not JWS's encoding.
  ExpectRefused(absl::StrCat(input, ".", EncodeBase64Url(*der)), "token is malformed: the signature is");

  const std::string raw = RawFromDer(*der, 32);
  BIGNUM* n = nullptr;  // P-256's group order
  ASSERT_EQ(BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), 64);
  BignumPtr order(n);
  std::string n_bytes(32, '\0');
  BN_bn2binpad(order.get(), reinterpret_cast<unsigned char*>(n_bytes.data()), 32);
  const std::string zero(32, '\0');
  ExpectRefused(absl::StrCat(input, ".", EncodeBase64Url(raw.substr(0, 32) + n_bytes)),
                "token is malformed: the signature's R or S is out of range");
  ExpectRefused(absl::StrCat(input, ".", EncodeBase64Url(zero + raw.substr(32))),
                "token is malformed: the signature's R or S is out of range");

  // The other S (n - S) verifies too; it is accepted (see the header).
  BignumPtr s(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  BignumPtr other_s(BN_new());
  ASSERT_EQ(BN_sub(other_s.get(), order.get(), s.get()), 1);
  std::string other(raw.substr(0, 32) + std::string(32, '\0'));
  BN_bn2binpad(other_s.get(), reinterpret_cast<unsigned char*>(other.data()) + 32, 32);
  ExpectAccepted(absl::StrCat(input, ".", EncodeBase64Url(other)));
}

TEST_F(SubjectTokenTest, OnlyStrictBase64UrlInThreePartsIsRead) {
  const std::string token = Token(Claims());
  ExpectAccepted(token);
  ExpectRefused(token + "=", "token is malformed: the signature is not base64url without padding");
  // A payload padded or with a space is refused even when the provider
  // signed it so; '+' for '-'; a line break.
  const std::string input = SigningInput(kHeader, Claims());
  ExpectRefused(SignInput(provider_.get(), input + "=="),
                "token is malformed: the payload is not base64url");
  std::string spaced = input;
  spaced.insert(input.find('.') + 1, " ");
  ExpectRefused(SignInput(provider_.get(), spaced),
                "token is malformed: the payload is not base64url");
  // Changed after signing, the same is refused by the signature first.
  ExpectRefused(absl::StrCat(input, "==", token.substr(token.rfind('.'))),
                "token signature does not verify");
  ExpectRefused("+" + token.substr(1), "token is malformed: the header is not base64url");
  ExpectRefused(token + "\n", "token is malformed");
  ExpectRefused(token.substr(0, token.rfind('.')), "token is malformed: not three base64url parts");
  ExpectRefused(token + ".e30", "token is malformed: not three base64url parts");
  ExpectRefused("", "token is malformed: not three");
  // Signed, yet no JSON object.
  ExpectRefused(Token("not json"), "token is malformed: the payload is not a JSON object");
}

TEST_F(SubjectTokenTest, ATokenOverTheBoundIsNotDecoded) {
  const std::string padding(kMaxSubjectTokenBytes, 'x');
  const std::string big = Token(Claims(absl::StrCat(R"(,"pad":")", padding, "\"")));
  ASSERT_GT(big.size(), kMaxSubjectTokenBytes);
  ExpectRefused(big, "token is malformed: longer than 8192 bytes");
  ExpectRefused(std::string(kMaxSubjectTokenBytes + 1, '.'), "longer than 8192 bytes");
}

TEST(SubjectTokenKeyTest, OnlyAnEcP256PublicKeyIsTaken) {
  SubjectTokenOptions options;
  options.issuer = kIssuer;
  options.audience = kAudience;
  auto refusal = [&](const std::string& pem) {
    auto verifier = SubjectTokenVerifier::Create(pem, options);
    EXPECT_EQ(verifier.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(verifier.status().message());
  };
  KeyPtr p256 = NewKey("EC", "P-256");
  EXPECT_TRUE(SubjectTokenVerifier::Create(Pem(p256.get()), options).ok());
  KeyPtr rsa = NewRsaKey();
  EXPECT_THAT(refusal(Pem(rsa.get())), HasSubstr("is a key of type RSA, not an EC P-256 key"));
  KeyPtr ed25519 = NewKey("ED25519");
  EXPECT_THAT(refusal(Pem(ed25519.get())), HasSubstr("is a key of type ED25519, not an EC P-256 key"));
  KeyPtr p384 = NewKey("EC", "P-384");
  EXPECT_THAT(refusal(Pem(p384.get())), HasSubstr("is an EC key on secp384r1, not P-256"));
  // The provider's private key has no place on the hub.
  EXPECT_THAT(refusal(Pem(p256.get(), /*private_key=*/true)), HasSubstr("is not a PEM public key"));
  EXPECT_THAT(refusal("garbage"), HasSubstr("is not a PEM public key"));

  options.issuer.clear();
  auto verifier = SubjectTokenVerifier::Create(Pem(p256.get()), options);
  EXPECT_THAT(std::string(verifier.status().message()), HasSubstr("the issuer is required"));
}

}  // namespace
}  // namespace ndxp::gateway
