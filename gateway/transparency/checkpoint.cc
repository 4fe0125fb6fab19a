// C2SP tlog-checkpoint note texts (checkpoint.h).
#include "gateway/transparency/checkpoint.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_util.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::transparency {
namespace {

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("checkpoint line ", line, " ", what));
}

}  // namespace

absl::StatusOr<std::string> FormatCheckpoint(const Checkpoint& checkpoint) {
  if (!IsValidKeyName(checkpoint.origin)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint origin \"", absl::CEscape(checkpoint.origin), "\" is not a key name"));
  }
  if (checkpoint.tree_size < 0) return absl::InvalidArgumentError("negative tree size");
  return absl::StrCat(
      checkpoint.origin, "\n", checkpoint.tree_size, "\n",
      absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(checkpoint.root.data()),
                                           checkpoint.root.size())),
      "\n");
}

absl::StatusOr<Checkpoint> ParseCheckpoint(absl::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("checkpoint does not end in a newline");
  }
  text.remove_suffix(1);
  const std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint has ", lines.size(), " lines, want 3 (origin, tree size, root hash)"));
  }
  if (lines.size() > 3) {
    return LineError(
        4, absl::StrCat("\"", absl::CEscape(lines[3]), "\": extension lines are not accepted"));
  }
  Checkpoint checkpoint;
  if (lines[0].empty()) return LineError(1, "(origin) is empty");
  checkpoint.origin = std::string(lines[0]);

  const absl::string_view size = lines[1];
  const bool digits_only =
      !size.empty() && absl::c_all_of(size, [](char c) { return absl::ascii_isdigit(c); });
  if (!digits_only || (size.size() > 1 && size[0] == '0') ||
      !absl::SimpleAtoi(size, &checkpoint.tree_size)) {
    return LineError(2, absl::StrCat("(tree size) \"", absl::CEscape(size),
                                     "\" is not a decimal number without leading zeros up to ",
                                     std::numeric_limits<int64_t>::max()));
  }

  std::string root;
  if (!absl::Base64Unescape(lines[2], &root) || absl::Base64Escape(root) != lines[2] ||
      root.size() != checkpoint.root.size()) {
    return LineError(3, absl::StrCat("(root hash) \"", absl::CEscape(lines[2]),
                                     "\" is not the base64 of 32 bytes"));
  }
  std::copy(root.begin(), root.end(), checkpoint.root.begin());
  return checkpoint;
}

absl::StatusOr<std::string> CheckpointOrigin(absl::string_view trust_domain,
                                             absl::string_view replica) {
  if (trust_domain.empty() || replica.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint origin: the trust domain (\"", absl::CEscape(trust_domain),
                     "\") and the replica (\"", absl::CEscape(replica), "\") must both be set"));
  }
  std::string origin = absl::StrCat(trust_domain, "/audit/", replica);
  const bool control = absl::c_any_of(
      origin, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (control || !IsValidKeyName(origin)) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint origin \"", absl::CEscape(origin),
                     "\" is not valid: it must be UTF-8 without spaces, '+' or control "
                     "characters (C2SP tlog-checkpoint, signed-note key names)"));
  }
  return origin;
}

absl::StatusOr<std::string> SignTreeCheckpoint(absl::string_view origin, int64_t tree_size,
                                               const Hash& root, const Ed25519NoteKey& log_key) {
  NDXP_ASSIGN_OR_RETURN(std::string text, FormatCheckpoint({std::string(origin), tree_size, root}));
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteSigner signer, Ed25519NoteSigner::Create(log_key));
  return SignNote(text, {&signer});
}

absl::StatusOr<Checkpoint> OpenTreeCheckpoint(absl::string_view note,
                                              absl::string_view expected_origin,
                                              absl::Span<const std::string> log_vkeys) {
  std::vector<Ed25519NoteVerifier> verifiers;
  verifiers.reserve(log_vkeys.size());
  for (const std::string& vkey : log_vkeys) {
    NDXP_ASSIGN_OR_RETURN(Ed25519NoteVerifier verifier, Ed25519NoteVerifier::FromVkey(vkey));
    verifiers.push_back(std::move(verifier));
  }
  std::vector<const NoteVerifier*> known;
  for (const Ed25519NoteVerifier& verifier : verifiers) known.push_back(&verifier);
  NDXP_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(note, known));
  NDXP_ASSIGN_OR_RETURN(Checkpoint checkpoint, ParseCheckpoint(opened.text));
  if (checkpoint.origin != expected_origin) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint of origin \"", absl::CEscape(checkpoint.origin),
                     "\", not the expected \"", absl::CEscape(expected_origin), "\""));
  }
  return checkpoint;
}

}  // namespace ndxp::transparency
