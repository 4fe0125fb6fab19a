#include "gateway/transparency/witness.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/files/durable_file.h"
#include "common/logging/logging.h"
#include "common/status/status_util.h"

namespace ndxp::transparency {
namespace {

// An origin as a file name: letters, digits, '.', '-' and '_' as they are,
// every other byte %XX ('/' included), so two origins never share a file.
std::string FileNameOf(absl::string_view origin) {
  std::string name;
  for (unsigned char c : origin) {
    if (absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_') {
      name.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&name, "%%%02X", c);
    }
  }
  return name;
}

std::string Heads(const Checkpoint& a, const Checkpoint& b) {
  return absl::StrCat("size ", a.tree_size, " root ", HashHex(a.root), " against size ",
                      b.tree_size, " root ", HashHex(b.root));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Witness>> Witness::Open(std::string state_dir, Ed25519NoteKey key,
                                                       std::vector<Log> logs,
                                                       std::function<int64_t()> now_seconds) {
  NDXP_ASSIGN_OR_RETURN(CosignatureSigner signer,
                        CosignatureSigner::Create(std::move(key), std::move(now_seconds)));
  std::unique_ptr<Witness> witness(new Witness(std::move(state_dir), std::move(signer)));
  absl::MutexLock lock(&witness->mu_);
  for (Log& log : logs) {
    if (!IsValidKeyName(log.origin)) {
      return absl::InvalidArgumentError(
          absl::StrCat("witness: \"", log.origin, "\" is not a log origin"));
    }
    FollowedLog followed;
    followed.latest = {log.origin, 0, EmptyTreeRoot()};
    for (const std::string& vkey : log.vkeys) {
      NDXP_ASSIGN_OR_RETURN(Ed25519NoteVerifier verifier, Ed25519NoteVerifier::FromVkey(vkey));
      followed.verifiers.push_back(std::make_unique<Ed25519NoteVerifier>(std::move(verifier)));
    }
    if (followed.verifiers.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("witness: no verifier key for the log ", log.origin));
    }
    const std::string path = witness->StatePath(log.origin);
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      absl::StatusOr<Checkpoint> latest = ParseCheckpoint(text.str());
      if (!latest.ok() || latest->origin != log.origin) {
        return absl::DataLossError(absl::StrCat(
            "witness state ", path, ": not the last checkpoint of ", log.origin, ": ",
            latest.ok() ? absl::StrCat("it is ", latest->origin, "'s") : latest.status().message()));
      }
      followed.latest = *std::move(latest);
    }
    witness->logs_.insert_or_assign(log.origin, std::move(followed));
  }
  return witness;
}

std::string Witness::StatePath(absl::string_view origin) const {
  return (std::filesystem::path(state_dir_) / FileNameOf(origin)).string();
}

absl::StatusOr<Checkpoint> Witness::Latest(absl::string_view origin) const {
  absl::MutexLock lock(&mu_);
  auto log = logs_.find(origin);
  if (log == logs_.end()) {
    return absl::NotFoundError(absl::StrCat("witness: does not follow the log ", origin));
  }
  return log->second.latest;
}

absl::StatusOr<std::string> Witness::Cosign(absl::string_view note,
                                            absl::Span<const Hash> consistency_proof) {
  // The origin line says whose keys to check the note with.
  const absl::string_view origin = note.substr(0, note.find('\n'));
  absl::MutexLock lock(&mu_);
  auto found = logs_.find(origin);
  if (found == logs_.end()) {
    return absl::NotFoundError(absl::StrCat("witness: does not follow the log \"",
                                            absl::CHexEscape(std::string(origin)), "\""));
  }
  FollowedLog& log = found->second;
  std::vector<const NoteVerifier*> verifiers;
  for (const auto& verifier : log.verifiers) verifiers.push_back(verifier.get());
  NDXP_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(note, verifiers));
  NDXP_ASSIGN_OR_RETURN(Checkpoint checkpoint, ParseCheckpoint(opened.text));
  const Checkpoint& last = log.latest;
  if (checkpoint.tree_size < last.tree_size) {
    return absl::FailedPreconditionError(absl::StrCat(
        "witness: ", origin, " at size ", checkpoint.tree_size,
        " is older than the checkpoint of size ", last.tree_size, " already cosigned"));
  }
  absl::Status consistent =
      checkpoint.tree_size == last.tree_size
          ? (checkpoint.root == last.root ? absl::OkStatus()
                                          : absl::DataLossError("another root at the same size"))
          : VerifyConsistency(last.tree_size, checkpoint.tree_size, last.root, checkpoint.root,
                              consistency_proof);
  if (!consistent.ok()) {
    const std::string what =
        absl::StrCat(origin, " shows a history inconsistent with the one cosigned (",
                     Heads(checkpoint, last), "): ", consistent.message(), "; refused");
    logging::Log("witness").error("{}", what);
    return absl::DataLossError(absl::StrCat("witness: ", what));
  }
  if (checkpoint.tree_size > last.tree_size) {
    // Remembered before the cosignature leaves: a witness that forgot it
    // would cosign a rewritten history after a restart.
    NDXP_RETURN_IF_ERROR(WriteFileDurably(StatePath(origin), opened.text, 0644));
    log.latest = std::move(checkpoint);
  }
  const NoteSigner* signers[] = {&signer_};
  return AddNoteSignatures(note, signers);
}

}  // namespace ndxp::transparency
