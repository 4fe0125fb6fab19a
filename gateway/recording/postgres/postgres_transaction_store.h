// The TransactionStore for several hub replicas side by side (docs/design.md
// "Storage"): every replica writes the same PostgreSQL tables; each keeps its
// own audit chain, and counters merge by upsert. Plus the offline check of the
// audit chains that auditors and the CLI run.
//
// Example:
//   PostgresTransactionStore::Options options;
//   options.replica = "hub-2";  // unique per hub process
//   NDXP_ASSIGN_OR_RETURN(
//       std::unique_ptr<PostgresTransactionStore> store,
//       PostgresTransactionStore::Open("host=db.internal dbname=ndxp user=ndxp", options));
//   NDXP_RETURN_IF_ERROR(store->Append(batch));
//   ...
//   std::string report;
//   absl::Status chain = PostgresTransactionStore::VerifyAuditChain(
//       "host=db.internal dbname=ndxp user=auditor", &report);  // DATA_LOSS names the first bad
//       row
//
// Schema (created on first open, in the connection's search_path): the same
// tables, columns and keys as SqliteTransactionStore's, in PostgreSQL types:
//   audit_log(id BIGSERIAL PRIMARY KEY, replica TEXT, seq BIGINT,
//             time_micros BIGINT, request_id, consumer, provider, service,
//             method TEXT, status_code INTEGER, latency_micros, request_bytes,
//             response_bytes BIGINT, purpose TEXT, prev_hash BYTEA, hash BYTEA,
//             UNIQUE(replica, seq))
//   counters(day TEXT 'YYYY-MM-DD' in the configured zone, consumer, via,
//            door, provider, service, method TEXT, status_code INTEGER,
//            count BIGINT, PRIMARY KEY(day, consumer, via, door, provider,
//            service, method, status_code))
//   refused_counters(the same columns), audit_log.refusal TEXT: calls the
//            hub refused
//   audit_log.via TEXT: the peer hub a call came through ('' for a direct
//            call)
//   audit_checkpoints(replica TEXT PRIMARY KEY, checkpoint TEXT): each
//            replica's latest signed checkpoint (audit_checkpoint.h)
//   audit_subjects(subject, key_id TEXT, time_micros BIGINT, replica TEXT,
//            seq BIGINT, PRIMARY KEY in that order): the subject index
//            (subject_access.h), for ListSubjectAccesses
//   audit_tiles(replica TEXT, level INTEGER, tile_index BIGINT, hashes
//            BYTEA, PRIMARY KEY in that order): each replica's Merkle tree's
//            full tiles (audit_tree.h), written in the statement of the
//            batch that completes them; built at open for rows from before
// A schema an earlier version made is upgraded on open, in one transaction
// under the schema lock: audit rows gain refusal and via as '' (keeping
// their hashes), counters keep their counts under via '' and door 'grpc',
// audit_subjects is made and filled from the audit rows' subjects.
//
// The audit chain is SqliteTransactionStore's, byte for byte: the same
// EncodeAuditRecord and AuditHash (audit_chain.h documents the
// encoding), so a replica's chain hashes the same in either store.
//
// Text is stored without character-set conversion (the connection's client
// encoding is set to the server's), so the bytes hashed are the bytes kept. A
// UTF-8 database refuses strings that are not UTF-8 or hold a NUL byte: a
// batch holding one fails with INVALID_ARGUMENT and keeps nothing.
#ifndef NDXP_GATEWAY_RECORDING_POSTGRES_POSTGRES_TRANSACTION_STORE_H_
#define NDXP_GATEWAY_RECORDING_POSTGRES_POSTGRES_TRANSACTION_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gateway/call/transaction_record.h"
#include "gateway/recording/audit_tree.h"
#include "gateway/recording/audit_verification.h"
#include "gateway/recording/local_day.h"
#include "gateway/recording/transaction_store.h"

struct pg_conn;

namespace ndxp::gateway {

// A TransactionStore on one PostgreSQL database, over one libpq connection.
// Not thread-safe: one writer thread owns a store (as TransactionStore says).
// Any number of stores, in any number of processes, may write one database if
// each has its own `replica`. Two stores of the same replica cannot fork its
// chain: UNIQUE(replica, seq) makes the second one's Append fail with
// ALREADY_EXISTS, keeping nothing.
//
// Append is one statement (so one transaction, one round trip): the audit rows
// and the batch's counters, aggregated, go as binary array parameters. When it
// returns OK the batch is committed as durably as the server's
// synchronous_commit says (the default, on: it survives a crash of the hub and
// of the server).
//
// A lost connection is re-established by the next Append, which first re-reads
// the replica's chain head: if a batch whose commit was cut off did commit
// after all, the chain goes on from it (its records were reported failed but
// are kept, once); if the head moved otherwise, another writer has this
// replica and Append fails with ALREADY_EXISTS.
class PostgresTransactionStore final : public TransactionStore, private AuditTreeSource {
 public:
  struct Options {
    // IANA zone in which counters' days begin and end.
    std::string time_zone = "Asia/Ho_Chi_Minh";
    // The name of this hub replica; each replica keeps its own audit chain.
    // Also the connection's fallback application_name ("ndxp-<replica>"), so
    // pg_stat_activity shows which replica a session belongs to.
    std::string replica = "hub-1";
  };

  // Connects with `conninfo` (a libpq connection string or URI), creates the
  // schema if missing (under an advisory lock, so replicas may start
  // together) and reads the replica's chain head. INVALID_ARGUMENT for an
  // unknown time zone, an empty replica or a malformed `conninfo`;
  // UNAVAILABLE with libpq's message when the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<PostgresTransactionStore>> Open(const std::string& conninfo,
                                                                        const Options& options);

  // Checks every replica's audit chain in the database: seq has no gaps and
  // starts at 1, every prev_hash is the previous row's hash, every hash
  // matches the row. OK with a summary in *report (rows, last seq and head
  // hash per replica); DATA_LOSS naming the first broken row (replica, seq,
  // id, what is wrong); NOT_FOUND when there is no audit_log table;
  // UNAVAILABLE when the server cannot be reached. Reads one snapshot, a row
  // at a time (any table size), in a read-only transaction; changes nothing.
  // `report` may be null.
  // Also checks the chains up to their signed checkpoints (the
  // audit_checkpoints table) and the heads in `options`, and reconciles the
  // counters with the rows, as SqliteTransactionStore::VerifyAuditChain.
  static absl::Status VerifyAuditChain(const std::string& conninfo,
                                       const AuditVerifyOptions& options, std::string* report);
  static absl::Status VerifyAuditChain(const std::string& conninfo, std::string* report) {
    return VerifyAuditChain(conninfo, AuditVerifyOptions(), report);
  }

  PostgresTransactionStore(const PostgresTransactionStore&) = delete;
  PostgresTransactionStore& operator=(const PostgresTransactionStore&) = delete;
  ~PostgresTransactionStore() override;

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
  // Upserts the replica's row of audit_checkpoints.
  absl::Status WriteCheckpoint(const SignedCheckpoint& checkpoint) override;
  // Reads every replica's rows, over this store's connection.
  absl::StatusOr<SubjectAccessPage> ListSubjectAccesses(const SubjectQuery& query) override;

  // The seq of this replica's newest committed row (0 when none).
  int64_t last_seq() const { return last_seq_; }
  // "postgres <db> on <host>:<port>", as error messages name the database.
  const std::string& database() const { return database_; }
  // How many times the connection was re-established (a degraded moment).
  int64_t reconnects() const { return reconnects_; }

 private:
  struct CloseConnection {
    void operator()(pg_conn* conn) const;
  };
  using Connection = std::unique_ptr<pg_conn, CloseConnection>;

  PostgresTransactionStore(Connection conn, absl::TimeZone time_zone, std::string replica);

  absl::Status Prepare();
  absl::StatusOr<ChainHead> ReadChainHead();
  // Re-establishes the connection and checks the database's chain head
  // against this store's (adopting unknown_outcome_ if it did commit).
  absl::Status Resync();
  // Sends `batch` chained onto `*head`, which it moves to the batch's last
  // row (whether or not the batch then commits), with the full tiles it
  // completes, and sets `*appended` (if not null) to its rows and `*tree` to
  // the tree after it (to adopt once committed).
  absl::Status ExecAppend(absl::Span<const TransactionRecord> batch, ChainHead* head,
                          std::vector<AppendedRow>* appended, AuditTree::Extension* tree);

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

  // Constant after construction (conn_ is re-established in place).
  const Connection conn_;
  const absl::TimeZone time_zone_;
  LocalDay local_day_;  // the writer's: counters' day of each row
  const std::string replica_;
  const std::string database_;

  // The chain head: advanced only once a batch has committed.
  int64_t last_seq_ = 0;
  std::string last_hash_;
  // The head a batch would have left had its commit, cut off by a lost
  // connection, succeeded; checked against the database on reconnect.
  std::optional<ChainHead> unknown_outcome_;
  // Set when an error means this session is useless (e.g. the server became a
  // read-only standby): the next Append reconnects.
  bool needs_reconnect_ = false;
  int64_t reconnects_ = 0;
  // This replica's tree: its right edge advanced only once a batch has
  // committed (reloaded after a reconnect); reads of any replica's.
  AuditTree tree_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_POSTGRES_POSTGRES_TRANSACTION_STORE_H_
