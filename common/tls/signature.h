// Signing bytes with a node's TLS key and checking them with its
// certificate's public key: what the hub's signed audit checkpoints and the
// assertions it sends to peer hubs share. The digest follows the key:
// SHA-256 for EC and RSA keys; Ed25519 and Ed448 sign the bytes themselves.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(std::string signature, SignBytes(key, payload));
//   if (!VerifyBytes(X509_get0_pubkey(certificate), payload, signature)) ...
#ifndef NDXP_COMMON_TLS_SIGNATURE_H_
#define NDXP_COMMON_TLS_SIGNATURE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct evp_pkey_st;

namespace ndxp {

// The signature of `data` by the private key `key`; INTERNAL if OpenSSL
// fails (a key without its private half).
absl::StatusOr<std::string> SignBytes(evp_pkey_st* key, absl::string_view data);

// True when `signature` is `key`'s over `data` (false for a null key).
bool VerifyBytes(evp_pkey_st* key, absl::string_view data, absl::string_view signature);

}  // namespace ndxp

#endif  // NDXP_COMMON_TLS_SIGNATURE_H_
