// Signed notes (C2SP signed-note, the format of Go's golang.org/x/mod/sumdb/note):
// a text ending in "\n", a blank line, and signature lines
//   — <key name> base64(4-byte key ID ‖ signature)
// The key ID is SHA-256(name ‖ "\n" ‖ type ‖ public key)[:4], big-endian,
// type 0x01 for an Ed25519 signature of the text and 0x04 for a witness's
// timestamped cosignature (cosignature.h). Keys as text:
//   verifier key  <name>+<key ID, 8 hex>+base64(type ‖ 32-byte public key)
//   private key   PRIVATE+KEY+<name>+<key ID, 8 hex>+base64(type ‖ 32-byte seed)
// the private form being sumdb/note's (note.NewSigner reads a type 0x01 one).
// Opening a note verifies every signature by a known key (name and key ID):
// one that fails rejects the note, unknown ones are listed and ignored, and a
// note no known key signed is rejected.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(Ed25519NoteKey key, Ed25519NoteKey::Generate("ndxp.example/log"));
//   NDXP_ASSIGN_OR_RETURN(Ed25519NoteSigner signer, Ed25519NoteSigner::Create(key));
//   NDXP_ASSIGN_OR_RETURN(std::string note, SignNote("hello\n", {&signer}));
//   NDXP_ASSIGN_OR_RETURN(Ed25519NoteVerifier verifier,
//                         Ed25519NoteVerifier::FromVkey(key.verifier_key().Encode()));
//   NDXP_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(note, {&verifier}));
#ifndef NDXP_GATEWAY_TRANSPARENCY_SIGNED_NOTE_H_
#define NDXP_GATEWAY_TRANSPARENCY_SIGNED_NOTE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

struct evp_pkey_st;

namespace ndxp::transparency {

// Signature types of C2SP signed-note: the byte that prefixes a public key in
// its key ID and verifier key.
inline constexpr uint8_t kEd25519NoteType = 0x01;
inline constexpr uint8_t kCosignatureV1Type = 0x04;

// Non-empty UTF-8 with no Unicode space and no "+".
bool IsValidKeyName(absl::string_view name);

// A public key as notes know it: its name, signature type and Ed25519 key.
struct NoteVerifierKey {
  std::string name;
  uint8_t type = kEd25519NoteType;
  std::string public_key;  // 32 bytes

  uint32_t KeyId() const;
  // "<name>+<key ID>+base64(type ‖ public key)".
  std::string Encode() const;
};

// A verifier key string; INVALID_ARGUMENT naming what is malformed (name,
// key ID that is not the key's, key length, unknown type).
absl::StatusOr<NoteVerifierKey> ParseVerifierKey(absl::string_view vkey);

// An Ed25519 private key with its name and signature type. Copies share the
// key.
class Ed25519NoteKey {
 public:
  static absl::StatusOr<Ed25519NoteKey> Generate(absl::string_view name,
                                                 uint8_t type = kEd25519NoteType);
  // "PRIVATE+KEY+<name>+<key ID>+base64(type ‖ seed)"; INVALID_ARGUMENT
  // naming what is malformed, or when the key ID is not the key's.
  static absl::StatusOr<Ed25519NoteKey> Parse(absl::string_view private_key);

  // The private key string Parse reads (keep it secret).
  std::string EncodePrivate() const;
  const NoteVerifierKey& verifier_key() const { return verifier_key_; }
  // The 64-byte Ed25519 signature of `message`.
  absl::StatusOr<std::string> SignMessage(absl::string_view message) const;

 private:
  static absl::StatusOr<Ed25519NoteKey> FromSeed(absl::string_view name, uint8_t type,
                                                 absl::string_view seed);
  Ed25519NoteKey(std::shared_ptr<evp_pkey_st> key, NoteVerifierKey verifier_key)
      : key_(std::move(key)), verifier_key_(std::move(verifier_key)) {}
  std::shared_ptr<evp_pkey_st> key_;
  NoteVerifierKey verifier_key_;
};

// Whether `signature` is the Ed25519 signature of `message` by `public_key`.
bool VerifyEd25519(absl::string_view public_key, absl::string_view message,
                   absl::string_view signature);

// Signs a note's text with one key: the bytes after the key ID.
class NoteSigner {
 public:
  virtual ~NoteSigner() = default;
  virtual const NoteVerifierKey& key() const = 0;
  virtual absl::StatusOr<std::string> Sign(absl::string_view text) const = 0;
};

// Checks one key's signatures (the bytes after the key ID) of a note's text.
class NoteVerifier {
 public:
  virtual ~NoteVerifier() = default;
  virtual const NoteVerifierKey& key() const = 0;
  virtual bool Verify(absl::string_view text, absl::string_view signature) const = 0;
};

// The Ed25519 signature of the text (type 0x01): a log's key.
class Ed25519NoteSigner : public NoteSigner {
 public:
  // INVALID_ARGUMENT unless the key's type is kEd25519NoteType.
  static absl::StatusOr<Ed25519NoteSigner> Create(Ed25519NoteKey key);
  const NoteVerifierKey& key() const override { return key_.verifier_key(); }
  absl::StatusOr<std::string> Sign(absl::string_view text) const override;

 private:
  explicit Ed25519NoteSigner(Ed25519NoteKey key) : key_(std::move(key)) {}
  Ed25519NoteKey key_;
};

class Ed25519NoteVerifier : public NoteVerifier {
 public:
  // A type 0x01 verifier key; INVALID_ARGUMENT otherwise.
  static absl::StatusOr<Ed25519NoteVerifier> FromVkey(absl::string_view vkey);
  const NoteVerifierKey& key() const override { return key_; }
  bool Verify(absl::string_view text, absl::string_view signature) const override;

 private:
  explicit Ed25519NoteVerifier(NoteVerifierKey key) : key_(std::move(key)) {}
  NoteVerifierKey key_;
};

// One signature line of a note.
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  // after the key ID
};

struct OpenedNote {
  std::string text;                     // with its final "\n"
  std::vector<NoteSignature> verified;  // by the known keys, in note order
  std::vector<NoteSignature> unknown;   // by keys not given, unchecked
};

// `text` (ending in "\n", valid UTF-8 without control characters but "\n")
// signed by each signer. INVALID_ARGUMENT for a text a note cannot hold.
absl::StatusOr<std::string> SignNote(absl::string_view text,
                                     absl::Span<const NoteSigner* const> signers);

// `note` with the signers' signatures of its text added after its own (a
// witness cosigning a checkpoint). Checks the note's form, not its
// signatures (open it first).
absl::StatusOr<std::string> AddNoteSignatures(absl::string_view note,
                                              absl::Span<const NoteSigner* const> signers);

// Opens a signed note: INVALID_ARGUMENT naming what is malformed, DATA_LOSS
// when a known key's signature does not verify, UNAUTHENTICATED when no known
// key signed it. A key is known by its name and key ID.
absl::StatusOr<OpenedNote> OpenNote(absl::string_view note,
                                    absl::Span<const NoteVerifier* const> verifiers);

}  // namespace ndxp::transparency

#endif  // NDXP_GATEWAY_TRANSPARENCY_SIGNED_NOTE_H_
