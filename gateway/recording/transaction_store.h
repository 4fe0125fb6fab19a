// Where transactions are kept: the audit log (one row per transaction,
// append-only, hash-chained), the counters by (local day, consumer,
// provider, service, method, status) of forwarded calls and those of
// refused calls, and the signed checkpoints of the chain's head.
#ifndef NDXP_GATEWAY_RECORDING_TRANSACTION_STORE_H_
#define NDXP_GATEWAY_RECORDING_TRANSACTION_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gateway/call/transaction_record.h"
#include "gateway/recording/audit_checkpoint.h"
#include "gateway/recording/audit_tree.h"
#include "gateway/recording/subject_access.h"

namespace ndxp::gateway {

// A record as Append wrote it: its row's seq in this store's replica's
// chain (its leaf index in the replica's Merkle tree is seq - 1) and its
// leaf hash (audit_chain.h). What a caller's receipt names.
struct AppendedRow {
  int64_t seq = 0;
  AuditLeafHash leaf_hash{};
};

// Implementations need not be thread-safe: one writer thread owns a store.
class TransactionStore {
 public:
  virtual ~TransactionStore() = default;

  // Appends `batch` to the audit log (each row chained to the previous one,
  // and a leaf of the replica's Merkle tree) and adds it to the counters, in
  // one transaction. When this returns OK the
  // batch is committed as durably as the store was opened for, and
  // `appended`, if not null, holds each record's row in the batch's order;
  // on error nothing of the batch is kept.
  virtual absl::Status Append(absl::Span<const TransactionRecord> batch,
                              std::vector<AppendedRow>* appended) = 0;
  absl::Status Append(absl::Span<const TransactionRecord> batch) {
    return Append(batch, nullptr);
  }

  // This store's chain head: its newest committed row.
  virtual ChainHead Head() const = 0;

  // This store's replica's Merkle tree as committed (size = Head().seq),
  // from memory: what a checkpoint signs.
  virtual absl::StatusOr<AuditTreeHead> TreeHead() const = 0;

  // The Merkle tree (audit_tree.h) of any replica in the store, at any size
  // up to its row count (a checkpoint's, a witness's): its root, the
  // inclusion proofs of leaves (leaf index = seq - 1; one read for them
  // all), the consistency proof from old_size to new_size. INVALID_ARGUMENT
  // for an index or sizes the tree cannot have; NOT_FOUND when the replica
  // has fewer rows (or no tree yet: its writer builds it at open).
  virtual absl::StatusOr<transparency::Hash> AuditTreeRoot(absl::string_view replica,
                                                           int64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<std::vector<transparency::Hash>>> InclusionProofs(
      absl::string_view replica, absl::Span<const int64_t> leaf_indexes, int64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<transparency::Hash>> ConsistencyProof(
      absl::string_view replica, int64_t old_size, int64_t new_size) = 0;

  // Who called in `replica`'s row `seq` (its consumer, "agency/subsystem")
  // and the row's leaf hash: whose inclusion proof it is. NOT_FOUND when the
  // replica has no such row.
  struct AuditLeaf {
    std::string consumer;
    AuditLeafHash leaf_hash{};
  };
  virtual absl::StatusOr<AuditLeaf> ReadAuditLeaf(absl::string_view replica, int64_t seq) = 0;

  // The rows of `replica` made with request id `request_id` (the caller's
  // x-ndxp-request-id, which callers may repeat) by `consumer` ("": by
  // anyone) among its newest `window` rows (kRequestIdWindow for callers), in seq order, at most
  // `limit` of them: which row each is, whose, and its leaf hash. Empty when
  // there is none. A scan of that window, not an index: an index of random
  // request ids cost the durable writer about 20 us per call (a B-tree page
  // dirtied per row), the audit tree about none; older calls are proven by
  // their receipt's leaf index.
  static constexpr int64_t kRequestIdWindow = 100000;
  struct RequestRow {
    int64_t seq = 0;
    std::string consumer;
    AuditLeafHash leaf_hash{};
  };
  virtual absl::StatusOr<std::vector<RequestRow>> FindRequestRows(absl::string_view replica,
                                                                  absl::string_view request_id,
                                                                  absl::string_view consumer,
                                                                  int limit,
                                                                  int64_t window) = 0;

  // Keeps `note`, a signed checkpoint (C2SP tlog-checkpoint) of this store's
  // replica's tree at `tree_size`, durably before it returns OK; a note of
  // the same size replaces the one kept (its witnesses' cosignatures, kept
  // apart, stay). Every size's is kept: a verifier may hold any.
  virtual absl::Status WriteTreeCheckpoint(int64_t tree_size, absl::string_view note) = 0;
  // The signed checkpoint of `replica`'s largest tree kept. NOT_FOUND when
  // none.
  virtual absl::StatusOr<std::string> LatestTreeCheckpoint(absl::string_view replica) = 0;

  // Witnesses' cosignatures (C2SP tlog-cosignature) of stored checkpoints,
  // kept apart from the notes: one per (replica, tree size, witness key).
  // Stores without them answer UNIMPLEMENTED.
  struct TreeCosignature {
    // The witness's key: "<name>+<key ID, 8 hex>" (its vkey's first two
    // fields), so a witness whose key changes is another witness.
    std::string witness_key;
    // The time the cosignature states (Unix seconds).
    int64_t time_seconds = 0;
    // The signature line as the witness wrote it: "— <name> <base64>", no
    // newline.
    std::string line;
  };
  // Keeps `cosignatures` (their signatures checked by the caller, at most
  // one per witness key) of `replica`'s stored checkpoint of `tree_size`
  // whose note text is `checkpoint_text`, durably before it returns OK;
  // answers the witness keys of those that were new, or newer (a later
  // time) than the one kept for that witness, which they replace. NOT_FOUND
  // when no checkpoint of that size is stored or its text differs (another
  // root: not a checkpoint of this log).
  virtual absl::StatusOr<std::vector<std::string>> AddTreeCosignatures(
      absl::string_view replica, int64_t tree_size,
      absl::string_view checkpoint_text,
      absl::Span<const TreeCosignature> cosignatures) {
    return absl::UnimplementedError("this store keeps no cosignatures");
  }
  // `replica`'s newest stored checkpoint cosigned by at least
  // `min_cosignatures` of `witness_keys`, with the lines of those
  // cosignatures appended (the note a verifier wants); min_cosignatures 0:
  // the newest checkpoint, with whatever cosignatures by them it has.
  // NOT_FOUND when none.
  virtual absl::StatusOr<std::string> CosignedTreeCheckpoint(
      absl::string_view replica, absl::Span<const std::string> witness_keys,
      int min_cosignatures) {
    return absl::UnimplementedError("this store keeps no cosignatures");
  }

  // Keeps `checkpoint` (of this store's replica) outside the audit log,
  // replacing the previous one, durably before it returns OK.
  virtual absl::Status WriteCheckpoint(const SignedCheckpoint& checkpoint) = 0;

  // The committed audit rows of every replica in the store whose subjects
  // hold one of query.subjects under its key id, newest first, a page at a
  // time (subject_access.h). INVALID_ARGUMENT as PrepareSubjectScan.
  virtual absl::StatusOr<SubjectAccessPage> ListSubjectAccesses(const SubjectQuery& query) = 0;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_TRANSACTION_STORE_H_
