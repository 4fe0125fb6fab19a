#include "gateway/identity/subject_token.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/protocol/base64url.h"
#include "common/tls/signature.h"

namespace ndxp::gateway {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr size_t kCoordinateBytes = 32;  // P-256: R and S are 32 bytes each
// The order n of P-256's base point (FIPS 186-4 D.1.2.3), big-endian.
constexpr unsigned char kP256Order[kCoordinateBytes] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
// NumericDate beyond 9999-12-31 is no date a provider means.
constexpr double kMaxNumericDate = 253402300799;

absl::Status Refused(absl::string_view why) { return absl::UnauthenticatedError(why); }

absl::Status Malformed(absl::string_view why) {
  return Refused(absl::StrCat("token is malformed: ", why));
}

// A value from the token for a message: escaped and cut short, so that a
// token cannot write lines into a log. Only for header fields and claims
// that name the provider (alg, iss, aud), never for sub.
std::string Quoted(absl::string_view value) {
  constexpr size_t kShown = 64;
  std::string shown = absl::CHexEscape(value.substr(0, kShown));
  return absl::StrCat("\"", shown, value.size() > kShown ? "\"..." : "\"");
}

// One base64url part holding a JSON object.
absl::Status DecodeJsonObject(absl::string_view part, absl::string_view what, Struct* out) {
  std::string json;
  if (!protocol::DecodeBase64Url(part, &json)) {
    return Malformed(absl::StrCat("the ", what, " is not base64url without padding"));
  }
  // The parser's message may quote the payload (which holds the sub): only
  // the part that failed is named.
  if (!google::protobuf::util::JsonStringToMessage(json, out).ok()) {
    return Malformed(absl::StrCat("the ", what, " is not a JSON object"));
  }
  return absl::OkStatus();
}

const Value* Field(const Struct& object, const char* name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

absl::Status CheckHeader(const Struct& header) {
  const Value* alg = Field(header, "alg");
  if (alg == nullptr || alg->kind_case() != Value::kStringValue) {
    return Refused("token algorithm (alg) is missing: it must be ES256");
  }
  if (alg->string_value() != "ES256") {
    return Refused(absl::StrCat("token algorithm ", Quoted(alg->string_value()), " is not ES256"));
  }
  // typ is a media type: compared without case, "application/" optional
  // (RFC 7515 §4.1.9).
  if (const Value* typ = Field(header, "typ"); typ != nullptr) {
    if (typ->kind_case() != Value::kStringValue ||
        !(absl::EqualsIgnoreCase(typ->string_value(), "JWT") ||
          absl::EqualsIgnoreCase(typ->string_value(), "application/jwt"))) {
      return Malformed("the header's typ is not JWT");
    }
  }
  // An extension the provider marks critical is one this check does not
  // know: the token must be refused (RFC 7515 §4.1.11).
  if (Field(header, "crit") != nullptr) {
    return Malformed("the header names critical extensions (crit), none is understood");
  }
  return absl::OkStatus();
}

// The raw R‖S of JWS ES256 (RFC 7518 §3.4) as the DER ECDSA-Sig-Value
// OpenSSL verifies; an error when R or S is not in [1, n-1].
absl::StatusOr<std::string> DerFromRawSignature(absl::string_view raw) {
  if (raw.size() != 2 * kCoordinateBytes) {
    return Malformed(absl::StrCat("the signature is ", raw.size(), " bytes, not ",
                                  2 * kCoordinateBytes, " (R and S)"));
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  static constexpr unsigned char kZero[kCoordinateBytes] = {};
  for (const unsigned char* half : {bytes, bytes + kCoordinateBytes}) {
    if (std::memcmp(half, kZero, kCoordinateBytes) == 0 ||
        std::memcmp(half, kP256Order, kCoordinateBytes) >= 0) {
      return Malformed("the signature's R or S is out of range");
    }
  }
  EcdsaSigPtr signature(ECDSA_SIG_new());
  BignumPtr r(BN_bin2bn(bytes, kCoordinateBytes, nullptr));
  BignumPtr s(BN_bin2bn(bytes + kCoordinateBytes, kCoordinateBytes, nullptr));
  if (signature == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return absl::InternalError("out of memory converting a signature");
  }
  r.release();  // owned by `signature` now
  s.release();
  const int size = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (size <= 0) {
    ERR_clear_error();
    return absl::InternalError("cannot encode a signature");
  }
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(signature.get(), &out);
  return der;
}

// A NumericDate claim (RFC 7519 §2): seconds since the epoch, fractions
// allowed. `present` is false when the claim is absent.
absl::Status ReadTime(const Struct& claims, const char* name, absl::Time* out, bool* present) {
  const Value* value = Field(claims, name);
  *present = value != nullptr;
  if (value == nullptr) return absl::OkStatus();
  if (value->kind_case() != Value::kNumberValue || !std::isfinite(value->number_value()) ||
      value->number_value() < 0 || value->number_value() > kMaxNumericDate) {
    return Malformed(absl::StrCat("the claim ", name, " is not a date (seconds since 1970)"));
  }
  *out = absl::UnixEpoch() + absl::Seconds(value->number_value());
  return absl::OkStatus();
}

bool AudienceHolds(const Value& aud, absl::string_view audience) {
  if (aud.kind_case() == Value::kStringValue) return aud.string_value() == audience;
  if (aud.kind_case() != Value::kListValue) return false;
  const auto& values = aud.list_value().values();
  return std::any_of(values.begin(), values.end(), [&](const Value& v) {
    return v.kind_case() == Value::kStringValue && v.string_value() == audience;
  });
}

std::string UtcTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::unique_ptr<SubjectTokenVerifier>> SubjectTokenVerifier::Create(
    absl::string_view public_key_pem, SubjectTokenOptions options) {
  BioPtr bio(BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  KeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();  // the thread's queue must not fail an unrelated TLS call
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        "is not a PEM public key (-----BEGIN PUBLIC KEY-----; "
        "openssl pkey -pubout writes one from the provider's key)");
  }
  if (!EVP_PKEY_is_a(key.get(), "EC")) {
    const char* type = EVP_PKEY_get0_type_name(key.get());
    return absl::InvalidArgumentError(absl::StrCat("is a key of type ", type ? type : "unknown",
                                                   ", not an EC P-256 key: subject tokens are "
                                                   "signed with ES256"));
  }
  char group[64] = {};
  size_t group_size = 0;
  if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &group_size) != 1 ||
      absl::string_view(group, group_size) != "prime256v1") {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("is an EC key on ", group_size ? group : "an unnamed curve",
                     ", not P-256: subject tokens are signed with ES256"));
  }
  if (options.issuer.empty()) return absl::InvalidArgumentError("the issuer is required");
  if (options.audience.empty()) return absl::InvalidArgumentError("the audience is required");
  if (options.max_clock_skew < absl::ZeroDuration() ||
      options.max_lifetime <= absl::ZeroDuration() || options.clock == nullptr) {
    return absl::InvalidArgumentError(
        "the clock skew must not be negative, the lifetime must be positive, the clock given");
  }
  return std::unique_ptr<SubjectTokenVerifier>(
      new SubjectTokenVerifier(std::move(key), std::move(options)));
}

absl::StatusOr<VerifiedSubject> SubjectTokenVerifier::Verify(absl::string_view token) const {
  if (token.size() > kMaxSubjectTokenBytes) {
    return Malformed(absl::StrCat("longer than ", kMaxSubjectTokenBytes, " bytes"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return Malformed("not three base64url parts header.payload.signature (compact JWS)");
  }
  Struct header;
  if (absl::Status s = DecodeJsonObject(parts[0], "header", &header); !s.ok()) return s;
  if (absl::Status s = CheckHeader(header); !s.ok()) return s;

  std::string raw_signature;
  if (!protocol::DecodeBase64Url(parts[2], &raw_signature)) {
    return Malformed("the signature is not base64url without padding");
  }
  absl::StatusOr<std::string> der = DerFromRawSignature(raw_signature);
  if (!der.ok()) return der.status();
  // The signing input is the token's own text up to the second dot.
  const absl::string_view signed_part = token.substr(0, parts[0].size() + 1 + parts[1].size());
  if (!VerifyBytes(key_.get(), signed_part, *der)) {
    return Refused("token signature does not verify with the identity provider's key");
  }

  // Nothing of the payload is read before the signature verifies.
  Struct claims;
  if (absl::Status s = DecodeJsonObject(parts[1], "payload", &claims); !s.ok()) return s;
  const Value* iss = Field(claims, "iss");
  if (iss == nullptr || iss->kind_case() != Value::kStringValue) {
    return Refused(absl::StrCat("token issuer (iss) is missing: it must be ",
                                Quoted(options_.issuer)));
  }
  if (iss->string_value() != options_.issuer) {
    return Refused(absl::StrCat("token issuer ", Quoted(iss->string_value()), " is not ",
                                Quoted(options_.issuer)));
  }
  const Value* aud = Field(claims, "aud");
  if (aud == nullptr || !AudienceHolds(*aud, options_.audience)) {
    return Refused(absl::StrCat("token audience (aud) ", aud == nullptr ? "is missing, " : "",
                                "does not name ", Quoted(options_.audience)));
  }

  VerifiedSubject subject;
  bool has_exp = false, has_nbf = false, has_iat = false;
  absl::Time not_before;
  if (absl::Status s = ReadTime(claims, "exp", &subject.expires, &has_exp); !s.ok()) return s;
  if (absl::Status s = ReadTime(claims, "nbf", &not_before, &has_nbf); !s.ok()) return s;
  if (absl::Status s = ReadTime(claims, "iat", &subject.issued_at, &has_iat); !s.ok()) return s;
  if (!has_exp) return Refused("token has no expiry (exp)");
  const absl::Time now = options_.clock->Now();
  const absl::Duration skew = options_.max_clock_skew;
  if (now >= subject.expires + skew) {
    return Refused(absl::StrCat("token expired at ", UtcTime(subject.expires)));
  }
  if (has_nbf && now < not_before - skew) {
    return Refused(absl::StrCat("token not yet valid: not before ", UtcTime(not_before)));
  }
  if (has_iat && subject.issued_at > now + skew) {
    return Refused(absl::StrCat("token not yet valid: issued at ", UtcTime(subject.issued_at),
                                ", in the future"));
  }
  const absl::Time valid_from = has_iat ? subject.issued_at : now;
  if (subject.expires - valid_from > options_.max_lifetime) {
    return Refused(absl::StrCat("token lifetime ",
                                absl::FormatDuration(subject.expires - valid_from),
                                " is longer than the ",
                                absl::FormatDuration(options_.max_lifetime), " allowed"));
  }

  const Value* sub = Field(claims, "sub");
  if (sub == nullptr || sub->kind_case() != Value::kStringValue || sub->string_value().empty()) {
    return Refused("token subject (sub) is missing or not a non-empty string");
  }
  subject.sub = sub->string_value();
  return subject;
}

}  // namespace ndxp::gateway
