#include "connectors/insurance/sqlite_insurance_store.h"

#include <optional>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/identifiers/insurance_codes.h"
#include "connectors/insurance/synthetic_insurance.h"
#include "connectors/runtime/stored_values.h"
#include "common/status/status_util.h"

namespace ndxp::insurance {

using ndxp::SqliteDatabase;
using ndxp::SqliteStatement;
using ndxp::SqliteTransaction;
using ndxp::residents::v1::Date;

namespace {

using ndxp::connectors::DateText;
using ndxp::connectors::ParseDateText;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS insured_persons (
  social_insurance_code TEXT PRIMARY KEY,
  personal_id           TEXT NOT NULL UNIQUE,
  full_name             TEXT NOT NULL,
  birth_date            TEXT NOT NULL,          -- YYYY-MM-DD
  sex                   TEXT NOT NULL CHECK (sex IN ('M', 'F')),
  coverage              TEXT NOT NULL CHECK (coverage IN ('ACTIVE', 'LAPSED', 'NONE')),
  contribution_months   INTEGER NOT NULL,
  -- The card, all NULL when coverage is NONE. Category and benefit level are
  -- read out of card_code.
  card_code             TEXT UNIQUE,
  card_valid_from       TEXT,
  card_valid_to         TEXT,
  primary_care_facility TEXT
) WITHOUT ROWID;

-- IssueChildHealthCard's idempotency keys.
CREATE TABLE IF NOT EXISTS child_card_requests (
  request_id            TEXT PRIMARY KEY,
  social_insurance_code TEXT NOT NULL UNIQUE
                        REFERENCES insured_persons (social_insurance_code)
) WITHOUT ROWID;

INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

constexpr char kColumns[] =
    "social_insurance_code, personal_id, full_name, birth_date, sex, coverage, "
    "contribution_months, card_code, card_valid_from, card_valid_to, primary_care_facility";

const char* CoverageText(v1::CoverageStatus status) {
  switch (status) {
    case v1::COVERAGE_STATUS_ACTIVE:
      return "ACTIVE";
    case v1::COVERAGE_STATUS_LAPSED:
      return "LAPSED";
    default:
      return "NONE";
  }
}

v1::CoverageStatus CoverageOf(absl::string_view text) {
  if (text == "ACTIVE") return v1::COVERAGE_STATUS_ACTIVE;
  if (text == "LAPSED") return v1::COVERAGE_STATUS_LAPSED;
  return v1::COVERAGE_STATUS_NONE;
}

// The row `statement` is on, as a record.
absl::StatusOr<v1::InsuredPerson> ReadRow(const SqliteStatement& row) {
  v1::InsuredPerson person;
  person.set_social_insurance_code(std::string(row.ColumnText(0)));
  person.set_personal_id(std::string(row.ColumnText(1)));
  person.set_full_name(std::string(row.ColumnText(2)));
  NDXP_ASSIGN_OR_RETURN(*person.mutable_date_of_birth(), ParseDateText(row.ColumnText(3)));
  person.set_sex(row.ColumnText(4) == "F" ? ndxp::residents::v1::SEX_FEMALE
                                          : ndxp::residents::v1::SEX_MALE);
  person.set_coverage_status(CoverageOf(row.ColumnText(5)));
  person.set_contribution_months(static_cast<int32_t>(row.ColumnInt64(6)));
  if (!row.ColumnIsNull(7)) {
    v1::HealthInsuranceCard& card = *person.mutable_card();
    card.set_card_code(std::string(row.ColumnText(7)));
    absl::StatusOr<identifiers::HealthInsuranceCardParts> parts =
        identifiers::ParseHealthInsuranceCardCode(card.card_code());
    if (!parts.ok()) {
      return absl::InternalError(absl::StrCat("corrupt card in database: ", parts.status().message()));
    }
    card.set_participant_category(std::string(parts->category->code));
    card.set_benefit_level(parts->benefit_level);
    NDXP_ASSIGN_OR_RETURN(*card.mutable_valid_from(), ParseDateText(row.ColumnText(8)));
    NDXP_ASSIGN_OR_RETURN(*card.mutable_valid_to(), ParseDateText(row.ColumnText(9)));
    card.set_primary_care_facility(std::string(row.ColumnText(10)));
  }
  return person;
}

}  // namespace

struct SqliteInsuranceStore::Statements {
  SqliteStatement by_code;
  SqliteStatement by_personal_id;
  SqliteStatement insert;
  SqliteStatement find_request;
  SqliteStatement insert_request;
  SqliteStatement code_taken;
  SqliteStatement in_code_order;
  SqliteStatement count;

  static absl::StatusOr<std::unique_ptr<Statements>> Prepare(SqliteDatabase& db) {
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement by_code,
        db.Prepare(absl::StrCat("SELECT ", kColumns,
                                " FROM insured_persons WHERE social_insurance_code = ?")));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement by_personal_id,
        db.Prepare(absl::StrCat("SELECT ", kColumns,
                                " FROM insured_persons WHERE personal_id = ?")));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert,
        db.Prepare(absl::StrCat("INSERT INTO insured_persons (", kColumns,
                                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement find_request,
        db.Prepare("SELECT social_insurance_code FROM child_card_requests "
                   "WHERE request_id = ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement insert_request,
        db.Prepare("INSERT INTO child_card_requests (request_id, social_insurance_code) "
                   "VALUES (?, ?)"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement code_taken,
        db.Prepare("SELECT 1 FROM insured_persons WHERE social_insurance_code = ?"));
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement in_code_order,
        db.Prepare(absl::StrCat("SELECT ", kColumns,
                                " FROM insured_persons ORDER BY social_insurance_code "
                                "LIMIT ?")));
    NDXP_ASSIGN_OR_RETURN(SqliteStatement count,
                          db.Prepare("SELECT COUNT(*) FROM insured_persons"));
    return std::unique_ptr<Statements>(new Statements{
        std::move(by_code), std::move(by_personal_id), std::move(insert),
        std::move(find_request), std::move(insert_request), std::move(code_taken),
        std::move(in_code_order), std::move(count)});
  }
};

absl::StatusOr<std::unique_ptr<SqliteInsuranceStore>> SqliteInsuranceStore::Open(
    const std::string& path) {
  return Open(path, Options());
}

absl::StatusOr<std::unique_ptr<SqliteInsuranceStore>> SqliteInsuranceStore::Open(
    const std::string& path, Options options) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(path, options.sqlite));
  NDXP_RETURN_IF_ERROR(db->Exec(kSchema));
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<Statements> statements, Statements::Prepare(*db));
  if (!options.random) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    options.random = [engine] { return (*engine)(); };
  }
  return std::unique_ptr<SqliteInsuranceStore>(
      new SqliteInsuranceStore(std::move(db), std::move(statements), std::move(options)));
}

SqliteInsuranceStore::SqliteInsuranceStore(std::unique_ptr<SqliteDatabase> db,
                                           std::unique_ptr<Statements> statements,
                                           Options options)
    : options_(std::move(options)), db_(std::move(db)), statements_(std::move(statements)) {}

SqliteInsuranceStore::~SqliteInsuranceStore() = default;

// ------------------------------------------------------------------ writes

absl::Status SqliteInsuranceStore::InsertLocked(const v1::InsuredPerson& p) {
  SqliteStatement& insert = statements_->insert;
  insert.Reset();
  std::optional<std::string> card_code, valid_from, valid_to, facility;
  if (p.has_card()) {
    card_code = p.card().card_code();
    valid_from = DateText(p.card().valid_from());
    valid_to = DateText(p.card().valid_to());
    facility = p.card().primary_care_facility();
  }
  NDXP_RETURN_IF_ERROR(insert.BindAll(
      p.social_insurance_code(), p.personal_id(), p.full_name(), DateText(p.date_of_birth()),
      p.sex() == ndxp::residents::v1::SEX_FEMALE ? "F" : "M", CoverageText(p.coverage_status()),
      p.contribution_months(), card_code, valid_from, valid_to, facility));
  return insert.Run();
}

absl::Status SqliteInsuranceStore::InsertInsuredPerson(const v1::InsuredPerson& person) {
  absl::MutexLock lock(&mu_);
  return InsertLocked(person);
}

absl::StatusOr<int64_t> SqliteInsuranceStore::GenerateIfEmpty(uint64_t seed, uint32_t size) {
  absl::MutexLock lock(&mu_);
  return ndxp::connectors::FillSyntheticDataOnce(
      *db_, "SELECT COUNT(*) FROM insured_persons", seed, size,
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<int64_t> {
        int64_t generated = 0;
        NDXP_RETURN_IF_ERROR(GenerateSyntheticInsuranceRegister(
            seed, size,
            [&](const SyntheticInsuranceRecord& record) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              ++generated;
              return InsertLocked(record.person);
            }));
        return generated;
      });
}

absl::StatusOr<std::string> SqliteInsuranceStore::DrawSocialInsuranceCodeLocked(
    absl::string_view province_code) {
  SqliteStatement& taken = statements_->code_taken;
  // 10^8 serials per province against at most a few million people: a free
  // one is almost always found on the first draw.
  for (int attempt = 0; attempt < 32; ++attempt) {
    NDXP_ASSIGN_OR_RETURN(
        std::string code,
        identifiers::MakeSocialInsuranceCode(
            province_code,
            static_cast<int>(options_.random() % identifiers::kSocialInsuranceSerialCount)));
    taken.Reset();
    NDXP_RETURN_IF_ERROR(taken.Bind(1, code));
    NDXP_ASSIGN_OR_RETURN(bool exists, taken.Step());
    taken.Reset();
    if (!exists) return code;
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "no free social insurance code found for province ", province_code, " in 32 draws"));
}

absl::StatusOr<IssuedChildCard> SqliteInsuranceStore::IssueChildHealthCard(
    absl::string_view request_id, absl::string_view province_code,
    const v1::InsuredPerson& child) {
  absl::MutexLock lock(&mu_);
  Statements& s = *statements_;
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));

  s.find_request.Reset();
  NDXP_RETURN_IF_ERROR(s.find_request.Bind(1, request_id));
  NDXP_ASSIGN_OR_RETURN(bool seen, s.find_request.Step());
  if (seen) {
    const std::string code(s.find_request.ColumnText(0));
    s.find_request.Reset();
    NDXP_ASSIGN_OR_RETURN(v1::InsuredPerson earlier,
                          GetOneLocked(s.by_code, code, "social insurance code"));
    if (earlier.personal_id() != child.personal_id()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "request_id \"", request_id, "\" already issued a card to personal ID ",
          earlier.personal_id(), ", not ", child.personal_id()));
    }
    return IssuedChildCard{std::move(earlier), false};  // nothing written: rolls back
  }
  s.find_request.Reset();

  absl::StatusOr<v1::InsuredPerson> holder =
      GetOneLocked(s.by_personal_id, child.personal_id(), "personal ID");
  if (holder.ok()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "personal ID ", child.personal_id(), " is already insured under social insurance code ",
        holder->social_insurance_code(),
        holder->has_card() ? absl::StrCat(" with card ", holder->card().card_code())
                           : std::string(" (no card)")));
  }
  if (!absl::IsNotFound(holder.status())) return holder.status();

  v1::InsuredPerson record = child;
  NDXP_ASSIGN_OR_RETURN(std::string code, DrawSocialInsuranceCodeLocked(province_code));
  record.set_social_insurance_code(code);
  v1::HealthInsuranceCard& card = *record.mutable_card();
  NDXP_ASSIGN_OR_RETURN(
      std::string card_code,
      identifiers::MakeHealthInsuranceCardCode(card.participant_category(),
                                               card.benefit_level(), province_code, code));
  card.set_card_code(card_code);
  NDXP_RETURN_IF_ERROR(InsertLocked(record));
  s.insert_request.Reset();
  NDXP_RETURN_IF_ERROR(s.insert_request.BindAll(request_id, code));
  NDXP_RETURN_IF_ERROR(s.insert_request.Run());
  NDXP_RETURN_IF_ERROR(txn.Commit());
  return IssuedChildCard{std::move(record), true};
}

// ------------------------------------------------------------------- reads

absl::StatusOr<v1::InsuredPerson> SqliteInsuranceStore::GetOneLocked(
    SqliteStatement& statement, absl::string_view key, absl::string_view not_found) {
  statement.Reset();
  NDXP_RETURN_IF_ERROR(statement.Bind(1, key));
  NDXP_ASSIGN_OR_RETURN(bool found, statement.Step());
  if (!found) {
    statement.Reset();
    return absl::NotFoundError(
        absl::StrCat("no insured person with ", not_found, " ", key));
  }
  absl::StatusOr<v1::InsuredPerson> person = ReadRow(statement);
  statement.Reset();
  return person;
}

absl::StatusOr<v1::InsuredPerson> SqliteInsuranceStore::GetByPersonalId(
    absl::string_view personal_id) {
  absl::MutexLock lock(&mu_);
  return GetOneLocked(statements_->by_personal_id, personal_id, "personal ID");
}

absl::StatusOr<v1::InsuredPerson> SqliteInsuranceStore::GetBySocialInsuranceCode(
    absl::string_view social_insurance_code) {
  absl::MutexLock lock(&mu_);
  return GetOneLocked(statements_->by_code, social_insurance_code, "social insurance code");
}

absl::StatusOr<std::vector<v1::InsuredPerson>> SqliteInsuranceStore::ListInCodeOrder(
    int limit) {
  absl::MutexLock lock(&mu_);
  SqliteStatement& list = statements_->in_code_order;
  list.Reset();
  NDXP_RETURN_IF_ERROR(list.Bind(1, limit));
  std::vector<v1::InsuredPerson> people;
  for (;;) {
    absl::StatusOr<bool> row = list.Step();
    if (!row.ok() || !*row) {
      list.Reset();
      if (!row.ok()) return row.status();
      break;
    }
    absl::StatusOr<v1::InsuredPerson> person = ReadRow(list);
    if (!person.ok()) {
      list.Reset();
      return person.status();
    }
    people.push_back(*std::move(person));
  }
  return people;
}

absl::StatusOr<int64_t> SqliteInsuranceStore::CountInsured() {
  absl::MutexLock lock(&mu_);
  SqliteStatement& count = statements_->count;
  count.Reset();
  NDXP_ASSIGN_OR_RETURN(bool has_row, count.Step());
  const int64_t n = has_row ? count.ColumnInt64(0) : 0;
  count.Reset();
  return n;
}

}  // namespace ndxp::insurance
