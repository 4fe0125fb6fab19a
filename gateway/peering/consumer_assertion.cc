#include "gateway/peering/consumer_assertion.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/protocol/base64url.h"
#include "common/protocol/percent_encoding.h"
#include "common/tls/signature.h"

namespace ndxp::gateway {
namespace {

absl::Status Refused(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat(kAssertionHeader, ": ", why));
}

// "base64url(payload).base64url(proof)" -> payload, proof; false when not so.
bool SplitProven(absl::string_view value, std::string* payload, std::string* proof) {
  size_t dot = value.find('.');
  return dot != absl::string_view::npos &&
         protocol::DecodeBase64Url(value.substr(0, dot), payload) &&
         protocol::DecodeBase64Url(value.substr(dot + 1), proof);
}

// The serialized assertion `header_value` carries once its proof verifies
// with `keys`; UNAUTHENTICATED naming what failed otherwise.
absl::StatusOr<std::string> VerifiedPayload(absl::string_view header_value,
                                            const AssertionProofKeys& keys) {
  std::string payload, proof;
  if (absl::ConsumePrefix(&header_value, kMacAssertionPrefix)) {
    if (!SplitProven(header_value, &payload, &proof)) {
      return Refused("malformed: not m1.base64url(assertion).base64url(mac)");
    }
    if (keys.mac_key == nullptr || !keys.mac_key->available()) {
      return Refused("MAC'd, but this connection has no exporter key (TLS 1.3 only)");
    }
    absl::StatusOr<std::string> expected = keys.mac_key->Mac(payload);
    if (!expected.ok()) return expected.status();
    if (proof.size() != expected->size() ||
        CRYPTO_memcmp(proof.data(), expected->data(), proof.size()) != 0) {
      return Refused("the MAC does not verify with this connection's exporter key");
    }
    return payload;
  }
  if (!SplitProven(header_value, &payload, &proof)) {
    return Refused("malformed: not base64url(assertion).base64url(signature)");
  }
  if (!VerifyBytes(keys.certificate_key, payload, proof)) {
    return Refused("the signature does not verify with the certificate the peer presented");
  }
  return payload;
}

}  // namespace

AssertionMacKey AssertionMacKey::FromSecret(absl::string_view secret) {
  AssertionMacKey key;
  key.Key(reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return key;
}

AssertionMacKey::AssertionMacKey(AssertionMacKey&& other) noexcept
    : ssl_(other.ssl_), derived_(other.derived_), keyed_(std::exchange(other.keyed_, nullptr)) {}

AssertionMacKey::~AssertionMacKey() { EVP_MAC_CTX_free(keyed_); }

void AssertionMacKey::Key(const unsigned char* secret, size_t size) {
  derived_ = true;
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* keyed = hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr;
  EVP_MAC_free(hmac);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (keyed != nullptr && EVP_MAC_init(keyed, secret, size, params) != 1) {
    EVP_MAC_CTX_free(keyed);
    keyed = nullptr;
  }
  keyed_ = keyed;
}

void AssertionMacKey::Derive() {
  derived_ = true;
  if (ssl_ == nullptr || SSL_version(ssl_) != TLS1_3_VERSION || !SSL_is_init_finished(ssl_)) {
    return;
  }
  unsigned char secret[kAssertionMacKeyBytes];
  if (SSL_export_keying_material(ssl_, secret, sizeof(secret), kAssertionExporterLabel.data(),
                                 kAssertionExporterLabel.size(), nullptr, 0,
                                 /*use_context=*/0) == 1) {
    Key(secret, sizeof(secret));
  }
  OPENSSL_cleanse(secret, sizeof(secret));
}

bool AssertionMacKey::available() {
  if (!derived_) Derive();
  return keyed_ != nullptr;
}

absl::StatusOr<std::string> AssertionMacKey::Mac(absl::string_view bytes) {
  if (!available()) {
    return absl::FailedPreconditionError("the connection has no assertion MAC key (not TLS 1.3)");
  }
  std::string mac(EVP_MAX_MD_SIZE, '\0');
  size_t size = 0;
  // A copy of the keyed context per MAC: the key schedule is not redone.
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_);
  const bool ok =
      ctx != nullptr &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) ==
          1 &&
      EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(mac.data()), &size, mac.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok) return absl::InternalError("assertion MAC: HMAC-SHA256 failed");
  mac.resize(size);
  return mac;
}

absl::StatusOr<std::string> SignAssertion(const ConsumerAssertion& assertion, evp_pkey_st* key) {
  std::string payload = assertion.SerializeAsString();
  absl::StatusOr<std::string> signature = SignBytes(key, payload);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(protocol::EncodeBase64Url(payload), ".",
                      protocol::EncodeBase64Url(*signature));
}

absl::StatusOr<std::string> MacAssertion(const ConsumerAssertion& assertion,
                                         AssertionMacKey& key) {
  std::string payload = assertion.SerializeAsString();
  absl::StatusOr<std::string> mac = key.Mac(payload);
  if (!mac.ok()) return mac.status();
  return absl::StrCat(kMacAssertionPrefix, protocol::EncodeBase64Url(payload), ".",
                      protocol::EncodeBase64Url(*mac));
}

absl::StatusOr<std::string> ProveAssertion(const ConsumerAssertion& assertion,
                                           AssertionMacKey& mac_key, evp_pkey_st* signing_key) {
  return mac_key.available() ? MacAssertion(assertion, mac_key)
                             : SignAssertion(assertion, signing_key);
}

absl::StatusOr<ConsumerAssertion> OpenAssertion(absl::string_view header_value,
                                                const AssertionProofKeys& keys,
                                                const CallToCheck& call) {
  if (header_value.size() > kMaxAssertionHeaderBytes) {
    return Refused(absl::StrCat("longer than ", kMaxAssertionHeaderBytes, " bytes"));
  }
  // Nothing of the payload is read before its proof verifies.
  absl::StatusOr<std::string> payload = VerifiedPayload(header_value, keys);
  if (!payload.ok()) return payload.status();
  ConsumerAssertion assertion;
  if (!assertion.ParseFromString(*payload)) return Refused("malformed: the payload does not parse");

  const absl::Time issued = absl::FromUnixMillis(assertion.issued_at_ms());
  const absl::Time expires = absl::FromUnixMillis(assertion.expires_at_ms());
  if (issued > call.now + kAssertionClockSkew) return Refused("issued in the future");
  if (expires < issued) return Refused("expires before it was issued");
  if (expires - issued > kMaxAssertionLifetime) {
    return Refused(absl::StrCat("valid for more than ",
                                absl::ToInt64Seconds(kMaxAssertionLifetime), " s"));
  }
  if (expires <= call.now) {
    return Refused(absl::StrCat("expired ", absl::FormatDuration(call.now - expires), " ago"));
  }
  if (assertion.nonce().size() != kAssertionNonceBytes) {
    return Refused(absl::StrCat("the nonce is not ", kAssertionNonceBytes, " bytes"));
  }
  if (assertion.method() != call.method) {
    return Refused(absl::StrCat("asserted for ", assertion.method(), ", not for ", call.method));
  }
  if (assertion.request_id().empty() || assertion.request_id() != call.request_id) {
    return Refused(absl::StrCat("asserted for request id \"", assertion.request_id(),
                                "\", the call carries \"", call.request_id, "\""));
  }
  bool same_purpose = call.purpose.empty() && assertion.purpose().empty();
  if (!call.purpose.empty()) {
    absl::StatusOr<std::string> purpose = protocol::DecodePurpose(call.purpose);
    same_purpose = purpose.ok() && *purpose == assertion.purpose();
  }
  if (!same_purpose) return Refused("asserted for another purpose than the call's x-ndxp-purpose");
  // The earlier hubs, the sender and this hub.
  if (assertion.earlier_hubs_size() + 2 > kMaxHubsOnPath) {
    return absl::PermissionDeniedError(absl::StrCat(
        kAssertionHeader, ": the call has passed ", assertion.earlier_hubs_size() + 1,
        " hubs already; at most ", kMaxHubsOnPath, " may carry one call (a loop of peer routes?)"));
  }
  return assertion;
}

}  // namespace ndxp::gateway
