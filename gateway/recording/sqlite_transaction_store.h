// The embedded TransactionStore (docs/design.md "Storage"): one SQLite file in WAL
// mode holding the hash-chained audit log and the per-day counters, plus the
// offline check of the audit chain that auditors and the CLI run.
//
// Example:
//   SqliteTransactionStore::Options options;
//   options.replica = "hub-1";
//   NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteTransactionStore> store,
//                         SqliteTransactionStore::Open("/var/lib/ndxp/hub.db", options));
//   NDXP_RETURN_IF_ERROR(store->Append(batch));
//   ...
//   std::string report;
//   absl::Status chain = SqliteTransactionStore::VerifyAuditChain(
//       "/var/lib/ndxp/hub.db", &report);  // DATA_LOSS names the first bad row
//
// Schema (created on first open):
//   audit_log(id INTEGER PRIMARY KEY, replica, seq, time_micros, request_id,
//             consumer, provider, service, method, status_code, latency_micros,
//             request_bytes, response_bytes, purpose, prev_hash BLOB, hash BLOB,
//             refusal ('' for a forwarded call), via ('' for a direct call),
//             UNIQUE(replica, seq))
//   counters(day 'YYYY-MM-DD' in the configured zone, consumer, via, door,
//            provider, service, method, status_code, count, PRIMARY KEY(day,
//            consumer, via, door, provider, service, method, status_code))
//     of the calls forwarded to a connector, and
//   refused_counters(the same columns) of the calls the hub refused.
//   audit_subjects(subject, key_id, time_micros, replica, seq, PRIMARY KEY
//            in that order): the subject index (subject_access.h), a row per
//            subject of an audit row, for ListSubjectAccesses.
//   audit_tiles(replica, level, tile_index, hashes BLOB, PRIMARY KEY in that
//            order) WITHOUT ROWID: each replica's Merkle tree's full tiles
//            (audit_tree.h), built at open for rows written before it.
// A file an earlier version made is upgraded on open, in one transaction:
// its audit rows gain refusal and via as '' (and keep their hashes), its
// counters are kept under via '' and door 'grpc'; audit_subjects is made
// and filled from the audit rows' subjects.
// A replica's signed checkpoint lives beside the file, in
// "<file>.checkpoint.<replica>" (audit_checkpoint.h).
//
// The audit chain and its encoding: gateway/recording/audit_chain.h.
#ifndef NDXP_GATEWAY_RECORDING_SQLITE_TRANSACTION_STORE_H_
#define NDXP_GATEWAY_RECORDING_SQLITE_TRANSACTION_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/sqlite/sqlite.h"
#include "gateway/call/transaction_record.h"
#include "gateway/recording/audit_chain.h"
#include "gateway/recording/audit_tree.h"
#include "gateway/recording/audit_verification.h"
#include "gateway/recording/local_day.h"
#include "gateway/recording/transaction_store.h"

struct sqlite3_stmt;

namespace ndxp::gateway {

// A TransactionStore on one SQLite file. Not thread-safe: one writer thread
// owns a store (as TransactionStore says). Several stores may share a file if
// each has its own `replica` (each keeps its replica's chain head in memory,
// so two stores must never write the same replica's chain; if they did, the
// second one's Append would fail with ALREADY_EXISTS and keep nothing).
class SqliteTransactionStore final : public TransactionStore, private AuditTreeSource {
 public:
  struct Options {
    // IANA zone in which counters' days begin and end.
    std::string time_zone = "Asia/Ho_Chi_Minh";
    // true: synchronous=FULL, a committed batch survives a power loss (one
    // fsync per Append). false: synchronous=NORMAL, a committed batch survives
    // a crash of the process (kill -9) but the last ones may be lost on power
    // loss; the file is never corrupted either way.
    bool fsync_each_commit = true;
    // The name of this hub replica; each replica keeps its own audit chain.
    std::string replica = "hub-1";
  };

  // Opens (creating if needed) the database at `path` in WAL mode, creates the
  // schema and reads the replica's chain head. INVALID_ARGUMENT for an unknown
  // time zone or an empty replica; UNAVAILABLE when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteTransactionStore>> Open(
      const std::string& path, const Options& options);

  // Checks every replica's audit chain in the file at `path`: seq has no gaps
  // and starts at 1, every prev_hash is the previous row's hash, every hash
  // matches the row; the chain reaches every replica's signed checkpoint and
  // every head in `options`; the counters agree with the audit rows. OK with
  // a summary in *report (rows, last seq and head hash per replica, the
  // checkpoints, the reconciliation); DATA_LOSS naming the first broken row
  // (replica, seq, id, what is wrong), the rows missing at a chain's end, a
  // forged checkpoint or the counts that disagree; NOT_FOUND when there is no
  // file or no audit_log in it. Changes no row (opens read-write only because
  // reading a WAL database needs its shared-memory file). `report` may be
  // null.
  static absl::Status VerifyAuditChain(const std::string& path,
                                       const AuditVerifyOptions& options, std::string* report);
  static absl::Status VerifyAuditChain(const std::string& path, std::string* report) {
    return VerifyAuditChain(path, AuditVerifyOptions(), report);
  }

  // The newest row of one replica's chain, by name (a backup's manifest).
  struct ReplicaHead {
    std::string replica;
    int64_t seq = 0;
    std::string hash_hex;  // its hash, lower-case hex
  };

  // Each replica's chain head in the file at `path`, by replica name, as
  // stored (VerifyAuditChain says whether the chains behind them are intact);
  // empty when the audit log is. NOT_FOUND as VerifyAuditChain. Changes no
  // row.
  static absl::StatusOr<std::vector<ReplicaHead>> ReadChainHeads(const std::string& path);

  SqliteTransactionStore(const SqliteTransactionStore&) = delete;
  SqliteTransactionStore& operator=(const SqliteTransactionStore&) = delete;
  ~SqliteTransactionStore() override;

  using TransactionStore::Append;
  absl::Status Append(absl::Span<const TransactionRecord> batch,
                      std::vector<AppendedRow>* appended) override;
  ChainHead Head() const override { return {last_seq_, last_hash_}; }
  absl::StatusOr<AuditTreeHead> TreeHead() const override { return tree_.Head(); }
  absl::StatusOr<transparency::Hash> AuditTreeRoot(absl::string_view replica,
                                                   int64_t tree_size) override {
    return tree_.Root(replica, tree_size);
  }
  absl::StatusOr<std::vector<std::vector<transparency::Hash>>> InclusionProofs(
      absl::string_view replica, absl::Span<const int64_t> leaf_indexes,
      int64_t tree_size) override {
    return tree_.InclusionProofs(replica, leaf_indexes, tree_size);
  }
  absl::StatusOr<std::vector<transparency::Hash>> ConsistencyProof(absl::string_view replica,
                                                                   int64_t old_size,
                                                                   int64_t new_size) override {
    return tree_.ConsistencyProof(replica, old_size, new_size);
  }
  absl::StatusOr<AuditLeaf> ReadAuditLeaf(absl::string_view replica, int64_t seq) override;
  absl::StatusOr<std::vector<RequestRow>> FindRequestRows(absl::string_view replica,
                                                          absl::string_view request_id,
                                                          absl::string_view consumer,
                                                          int limit, int64_t window) override;
  absl::Status WriteTreeCheckpoint(int64_t tree_size, absl::string_view note) override;
  absl::StatusOr<std::string> LatestTreeCheckpoint(absl::string_view replica) override;
  absl::StatusOr<std::vector<std::string>> AddTreeCosignatures(
      absl::string_view replica, int64_t tree_size, absl::string_view checkpoint_text,
      absl::Span<const TreeCosignature> cosignatures) override;
  absl::StatusOr<std::string> CosignedTreeCheckpoint(absl::string_view replica,
                                                     absl::Span<const std::string> witness_keys,
                                                     int min_cosignatures) override;
  // Writes "<file>.checkpoint.<replica>" atomically (a temporary file,
  // fsync, rename, fsync of the directory).
  absl::Status WriteCheckpoint(const SignedCheckpoint& checkpoint) override;
  absl::StatusOr<SubjectAccessPage> ListSubjectAccesses(const SubjectQuery& query) override;

  // The seq of this replica's newest committed row (0 when none).
  int64_t last_seq() const { return last_seq_; }
  const std::string& path() const { return db_->path(); }

 private:
  struct FinalizeStatement {
    void operator()(sqlite3_stmt* stmt) const;
  };
  using RawStatement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

  SqliteTransactionStore(std::unique_ptr<::ndxp::SqliteDatabase> db,
                         absl::TimeZone time_zone, std::string replica);

  absl::Status Prepare();
  absl::Status LoadChainHead();
  absl::Status AppendInTransaction(absl::Span<const TransactionRecord> batch, int64_t* last_seq,
                                   std::string* last_hash, std::vector<transparency::Hash>* leaves,
                                   std::vector<AppendedRow>* appended);
  // Inserts full tiles in the open transaction.
  absl::Status InsertTiles(absl::string_view replica, absl::Span<const transparency::Tile> tiles);

  // AuditTreeSource, over audit_tiles and audit_log.
  absl::StatusOr<FullTiles> ReadFullTiles(absl::string_view replica,
                                          absl::Span<const TileKey> keys) override;
  // Calls `visit` with `replica`'s rows seq first_seq .. first_seq + count -
  // 1 in seq order, as long as it returns true.
  absl::Status ForEachAuditRow(absl::string_view replica, int64_t first_seq, int64_t count,
                               absl::FunctionRef<bool(const AuditFields&)> visit);
  absl::StatusOr<std::vector<transparency::Hash>> ReadLeafHashes(absl::string_view replica,
                                                                 int64_t first_seq,
                                                                 int64_t count) override;
  absl::StatusOr<int64_t> ReadTiledSize(absl::string_view replica) override;
  absl::Status WriteFullTiles(absl::string_view replica,
                              absl::Span<const transparency::Tile> tiles) override;

  // Constant after construction. db_ is declared first so that the statements
  // below are finalized before it closes.
  const std::unique_ptr<::ndxp::SqliteDatabase> db_;
  const absl::TimeZone time_zone_;
  LocalDay local_day_;  // the writer's: counters' day of each row
  const std::string replica_;
  RawStatement insert_audit_;  // binds blobs, which SqliteStatement cannot
  // Forwarded calls' counters, refused calls'.
  std::unique_ptr<::ndxp::SqliteStatement> upsert_counter_[2];
  std::unique_ptr<::ndxp::SqliteStatement> insert_subject_;
  RawStatement insert_tile_;

  // The chain head: advanced only once a batch has committed.
  int64_t last_seq_ = 0;
  std::string last_hash_;
  // This replica's tree: its right edge advanced only once a batch has
  // committed; reads of any replica's.
  AuditTree tree_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_SQLITE_TRANSACTION_STORE_H_
