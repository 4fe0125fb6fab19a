// The offline check of a store's audit log that both stores' VerifyAuditChain
// run, fed with what they read: the signed checkpoints, every audit row in
// (replica, seq) order, every counter. It checks each replica's hash chain,
// the chain up to its latest checkpoint (rows deleted at the end) and up to
// heads given by the auditor, and reconciles the counters with the rows.
//
// Given the store's tree tables (StoredTreeReader), it also recomputes each
// replica's Merkle tree (audit_tree.h) from its rows' leaf hashes, streaming
// (memory O(log n) per replica: the tree's right edge and the current tile's
// row ids), and checks that every stored full tile is the recomputed one and
// that every signed tree checkpoint (audit_tree_checkpoints) states the
// recomputed root at its size, its signature verified with the log's
// verifier keys when given.
//
// Example:
//   AuditVerification verification("hub.db", options);
//   NDXP_RETURN_IF_ERROR(verification.Start());
//   verification.SetStoredTree(&tree_tables);  // optional
//   NDXP_RETURN_IF_ERROR(verification.AddCheckpoint(text, "hub.db.checkpoint.hub-1"));
//   for (each row) NDXP_RETURN_IF_ERROR(verification.AddRow(id, fields, prev, hash));
//   for (each counter) verification.AddCounter(day, key, count);
//   NDXP_RETURN_IF_ERROR(verification.Finish(&report));
#ifndef NDXP_GATEWAY_RECORDING_AUDIT_VERIFICATION_H_
#define NDXP_GATEWAY_RECORDING_AUDIT_VERIFICATION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/recording/audit_chain.h"
#include "gateway/recording/audit_checkpoint.h"
#include "gateway/recording/counter_reconciler.h"
#include "gateway/transparency/merkle.h"
#include "gateway/transparency/cosignature.h"

namespace ndxp::gateway {

// What a verification checks beyond the chain itself.
struct AuditVerifyOptions {
  // The hub's recording.time_zone: the zone of the counters' days.
  std::string time_zone = "Asia/Ho_Chi_Minh";
  // Heads known from elsewhere (`--expect-head [REPLICA:]SEQ:HASH`); an
  // empty replica means the only chain.
  std::vector<std::pair<std::string, ChainHead>> expect_heads;
  // When set, a checkpoint's certificate must be one of this CA's (PEM);
  // otherwise only its signature is checked against the certificate it
  // carries.
  std::string ca_file;
  // Files each holding a verifier key of the log key (C2SP vkey, as
  // `ndxpctl log-key vkey` prints it; several during a rotation): every
  // signed tree checkpoint must be signed by one of them. Without any, the
  // checkpoints' roots are checked, not their signatures.
  std::vector<std::string> log_vkey_files;
  // Witnesses' vkeys (`--witness-vkey`): their stored cosignatures are
  // checked against the stored checkpoints; others' are only reported.
  std::vector<std::string> witness_vkeys;
};

// A replica's signed tree checkpoint as the store keeps it.
struct StoredTreeCheckpoint {
  int64_t tree_size = 0;  // the row's tree_size column
  std::string note;       // the signed note
};

// The store's tree tables (audit_tiles, audit_tree_checkpoints) as the
// verification reads them while the rows stream: in the same snapshot as the
// rows, a read per full tile and per batch of checkpoints.
class StoredTreeReader {
 public:
  virtual ~StoredTreeReader() = default;
  // audit_tiles.hashes of `replica`'s tile (level, index); nullopt when it is
  // not stored.
  virtual absl::StatusOr<std::optional<std::string>> ReadTile(absl::string_view replica,
                                                              int level, int64_t index) = 0;
  // How many tiles `replica` has stored.
  virtual absl::StatusOr<int64_t> CountTiles(absl::string_view replica) = 0;
  // Up to `limit` of `replica`'s signed tree checkpoints with a tree size
  // above `after_size`, by size.
  virtual absl::StatusOr<std::vector<StoredTreeCheckpoint>> ReadTreeCheckpoints(
      absl::string_view replica, int64_t after_size, int limit) = 0;
  // Every replica with stored tiles or tree checkpoints.
  virtual absl::StatusOr<std::vector<std::string>> ListTreeReplicas() = 0;
};

// Parses "SEQ:HASH" or "REPLICA:SEQ:HASH" (HASH: 64 hex digits).
// INVALID_ARGUMENT saying what is wrong.
absl::StatusOr<std::pair<std::string, ChainHead>> ParseExpectedHead(absl::string_view text);

// Not thread-safe.
class AuditVerification {
 public:
  // INVALID_ARGUMENT for an unknown time zone, or a --log-vkey file that
  // cannot be read or holds no Ed25519 verifier key (checked by Start).
  AuditVerification(std::string database, const AuditVerifyOptions& options);
  ~AuditVerification();
  absl::Status Start();

  // The store's tree tables, read while rows are added (the reader must
  // outlive Finish). Without it the trees are not checked (a store from
  // before the tree). Before the first row.
  void SetStoredTree(StoredTreeReader* reader) { tree_reader_ = reader; }

  // A stored checkpoint (the file's or row's text); `source` names it. An
  // unsigned, forged or altered one is refused (DATA_LOSS): the
  // verification fails.
  absl::Status AddCheckpoint(const SignedCheckpoint& checkpoint, absl::string_view source);

  // A witness's stored cosignature (TransactionStore::TreeCosignature) of
  // `replica`'s stored checkpoint `note` of `tree_size`. Reported per
  // witness (the largest size it cosigned, and when); DATA_LOSS naming it
  // when it is by a witness of options.witness_vkeys and does not verify.
  absl::Status AddTreeCosignature(absl::string_view replica, int64_t tree_size,
                                  absl::string_view note, absl::string_view witness_key,
                                  int64_t time_seconds, absl::string_view line);

  // DATA_LOSS naming the row when it breaks its chain; with a tree reader,
  // DATA_LOSS naming the replica and the tile (level, index, and for level 0
  // the row) when a stored tile disagrees with the rows, is missing or lies
  // beyond the tiled rows, and the checkpoint (tree size) when a signed tree
  // checkpoint is malformed, of another log, not signed by a --log-vkey key
  // or states another root than the rows make at its size.
  absl::Status AddRow(int64_t id, const AuditFields& row, absl::string_view stored_prev,
                      absl::string_view stored_hash);
  void AddCounter(absl::string_view day, const CounterKey& key, int64_t count);

  // The remaining checks (the last replica's tree; tree checkpoints beyond
  // a replica's rows, stored tiles its rows do not make, replicas with a
  // tree but no rows: DATA_LOSS); the report of everything checked, with a
  // line per replica's tree saying how many tiles and tree checkpoints were
  // checked.
  absl::Status Finish(std::string* report);

  const std::string& database() const { return database_; }
  AuditChainChecker& chain() { return chain_; }

 private:
  // The tree of the replica whose rows are being added.
  struct ReplicaTree;
  absl::Status StartTree(absl::string_view replica);
  absl::Status AddLeaf(int64_t id, const transparency::Hash& leaf);
  absl::Status FlushLeaves();
  absl::Status CheckTile(const transparency::Tile& tile);
  absl::Status CheckDueTreeCheckpoints();
  absl::Status CheckTreeCheckpoint(const StoredTreeCheckpoint& stored);
  absl::Status FinishTree();
  absl::Status TreeBroken(absl::string_view what) const;

  const std::string database_;
  const AuditVerifyOptions options_;
  absl::TimeZone time_zone_;
  AuditChainChecker chain_;
  std::unique_ptr<CounterReconciler> counters_;
  std::string checkpoints_report_;
  StoredTreeReader* tree_reader_ = nullptr;
  std::vector<std::string> log_vkeys_;
  std::unique_ptr<ReplicaTree> tree_;
  std::set<std::string> tree_replicas_seen_;
  std::string trees_report_;
  int64_t tree_checkpoints_checked_ = 0;
  // (replica, witness key) -> (largest tree size cosigned, its time); and
  // each given witness ("<name>+<key ID>"): its key, and how many of its
  // cosignatures were checked.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> cosigned_;
  struct CheckedWitness {
    transparency::CosignatureVerifier verifier;
    int64_t checked = 0;
  };
  std::map<std::string, CheckedWitness> witness_checked_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_AUDIT_VERIFICATION_H_
