#include "gateway/recording/postgres/postgres_transaction_store.h"

#include <libpq-fe.h>

#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status/status_util.h"
#include "gateway/recording/audit_chain.h"

namespace ndxp::gateway {
namespace {

// Type OIDs (pg_type.h, stable across versions).
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaArrayOid = 1001;
constexpr Oid kInt4ArrayOid = 1007;
constexpr Oid kTextArrayOid = 1009;
constexpr Oid kInt8ArrayOid = 1016;

// Serialises schema creation between replicas that start together ("ndxpschm").
constexpr int64_t kSchemaLockKey = 0x6e6478707363686d;

// The append statement, by AppendVariant: with the batch's subjects indexed
// and the full tiles it completes written only for batches that have some,
// so that the others pay nothing for them.
constexpr const char* kAppendStatements[] = {"ndxp_append", "ndxp_append_subjects",
                                             "ndxp_append_tiles", "ndxp_append_subjects_tiles"};
int AppendVariant(bool has_subjects, bool has_tiles) {
  return (has_subjects ? 1 : 0) + (has_tiles ? 2 : 0);
}

constexpr char kCreateSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  id BIGSERIAL PRIMARY KEY,
  replica TEXT NOT NULL,
  seq BIGINT NOT NULL,
  time_micros BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  latency_micros BIGINT NOT NULL,
  request_bytes BIGINT NOT NULL,
  response_bytes BIGINT NOT NULL,
  purpose TEXT NOT NULL,
  prev_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL,
  refusal TEXT NOT NULL DEFAULT '',
  via TEXT NOT NULL DEFAULT '',
  encoding BIGINT NOT NULL DEFAULT 0,
  row_kind TEXT NOT NULL DEFAULT 'call',
  door TEXT NOT NULL DEFAULT 'grpc',
  refusal_kind TEXT NOT NULL DEFAULT '',
  repeat_count BIGINT NOT NULL DEFAULT 1,
  subject_key_id TEXT NOT NULL DEFAULT '',
  subjects TEXT NOT NULL DEFAULT '',
  visible_after BIGINT NOT NULL DEFAULT 0,
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
  count BIGINT NOT NULL,
  PRIMARY KEY (day, consumer, via, door, provider, service, method, status_code));
CREATE TABLE IF NOT EXISTS audit_tiles (
  replica TEXT NOT NULL,
  level INTEGER NOT NULL,
  tile_index BIGINT NOT NULL,
  hashes BYTEA NOT NULL,
  PRIMARY KEY (replica, level, tile_index));
CREATE TABLE IF NOT EXISTS audit_tree_checkpoints (
  replica TEXT NOT NULL,
  tree_size BIGINT NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (replica, tree_size));
CREATE TABLE IF NOT EXISTS audit_tree_cosignatures (
  replica TEXT NOT NULL,
  tree_size BIGINT NOT NULL,
  witness_key TEXT NOT NULL,
  time_seconds BIGINT NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (replica, tree_size, witness_key));
)sql";

// What tables made before refusals, checkpoints, history batches, via, the
// v4 audit row, the counters' door and the subject index were recorded lack; run under the
// schema lock, in one transaction, when any of it is missing. Rows from
// before via came from direct members: they keep via '' (and their hashes).
// Rows from before v4 keep their v1–v3 encoding (encoding 0) and are one
// gRPC call each. A counter table's primary key gains via and door in place,
// its counts kept under via '' and door 'grpc' (the only door there was).
// The subject index (subject_access.h) is filled from the rows' subjects,
// joined by ",", once, when it is made.
constexpr char kUpgradeSchema[] = R"sql(
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS refusal TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS via TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS encoding BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS row_kind TEXT NOT NULL DEFAULT 'call';
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS door TEXT NOT NULL DEFAULT 'grpc';
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS refusal_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS repeat_count BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS subject_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS subjects TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS visible_after BIGINT NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS audit_subjects (
  subject TEXT NOT NULL,
  key_id TEXT NOT NULL,
  time_micros BIGINT NOT NULL,
  replica TEXT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY (subject, key_id, time_micros, replica, seq));
INSERT INTO audit_subjects (subject, key_id, time_micros, replica, seq)
SELECT s.subject, a.subject_key_id, a.time_micros, a.replica, a.seq
FROM audit_log a, unnest(string_to_array(a.subjects, ',')) AS s(subject)
WHERE a.subjects <> ''
ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS refused_counters (
  day TEXT NOT NULL,
  consumer TEXT NOT NULL,
  via TEXT NOT NULL DEFAULT '',
  door TEXT NOT NULL DEFAULT 'grpc',
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (day, consumer, via, door, provider, service, method, status_code));
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  replica TEXT PRIMARY KEY,
  checkpoint TEXT NOT NULL);
DO $$
DECLARE
  counter_table TEXT;
BEGIN
  FOREACH counter_table IN ARRAY ARRAY['counters', 'refused_counters'] LOOP
    IF (SELECT count(*) < 2 FROM information_schema.columns WHERE table_schema =
        current_schema() AND table_name = counter_table AND column_name IN ('via', 'door')) THEN
      EXECUTE format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS via TEXT NOT NULL DEFAULT %L, '
                     'ADD COLUMN IF NOT EXISTS door TEXT NOT NULL DEFAULT %L, '
                     'DROP CONSTRAINT %I, ADD PRIMARY KEY (day, consumer, via, door, provider, '
                     'service, method, status_code)',
                     counter_table, '', 'grpc',
                     (SELECT conname FROM pg_constraint
                      WHERE conrelid = counter_table::regclass AND contype = 'p'));
    END IF;
  END LOOP;
END $$;
CREATE TABLE IF NOT EXISTS history_batches (
  id BIGSERIAL PRIMARY KEY,
  batch TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  source TEXT NOT NULL,
  state TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL DEFAULT '',
  rows BIGINT NOT NULL,
  total BIGINT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS history_batches_complete ON history_batches (batch)
  WHERE state = 'complete';
CREATE TABLE IF NOT EXISTS history_counters (
  batch_id BIGINT NOT NULL,
  day TEXT NOT NULL,
  consumer TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (batch_id, day, consumer, provider, service, method, status_code));
CREATE INDEX IF NOT EXISTS history_counters_day ON history_counters (day);
CREATE TABLE IF NOT EXISTS audit_tiles (
  replica TEXT NOT NULL,
  level INTEGER NOT NULL,
  tile_index BIGINT NOT NULL,
  hashes BYTEA NOT NULL,
  PRIMARY KEY (replica, level, tile_index));
CREATE TABLE IF NOT EXISTS audit_tree_checkpoints (
  replica TEXT NOT NULL,
  tree_size BIGINT NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (replica, tree_size));
CREATE TABLE IF NOT EXISTS audit_tree_cosignatures (
  replica TEXT NOT NULL,
  tree_size BIGINT NOT NULL,
  witness_key TEXT NOT NULL,
  time_seconds BIGINT NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (replica, tree_size, witness_key));
)sql";

// Booleans, all true when the schema is complete (read by position: a new
// part goes last): whether the audit tables are there (with audit_log.refusal),
// whether via is recorded, whether the history tables exist, whether the
// audit rows have v4's columns, whether the counters are keyed by door,
// whether the subject index exists, whether the Merkle tree's tiles table
// and its signed checkpoints' table exist, whether the index of the audit
// rows' request ids exists (the schema is complete when all are true; a database from before
// via, v4 or the counters' door is still verified as it is).
constexpr char kSchemaPresent[] =
    "SELECT to_regclass('audit_log') IS NOT NULL AND to_regclass('counters') IS NOT NULL AND "
    "to_regclass('refused_counters') IS NOT NULL AND to_regclass('audit_checkpoints') IS NOT "
    "NULL AND EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = "
    "current_schema() AND table_name = 'audit_log' AND column_name = 'refusal'), "
    "(SELECT count(*) = 3 FROM information_schema.columns WHERE table_schema = "
    "current_schema() AND column_name = 'via' AND table_name IN ('audit_log', 'counters', "
    "'refused_counters')), "
    "to_regclass('history_batches') IS NOT NULL AND to_regclass('history_counters') IS NOT NULL, "
    "(SELECT count(*) = 8 FROM information_schema.columns WHERE table_schema = "
    "current_schema() AND table_name = 'audit_log' AND column_name IN ('encoding', 'row_kind', "
    "'door', 'refusal_kind', 'repeat_count', 'subject_key_id', 'subjects', 'visible_after')), "
    "(SELECT count(*) = 2 FROM information_schema.columns WHERE table_schema = "
    "current_schema() AND column_name = 'door' AND table_name IN ('counters', "
    "'refused_counters')), "
    "to_regclass('audit_subjects') IS NOT NULL, to_regclass('audit_tiles') IS NOT NULL, "
    "to_regclass('audit_tree_checkpoints') IS NOT NULL, "
    "to_regclass('audit_tree_cosignatures') IS NOT NULL";

constexpr char kWriteCheckpoint[] =
    "INSERT INTO audit_checkpoints (replica, checkpoint) VALUES ($1, $2) "
    "ON CONFLICT (replica) DO UPDATE SET checkpoint = EXCLUDED.checkpoint";

// One statement, so one transaction and one round trip: the audit rows in a
// data-modifying CTE, the batch's aggregated counters as the main INSERT.
// Arrays keep the parameter count fixed whatever the batch size; WITH
// ORDINALITY ... ORDER BY keeps ids in seq order and takes counter row locks
// in the (sorted) order every replica uses, so replicas cannot deadlock.
constexpr char kAppendSql[] = R"sql(
WITH audit AS (
  INSERT INTO audit_log (replica, seq, time_micros, request_id, consumer, provider,
                         service, method, status_code, latency_micros, request_bytes,
                         response_bytes, purpose, prev_hash, hash, refusal, via, encoding,
                         row_kind, door, refusal_kind, repeat_count, subject_key_id, subjects,
                         visible_after)
  SELECT $1, r.seq, r.time_micros, r.request_id, r.consumer, r.provider, r.service,
         r.method, r.status_code, r.latency_micros, r.request_bytes, r.response_bytes,
         r.purpose, r.prev_hash, r.hash, r.refusal, r.via, r.encoding, r.row_kind, r.door,
         r.refusal_kind, r.repeat_count, r.subject_key_id, r.subjects, r.visible_after
  FROM unnest($2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[],
              $8::text[], $9::int4[], $10::int8[], $11::int8[], $12::int8[], $13::text[],
              $14::bytea[], $15::bytea[], $23::text[], $31::text[], $34::int8[], $35::text[],
              $36::text[], $37::text[], $38::int8[], $39::text[], $40::text[], $41::int8[])
       WITH ORDINALITY AS r(seq, time_micros, request_id, consumer, provider, service,
                            method, status_code, latency_micros, request_bytes,
                            response_bytes, purpose, prev_hash, hash, refusal, via, encoding,
                            row_kind, door, refusal_kind, repeat_count, subject_key_id,
                            subjects, visible_after, n)
  ORDER BY r.n),
refused AS (
  INSERT INTO refused_counters (day, consumer, via, door, provider, service, method,
                                status_code, count)
  SELECT k.day, k.consumer, k.via, k.door, k.provider, k.service, k.method, k.status_code,
         k.count
  FROM unnest($24::text[], $25::text[], $33::text[], $43::text[], $26::text[], $27::text[],
              $28::text[], $29::int4[], $30::int8[])
       WITH ORDINALITY AS k(day, consumer, via, door, provider, service, method, status_code,
                            count, n)
  ORDER BY k.n
  ON CONFLICT (day, consumer, via, door, provider, service, method, status_code)
  DO UPDATE SET count = refused_counters.count + EXCLUDED.count)
INSERT INTO counters (day, consumer, via, door, provider, service, method, status_code, count)
SELECT k.day, k.consumer, k.via, k.door, k.provider, k.service, k.method, k.status_code,
       k.count
FROM unnest($16::text[], $17::text[], $32::text[], $42::text[], $18::text[], $19::text[],
            $20::text[], $21::int4[], $22::int8[])
     WITH ORDINALITY AS k(day, consumer, via, door, provider, service, method, status_code,
                          count, n)
ORDER BY k.n
ON CONFLICT (day, consumer, via, door, provider, service, method, status_code)
DO UPDATE SET count = counters.count + EXCLUDED.count
)sql";

// clang-format off
constexpr Oid kAppendParamTypes[] = {
    kTextOid,                                                          // $1 replica
    kInt8ArrayOid, kInt8ArrayOid,                                      // seq, time
    kTextArrayOid, kTextArrayOid, kTextArrayOid, kTextArrayOid, kTextArrayOid,
    kInt4ArrayOid,                                                     // status_code
    kInt8ArrayOid, kInt8ArrayOid, kInt8ArrayOid,                       // latency, sizes
    kTextArrayOid,                                                     // purpose
    kByteaArrayOid, kByteaArrayOid,                                    // prev_hash, hash
    kTextArrayOid, kTextArrayOid, kTextArrayOid, kTextArrayOid, kTextArrayOid,  // keys
    kInt4ArrayOid, kInt8ArrayOid,                                      // status, count
    kTextArrayOid,                                                     // $23 refusal
    kTextArrayOid, kTextArrayOid, kTextArrayOid, kTextArrayOid, kTextArrayOid,  // refused keys
    kInt4ArrayOid, kInt8ArrayOid,                                      // status, count
    kTextArrayOid, kTextArrayOid, kTextArrayOid,                       // $31..33 via: audit,
                                                                       // keys, refused keys
    kInt8ArrayOid, kTextArrayOid, kTextArrayOid, kTextArrayOid,        // $34..37 encoding,
                                                                       // row kind, door, kind
    kInt8ArrayOid, kTextArrayOid, kTextArrayOid, kInt8ArrayOid,        // $38..41 repeat,
                                                                       // subjects, visible
    kTextArrayOid, kTextArrayOid,                                      // $42..43 door: keys,
                                                                       // refused keys
};
// clang-format on
constexpr int kAppendParams = sizeof(kAppendParamTypes) / sizeof(kAppendParamTypes[0]);

// Put before kAppendSql's CTEs for a batch that completes tiles: the full
// tiles of the replica's Merkle tree (audit_tree.h), parameters after
// kAppendParams'.
constexpr char kWriteTilesCte[] = R"sql(
tiles AS (
  INSERT INTO audit_tiles (replica, level, tile_index, hashes)
  SELECT $1, t.level, t.tile_index, t.hashes
  FROM unnest($44::int4[], $45::int8[], $46::bytea[]) AS t(level, tile_index, hashes)),)sql";
constexpr Oid kWriteTilesParamTypes[] = {kInt4ArrayOid, kInt8ArrayOid, kByteaArrayOid};
constexpr int kWriteTilesParams = sizeof(kWriteTilesParamTypes) / sizeof(kWriteTilesParamTypes[0]);

// Put before kAppendSql's CTEs for a batch with subjects: one row per
// subject, parameters after kWriteTilesCte's. IGNORE: a record naming one
// subject twice is indexed once.
constexpr char kIndexSubjectsCte[] = R"sql(
subject_index AS (
  INSERT INTO audit_subjects (subject, key_id, time_micros, replica, seq)
  SELECT s.subject, s.key_id, s.time_micros, $1, s.seq
  FROM unnest($47::text[], $48::text[], $49::int8[], $50::int8[])
       AS s(subject, key_id, time_micros, seq)
  ON CONFLICT DO NOTHING),)sql";
constexpr Oid kIndexSubjectsParamTypes[] = {kTextArrayOid, kTextArrayOid, kInt8ArrayOid,
                                            kInt8ArrayOid};
constexpr int kIndexSubjectsParams =
    sizeof(kIndexSubjectsParamTypes) / sizeof(kIndexSubjectsParamTypes[0]);
// Every variant takes all parameters (those of CTEs it lacks are empty arrays).
constexpr int kAllAppendParams = kAppendParams + kWriteTilesParams + kIndexSubjectsParams;

// Every column the chain covers, plus id, in the order AuditRowFields reads.
constexpr char kSelectAuditColumns[] =
    "SELECT id, replica, seq, time_micros, request_id, consumer, provider, service, "
    "method, status_code, latency_micros, request_bytes, response_bytes, purpose, "
    "prev_hash, hash, refusal, $VIA, $encoding, $row_kind, $door, $refusal_kind, "
    "$repeat_count, $subject_key_id, $subjects, $visible_after FROM audit_log ";
constexpr char kSelectAuditOrder[] = "ORDER BY replica, seq";
// A replica's rows seq $2 .. $3 - 1, for their leaf hashes.
constexpr char kSelectAuditRange[] = "WHERE replica = $1 AND seq >= $2 AND seq < $3 ORDER BY seq";
// A replica's rows of request id $2 by consumer $3 ('': anyone) among its
// newest $5, the first $4 (a range of the (replica, seq) index).
constexpr char kSelectRequestRows[] =
    "WHERE replica = $1 AND seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE replica = "
    "$1) - $5 AND request_id = $2 AND ($3 = '' OR consumer = $3) ORDER BY seq LIMIT $4";

constexpr char kSelectTiles[] =
    "SELECT level, tile_index, hashes FROM audit_tiles WHERE replica = $1 AND (level, "
    "tile_index) IN (SELECT * FROM unnest($2::int4[], $3::int8[]))";
constexpr char kInsertTiles[] =
    "INSERT INTO audit_tiles (replica, level, tile_index, hashes) "
    "SELECT $1, * FROM unnest($2::int4[], $3::int8[], $4::bytea[])";

// v4's columns, and the value rows of a database from before v4 have.
constexpr const char* kV4Columns[][2] = {
    {"encoding", "0::int8"},
    {"row_kind", "'call'"},
    {"door", "'grpc'"},
    {"refusal_kind", "''"},
    {"repeat_count", "1::int8"},
    {"subject_key_id", "''"},
    {"subjects", "''"},
    {"visible_after", "0::int8"},
};

// Both counter tables, for the reconciliation with the audit log. $VIA is
// "via", or "''" in a database from before via was recorded; $COUNTER_DOOR
// "door", or "'grpc'" in one from before the counters were keyed by door.
constexpr char kSelectCounters[] =
    "SELECT day, consumer, provider, service, method, status_code::int8, count, false, $VIA, "
    "$COUNTER_DOOR FROM counters UNION ALL SELECT day, consumer, provider, service, method, "
    "status_code::int8, count, true, $VIA, $COUNTER_DOOR FROM refused_counters";

struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ClearResult>;


// libpq's messages end in a newline and may span lines; keep them on one.
std::string OneLine(absl::string_view message) {
  return absl::StrReplaceAll(absl::StripAsciiWhitespace(message), {{"\n", " "}, {"\t", ""}});
}

std::string DescribeDatabase(PGconn* conn) {
  return absl::StrCat("postgres ", PQdb(conn), " on ", PQhost(conn), ":", PQport(conn));
}

// The status for a failed command: by SQLSTATE, with the server's message.
absl::Status ResultError(PGconn* conn, const PGresult* result, absl::string_view database,
                         absl::string_view what) {
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string message;
  if (sqlstate == nullptr) {  // no answer from the server: libpq's own error
    message = OneLine(result != nullptr && *PQresultErrorMessage(result) != '\0'
                          ? PQresultErrorMessage(result)
                          : PQerrorMessage(conn));
  } else {
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
    message = primary != nullptr ? primary : OneLine(PQresultErrorMessage(result));
    if (detail != nullptr) absl::StrAppend(&message, " (", detail, ")");
    absl::StrAppend(&message, " [SQLSTATE ", sqlstate, "]");
  }
  std::string text = absl::StrCat(database, ": ", what, ": ", message);

  if (sqlstate == nullptr || PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError(std::move(text));
  }
  const absl::string_view state(sqlstate);
  const absl::string_view state_class = state.substr(0, 2);
  if (state == "23505") return absl::AlreadyExistsError(std::move(text));
  if (state == "42501") return absl::PermissionDeniedError(std::move(text));
  if (state == "25006") return absl::UnavailableError(std::move(text));  // read-only standby
  if (state_class == "22") return absl::InvalidArgumentError(std::move(text));
  if (state_class == "40") return absl::AbortedError(std::move(text));  // deadlock, serialization
  // Connection exceptions, insufficient resources, operator intervention
  // (shutdown, cancel), system errors: try again later.
  if (state_class == "08" || state_class == "53" || state_class == "57" || state_class == "58") {
    return absl::UnavailableError(std::move(text));
  }
  return absl::InternalError(std::move(text));
}

// Runs `sql` (no parameters) expecting `expected`.
absl::Status Exec(PGconn* conn, absl::string_view database, const char* sql, absl::string_view what,
                  ExecStatusType expected = PGRES_COMMAND_OK) {
  Result result(PQexec(conn, sql));
  if (result != nullptr && PQresultStatus(result.get()) == expected) return absl::OkStatus();
  return ResultError(conn, result.get(), database, what);
}

struct FinishConnection {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using OwnedConnection = std::unique_ptr<PGconn, FinishConnection>;

// Opens a connection; never echoes `conninfo` (it may hold a password).
absl::StatusOr<OwnedConnection> Connect(const std::string& conninfo,
                                        const std::string& application_name) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    std::string message = parse_error != nullptr ? OneLine(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return absl::InvalidArgumentError(absl::StrCat("postgres: bad connection string: ", message));
  }
  PQconninfoFree(options);

  const char* const keywords[] = {"dbname", "fallback_application_name", nullptr};
  const char* const values[] = {conninfo.c_str(), application_name.c_str(), nullptr};
  OwnedConnection conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (conn == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgres: cannot connect: ", OneLine(PQerrorMessage(conn.get()))));
  }
  return conn;
}

// Text goes to and from the server as it is: the client encoding is the
// server's, so nothing is converted (UTF-8 databases still check validity).
absl::Status SetUpSession(PGconn* conn, absl::string_view database) {
  const char* server_encoding = PQparameterStatus(conn, "server_encoding");
  if (server_encoding == nullptr) return absl::OkStatus();
  if (PQsetClientEncoding(conn, server_encoding) != 0) {
    return absl::UnavailableError(absl::StrCat(database, ": set client_encoding to ",
                                               server_encoding, ": ",
                                               OneLine(PQerrorMessage(conn))));
  }
  return absl::OkStatus();
}

// ---- binary parameters and results (network byte order)

void PutUint32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void PutUint64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint64_t GetUint(const char* data, int size) {
  uint64_t value = 0;
  for (int i = 0; i < size; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
  return value;
}

// A one-dimensional array in PostgreSQL's binary format (array_recv): ndim,
// has-nulls flag, element type, then length and lower bound, then each
// element as its length and its binary form. No NULL elements.
class ArrayParam {
 public:
  ArrayParam(Oid element_type, size_t count) {
    PutUint32(&bytes_, 1);  // ndim
    PutUint32(&bytes_, 0);  // no NULLs
    PutUint32(&bytes_, element_type);
    PutUint32(&bytes_, static_cast<uint32_t>(count));
    PutUint32(&bytes_, 1);  // lower bound
  }
  void AddInt64(int64_t value) {
    PutUint32(&bytes_, 8);
    PutUint64(&bytes_, static_cast<uint64_t>(value));
  }
  void AddInt32(int32_t value) {
    PutUint32(&bytes_, 4);
    PutUint32(&bytes_, static_cast<uint32_t>(value));
  }
  // text and bytea: the bytes themselves.
  void AddBytes(absl::string_view value) {
    PutUint32(&bytes_, static_cast<uint32_t>(value.size()));
    bytes_.append(value.data(), value.size());
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// A binary result's column, checked for its width.
bool GetInt(const PGresult* result, int row, int column, int64_t* value) {
  const int size = PQgetlength(result, row, column);
  if (PQgetisnull(result, row, column) || (size != 8 && size != 4)) return false;
  const uint64_t bits = GetUint(PQgetvalue(result, row, column), size);
  *value = size == 8 ? static_cast<int64_t>(bits)
                     : static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(bits)));
  return true;
}

std::string GetBytes(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<size_t>(PQgetlength(result, row, column)));
}

// Runs `sql` with binary parameters `params` of `types`, expecting
// `expected` (rows, in binary, by default).
template <size_t N>
absl::StatusOr<Result> QueryParams(PGconn* conn, absl::string_view database, const char* sql,
                                   const std::string* const (&params)[N], const Oid (&types)[N],
                                   absl::string_view what,
                                   ExecStatusType expected = PGRES_TUPLES_OK) {
  const char* values[N];
  int lengths[N];
  int formats[N];
  for (size_t i = 0; i < N; ++i) {
    values[i] = params[i]->data();
    lengths[i] = static_cast<int>(params[i]->size());
    formats[i] = 1;  // binary
  }
  Result result(PQexecParams(conn, sql, static_cast<int>(N), types, values, lengths, formats,
                             /*resultFormat=*/1));
  if (result == nullptr || PQresultStatus(result.get()) != expected) {
    return ResultError(conn, result.get(), database, what);
  }
  return result;
}

// A row of a binary kSelectAuditColumns result, as the chain encodes it.
class AuditRowFields {
 public:
  AuditRowFields() = default;
  AuditRowFields(const AuditRowFields&) = delete;  // fields_ points into the strings
  AuditRowFields& operator=(const AuditRowFields&) = delete;

  // Reads `row` of `r`: false when a numeric column is not of its schema
  // type (fields() still names the row's replica).
  bool Read(const PGresult* r, int row) {
    replica_ = GetBytes(r, row, 1);
    request_id_ = GetBytes(r, row, 4);
    consumer_ = GetBytes(r, row, 5);
    provider_ = GetBytes(r, row, 6);
    service_ = GetBytes(r, row, 7);
    method_ = GetBytes(r, row, 8);
    purpose_ = GetBytes(r, row, 13);
    refusal_ = GetBytes(r, row, 16);
    via_ = GetBytes(r, row, 17);
    row_kind_ = GetBytes(r, row, 19);
    door_ = GetBytes(r, row, 20);
    refusal_kind_ = GetBytes(r, row, 21);
    subject_key_id_ = GetBytes(r, row, 23);
    subjects_ = GetBytes(r, row, 24);
    AuditFields& f = fields_;
    f = AuditFields();
    f.replica = replica_;
    f.request_id = request_id_;
    f.consumer = consumer_;
    f.provider = provider_;
    f.service = service_;
    f.method = method_;
    f.purpose = purpose_;
    f.refusal = refusal_;
    f.via = via_;
    f.row_kind = row_kind_;
    f.door = door_;
    f.refusal_kind = refusal_kind_;
    f.subject_key_id = subject_key_id_;
    f.subjects = subjects_;
    int64_t encoding = 0;
    const bool ints_ok =
        GetInt(r, row, 2, &f.seq) && GetInt(r, row, 3, &f.time_micros) &&
        GetInt(r, row, 9, &f.status_code) && GetInt(r, row, 10, &f.latency_micros) &&
        GetInt(r, row, 11, &f.request_bytes) && GetInt(r, row, 12, &f.response_bytes) &&
        GetInt(r, row, 18, &encoding) && GetInt(r, row, 22, &f.repeat) &&
        GetInt(r, row, 25, &f.visible_after_micros);
    f.encoding = static_cast<AuditEncoding>(encoding);
    return ints_ok;
  }
  const AuditFields& fields() const { return fields_; }

 private:
  std::string replica_, request_id_, consumer_, provider_, service_, method_, purpose_, refusal_,
      via_, row_kind_, door_, refusal_kind_, subject_key_id_, subjects_;
  AuditFields fields_;
};

}  // namespace

void PostgresTransactionStore::CloseConnection::operator()(pg_conn* conn) const { PQfinish(conn); }

PostgresTransactionStore::PostgresTransactionStore(Connection conn, absl::TimeZone time_zone,
                                                   std::string replica)
    : conn_(std::move(conn)),
      time_zone_(time_zone),
      local_day_(time_zone),
      replica_(std::move(replica)),
      database_(DescribeDatabase(conn_.get())),
      tree_(this, replica_) {}

PostgresTransactionStore::~PostgresTransactionStore() = default;

absl::StatusOr<std::unique_ptr<PostgresTransactionStore>> PostgresTransactionStore::Open(
    const std::string& conninfo, const Options& options) {
  if (options.replica.empty()) {
    return absl::InvalidArgumentError("transaction store: replica name is empty");
  }
  absl::TimeZone time_zone;
  if (!absl::LoadTimeZone(options.time_zone, &time_zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("transaction store: unknown time zone \"", options.time_zone,
                     "\" (expected an IANA name such as \"Asia/Ho_Chi_Minh\")"));
  }
  NDXP_ASSIGN_OR_RETURN(OwnedConnection owned, Connect(conninfo, "ndxp-" + options.replica));
  Connection conn(owned.release());
  PGconn* c = conn.get();
  const std::string database = DescribeDatabase(c);
  NDXP_RETURN_IF_ERROR(SetUpSession(c, database));

  // Replicas starting together would race in CREATE TABLE IF NOT EXISTS (it
  // is not atomic against itself); the advisory lock queues them. Tables that
  // exist are left alone, so a role without CREATE rights can open a schema
  // an administrator made.
  {
    NDXP_RETURN_IF_ERROR(Exec(c, database, "BEGIN", "begin schema transaction"));
    absl::Status status = [&]() -> absl::Status {
      const std::string lock = absl::StrCat("SELECT pg_advisory_xact_lock(", kSchemaLockKey, ")");
      NDXP_RETURN_IF_ERROR(
          Exec(c, database, lock.c_str(), "lock schema creation", PGRES_TUPLES_OK));
      Result exists(PQexec(c, kSchemaPresent));
      if (exists == nullptr || PQresultStatus(exists.get()) != PGRES_TUPLES_OK) {
        return ResultError(c, exists.get(), database, "look for the schema");
      }
      bool complete = true;
      for (int part = 0; part < PQnfields(exists.get()); ++part) {
        complete = complete && absl::string_view(PQgetvalue(exists.get(), 0, part)) == "t";
      }
      if (!complete) {
        NDXP_RETURN_IF_ERROR(
            Exec(c, database, "SET LOCAL client_min_messages = warning", "quiet schema creation"));
        NDXP_RETURN_IF_ERROR(Exec(c, database, kCreateSchema, "create schema"));
        NDXP_RETURN_IF_ERROR(Exec(c, database, kUpgradeSchema, "upgrade schema"));
      }
      return Exec(c, database, "COMMIT", "commit schema");
    }();
    if (!status.ok()) {
      if (PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
      return status;
    }
  }

  std::unique_ptr<PostgresTransactionStore> store(
      new PostgresTransactionStore(std::move(conn), time_zone, options.replica));
  NDXP_RETURN_IF_ERROR(store->Prepare());
  NDXP_ASSIGN_OR_RETURN(ChainHead head, store->ReadChainHead());
  store->last_seq_ = head.seq;
  store->last_hash_ = std::move(head.hash);
  NDXP_RETURN_IF_ERROR(store->tree_.Load(store->last_seq_));
  return store;
}

absl::Status PostgresTransactionStore::Prepare() {
  std::vector<Oid> types(std::begin(kAppendParamTypes), std::end(kAppendParamTypes));
  types.insert(types.end(), std::begin(kWriteTilesParamTypes), std::end(kWriteTilesParamTypes));
  types.insert(types.end(), std::begin(kIndexSubjectsParamTypes),
               std::end(kIndexSubjectsParamTypes));
  for (bool has_subjects : {false, true}) {
    for (bool has_tiles : {false, true}) {
      const int variant = AppendVariant(has_subjects, has_tiles);
      const std::string sql =
          absl::StrCat("WITH", has_subjects ? kIndexSubjectsCte : "",
                       has_tiles ? kWriteTilesCte : "", absl::StripPrefix(kAppendSql, "\nWITH"));
      Result result(PQprepare(conn_.get(), kAppendStatements[variant], sql.c_str(),
                              static_cast<int>(types.size()), types.data()));
      if (result == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        return ResultError(conn_.get(), result.get(), database_,
                           absl::StrCat("prepare ", kAppendStatements[variant]));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ChainHead> PostgresTransactionStore::ReadChainHead() {
  const char* values[] = {replica_.data()};
  const int lengths[] = {static_cast<int>(replica_.size())};
  const int formats[] = {1};
  const Oid types[] = {kTextOid};
  Result result(PQexecParams(
      conn_.get(), "SELECT seq, hash FROM audit_log WHERE replica = $1 ORDER BY seq DESC LIMIT 1",
      1, types, values, lengths, formats, /*resultFormat=*/1));
  if (result == nullptr || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return ResultError(conn_.get(), result.get(), database_, "read chain head");
  }
  ChainHead head;
  if (PQntuples(result.get()) == 0) {
    head.hash = ZeroAuditHash();
    return head;
  }
  if (!GetInt(result.get(), 0, 0, &head.seq)) {
    return absl::DataLossError(absl::StrCat("audit log ", database_, ": replica ", replica_,
                                            ": newest seq is unreadable"));
  }
  head.hash = GetBytes(result.get(), 0, 1);
  if (head.hash.size() != kAuditHashSize) {
    return absl::DataLossError(absl::StrCat(
        "audit log ", database_, ": replica ", replica_, ", seq ", head.seq, ": hash is ",
        head.hash.size(), " bytes, not ", kAuditHashSize, "; run VerifyAuditChain"));
  }
  return head;
}

absl::Status PostgresTransactionStore::Resync() {
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat(database_, ": reconnect: ", OneLine(PQerrorMessage(conn_.get()))));
  }
  ++reconnects_;
  needs_reconnect_ = false;
  absl::Status status = SetUpSession(conn_.get(), database_);
  if (status.ok()) status = Prepare();
  absl::StatusOr<ChainHead> head =
      status.ok() ? ReadChainHead() : absl::StatusOr<ChainHead>(status);
  if (!head.ok()) {
    needs_reconnect_ = true;
    return head.status();
  }
  if (head->seq == last_seq_ && head->hash == last_hash_) {
    unknown_outcome_.reset();  // whatever was cut off did not commit
  } else if (unknown_outcome_.has_value() && head->seq == unknown_outcome_->seq &&
             head->hash == unknown_outcome_->hash) {
    last_seq_ = head->seq;  // it did commit, and its tiles with it
    last_hash_ = std::move(head->hash);
    unknown_outcome_.reset();
  } else {
    return absl::AlreadyExistsError(
        absl::StrCat(database_, ": replica ", replica_, "'s chain head is seq ", head->seq,
                     ", this store's is seq ", last_seq_,
                     ": another writer is using this replica name; nothing appended"));
  }
  // The tree's right edge follows the head.
  if (tree_.size() != last_seq_) {
    absl::Status tree = tree_.Load(last_seq_);
    if (!tree.ok()) {
      needs_reconnect_ = true;  // load it again on the next Append
      return tree;
    }
  }
  return absl::OkStatus();
}

absl::Status PostgresTransactionStore::Append(absl::Span<const TransactionRecord> batch,
                                              std::vector<AppendedRow>* appended) {
  if (appended != nullptr) appended->clear();
  if (batch.empty()) return absl::OkStatus();
  if (needs_reconnect_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    NDXP_RETURN_IF_ERROR(Resync());
  }
  for (int attempt = 1;; ++attempt) {
    ChainHead head{last_seq_, last_hash_};
    AuditTree::Extension tree;
    absl::Status status = ExecAppend(batch, &head, appended, &tree);
    if (status.ok()) {
      last_seq_ = head.seq;
      last_hash_ = std::move(head.hash);
      tree_.Adopt(std::move(tree));
      return absl::OkStatus();
    }
    if (status.code() == absl::StatusCode::kAlreadyExists) {
      return absl::Status(
          status.code(),
          absl::StrCat(status.message(), "; is another hub running as replica ", replica_, "?"));
    }
    if (PQstatus(conn_.get()) != CONNECTION_BAD) {
      // e.g. the server became a read-only standby: find the primary again.
      if (status.code() == absl::StatusCode::kUnavailable) needs_reconnect_ = true;
      return status;  // the server refused the batch: nothing of it is kept
    }
    // The connection dropped under the statement: it may or may not have
    // committed. The chain head in the database tells which.
    const ChainHead cut_off = head;
    unknown_outcome_ = std::move(head);
    absl::Status resync = Resync();
    if (!resync.ok()) {
      if (resync.code() != absl::StatusCode::kUnavailable) return resync;
      return absl::UnavailableError(absl::StrCat(
          status.message(), "; whether the batch committed is known once reconnected (",
          resync.message(), ")"));
    }
    if (last_seq_ == cut_off.seq && last_hash_ == cut_off.hash) return absl::OkStatus();
    if (attempt == 2) return status;
    // It did not commit: send it again on the new connection.
  }
}

absl::Status PostgresTransactionStore::ExecAppend(absl::Span<const TransactionRecord> batch,
                                                  ChainHead* head,
                                                  std::vector<AppendedRow>* appended,
                                                  AuditTree::Extension* tree) {
  if (appended != nullptr) appended->clear();
  const size_t n = batch.size();
  ArrayParam seqs(kInt8Oid, n), times(kInt8Oid, n), request_ids(kTextOid, n),
      consumers(kTextOid, n), providers(kTextOid, n), services(kTextOid, n), methods(kTextOid, n),
      statuses(kInt4Oid, n), latencies(kInt8Oid, n), request_bytes(kInt8Oid, n),
      response_bytes(kInt8Oid, n), purposes(kTextOid, n), prev_hashes(kByteaOid, n),
      hashes(kByteaOid, n), refusals(kTextOid, n), vias(kTextOid, n), encodings(kInt8Oid, n),
      row_kinds(kTextOid, n), doors(kTextOid, n), refusal_kinds(kTextOid, n),
      repeats(kInt8Oid, n), subject_key_ids(kTextOid, n), subjects(kTextOid, n),
      visible_afters(kInt8Oid, n);

  // (day, consumer, via, door, provider, service, method, status) -> count;
  // ordered so that every replica locks counter rows in the same order.
  using CounterKey = std::tuple<std::string, std::string, std::string, Door, std::string,
                                std::string, std::string, int>;
  std::map<CounterKey, int64_t> counts[2];  // forwarded, refused

  size_t subject_count = 0;
  for (const TransactionRecord& record : batch) subject_count += record.subjects.size();
  ArrayParam index_subjects(kTextOid, subject_count), index_key_ids(kTextOid, subject_count),
      index_times(kInt8Oid, subject_count), index_seqs(kInt8Oid, subject_count);

  const int64_t first_seq = head->seq + 1;
  std::vector<transparency::Hash> leaves;
  leaves.reserve(n);
  for (const TransactionRecord& record : batch) {
    const int64_t seq = head->seq + 1;
    NDXP_ASSIGN_OR_RETURN(ChainedRow row, ChainRecord(head->hash, replica_, seq, record));
    std::string& hash = row.hash;
    leaves.push_back(row.leaf_hash);
    if (appended != nullptr) appended->push_back({seq, row.leaf_hash});
    seqs.AddInt64(seq);
    times.AddInt64(record.time_micros);
    request_ids.AddBytes(record.request_id);
    consumers.AddBytes(record.consumer);
    providers.AddBytes(record.provider);
    services.AddBytes(record.service);
    methods.AddBytes(record.method);
    statuses.AddInt32(record.status_code);
    latencies.AddInt64(record.latency_micros);
    request_bytes.AddInt64(record.request_bytes);
    response_bytes.AddInt64(record.response_bytes);
    purposes.AddBytes(record.purpose);
    prev_hashes.AddBytes(head->hash);
    hashes.AddBytes(hash);
    refusals.AddBytes(record.refusal);
    vias.AddBytes(record.via);
    encodings.AddInt64(static_cast<int64_t>(AuditEncoding::kV4));
    row_kinds.AddBytes(RowKindName(record.row_kind));
    doors.AddBytes(DoorName(record.door));
    refusal_kinds.AddBytes(RefusalName(record.refusal_kind));
    repeats.AddInt64(record.repeat);
    subject_key_ids.AddBytes(record.subject_key_id);
    subjects.AddBytes(JoinSubjects(record.subjects));
    visible_afters.AddInt64(record.visible_after_micros);
    for (const std::string& subject : record.subjects) {
      index_subjects.AddBytes(subject);
      index_key_ids.AddBytes(record.subject_key_id);
      index_times.AddInt64(record.time_micros);
      index_seqs.AddInt64(seq);
    }
    head->seq = seq;
    head->hash = std::move(hash);

    std::string day = local_day_.Of(record.time_micros);
    counts[record.refusal.empty() ? 0 : 1][CounterKey(
        std::move(day), record.consumer, record.via, record.door, record.provider,
        record.service, record.method, record.status_code)] += record.repeat;
  }

  // The counters' key columns and counts as arrays: forwarded, then refused.
  struct CounterArrays {
    explicit CounterArrays(size_t size)
        : days(kTextOid, size), consumers(kTextOid, size), vias(kTextOid, size),
          doors(kTextOid, size), providers(kTextOid, size), services(kTextOid, size),
          methods(kTextOid, size), statuses(kInt4Oid, size), counts(kInt8Oid, size) {}
    ArrayParam days, consumers, vias, doors, providers, services, methods, statuses, counts;
  };
  std::vector<CounterArrays> keys;
  keys.reserve(2);
  for (const auto& table : counts) {
    CounterArrays& k = keys.emplace_back(table.size());
    for (const auto& [key, count] : table) {
      const auto& [day, consumer, via, door, provider, service, method, status_code] = key;
      k.days.AddBytes(day);
      k.consumers.AddBytes(consumer);
      k.vias.AddBytes(via);
      k.doors.AddBytes(DoorName(door));
      k.providers.AddBytes(provider);
      k.services.AddBytes(service);
      k.methods.AddBytes(method);
      k.statuses.AddInt32(status_code);
      k.counts.AddInt64(count);
    }
  }

  // The full tiles the batch completes, written in its statement.
  NDXP_ASSIGN_OR_RETURN(*tree, tree_.Extend(leaves));
  const size_t tile_count = tree->full_tiles.size();
  ArrayParam tile_levels(kInt4Oid, tile_count), tile_indexes(kInt8Oid, tile_count),
      tile_hashes(kByteaOid, tile_count);
  for (const transparency::Tile& tile : tree->full_tiles) {
    tile_levels.AddInt32(tile.level);
    tile_indexes.AddInt64(tile.index);
    tile_hashes.AddBytes(EncodeTileHashes(tile.hashes));
  }

  const std::string* params[kAllAppendParams] = {
      &replica_,
      &seqs.bytes(),
      &times.bytes(),
      &request_ids.bytes(),
      &consumers.bytes(),
      &providers.bytes(),
      &services.bytes(),
      &methods.bytes(),
      &statuses.bytes(),
      &latencies.bytes(),
      &request_bytes.bytes(),
      &response_bytes.bytes(),
      &purposes.bytes(),
      &prev_hashes.bytes(),
      &hashes.bytes(),
      &keys[0].days.bytes(),
      &keys[0].consumers.bytes(),
      &keys[0].providers.bytes(),
      &keys[0].services.bytes(),
      &keys[0].methods.bytes(),
      &keys[0].statuses.bytes(),
      &keys[0].counts.bytes(),
      &refusals.bytes(),
      &keys[1].days.bytes(),
      &keys[1].consumers.bytes(),
      &keys[1].providers.bytes(),
      &keys[1].services.bytes(),
      &keys[1].methods.bytes(),
      &keys[1].statuses.bytes(),
      &keys[1].counts.bytes(),
      &vias.bytes(),
      &keys[0].vias.bytes(),
      &keys[1].vias.bytes(),
      &encodings.bytes(),
      &row_kinds.bytes(),
      &doors.bytes(),
      &refusal_kinds.bytes(),
      &repeats.bytes(),
      &subject_key_ids.bytes(),
      &subjects.bytes(),
      &visible_afters.bytes(),
      &keys[0].doors.bytes(),
      &keys[1].doors.bytes(),
      &tile_levels.bytes(),
      &tile_indexes.bytes(),
      &tile_hashes.bytes(),
      &index_subjects.bytes(),
      &index_key_ids.bytes(),
      &index_times.bytes(),
      &index_seqs.bytes(),
  };
  const char* values[kAllAppendParams];
  int lengths[kAllAppendParams];
  int formats[kAllAppendParams];
  for (int i = 0; i < kAllAppendParams; ++i) {
    if (params[i]->size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return absl::InvalidArgumentError(
          absl::StrCat("transaction store: batch of ", n, " records is too large"));
    }
    values[i] = params[i]->data();
    lengths[i] = static_cast<int>(params[i]->size());
    formats[i] = 1;  // binary
  }
  Result result(PQexecPrepared(conn_.get(),
                               kAppendStatements[AppendVariant(subject_count > 0, tile_count > 0)],
                               kAllAppendParams, values, lengths, formats, /*resultFormat=*/0));
  if (result != nullptr && PQresultStatus(result.get()) == PGRES_COMMAND_OK) {
    return absl::OkStatus();
  }
  return ResultError(
      conn_.get(), result.get(), database_,
      absl::StrCat("append audit rows ", replica_, " seq ", first_seq, "..", head->seq));
}

absl::StatusOr<FullTiles> PostgresTransactionStore::ReadFullTiles(absl::string_view replica,
                                                                  absl::Span<const TileKey> keys) {
  ArrayParam levels(kInt4Oid, keys.size()), indexes(kInt8Oid, keys.size());
  for (const TileKey& key : keys) {
    levels.AddInt32(key.first);
    indexes.AddInt64(key.second);
  }
  const std::string replica_text(replica);
  const std::string* params[] = {&replica_text, &levels.bytes(), &indexes.bytes()};
  constexpr Oid kTypes[] = {kTextOid, kInt4ArrayOid, kInt8ArrayOid};
  NDXP_ASSIGN_OR_RETURN(Result result, QueryParams(conn_.get(), database_, kSelectTiles, params,
                                                   kTypes, "read audit tiles"));
  FullTiles tiles;
  for (int i = 0; i < PQntuples(result.get()); ++i) {
    int64_t level = 0, index = 0;
    if (!GetInt(result.get(), i, 0, &level) || !GetInt(result.get(), i, 1, &index)) {
      return absl::DataLossError(absl::StrCat(database_, ": audit_tiles of replica ", replica,
                                              ": a numeric column is not of its schema type"));
    }
    absl::StatusOr<std::vector<transparency::Hash>> hashes =
        DecodeFullTile(GetBytes(result.get(), i, 2));
    if (!hashes.ok()) {
      return absl::DataLossError(absl::StrCat(database_, ": replica ", replica, ", tile ", level,
                                              "/", index, ": ", hashes.status().message()));
    }
    tiles[{static_cast<int>(level), index}] = *std::move(hashes);
  }
  return tiles;
}

absl::Status PostgresTransactionStore::ForEachAuditRow(
    absl::string_view replica, int64_t first_seq, int64_t count,
    absl::FunctionRef<bool(const AuditFields&)> visit) {
  // An open store's schema has every column.
  std::vector<std::pair<std::string, std::string>> columns = {{"$VIA", "via"}};
  for (const auto& [column, old_value] : kV4Columns) {
    columns.emplace_back(absl::StrCat("$", column), column);
  }
  const std::string sql =
      absl::StrCat(absl::StrReplaceAll(kSelectAuditColumns, columns), kSelectAuditRange);
  std::string first, end;
  PutUint64(&first, static_cast<uint64_t>(first_seq));
  PutUint64(&end, static_cast<uint64_t>(first_seq + count));
  const std::string replica_text(replica);
  const std::string* params[] = {&replica_text, &first, &end};
  constexpr Oid kTypes[] = {kTextOid, kInt8Oid, kInt8Oid};
  NDXP_ASSIGN_OR_RETURN(Result result, QueryParams(conn_.get(), database_, sql.c_str(), params,
                                                   kTypes, "read audit rows"));
  AuditRowFields row;
  for (int i = 0; i < PQntuples(result.get()); ++i) {
    if (!row.Read(result.get(), i)) {
      return absl::DataLossError(absl::StrCat("audit log ", database_, ": replica ", replica,
                                              ", seq ", row.fields().seq,
                                              ": a numeric column is not of its schema type"));
    }
    if (!visit(row.fields())) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<transparency::Hash>> PostgresTransactionStore::ReadLeafHashes(
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

absl::StatusOr<TransactionStore::AuditLeaf> PostgresTransactionStore::ReadAuditLeaf(
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

absl::StatusOr<std::vector<TransactionStore::RequestRow>>
PostgresTransactionStore::FindRequestRows(absl::string_view replica,
                                          absl::string_view request_id,
                                          absl::string_view consumer, int limit,
                                          int64_t window) {
  std::vector<std::pair<std::string, std::string>> columns = {{"$VIA", "via"}};
  for (const auto& [column, old_value] : kV4Columns) {
    columns.emplace_back(absl::StrCat("$", column), column);
  }
  const std::string sql =
      absl::StrCat(absl::StrReplaceAll(kSelectAuditColumns, columns), kSelectRequestRows);
  const std::string replica_text(replica), request_id_text(request_id),
      consumer_text(consumer);
  std::string limit_bytes;
  PutUint64(&limit_bytes, static_cast<uint64_t>(limit));
  std::string window_bytes;
  PutUint64(&window_bytes, static_cast<uint64_t>(window));
  const std::string* params[] = {&replica_text, &request_id_text, &consumer_text, &limit_bytes,
                                 &window_bytes};
  constexpr Oid kTypes[] = {kTextOid, kTextOid, kTextOid, kInt8Oid, kInt8Oid};
  NDXP_ASSIGN_OR_RETURN(Result result, QueryParams(conn_.get(), database_, sql.c_str(), params,
                                                   kTypes, "read request rows"));
  std::vector<RequestRow> rows;
  AuditRowFields row;
  for (int i = 0; i < PQntuples(result.get()); ++i) {
    if (!row.Read(result.get(), i)) {
      return absl::DataLossError(absl::StrCat("audit log ", database_, ": replica ", replica,
                                              ", seq ", row.fields().seq,
                                              ": a numeric column is not of its schema type"));
    }
    rows.push_back(RequestRow{row.fields().seq, std::string(row.fields().consumer),
                              RowLeafHash(row.fields())});
  }
  return rows;
}

absl::Status PostgresTransactionStore::WriteTreeCheckpoint(int64_t tree_size,
                                                           absl::string_view note) {
  std::string size;
  PutUint64(&size, static_cast<uint64_t>(tree_size));
  const std::string note_text(note);
  // A note of a size signed before with another checkpoint text (another
  // root: only a rewritten history has one) replaces it: the witnesses'
  // cosignatures of the old text are not of this one.
  const std::string checkpoint_text(CheckpointTextOf(note));
  const std::string* drop_params[] = {&replica_, &size, &checkpoint_text};
  constexpr Oid kTypes[] = {kTextOid, kInt8Oid, kTextOid};
  NDXP_RETURN_IF_ERROR(
      QueryParams(conn_.get(), database_,
                  "DELETE FROM audit_tree_cosignatures WHERE replica = $1 AND tree_size = $2 AND "
                  "EXISTS (SELECT 1 FROM audit_tree_checkpoints WHERE replica = $1 AND "
                  "tree_size = $2 AND left(note, length($3)) <> $3)",
                  drop_params, kTypes, "drop stale tree cosignatures", PGRES_COMMAND_OK)
          .status());
  const std::string* params[] = {&replica_, &size, &note_text};
  return QueryParams(conn_.get(), database_,
                     "INSERT INTO audit_tree_checkpoints (replica, tree_size, note) "
                     "VALUES ($1, $2, $3) ON CONFLICT (replica, tree_size) DO UPDATE SET "
                     "note = EXCLUDED.note",
                     params, kTypes, "write tree checkpoint", PGRES_COMMAND_OK)
      .status();
}

absl::StatusOr<std::string> PostgresTransactionStore::LatestTreeCheckpoint(
    absl::string_view replica) {
  const std::string replica_text(replica);
  const std::string* params[] = {&replica_text};
  constexpr Oid kTypes[] = {kTextOid};
  NDXP_ASSIGN_OR_RETURN(
      Result result,
      QueryParams(conn_.get(), database_,
                  "SELECT note FROM audit_tree_checkpoints WHERE replica = $1 "
                  "ORDER BY tree_size DESC LIMIT 1",
                  params, kTypes, "read tree checkpoint"));
  if (PQntuples(result.get()) == 0) {
    return absl::NotFoundError(
        absl::StrCat("replica ", replica, " has no signed checkpoint of its tree yet"));
  }
  return std::string(PQgetvalue(result.get(), 0, 0),
                     static_cast<size_t>(PQgetlength(result.get(), 0, 0)));
}

absl::StatusOr<std::vector<std::string>> PostgresTransactionStore::AddTreeCosignatures(
    absl::string_view replica, int64_t tree_size, absl::string_view checkpoint_text,
    absl::Span<const TreeCosignature> cosignatures) {
  const std::string replica_text(replica);
  std::string size;
  PutUint64(&size, static_cast<uint64_t>(tree_size));
  {
    const std::string* params[] = {&replica_text, &size};
    constexpr Oid kTypes[] = {kTextOid, kInt8Oid};
    NDXP_ASSIGN_OR_RETURN(Result stored,
                          QueryParams(conn_.get(), database_,
                                      "SELECT note FROM audit_tree_checkpoints WHERE replica = "
                                      "$1 AND tree_size = $2",
                                      params, kTypes, "look for a tree checkpoint"));
    const bool has_row = PQntuples(stored.get()) > 0;
    if (!has_row || !IsNoteOf(GetBytes(stored.get(), 0, 0), checkpoint_text)) {
      return NoStoredCheckpoint(replica, tree_size, has_row);
    }
  }
  ArrayParam keys(kTextOid, cosignatures.size());
  ArrayParam times(kInt8Oid, cosignatures.size());
  ArrayParam lines(kTextOid, cosignatures.size());
  for (const TreeCosignature& cosignature : cosignatures) {
    keys.AddBytes(cosignature.witness_key);
    times.AddInt64(cosignature.time_seconds);
    lines.AddBytes(cosignature.line);
  }
  // One statement, so one transaction; RETURNING lists the rows inserted or
  // updated (a later time), not those kept as they were.
  const std::string* params[] = {&replica_text, &size, &keys.bytes(), &times.bytes(),
                                 &lines.bytes()};
  constexpr Oid kTypes[] = {kTextOid, kInt8Oid, kTextArrayOid, kInt8ArrayOid, kTextArrayOid};
  NDXP_ASSIGN_OR_RETURN(
      Result result,
      QueryParams(conn_.get(), database_,
                  "INSERT INTO audit_tree_cosignatures (replica, tree_size, witness_key, "
                  "time_seconds, line) SELECT $1, $2, w.key, w.time, w.line FROM "
                  "unnest($3::text[], $4::int8[], $5::text[]) AS w(key, time, line) ON CONFLICT "
                  "(replica, tree_size, witness_key) DO UPDATE SET time_seconds = "
                  "EXCLUDED.time_seconds, line = "
                  "EXCLUDED.line WHERE EXCLUDED.time_seconds > "
                  "audit_tree_cosignatures.time_seconds RETURNING witness_key",
                  params, kTypes, "write tree cosignatures"));
  std::vector<std::string> kept;
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    kept.push_back(GetBytes(result.get(), row, 0));
  }
  return kept;
}

absl::StatusOr<std::string> PostgresTransactionStore::CosignedTreeCheckpoint(
    absl::string_view replica, absl::Span<const std::string> witness_keys,
    int min_cosignatures) {
  const std::string replica_text(replica);
  ArrayParam keys(kTextOid, witness_keys.size());
  for (const std::string& key : witness_keys) keys.AddBytes(key);
  std::string quorum;
  PutUint64(&quorum, static_cast<uint64_t>(std::max(min_cosignatures, 0)));
  const std::string* params[] = {&replica_text, &keys.bytes(), &quorum};
  constexpr Oid kTypes[] = {kTextOid, kTextArrayOid, kInt8Oid};
  // Without a quorum, the newest checkpoint; with one, the newest size the
  // cosignatures reach it at, found from them (not by a scan of every
  // checkpoint). Then the listed witnesses' lines, in one answer.
  NDXP_ASSIGN_OR_RETURN(
      Result result,
      QueryParams(
          conn_.get(), database_,
          "WITH t AS (SELECT tree_size, note FROM audit_tree_checkpoints WHERE replica = $1 AND "
          "($3 <= 0 OR tree_size = (SELECT tree_size FROM audit_tree_cosignatures WHERE replica = "
          "$1 AND witness_key = ANY($2) GROUP BY tree_size HAVING count(*) >= $3 ORDER BY "
          "tree_size DESC LIMIT 1)) ORDER BY tree_size DESC LIMIT 1) SELECT t.note, "
          "COALESCE((SELECT string_agg(c.line || E'\\n', '' ORDER BY c.witness_key COLLATE "
          "\"C\") FROM audit_tree_cosignatures c WHERE c.replica = $1 AND c.tree_size = "
          "t.tree_size AND c.witness_key = ANY($2)), '') FROM t",
          params, kTypes, "read cosigned tree checkpoint"));
  if (PQntuples(result.get()) == 0) {
    return absl::NotFoundError(
        min_cosignatures <= 0
            ? absl::StrCat("replica ", replica, " has no signed checkpoint of its tree yet")
            : absl::StrCat("replica ", replica, " has no checkpoint cosigned by ",
                           min_cosignatures, " of its witnesses yet"));
  }
  return absl::StrCat(GetBytes(result.get(), 0, 0), GetBytes(result.get(), 0, 1));
}

absl::StatusOr<int64_t> PostgresTransactionStore::ReadTiledSize(absl::string_view replica) {
  const std::string replica_text(replica);
  const std::string* params[] = {&replica_text};
  constexpr Oid kTypes[] = {kTextOid};
  NDXP_ASSIGN_OR_RETURN(
      Result result, QueryParams(conn_.get(), database_,
                                 "SELECT COALESCE(MAX(tile_index) + 1, 0)::int8 FROM audit_tiles "
                                 "WHERE replica = $1 AND level = 0",
                                 params, kTypes, "count audit tiles"));
  int64_t tiles = 0;
  if (PQntuples(result.get()) != 1 || !GetInt(result.get(), 0, 0, &tiles)) {
    return absl::DataLossError(
        absl::StrCat(database_, ": audit_tiles of replica ", replica, ": unreadable tile count"));
  }
  return tiles * transparency::kTileWidth;
}

absl::Status PostgresTransactionStore::WriteFullTiles(absl::string_view replica,
                                                      absl::Span<const transparency::Tile> tiles) {
  ArrayParam levels(kInt4Oid, tiles.size()), indexes(kInt8Oid, tiles.size()),
      hashes(kByteaOid, tiles.size());
  for (const transparency::Tile& tile : tiles) {
    levels.AddInt32(tile.level);
    indexes.AddInt64(tile.index);
    hashes.AddBytes(EncodeTileHashes(tile.hashes));
  }
  const std::string replica_text(replica);
  const std::string* params[] = {&replica_text, &levels.bytes(), &indexes.bytes(), &hashes.bytes()};
  constexpr Oid kTypes[] = {kTextOid, kInt4ArrayOid, kInt8ArrayOid, kByteaArrayOid};
  // One statement: one transaction.
  return QueryParams(conn_.get(), database_, kInsertTiles, params, kTypes, "write audit tiles",
                     PGRES_COMMAND_OK)
      .status();
}

absl::Status PostgresTransactionStore::WriteCheckpoint(const SignedCheckpoint& checkpoint) {
  const std::string text = FormatCheckpoint(checkpoint);
  const char* values[] = {checkpoint.replica.c_str(), text.c_str()};
  Result result(
      PQexecParams(conn_.get(), kWriteCheckpoint, 2, nullptr, values, nullptr, nullptr, 0));
  if (result != nullptr && PQresultStatus(result.get()) == PGRES_COMMAND_OK) {
    return absl::OkStatus();
  }
  return ResultError(conn_.get(), result.get(), database_, "write checkpoint");
}

absl::StatusOr<SubjectAccessPage> PostgresTransactionStore::ListSubjectAccesses(
    const SubjectQuery& query) {
  NDXP_ASSIGN_OR_RETURN(SubjectScan scan, PrepareSubjectScan(query));
  ArrayParam hmacs(kTextOid, scan.subjects.size()), key_ids(kTextOid, scan.subjects.size());
  for (const SubjectHmac& subject : scan.subjects) {
    hmacs.AddBytes(subject.hmac_hex);
    key_ids.AddBytes(subject.key_id);
  }
  auto int8 = [](int64_t value) {
    std::string bytes;
    PutUint64(&bytes, static_cast<uint64_t>(value));
    return bytes;
  };
  // kSelectSubjectAccesses' $1..$6, then the pairs as $7 and $8; in binary.
  const std::string params[] = {int8(scan.from_micros),
                                int8(scan.below.time_micros),
                                scan.below.replica,
                                int8(scan.below.seq),
                                int8(scan.max_visible_after),
                                int8(scan.limit),
                                hmacs.bytes(),
                                key_ids.bytes()};
  constexpr Oid kTypes[] = {kInt8Oid, kInt8Oid, kTextOid,      kInt8Oid,
                            kInt8Oid, kInt8Oid, kTextArrayOid, kTextArrayOid};
  constexpr int kParams = sizeof(kTypes) / sizeof(kTypes[0]);
  const char* values[kParams];
  int lengths[kParams];
  int formats[kParams];
  for (int i = 0; i < kParams; ++i) {
    values[i] = params[i].data();
    lengths[i] = static_cast<int>(params[i].size());
    formats[i] = 1;  // binary
  }
  const std::string sql = absl::StrReplaceAll(
      kSelectSubjectAccesses, {{"$SUBJECTS", "SELECT * FROM unnest($7::text[], $8::text[])"}});
  Result result(PQexecParams(conn_.get(), sql.c_str(), kParams, kTypes, values, lengths, formats,
                             /*resultFormat=*/1));
  if (result == nullptr || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return ResultError(conn_.get(), result.get(), database_, "list subject accesses");
  }
  const PGresult* r = result.get();
  std::vector<SubjectAccess> rows(static_cast<size_t>(PQntuples(r)));
  for (int i = 0; i < PQntuples(r); ++i) {
    SubjectAccess& row = rows[static_cast<size_t>(i)];
    row.consumer = GetBytes(r, i, 1);
    row.via = GetBytes(r, i, 2);
    row.door = GetBytes(r, i, 3);
    row.provider = GetBytes(r, i, 4);
    row.service = GetBytes(r, i, 5);
    row.method = GetBytes(r, i, 6);
    row.purpose = GetBytes(r, i, 7);
    row.replica = GetBytes(r, i, 9);
    row.request_id = GetBytes(r, i, 11);
    if (!GetInt(r, i, 0, &row.time_micros) || !GetInt(r, i, 8, &row.status_code) ||
        !GetInt(r, i, 10, &row.seq) || !GetInt(r, i, 12, &row.visible_after_micros)) {
      return absl::DataLossError(absl::StrCat("audit log ", database_, ": replica ", row.replica,
                                              ": a numeric column is not of its schema type"));
    }
  }
  return MakeSubjectAccessPage(std::move(rows), scan);
}

namespace {

// The tree tables as AuditVerification reads them while the rows stream in
// single-row mode on the first connection: a second connection in the same
// snapshot (pg_export_snapshot). Tables a database from before lacks read as
// empty.
class PostgresStoredTree final : public StoredTreeReader {
 public:
  PostgresStoredTree(OwnedConnection conn, std::string database, bool has_tiles,
                     bool has_checkpoints)
      : conn_(std::move(conn)),
        database_(std::move(database)),
        has_tiles_(has_tiles),
        has_checkpoints_(has_checkpoints) {}

  absl::StatusOr<std::optional<std::string>> ReadTile(absl::string_view replica, int level,
                                                      int64_t index) override {
    if (!has_tiles_) return std::nullopt;
    const std::string replica_text(replica);
    std::string level_bytes, index_bytes;
    PutUint32(&level_bytes, static_cast<uint32_t>(level));
    PutUint64(&index_bytes, static_cast<uint64_t>(index));
    const std::string* params[] = {&replica_text, &level_bytes, &index_bytes};
    constexpr Oid kTypes[] = {kTextOid, kInt4Oid, kInt8Oid};
    NDXP_ASSIGN_OR_RETURN(
        Result result,
        QueryParams(conn_.get(), database_,
                    "SELECT hashes FROM audit_tiles WHERE replica = $1 AND level = $2 "
                    "AND tile_index = $3",
                    params, kTypes, "read audit tile"));
    if (PQntuples(result.get()) == 0) return std::nullopt;
    return GetBytes(result.get(), 0, 0);
  }

  absl::StatusOr<int64_t> CountTiles(absl::string_view replica) override {
    if (!has_tiles_) return 0;
    const std::string replica_text(replica);
    const std::string* params[] = {&replica_text};
    constexpr Oid kTypes[] = {kTextOid};
    NDXP_ASSIGN_OR_RETURN(
        Result result,
        QueryParams(conn_.get(), database_,
                    "SELECT count(*)::int8 FROM audit_tiles WHERE replica = $1", params, kTypes,
                    "count audit tiles"));
    int64_t count = 0;
    if (PQntuples(result.get()) != 1 || !GetInt(result.get(), 0, 0, &count)) {
      return absl::DataLossError(absl::StrCat(database_, ": audit_tiles of replica ", replica,
                                              ": unreadable tile count"));
    }
    return count;
  }

  absl::StatusOr<std::vector<StoredTreeCheckpoint>> ReadTreeCheckpoints(absl::string_view replica,
                                                                        int64_t after_size,
                                                                        int limit) override {
    std::vector<StoredTreeCheckpoint> checkpoints;
    if (!has_checkpoints_) return checkpoints;
    const std::string replica_text(replica);
    std::string after_bytes, limit_bytes;
    PutUint64(&after_bytes, static_cast<uint64_t>(after_size));
    PutUint64(&limit_bytes, static_cast<uint64_t>(limit));
    const std::string* params[] = {&replica_text, &after_bytes, &limit_bytes};
    constexpr Oid kTypes[] = {kTextOid, kInt8Oid, kInt8Oid};
    NDXP_ASSIGN_OR_RETURN(
        Result result,
        QueryParams(conn_.get(), database_,
                    "SELECT tree_size::int8, note FROM audit_tree_checkpoints WHERE replica = $1 "
                    "AND tree_size > $2 ORDER BY tree_size LIMIT $3",
                    params, kTypes, "read tree checkpoints"));
    for (int i = 0; i < PQntuples(result.get()); ++i) {
      StoredTreeCheckpoint checkpoint;
      if (!GetInt(result.get(), i, 0, &checkpoint.tree_size)) {
        return absl::DataLossError(absl::StrCat(database_, ": audit_tree_checkpoints of replica ",
                                                replica, ": unreadable tree size"));
      }
      checkpoint.note = GetBytes(result.get(), i, 1);
      checkpoints.push_back(std::move(checkpoint));
    }
    return checkpoints;
  }

  absl::StatusOr<std::vector<std::string>> ListTreeReplicas() override {
    std::vector<std::string> replicas;
    std::vector<std::string> parts;
    if (has_tiles_) parts.push_back("SELECT replica FROM audit_tiles");
    if (has_checkpoints_) parts.push_back("SELECT replica FROM audit_tree_checkpoints");
    if (parts.empty()) return replicas;
    const std::string sql = absl::StrJoin(parts, " UNION ");
    Result result(PQexecParams(conn_.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                               /*resultFormat=*/1));
    if (result == nullptr || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      return ResultError(conn_.get(), result.get(), database_, "list tree replicas");
    }
    for (int i = 0; i < PQntuples(result.get()); ++i) {
      replicas.push_back(GetBytes(result.get(), i, 0));
    }
    return replicas;
  }

 private:
  OwnedConnection conn_;
  const std::string database_;
  const bool has_tiles_, has_checkpoints_;
};

// The tree tables' reader on a second connection in `c`'s snapshot (`c` in a
// REPEATABLE READ transaction); nullptr when the database has neither table.
absl::StatusOr<std::unique_ptr<PostgresStoredTree>> OpenStoredTree(
    PGconn* c, const std::string& conninfo, const std::string& database, bool has_tiles,
    bool has_checkpoints) {
  if (!has_tiles && !has_checkpoints) return nullptr;
  Result snapshot(PQexec(c, "SELECT pg_export_snapshot()"));
  if (snapshot == nullptr || PQresultStatus(snapshot.get()) != PGRES_TUPLES_OK ||
      PQntuples(snapshot.get()) != 1) {
    return ResultError(c, snapshot.get(), database, "export the snapshot");
  }
  const std::string snapshot_id = GetBytes(snapshot.get(), 0, 0);
  NDXP_ASSIGN_OR_RETURN(OwnedConnection tree_conn, Connect(conninfo, "ndxp-verify-tree"));
  NDXP_RETURN_IF_ERROR(SetUpSession(tree_conn.get(), database));
  NDXP_RETURN_IF_ERROR(Exec(tree_conn.get(), database,
                            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                            "begin read-only transaction"));
  // The id is the server's own text (hex digits and dashes), not input.
  const std::string set_snapshot = absl::StrCat("SET TRANSACTION SNAPSHOT '", snapshot_id, "'");
  NDXP_RETURN_IF_ERROR(
      Exec(tree_conn.get(), database, set_snapshot.c_str(), "adopt the snapshot"));
  return std::make_unique<PostgresStoredTree>(std::move(tree_conn), database, has_tiles,
                                              has_checkpoints);
}

}  // namespace

absl::Status PostgresTransactionStore::VerifyAuditChain(const std::string& conninfo,
                                                        const AuditVerifyOptions& options,
                                                        std::string* report) {
  NDXP_ASSIGN_OR_RETURN(OwnedConnection conn, Connect(conninfo, "ndxp-verify"));
  PGconn* c = conn.get();
  const std::string database = DescribeDatabase(c);
  AuditVerification verification(database, options);
  NDXP_RETURN_IF_ERROR(verification.Start());
  NDXP_RETURN_IF_ERROR(SetUpSession(c, database));
  // One snapshot for the checkpoints, the rows and the counters; a hub
  // appending meanwhile is harmless (each replica commits its rows in seq
  // order, and its checkpoints after them).
  NDXP_RETURN_IF_ERROR(Exec(c, database, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                            "begin read-only transaction"));
  std::vector<std::pair<std::string, std::string>> columns = {{"$VIA", "via"}};
  std::pair<std::string, std::string> counter_door = {"$COUNTER_DOOR", "door"};
  bool has_tiles = false, has_tree_checkpoints = false;
  bool has_cosignatures = false;
  {
    Result exists(PQexec(c, kSchemaPresent));
    if (exists == nullptr || PQresultStatus(exists.get()) != PGRES_TUPLES_OK) {
      return ResultError(c, exists.get(), database, "look for audit_log");
    }
    if (absl::string_view(PQgetvalue(exists.get(), 0, 1)) != "t") columns[0].second = "''";
    if (absl::string_view(PQgetvalue(exists.get(), 0, 4)) != "t") counter_door.second = "'grpc'";
    const bool has_v4 = absl::string_view(PQgetvalue(exists.get(), 0, 3)) == "t";
    has_cosignatures = absl::string_view(PQgetvalue(exists.get(), 0, 8)) == "t";
    for (const auto& [column, old_value] : kV4Columns) {
      columns.emplace_back(absl::StrCat("$", column), has_v4 ? column : old_value);
    }
    if (absl::string_view(PQgetvalue(exists.get(), 0, 0)) != "t") {
      return absl::NotFoundError(absl::StrCat(
          "audit log ", database,
          ": no audit_log table, or not all of its companions (counters, refused_counters, "
          "audit_checkpoints): a hub creates them on its first start"));
    }
    has_tiles = absl::string_view(PQgetvalue(exists.get(), 0, 6)) == "t";
    has_tree_checkpoints = absl::string_view(PQgetvalue(exists.get(), 0, 7)) == "t";
  }
  NDXP_ASSIGN_OR_RETURN(
      std::unique_ptr<PostgresStoredTree> stored_tree,
      OpenStoredTree(c, conninfo, database, has_tiles, has_tree_checkpoints));
  if (stored_tree != nullptr) verification.SetStoredTree(stored_tree.get());
  {
    Result checkpoints(
        PQexec(c, "SELECT replica, checkpoint FROM audit_checkpoints ORDER BY replica"));
    if (checkpoints == nullptr || PQresultStatus(checkpoints.get()) != PGRES_TUPLES_OK) {
      return ResultError(c, checkpoints.get(), database, "read checkpoints");
    }
    for (int row = 0; row < PQntuples(checkpoints.get()); ++row) {
      const std::string replica = GetBytes(checkpoints.get(), row, 0);
      const std::string source = absl::StrCat("audit_checkpoints row of replica ", replica);
      absl::StatusOr<SignedCheckpoint> checkpoint =
          ParseCheckpoint(GetBytes(checkpoints.get(), row, 1));
      if (!checkpoint.ok()) {
        return absl::DataLossError(absl::StrCat(source, ": ", checkpoint.status().message()));
      }
      if (checkpoint->replica != replica) {
        return absl::DataLossError(
            absl::StrCat(source, ": holds replica ", checkpoint->replica, "'s checkpoint"));
      }
      NDXP_RETURN_IF_ERROR(verification.AddCheckpoint(*checkpoint, source));
    }
  }
  // The witnesses' cosignatures of the tree's checkpoints (a database from
  // before them has none).
  if (has_cosignatures) {
    Result cosignatures(PQexec(
        c, "SELECT c.replica, c.tree_size, t.note, c.witness_key, c.time_seconds, c.line FROM "
           "audit_tree_cosignatures c JOIN audit_tree_checkpoints t ON t.replica = c.replica AND "
           "t.tree_size = c.tree_size ORDER BY c.replica, c.tree_size, c.witness_key COLLATE "
           "\"C\""));
    if (cosignatures == nullptr || PQresultStatus(cosignatures.get()) != PGRES_TUPLES_OK) {
      return ResultError(c, cosignatures.get(), database, "read tree cosignatures");
    }
    for (int row = 0; row < PQntuples(cosignatures.get()); ++row) {
      int64_t tree_size = 0, time_seconds = 0;
      const PGresult* r = cosignatures.get();
      if (!absl::SimpleAtoi(PQgetvalue(r, row, 1), &tree_size) ||
          !absl::SimpleAtoi(PQgetvalue(r, row, 4), &time_seconds)) {
        return absl::DataLossError(absl::StrCat(
            "audit log ", database, ": a tree cosignature's size or time is not a number"));
      }
      NDXP_RETURN_IF_ERROR(verification.AddTreeCosignature(
          GetBytes(r, row, 0), tree_size, GetBytes(r, row, 2), GetBytes(r, row, 3), time_seconds,
          GetBytes(r, row, 5)));
    }
  }

  // A row at a time: the log may be far larger than memory.
  const std::string select_audit =
      absl::StrCat(absl::StrReplaceAll(kSelectAuditColumns, columns), kSelectAuditOrder);
  if (PQsendQueryParams(c, select_audit.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                        /*resultFormat=*/1) != 1 ||
      PQsetSingleRowMode(c) != 1) {
    return ResultError(c, nullptr, database, "scan audit log");
  }
  for (;;) {
    Result result(PQgetResult(c));
    if (result == nullptr) break;
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_TUPLES_OK) continue;  // the end; the next PQgetResult is null
    if (status != PGRES_SINGLE_TUPLE)
      return ResultError(c, result.get(), database, "scan audit log");
    const PGresult* r = result.get();

    int64_t id = 0;
    GetInt(r, 0, 0, &id);
    AuditRowFields row;
    if (!row.Read(r, 0)) {
      return verification.chain().Broken(id, row.fields().replica, row.fields().seq,
                                         "a numeric column is not of its schema type");
    }
    NDXP_RETURN_IF_ERROR(
        verification.AddRow(id, row.fields(), GetBytes(r, 0, 14), GetBytes(r, 0, 15)));
  }

  const std::string select_counters =
      absl::StrReplaceAll(kSelectCounters, {columns[0], counter_door});
  Result counters(PQexecParams(c, select_counters.c_str(), 0, nullptr, nullptr, nullptr,
                               nullptr, /*resultFormat=*/1));
  if (counters == nullptr || PQresultStatus(counters.get()) != PGRES_TUPLES_OK) {
    return ResultError(c, counters.get(), database, "scan counters");
  }
  for (int row = 0; row < PQntuples(counters.get()); ++row) {
    const PGresult* r = counters.get();
    int64_t status_code = 0, count = 0;
    GetInt(r, row, 5, &status_code);
    GetInt(r, row, 6, &count);
    const bool refused = PQgetlength(r, row, 7) == 1 && PQgetvalue(r, row, 7)[0] != 0;
    verification.AddCounter(GetBytes(r, row, 0),
                            {GetBytes(r, row, 1), GetBytes(r, row, 8), GetBytes(r, row, 9),
                             GetBytes(r, row, 2), GetBytes(r, row, 3), GetBytes(r, row, 4),
                             status_code, refused},
                            count);
  }
  return verification.Finish(report);
}

}  // namespace ndxp::gateway
