#include "common/tls/signature.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/tls/openssl_ptr.h"

namespace ndxp {
namespace {

const EVP_MD* DigestFor(EVP_PKEY* key) {
  const int type = EVP_PKEY_get_id(key);
  return type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448 ? nullptr : EVP_sha256();
}

}  // namespace

absl::StatusOr<std::string> SignBytes(EVP_PKEY* key, absl::string_view data) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t size = 0;
  std::string signature;
  bool ok = key != nullptr && ctx != nullptr &&
            EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(key), nullptr, key) == 1 &&
            EVP_DigestSign(ctx.get(), nullptr, &size, bytes, data.size()) == 1;
  if (ok) {
    signature.resize(size);
    ok = EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                        bytes, data.size()) == 1;
  }
  if (!ok) {
    ERR_clear_error();  // the thread's queue must not fail an unrelated TLS call
    return absl::InternalError("signing failed (is the key a private key?)");
  }
  signature.resize(size);  // an ECDSA signature may be shorter than its bound
  return signature;
}

bool VerifyBytes(EVP_PKEY* key, absl::string_view data, absl::string_view signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = key != nullptr && ctx != nullptr &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(key), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace ndxp
