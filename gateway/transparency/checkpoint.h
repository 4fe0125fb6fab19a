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
#include "gateway/transparency/merkle.h"

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

}  // namespace ndxp::transparency

#endif  // NDXP_GATEWAY_TRANSPARENCY_CHECKPOINT_H_
