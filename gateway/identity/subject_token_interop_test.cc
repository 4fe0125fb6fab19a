// Subject tokens from issuers other than this repository's code verify:
// python3-jwt (PyJWT over python-cryptography, Debian's python3-jwt, which
// scripts/install-deps installs) with a key from `openssl ecparam`, and
// `ndxp-pki subject-token`, whose tokens python3-jwt verifies too. Neither
// shares code with the verifier, so an encoding both sides got wrong alike
// (R‖S, base64url, the signing input) cannot pass.
#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gateway/identity/subject_token.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

constexpr char kIssuer[] = "https://id.gov.vn";
constexpr char kAudience[] = "ndxp-hub";
constexpr char kSub[] = "001099012345";

// The standard output of `command` (sh -c), which must exit 0.
std::string Shell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return "";
  }
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << "\n" << out;
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SubjectTokenInteropTest : public ::testing::Test {
 protected:
  std::unique_ptr<SubjectTokenVerifier> Verifier(const std::string& public_key_path) {
    SubjectTokenOptions options;
    options.issuer = kIssuer;
    options.audience = kAudience;
    options.clock = &clock_;
    auto verifier = SubjectTokenVerifier::Create(ReadAll(public_key_path), options);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return verifier.ok() ? *std::move(verifier) : nullptr;
  }

  int64_t Now() { return absl::ToUnixSeconds(clock_.Now()); }

  FakeClock clock_;
  testing::TempDir dir_;
};

TEST_F(SubjectTokenInteropTest, TokensFromPythonJwtVerify) {
  const std::string key = dir_.path() + "/python-idp.key";
  const std::string public_key = dir_.path() + "/python-idp.pem";
  Shell(absl::StrCat("openssl ecparam -name prime256v1 -genkey -noout -out ", key,
                   " && openssl ec -in ", key, " -pubout -out ", public_key, " 2>&1"));
  // argv: key, iss, aud (a JSON value: a string or an array), sub, iat,
  // exp, how many tokens (each signature differs: ECDSA's nonce).
  const std::string encode = absl::StrCat(
      "/usr/bin/python3 -c 'import json, sys, jwt\n"
      "k, iss, aud, sub, iat, exp, n = sys.argv[1:]\n"
      "for _ in range(int(n)):\n"
      "  print(jwt.encode({\"iss\": iss, \"aud\": json.loads(aud), \"sub\": sub,\n"
      "                    \"iat\": int(iat), \"exp\": int(exp)},\n"
      "                   open(k).read(), algorithm=\"ES256\"))' ",
      key, " ", kIssuer, " ");
  std::unique_ptr<SubjectTokenVerifier> verifier = Verifier(public_key);
  ASSERT_NE(verifier, nullptr);
  for (const char* aud : {"'\"ndxp-hub\"'", "'[\"portal\", \"ndxp-hub\"]'"}) {
    SCOPED_TRACE(aud);
    const std::string token =
        Shell(absl::StrCat(encode, aud, " ", kSub, " ", Now(), " ", Now() + 600, " 1"));
    absl::StatusOr<VerifiedSubject> subject = verifier->Verify(token);
    ASSERT_TRUE(subject.ok()) << subject.status();
    EXPECT_EQ(subject->sub, kSub);
    EXPECT_EQ(subject->expires, absl::FromUnixSeconds(Now() + 600));
  }
  // Many signatures: some R or S is shorter than 32 bytes as a number.
  std::istringstream tokens(Shell(
      absl::StrCat(encode, "'\"ndxp-hub\"' ", kSub, " ", Now(), " ", Now() + 600, " 100")));
  int verified = 0;
  for (std::string token; std::getline(tokens, token); ++verified) {
    absl::StatusOr<VerifiedSubject> subject = verifier->Verify(token);
    ASSERT_TRUE(subject.ok()) << subject.status();
  }
  EXPECT_EQ(verified, 100);
}

TEST_F(SubjectTokenInteropTest, TokensFromNdxpPkiVerifyHereAndWithPythonJwt) {
  const std::string idp = dir_.path() + "/idp";
  Shell(absl::StrCat("bash ", NDXP_PKI_SCRIPT, " init-idp --dir ", idp));
  std::ofstream(dir_.path() + "/sub") << kSub << "\n";
  const std::string token = Shell(absl::StrCat(
      "bash ", NDXP_PKI_SCRIPT, " subject-token --dir ", idp, " --sub-file ", dir_.path(),
      "/sub --iss ", kIssuer, " --aud ", kAudience, " --ttl 900 --now ", Now()));

  std::unique_ptr<SubjectTokenVerifier> verifier = Verifier(idp + "/idp.pem");
  ASSERT_NE(verifier, nullptr);
  absl::StatusOr<VerifiedSubject> subject = verifier->Verify(token);
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->sub, kSub);
  EXPECT_EQ(subject->issued_at, absl::FromUnixSeconds(Now()));
  EXPECT_EQ(subject->expires, absl::FromUnixSeconds(Now() + 900));
  clock_.Advance(absl::Seconds(900 + 60));
  EXPECT_EQ(verifier->Verify(token).status().code(), absl::StatusCode::kUnauthenticated);

  // python3-jwt reads the same token (issued at the fake clock's time, so
  // its expiry is not checked against the real clock).
  EXPECT_EQ(Shell(absl::StrCat(
                "/usr/bin/python3 -c 'import sys, jwt\n"
                "c = jwt.decode(sys.argv[1], open(sys.argv[2]).read(), algorithms=[\"ES256\"],\n"
                "               audience=sys.argv[3], issuer=sys.argv[4],\n"
                "               options={\"verify_exp\": False, \"verify_iat\": False})\n"
                "print(c[\"sub\"])' ",
                token, " ", idp, "/idp.pem ", kAudience, " ", kIssuer)),
            kSub);

  // Another provider's key does not verify it.
  const std::string other = dir_.path() + "/other";
  Shell(absl::StrCat("bash ", NDXP_PKI_SCRIPT, " init-idp --dir ", other));
  std::unique_ptr<SubjectTokenVerifier> other_verifier = Verifier(other + "/idp.pem");
  ASSERT_NE(other_verifier, nullptr);
  EXPECT_EQ(other_verifier->Verify(token).status().message(),
            "token signature does not verify with the identity provider's key");
}

}  // namespace
}  // namespace ndxp::gateway
