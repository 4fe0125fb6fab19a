// Test helpers for the statistics tests: a hub database in a temporary
// directory, counters planted into it with plain SQL, and request builders.
#ifndef NDXP_GATEWAY_STATISTICS_STATISTICS_TEST_UTIL_H_
#define NDXP_GATEWAY_STATISTICS_STATISTICS_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/sqlite/sqlite.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/statistics/periods.h"
#include "gtest/gtest.h"
#include "ndxp/hub/v1/statistics.pb.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway::statistics::testing {

inline constexpr char kTaxLookup[] = "000.00.00.G12/tax-lookup";
inline constexpr char kBenefits[] = "000.00.01.B05/benefits";
inline constexpr char kPopulationRegistry[] = "000.00.00.H49";
inline constexpr char kDocumentOffice[] = "000.00.00.K10";
inline constexpr char kResidents[] = "ndxp.residents.v1.ResidentRegistry";
inline constexpr char kDocuments[] = "ndxp.documents.v1.Documents";

// One row of the counters table.
struct Counter {
  absl::CivilDay day;
  int64_t count = 0;
  std::string consumer = kTaxLookup;
  std::string provider = kPopulationRegistry;
  std::string service = kResidents;
  std::string method = "GetCitizen";
  int status_code = 0;
  std::string via = "";  // "" for direct calls
  std::string door = "grpc";
};

// A hub database in a fresh temporary directory, with the schema the hub
// creates on first start (made by the hub's own store).
class HubDatabase {
 public:
  HubDatabase() : path_(dir_.path() + "/hub.db") {
    SqliteTransactionStore::Options options;
    options.time_zone = "UTC";
    auto store = SqliteTransactionStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status();
  }

  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_.path(); }

  // Adds counters with plain SQL (summing into existing rows, as the hub does).
  void Plant(const std::vector<Counter>& counters) const {
    auto db = ::ndxp::SqliteDatabase::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status();
    auto upsert = (*db)->Prepare(
        "INSERT INTO counters (day, consumer, provider, service, method, status_code, "
        "count, via, door) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (day, "
        "consumer, via, door, provider, service, method, status_code) DO UPDATE SET count = "
        "count + excluded.count");
    ASSERT_TRUE(upsert.ok()) << upsert.status();
    for (const Counter& c : counters) {
      ASSERT_TRUE(upsert
                      ->BindAll(FormatDay(c.day), c.consumer, c.provider, c.service,
                                c.method, c.status_code, c.count, c.via, c.door)
                      .ok());
      ASSERT_TRUE(upsert->Run().ok());
    }
  }

  // Every counter as "day consumer provider service method status count",
  // in key order.
  std::vector<std::string> Dump() const {
    return DumpCounters(
        "SELECT day, consumer, provider, service, method, status_code, count FROM counters "
        "ORDER BY day, consumer, provider, service, method, status_code");
  }

  // The same of imported history: the complete batches' counters, summed.
  std::vector<std::string> DumpHistory() const {
    return DumpCounters(
        "SELECT day, consumer, provider, service, method, status_code, SUM(count) "
        "FROM history_counters WHERE batch_id IN "
        "(SELECT id FROM history_batches WHERE state = 'complete') "
        "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6");
  }

 private:
  // The rows of `select` (the seven columns of a counter) as Dump prints them.
  std::vector<std::string> DumpCounters(const char* sql) const {
    std::vector<std::string> rows;
    auto db = ::ndxp::SqliteDatabase::Open(path_);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return rows;
    auto select = (*db)->Prepare(sql);
    EXPECT_TRUE(select.ok()) << select.status();
    if (!select.ok()) return rows;
    for (;;) {
      auto has_row = select->Step();
      EXPECT_TRUE(has_row.ok()) << has_row.status();
      if (!has_row.ok() || !*has_row) break;
      rows.push_back(absl::StrCat(select->ColumnText(0), " ", select->ColumnText(1), " ",
                                  select->ColumnText(2), " ", select->ColumnText(3), " ",
                                  select->ColumnText(4), " ", select->ColumnInt64(5), " ",
                                  select->ColumnInt64(6)));
    }
    return rows;
  }

  ndxp::testing::TempDir dir_;
  std::string path_;
};

inline hub::v1::Period AnchoredPeriod(hub::v1::Period::Kind kind, absl::CivilDay anchor) {
  hub::v1::Period period;
  period.set_kind(kind);
  *period.mutable_anchor() = ToProtoDay(anchor);
  return period;
}

inline hub::v1::Period CustomPeriod(absl::CivilDay from, absl::CivilDay to) {
  hub::v1::Period period;
  period.set_kind(hub::v1::Period::CUSTOM);
  *period.mutable_from() = ToProtoDay(from);
  *period.mutable_to() = ToProtoDay(to);
  return period;
}

inline hub::v1::Day MakeDay(int year, int month, int day) {
  hub::v1::Day out;
  out.set_year(year);
  out.set_month(month);
  out.set_day(day);
  return out;
}

// "2026-01-01..2026-06-30", for comparing resolved periods.
inline std::string RangeString(const hub::v1::ResolvedPeriod& period) {
  auto format = [](const hub::v1::Day& d) {
    return FormatDay(absl::CivilDay(d.year(), d.month(), d.day()));
  };
  return absl::StrCat(format(period.from()), "..", format(period.to()));
}

inline std::string RangeString(const DayRange& range) {
  return absl::StrCat(FormatDay(range.from), "..", FormatDay(range.to));
}

}  // namespace ndxp::gateway::statistics::testing

#endif  // NDXP_GATEWAY_STATISTICS_STATISTICS_TEST_UTIL_H_
