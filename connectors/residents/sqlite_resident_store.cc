#include "connectors/residents/sqlite_resident_store.h"

#include <random>
#include <set>
#include <tuple>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/identifiers/personal_id.h"
#include "common/identifiers/province.h"
#include "connectors/residents/synthetic_population.h"
#include "connectors/runtime/stored_values.h"
#include "connectors/runtime/field_violations.h"
#include "common/status/status_util.h"

namespace ndxp::residents {

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

CREATE TABLE IF NOT EXISTS citizens (
  personal_id         TEXT PRIMARY KEY,
  full_name           TEXT NOT NULL,
  birth_date          TEXT NOT NULL,              -- YYYY-MM-DD
  sex                 TEXT NOT NULL CHECK (sex IN ('M', 'F')),
  birth_province_code TEXT NOT NULL,
  permanent_address   TEXT NOT NULL,
  ethnicity           TEXT NOT NULL,
  nationality         TEXT NOT NULL,
  father_id           TEXT REFERENCES citizens (personal_id),
  mother_id           TEXT REFERENCES citizens (personal_id),
  death_date          TEXT                        -- NULL while alive
) WITHOUT ROWID;
-- ListRelatives finds children through these.
CREATE INDEX IF NOT EXISTS citizens_by_father ON citizens (father_id);
CREATE INDEX IF NOT EXISTS citizens_by_mother ON citizens (mother_id);

-- IssuePersonalId's idempotency keys.
CREATE TABLE IF NOT EXISTS issued_personal_ids (
  request_id   TEXT PRIMARY KEY,
  personal_id  TEXT NOT NULL UNIQUE REFERENCES citizens (personal_id),
  issued_micros INTEGER NOT NULL                  -- Unix time, microseconds
) WITHOUT ROWID;

-- Deaths recorded by civil status, with the registration behind each.
CREATE TABLE IF NOT EXISTS recorded_deaths (
  personal_id               TEXT PRIMARY KEY REFERENCES citizens (personal_id),
  death_registration_number TEXT NOT NULL,
  recorded_micros           INTEGER NOT NULL    -- Unix time, microseconds
) WITHOUT ROWID;

-- Who accessed whose data: citizens may ask to see it.
CREATE TABLE IF NOT EXISTS access_log (
  id          INTEGER PRIMARY KEY,
  time_micros INTEGER NOT NULL,                   -- Unix time, microseconds
  consumer    TEXT NOT NULL,                      -- SPIFFE ID of the original caller
  purpose     TEXT NOT NULL,
  request_id  TEXT NOT NULL,
  method      TEXT NOT NULL,                      -- full gRPC method name
  personal_id TEXT NOT NULL,                      -- '' when none was valid
  status      INTEGER NOT NULL                    -- canonical status code
);
CREATE INDEX IF NOT EXISTS access_log_by_citizen ON access_log (personal_id, id);

INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

constexpr char kCitizenColumns[] =
    "personal_id, full_name, birth_date, sex, birth_province_code, permanent_address, "
    "ethnicity, nationality, father_id, mother_id, death_date";

}  // namespace

struct SqliteResidentStore::Statements {
  SqliteStatement get_citizen;
  SqliteStatement exists;
  SqliteStatement insert_citizen;
  SqliteStatement parents_of;
  SqliteStatement summary;
  SqliteStatement children_of;
  SqliteStatement find_issued;
  SqliteStatement insert_issued;
  SqliteStatement ids_in_range;
  SqliteStatement insert_access;
  SqliteStatement accesses_to;
  SqliteStatement count;
  SqliteStatement life_dates;
  SqliteStatement set_death_date;
  SqliteStatement insert_death_registration;
  SqliteStatement death_registration;

  static absl::StatusOr<std::unique_ptr<Statements>> Prepare(SqliteDatabase& db) {
    auto prepare = [&db](const std::string& sql) { return db.Prepare(sql); };
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement get_citizen,
        prepare(absl::StrCat("SELECT ", kCitizenColumns,
                             " FROM citizens WHERE personal_id = ?")));
    NDXP_ASSIGN_OR_RETURN(SqliteStatement exists,
                          prepare("SELECT 1 FROM citizens WHERE personal_id = ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert_citizen,
        prepare(absl::StrCat("INSERT INTO citizens (", kCitizenColumns,
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement parents_of,
        prepare("SELECT father_id, mother_id FROM citizens WHERE personal_id = ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement summary,
        prepare("SELECT personal_id, full_name, birth_date FROM citizens "
                "WHERE personal_id = ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement children_of,
        prepare("SELECT personal_id, full_name, birth_date FROM citizens "
                "WHERE father_id = ?1 OR mother_id = ?1 ORDER BY birth_date, personal_id"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement find_issued,
        prepare("SELECT personal_id FROM issued_personal_ids WHERE request_id = ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert_issued,
        prepare("INSERT INTO issued_personal_ids (request_id, personal_id, issued_micros) "
                "VALUES (?, ?, ?)"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement ids_in_range,
        prepare("SELECT personal_id FROM citizens WHERE personal_id BETWEEN ? AND ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert_access,
        prepare("INSERT INTO access_log (time_micros, consumer, purpose, request_id, "
                "method, personal_id, status) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement accesses_to,
        prepare("SELECT time_micros, consumer, purpose, request_id, method, personal_id, "
                "status FROM access_log WHERE personal_id = ? ORDER BY id"));
    NDXP_ASSIGN_OR_RETURN(SqliteStatement count, prepare("SELECT COUNT(*) FROM citizens"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement life_dates,
        prepare("SELECT birth_date, death_date FROM citizens WHERE personal_id = ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement set_death_date,
        prepare("UPDATE citizens SET death_date = ? WHERE personal_id = ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert_death_registration,
        prepare("INSERT OR IGNORE INTO recorded_deaths (personal_id, "
                "death_registration_number, recorded_micros) VALUES (?, ?, ?)"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement death_registration,
        prepare("SELECT death_registration_number FROM recorded_deaths "
                "WHERE personal_id = ?"));
    return std::unique_ptr<Statements>(new Statements{
        std::move(get_citizen), std::move(exists), std::move(insert_citizen),
        std::move(parents_of), std::move(summary), std::move(children_of),
        std::move(find_issued), std::move(insert_issued), std::move(ids_in_range),
        std::move(insert_access), std::move(accesses_to), std::move(count),
        std::move(life_dates), std::move(set_death_date),
        std::move(insert_death_registration), std::move(death_registration)});
  }
};

absl::StatusOr<std::unique_ptr<SqliteResidentStore>> SqliteResidentStore::Open(
    const std::string& path) {
  return Open(path, Options());
}

absl::StatusOr<std::unique_ptr<SqliteResidentStore>> SqliteResidentStore::Open(
    const std::string& path, Options options) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(path, options.sqlite));
  NDXP_RETURN_IF_ERROR(db->Exec(kSchema));
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<Statements> statements, Statements::Prepare(*db));
  if (!options.random) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    options.random = [engine] { return (*engine)(); };
  }
  if (!options.clock) options.clock = [] { return absl::Now(); };
  return std::unique_ptr<SqliteResidentStore>(
      new SqliteResidentStore(std::move(db), std::move(statements), std::move(options)));
}

SqliteResidentStore::SqliteResidentStore(std::unique_ptr<SqliteDatabase> db,
                                         std::unique_ptr<Statements> statements,
                                         Options options)
    : options_(std::move(options)), db_(std::move(db)), statements_(std::move(statements)) {}

SqliteResidentStore::~SqliteResidentStore() = default;

// ------------------------------------------------------------------ writes

absl::Status SqliteResidentStore::InsertLocked(const v1::Citizen& c) {
  SqliteStatement& insert = statements_->insert_citizen;
  insert.Reset();
  std::optional<std::string> death;
  if (c.life_status() == v1::LIFE_STATUS_DECEASED) death = DateText(c.date_of_death());
  NDXP_RETURN_IF_ERROR(insert.BindAll(
      c.personal_id(), c.full_name(), DateText(c.date_of_birth()),
      c.sex() == v1::SEX_FEMALE ? "F" : "M", c.birth_province_code(),
      c.permanent_address(), c.ethnicity(), c.nationality(),
      NonEmpty(c.father_personal_id()), NonEmpty(c.mother_personal_id()), death));
  return insert.Run();
}

absl::Status SqliteResidentStore::InsertCitizen(const v1::Citizen& citizen) {
  absl::MutexLock lock(&mu_);
  return InsertLocked(citizen);
}

absl::StatusOr<int64_t> SqliteResidentStore::GenerateIfEmpty(uint64_t seed, uint32_t size) {
  absl::MutexLock lock(&mu_);
  return ndxp::connectors::FillSyntheticDataOnce(
      *db_, "SELECT COUNT(*) FROM citizens", seed, size,
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<int64_t> {
        int64_t generated = 0;
        NDXP_RETURN_IF_ERROR(GenerateSyntheticPopulation(
            seed, size, [&](const v1::Citizen& citizen) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              ++generated;
              return InsertLocked(citizen);
            }));
        return generated;
      });
}

absl::StatusOr<bool> SqliteResidentStore::ExistsLocked(absl::string_view personal_id) {
  SqliteStatement& exists = statements_->exists;
  exists.Reset();
  NDXP_RETURN_IF_ERROR(exists.Bind(1, personal_id));
  absl::StatusOr<bool> row = exists.Step();
  exists.Reset();
  return row;
}

absl::StatusOr<std::string> SqliteResidentStore::DrawPersonalIdLocked(
    absl::string_view province_code, int birth_year, v1::Sex sex) {
  const auto id_sex =
      sex == v1::SEX_FEMALE ? identifiers::Sex::kFemale : identifiers::Sex::kMale;
  auto make = [&](uint64_t serial) {
    return identifiers::MakePersonalId(
        province_code, birth_year, id_sex,
        static_cast<int>(serial % identifiers::kPersonalIdSerialCount));
  };
  // Random draws almost always hit a free serial at once: a few thousand
  // people at most share a province, birth year and sex.
  for (int attempt = 0; attempt < 16; ++attempt) {
    NDXP_ASSIGN_OR_RETURN(std::string id, make(options_.random()));
    NDXP_ASSIGN_OR_RETURN(bool taken, ExistsLocked(id));
    if (!taken) return id;
  }
  // Crowded: list the serials taken and take the first free one after a
  // random start.
  NDXP_ASSIGN_OR_RETURN(std::string first, make(0));
  NDXP_ASSIGN_OR_RETURN(std::string last, make(identifiers::kPersonalIdSerialCount - 1));
  SqliteStatement& range = statements_->ids_in_range;
  range.Reset();
  NDXP_RETURN_IF_ERROR(range.BindAll(first, last));
  std::set<int> taken;
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool row, range.Step());
    if (!row) break;
    int serial = 0;
    if (absl::SimpleAtoi(range.ColumnText(0).substr(6), &serial)) taken.insert(serial);
  }
  range.Reset();
  const uint64_t start = options_.random() % identifiers::kPersonalIdSerialCount;
  for (uint64_t i = 0; i < identifiers::kPersonalIdSerialCount; ++i) {
    uint64_t serial = (start + i) % identifiers::kPersonalIdSerialCount;
    if (taken.count(static_cast<int>(serial)) == 0) return make(serial);
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "every personal ID number ", first.substr(0, 6), "xxxxxx is taken"));
}

absl::StatusOr<IssuedPersonalId> SqliteResidentStore::IssuePersonalId(
    absl::string_view request_id, const v1::Citizen& citizen) {
  absl::MutexLock lock(&mu_);
  Statements& s = *statements_;
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));

  s.find_issued.Reset();
  NDXP_RETURN_IF_ERROR(s.find_issued.Bind(1, request_id));
  NDXP_ASSIGN_OR_RETURN(bool seen, s.find_issued.Step());
  if (seen) {
    IssuedPersonalId issued{std::string(s.find_issued.ColumnText(0)), false};
    s.find_issued.Reset();
    return issued;  // nothing written: the transaction rolls back
  }
  s.find_issued.Reset();

  v1::Citizen record = citizen;
  // A newborn inherits ethnicity from the father, else the mother, and is
  // registered at the mother's (else the father's) permanent address.
  std::optional<v1::Citizen> father, mother;
  for (auto [id, field, parent] :
       {std::tuple{&citizen.father_personal_id(), "father_personal_id", &father},
        std::tuple{&citizen.mother_personal_id(), "mother_personal_id", &mother}}) {
    if (id->empty()) continue;
    s.get_citizen.Reset();
    NDXP_RETURN_IF_ERROR(s.get_citizen.Bind(1, *id));
    NDXP_ASSIGN_OR_RETURN(bool found, s.get_citizen.Step());
    if (!found) {
      s.get_citizen.Reset();
      return absl::NotFoundError(
          absl::StrCat(field, ": no citizen holds personal ID number ", *id));
    }
    v1::Citizen p;
    p.set_ethnicity(std::string(s.get_citizen.ColumnText(6)));
    p.set_permanent_address(std::string(s.get_citizen.ColumnText(5)));
    *parent = std::move(p);
    s.get_citizen.Reset();
  }
  if (record.ethnicity().empty()) {
    if (father.has_value()) {
      record.set_ethnicity(father->ethnicity());
    } else if (mother.has_value()) {
      record.set_ethnicity(mother->ethnicity());
    }
  }
  if (record.permanent_address().empty()) {
    if (mother.has_value()) {
      record.set_permanent_address(mother->permanent_address());
    } else if (father.has_value()) {
      record.set_permanent_address(father->permanent_address());
    }
  }
  if (record.nationality().empty()) record.set_nationality("Việt Nam");
  record.set_life_status(v1::LIFE_STATUS_ALIVE);
  record.clear_date_of_death();

  NDXP_ASSIGN_OR_RETURN(std::string personal_id,
                        DrawPersonalIdLocked(citizen.birth_province_code(),
                                             citizen.date_of_birth().year(), citizen.sex()));
  record.set_personal_id(personal_id);
  NDXP_RETURN_IF_ERROR(InsertLocked(record));
  s.insert_issued.Reset();
  NDXP_RETURN_IF_ERROR(s.insert_issued.BindAll(request_id, personal_id,
                                               absl::ToUnixMicros(options_.clock())));
  NDXP_RETURN_IF_ERROR(s.insert_issued.Run());
  NDXP_RETURN_IF_ERROR(txn.Commit());
  return IssuedPersonalId{std::move(personal_id), true};
}

absl::StatusOr<RecordedDeath> SqliteResidentStore::RecordDeath(
    absl::string_view personal_id, const v1::Date& date_of_death,
    absl::string_view death_registration_number) {
  absl::MutexLock lock(&mu_);
  Statements& s = *statements_;
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  const std::string death_text = DateText(date_of_death);
  std::string birth_text;
  std::optional<std::string> recorded_death;
  {
    s.life_dates.Reset();
    absl::Cleanup reset = [&s]() ABSL_NO_THREAD_SAFETY_ANALYSIS { s.life_dates.Reset(); };
    NDXP_RETURN_IF_ERROR(s.life_dates.Bind(1, personal_id));
    NDXP_ASSIGN_OR_RETURN(bool found, s.life_dates.Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("personal_id: no citizen holds personal ID number ", personal_id));
    }
    birth_text = std::string(s.life_dates.ColumnText(0));
    recorded_death = s.life_dates.ColumnOptionalText(1);
  }
  // The YYYY-MM-DD texts order as the dates do.
  if (death_text < birth_text) {
    return ndxp::connectors::InvalidField(
        "date_of_death",
        absl::StrCat(death_text, " is before the date of birth ", birth_text));
  }
  if (recorded_death.has_value() && *recorded_death != death_text) {
    return absl::FailedPreconditionError(
        absl::StrCat("personal_id: ", personal_id, " is already recorded as deceased on ",
                     *recorded_death, ", not ", death_text));
  }
  const bool newly_recorded = !recorded_death.has_value();
  if (newly_recorded) {
    s.set_death_date.Reset();
    NDXP_RETURN_IF_ERROR(s.set_death_date.BindAll(death_text, personal_id));
    NDXP_RETURN_IF_ERROR(s.set_death_date.Run());
  }
  // A death known before (imported without a registration) takes this one.
  s.insert_death_registration.Reset();
  NDXP_RETURN_IF_ERROR(s.insert_death_registration.BindAll(
      personal_id, death_registration_number, absl::ToUnixMicros(options_.clock())));
  NDXP_RETURN_IF_ERROR(s.insert_death_registration.Run());

  RecordedDeath death;
  death.date_of_death = date_of_death;
  death.newly_recorded = newly_recorded;
  {
    s.death_registration.Reset();
    absl::Cleanup reset = [&s]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      s.death_registration.Reset();
    };
    NDXP_RETURN_IF_ERROR(s.death_registration.Bind(1, personal_id));
    NDXP_ASSIGN_OR_RETURN(bool found, s.death_registration.Step());
    if (!found) return absl::InternalError("recorded death vanished inside its transaction");
    death.death_registration_number = std::string(s.death_registration.ColumnText(0));
  }
  NDXP_RETURN_IF_ERROR(txn.Commit());
  return death;
}

absl::Status SqliteResidentStore::RecordAccesses(absl::Span<const AccessRecord> records) {
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  SqliteStatement& insert = statements_->insert_access;
  for (const AccessRecord& r : records) {
    insert.Reset();
    NDXP_RETURN_IF_ERROR(insert.BindAll(absl::ToUnixMicros(r.time), r.consumer, r.purpose,
                                        r.request_id, r.method, r.personal_id,
                                        static_cast<int>(r.status)));
    NDXP_RETURN_IF_ERROR(insert.Run());
  }
  return txn.Commit();
}

// ------------------------------------------------------------------- reads

absl::StatusOr<v1::Citizen> SqliteResidentStore::GetCitizen(absl::string_view personal_id) {
  absl::MutexLock lock(&mu_);
  SqliteStatement& get = statements_->get_citizen;
  get.Reset();
  NDXP_RETURN_IF_ERROR(get.Bind(1, personal_id));
  NDXP_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found) {
    get.Reset();
    return absl::NotFoundError(
        absl::StrCat("personal_id: no citizen holds personal ID number ", personal_id));
  }
  v1::Citizen c;
  c.set_personal_id(std::string(get.ColumnText(0)));
  c.set_full_name(std::string(get.ColumnText(1)));
  absl::StatusOr<v1::Date> birth = ParseDateText(get.ColumnText(2));
  c.set_sex(get.ColumnText(3) == "F" ? v1::SEX_FEMALE : v1::SEX_MALE);
  c.set_birth_province_code(std::string(get.ColumnText(4)));
  if (const identifiers::Province* p = identifiers::FindProvince(c.birth_province_code())) {
    c.set_birth_province_name(std::string(p->name));
  }
  c.set_permanent_address(std::string(get.ColumnText(5)));
  c.set_ethnicity(std::string(get.ColumnText(6)));
  c.set_nationality(std::string(get.ColumnText(7)));
  c.set_father_personal_id(std::string(get.ColumnText(8)));
  c.set_mother_personal_id(std::string(get.ColumnText(9)));
  absl::StatusOr<v1::Date> death = v1::Date();
  if (get.ColumnIsNull(10)) {
    c.set_life_status(v1::LIFE_STATUS_ALIVE);
  } else {
    c.set_life_status(v1::LIFE_STATUS_DECEASED);
    death = ParseDateText(get.ColumnText(10));
  }
  get.Reset();
  if (!birth.ok()) return birth.status();
  if (!death.ok()) return death.status();
  *c.mutable_date_of_birth() = *birth;
  if (c.life_status() == v1::LIFE_STATUS_DECEASED) *c.mutable_date_of_death() = *death;
  return c;
}

absl::StatusOr<std::vector<v1::Relative>> SqliteResidentStore::ListRelatives(
    absl::string_view personal_id) {
  absl::MutexLock lock(&mu_);
  // One read transaction: a consistent snapshot across the queries.
  NDXP_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  absl::StatusOr<std::vector<v1::Relative>> relatives = ListRelativesLocked(personal_id);
  (void)db_->Exec("COMMIT");  // read-only: nothing to lose if it fails
  return relatives;
}

absl::StatusOr<std::vector<v1::Relative>> SqliteResidentStore::ListRelativesLocked(
    absl::string_view personal_id) {
  Statements& s = *statements_;
  std::optional<std::string> father, mother;
  {
    s.parents_of.Reset();
    absl::Cleanup reset = [&s]() ABSL_NO_THREAD_SAFETY_ANALYSIS { s.parents_of.Reset(); };
    NDXP_RETURN_IF_ERROR(s.parents_of.Bind(1, personal_id));
    NDXP_ASSIGN_OR_RETURN(bool found, s.parents_of.Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("personal_id: no citizen holds personal ID number ", personal_id));
    }
    father = s.parents_of.ColumnOptionalText(0);
    mother = s.parents_of.ColumnOptionalText(1);
  }

  std::vector<v1::Relative> relatives;
  // Appends the current row of a (personal_id, full_name, birth_date) query.
  auto add = [&relatives](const SqliteStatement& row, v1::Relation relation) {
    v1::Relative r;
    r.set_relation(relation);
    r.set_personal_id(std::string(row.ColumnText(0)));
    r.set_full_name(std::string(row.ColumnText(1)));
    NDXP_ASSIGN_OR_RETURN(*r.mutable_date_of_birth(), ParseDateText(row.ColumnText(2)));
    relatives.push_back(std::move(r));
    return absl::OkStatus();
  };
  for (const auto& [id, relation] : {std::pair{&father, v1::RELATION_FATHER},
                                     std::pair{&mother, v1::RELATION_MOTHER}}) {
    if (!id->has_value()) continue;
    s.summary.Reset();
    absl::Cleanup reset = [&s]() ABSL_NO_THREAD_SAFETY_ANALYSIS { s.summary.Reset(); };
    NDXP_RETURN_IF_ERROR(s.summary.Bind(1, **id));
    NDXP_ASSIGN_OR_RETURN(bool found, s.summary.Step());
    if (found) NDXP_RETURN_IF_ERROR(add(s.summary, relation));
  }
  s.children_of.Reset();
  absl::Cleanup reset = [&s]() ABSL_NO_THREAD_SAFETY_ANALYSIS { s.children_of.Reset(); };
  NDXP_RETURN_IF_ERROR(s.children_of.Bind(1, personal_id));
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool row, s.children_of.Step());
    if (!row) break;
    NDXP_RETURN_IF_ERROR(add(s.children_of, v1::RELATION_CHILD));
  }
  return relatives;
}

absl::StatusOr<std::vector<AccessRecord>> SqliteResidentStore::ListAccesses(
    absl::string_view personal_id) {
  absl::MutexLock lock(&mu_);
  SqliteStatement& q = statements_->accesses_to;
  q.Reset();
  NDXP_RETURN_IF_ERROR(q.Bind(1, personal_id));
  std::vector<AccessRecord> records;
  for (;;) {
    absl::StatusOr<bool> row = q.Step();
    if (!row.ok()) {
      q.Reset();
      return row.status();
    }
    if (!*row) break;
    AccessRecord r;
    r.time = absl::FromUnixMicros(q.ColumnInt64(0));
    r.consumer = std::string(q.ColumnText(1));
    r.purpose = std::string(q.ColumnText(2));
    r.request_id = std::string(q.ColumnText(3));
    r.method = std::string(q.ColumnText(4));
    r.personal_id = std::string(q.ColumnText(5));
    r.status = static_cast<absl::StatusCode>(q.ColumnInt64(6));
    records.push_back(std::move(r));
  }
  q.Reset();
  return records;
}

absl::StatusOr<int64_t> SqliteResidentStore::CountCitizens() {
  absl::MutexLock lock(&mu_);
  SqliteStatement& count = statements_->count;
  count.Reset();
  NDXP_ASSIGN_OR_RETURN(bool row, count.Step());
  int64_t n = row ? count.ColumnInt64(0) : 0;
  count.Reset();
  return n;
}

}  // namespace ndxp::residents
