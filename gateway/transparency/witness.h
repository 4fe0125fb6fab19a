// A witness of transparency logs (docs/design.md "Transparency"): it cosigns
// a log's checkpoint (C2SP tlog-cosignature) only once it has checked that
// the checkpoint is signed by that log's key and extends the last checkpoint
// it cosigned of the same origin (an RFC 9162 consistency proof). So a log
// cannot show two histories to two parties who each hold a checkpoint
// cosigned by the same witness: the second history is refused.
//
// The last cosigned checkpoint of each origin outlives restarts: one file per
// origin in the state directory, written durably before the cosignature is
// handed out (a witness that forgot would cosign a rewritten history). The
// province hub plays the witness of the national hub's replicas in the local
// federation.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto witness, Witness::Open(dir, key, {{origin, log_vkey}}));
//   NDXP_ASSIGN_OR_RETURN(Checkpoint last, witness->Latest(origin));
//   // fetch the log's newest checkpoint `note` and the consistency proof
//   // from last.tree_size to its size, then:
//   NDXP_ASSIGN_OR_RETURN(std::string cosigned, witness->Cosign(note, proof));
#ifndef NDXP_GATEWAY_TRANSPARENCY_WITNESS_H_
#define NDXP_GATEWAY_TRANSPARENCY_WITNESS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/merkle.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::transparency {

// Thread-safe.
class Witness {
 public:
  // A log the witness follows: its origin and the verifier key of its log
  // key (several, during a log key's rotation: any of them may sign).
  struct Log {
    std::string origin;
    std::vector<std::string> vkeys;
  };

  // `state_dir` must exist (the last cosigned checkpoints are read from it);
  // `key` is the witness's own cosigning key (type 0x04), `now_seconds` the
  // time it signs (the system clock's by default). INVALID_ARGUMENT for a
  // bad key, vkey or origin; DATA_LOSS for a state file that does not parse.
  static absl::StatusOr<std::unique_ptr<Witness>> Open(
      std::string state_dir, Ed25519NoteKey key, std::vector<Log> logs,
      std::function<int64_t()> now_seconds = nullptr);

  // The last checkpoint the witness cosigned of `origin`: tree size 0 and
  // the empty tree's root when none yet. NOT_FOUND for an origin it does not
  // follow.
  absl::StatusOr<Checkpoint> Latest(absl::string_view origin) const;

  // `note` (a checkpoint signed by its log's key) with the witness's
  // cosignature added, once `consistency_proof` shows it extends Latest (an
  // empty proof when Latest is empty or the same tree). Refused, with nothing
  // remembered:
  //   NOT_FOUND            a log the witness does not follow;
  //   UNAUTHENTICATED      not signed by the log's key (DATA_LOSS: a bad
  //                        signature by it);
  //   INVALID_ARGUMENT     not a checkpoint;
  //   FAILED_PRECONDITION  smaller than the last cosigned (a stale read;
  //                        fetch the newest);
  //   DATA_LOSS            inconsistent with the last cosigned, or the same
  //                        size with another root: two histories (logged
  //                        as an error naming both heads).
  absl::StatusOr<std::string> Cosign(absl::string_view note,
                                     absl::Span<const Hash> consistency_proof);

  // The witness's verifier key (what a verifier is given to count it).
  std::string vkey() const { return signer_.key().Encode(); }

 private:
  struct FollowedLog {
    std::vector<std::unique_ptr<NoteVerifier>> verifiers;
    Checkpoint latest;  // guarded by mu_
  };
  Witness(std::string state_dir, CosignatureSigner signer)
      : state_dir_(std::move(state_dir)), signer_(std::move(signer)) {}
  std::string StatePath(absl::string_view origin) const;

  const std::string state_dir_;
  const CosignatureSigner signer_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, FollowedLog> logs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::transparency

#endif  // NDXP_GATEWAY_TRANSPARENCY_WITNESS_H_
