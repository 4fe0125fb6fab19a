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
//             UNIQUE(replica, seq))
//   counters(day 'YYYY-MM-DD' in the configured zone, consumer, provider,
//            service, method, status_code, count,
//            PRIMARY KEY(day, consumer, provider, service, method, status_code))
//
// The audit chain. Each replica (hub process) writing the file keeps its own
// chain: its rows carry seq = 1, 2, 3, ... and
//   hash = SHA-256(prev_hash || EncodeAuditRecord(replica, seq, record))
// where prev_hash is the hash of the replica's row seq - 1, or 32 zero bytes
// for seq 1. Editing, deleting or reordering any row breaks the chain from that
// row on. Deleting the newest rows of a chain cannot be seen from the file
// alone: anchor the head hash that VerifyAuditChain reports somewhere else
// (a signed report, another system) to detect that.
//
// The canonical encoding (auditors re-implement it; never change it, add a new
// version tag instead): the concatenation of these fields, in this order, each
// string as its length in 4 bytes big-endian followed by its bytes (no
// terminator, no character-set conversion), each integer as 8 bytes big-endian
// two's complement (status_code is widened to 64 bits):
//    1. string "ndxp-audit-v1"   (the version tag)
//    2. string replica
//    3. int    seq
//    4. int    time_micros
//    5. string request_id
//    6. string consumer
//    7. string provider
//    8. string service
//    9. string method
//   10. int    status_code
//   11. int    latency_micros
//   12. int    request_bytes
//   13. int    response_bytes
//   14. string purpose
//
// Example: replica "hub-1", seq 1, every string field "" and every integer 0
// encodes as 00 00 00 0d "ndxp-audit-v1" 00 00 00 05 "hub-1" followed by the
// 8-byte big-endian 1, and so on.
#ifndef NDXP_GATEWAY_RECORDING_SQLITE_TRANSACTION_STORE_H_
#define NDXP_GATEWAY_RECORDING_SQLITE_TRANSACTION_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/sqlite/sqlite.h"
#include "gateway/recording/transaction_record.h"
#include "gateway/recording/transaction_store.h"

struct sqlite3_stmt;

namespace ndxp::gateway {

// Length of a chain hash (SHA-256) in bytes.
inline constexpr size_t kAuditHashSize = 32;

// The canonical encoding of one audit row (see the file comment).
std::string EncodeAuditRecord(absl::string_view replica, int64_t seq,
                              const TransactionRecord& record);

// SHA-256(prev_hash || encoding): the hash stored with a row whose encoding is
// `encoding` and whose predecessor's hash is `prev_hash`.
std::string AuditHash(absl::string_view prev_hash, absl::string_view encoding);

// The prev_hash of a chain's first row: 32 zero bytes.
std::string ZeroAuditHash();

// Checks audit rows fed in (replica, seq) order, as every store's
// VerifyAuditChain reads them, one chain per replica. Not thread-safe.
class AuditChainChecker {
 public:
  // `database` names the store in messages.
  explicit AuditChainChecker(std::string database) : database_(std::move(database)) {}

  // The next row: `encoding` is its canonical encoding. DATA_LOSS naming the
  // row (replica, seq, id) and what is wrong when it breaks its chain.
  absl::Status Add(int64_t id, absl::string_view replica, int64_t seq,
                   absl::string_view encoding, absl::string_view stored_prev,
                   absl::string_view stored_hash);

  // DATA_LOSS for a row that cannot even be decoded.
  absl::Status Broken(int64_t id, absl::string_view replica, int64_t seq,
                      absl::string_view what) const;

  // "audit chain OK: <database>: N rows in M replica chain(s)" and a line per
  // replica with its row count and head hash.
  std::string Report() const;

 private:
  std::string ChainLine() const;

  const std::string database_;
  std::string summary_;  // lines of the finished chains
  std::string replica_;  // the chain being walked
  std::string prev_hash_ = ZeroAuditHash();
  int64_t rows_ = 0;
  int64_t expected_seq_ = 1;
  int64_t total_ = 0;
  int replicas_ = 0;
};

// A TransactionStore on one SQLite file. Not thread-safe: one writer thread
// owns a store (as TransactionStore says). Several stores may share a file if
// each has its own `replica` (each keeps its replica's chain head in memory,
// so two stores must never write the same replica's chain; if they did, the
// second one's Append would fail with ALREADY_EXISTS and keep nothing).
class SqliteTransactionStore final : public TransactionStore {
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
  // matches the row. OK with a summary in *report (rows, last seq and head
  // hash per replica); DATA_LOSS naming the first broken row (replica, seq,
  // id, what is wrong); NOT_FOUND when there is no file or no audit_log in it.
  // Changes no row (opens read-write only because reading a WAL database needs
  // its shared-memory file). `report` may be null.
  static absl::Status VerifyAuditChain(const std::string& path, std::string* report);

  // The newest row of one replica's chain.
  struct ChainHead {
    std::string replica;
    int64_t seq = 0;
    std::string hash_hex;  // its hash, lower-case hex
  };

  // Each replica's chain head in the file at `path`, by replica name, as
  // stored (VerifyAuditChain says whether the chains behind them are intact);
  // empty when the audit log is. NOT_FOUND as VerifyAuditChain. Changes no
  // row.
  static absl::StatusOr<std::vector<ChainHead>> ReadChainHeads(const std::string& path);

  SqliteTransactionStore(const SqliteTransactionStore&) = delete;
  SqliteTransactionStore& operator=(const SqliteTransactionStore&) = delete;
  ~SqliteTransactionStore() override;

  absl::Status Append(absl::Span<const TransactionRecord> batch) override;

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
  absl::Status AppendInTransaction(absl::Span<const TransactionRecord> batch,
                                   int64_t* last_seq, std::string* last_hash);

  // Constant after construction. db_ is declared first so that the statements
  // below are finalized before it closes.
  const std::unique_ptr<::ndxp::SqliteDatabase> db_;
  const absl::TimeZone time_zone_;
  const std::string replica_;
  RawStatement insert_audit_;  // binds blobs, which SqliteStatement cannot
  std::unique_ptr<::ndxp::SqliteStatement> upsert_counter_;

  // The chain head: advanced only once a batch has committed.
  int64_t last_seq_ = 0;
  std::string last_hash_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_SQLITE_TRANSACTION_STORE_H_
