#include "connectors/business/sqlite_enterprise_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/identifiers/province.h"
#include "connectors/business/enterprise_name.h"
#include "connectors/business/synthetic_enterprises.h"
#include "connectors/runtime/stored_values.h"
#include "common/status/status_util.h"

namespace ndxp::business {

using ndxp::SqliteDatabase;
using ndxp::SqliteStatement;
using ndxp::SqliteTransaction;

namespace {

using ndxp::connectors::DateText;
using ndxp::connectors::NonEmpty;
using ndxp::connectors::ParseDateText;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Enterprises and their dependent units (parent_code set), one row each.
-- Enum columns hold the business.proto enum numbers.
CREATE TABLE IF NOT EXISTS enterprises (
  code                 TEXT PRIMARY KEY,
  parent_code          TEXT REFERENCES enterprises (code),
  kind                 INTEGER NOT NULL,
  name                 TEXT NOT NULL,
  english_name         TEXT NOT NULL,
  short_name           TEXT NOT NULL,
  search_key           TEXT NOT NULL,        -- SearchKey(name), enterprise_name.h
  legal_form           INTEGER NOT NULL,
  status               INTEGER NOT NULL,
  registration_date    TEXT NOT NULL,        -- YYYY-MM-DD
  head_office_address  TEXT NOT NULL,
  province_code        TEXT NOT NULL,
  charter_capital_vnd  INTEGER NOT NULL,
  representative_id    TEXT NOT NULL,
  representative_name  TEXT NOT NULL,
  representative_title TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS enterprises_by_parent ON enterprises (parent_code, code);
CREATE INDEX IF NOT EXISTS enterprises_by_search_key ON enterprises (search_key, code);

-- Owners, members, shareholders, partners: an individual or an enterprise.
CREATE TABLE IF NOT EXISTS owners (
  enterprise_code       TEXT NOT NULL REFERENCES enterprises (code),
  position              INTEGER NOT NULL,     -- register order, from 0
  personal_id           TEXT,
  owner_enterprise_code TEXT,
  name                  TEXT NOT NULL,
  contribution_vnd      INTEGER NOT NULL,
  PRIMARY KEY (enterprise_code, position),
  CHECK ((personal_id IS NULL) <> (owner_enterprise_code IS NULL))
) WITHOUT ROWID;

INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

constexpr char kEnterpriseColumns[] =
    "code, parent_code, kind, name, english_name, short_name, search_key, legal_form, "
    "status, registration_date, head_office_address, province_code, charter_capital_vnd, "
    "representative_id, representative_name, representative_title";

// The smallest string greater than every string starting with `prefix`:
// 0xFF never occurs in UTF-8, and keys are compared bytewise (BINARY).
std::string PrefixUpperBound(absl::string_view prefix) {
  return absl::StrCat(prefix, "\xff");
}

std::string ProvinceName(absl::string_view code) {
  const identifiers::Province* province = identifiers::FindProvince(code);
  return province != nullptr ? std::string(province->name) : std::string();
}

}  // namespace

struct SqliteEnterpriseStore::Statements {
  SqliteStatement get;
  SqliteStatement owners_of;
  SqliteStatement units_of;
  SqliteStatement search;
  SqliteStatement insert;
  SqliteStatement insert_owner;
  SqliteStatement count;

  static absl::StatusOr<std::unique_ptr<Statements>> Prepare(SqliteDatabase& db) {
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement get,
        db.Prepare(absl::StrCat("SELECT ", kEnterpriseColumns,
                                " FROM enterprises WHERE code = ?")));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement owners_of,
        db.Prepare("SELECT personal_id, owner_enterprise_code, name, contribution_vnd "
                   "FROM owners WHERE enterprise_code = ? ORDER BY position"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement units_of,
        db.Prepare("SELECT code, kind, name, status, province_code FROM enterprises "
                   "WHERE parent_code = ? ORDER BY code"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement search,
        db.Prepare("SELECT code, kind, name, legal_form, status, province_code, "
                   "registration_date FROM enterprises "
                   "WHERE search_key >= ?1 AND search_key < ?2 "
                   "AND (?3 = '' OR province_code = ?3) "
                   "ORDER BY search_key, code LIMIT ?4"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert,
        db.Prepare(absl::StrCat("INSERT INTO enterprises (", kEnterpriseColumns,
                                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert_owner,
        db.Prepare("INSERT INTO owners (enterprise_code, position, personal_id, "
                   "owner_enterprise_code, name, contribution_vnd) VALUES (?, ?, ?, ?, ?, ?)"));
    NDXP_ASSIGN_OR_RETURN(SqliteStatement count,
                          db.Prepare("SELECT COUNT(*) FROM enterprises"));
    return std::unique_ptr<Statements>(new Statements{
        std::move(get), std::move(owners_of), std::move(units_of), std::move(search),
        std::move(insert), std::move(insert_owner), std::move(count)});
  }
};

absl::StatusOr<std::unique_ptr<SqliteEnterpriseStore>> SqliteEnterpriseStore::Open(
    const std::string& path) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path));
  NDXP_RETURN_IF_ERROR(db->Exec(kSchema));
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<Statements> statements, Statements::Prepare(*db));
  return std::unique_ptr<SqliteEnterpriseStore>(
      new SqliteEnterpriseStore(std::move(db), std::move(statements)));
}

SqliteEnterpriseStore::SqliteEnterpriseStore(std::unique_ptr<SqliteDatabase> db,
                                             std::unique_ptr<Statements> statements)
    : db_(std::move(db)), statements_(std::move(statements)) {}

SqliteEnterpriseStore::~SqliteEnterpriseStore() = default;

// ------------------------------------------------------------------ writes

absl::Status SqliteEnterpriseStore::InsertLocked(const v1::Enterprise& e) {
  SqliteStatement& insert = statements_->insert;
  insert.Reset();
  const v1::LegalRepresentative& rep = e.legal_representative();
  NDXP_RETURN_IF_ERROR(insert.BindAll(
      e.enterprise_code(), NonEmpty(e.parent_enterprise_code()), static_cast<int>(e.kind()),
      e.name(), e.english_name(), e.short_name(), SearchKey(e.name()),
      static_cast<int>(e.legal_form()), static_cast<int>(e.status()),
      DateText(e.registration_date()), e.head_office_address(), e.province_code(),
      e.charter_capital_vnd(), rep.personal_id(), rep.full_name(), rep.title()));
  NDXP_RETURN_IF_ERROR(insert.Run());
  SqliteStatement& insert_owner = statements_->insert_owner;
  for (int i = 0; i < e.owners_size(); ++i) {
    const v1::Owner& owner = e.owners(i);
    insert_owner.Reset();
    NDXP_RETURN_IF_ERROR(insert_owner.BindAll(
        e.enterprise_code(), i, NonEmpty(owner.personal_id()),
        NonEmpty(owner.enterprise_code()), owner.name(), owner.capital_contribution_vnd()));
    NDXP_RETURN_IF_ERROR(insert_owner.Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteEnterpriseStore::InsertEnterprise(const v1::Enterprise& enterprise) {
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  NDXP_RETURN_IF_ERROR(InsertLocked(enterprise));
  return txn.Commit();
}

absl::StatusOr<int64_t> SqliteEnterpriseStore::CountLocked() {
  SqliteStatement& count = statements_->count;
  count.Reset();
  NDXP_ASSIGN_OR_RETURN(bool has_row, count.Step());
  const int64_t n = has_row ? count.ColumnInt64(0) : 0;
  count.Reset();
  return n;
}

absl::StatusOr<int64_t> SqliteEnterpriseStore::GenerateIfEmpty(uint64_t seed,
                                                               uint32_t population_size) {
  absl::MutexLock lock(&mu_);
  return ndxp::connectors::FillSyntheticDataOnce(
      *db_, "SELECT COUNT(*) FROM enterprises", seed, population_size,
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<int64_t> {
        NDXP_ASSIGN_OR_RETURN(std::vector<ndxp::residents::v1::Citizen> population,
                              CollectSyntheticPopulation(seed, population_size));
        int64_t generated = 0;
        NDXP_RETURN_IF_ERROR(GenerateSyntheticEnterprises(
            seed, population, [&](const v1::Enterprise& e) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              ++generated;
              return InsertLocked(e);
            }));
        return generated;
      });
}

// ------------------------------------------------------------------- reads

absl::StatusOr<v1::Enterprise> SqliteEnterpriseStore::GetEnterprise(absl::string_view code) {
  absl::MutexLock lock(&mu_);
  Statements& s = *statements_;
  s.get.Reset();
  NDXP_RETURN_IF_ERROR(s.get.Bind(1, code));
  NDXP_ASSIGN_OR_RETURN(bool found, s.get.Step());
  if (!found) {
    s.get.Reset();
    return absl::NotFoundError(absl::StrCat(
        "enterprise_code: no enterprise or dependent unit is registered under ", code));
  }
  v1::Enterprise e;
  e.set_enterprise_code(std::string(s.get.ColumnText(0)));
  e.set_parent_enterprise_code(std::string(s.get.ColumnText(1)));
  e.set_kind(static_cast<v1::UnitKind>(s.get.ColumnInt64(2)));
  e.set_name(std::string(s.get.ColumnText(3)));
  e.set_english_name(std::string(s.get.ColumnText(4)));
  e.set_short_name(std::string(s.get.ColumnText(5)));
  e.set_legal_form(static_cast<v1::LegalForm>(s.get.ColumnInt64(7)));
  e.set_status(static_cast<v1::EnterpriseStatus>(s.get.ColumnInt64(8)));
  absl::StatusOr<ndxp::residents::v1::Date> registered = ParseDateText(s.get.ColumnText(9));
  e.set_head_office_address(std::string(s.get.ColumnText(10)));
  e.set_province_code(std::string(s.get.ColumnText(11)));
  e.set_province_name(ProvinceName(e.province_code()));
  e.set_charter_capital_vnd(s.get.ColumnInt64(12));
  v1::LegalRepresentative* rep = e.mutable_legal_representative();
  rep->set_personal_id(std::string(s.get.ColumnText(13)));
  rep->set_full_name(std::string(s.get.ColumnText(14)));
  rep->set_title(std::string(s.get.ColumnText(15)));
  s.get.Reset();
  if (!registered.ok()) return registered.status();
  *e.mutable_registration_date() = *registered;

  s.owners_of.Reset();
  NDXP_RETURN_IF_ERROR(s.owners_of.Bind(1, e.enterprise_code()));
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool row, s.owners_of.Step());
    if (!row) break;
    v1::Owner* owner = e.add_owners();
    if (!s.owners_of.ColumnIsNull(0)) {
      owner->set_personal_id(std::string(s.owners_of.ColumnText(0)));
    } else {
      owner->set_enterprise_code(std::string(s.owners_of.ColumnText(1)));
    }
    owner->set_name(std::string(s.owners_of.ColumnText(2)));
    owner->set_capital_contribution_vnd(s.owners_of.ColumnInt64(3));
  }
  s.owners_of.Reset();

  s.units_of.Reset();
  NDXP_RETURN_IF_ERROR(s.units_of.Bind(1, e.enterprise_code()));
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool row, s.units_of.Step());
    if (!row) break;
    v1::DependentUnit* unit = e.add_dependent_units();
    unit->set_unit_code(std::string(s.units_of.ColumnText(0)));
    unit->set_kind(static_cast<v1::UnitKind>(s.units_of.ColumnInt64(1)));
    unit->set_name(std::string(s.units_of.ColumnText(2)));
    unit->set_status(static_cast<v1::EnterpriseStatus>(s.units_of.ColumnInt64(3)));
    unit->set_province_code(std::string(s.units_of.ColumnText(4)));
  }
  s.units_of.Reset();
  return e;
}

absl::StatusOr<std::vector<v1::EnterpriseSummary>> SqliteEnterpriseStore::SearchEnterprises(
    const EnterpriseSearch& search) {
  absl::MutexLock lock(&mu_);
  SqliteStatement& query = statements_->search;
  query.Reset();
  NDXP_RETURN_IF_ERROR(query.BindAll(search.key_prefix, PrefixUpperBound(search.key_prefix),
                                     search.province_code, search.limit));
  std::vector<v1::EnterpriseSummary> matches;
  absl::Status corrupt;
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    v1::EnterpriseSummary& m = matches.emplace_back();
    m.set_enterprise_code(std::string(query.ColumnText(0)));
    m.set_kind(static_cast<v1::UnitKind>(query.ColumnInt64(1)));
    m.set_name(std::string(query.ColumnText(2)));
    m.set_legal_form(static_cast<v1::LegalForm>(query.ColumnInt64(3)));
    m.set_status(static_cast<v1::EnterpriseStatus>(query.ColumnInt64(4)));
    m.set_province_code(std::string(query.ColumnText(5)));
    absl::StatusOr<ndxp::residents::v1::Date> registered = ParseDateText(query.ColumnText(6));
    if (!registered.ok()) {
      corrupt = registered.status();
      break;
    }
    *m.mutable_registration_date() = *registered;
  }
  query.Reset();
  if (!corrupt.ok()) return corrupt;
  return matches;
}

absl::StatusOr<int64_t> SqliteEnterpriseStore::CountRecords() {
  absl::MutexLock lock(&mu_);
  return CountLocked();
}

}  // namespace ndxp::business
