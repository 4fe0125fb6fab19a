// A transparency log's checkpoint (C2SP tlog-checkpoint): the text of a
// signed note (signed_note.h) naming the log, its tree size and root hash:
//   <origin>\n<tree size, decimal>\n<base64 of the 32-byte root hash>\n
// One origin per replica's log. No extension lines: the format discourages
// them (monitors cannot audit them) and witnesses' cosignatures carry the
// time, so parsing refuses them.
//
// Example:
//   std::string text = FormatCheckpoint({"ndxp.example/audit/hub-1", size, root});
//   NDXP_ASSIGN_OR_RETURN(std::string note, SignNote(text, {&log_signer}));
//   NDXP_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(note, {&log_verifier}));
//   NDXP_ASSIGN_OR_RETURN(Checkpoint checkpoint, ParseCheckpoint(opened.text));
#ifndef NDXP_GATEWAY_TRANSPARENCY_CHECKPOINT_H_
#define NDXP_GATEWAY_TRANSPARENCY_CHECKPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/transparency/merkle.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::transparency {

struct Checkpoint {
  std::string origin;
  int64_t tree_size = 0;
  Hash root{};
  bool operator==(const Checkpoint& other) const {
    return origin == other.origin && tree_size == other.tree_size && root == other.root;
  }
};

// The note text of `checkpoint`; INVALID_ARGUMENT for an origin that is not
// a key name (checkpoints are signed under their origin) or a negative size.
absl::StatusOr<std::string> FormatCheckpoint(const Checkpoint& checkpoint);

// The checkpoint a note text states: exactly the three lines, strictly
// (decimal size without sign or leading zeros, canonical base64 of 32
// bytes). INVALID_ARGUMENT naming the line and what is wrong with it.
absl::StatusOr<Checkpoint> ParseCheckpoint(absl::string_view text);

// The origin of replica `replica`'s log: "<trust domain>/audit/<replica>", a
// schema-less URL-like name as C2SP tlog-checkpoint recommends. Derived, not
// configured, so that renaming nothing can fork a log's identity; unique as
// long as no two hubs of a trust domain share a replica name.
// INVALID_ARGUMENT when either part is empty or the result is not a valid
// origin: it must be a note key name (no Unicode space, no '+': witnesses
// sign under names of that form) on one line without control characters.
absl::StatusOr<std::string> CheckpointOrigin(absl::string_view trust_domain,
                                             absl::string_view replica);

// The signed note of the checkpoint (`origin`, `tree_size`, `root`): its
// three lines, a blank line and the log key's signature line. `log_key`
// must be an Ed25519 note key (type 0x01, log_key.h); INVALID_ARGUMENT
// otherwise or for what FormatCheckpoint refuses. Go's sumdb/note opens it.
absl::StatusOr<std::string> SignTreeCheckpoint(absl::string_view origin, int64_t tree_size,
                                               const Hash& root, const Ed25519NoteKey& log_key);

// What a verifier does with a published checkpoint: opens `note` with the
// log's verifier keys (`log_vkeys`: during a key rotation both the old and
// the new; one signature by any suffices, other signatures such as
// witnesses' are ignored) and parses its text. INVALID_ARGUMENT for a
// malformed note, vkey or checkpoint, or a checkpoint of another origin than
// `expected_origin` (a log must not pass off another log's tree as its own);
// DATA_LOSS when a signature by one of the keys does not verify;
// UNAUTHENTICATED when none of them signed it.
absl::StatusOr<Checkpoint> OpenTreeCheckpoint(absl::string_view note,
                                              absl::string_view expected_origin,
                                              absl::Span<const std::string> log_vkeys);

}  // namespace ndxp::transparency

#endif  // NDXP_GATEWAY_TRANSPARENCY_CHECKPOINT_H_
