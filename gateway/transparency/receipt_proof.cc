#include "gateway/transparency/receipt_proof.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_util.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::transparency {

absl::StatusOr<ReceiptVerification> VerifyReceiptProof(const ReceiptProof& proof,
                                                       absl::Span<const std::string> log_vkeys,
                                                       absl::Span<const std::string> witness_vkeys,
                                                       int quorum) {
  if (quorum < 0 || quorum > static_cast<int>(witness_vkeys.size())) {
    return absl::InvalidArgumentError(absl::StrCat("a quorum of ", quorum, " among ",
                                                   witness_vkeys.size(), " witnesses given"));
  }
  std::vector<Ed25519NoteVerifier> logs;
  std::vector<CosignatureVerifier> witnesses;
  for (const std::string& vkey : log_vkeys) {
    NDXP_ASSIGN_OR_RETURN(Ed25519NoteVerifier log, Ed25519NoteVerifier::FromVkey(vkey));
    logs.push_back(std::move(log));
  }
  for (const std::string& vkey : witness_vkeys) {
    NDXP_ASSIGN_OR_RETURN(CosignatureVerifier witness, CosignatureVerifier::FromVkey(vkey));
    witnesses.push_back(std::move(witness));
  }
  std::vector<const NoteVerifier*> verifiers;
  std::vector<const CosignatureVerifier*> witness_verifiers;
  for (const auto& log : logs) verifiers.push_back(&log);
  for (const auto& witness : witnesses) {
    verifiers.push_back(&witness);
    witness_verifiers.push_back(&witness);
  }
  NDXP_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(proof.checkpoint, verifiers));
  ReceiptVerification verified;
  for (const NoteSignature& signature : opened.verified) {
    for (const auto& log : logs) {
      if (signature.name == log.key().name && signature.key_id == log.key().KeyId()) {
        verified.log_key = signature.name;
      }
    }
  }
  if (verified.log_key.empty()) {
    return absl::UnauthenticatedError(
        "the checkpoint is not signed by the log key given (only by witnesses)");
  }
  NDXP_ASSIGN_OR_RETURN(verified.checkpoint, ParseCheckpoint(opened.text));
  const Checkpoint& checkpoint = verified.checkpoint;
  if (!absl::EndsWith(checkpoint.origin, absl::StrCat("/", proof.replica))) {
    return absl::DataLossError(absl::StrCat("the checkpoint is of ", checkpoint.origin,
                                            ", not of replica ", proof.replica));
  }
  if (checkpoint.tree_size != proof.tree_size || checkpoint.root != proof.root_hash) {
    return absl::DataLossError(absl::StrCat(
        "the checkpoint states size ", checkpoint.tree_size, " root ", HashHex(checkpoint.root),
        ", the proof size ", proof.tree_size, " root ", HashHex(proof.root_hash)));
  }
  absl::Status included = VerifyInclusion(proof.leaf_hash, proof.leaf_index, proof.tree_size,
                                          proof.hashes, proof.root_hash);
  if (!included.ok()) {
    return absl::DataLossError(absl::StrCat("leaf ", proof.leaf_index, " (",
                                            HashHex(proof.leaf_hash), ") is not in the tree: ",
                                            included.message()));
  }
  NDXP_ASSIGN_OR_RETURN(verified.cosignatures, WitnessCosignatures(opened, witness_verifiers));
  if (static_cast<int>(verified.cosignatures.size()) < quorum) {
    return absl::FailedPreconditionError(absl::StrCat(
        verified.cosignatures.size(), " of the witnesses given cosigned the checkpoint, ",
        quorum, " needed: without a quorum a split view would not be seen"));
  }
  return verified;
}

}  // namespace ndxp::transparency
