// The hub's log key and witness key files (log_key.h).
#include "gateway/transparency/log_key.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/files/private_file.h"
#include "common/status/status_util.h"

namespace ndxp::transparency {
namespace {

// The two kinds of key file: one line of the same format, told apart by the
// key's signature type.
struct KeyFileKind {
  absl::string_view what;       // "log key"
  uint8_t type;                 // the type it must be
  absl::string_view generator;  // the command that writes one
};
constexpr KeyFileKind kLogKey{"log key", kEd25519NoteType, "ndxpctl log-key generate"};
constexpr KeyFileKind kWitnessKey{"witness key", kCosignatureV1Type,
                                  "ndxpctl witness-key generate"};

absl::string_view TypeName(uint8_t type) {
  switch (type) {
    case kEd25519NoteType:
      return "an Ed25519 note key";
    case kCosignatureV1Type:
      return "a witness's cosignature key";
    default:
      return "of no known use here";
  }
}

// Wipes a buffer that held the private key before it is freed.
struct WipedString {
  std::string bytes;
  ~WipedString() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

absl::StatusOr<Ed25519NoteKey> LoadKeyFile(const std::string& path, const KeyFileKind& kind) {
  WipedString text;
  NDXP_RETURN_IF_ERROR(files::ReadPrivateFile(path, kind.what, &text.bytes));
  // One line; the newline an editor adds is not part of the key.
  absl::StatusOr<Ed25519NoteKey> key =
      Ed25519NoteKey::Parse(absl::StripAsciiWhitespace(text.bytes));
  if (!key.ok()) {
    // Parse names what is malformed, never the seed.
    return absl::InvalidArgumentError(absl::StrCat(
        kind.what, " ", path, ": ", key.status().message(),
        " (want one line PRIVATE+KEY+<name>+<key ID>+<base64>, as ", kind.generator, " writes)"));
  }
  const NoteVerifierKey& verifier = key->verifier_key();
  if (verifier.type != kind.type) {
    return absl::InvalidArgumentError(
        absl::StrCat(kind.what, " ", path, ": key ", verifier.name, " is of signature type ",
                     static_cast<int>(verifier.type), " (", TypeName(verifier.type), "), not ",
                     TypeName(kind.type), " (", static_cast<int>(kind.type), ")"));
  }
  return key;
}

absl::StatusOr<Ed25519NoteKey> GenerateKeyFile(const std::string& path, absl::string_view name,
                                               bool replace, const KeyFileKind& kind) {
  if (!IsValidKeyName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kind.what, " name \"", absl::CEscape(name),
                     "\" is not a note key name: non-empty UTF-8 without spaces or '+'"));
  }
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteKey key, Ed25519NoteKey::Generate(name, kind.type));
  WipedString text{absl::StrCat(key.EncodePrivate(), "\n")};
  NDXP_RETURN_IF_ERROR(files::WritePrivateFile(path, kind.what, text.bytes, replace));
  return key;
}

}  // namespace

std::string DefaultLogKeyName(absl::string_view trust_domain) {
  return absl::StrCat(trust_domain, "/audit");
}

absl::StatusOr<Ed25519NoteKey> LoadLogKey(const std::string& path) {
  return LoadKeyFile(path, kLogKey);
}

absl::StatusOr<Ed25519NoteKey> GenerateLogKey(const std::string& path, absl::string_view name,
                                              bool replace) {
  return GenerateKeyFile(path, name, replace, kLogKey);
}

std::string DefaultWitnessKeyName(absl::string_view trust_domain) {
  return absl::StrCat(trust_domain, "/witness");
}

absl::StatusOr<Ed25519NoteKey> LoadWitnessKey(const std::string& path) {
  return LoadKeyFile(path, kWitnessKey);
}

absl::StatusOr<Ed25519NoteKey> GenerateWitnessKey(const std::string& path, absl::string_view name,
                                                  bool replace) {
  return GenerateKeyFile(path, name, replace, kWitnessKey);
}

}  // namespace ndxp::transparency
