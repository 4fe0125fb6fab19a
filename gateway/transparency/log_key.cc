// The hub's log key file (log_key.h).
#include "gateway/transparency/log_key.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/files/private_file.h"
#include "common/status/status_util.h"

namespace ndxp::transparency {
namespace {

constexpr absl::string_view kWhat = "log key";

// Wipes a buffer that held the private key before it is freed.
struct WipedString {
  std::string bytes;
  ~WipedString() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

}  // namespace

std::string DefaultLogKeyName(absl::string_view trust_domain) {
  return absl::StrCat(trust_domain, "/audit");
}

absl::StatusOr<Ed25519NoteKey> LoadLogKey(const std::string& path) {
  WipedString text;
  NDXP_RETURN_IF_ERROR(files::ReadPrivateFile(path, kWhat, &text.bytes));
  // One line; the newline an editor adds is not part of the key.
  absl::StatusOr<Ed25519NoteKey> key =
      Ed25519NoteKey::Parse(absl::StripAsciiWhitespace(text.bytes));
  if (!key.ok()) {
    // Parse names what is malformed, never the seed.
    return absl::InvalidArgumentError(absl::StrCat(
        kWhat, " ", path, ": ", key.status().message(),
        " (want one line PRIVATE+KEY+<name>+<key ID>+<base64>, as ndxpctl log-key generate "
        "writes)"));
  }
  const NoteVerifierKey& verifier = key->verifier_key();
  if (verifier.type != kEd25519NoteType) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, " ", path, ": key ", verifier.name, " is of signature type ",
                     static_cast<int>(verifier.type),
                     verifier.type == kCosignatureV1Type ? " (a witness's cosignature key)" : "",
                     ", not an Ed25519 note key (1)"));
  }
  return key;
}

absl::StatusOr<Ed25519NoteKey> GenerateLogKey(const std::string& path, absl::string_view name,
                                              bool replace) {
  if (!IsValidKeyName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, " name \"", absl::CEscape(name),
                     "\" is not a note key name: non-empty UTF-8 without spaces or '+'"));
  }
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteKey key, Ed25519NoteKey::Generate(name, kEd25519NoteType));
  WipedString text{absl::StrCat(key.EncodePrivate(), "\n")};
  NDXP_RETURN_IF_ERROR(files::WritePrivateFile(path, kWhat, text.bytes, replace));
  return key;
}

}  // namespace ndxp::transparency
