// Microbenchmark of TransactionStore::Append: microseconds per batch of 1 and
// of 50 rows, on SQLite durable (an fsync per commit) and not, and on
// PostgreSQL when NDXP_TEST_POSTGRES names a server (scripts/with-postgres
// [--durable]). Only the stores' public API, so that the same file built at
// two commits compares them (e.g. with and without the audit tree):
//   store_append_bench [appends per case, default 1000]
// Prints one line per case: median, mean and p90 of the Append calls; then
// how long SQLite takes to open a file of 100,000 rows whose audit_tiles
// was dropped (with the tree: the build at upgrade).
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/sqlite_transaction_store.h"

namespace ndxp::gateway {
namespace {

TransactionRecord BenchRecord(int64_t n) {
  TransactionRecord r;
  r.time_micros = 1772427600000000 + n;
  r.request_id = absl::StrCat("bench-", n);
  r.consumer = "000.00.00.G12/tax-lookup";
  r.provider = "000.00.00.H49";
  r.service = "ndxp.residents.v1.ResidentRegistry";
  r.method = "GetCitizen";
  r.latency_micros = 1500;
  r.request_bytes = 42;
  r.response_bytes = 512;
  r.purpose = "tax audit";
  return r;
}

// Appends `appends` batches of `batch_size` rows; prints the times.
bool Measure(const std::string& name, TransactionStore& store, int batch_size, int appends) {
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(appends));
  int64_t n = 0;
  for (int i = 0; i < appends; ++i) {
    std::vector<TransactionRecord> batch;
    for (int j = 0; j < batch_size; ++j) batch.push_back(BenchRecord(n++));
    const auto start = std::chrono::steady_clock::now();
    const absl::Status status = store.Append(batch);
    const auto end = std::chrono::steady_clock::now();
    if (!status.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), status.ToString().c_str());
      return false;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  double sum = 0;
  for (double m : micros) sum += m;
  std::sort(micros.begin(), micros.end());
  std::printf("%-28s batch %2d: median %8.1f us  mean %8.1f us  p90 %8.1f us  (%d appends)\n",
              name.c_str(), batch_size, micros[micros.size() / 2], sum / micros.size(),
              micros[micros.size() * 9 / 10], appends);
  return true;
}

// Writes `rows` rows to a new file at `path`, drops audit_tiles (a file
// from before the tree) and times the next Open.
bool MeasureRebuild(const std::string& path, int rows) {
  SqliteTransactionStore::Options options;
  options.fsync_each_commit = false;
  {
    auto store = SqliteTransactionStore::Open(path, options);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return false;
    }
    constexpr int kBatch = 500;
    for (int n = 0; n < rows; n += kBatch) {
      std::vector<TransactionRecord> batch;
      for (int j = 0; j < kBatch; ++j) batch.push_back(BenchRecord(n + j));
      if (absl::Status status = (*store)->Append(batch); !status.ok()) {
        std::fprintf(stderr, "%s\n", status.ToString().c_str());
        return false;
      }
    }
  }
  sqlite3* db = nullptr;
  const bool dropped = sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
                       sqlite3_exec(db, "DROP TABLE IF EXISTS audit_tiles", nullptr, nullptr,
                                    nullptr) == SQLITE_OK;
  sqlite3_close(db);
  if (!dropped) {
    std::fprintf(stderr, "%s: cannot drop audit_tiles\n", path.c_str());
    return false;
  }
  const auto start = std::chrono::steady_clock::now();
  auto store = SqliteTransactionStore::Open(path, options);
  const auto end = std::chrono::steady_clock::now();
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return false;
  }
  std::printf("sqlite open of %d rows without audit_tiles: %.1f ms\n", rows,
              std::chrono::duration<double, std::milli>(end - start).count());
  return true;
}

int Run(int appends) {
  const std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                       "/ndxp-append-bench-", getpid());
  std::filesystem::create_directories(dir);
  bool ok = true;
  for (bool fsync : {true, false}) {
    for (int batch_size : {1, 50}) {
      SqliteTransactionStore::Options options;
      options.fsync_each_commit = fsync;
      const std::string path = absl::StrCat(dir, "/", fsync, "-", batch_size, ".db");
      auto store = SqliteTransactionStore::Open(path, options);
      if (!store.ok()) {
        std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
        return 1;
      }
      ok = ok && Measure(fsync ? "sqlite durable" : "sqlite synchronous=NORMAL", **store,
                         batch_size, appends);
    }
  }
  ok = ok && MeasureRebuild(absl::StrCat(dir, "/rebuild.db"), 100000);
  std::filesystem::remove_all(dir);
  if (const char* server = std::getenv("NDXP_TEST_POSTGRES"); server != nullptr) {
    for (int batch_size : {1, 50}) {
      PostgresTransactionStore::Options options;
      options.replica = absl::StrCat("bench-", getpid(), "-", batch_size);
      auto store = PostgresTransactionStore::Open(server, options);
      if (!store.ok()) {
        std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
        return 1;
      }
      ok = ok && Measure("postgres", **store, batch_size, appends);
    }
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace ndxp::gateway

int main(int argc, char** argv) {
  const int appends = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (appends <= 0) {
    std::fprintf(stderr, "usage: %s [appends per case, > 0]\n", argv[0]);
    return 2;
  }
  return ndxp::gateway::Run(appends);
}
