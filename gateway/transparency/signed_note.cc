// C2SP signed notes with Ed25519 keys (signed_note.h), on OpenSSL's EVP
// Ed25519 (EVP_DigestSign with no digest: Ed25519 hashes the message itself).
#include "gateway/transparency/signed_note.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/status_util.h"
#include "common/tls/openssl_ptr.h"

namespace ndxp::transparency {
namespace {

constexpr size_t kEd25519KeySize = 32;
constexpr size_t kEd25519SignatureSize = 64;
constexpr absl::string_view kPrivateKeyPrefix = "PRIVATE+KEY+";
constexpr absl::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 em dash, space
// Go's sumdb/note stops at as many; C2SP asks verifiers to accept 16 at least.
constexpr int kMaxSignatures = 100;

// The code point at text[i], advancing i past it; -1 (advancing one byte) for
// bytes that are not UTF-8: overlong forms, surrogates, beyond U+10FFFF.
int32_t NextCodePoint(absl::string_view text, size_t& i) {
  const auto byte = [&](size_t at) { return static_cast<uint8_t>(text[at]); };
  const uint8_t first = byte(i);
  if (first < 0x80) {
    ++i;
    return first;
  }
  int length;
  int32_t code_point;
  int32_t minimum;
  if ((first & 0xE0) == 0xC0) {
    length = 2, code_point = first & 0x1F, minimum = 0x80;
  } else if ((first & 0xF0) == 0xE0) {
    length = 3, code_point = first & 0x0F, minimum = 0x800;
  } else if ((first & 0xF8) == 0xF0) {
    length = 4, code_point = first & 0x07, minimum = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (i + length > text.size()) {
    ++i;
    return -1;
  }
  for (int k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += length;
  return code_point;
}

// Go's unicode.IsSpace, which sumdb/note's names must not contain.
bool IsUnicodeSpace(int32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// A note must be UTF-8 with no control character but "\n".
absl::Status CheckNoteCharacters(absl::string_view text, absl::string_view what) {
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    const int32_t c = NextCodePoint(text, i);
    if (c < 0) return absl::InvalidArgumentError(absl::StrCat(what, ": not UTF-8 at byte ", at));
    if (c < 0x20 && c != '\n') {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": control character ", c, " at byte ", at));
    }
  }
  return absl::OkStatus();
}

std::string Sha256(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string BigEndian32(uint32_t value) {
  return std::string{static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                     static_cast<char>(value >> 8), static_cast<char>(value)};
}

uint32_t ReadBigEndian32(absl::string_view bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

// Standard base64 with padding, and nothing else: re-encoding gives it back.
bool StrictBase64Decode(absl::string_view encoded, std::string* bytes) {
  return absl::Base64Unescape(encoded, bytes) && absl::Base64Escape(*bytes) == encoded;
}

uint32_t KeyIdOf(absl::string_view name, uint8_t type, absl::string_view public_key) {
  return ReadBigEndian32(
      Sha256(absl::StrCat(name, "\n", std::string(1, static_cast<char>(type)), public_key)));
}

// The "<name>+<key ID>+base64(type ‖ key)" both key strings share, parsed;
// the caller checks the key ID against the key's (the private form's is the
// public key's, known only after deriving it).
struct KeyString {
  std::string name;
  uint32_t key_id = 0;
  uint8_t type = 0;
  std::string key;
};
absl::StatusOr<KeyString> ParseKeyString(absl::string_view text, absl::string_view what) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('+', 2));
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": want <name>+<key ID>+<base64 key>"));
  }
  KeyString key;
  key.name = std::string(parts[0]);
  if (!IsValidKeyName(key.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": invalid key name \"", absl::CEscape(key.name), "\""));
  }
  if (parts[1].size() != 8 ||
      !absl::c_all_of(parts[1], [](char c) { return absl::ascii_isxdigit(c); })) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": key ID \"", parts[1], "\" is not 8 hex digits"));
  }
  key.key_id = ReadBigEndian32(absl::HexStringToBytes(parts[1]));
  std::string typed_key;
  if (!StrictBase64Decode(parts[2], &typed_key) || typed_key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": key is not base64"));
  }
  key.type = static_cast<uint8_t>(typed_key[0]);
  key.key = typed_key.substr(1);
  if (key.type != kEd25519NoteType && key.type != kCosignatureV1Type) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": unknown signature type ", static_cast<int>(key.type)));
  }
  if (key.key.size() != kEd25519KeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": Ed25519 key of ", key.key.size(), " bytes, want 32"));
  }
  return key;
}

std::string EncodeKeyString(absl::string_view name, uint32_t key_id, uint8_t type,
                            absl::string_view key) {
  return absl::StrFormat(
      "%s+%08x+%s", name, key_id,
      absl::Base64Escape(absl::StrCat(std::string(1, static_cast<char>(type)), key)));
}

// A note split into its text and its signature lines (without "\n").
struct SplitNote {
  absl::string_view text;
  std::vector<absl::string_view> lines;
};
absl::StatusOr<SplitNote> Split(absl::string_view note) {
  NDXP_RETURN_IF_ERROR(CheckNoteCharacters(note, "malformed note"));
  const size_t blank = note.rfind("\n\n");
  if (blank == absl::string_view::npos) {
    return absl::InvalidArgumentError("malformed note: no blank line before the signatures");
  }
  SplitNote split;
  split.text = note.substr(0, blank + 1);
  absl::string_view signatures = note.substr(blank + 2);
  if (signatures.empty() || signatures.back() != '\n') {
    return absl::InvalidArgumentError(
        "malformed note: no signature lines, or the last does not end in a newline");
  }
  signatures.remove_suffix(1);
  split.lines = absl::StrSplit(signatures, '\n');
  if (split.lines.size() > kMaxSignatures) {
    return absl::InvalidArgumentError(absl::StrCat("malformed note: ", split.lines.size(),
                                                   " signatures, at most ", kMaxSignatures));
  }
  return split;
}

absl::StatusOr<NoteSignature> ParseSignatureLine(absl::string_view line) {
  if (!absl::ConsumePrefix(&line, kSignaturePrefix)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed note: signature line \"",
                                                   absl::CEscape(line), "\" does not start with \"",
                                                   kSignaturePrefix, "\""));
  }
  const size_t space = line.find(' ');
  NoteSignature signature;
  signature.name = std::string(line.substr(0, space));
  std::string bytes;
  if (space == absl::string_view::npos || !IsValidKeyName(signature.name) ||
      !StrictBase64Decode(line.substr(space + 1), &bytes) || bytes.size() < 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed note: signature line \"— ", absl::CEscape(line),
                     "\" is not a key name, a space and base64 of a key ID and signature"));
  }
  signature.key_id = ReadBigEndian32(bytes);
  signature.signature = bytes.substr(4);
  return signature;
}

absl::StatusOr<std::string> SignatureLines(absl::string_view text,
                                           absl::Span<const NoteSigner* const> signers) {
  std::string lines;
  for (const NoteSigner* signer : signers) {
    NDXP_ASSIGN_OR_RETURN(std::string signature, signer->Sign(text));
    const NoteVerifierKey& key = signer->key();
    absl::StrAppend(&lines, kSignaturePrefix, key.name, " ",
                    absl::Base64Escape(absl::StrCat(BigEndian32(key.KeyId()), signature)), "\n");
  }
  return lines;
}

std::string KeyLabel(absl::string_view name, uint32_t key_id) {
  return absl::StrFormat("%s+%08x", name, key_id);
}

}  // namespace

bool IsValidKeyName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    const int32_t c = NextCodePoint(name, i);
    if (c < 0 || c == '+' || IsUnicodeSpace(c)) return false;
  }
  return true;
}

uint32_t NoteVerifierKey::KeyId() const { return KeyIdOf(name, type, public_key); }

std::string NoteVerifierKey::Encode() const {
  return EncodeKeyString(name, KeyId(), type, public_key);
}

absl::StatusOr<NoteVerifierKey> ParseVerifierKey(absl::string_view vkey) {
  NDXP_ASSIGN_OR_RETURN(KeyString parsed, ParseKeyString(vkey, "verifier key"));
  NoteVerifierKey key{parsed.name, parsed.type, parsed.key};
  if (key.KeyId() != parsed.key_id) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "verifier key: key ID %08x is not the key's (%08x)", parsed.key_id, key.KeyId()));
  }
  return key;
}

absl::StatusOr<Ed25519NoteKey> Ed25519NoteKey::FromSeed(absl::string_view name, uint8_t type,
                                                        absl::string_view seed) {
  if (!IsValidKeyName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid key name \"", absl::CEscape(name), "\""));
  }
  std::shared_ptr<EVP_PKEY> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                   reinterpret_cast<const unsigned char*>(seed.data()),
                                   seed.size()),
      EVP_PKEY_free);
  std::string public_key(kEd25519KeySize, '\0');
  size_t length = public_key.size();
  if (!key ||
      EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(public_key.data()),
                                  &length) != 1 ||
      length != kEd25519KeySize) {
    return absl::InternalError("cannot make an Ed25519 key from its seed");
  }
  return Ed25519NoteKey(std::move(key), NoteVerifierKey{std::string(name), type, public_key});
}

absl::StatusOr<Ed25519NoteKey> Ed25519NoteKey::Generate(absl::string_view name, uint8_t type) {
  std::string seed(kEd25519KeySize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), static_cast<int>(seed.size())) !=
      1) {
    return absl::InternalError("no random bytes for an Ed25519 key");
  }
  return FromSeed(name, type, seed);
}

absl::StatusOr<Ed25519NoteKey> Ed25519NoteKey::Parse(absl::string_view private_key) {
  if (!absl::ConsumePrefix(&private_key, kPrivateKeyPrefix)) {
    return absl::InvalidArgumentError("private key: does not start with PRIVATE+KEY+");
  }
  NDXP_ASSIGN_OR_RETURN(KeyString parsed, ParseKeyString(private_key, "private key"));
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteKey key, FromSeed(parsed.name, parsed.type, parsed.key));
  if (key.verifier_key().KeyId() != parsed.key_id) {
    return absl::InvalidArgumentError(
        absl::StrFormat("private key: key ID %08x is not the key's (%08x)", parsed.key_id,
                        key.verifier_key().KeyId()));
  }
  return key;
}

std::string Ed25519NoteKey::EncodePrivate() const {
  std::string seed(kEd25519KeySize, '\0');
  size_t length = seed.size();
  EVP_PKEY_get_raw_private_key(key_.get(), reinterpret_cast<unsigned char*>(seed.data()), &length);
  return absl::StrCat(kPrivateKeyPrefix, EncodeKeyString(verifier_key_.name, verifier_key_.KeyId(),
                                                         verifier_key_.type, seed));
}

absl::StatusOr<std::string> Ed25519NoteKey::SignMessage(absl::string_view message) const {
  MdCtxPtr context(EVP_MD_CTX_new());
  std::string signature(kEd25519SignatureSize, '\0');
  size_t length = signature.size();
  if (!context || EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      length != kEd25519SignatureSize) {
    return absl::InternalError("Ed25519 signing failed");
  }
  return signature;
}

bool VerifyEd25519(absl::string_view public_key, absl::string_view message,
                   absl::string_view signature) {
  if (public_key.size() != kEd25519KeySize || signature.size() != kEd25519SignatureSize) {
    return false;
  }
  KeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(public_key.data()),
                                         public_key.size()));
  MdCtxPtr context(EVP_MD_CTX_new());
  return key && context &&
         EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

absl::StatusOr<Ed25519NoteSigner> Ed25519NoteSigner::Create(Ed25519NoteKey key) {
  if (key.verifier_key().type != kEd25519NoteType) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", key.verifier_key().name, " is of signature type ",
                     static_cast<int>(key.verifier_key().type), ", not an Ed25519 note key (1)"));
  }
  return Ed25519NoteSigner(std::move(key));
}

absl::StatusOr<std::string> Ed25519NoteSigner::Sign(absl::string_view text) const {
  return key_.SignMessage(text);
}

absl::StatusOr<Ed25519NoteVerifier> Ed25519NoteVerifier::FromVkey(absl::string_view vkey) {
  NDXP_ASSIGN_OR_RETURN(NoteVerifierKey key, ParseVerifierKey(vkey));
  if (key.type != kEd25519NoteType) {
    return absl::InvalidArgumentError(
        absl::StrCat("verifier key ", key.name, " is of signature type ",
                     static_cast<int>(key.type), ", not an Ed25519 note key (1)"));
  }
  return Ed25519NoteVerifier(std::move(key));
}

bool Ed25519NoteVerifier::Verify(absl::string_view text, absl::string_view signature) const {
  return VerifyEd25519(key_.public_key, text, signature);
}

absl::StatusOr<std::string> SignNote(absl::string_view text,
                                     absl::Span<const NoteSigner* const> signers) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("note text must end in a newline");
  }
  NDXP_RETURN_IF_ERROR(CheckNoteCharacters(text, "note text"));
  NDXP_ASSIGN_OR_RETURN(std::string lines, SignatureLines(text, signers));
  return absl::StrCat(text, "\n", lines);
}

absl::StatusOr<std::string> AddNoteSignatures(absl::string_view note,
                                              absl::Span<const NoteSigner* const> signers) {
  NDXP_ASSIGN_OR_RETURN(SplitNote split, Split(note));
  NDXP_ASSIGN_OR_RETURN(std::string lines, SignatureLines(split.text, signers));
  return absl::StrCat(note, lines);
}

absl::StatusOr<OpenedNote> OpenNote(absl::string_view note,
                                    absl::Span<const NoteVerifier* const> verifiers) {
  NDXP_ASSIGN_OR_RETURN(SplitNote split, Split(note));
  OpenedNote opened;
  opened.text = std::string(split.text);
  std::vector<std::string> unknown_lines;
  for (absl::string_view line : split.lines) {
    NDXP_ASSIGN_OR_RETURN(NoteSignature signature, ParseSignatureLine(line));
    const NoteVerifier* verifier = nullptr;
    for (const NoteVerifier* candidate : verifiers) {
      if (candidate->key().name != signature.name || candidate->key().KeyId() != signature.key_id) {
        continue;
      }
      if (verifier != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("two verifier keys are ", KeyLabel(signature.name, signature.key_id)));
      }
      verifier = candidate;
    }
    if (verifier == nullptr) {
      // Unknown keys are ignored (other witnesses, a rotated log key).
      if (absl::c_find(unknown_lines, line) == unknown_lines.end()) {
        unknown_lines.emplace_back(line);
        opened.unknown.push_back(std::move(signature));
      }
      continue;
    }
    const bool seen = absl::c_any_of(opened.verified, [&](const NoteSignature& other) {
      return other.name == signature.name && other.key_id == signature.key_id;
    });
    if (seen) continue;
    if (!verifier->Verify(opened.text, signature.signature)) {
      return absl::DataLossError(absl::StrCat("note's signature by ",
                                              KeyLabel(signature.name, signature.key_id),
                                              " does not verify: forged or altered"));
    }
    opened.verified.push_back(std::move(signature));
  }
  if (opened.verified.empty()) {
    std::vector<std::string> signers;
    for (const NoteSignature& s : opened.unknown) signers.push_back(KeyLabel(s.name, s.key_id));
    return absl::UnauthenticatedError(
        absl::StrCat("note is signed by no known key (signed by: ",
                     signers.empty() ? "none" : absl::StrJoin(signers, ", "), ")"));
  }
  return opened;
}

}  // namespace ndxp::transparency
