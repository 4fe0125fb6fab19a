// Fuzzes the check of a citizen's subject token (a JWT from the header the
// portal sets: anyone's bytes). What must hold: a refusal is UNAUTHENTICATED,
// one line that starts with "token " and is short (it quotes at most a
// cut-down alg, iss or aud, never a run of the input's payload); an
// accepted token has a sub and was within the size bound.
#include <cstddef>
#include <cstdint>

#include "absl/strings/match.h"
#include "gateway/identity/subject_token.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// A throw-away provider's public key (its private key is not kept): the
// corpus's "valid" token was signed with it, at kIssuedAt.
constexpr char kProviderKey[] = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEInVD5ZUBx3zijMLzbTj9+trjGtfw
GlizV874UaHSvs6W4Ts3CoI2R4qgfpW9SvB1FpHzIO7IKKl4WBW7XDPqZw==
-----END PUBLIC KEY-----
)";
constexpr int64_t kIssuedAt = 1767225600;

const ndxp::gateway::SubjectTokenVerifier& Verifier() {
  static ndxp::FakeClock* clock = new ndxp::FakeClock(absl::FromUnixSeconds(kIssuedAt + 60));
  static const ndxp::gateway::SubjectTokenVerifier* verifier = [] {
    ndxp::gateway::SubjectTokenOptions options;
    options.issuer = "https://id.gov.vn";
    options.audience = "ndxp-hub";
    options.clock = clock;
    auto created = ndxp::gateway::SubjectTokenVerifier::Create(kProviderKey, options);
    ndxp::fuzz::Check(created.ok());
    return created->release();
  }();
  return *verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ndxp::fuzz::Check;
  absl::string_view token(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ndxp::gateway::VerifiedSubject> subject = Verifier().Verify(token);
  if (subject.ok()) {
    Check(!subject->sub.empty());
    Check(size <= ndxp::gateway::kMaxSubjectTokenBytes);
    return 0;
  }
  absl::string_view message = subject.status().message();
  Check(subject.status().code() == absl::StatusCode::kUnauthenticated);
  Check(absl::StartsWith(message, "token "));
  Check(message.size() <= 512);
  for (char c : message) Check(c >= 0x20 && c != 0x7f);
  return 0;
}
