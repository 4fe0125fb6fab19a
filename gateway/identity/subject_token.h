// The check of a subject token: the proof, made by the national identity
// provider and carried by the public-service portal in a request header,
// of which citizen asks who used their data. A subject token is a compact
// JWS (RFC 7515) JWT (RFC 7519) signed with ES256 (ECDSA P-256, SHA-256)
// whose `sub` is the citizen's personal ID.
//
// What is checked, every refusal UNAUTHENTICATED naming the check:
//  - at most kMaxSubjectTokenBytes, three base64url parts without padding;
//  - the header: alg exactly "ES256" (the algorithm is pinned, never taken
//    from the token: "none", HS256 with the public key as its secret, RS256,
//    ES384 are all refused), typ "JWT" if present, no crit;
//  - the signature: 64 bytes R‖S (RFC 7518 §3.4), each of R and S in
//    [1, n-1], verified with the provider's key over "header.payload".
//    A high S is accepted: OpenSSL and python-cryptography do not normalise
//    S, so an issuer's valid tokens would be refused at random; the other S
//    makes the same claims, so nothing may key on the token's bytes;
//  - the claims, read only once the signature verifies: iss equal to the
//    expected issuer, aud the expected audience (a string, or an array
//    holding it), sub a non-empty string, exp required and nbf/iat
//    optional, all within `max_clock_skew` of the clock; and the token's
//    lifetime, exp − iat (exp − now without iat), at most `max_lifetime`:
//    a long-lived token would be a standing pass to a citizen's records.
//
// No message names the token or its sub (a personal ID): a refused token is
// logged by the check that refused it alone.
//
// Thread-safe once created (Verify is const; the key is only read).
//
// Example:
//   SubjectTokenOptions options;
//   options.issuer = "https://id.gov.vn";
//   options.audience = "ndxp";
//   NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SubjectTokenVerifier> verifier,
//                         SubjectTokenVerifier::Create(pem, options));
//   absl::StatusOr<VerifiedSubject> subject = verifier->Verify(header_value);
//   if (!subject.ok()) return subject.status();  // UNAUTHENTICATED
#ifndef NDXP_GATEWAY_IDENTITY_SUBJECT_TOKEN_H_
#define NDXP_GATEWAY_IDENTITY_SUBJECT_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "common/tls/openssl_ptr.h"

namespace ndxp::gateway {

// Far above a real token (some 500 bytes), far below what a header may
// carry: nothing larger is decoded.
inline constexpr size_t kMaxSubjectTokenBytes = 8 * 1024;
inline constexpr absl::Duration kDefaultSubjectTokenSkew = absl::Seconds(60);
inline constexpr absl::Duration kDefaultSubjectTokenLifetime = absl::Hours(1);

struct SubjectTokenOptions {
  std::string issuer;    // the token's iss must be exactly this
  std::string audience;  // the token's aud must be, or hold, exactly this
  absl::Duration max_clock_skew = kDefaultSubjectTokenSkew;
  absl::Duration max_lifetime = kDefaultSubjectTokenLifetime;
  Clock* clock = Clock::Real();
};

// What a verified token says.
struct VerifiedSubject {
  std::string sub;  // the citizen's personal ID, as the provider wrote it
  absl::Time expires;
  absl::Time issued_at = absl::InfinitePast();  // InfinitePast without iat
};

class SubjectTokenVerifier {
 public:
  // `public_key_pem`: the provider's public key ("BEGIN PUBLIC KEY"), EC
  // P-256 only. INVALID_ARGUMENT naming what is wrong with the key or the
  // options otherwise.
  static absl::StatusOr<std::unique_ptr<SubjectTokenVerifier>> Create(
      absl::string_view public_key_pem, SubjectTokenOptions options);

  absl::StatusOr<VerifiedSubject> Verify(absl::string_view token) const;

 private:
  SubjectTokenVerifier(KeyPtr key, SubjectTokenOptions options)
      : key_(std::move(key)), options_(std::move(options)) {}

  KeyPtr key_;
  SubjectTokenOptions options_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_IDENTITY_SUBJECT_TOKEN_H_
