#include "connectors/civil_status/sqlite_registration_store.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/message_differencer.h>

#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "connectors/civil_status/synthetic_registrations.h"
#include "common/status/status_util.h"

namespace ndxp::civil_status {

using ndxp::SqliteDatabase;
using ndxp::SqliteStatement;
using ndxp::SqliteTransaction;

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- The last page sequence used in each register book ("KS-001-2025").
CREATE TABLE IF NOT EXISTS books (
  book          TEXT PRIMARY KEY,
  last_sequence INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS registrations (
  kind                       TEXT NOT NULL CHECK (kind IN ('birth', 'marriage', 'death')),
  request_id                 TEXT NOT NULL,
  request                    TEXT NOT NULL,   -- base64 of the serialised request
  book                       TEXT NOT NULL,
  sequence                   INTEGER NOT NULL, -- from 1 within the book
  state                      INTEGER NOT NULL, -- RegistrationState
  personal_id                TEXT NOT NULL DEFAULT '',
  social_insurance_code      TEXT NOT NULL DEFAULT '',
  health_insurance_card_code TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (kind, request_id),
  UNIQUE (book, sequence)                      -- a page is never used twice
) WITHOUT ROWID;

INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

absl::string_view KindName(RegistrationKind kind) {
  switch (kind) {
    case RegistrationKind::kBirth:
      return "birth";
    case RegistrationKind::kMarriage:
      return "marriage";
    case RegistrationKind::kDeath:
      return "death";
  }
  return "birth";
}

// Deterministic, so the same request always stores the same text.
std::string SerializeRequest(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return bytes;
}

// FAILED_PRECONDITION naming what differs between the stored request and
// `request`, or OK when they are the same.
absl::Status CompareRequests(absl::string_view request_id, const std::string& stored,
                             const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> before(request.New());
  if (!before->ParseFromString(stored)) {
    return absl::InternalError(absl::StrCat("corrupt stored request of ", request_id));
  }
  google::protobuf::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  if (differencer.Compare(*before, request)) return absl::OkStatus();
  absl::StrReplaceAll({{"\n", "; "}}, &differences);
  return absl::FailedPreconditionError(absl::StrCat(
      "request_id: ", request_id, " was registered with different data (",
      absl::StripSuffix(differences, "; "), "); use a new request_id for another registration"));
}

}  // namespace

absl::string_view BookPrefix(RegistrationKind kind) {
  switch (kind) {
    case RegistrationKind::kBirth:
      return "KS";
    case RegistrationKind::kMarriage:
      return "KH";
    case RegistrationKind::kDeath:
      return "KT";
  }
  return "KS";
}

std::string BookName(RegistrationKind kind, absl::string_view province_code, int year) {
  return absl::StrFormat("%s-%s-%04d", BookPrefix(kind), province_code, year);
}

v1::CertificateNumber MakeCertificateNumber(absl::string_view book, int64_t sequence) {
  v1::CertificateNumber number;
  number.set_book(std::string(book));
  number.set_volume(static_cast<int32_t>((sequence - 1) / kPagesPerVolume + 1));
  number.set_page(static_cast<int32_t>((sequence - 1) % kPagesPerVolume + 1));
  number.set_formatted(absl::StrCat(book, "/Q", number.volume(), "/T", number.page()));
  return number;
}

struct SqliteRegistrationStore::Statements {
  SqliteStatement find;
  SqliteStatement next_sequence;
  SqliteStatement insert;
  SqliteStatement advance;
  SqliteStatement count;
};

absl::StatusOr<std::unique_ptr<SqliteRegistrationStore>> SqliteRegistrationStore::Open(
    const std::string& path, const ndxp::SqliteOptions& options) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path, options));
  NDXP_RETURN_IF_ERROR(db->Exec(kSchema));
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement find,
      db->Prepare("SELECT request, book, sequence, state, personal_id, social_insurance_code, "
                  "health_insurance_card_code FROM registrations "
                  "WHERE kind = ? AND request_id = ?"));
  // One statement both allocates and answers the page: no gap between them.
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement next_sequence,
      db->Prepare("INSERT INTO books (book, last_sequence) VALUES (?, 1) "
                  "ON CONFLICT (book) DO UPDATE SET last_sequence = last_sequence + 1 "
                  "RETURNING last_sequence"));
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      db->Prepare("INSERT INTO registrations (kind, request_id, request, book, sequence, "
                  "state, personal_id) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement advance,
      db->Prepare("UPDATE registrations SET state = ?3, "
                  "personal_id = COALESCE(NULLIF(?4, ''), personal_id), "
                  "social_insurance_code = COALESCE(NULLIF(?5, ''), social_insurance_code), "
                  "health_insurance_card_code = "
                  "COALESCE(NULLIF(?6, ''), health_insurance_card_code) "
                  "WHERE kind = ?1 AND request_id = ?2"));
  NDXP_ASSIGN_OR_RETURN(SqliteStatement count, db->Prepare("SELECT COUNT(*) FROM registrations"));
  auto statements = std::unique_ptr<Statements>(
      new Statements{std::move(find), std::move(next_sequence), std::move(insert),
                     std::move(advance), std::move(count)});
  return std::unique_ptr<SqliteRegistrationStore>(
      new SqliteRegistrationStore(std::move(db), std::move(statements)));
}

SqliteRegistrationStore::SqliteRegistrationStore(std::unique_ptr<SqliteDatabase> db,
                                                 std::unique_ptr<Statements> statements)
    : db_(std::move(db)), statements_(std::move(statements)) {}

SqliteRegistrationStore::~SqliteRegistrationStore() = default;

absl::StatusOr<std::optional<StoredRegistration>> SqliteRegistrationStore::FindLocked(
    RegistrationKind kind, absl::string_view request_id) {
  SqliteStatement& find = statements_->find;
  find.Reset();
  absl::Cleanup reset = [&find] { find.Reset(); };
  NDXP_RETURN_IF_ERROR(find.BindAll(KindName(kind), request_id));
  NDXP_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) return std::optional<StoredRegistration>();
  StoredRegistration r;
  r.kind = kind;
  r.request_id = std::string(request_id);
  if (!absl::Base64Unescape(find.ColumnText(0), &r.request)) {
    return absl::InternalError(absl::StrCat("corrupt stored request of ", request_id));
  }
  r.certificate_number = MakeCertificateNumber(find.ColumnText(1), find.ColumnInt64(2));
  r.state = static_cast<RegistrationState>(find.ColumnInt64(3));
  r.personal_id = std::string(find.ColumnText(4));
  r.social_insurance_code = std::string(find.ColumnText(5));
  r.health_insurance_card_code = std::string(find.ColumnText(6));
  return std::optional<StoredRegistration>(std::move(r));
}

absl::StatusOr<StoredRegistration> SqliteRegistrationStore::InsertLocked(
    RegistrationKind kind, absl::string_view request_id, const std::string& request,
    absl::string_view book, RegistrationState state, absl::string_view personal_id) {
  Statements& s = *statements_;
  s.next_sequence.Reset();
  NDXP_RETURN_IF_ERROR(s.next_sequence.Bind(1, book));
  NDXP_ASSIGN_OR_RETURN(bool has_row, s.next_sequence.Step());
  if (!has_row) return absl::InternalError("book sequence allocation returned nothing");
  const int64_t sequence = s.next_sequence.ColumnInt64(0);
  NDXP_ASSIGN_OR_RETURN(bool more, s.next_sequence.Step());  // finish the statement
  (void)more;
  s.next_sequence.Reset();
  s.insert.Reset();
  NDXP_RETURN_IF_ERROR(s.insert.BindAll(KindName(kind), request_id, absl::Base64Escape(request),
                                        book, sequence, static_cast<int>(state), personal_id));
  NDXP_RETURN_IF_ERROR(s.insert.Run());
  StoredRegistration r;
  r.kind = kind;
  r.request_id = std::string(request_id);
  r.request = request;
  r.certificate_number = MakeCertificateNumber(book, sequence);
  r.state = state;
  r.personal_id = std::string(personal_id);
  r.newly_created = true;
  return r;
}

absl::StatusOr<StoredRegistration> SqliteRegistrationStore::Register(
    RegistrationKind kind, absl::string_view request_id, const google::protobuf::Message& request,
    absl::string_view book) {
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  NDXP_ASSIGN_OR_RETURN(std::optional<StoredRegistration> existing, FindLocked(kind, request_id));
  if (existing.has_value()) {
    NDXP_RETURN_IF_ERROR(CompareRequests(request_id, existing->request, request));
    return *std::move(existing);
  }
  NDXP_ASSIGN_OR_RETURN(StoredRegistration created,
                        InsertLocked(kind, request_id, SerializeRequest(request), book,
                                     RegistrationState::kRegistered, ""));
  NDXP_RETURN_IF_ERROR(txn.Commit());
  return created;
}

absl::Status SqliteRegistrationStore::Advance(RegistrationKind kind, absl::string_view request_id,
                                              RegistrationState state,
                                              absl::string_view personal_id,
                                              absl::string_view social_insurance_code,
                                              absl::string_view health_insurance_card_code) {
  absl::MutexLock lock(&mu_);
  SqliteStatement& advance = statements_->advance;
  advance.Reset();
  NDXP_RETURN_IF_ERROR(advance.BindAll(KindName(kind), request_id, static_cast<int>(state),
                                       personal_id, social_insurance_code,
                                       health_insurance_card_code));
  NDXP_RETURN_IF_ERROR(advance.Run());
  if (db_->Changes() == 0) {
    return absl::NotFoundError(
        absl::StrCat("request_id: no ", KindName(kind), " registration ", request_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredRegistration> SqliteRegistrationStore::Get(RegistrationKind kind,
                                                                absl::string_view request_id) {
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(std::optional<StoredRegistration> found, FindLocked(kind, request_id));
  if (!found.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("request_id: no ", KindName(kind), " registration ", request_id));
  }
  return *std::move(found);
}

absl::StatusOr<int64_t> SqliteRegistrationStore::CountLocked() {
  SqliteStatement& count = statements_->count;
  count.Reset();
  NDXP_ASSIGN_OR_RETURN(bool row, count.Step());
  const int64_t n = row ? count.ColumnInt64(0) : 0;
  count.Reset();
  return n;
}

absl::StatusOr<int64_t> SqliteRegistrationStore::CountRegistrations() {
  absl::MutexLock lock(&mu_);
  return CountLocked();
}

absl::StatusOr<int64_t> SqliteRegistrationStore::GenerateIfEmpty(uint64_t seed, uint32_t size) {
  absl::MutexLock lock(&mu_);
  return ndxp::connectors::FillSyntheticDataOnce(
      *db_, "SELECT COUNT(*) FROM registrations", seed, size,
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<int64_t> {
        int64_t generated = 0;
        NDXP_RETURN_IF_ERROR(GenerateSyntheticRegistrations(
            seed, size, [&](const SyntheticRegistration& r) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              ++generated;
              return InsertLocked(r.kind, r.request_id, r.request, r.book,
                                  RegistrationState::kCompleted, r.personal_id)
                  .status();
            }));
        return generated;
      });
}

}  // namespace ndxp::civil_status
