// ndxp.hub.v1.Transparency (proto/ndxp/hub/v1/transparency.proto;
// docs/design.md "Transparency"): the hub's signed checkpoints of each
// replica's audit tree, and the proofs that a row is in a tree and that a
// tree extends an earlier one, read on the hub's worker.
//
// Who may ask, beyond admission (a grant, or an operator):
//  - GetCheckpoint and GetConsistencyProof: anyone admitted. They show tree
//    sizes and hashes, never a row;
//  - GetInclusionProof: the consumer of the row asked about (the receipt of
//    its own call), and operators for any row. Anyone else is
//    PERMISSION_DENIED with the same words whether or not the row exists.
//    A row may be asked for by the request id its call was made with: among
//    the asker's own rows (an operator's: anyone's), so a request id another
//    consumer used is NOT_FOUND like one nobody used;
//  - AddCosignature: anyone admitted (a witness is a member). The
//    cosignatures authenticate it: only those by the witnesses the hub lists
//    (transparency.witness_vkeys) are kept, and only of checkpoints it signed.
// Proofs are against trees a signed checkpoint covers: a size beyond the
// newest checkpoint's is refused (nobody could check the proof's root).
#ifndef NDXP_GATEWAY_ADMIN_TRANSPARENCY_METHODS_H_
#define NDXP_GATEWAY_ADMIN_TRANSPARENCY_METHODS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/protocol/hub_services.h"
#include "gateway/local/local_services.h"
#include "gateway/recording/transaction_store.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/merkle.h"

namespace ndxp::gateway {

using protocol::kTransparencyService;

// What the Transparency methods read: the replicas' trees and their signed
// checkpoints. The hub's reads its recording store. Not thread-safe: the
// methods take turns.
class TransparencyLog {
 public:
  virtual ~TransparencyLog() = default;
  // The newest signed checkpoint note of `replica`, with the witnesses'
  // cosignatures collected. NOT_FOUND when none was signed yet.
  virtual absl::StatusOr<std::string> LatestCheckpoint(absl::string_view replica) = 0;
  // Who called in `replica`'s row seq leaf_index + 1 ("agency/subsystem"),
  // and the row's leaf hash. NOT_FOUND when there is no such row.
  struct Leaf {
    std::string consumer;
    transparency::Hash hash{};
  };
  virtual absl::StatusOr<Leaf> ReadLeaf(absl::string_view replica, int64_t leaf_index) = 0;
  virtual absl::StatusOr<transparency::Hash> TreeRoot(absl::string_view replica,
                                                      int64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<transparency::Hash>> InclusionProof(
      absl::string_view replica, int64_t leaf_index, int64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<transparency::Hash>> ConsistencyProof(
      absl::string_view replica, int64_t first, int64_t second) = 0;
  // As TransactionStore::CosignedTreeCheckpoint and AddTreeCosignatures:
  // the newest checkpoint note (cosigned by at least `min_cosignatures` of
  // `witness_keys`) with those witnesses' cosignature lines; the witness
  // keys whose cosignatures of the checkpoint `checkpoint_text` were new.
  virtual absl::StatusOr<std::string> CosignedCheckpoint(absl::string_view replica,
                                                         absl::Span<const std::string> witness_keys,
                                                         int min_cosignatures) = 0;
  virtual absl::StatusOr<std::vector<std::string>> AddCosignatures(
      absl::string_view replica, int64_t tree_size, absl::string_view checkpoint_text,
      absl::Span<const TransactionStore::TreeCosignature> cosignatures) = 0;
  // The rows of `replica` made with request id `request_id` by `consumer`
  // ("": by anyone), in leaf order, at most `limit`: their leaf indexes.
  // Empty when none.
  virtual absl::StatusOr<std::vector<int64_t>> FindRequestLeaves(absl::string_view replica,
                                                                 absl::string_view request_id,
                                                                 absl::string_view consumer,
                                                                 int limit) = 0;
};

// The state the methods share: one log, one at a time.
class TransparencyMethods {
 public:
  // `own_replica`: the replica an empty `replica` field means (the hub's).
  // `witnesses`: the keys of transparency.witness_vkeys, whose cosignatures
  // are kept and published.
  TransparencyMethods(std::unique_ptr<TransparencyLog> log, std::string own_replica,
                      std::vector<transparency::CosignatureVerifier> witnesses = {});

  grpc::Status GetCheckpoint(const LocalCall& call, grpc::ByteBuffer* request,
                             grpc::ByteBuffer* response);
  grpc::Status GetInclusionProof(const LocalCall& call, grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response);
  grpc::Status GetConsistencyProof(const LocalCall& call, grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response);
  // The checkpoint is opened with the witnesses' keys only: the log's own
  // signature is not checked, the stored checkpoint's text is compared
  // instead (its origin names the replica: "<trust domain>/audit/<replica>").
  grpc::Status AddCosignature(const LocalCall& call, grpc::ByteBuffer* request,
                              grpc::ByteBuffer* response);

 private:
  // The replica a request names ("" is the hub's own).
  std::string ReplicaOf(absl::string_view asked) const;
  // The tree size of `replica`'s newest signed checkpoint.
  absl::StatusOr<int64_t> CheckpointedSize(absl::string_view replica)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The leaf index of the one row of `replica` that `request_id` names among
  // those `call` may see (its consumer's; an operator's: any). NOT_FOUND
  // when none (whether or not others' rows hold it); FAILED_PRECONDITION
  // listing "<replica>:<leaf index>" of each when several do.
  absl::StatusOr<int64_t> LeafOfRequest(const LocalCall& call, absl::string_view replica,
                                        absl::string_view request_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  const std::unique_ptr<TransparencyLog> log_ ABSL_PT_GUARDED_BY(mu_);
  const std::string own_replica_;
  const std::vector<transparency::CosignatureVerifier> witnesses_;
  const std::vector<const transparency::NoteVerifier*> witness_verifiers_;
  // Each witness's "<name>+<key ID>": how the store knows it.
  const std::vector<std::string> witness_keys_;
};

// Adds the four methods of ndxp.hub.v1.Transparency to `local`, answering
// from `methods` (shared by them). Granted members and operators may call
// them (operators need no grant).
void AddTransparencyMethods(std::shared_ptr<TransparencyMethods> methods, LocalServices* local);

// The log of a recording store: its replicas' trees and signed checkpoints.
std::unique_ptr<TransparencyLog> TransparencyLogOf(std::unique_ptr<TransactionStore> store);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMIN_TRANSPARENCY_METHODS_H_
