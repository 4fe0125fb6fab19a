#include "gateway/recording/sqlite_transaction_store.h"

#include <openssl/evp.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_util.h"

namespace ndxp::gateway {
namespace {

using ::ndxp::SqliteDatabase;
using ::ndxp::SqliteOptions;
using ::ndxp::SqliteStatement;
using ::ndxp::SqliteTransaction;

constexpr char kEncodingVersion[] = "ndxp-audit-v1";

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY,
  replica TEXT NOT NULL,
  seq INTEGER NOT NULL,
  time_micros INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  latency_micros INTEGER NOT NULL,
  request_bytes INTEGER NOT NULL,
  response_bytes INTEGER NOT NULL,
  purpose TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  UNIQUE (replica, seq));
CREATE TABLE IF NOT EXISTS counters (
  day TEXT NOT NULL,
  consumer TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, consumer, provider, service, method, status_code)) WITHOUT ROWID;
)sql";

constexpr char kInsertAudit[] =
    "INSERT INTO audit_log (replica, seq, time_micros, request_id, consumer, provider, "
    "service, method, status_code, latency_micros, request_bytes, response_bytes, "
    "purpose, prev_hash, hash) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

constexpr char kUpsertCounter[] =
    "INSERT INTO counters (day, consumer, provider, service, method, status_code, count) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (day, consumer, provider, service, method, status_code) "
    "DO UPDATE SET count = count + excluded.count";

// All columns the chain covers, plus id, in an order VerifyAuditChain reads.
constexpr char kSelectAudit[] =
    "SELECT id, replica, seq, time_micros, request_id, consumer, provider, service, "
    "method, status_code, latency_micros, request_bytes, response_bytes, purpose, "
    "prev_hash, hash FROM audit_log ORDER BY replica, seq";

// One audit row as the encoding sees it (status_code at full width, so that a
// tampered out-of-range value cannot be truncated into a matching one).
struct AuditFields {
  absl::string_view replica;
  int64_t seq = 0;
  int64_t time_micros = 0;
  absl::string_view request_id;
  absl::string_view consumer;
  absl::string_view provider;
  absl::string_view service;
  absl::string_view method;
  int64_t status_code = 0;
  int64_t latency_micros = 0;
  int64_t request_bytes = 0;
  int64_t response_bytes = 0;
  absl::string_view purpose;
};

void PutInt(std::string* out, int64_t value) {
  const auto bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

void PutString(std::string* out, absl::string_view value) {
  const auto size = static_cast<uint32_t>(value.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((size >> shift) & 0xff));
  }
  out->append(value.data(), value.size());
}

std::string Encode(const AuditFields& f) {
  std::string out;
  out.reserve(8 * 4 + 7 * 8 + sizeof(kEncodingVersion) + f.replica.size() +
              f.request_id.size() + f.consumer.size() + f.provider.size() +
              f.service.size() + f.method.size() + f.purpose.size());
  PutString(&out, kEncodingVersion);
  PutString(&out, f.replica);
  PutInt(&out, f.seq);
  PutInt(&out, f.time_micros);
  PutString(&out, f.request_id);
  PutString(&out, f.consumer);
  PutString(&out, f.provider);
  PutString(&out, f.service);
  PutString(&out, f.method);
  PutInt(&out, f.status_code);
  PutInt(&out, f.latency_micros);
  PutInt(&out, f.request_bytes);
  PutInt(&out, f.response_bytes);
  PutString(&out, f.purpose);
  return out;
}

AuditFields FieldsOf(absl::string_view replica, int64_t seq, const TransactionRecord& r) {
  AuditFields f;
  f.replica = replica;
  f.seq = seq;
  f.time_micros = r.time_micros;
  f.request_id = r.request_id;
  f.consumer = r.consumer;
  f.provider = r.provider;
  f.service = r.service;
  f.method = r.method;
  f.status_code = r.status_code;
  f.latency_micros = r.latency_micros;
  f.request_bytes = r.request_bytes;
  f.response_bytes = r.response_bytes;
  f.purpose = r.purpose;
  return f;
}

// ---- raw statements: SqliteStatement has no blob binding or reading.

absl::string_view ColumnBytes(sqlite3_stmt* stmt, int column) {
  // sqlite3_column_bytes after the pointer fetch, as SQLite asks.
  const void* data = sqlite3_column_blob(stmt, column);
  if (data == nullptr) return {};
  return absl::string_view(static_cast<const char*>(data),
                           static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

absl::string_view ColumnString(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  if (text == nullptr) return {};
  return absl::string_view(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

// Binds without copying: the caller keeps `value` alive until the statement is
// reset. std::string::data() is never null, so "" stays '' rather than NULL.
int BindText(sqlite3_stmt* stmt, int index, const std::string& value) {
  return sqlite3_bind_text64(stmt, index, value.data(), value.size(), SQLITE_STATIC,
                             SQLITE_UTF8);
}

int BindBlob(sqlite3_stmt* stmt, int index, const std::string& value) {
  return sqlite3_bind_blob64(stmt, index, value.data(), value.size(), SQLITE_STATIC);
}

}  // namespace

std::string ZeroAuditHash() { return std::string(kAuditHashSize, '\0'); }

std::string AuditChainChecker::ChainLine() const {
  if (rows_ == 0) return "";
  return absl::StrCat("  replica ", replica_, ": ", rows_, " rows, seq 1..", expected_seq_ - 1,
                      ", head ", absl::BytesToHexString(prev_hash_), "\n");
}

absl::Status AuditChainChecker::Broken(int64_t id, absl::string_view replica, int64_t seq,
                                       absl::string_view what) const {
  return absl::DataLossError(absl::StrCat("audit chain broken in ", database_, ": replica ",
                                          replica, ", seq ", seq, ", id ", id, ": ", what));
}

absl::Status AuditChainChecker::Add(int64_t id, absl::string_view replica, int64_t seq,
                                    absl::string_view encoding, absl::string_view stored_prev,
                                    absl::string_view stored_hash) {
  if (rows_ == 0 || replica != replica_) {  // the next replica's chain begins
    absl::StrAppend(&summary_, ChainLine());
    replica_ = std::string(replica);
    rows_ = 0;
    expected_seq_ = 1;
    prev_hash_ = ZeroAuditHash();
    ++replicas_;
  }
  if (seq != expected_seq_) {
    if (seq < expected_seq_) {  // UNIQUE(replica, seq) should make this impossible
      return Broken(id, replica, seq, absl::StrCat("seq out of order, expected ", expected_seq_));
    }
    if (seq == expected_seq_ + 1) {
      return Broken(id, replica, seq,
                    absl::StrCat("seq ", expected_seq_, " missing: a row was deleted"));
    }
    return Broken(id, replica, seq,
                  absl::StrCat("seq ", expected_seq_, " to ", seq - 1,
                               " missing: rows were deleted"));
  }
  if (stored_prev != prev_hash_) {
    return Broken(id, replica, seq,
                  expected_seq_ == 1
                      ? std::string("prev_hash of the first row is not 32 zero bytes")
                      : absl::StrCat("prev_hash does not match row ", expected_seq_ - 1));
  }
  std::string hash = AuditHash(prev_hash_, encoding);
  if (hash.size() != kAuditHashSize) {
    return absl::InternalError("audit log: SHA-256 failed (out of memory?)");
  }
  if (stored_hash != hash) return Broken(id, replica, seq, "hash mismatch: row was modified");
  prev_hash_ = std::move(hash);
  ++expected_seq_;
  ++rows_;
  ++total_;
  return absl::OkStatus();
}

std::string AuditChainChecker::Report() const {
  if (total_ == 0) return absl::StrCat("audit chain OK: ", database_, ": no rows\n");
  return absl::StrCat("audit chain OK: ", database_, ": ", total_, " rows in ", replicas_,
                      " replica chain(s)\n", summary_, ChainLine());
}

std::string EncodeAuditRecord(absl::string_view replica, int64_t seq,
                              const TransactionRecord& record) {
  return Encode(FieldsOf(replica, seq, record));
}

std::string AuditHash(absl::string_view prev_hash, absl::string_view encoding) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // SHA-256 on in-memory data only fails on allocation failure.
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, prev_hash.data(), prev_hash.size()) == 1 &&
                  EVP_DigestUpdate(ctx, encoding.data(), encoding.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &size) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || size != kAuditHashSize) return std::string();
  return std::string(reinterpret_cast<const char*>(digest), size);
}

void SqliteTransactionStore::FinalizeStatement::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

SqliteTransactionStore::SqliteTransactionStore(std::unique_ptr<SqliteDatabase> db,
                                               absl::TimeZone time_zone,
                                               std::string replica)
    : db_(std::move(db)), time_zone_(time_zone), replica_(std::move(replica)) {}

SqliteTransactionStore::~SqliteTransactionStore() = default;

absl::StatusOr<std::unique_ptr<SqliteTransactionStore>> SqliteTransactionStore::Open(
    const std::string& path, const Options& options) {
  if (options.replica.empty()) {
    return absl::InvalidArgumentError("transaction store: replica name is empty");
  }
  absl::TimeZone time_zone;
  if (!absl::LoadTimeZone(options.time_zone, &time_zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "transaction store: unknown time zone \"", options.time_zone,
        "\" (expected an IANA name such as \"Asia/Ho_Chi_Minh\")"));
  }
  SqliteOptions sqlite_options;
  sqlite_options.wal = true;
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(path, sqlite_options));
  // Open leaves WAL at synchronous=NORMAL: durable across a process crash. FULL
  // adds an fsync of the WAL per commit: durable across a power loss.
  if (options.fsync_each_commit) {
    NDXP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  }
  NDXP_RETURN_IF_ERROR(db->Exec(kSchema));

  std::unique_ptr<SqliteTransactionStore> store(
      new SqliteTransactionStore(std::move(db), time_zone, options.replica));
  NDXP_RETURN_IF_ERROR(store->Prepare());
  NDXP_RETURN_IF_ERROR(store->LoadChainHead());
  return store;
}

absl::Status SqliteTransactionStore::Prepare() {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_->handle(), kInsertAudit, -1, SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  insert_audit_.reset(stmt);
  if (rc != SQLITE_OK) return db_->Error(rc, "prepare audit insert");
  NDXP_ASSIGN_OR_RETURN(SqliteStatement upsert, db_->Prepare(kUpsertCounter));
  upsert_counter_ = std::make_unique<SqliteStatement>(std::move(upsert));
  return absl::OkStatus();
}

absl::Status SqliteTransactionStore::LoadChainHead() {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(
      db_->handle(),
      "SELECT seq, hash FROM audit_log WHERE replica = ?1 ORDER BY seq DESC LIMIT 1", -1,
      &raw, nullptr);
  RawStatement stmt(raw);
  if (rc != SQLITE_OK) return db_->Error(rc, "prepare chain head query");
  if ((rc = BindText(stmt.get(), 1, replica_)) != SQLITE_OK) {
    return db_->Error(rc, "bind chain head query");
  }
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) {
    last_seq_ = 0;
    last_hash_ = ZeroAuditHash();
    return absl::OkStatus();
  }
  if (rc != SQLITE_ROW) return db_->Error(rc, "read chain head");
  last_seq_ = sqlite3_column_int64(stmt.get(), 0);
  last_hash_ = std::string(ColumnBytes(stmt.get(), 1));
  if (last_hash_.size() != kAuditHashSize) {
    return absl::DataLossError(absl::StrCat(
        "audit log ", db_->path(), ": replica ", replica_, ", seq ", last_seq_,
        ": hash is ", last_hash_.size(), " bytes, not ", kAuditHashSize,
        "; run VerifyAuditChain"));
  }
  return absl::OkStatus();
}

absl::Status SqliteTransactionStore::Append(absl::Span<const TransactionRecord> batch) {
  if (batch.empty()) return absl::OkStatus();
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  int64_t seq = last_seq_;
  std::string hash = last_hash_;
  // On error txn rolls back as it goes out of scope, and the head stays put.
  NDXP_RETURN_IF_ERROR(AppendInTransaction(batch, &seq, &hash));
  NDXP_RETURN_IF_ERROR(txn.Commit());
  last_seq_ = seq;
  last_hash_ = std::move(hash);
  return absl::OkStatus();
}

absl::Status SqliteTransactionStore::AppendInTransaction(
    absl::Span<const TransactionRecord> batch, int64_t* last_seq, std::string* last_hash) {
  // (day, consumer, provider, service, method, status) -> count; ordered so a
  // batch always writes its counters in the same order.
  using CounterKey =
      std::tuple<std::string, std::string, std::string, std::string, std::string, int>;
  std::map<CounterKey, int64_t> counts;

  sqlite3_stmt* insert = insert_audit_.get();
  for (const TransactionRecord& record : batch) {
    const int64_t seq = *last_seq + 1;
    std::string hash = AuditHash(*last_hash, EncodeAuditRecord(replica_, seq, record));
    if (hash.size() != kAuditHashSize) {
      return absl::InternalError("audit log: SHA-256 failed (out of memory?)");
    }
    int rc = SQLITE_OK;
    int index = 0;
    auto bind_text = [&](const std::string& value) {
      if (rc == SQLITE_OK) rc = BindText(insert, ++index, value);
    };
    auto bind_int = [&](int64_t value) {
      if (rc == SQLITE_OK) rc = sqlite3_bind_int64(insert, ++index, value);
    };
    auto bind_blob = [&](const std::string& value) {
      if (rc == SQLITE_OK) rc = BindBlob(insert, ++index, value);
    };
    bind_text(replica_);
    bind_int(seq);
    bind_int(record.time_micros);
    bind_text(record.request_id);
    bind_text(record.consumer);
    bind_text(record.provider);
    bind_text(record.service);
    bind_text(record.method);
    bind_int(record.status_code);
    bind_int(record.latency_micros);
    bind_int(record.request_bytes);
    bind_int(record.response_bytes);
    bind_text(record.purpose);
    bind_blob(*last_hash);
    bind_blob(hash);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(insert);
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    absl::Status status = rc == SQLITE_OK
                              ? absl::OkStatus()
                              : db_->Error(rc, absl::StrCat("insert audit row ", replica_,
                                                            " seq ", seq));
    // The bindings point into `hash`, `*last_hash` and `record`: drop them now.
    sqlite3_reset(insert);
    sqlite3_clear_bindings(insert);
    NDXP_RETURN_IF_ERROR(status);

    *last_seq = seq;
    *last_hash = std::move(hash);
    std::string day =
        absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(record.time_micros), time_zone_);
    ++counts[CounterKey(std::move(day), record.consumer, record.provider, record.service,
                        record.method, record.status_code)];
  }

  for (const auto& [key, count] : counts) {
    const auto& [day, consumer, provider, service, method, status_code] = key;
    NDXP_RETURN_IF_ERROR(upsert_counter_->BindAll(day, consumer, provider, service,
                                                  method, status_code, count));
    absl::Status status = upsert_counter_->Run();
    upsert_counter_->Reset();
    NDXP_RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

namespace {

// An existing hub database, for reading its audit log: NOT_FOUND when there
// is no file or no audit_log in it. Opened read-write only because reading a
// WAL database needs its shared-memory file; its journal mode is kept.
absl::StatusOr<std::unique_ptr<SqliteDatabase>> OpenAuditLog(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("audit log ", path, ": no such file"));
  }
  SqliteOptions sqlite_options;
  sqlite_options.wal = false;
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(path, sqlite_options));
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement has_table,
      db->Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'"));
  NDXP_ASSIGN_OR_RETURN(bool found, has_table.Step());
  if (!found) return absl::NotFoundError(absl::StrCat("audit log ", path, ": no audit_log table"));
  return db;
}

}  // namespace

absl::StatusOr<std::vector<SqliteTransactionStore::ChainHead>>
SqliteTransactionStore::ReadChainHeads(const std::string& path) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, OpenAuditLog(path));
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement heads,
      db->Prepare("SELECT a.replica, a.seq, lower(hex(a.hash)) FROM audit_log a JOIN (SELECT "
                  "replica, MAX(seq) AS seq FROM audit_log GROUP BY replica) newest ON "
                  "a.replica = newest.replica AND a.seq = newest.seq ORDER BY a.replica"));
  std::vector<ChainHead> out;
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool has_row, heads.Step());
    if (!has_row) break;
    out.push_back({std::string(heads.ColumnText(0)), heads.ColumnInt64(1),
                   std::string(heads.ColumnText(2))});
  }
  return out;
}

absl::Status SqliteTransactionStore::VerifyAuditChain(const std::string& path,
                                                      std::string* report) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, OpenAuditLog(path));

  // One statement reads one snapshot, so a hub appending meanwhile is harmless.
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db->handle(), kSelectAudit, -1, &raw, nullptr);
  RawStatement stmt(raw);
  if (rc != SQLITE_OK) return db->Error(rc, "prepare audit log scan");

  AuditChainChecker chain(path);
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    sqlite3_stmt* s = stmt.get();
    AuditFields f;
    f.replica = ColumnString(s, 1);
    f.seq = sqlite3_column_int64(s, 2);
    f.time_micros = sqlite3_column_int64(s, 3);
    f.request_id = ColumnString(s, 4);
    f.consumer = ColumnString(s, 5);
    f.provider = ColumnString(s, 6);
    f.service = ColumnString(s, 7);
    f.method = ColumnString(s, 8);
    f.status_code = sqlite3_column_int64(s, 9);
    f.latency_micros = sqlite3_column_int64(s, 10);
    f.request_bytes = sqlite3_column_int64(s, 11);
    f.response_bytes = sqlite3_column_int64(s, 12);
    f.purpose = ColumnString(s, 13);
    NDXP_RETURN_IF_ERROR(chain.Add(sqlite3_column_int64(s, 0), f.replica, f.seq, Encode(f),
                                   ColumnBytes(s, 14), ColumnBytes(s, 15)));
  }
  if (rc != SQLITE_DONE) return db->Error(rc, "scan audit log");
  if (report != nullptr) *report = chain.Report();
  return absl::OkStatus();
}

}  // namespace ndxp::gateway
