#include "gateway/recording/sqlite_transaction_store.h"

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/status/status_util.h"

namespace ndxp::gateway {
namespace {

using ::ndxp::SqliteDatabase;
using ::ndxp::SqliteOptions;
using ::ndxp::SqliteStatement;
using ::ndxp::SqliteTransaction;

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
  refusal TEXT NOT NULL DEFAULT '',
  via TEXT NOT NULL DEFAULT '',
  encoding INTEGER NOT NULL DEFAULT 0,
  row_kind TEXT NOT NULL DEFAULT 'call',
  door TEXT NOT NULL DEFAULT 'grpc',
  refusal_kind TEXT NOT NULL DEFAULT '',
  repeat_count INTEGER NOT NULL DEFAULT 1,
  subject_key_id TEXT NOT NULL DEFAULT '',
  subjects TEXT NOT NULL DEFAULT '',
  visible_after INTEGER NOT NULL DEFAULT 0,
  UNIQUE (replica, seq));
CREATE TABLE IF NOT EXISTS counters (
  day TEXT NOT NULL,
  consumer TEXT NOT NULL,
  via TEXT NOT NULL DEFAULT '',
  door TEXT NOT NULL DEFAULT 'grpc',
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, consumer, via, door, provider, service, method, status_code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refused_counters (
  day TEXT NOT NULL,
  consumer TEXT NOT NULL,
  via TEXT NOT NULL DEFAULT '',
  door TEXT NOT NULL DEFAULT 'grpc',
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, consumer, via, door, provider, service, method, status_code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_batches (
  id INTEGER PRIMARY KEY,
  batch TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  source TEXT NOT NULL,
  state TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL DEFAULT '',
  rows INTEGER NOT NULL,
  total INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS history_batches_complete ON history_batches (batch)
  WHERE state = 'complete';
CREATE TABLE IF NOT EXISTS history_counters (
  batch_id INTEGER NOT NULL,
  day TEXT NOT NULL,
  consumer TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (batch_id, day, consumer, provider, service, method, status_code)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_counters_day ON history_counters (day);
CREATE TABLE IF NOT EXISTS audit_tiles (
  replica TEXT NOT NULL,
  level INTEGER NOT NULL,
  tile_index INTEGER NOT NULL,
  hashes BLOB NOT NULL,
  PRIMARY KEY (replica, level, tile_index)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_tree_checkpoints (
  replica TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (replica, tree_size)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_tree_cosignatures (
  replica TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  witness_key TEXT NOT NULL,
  time_seconds INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (replica, tree_size, witness_key)) WITHOUT ROWID;
)sql";

// Columns files made by earlier versions lack, with their definitions and
// the value their rows have: rows from before refusals were recorded are
// forwarded calls, rows from before via was recorded came from direct
// members, and rows from before v4 keep their v1–v3 encoding (encoding 0)
// and are one gRPC call each.
struct AddedColumn {
  const char* name;
  const char* definition;
  const char* old_value;  // an SQL literal
};
constexpr AddedColumn kAddedAuditColumns[] = {
    {"refusal", "refusal TEXT NOT NULL DEFAULT ''", "''"},
    {"via", "via TEXT NOT NULL DEFAULT ''", "''"},
    {"encoding", "encoding INTEGER NOT NULL DEFAULT 0", "0"},
    {"row_kind", "row_kind TEXT NOT NULL DEFAULT 'call'", "'call'"},
    {"door", "door TEXT NOT NULL DEFAULT 'grpc'", "'grpc'"},
    {"refusal_kind", "refusal_kind TEXT NOT NULL DEFAULT ''", "''"},
    {"repeat_count", "repeat_count INTEGER NOT NULL DEFAULT 1", "1"},
    {"subject_key_id", "subject_key_id TEXT NOT NULL DEFAULT ''", "''"},
    {"subjects", "subjects TEXT NOT NULL DEFAULT ''", "''"},
    {"visible_after", "visible_after INTEGER NOT NULL DEFAULT 0", "0"},
};

// The subject index (subject_access.h), and its rows for the audit rows a
// file made before it has (their subjects, joined by ",", split apart).
constexpr char kCreateSubjectIndex[] = R"sql(
CREATE TABLE audit_subjects (
  subject TEXT NOT NULL,
  key_id TEXT NOT NULL,
  time_micros INTEGER NOT NULL,
  replica TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (subject, key_id, time_micros, replica, seq)) WITHOUT ROWID;
WITH RECURSIVE split (key_id, time_micros, replica, seq, subject, rest) AS (
  SELECT subject_key_id, time_micros, replica, seq, '', subjects || ',' FROM audit_log
  WHERE subjects <> ''
  UNION ALL
  SELECT key_id, time_micros, replica, seq, substr(rest, 1, instr(rest, ',') - 1),
         substr(rest, instr(rest, ',') + 1) FROM split WHERE rest <> '')
INSERT OR IGNORE INTO audit_subjects (subject, key_id, time_micros, replica, seq)
SELECT subject, key_id, time_micros, replica, seq FROM split WHERE subject <> '';
)sql";

// IGNORE: a record naming one subject twice is indexed once.
constexpr char kInsertSubject[] =
    "INSERT OR IGNORE INTO audit_subjects (subject, key_id, time_micros, replica, seq) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";

// The counter tables, whose key gained via and then door: a file made
// before keeps its counts under via '' (every call counted until then came
// from a direct member) and door 'grpc' (the only door there was).
constexpr const char* kCounterTables[] = {"counters", "refused_counters"};
constexpr AddedColumn kAddedCounterKeyColumns[] = {
    {"via", "via TEXT NOT NULL DEFAULT ''", "''"},
    {"door", "door TEXT NOT NULL DEFAULT 'grpc'", "'grpc'"},
};

constexpr char kInsertAudit[] =
    "INSERT INTO audit_log (replica, seq, time_micros, request_id, consumer, provider, "
    "service, method, status_code, latency_micros, request_bytes, response_bytes, "
    "purpose, prev_hash, hash, refusal, via, encoding, row_kind, door, refusal_kind, "
    "repeat_count, subject_key_id, subjects, visible_after) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
    "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)";

// Forwarded calls' counters, then refused calls'.
constexpr const char* kUpsertCounter[2] = {
    "INSERT INTO counters (day, consumer, via, door, provider, service, method, status_code, "
    "count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (day, consumer, via, door, provider, service, method, status_code) "
    "DO UPDATE SET count = count + excluded.count",
    "INSERT INTO refused_counters (day, consumer, via, door, provider, service, method, "
    "status_code, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (day, consumer, via, door, provider, service, method, status_code) "
    "DO UPDATE SET count = count + excluded.count"};

// Both counter tables, for the reconciliation with the audit log. $via and
// $door are the columns, or in a file from before they were keys the value
// its counts have (kAddedCounterKeyColumns): it is verified as it is,
// without upgrading it (a backup, say).
constexpr char kSelectCounters[] =
    "SELECT day, consumer, provider, service, method, status_code, count, 0, $via, $door "
    "FROM counters UNION ALL SELECT day, consumer, provider, service, method, status_code, "
    "count, 1, $via, $door FROM refused_counters";

// All columns the chain covers, plus id, in the order ReadAuditFields reads.
// $column is the column, or in a file from before it was added the value
// its rows have (kAddedAuditColumns).
constexpr char kSelectAuditColumns[] =
    "SELECT id, replica, seq, time_micros, request_id, consumer, provider, service, "
    "method, status_code, latency_micros, request_bytes, response_bytes, purpose, "
    "prev_hash, hash, $refusal, $via, $encoding, $row_kind, $door, $refusal_kind, "
    "$repeat_count, $subject_key_id, $subjects, $visible_after FROM audit_log ";
constexpr char kSelectAuditOrder[] = "ORDER BY replica, seq";
// A replica's rows seq ?2 .. ?3 - 1, for their leaf hashes (an open store's
// file has every column).
constexpr char kSelectAuditRange[] = "WHERE replica = ?1 AND seq >= ?2 AND seq < ?3 ORDER BY seq";
// A replica's rows of request id ?2 by consumer ?3 ('': anyone) among its
// newest ?5, the first ?4 (a range of the (replica, seq) index).
constexpr char kSelectRequestRows[] =
    "WHERE replica = ?1 AND seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE replica = "
    "?1) - ?5 AND request_id = ?2 AND (?3 = '' OR consumer = ?3) ORDER BY seq LIMIT ?4";

constexpr char kInsertTile[] =
    "INSERT INTO audit_tiles (replica, level, tile_index, hashes) VALUES (?1, ?2, ?3, ?4)";
constexpr char kSelectTile[] =
    "SELECT hashes FROM audit_tiles WHERE replica = ?1 AND level = ?2 AND tile_index = ?3";

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

// The row a kSelectAuditColumns query is on, as the chain encodes it; its
// strings point into the statement's row.
AuditFields ReadAuditFields(sqlite3_stmt* s) {
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
  f.refusal = ColumnString(s, 16);
  f.via = ColumnString(s, 17);
  f.encoding = static_cast<AuditEncoding>(sqlite3_column_int64(s, 18));
  f.row_kind = ColumnString(s, 19);
  f.door = ColumnString(s, 20);
  f.refusal_kind = ColumnString(s, 21);
  f.repeat = sqlite3_column_int64(s, 22);
  f.subject_key_id = ColumnString(s, 23);
  f.subjects = ColumnString(s, 24);
  f.visible_after_micros = sqlite3_column_int64(s, 25);
  return f;
}

absl::StatusOr<bool> HasTable(SqliteDatabase& db, absl::string_view table) {
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement query,
      db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1"));
  NDXP_RETURN_IF_ERROR(query.BindAll(table));
  return query.Step();
}

absl::StatusOr<bool> HasColumn(SqliteDatabase& db, absl::string_view table,
                               absl::string_view column) {
  NDXP_ASSIGN_OR_RETURN(SqliteStatement query,
                        db.Prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2"));
  NDXP_RETURN_IF_ERROR(query.BindAll(table, column));
  return query.Step();
}

// ("$name", what to select for it) per added column, for absl::StrReplaceAll.
using ColumnSelections = std::vector<std::pair<std::string, std::string>>;

// Each of `columns` as "$name" and what to select for it in `table`: the
// column, or in a file from before it was added the value its rows have.
absl::StatusOr<ColumnSelections> ColumnsOrOldValues(SqliteDatabase& db, absl::string_view table,
                                                    absl::Span<const AddedColumn> columns) {
  ColumnSelections selected;
  for (const AddedColumn& column : columns) {
    NDXP_ASSIGN_OR_RETURN(bool found, HasColumn(db, table, column.name));
    selected.emplace_back(absl::StrCat("$", column.name), found ? column.name : column.old_value);
  }
  return selected;
}

// The tables of `db` (kSchema run on it) that lack something an earlier
// version did not write: audit_log a column of kAddedAuditColumns, a counter
// table a key column of kAddedCounterKeyColumns; and audit_subjects when
// there is none.
absl::StatusOr<std::vector<std::string>> OutdatedTables(SqliteDatabase& db) {
  std::vector<std::string> outdated;
  for (const AddedColumn& column : kAddedAuditColumns) {
    NDXP_ASSIGN_OR_RETURN(bool found, HasColumn(db, "audit_log", column.name));
    if (!found) {
      outdated.push_back("audit_log");
      break;
    }
  }
  for (const char* table : kCounterTables) {
    for (const AddedColumn& column : kAddedCounterKeyColumns) {
      NDXP_ASSIGN_OR_RETURN(bool found, HasColumn(db, table, column.name));
      if (!found) {
        outdated.push_back(table);
        break;
      }
    }
  }
  NDXP_ASSIGN_OR_RETURN(bool has_subject_index, HasTable(db, "audit_subjects"));
  if (!has_subject_index) outdated.push_back("audit_subjects");
  return outdated;
}

// Brings a file an earlier version made up to kSchema, in one write
// transaction: replicas opening it together upgrade it once, and a failure
// leaves it as it was.
absl::Status UpgradeSchema(SqliteDatabase& db) {
  NDXP_ASSIGN_OR_RETURN(std::vector<std::string> outdated, OutdatedTables(db));
  if (outdated.empty()) return absl::OkStatus();
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db));
  NDXP_ASSIGN_OR_RETURN(outdated, OutdatedTables(db));  // another replica may have done it
  for (const AddedColumn& column : kAddedAuditColumns) {
    NDXP_ASSIGN_OR_RETURN(bool found, HasColumn(db, "audit_log", column.name));
    if (!found) {
      NDXP_RETURN_IF_ERROR(
          db.Exec(absl::StrCat("ALTER TABLE audit_log ADD COLUMN ", column.definition)));
    }
  }
  // After audit_log has its subjects, which the index is filled from.
  if (std::find(outdated.begin(), outdated.end(), "audit_subjects") != outdated.end()) {
    NDXP_RETURN_IF_ERROR(db.Exec(kCreateSubjectIndex));
  }
  // A primary key cannot be altered in place: the old counter table steps
  // aside, kSchema creates the new one, and its counts move over, with the
  // key columns it lacks at their old values.
  std::vector<std::pair<std::string, ColumnSelections>> counter_tables;
  for (const std::string& table : outdated) {
    if (table == "audit_log" || table == "audit_subjects") continue;
    NDXP_ASSIGN_OR_RETURN(ColumnSelections key_columns,
                          ColumnsOrOldValues(db, table, kAddedCounterKeyColumns));
    NDXP_RETURN_IF_ERROR(
        db.Exec(absl::StrCat("ALTER TABLE ", table, " RENAME TO ", table, "_before_upgrade")));
    counter_tables.emplace_back(table, std::move(key_columns));
  }
  if (!counter_tables.empty()) NDXP_RETURN_IF_ERROR(db.Exec(kSchema));
  for (const auto& [table, key_columns] : counter_tables) {
    NDXP_RETURN_IF_ERROR(db.Exec(absl::StrReplaceAll(
        absl::StrCat("INSERT INTO ", table,
                     " (day, consumer, via, door, provider, service, method, status_code, count) "
                     "SELECT day, consumer, $via, $door, provider, service, method, status_code, "
                     "count FROM ",
                     table, "_before_upgrade; DROP TABLE ", table, "_before_upgrade"),
        key_columns)));
  }
  return txn.Commit();
}

}  // namespace

void SqliteTransactionStore::FinalizeStatement::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

SqliteTransactionStore::SqliteTransactionStore(std::unique_ptr<SqliteDatabase> db,
                                               absl::TimeZone time_zone, std::string replica)
    : db_(std::move(db)),
      time_zone_(time_zone),
      local_day_(time_zone),
      replica_(std::move(replica)),
      tree_(this, replica_) {}

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
  NDXP_RETURN_IF_ERROR(UpgradeSchema(*db));

  std::unique_ptr<SqliteTransactionStore> store(
      new SqliteTransactionStore(std::move(db), time_zone, options.replica));
  NDXP_RETURN_IF_ERROR(store->Prepare());
  NDXP_RETURN_IF_ERROR(store->LoadChainHead());
  NDXP_RETURN_IF_ERROR(store->tree_.Load(store->last_seq_));
  return store;
}

absl::Status SqliteTransactionStore::Prepare() {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_->handle(), kInsertAudit, -1, SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  insert_audit_.reset(stmt);
  if (rc != SQLITE_OK) return db_->Error(rc, "prepare audit insert");
  for (int refused = 0; refused < 2; ++refused) {
    NDXP_ASSIGN_OR_RETURN(SqliteStatement upsert, db_->Prepare(kUpsertCounter[refused]));
    upsert_counter_[refused] = std::make_unique<SqliteStatement>(std::move(upsert));
  }
  NDXP_ASSIGN_OR_RETURN(SqliteStatement insert_subject, db_->Prepare(kInsertSubject));
  insert_subject_ = std::make_unique<SqliteStatement>(std::move(insert_subject));
  stmt = nullptr;
  rc =
      sqlite3_prepare_v3(db_->handle(), kInsertTile, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  insert_tile_.reset(stmt);
  if (rc != SQLITE_OK) return db_->Error(rc, "prepare audit tile insert");
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

absl::Status SqliteTransactionStore::Append(absl::Span<const TransactionRecord> batch,
                                            std::vector<AppendedRow>* appended) {
  if (appended != nullptr) appended->clear();
  if (batch.empty()) return absl::OkStatus();
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  int64_t seq = last_seq_;
  std::string hash = last_hash_;
  std::vector<transparency::Hash> leaves;
  leaves.reserve(batch.size());
  // On error txn rolls back as it goes out of scope, and the head and the
  // tree stay put.
  NDXP_RETURN_IF_ERROR(AppendInTransaction(batch, &seq, &hash, &leaves, appended));
  NDXP_ASSIGN_OR_RETURN(AuditTree::Extension tree, tree_.Extend(leaves));
  NDXP_RETURN_IF_ERROR(InsertTiles(replica_, tree.full_tiles));
  NDXP_RETURN_IF_ERROR(txn.Commit());
  last_seq_ = seq;
  last_hash_ = std::move(hash);
  tree_.Adopt(std::move(tree));
  return absl::OkStatus();
}

absl::Status SqliteTransactionStore::AppendInTransaction(absl::Span<const TransactionRecord> batch,
                                                         int64_t* last_seq, std::string* last_hash,
                                                         std::vector<transparency::Hash>* leaves,
                                                         std::vector<AppendedRow>* appended) {
  // (refused, day, consumer, via, door, provider, service, method, status) ->
  // count; ordered so a batch always writes its counters in the same order.
  using CounterKey = std::tuple<bool, std::string, std::string, std::string, Door, std::string,
                                std::string, std::string, int>;
  std::map<CounterKey, int64_t> counts;

  sqlite3_stmt* insert = insert_audit_.get();
  for (const TransactionRecord& record : batch) {
    const int64_t seq = *last_seq + 1;
    NDXP_ASSIGN_OR_RETURN(ChainedRow row, ChainRecord(*last_hash, replica_, seq, record));
    std::string& hash = row.hash;
    leaves->push_back(row.leaf_hash);
    if (appended != nullptr) appended->push_back({seq, row.leaf_hash});
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
    bind_text(record.refusal);
    bind_text(record.via);
    bind_int(static_cast<int64_t>(AuditEncoding::kV4));
    const std::string row_kind(RowKindName(record.row_kind)), door(DoorName(record.door)),
        refusal_kind(RefusalName(record.refusal_kind)), subjects = JoinSubjects(record.subjects);
    bind_text(row_kind);
    bind_text(door);
    bind_text(refusal_kind);
    bind_int(record.repeat);
    bind_text(record.subject_key_id);
    bind_text(subjects);
    bind_int(record.visible_after_micros);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(insert);
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    absl::Status status = rc == SQLITE_OK
                              ? absl::OkStatus()
                              : db_->Error(rc, absl::StrCat("insert audit row ", replica_,
                                                            " seq ", seq));
    // The bindings point into `hash`, `*last_hash`, `record` and the strings
    // above: drop them now.
    sqlite3_reset(insert);
    sqlite3_clear_bindings(insert);
    NDXP_RETURN_IF_ERROR(status);
    for (const std::string& subject : record.subjects) {
      NDXP_RETURN_IF_ERROR(insert_subject_->BindAll(subject, record.subject_key_id,
                                                    record.time_micros, replica_, seq));
      status = insert_subject_->Run();
      insert_subject_->Reset();
      NDXP_RETURN_IF_ERROR(status);
    }

    *last_seq = seq;
    *last_hash = std::move(hash);
    std::string day = local_day_.Of(record.time_micros);
    counts[CounterKey(!record.refusal.empty(), std::move(day), record.consumer, record.via,
                      record.door, record.provider, record.service, record.method,
                      record.status_code)] += record.repeat;
  }

  for (const auto& [key, count] : counts) {
    const auto& [refused, day, consumer, via, door, provider, service, method, status_code] =
        key;
    SqliteStatement& upsert = *upsert_counter_[refused ? 1 : 0];
    NDXP_RETURN_IF_ERROR(upsert.BindAll(day, consumer, via, DoorName(door), provider, service,
                                        method, status_code, count));
    absl::Status status = upsert.Run();
    upsert.Reset();
    NDXP_RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

absl::Status SqliteTransactionStore::InsertTiles(absl::string_view replica,
                                                 absl::Span<const transparency::Tile> tiles) {
  sqlite3_stmt* insert = insert_tile_.get();
  const std::string replica_text(replica);
  for (const transparency::Tile& tile : tiles) {
    const std::string hashes = EncodeTileHashes(tile.hashes);
    int rc = BindText(insert, 1, replica_text);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(insert, 2, tile.level);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(insert, 3, tile.index);
    if (rc == SQLITE_OK) rc = BindBlob(insert, 4, hashes);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(insert);
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    sqlite3_reset(insert);
    sqlite3_clear_bindings(insert);
    if (rc != SQLITE_OK) {
      return db_->Error(
          rc, absl::StrCat("insert audit tile ", replica, " ", tile.level, "/", tile.index));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FullTiles> SqliteTransactionStore::ReadFullTiles(absl::string_view replica,
                                                                absl::Span<const TileKey> keys) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_->handle(), kSelectTile, -1, &raw, nullptr);
  RawStatement select(raw);
  if (rc != SQLITE_OK) return db_->Error(rc, "prepare audit tile query");
  const std::string replica_text(replica);
  FullTiles tiles;
  // One statement stepped per key: SQLite reads in process, so this is one
  // index lookup each.
  for (const TileKey& key : keys) {
    rc = BindText(select.get(), 1, replica_text);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(select.get(), 2, key.first);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(select.get(), 3, key.second);
    if (rc == SQLITE_OK) rc = sqlite3_step(select.get());
    if (rc == SQLITE_ROW) {
      absl::StatusOr<std::vector<transparency::Hash>> hashes =
          DecodeFullTile(ColumnBytes(select.get(), 0));
      if (!hashes.ok()) {
        return absl::DataLossError(absl::StrCat(db_->path(), ": replica ", replica, ", tile ",
                                                key.first, "/", key.second, ": ",
                                                hashes.status().message()));
      }
      tiles[key] = *std::move(hashes);
    } else if (rc != SQLITE_DONE) {
      return db_->Error(rc, "read audit tile");
    }
    sqlite3_reset(select.get());
  }
  return tiles;
}

absl::Status SqliteTransactionStore::ForEachAuditRow(
    absl::string_view replica, int64_t first_seq, int64_t count,
    absl::FunctionRef<bool(const AuditFields&)> visit) {
  // An open store's file has every column: "$refusal" is refusal.
  const std::string sql = absl::StrReplaceAll(
      absl::StrCat(kSelectAuditColumns, kSelectAuditRange), {{"$", ""}});
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_->handle(), sql.c_str(), -1, &raw, nullptr);
  RawStatement select(raw);
  if (rc != SQLITE_OK) return db_->Error(rc, "prepare audit rows query");
  const std::string replica_text(replica);
  rc = BindText(select.get(), 1, replica_text);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(select.get(), 2, first_seq);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(select.get(), 3, first_seq + count);
  if (rc != SQLITE_OK) return db_->Error(rc, "bind audit rows query");
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    if (!visit(ReadAuditFields(select.get()))) return absl::OkStatus();
  }
  if (rc != SQLITE_DONE) return db_->Error(rc, "read audit rows");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<transparency::Hash>> SqliteTransactionStore::ReadLeafHashes(
    absl::string_view replica, int64_t first_seq, int64_t count) {
  std::vector<transparency::Hash> leaves;
  leaves.reserve(static_cast<size_t>(count));
  NDXP_RETURN_IF_ERROR(ForEachAuditRow(replica, first_seq, count, [&](const AuditFields& row) {
    // A gap ends the rows the tree can have.
    if (row.seq != first_seq + static_cast<int64_t>(leaves.size())) return false;
    leaves.push_back(RowLeafHash(row));
    return true;
  }));
  return leaves;
}

absl::StatusOr<TransactionStore::AuditLeaf> SqliteTransactionStore::ReadAuditLeaf(
    absl::string_view replica, int64_t seq) {
  std::optional<AuditLeaf> leaf;
  NDXP_RETURN_IF_ERROR(ForEachAuditRow(replica, seq, 1, [&](const AuditFields& row) {
    leaf = AuditLeaf{std::string(row.consumer), RowLeafHash(row)};
    return false;
  }));
  if (!leaf.has_value()) {
    return absl::NotFoundError(absl::StrCat("audit log: replica ", replica, " has no row ", seq));
  }
  return *std::move(leaf);
}

absl::StatusOr<std::vector<TransactionStore::RequestRow>> SqliteTransactionStore::FindRequestRows(
    absl::string_view replica, absl::string_view request_id, absl::string_view consumer,
    int limit, int64_t window) {
  const std::string sql = absl::StrReplaceAll(
      absl::StrCat(kSelectAuditColumns, kSelectRequestRows), {{"$", ""}});
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_->handle(), sql.c_str(), -1, &raw, nullptr);
  RawStatement select(raw);
  if (rc != SQLITE_OK) return db_->Error(rc, "prepare request rows query");
  const std::string replica_text(replica), request_id_text(request_id),
      consumer_text(consumer);
  rc = BindText(select.get(), 1, replica_text);
  if (rc == SQLITE_OK) rc = BindText(select.get(), 2, request_id_text);
  if (rc == SQLITE_OK) rc = BindText(select.get(), 3, consumer_text);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int(select.get(), 4, limit);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(select.get(), 5, window);
  if (rc != SQLITE_OK) return db_->Error(rc, "bind request rows query");
  std::vector<RequestRow> rows;
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    const AuditFields row = ReadAuditFields(select.get());
    rows.push_back(RequestRow{row.seq, std::string(row.consumer), RowLeafHash(row)});
  }
  if (rc != SQLITE_DONE) return db_->Error(rc, "read request rows");
  return rows;
}

absl::Status SqliteTransactionStore::WriteTreeCheckpoint(int64_t tree_size,
                                                         absl::string_view note) {
  // A note of a size signed before with another checkpoint text (another
  // root: only a rewritten history has one) replaces it: the witnesses'
  // cosignatures of the old text are not of this one, and a verifier would
  // refuse the note they were published with.
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement drop,
      db_->Prepare("DELETE FROM audit_tree_cosignatures WHERE replica = ?1 AND tree_size = ?2 "
                   "AND EXISTS (SELECT 1 FROM audit_tree_checkpoints WHERE replica = ?1 AND "
                   "tree_size = ?2 AND substr(note, 1, length(?3)) <> ?3)"));
  NDXP_RETURN_IF_ERROR(drop.BindAll(replica_, tree_size, CheckpointTextOf(note)));
  NDXP_RETURN_IF_ERROR(drop.Run());
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement upsert,
      db_->Prepare("INSERT INTO audit_tree_checkpoints (replica, tree_size, note) "
                   "VALUES (?1, ?2, ?3) ON CONFLICT (replica, tree_size) DO UPDATE SET "
                   "note = excluded.note"));
  NDXP_RETURN_IF_ERROR(upsert.BindAll(replica_, tree_size, note));
  return upsert.Run();
}

absl::StatusOr<std::string> SqliteTransactionStore::LatestTreeCheckpoint(
    absl::string_view replica) {
  NDXP_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare("SELECT note FROM audit_tree_checkpoints WHERE replica = ?1 "
                                     "ORDER BY tree_size DESC LIMIT 1"));
  NDXP_RETURN_IF_ERROR(select.BindAll(replica));
  NDXP_ASSIGN_OR_RETURN(bool has_row, select.Step());
  if (!has_row) {
    return absl::NotFoundError(
        absl::StrCat("replica ", replica, " has no signed checkpoint of its tree yet"));
  }
  return std::string(select.ColumnText(0));
}

absl::StatusOr<std::vector<std::string>> SqliteTransactionStore::AddTreeCosignatures(
    absl::string_view replica, int64_t tree_size, absl::string_view checkpoint_text,
    absl::Span<const TreeCosignature> cosignatures) {
  // A short write transaction, usually on a second connection to the file
  // (the Transparency methods' store) competing with the recorder's for the
  // file's write lock: it waits out a commit in progress (the busy timeout)
  // rather than failing, and holds the lock for a read and a few rows. That
  // is fine: each witness writes at most once per poll interval (seconds).
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  NDXP_ASSIGN_OR_RETURN(SqliteStatement stored,
                        db_->Prepare("SELECT note FROM audit_tree_checkpoints WHERE replica = ?1 "
                                     "AND tree_size = ?2"));
  NDXP_RETURN_IF_ERROR(stored.BindAll(replica, tree_size));
  NDXP_ASSIGN_OR_RETURN(bool has_row, stored.Step());
  const bool same = has_row && IsNoteOf(stored.ColumnText(0), checkpoint_text);
  stored.Reset();
  if (!same) return NoStoredCheckpoint(replica, tree_size, has_row);
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement upsert,
      db_->Prepare("INSERT INTO audit_tree_cosignatures (replica, tree_size, witness_key, "
                   "time_seconds, line) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (replica, "
                   "tree_size, witness_key) DO UPDATE SET time_seconds = excluded.time_seconds, "
                   "line = excluded.line WHERE excluded.time_seconds > time_seconds"));
  std::vector<std::string> kept;
  for (const TreeCosignature& cosignature : cosignatures) {
    NDXP_RETURN_IF_ERROR(upsert.BindAll(replica, tree_size, cosignature.witness_key,
                                        cosignature.time_seconds, cosignature.line));
    NDXP_RETURN_IF_ERROR(upsert.Run());
    if (db_->Changes() > 0) kept.push_back(cosignature.witness_key);
  }
  NDXP_RETURN_IF_ERROR(txn.Commit());
  return kept;
}

absl::StatusOr<std::string> SqliteTransactionStore::CosignedTreeCheckpoint(
    absl::string_view replica, absl::Span<const std::string> witness_keys,
    int min_cosignatures) {
  // The witness keys as one parameter, " key1 key2 ": a key holds no space.
  const std::string listed = absl::StrCat(" ", absl::StrJoin(witness_keys, " "), " ");
  // Without a quorum, the newest checkpoint; with one, the newest size the
  // cosignatures reach it at, found from them (not by a scan of every
  // checkpoint).
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare("SELECT tree_size, note FROM audit_tree_checkpoints WHERE replica = ?1 AND (?3 "
                   "<= 0 OR tree_size = (SELECT tree_size FROM audit_tree_cosignatures WHERE "
                   "replica = ?1 AND instr(?2, ' ' || witness_key || ' ') > 0 GROUP BY tree_size "
                   "HAVING count(*) >= ?3 ORDER BY tree_size DESC LIMIT 1)) ORDER BY tree_size "
                   "DESC LIMIT 1"));
  NDXP_RETURN_IF_ERROR(select.BindAll(replica, listed, static_cast<int64_t>(min_cosignatures)));
  NDXP_ASSIGN_OR_RETURN(bool has_row, select.Step());
  if (!has_row) {
    return absl::NotFoundError(
        min_cosignatures == 0
            ? absl::StrCat("replica ", replica, " has no signed checkpoint of its tree yet")
            : absl::StrCat("replica ", replica, " has no checkpoint cosigned by ",
                           min_cosignatures, " of its witnesses yet"));
  }
  const int64_t tree_size = select.ColumnInt64(0);
  std::string note(select.ColumnText(1));
  select.Reset();
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement lines,
      db_->Prepare("SELECT witness_key, line FROM audit_tree_cosignatures WHERE replica = ?1 "
                   "AND tree_size = ?2 ORDER BY witness_key"));
  NDXP_RETURN_IF_ERROR(lines.BindAll(replica, tree_size));
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool has_line, lines.Step());
    if (!has_line) break;
    if (!absl::StrContains(listed, absl::StrCat(" ", lines.ColumnText(0), " "))) continue;
    absl::StrAppend(&note, lines.ColumnText(1), "\n");
  }
  lines.Reset();
  return note;
}

absl::StatusOr<int64_t> SqliteTransactionStore::ReadTiledSize(absl::string_view replica) {
  NDXP_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare("SELECT COALESCE(MAX(tile_index) + 1, 0) FROM audit_tiles "
                                     "WHERE replica = ?1 AND level = 0"));
  NDXP_RETURN_IF_ERROR(select.BindAll(replica));
  NDXP_ASSIGN_OR_RETURN(bool has_row, select.Step());
  return has_row ? select.ColumnInt64(0) * transparency::kTileWidth : 0;
}

absl::Status SqliteTransactionStore::WriteFullTiles(absl::string_view replica,
                                                    absl::Span<const transparency::Tile> tiles) {
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  NDXP_RETURN_IF_ERROR(InsertTiles(replica, tiles));
  return txn.Commit();
}

absl::Status SqliteTransactionStore::WriteCheckpoint(const SignedCheckpoint& checkpoint) {
  return WriteCheckpointFile(db_->path(), checkpoint);
}

absl::StatusOr<SubjectAccessPage> SqliteTransactionStore::ListSubjectAccesses(
    const SubjectQuery& query) {
  NDXP_ASSIGN_OR_RETURN(SubjectScan scan, PrepareSubjectScan(query));
  // The pairs as VALUES (?7, ?8), (?9, ?10), ...; the other parameters ?1..?6.
  // Selected from a subquery: SQLite searches the index for a row-value IN
  // of a SELECT, where IN (VALUES ...) would make it scan the whole table.
  std::string pairs = "SELECT column1, column2 FROM (VALUES ";
  for (size_t i = 0; i < scan.subjects.size(); ++i) {
    absl::StrAppend(&pairs, i == 0 ? "" : ", ", "(?", 7 + 2 * i, ", ?", 8 + 2 * i, ")");
  }
  pairs += ")";
  // SQLite's numbered parameters are ?N where PostgreSQL's are $N.
  const std::string sql =
      absl::StrReplaceAll(kSelectSubjectAccesses, {{"$SUBJECTS", pairs}, {"$", "?"}});
  NDXP_ASSIGN_OR_RETURN(SqliteStatement select, db_->Prepare(sql));
  NDXP_RETURN_IF_ERROR(select.BindAll(scan.from_micros, scan.below.time_micros,
                                      scan.below.replica, scan.below.seq,
                                      scan.max_visible_after, scan.limit));
  int index = 7;
  for (const SubjectHmac& subject : scan.subjects) {
    NDXP_RETURN_IF_ERROR(select.BindText(index++, subject.hmac_hex));
    NDXP_RETURN_IF_ERROR(select.BindText(index++, subject.key_id));
  }
  std::vector<SubjectAccess> rows;
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    SubjectAccess& row = rows.emplace_back();
    row.time_micros = select.ColumnInt64(0);
    row.consumer = std::string(select.ColumnText(1));
    row.via = std::string(select.ColumnText(2));
    row.door = std::string(select.ColumnText(3));
    row.provider = std::string(select.ColumnText(4));
    row.service = std::string(select.ColumnText(5));
    row.method = std::string(select.ColumnText(6));
    row.purpose = std::string(select.ColumnText(7));
    row.status_code = select.ColumnInt64(8);
    row.replica = std::string(select.ColumnText(9));
    row.seq = select.ColumnInt64(10);
    row.request_id = std::string(select.ColumnText(11));
    row.visible_after_micros = select.ColumnInt64(12);
  }
  return MakeSubjectAccessPage(std::move(rows), scan);
}

namespace {

// An existing hub database, for reading its audit log: NOT_FOUND when there
// is no file or no audit_log in it. Opened read-write only because reading a
// WAL database needs its shared-memory file; its journal mode is kept.
// The tree tables as AuditVerification reads them, on the connection whose
// read transaction scans the rows (SQLite steps other statements meanwhile).
// A table a database from before lacks reads as empty.
class SqliteStoredTree final : public StoredTreeReader {
 public:
  SqliteStoredTree(SqliteDatabase* db, bool has_tiles, bool has_checkpoints)
      : db_(db), has_tiles_(has_tiles), has_checkpoints_(has_checkpoints) {}

  absl::StatusOr<std::optional<std::string>> ReadTile(absl::string_view replica, int level,
                                                      int64_t index) override {
    if (!has_tiles_) return std::nullopt;
    if (select_tile_ == nullptr) {
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v2(db_->handle(), kSelectTile, -1, &raw, nullptr);
      select_tile_.reset(raw);
      if (rc != SQLITE_OK) return db_->Error(rc, "prepare audit tile query");
    }
    sqlite3_stmt* select = select_tile_.get();
    const std::string replica_text(replica);
    int rc = BindText(select, 1, replica_text);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(select, 2, level);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(select, 3, index);
    if (rc == SQLITE_OK) rc = sqlite3_step(select);
    std::optional<std::string> hashes;
    if (rc == SQLITE_ROW) hashes = std::string(ColumnBytes(select, 0));
    sqlite3_reset(select);
    sqlite3_clear_bindings(select);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_->Error(rc, "read audit tile");
    return hashes;
  }

  absl::StatusOr<int64_t> CountTiles(absl::string_view replica) override {
    if (!has_tiles_) return 0;
    NDXP_ASSIGN_OR_RETURN(SqliteStatement count,
                          db_->Prepare("SELECT COUNT(*) FROM audit_tiles WHERE replica = ?1"));
    NDXP_RETURN_IF_ERROR(count.BindAll(replica));
    NDXP_ASSIGN_OR_RETURN(bool has_row, count.Step());
    return has_row ? count.ColumnInt64(0) : 0;
  }

  absl::StatusOr<std::vector<StoredTreeCheckpoint>> ReadTreeCheckpoints(absl::string_view replica,
                                                                        int64_t after_size,
                                                                        int limit) override {
    std::vector<StoredTreeCheckpoint> checkpoints;
    if (!has_checkpoints_) return checkpoints;
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare("SELECT tree_size, note FROM audit_tree_checkpoints WHERE replica = ?1 "
                     "AND tree_size > ?2 ORDER BY tree_size LIMIT ?3"));
    NDXP_RETURN_IF_ERROR(select.BindAll(replica, after_size, limit));
    for (;;) {
      NDXP_ASSIGN_OR_RETURN(bool has_row, select.Step());
      if (!has_row) break;
      checkpoints.push_back({select.ColumnInt64(0), std::string(select.ColumnText(1))});
    }
    return checkpoints;
  }

  absl::StatusOr<std::vector<std::string>> ListTreeReplicas() override {
    std::vector<std::string> replicas;
    std::vector<std::string> parts;
    if (has_tiles_) parts.push_back("SELECT DISTINCT replica FROM audit_tiles");
    if (has_checkpoints_) parts.push_back("SELECT DISTINCT replica FROM audit_tree_checkpoints");
    if (parts.empty()) return replicas;
    NDXP_ASSIGN_OR_RETURN(SqliteStatement select, db_->Prepare(absl::StrJoin(parts, " UNION ")));
    for (;;) {
      NDXP_ASSIGN_OR_RETURN(bool has_row, select.Step());
      if (!has_row) break;
      replicas.emplace_back(select.ColumnText(0));
    }
    return replicas;
  }

 private:
  SqliteDatabase* const db_;
  const bool has_tiles_, has_checkpoints_;
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> select_tile_;
};

absl::StatusOr<std::unique_ptr<SqliteDatabase>> OpenAuditLog(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("audit log ", path, ": no such file"));
  }
  SqliteOptions sqlite_options;
  sqlite_options.wal = false;
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(path, sqlite_options));
  NDXP_ASSIGN_OR_RETURN(bool found, HasTable(*db, "audit_log"));
  if (!found) return absl::NotFoundError(absl::StrCat("audit log ", path, ": no audit_log table"));
  return db;
}

}  // namespace

absl::StatusOr<std::vector<SqliteTransactionStore::ReplicaHead>>
SqliteTransactionStore::ReadChainHeads(const std::string& path) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, OpenAuditLog(path));
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement heads,
      db->Prepare("SELECT a.replica, a.seq, lower(hex(a.hash)) FROM audit_log a JOIN (SELECT "
                  "replica, MAX(seq) AS seq FROM audit_log GROUP BY replica) newest ON "
                  "a.replica = newest.replica AND a.seq = newest.seq ORDER BY a.replica"));
  std::vector<ReplicaHead> out;
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool has_row, heads.Step());
    if (!has_row) break;
    out.push_back({std::string(heads.ColumnText(0)), heads.ColumnInt64(1),
                   std::string(heads.ColumnText(2))});
  }
  return out;
}

absl::Status SqliteTransactionStore::VerifyAuditChain(const std::string& path,
                                                      const AuditVerifyOptions& options,
                                                      std::string* report) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("audit log ", path, ": no such file"));
  }
  AuditVerification verification(path, options);
  NDXP_RETURN_IF_ERROR(verification.Start());
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, OpenAuditLog(path));

  // The checkpoints first: rows a hub appends meanwhile only lengthen the
  // chain past them.
  for (const std::string& checkpoint_path : ListCheckpointFiles(path)) {
    NDXP_ASSIGN_OR_RETURN(SignedCheckpoint checkpoint, ReadCheckpointFile(checkpoint_path, path));
    NDXP_RETURN_IF_ERROR(verification.AddCheckpoint(checkpoint, checkpoint_path));
  }

  // One read transaction: the rows and the counters of one snapshot, so a
  // hub appending meanwhile is harmless.
  NDXP_RETURN_IF_ERROR(db->Exec("BEGIN"));
  NDXP_ASSIGN_OR_RETURN(bool has_tiles, HasTable(*db, "audit_tiles"));
  NDXP_ASSIGN_OR_RETURN(bool has_tree_checkpoints, HasTable(*db, "audit_tree_checkpoints"));
  SqliteStoredTree stored_tree(db.get(), has_tiles, has_tree_checkpoints);
  if (has_tiles || has_tree_checkpoints) verification.SetStoredTree(&stored_tree);
  // The witnesses' cosignatures of the tree's checkpoints (a file from
  // before them has none).
  NDXP_ASSIGN_OR_RETURN(bool has_cosignatures, HasTable(*db, "audit_tree_cosignatures"));
  if (has_cosignatures) {
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement cosignatures,
        db->Prepare("SELECT c.replica, c.tree_size, t.note, c.witness_key, c.time_seconds, c.line "
                    "FROM audit_tree_cosignatures c JOIN audit_tree_checkpoints t ON t.replica = "
                    "c.replica AND t.tree_size = c.tree_size ORDER BY c.replica, c.tree_size, "
                    "c.witness_key"));
    for (;;) {
      NDXP_ASSIGN_OR_RETURN(bool has_row, cosignatures.Step());
      if (!has_row) break;
      NDXP_RETURN_IF_ERROR(verification.AddTreeCosignature(
          cosignatures.ColumnText(0), cosignatures.ColumnInt64(1), cosignatures.ColumnText(2),
          cosignatures.ColumnText(3), cosignatures.ColumnInt64(4), cosignatures.ColumnText(5)));
    }
  }
  NDXP_ASSIGN_OR_RETURN(ColumnSelections audit_columns,
                        ColumnsOrOldValues(*db, "audit_log", kAddedAuditColumns));
  // Both counter tables gained their key columns in the same upgrade.
  NDXP_ASSIGN_OR_RETURN(ColumnSelections counter_key_columns,
                        ColumnsOrOldValues(*db, "counters", kAddedCounterKeyColumns));
  const std::string select_audit =
      absl::StrReplaceAll(absl::StrCat(kSelectAuditColumns, kSelectAuditOrder), audit_columns);
  const std::string select_counters = absl::StrReplaceAll(kSelectCounters, counter_key_columns);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db->handle(), select_audit.c_str(), -1, &raw, nullptr);
  RawStatement stmt(raw);
  if (rc != SQLITE_OK) return db->Error(rc, "prepare audit log scan");

  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    sqlite3_stmt* s = stmt.get();
    NDXP_RETURN_IF_ERROR(verification.AddRow(sqlite3_column_int64(s, 0), ReadAuditFields(s),
                                             ColumnBytes(s, 14), ColumnBytes(s, 15)));
  }
  if (rc != SQLITE_DONE) return db->Error(rc, "scan audit log");

  raw = nullptr;
  rc = sqlite3_prepare_v2(db->handle(), select_counters.c_str(), -1, &raw, nullptr);
  RawStatement counters(raw);
  if (rc != SQLITE_OK) return db->Error(rc, "prepare counters scan");
  while ((rc = sqlite3_step(counters.get())) == SQLITE_ROW) {
    sqlite3_stmt* s = counters.get();
    verification.AddCounter(ColumnString(s, 0),
                            {std::string(ColumnString(s, 1)), std::string(ColumnString(s, 8)),
                             std::string(ColumnString(s, 9)), std::string(ColumnString(s, 2)),
                             std::string(ColumnString(s, 3)), std::string(ColumnString(s, 4)),
                             sqlite3_column_int64(s, 5),
                             sqlite3_column_int64(s, 7) != 0},
                            sqlite3_column_int64(s, 6));
  }
  if (rc != SQLITE_DONE) return db->Error(rc, "scan counters");
  return verification.Finish(report);
}

}  // namespace ndxp::gateway
