#include "connectors/documents/sqlite_document_store.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "connectors/documents/document_validation.h"
#include "common/status/status_util.h"

namespace ndxp::documents {

using ndxp::SqliteDatabase;
using ndxp::SqliteStatement;
using ndxp::SqliteTransaction;

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per document; its id is the number in "DOC-000000000042".
CREATE TABLE IF NOT EXISTS documents (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  from_agency TEXT NOT NULL,
  message_id  TEXT NOT NULL,                -- the sender's idempotency key
  envelope    TEXT NOT NULL,                -- base64 of the serialised Envelope
  sent_micros INTEGER NOT NULL,             -- Unix time, microseconds
  UNIQUE (from_agency, message_id)
);

CREATE TABLE IF NOT EXISTS deliveries (
  document  INTEGER NOT NULL REFERENCES documents (id),
  recipient TEXT NOT NULL,
  position  INTEGER NOT NULL,               -- index in envelope.to_agencies
  status    INTEGER NOT NULL,               -- DeliveryStatus, the latest event's
  PRIMARY KEY (document, recipient)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS status_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  document    INTEGER NOT NULL,
  recipient   TEXT NOT NULL,
  status      INTEGER NOT NULL,
  reason      TEXT NOT NULL,
  time_micros INTEGER NOT NULL,
  FOREIGN KEY (document, recipient) REFERENCES deliveries (document, recipient)
);
CREATE INDEX IF NOT EXISTS status_events_by_delivery
  ON status_events (document, recipient, id);

-- Every agency's inbox. AUTOINCREMENT: a cursor is never reused.
CREATE TABLE IF NOT EXISTS inbox (
  cursor   INTEGER PRIMARY KEY AUTOINCREMENT,
  agency   TEXT NOT NULL,
  document INTEGER NOT NULL REFERENCES documents (id),
  event    INTEGER REFERENCES status_events (id)  -- NULL: the document itself
);
CREATE INDEX IF NOT EXISTS inbox_by_agency ON inbox (agency, cursor);

INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

// The stored form of an envelope: deterministic serialisation, so the same
// envelope always gives the same text (the idempotency check compares them).
std::string EncodeEnvelope(const v1::Envelope& envelope) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    envelope.SerializeToCodedStream(&coded);
  }
  return absl::Base64Escape(bytes);
}

absl::StatusOr<v1::Envelope> DecodeEnvelope(absl::string_view text) {
  std::string bytes;
  v1::Envelope envelope;
  if (!absl::Base64Unescape(text, &bytes) || !envelope.ParseFromString(bytes)) {
    return absl::InternalError("corrupt envelope in the documents database");
  }
  return envelope;
}

google::protobuf::Timestamp TimestampFromMicros(int64_t micros) {
  google::protobuf::Timestamp timestamp;
  // Floor division: a negative remainder would give negative nanos.
  int64_t seconds = micros / 1000000;
  int64_t remainder = micros % 1000000;
  if (remainder < 0) {
    --seconds;
    remainder += 1000000;
  }
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(remainder * 1000));
  return timestamp;
}

v1::StatusEvent EventFromColumns(const SqliteStatement& row, int first_column) {
  v1::StatusEvent event;
  event.set_status(static_cast<v1::DeliveryStatus>(row.ColumnInt64(first_column)));
  event.set_reason(std::string(row.ColumnText(first_column + 1)));
  *event.mutable_time() = TimestampFromMicros(row.ColumnInt64(first_column + 2));
  return event;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteDocumentStore>> SqliteDocumentStore::Open(
    const std::string& path) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path));
  // Nothing acknowledged may be lost: fsync the WAL on every commit.
  NDXP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  NDXP_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<SqliteDocumentStore>(new SqliteDocumentStore(std::move(db)));
}

absl::StatusOr<v1::SendDocumentResponse> SqliteDocumentStore::SendDocument(
    const v1::SendDocumentRequest& request, absl::Time now) {
  const v1::Envelope& envelope = request.envelope();
  const std::string encoded = EncodeEnvelope(envelope);
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));

  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement find,
      db_->Prepare("SELECT id, envelope FROM documents WHERE from_agency = ? AND message_id = ?"));
  NDXP_RETURN_IF_ERROR(find.BindAll(envelope.from_agency(), request.message_id()));
  NDXP_ASSIGN_OR_RETURN(bool seen, find.Step());
  int64_t row = 0;
  if (seen) {
    row = find.ColumnInt64(0);
    if (find.ColumnText(1) != encoded) {
      return absl::AlreadyExistsError(
          absl::StrCat("message_id \"", request.message_id(), "\" of ", envelope.from_agency(),
                       " was already used for another document (", DocumentIdFromRow(row),
                       ")"));
    }
  } else {
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert,
        db_->Prepare("INSERT INTO documents (from_agency, message_id, envelope, sent_micros) "
                     "VALUES (?, ?, ?, ?)"));
    NDXP_RETURN_IF_ERROR(insert.BindAll(envelope.from_agency(), request.message_id(), encoded,
                                        absl::ToUnixMicros(now)));
    NDXP_RETURN_IF_ERROR(insert.Run());
    row = db_->LastInsertRowId();
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement add_delivery,
        db_->Prepare("INSERT INTO deliveries (document, recipient, position, status) "
                     "VALUES (?, ?, ?, ?)"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement add_to_inbox,
        db_->Prepare("INSERT INTO inbox (agency, document, event) VALUES (?, ?, NULL)"));
    for (int i = 0; i < envelope.to_agencies_size(); ++i) {
      const std::string& recipient = envelope.to_agencies(i);
      NDXP_RETURN_IF_ERROR(
          add_delivery.BindAll(row, recipient, i, static_cast<int>(v1::DELIVERY_STATUS_ARRIVED)));
      NDXP_RETURN_IF_ERROR(add_delivery.Run());
      // The recipient's inbox gets the document itself, not the ARRIVED event.
      NDXP_RETURN_IF_ERROR(AppendEventLocked(row, recipient, v1::DELIVERY_STATUS_ARRIVED, "",
                                             now, /*notify_agency=*/""));
      NDXP_RETURN_IF_ERROR(add_to_inbox.BindAll(recipient, row));
      NDXP_RETURN_IF_ERROR(add_to_inbox.Run());
    }
  }
  find.Reset();

  v1::SendDocumentResponse response;
  response.set_document_id(DocumentIdFromRow(row));
  NDXP_ASSIGN_OR_RETURN(std::vector<v1::Delivery> deliveries, DeliveriesLocked(row));
  for (v1::Delivery& delivery : deliveries) *response.add_deliveries() = std::move(delivery);
  NDXP_RETURN_IF_ERROR(txn.Commit());
  return response;
}

absl::Status SqliteDocumentStore::AppendEventLocked(int64_t row, absl::string_view recipient,
                                                    v1::DeliveryStatus status,
                                                    absl::string_view reason, absl::Time now,
                                                    absl::string_view notify_agency) {
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement add_event,
      db_->Prepare("INSERT INTO status_events (document, recipient, status, reason, "
                   "time_micros) VALUES (?, ?, ?, ?, ?)"));
  NDXP_RETURN_IF_ERROR(add_event.BindAll(row, recipient, static_cast<int>(status), reason,
                                         absl::ToUnixMicros(now)));
  NDXP_RETURN_IF_ERROR(add_event.Run());
  const int64_t event = db_->LastInsertRowId();
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement update,
      db_->Prepare("UPDATE deliveries SET status = ? WHERE document = ? AND recipient = ?"));
  NDXP_RETURN_IF_ERROR(update.BindAll(static_cast<int>(status), row, recipient));
  NDXP_RETURN_IF_ERROR(update.Run());
  if (notify_agency.empty()) return absl::OkStatus();
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement add_to_inbox,
      db_->Prepare("INSERT INTO inbox (agency, document, event) VALUES (?, ?, ?)"));
  NDXP_RETURN_IF_ERROR(add_to_inbox.BindAll(notify_agency, row, event));
  return add_to_inbox.Run();
}

absl::StatusOr<std::vector<v1::Delivery>> SqliteDocumentStore::DeliveriesLocked(int64_t row) {
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare("SELECT d.recipient, d.status, e.status, e.reason, e.time_micros "
                   "FROM deliveries d JOIN status_events e "
                   "  ON e.document = d.document AND e.recipient = d.recipient "
                   "WHERE d.document = ? ORDER BY d.position, e.id"));
  NDXP_RETURN_IF_ERROR(select.BindAll(row));
  std::vector<v1::Delivery> deliveries;
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    if (deliveries.empty() || deliveries.back().recipient() != select.ColumnText(0)) {
      v1::Delivery& delivery = deliveries.emplace_back();
      delivery.set_recipient(std::string(select.ColumnText(0)));
      delivery.set_status(static_cast<v1::DeliveryStatus>(select.ColumnInt64(1)));
    }
    *deliveries.back().add_history() = EventFromColumns(select, 2);
  }
  return deliveries;
}

absl::StatusOr<v1::GetDocumentResponse> SqliteDocumentStore::GetDocument(
    absl::string_view document_id) {
  NDXP_ASSIGN_OR_RETURN(int64_t row, RowFromDocumentId(document_id));
  absl::MutexLock lock(&mu_);
  return GetDocumentLocked(row);
}

absl::StatusOr<v1::GetDocumentResponse> SqliteDocumentStore::GetDocumentLocked(int64_t row) {
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare("SELECT message_id, envelope, sent_micros FROM documents WHERE id = ?"));
  NDXP_RETURN_IF_ERROR(select.BindAll(row));
  NDXP_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("document ", DocumentIdFromRow(row), " not found"));
  }
  v1::GetDocumentResponse document;
  document.set_document_id(DocumentIdFromRow(row));
  document.set_message_id(std::string(select.ColumnText(0)));
  NDXP_ASSIGN_OR_RETURN(*document.mutable_envelope(), DecodeEnvelope(select.ColumnText(1)));
  *document.mutable_sent_time() = TimestampFromMicros(select.ColumnInt64(2));
  select.Reset();
  NDXP_ASSIGN_OR_RETURN(std::vector<v1::Delivery> deliveries, DeliveriesLocked(row));
  for (v1::Delivery& delivery : deliveries) *document.add_deliveries() = std::move(delivery);
  return document;
}

absl::StatusOr<v1::Delivery> SqliteDocumentStore::ReportStatus(absl::string_view document_id,
                                                              absl::string_view recipient,
                                                              v1::DeliveryStatus status,
                                                              absl::string_view reason,
                                                              absl::Time now) {
  NDXP_ASSIGN_OR_RETURN(int64_t row, RowFromDocumentId(document_id));
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  // The document as it stands, read inside the transaction: concurrent
  // reports on one delivery are checked one after the other.
  NDXP_ASSIGN_OR_RETURN(v1::GetDocumentResponse document, GetDocumentLocked(row));
  const v1::Delivery* delivery = nullptr;
  for (const v1::Delivery& d : document.deliveries()) {
    if (d.recipient() == recipient) delivery = &d;
  }
  if (delivery == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("document ", document_id, " was not sent to ", recipient));
  }
  const v1::StatusEvent& last = *delivery->history().rbegin();
  if (last.status() == status && last.reason() == reason) return *delivery;  // a retry
  NDXP_RETURN_IF_ERROR(CheckStatusTransition(delivery->status(), status));
  NDXP_RETURN_IF_ERROR(AppendEventLocked(row, recipient, status, reason, now,
                                         document.envelope().from_agency()));
  v1::Delivery updated = *delivery;
  updated.set_status(status);
  v1::StatusEvent* event = updated.add_history();
  event->set_status(status);
  event->set_reason(std::string(reason));
  *event->mutable_time() = TimestampFromMicros(absl::ToUnixMicros(now));
  NDXP_RETURN_IF_ERROR(txn.Commit());
  return updated;
}

absl::StatusOr<std::vector<v1::InboxItem>> SqliteDocumentStore::ReadInbox(
    absl::string_view agency, int64_t after_cursor, int limit) {
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare("SELECT i.cursor, d.id, d.message_id, d.sent_micros, "
                   "  CASE WHEN i.event IS NULL THEN d.envelope END, "
                   "  e.recipient, e.status, e.reason, e.time_micros "
                   "FROM inbox i JOIN documents d ON d.id = i.document "
                   "LEFT JOIN status_events e ON e.id = i.event "
                   "WHERE i.agency = ? AND i.cursor > ? ORDER BY i.cursor LIMIT ?"));
  NDXP_RETURN_IF_ERROR(select.BindAll(agency, after_cursor, limit));
  std::vector<v1::InboxItem> items;
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    v1::InboxItem& item = items.emplace_back();
    item.set_cursor(select.ColumnInt64(0));
    const std::string document_id = DocumentIdFromRow(select.ColumnInt64(1));
    if (select.ColumnIsNull(5)) {
      v1::IncomingDocument* document = item.mutable_document();
      document->set_document_id(document_id);
      document->set_message_id(std::string(select.ColumnText(2)));
      *document->mutable_sent_time() = TimestampFromMicros(select.ColumnInt64(3));
      NDXP_ASSIGN_OR_RETURN(*document->mutable_envelope(), DecodeEnvelope(select.ColumnText(4)));
    } else {
      v1::StatusReport* report = item.mutable_status_report();
      report->set_document_id(document_id);
      report->set_message_id(std::string(select.ColumnText(2)));
      report->set_recipient(std::string(select.ColumnText(5)));
      *report->mutable_event() = EventFromColumns(select, 6);
    }
  }
  return items;
}

}  // namespace ndxp::documents
