// Witnesses' cosignatures of checkpoints (C2SP tlog-cosignature, the Ed25519
// cosignature/v1): a signature line added to a checkpoint's signed note by a
// witness key of its own (signature type 0x04, so its key ID differs from
// the same key's as a log key), stating that, at its time, this is the
// largest tree the witness has seen of that origin and that it is consistent
// with every earlier one. The signature is
//   8-byte big-endian Unix seconds ‖ Ed25519 signature of
//   "cosignature/v1\ntime <seconds>\n" ‖ the checkpoint's note text
// so the time is signed too.
//
// Example (a witness):
//   NDXP_ASSIGN_OR_RETURN(CosignatureSigner witness, CosignatureSigner::Create(key));
//   NDXP_ASSIGN_OR_RETURN(std::string cosigned, AddNoteSignatures(checkpoint_note, {&witness}));
// and a verifier:
//   NDXP_ASSIGN_OR_RETURN(OpenedNote opened,
//                         OpenNote(cosigned, {&log_verifier, &witness_verifier}));
//   NDXP_ASSIGN_OR_RETURN(std::vector<Cosignature> cosignatures,
//                         WitnessCosignatures(opened, {&witness_verifier}));
#ifndef NDXP_GATEWAY_TRANSPARENCY_COSIGNATURE_H_
#define NDXP_GATEWAY_TRANSPARENCY_COSIGNATURE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::transparency {

// What a witness signs at `time_seconds` for the checkpoint `checkpoint_text`.
std::string CosignedMessage(absl::string_view checkpoint_text, int64_t time_seconds);

class CosignatureSigner : public NoteSigner {
 public:
  // A key of type kCosignatureV1Type (INVALID_ARGUMENT otherwise); the time
  // signed is `now_seconds()`, by default the system clock's.
  static absl::StatusOr<CosignatureSigner> Create(Ed25519NoteKey key,
                                                  std::function<int64_t()> now_seconds = nullptr);
  const NoteVerifierKey& key() const override { return key_.verifier_key(); }
  absl::StatusOr<std::string> Sign(absl::string_view text) const override;

 private:
  CosignatureSigner(Ed25519NoteKey key, std::function<int64_t()> now_seconds)
      : key_(std::move(key)), now_seconds_(std::move(now_seconds)) {}
  Ed25519NoteKey key_;
  std::function<int64_t()> now_seconds_;
};

class CosignatureVerifier : public NoteVerifier {
 public:
  // A witness's verifier key (type 0x04); INVALID_ARGUMENT otherwise.
  static absl::StatusOr<CosignatureVerifier> FromVkey(absl::string_view vkey);
  const NoteVerifierKey& key() const override { return key_; }
  bool Verify(absl::string_view text, absl::string_view signature) const override;

 private:
  explicit CosignatureVerifier(NoteVerifierKey key) : key_(std::move(key)) {}
  NoteVerifierKey key_;
};

// The time (Unix seconds) a cosignature states: `signature` is its bytes
// after the key ID (NoteSignature::signature). INVALID_ARGUMENT unless it is
// 8 + 64 bytes with a time below 2^63.
absl::StatusOr<int64_t> CosignatureTime(absl::string_view signature);

// A witness's key as the log keeps its cosignatures and verifiers name it:
// "<name>+<key ID, 8 hex>", its vkey's first two fields.
std::string WitnessKeyOf(absl::string_view name, uint32_t key_id);
std::string WitnessKeyOf(const NoteVerifierKey& key);

// A witness's verified cosignature of a checkpoint.
struct Cosignature {
  std::string witness;  // its key name
  int64_t time_seconds = 0;
};

// The cosignatures among `opened`'s verified signatures made by `witnesses`
// (the note opened with the log's and the witnesses' verifiers), in note
// order, with their times: a quorum is counted from these.
absl::StatusOr<std::vector<Cosignature>> WitnessCosignatures(
    const OpenedNote& opened, absl::Span<const CosignatureVerifier* const> witnesses);

}  // namespace ndxp::transparency

#endif  // NDXP_GATEWAY_TRANSPARENCY_COSIGNATURE_H_
