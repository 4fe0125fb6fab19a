// A receipt with what proves it, checked offline by anyone holding the log's
// verifier key and the witnesses' (docs/design.md "Transparency"): the row's
// leaf is at its index in a tree whose root a checkpoint signed by the log
// key states, and a quorum of witnesses cosigned that checkpoint, so the
// log cannot show this history to one party and another to the next.
// `ndxpctl audit prove` writes one, `ndxpctl audit verify-receipt` checks it.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(ReceiptVerification verified,
//                         VerifyReceiptProof(proof, {log_vkey}, witness_vkeys, 1));
#ifndef NDXP_GATEWAY_TRANSPARENCY_RECEIPT_PROOF_H_
#define NDXP_GATEWAY_TRANSPARENCY_RECEIPT_PROOF_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/merkle.h"

namespace ndxp::transparency {

struct ReceiptProof {
  std::string replica;
  int64_t leaf_index = 0;
  Hash leaf_hash{};
  int64_t tree_size = 0;
  Hash root_hash{};
  std::vector<Hash> hashes;  // the inclusion proof, leaf to root
  std::string checkpoint;    // the signed note, with the witnesses' cosignatures
};

// The proof file `ndxpctl audit prove --format json` writes and
// `ndxpctl audit verify-receipt` reads: one JSON object
//   {"replica": "hub-1", "leaf_index": 41, "leaf_hash": "<64 hex>",
//    "tree_size": 300, "root_hash": "<64 hex>", "hashes": ["<64 hex>", ...],
//    "checkpoint": "<the signed note, cosignature lines included>"}
// hashes lowercase hex, the proof's leaf to root.
std::string ReceiptProofToJson(const ReceiptProof& proof);
// Reads what ReceiptProofToJson writes (keys in any order, hex in either
// case). INVALID_ARGUMENT naming the field that is missing, of the wrong
// type or malformed, or unknown, or saying the text is not JSON.
absl::StatusOr<ReceiptProof> ReceiptProofFromJson(absl::string_view json);

struct ReceiptVerification {
  Checkpoint checkpoint;
  std::string log_key;                     // the name of the log key that signed it
  std::vector<Cosignature> cosignatures;   // by the witnesses given
};

// Checks `proof`, naming the first check that fails:
//   INVALID_ARGUMENT  a vkey that does not parse, or quorum < 0 or beyond
//                     the witnesses given;
//   UNAUTHENTICATED   the checkpoint is signed by none of `log_vkeys`
//                     (DATA_LOSS: a bad signature by one of them);
//   DATA_LOSS         the checkpoint is of another replica, or states
//                     another size or root than the proof; the leaf is not
//                     in the tree;
//   FAILED_PRECONDITION  fewer than `quorum` of `witness_vkeys` cosigned.
absl::StatusOr<ReceiptVerification> VerifyReceiptProof(const ReceiptProof& proof,
                                                       absl::Span<const std::string> log_vkeys,
                                                       absl::Span<const std::string> witness_vkeys,
                                                       int quorum);

}  // namespace ndxp::transparency

#endif  // NDXP_GATEWAY_TRANSPARENCY_RECEIPT_PROOF_H_
