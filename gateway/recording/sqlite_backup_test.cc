#include "gateway/recording/sqlite_backup.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sqlite/sqlite.h"
#include "gateway/recording/audit_checkpoint.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TransactionRecord Call(const std::string& request_id) {
  TransactionRecord record;
  record.time_micros = 1'719'792'000'000'000;  // 2024-07-01
  record.request_id = request_id;
  record.consumer = "000.00.00.G12/tax-lookup";
  record.provider = "000.00.00.G04";
  record.service = "ndxp.residents.v1.ResidentRegistry";
  record.method = "VerifyCitizen";
  return record;
}

std::vector<std::string> RequestIds(const std::string& database) {
  std::vector<std::string> ids;
  auto db = SqliteDatabase::Open(database);
  EXPECT_TRUE(db.ok()) << db.status();
  auto select = (*db)->Prepare("SELECT request_id FROM audit_log ORDER BY id");
  EXPECT_TRUE(select.ok()) << select.status();
  while (*select->Step()) ids.emplace_back(select->ColumnText(0));
  return ids;
}

class SqliteBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = dir_.path() + "/hub.db";
    auto store = SqliteTransactionStore::Open(database_, {});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(store_->Append({Call(absl::StrCat("before-", i))}).ok());
    }
  }

  absl::StatusOr<hub::v1::BackupManifest> Backup(const std::string& out) {
    return BackupSqliteDatabase(database_, out, "test", nullptr);
  }

  ndxp::testing::TempDir dir_;
  std::string database_;
  std::unique_ptr<SqliteTransactionStore> store_;
};

TEST_F(SqliteBackupTest, ACopyWithItsChainHeadRestoresIntact) {
  std::vector<std::pair<int64_t, int64_t>> progress;
  auto manifest = BackupSqliteDatabase(database_, dir_.path() + "/backup", "ndxpctl 1",
                                       [&](int64_t done, int64_t total) {
                                         progress.emplace_back(done, total);
                                       });
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->audit_rows(), 100);
  ASSERT_EQ(manifest->chains_size(), 1);
  EXPECT_EQ(manifest->chains(0).replica(), "hub-1");
  EXPECT_EQ(manifest->chains(0).seq(), 100);
  EXPECT_EQ(manifest->chains(0).hash().size(), 64u);
  EXPECT_EQ(manifest->sha256().size(), 64u);
  EXPECT_EQ(manifest->tool_version(), "ndxpctl 1");
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().first, progress.back().second);
  // One self-contained file and its manifest, nothing half-written.
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir_.path() + "/backup")) {
    files.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(files, ::testing::UnorderedElementsAre("hub.db", "manifest.json"));

  const std::string restored = dir_.path() + "/restored/hub.db";
  auto back = RestoreSqliteDatabase(dir_.path() + "/backup", restored, false);
  ASSERT_TRUE(back.ok()) << back.status();
  std::string report;
  ASSERT_TRUE(SqliteTransactionStore::VerifyAuditChain(restored, &report).ok());
  EXPECT_THAT(report, HasSubstr("100 rows"));
  EXPECT_EQ(RequestIds(restored).size(), 100u);
  // A hub reopening the restored file continues its chain.
  auto reopened = SqliteTransactionStore::Open(restored, {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->last_seq(), 100);
  ASSERT_TRUE((*reopened)->Append({Call("after-restore")}).ok());
  EXPECT_TRUE(SqliteTransactionStore::VerifyAuditChain(restored, nullptr).ok());
}

TEST_F(SqliteBackupTest, TheCopyIsTheSnapshotOfItsStartWhileAWriterGoesOn) {
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  // Another connection keeps writing, as a running hub does.
  std::thread writer([&] {
    SqliteTransactionStore::Options options;
    options.replica = "hub-2";
    auto store = SqliteTransactionStore::Open(database_, options);
    ASSERT_TRUE(store.ok()) << store.status();
    while (!stop) {
      ASSERT_TRUE((*store)->Append({Call(absl::StrCat("during-", appended.load()))}).ok());
      ++appended;
    }
  });
  while (appended < 20) std::this_thread::yield();
  const int before = appended;
  auto manifest = Backup(dir_.path() + "/backup");
  stop = true;
  writer.join();
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  const std::string restored = dir_.path() + "/restored.db";
  ASSERT_TRUE(RestoreSqliteDatabase(dir_.path() + "/backup", restored, false).ok());
  const std::vector<std::string> ids = RequestIds(restored);
  for (int i = 0; i < before; ++i) {
    EXPECT_THAT(ids, ::testing::Contains(absl::StrCat("during-", i)));
  }
  EXPECT_EQ(manifest->audit_rows(), static_cast<int64_t>(ids.size()));
  EXPECT_TRUE(SqliteTransactionStore::VerifyAuditChain(restored, nullptr).ok());
}

TEST_F(SqliteBackupTest, RestoreRefusesAnAlteredCopy) {
  ASSERT_TRUE(Backup(dir_.path() + "/backup").ok());
  {
    std::fstream copy(dir_.path() + "/backup/hub.db", std::ios::in | std::ios::out | std::ios::binary);
    copy.seekp(-100, std::ios::end);
    copy.put('\x5a');
  }
  auto restored = RestoreSqliteDatabase(dir_.path() + "/backup", dir_.path() + "/r.db", false);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(restored.status().message(), HasSubstr("does not match its manifest"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/r.db"));
}

TEST_F(SqliteBackupTest, RestoreRefusesACopyWhoseChainIsNotTheManifests) {
  ASSERT_TRUE(Backup(dir_.path() + "/backup").ok());
  // Rewrite the manifest's head (and nothing else): the chain no longer ends there.
  const std::string path = dir_.path() + "/backup/manifest.json";
  std::ifstream in(path);
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t seq = json.find("\"seq\": \"100\"");
  ASSERT_NE(seq, std::string::npos) << json;
  json.replace(seq, 12, "\"seq\": \"99\"");
  std::ofstream(path, std::ios::trunc) << json;
  auto restored = RestoreSqliteDatabase(dir_.path() + "/backup", dir_.path() + "/r.db", false);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(restored.status().message(), HasSubstr("replica hub-1 seq 100"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/r.db"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/r.db.restoring"));
}

TEST_F(SqliteBackupTest, RestoreKeepsAnExistingFileWithoutForceAndDropsItsJournals) {
  ASSERT_TRUE(Backup(dir_.path() + "/backup").ok());
  const std::string target = dir_.path() + "/old.db";
  std::ofstream(target) << "an older database";
  std::ofstream(target + "-wal") << "its write-ahead log";
  auto refused = RestoreSqliteDatabase(dir_.path() + "/backup", target, false);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(refused.status().message(), HasSubstr("--force"));
  auto forced = RestoreSqliteDatabase(dir_.path() + "/backup", target, true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_FALSE(fs::exists(target + "-wal"));
  EXPECT_EQ(RequestIds(target).size(), 100u);
}

TEST_F(SqliteBackupTest, ABackupCarriesTheCheckpointsItCovers) {
  ::ndxp::testing::TestPki pki;
  const auto hub = pki.Issue("hub", "000.00.00.A01", "hub", /*server=*/true);
  auto signer = CheckpointSigner::FromFiles(hub.cert(), hub.key());
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto signed_head = (*signer)->Sign("hub-1", store_->Head(), 1'719'792'000'000'000);
  ASSERT_TRUE(signed_head.ok()) << signed_head.status();
  ASSERT_TRUE(store_->WriteCheckpoint(*signed_head).ok());

  auto manifest = Backup(dir_.path() + "/backup");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  ASSERT_EQ(manifest->checkpoints_size(), 1);
  EXPECT_EQ(manifest->checkpoints(0).replica(), "hub-1");
  EXPECT_EQ(manifest->checkpoints(0).seq(), 100);
  EXPECT_EQ(manifest->checkpoints(0).hash(), manifest->chains(0).hash());
  EXPECT_TRUE(fs::exists(dir_.path() + "/backup/hub.db.checkpoint.hub-1"));

  // Restored, the copy verifies up to its checkpoint, which can then tell a
  // deleted tail (before, it said "no checkpoint found").
  const std::string restored = dir_.path() + "/restored/hub.db";
  ASSERT_TRUE(RestoreSqliteDatabase(dir_.path() + "/backup", restored, false).ok());
  std::string report;
  ASSERT_TRUE(SqliteTransactionStore::VerifyAuditChain(restored, &report).ok()) << report;
  EXPECT_THAT(report, HasSubstr("checkpoint of replica hub-1: seq 100"));
  EXPECT_THAT(report, ::testing::Not(HasSubstr("no checkpoint found")));
  ASSERT_TRUE((*SqliteDatabase::Open(restored))->Exec("DELETE FROM audit_log WHERE seq > 90").ok());
  EXPECT_EQ(SqliteTransactionStore::VerifyAuditChain(restored, nullptr).code(),
            absl::StatusCode::kDataLoss);

  // Restored over a newer database, the backup's checkpoint replaces the one
  // that signed rows the restored copy does not hold.
  ASSERT_TRUE(store_->Append({Call("after-the-backup")}).ok());
  auto newer = (*signer)->Sign("hub-1", store_->Head(), 1'719'792'100'000'000);
  ASSERT_TRUE(newer.ok() && store_->WriteCheckpoint(*newer).ok());
  SignedCheckpoint other_replica = *newer;
  other_replica.replica = "hub-2";
  ASSERT_TRUE(WriteCheckpointFile(database_, other_replica).ok());
  store_.reset();
  ASSERT_TRUE(RestoreSqliteDatabase(dir_.path() + "/backup", database_, true).ok());
  EXPECT_FALSE(fs::exists(database_ + ".checkpoint.hub-2"));
  ASSERT_TRUE(SqliteTransactionStore::VerifyAuditChain(database_, &report).ok()) << report;
  EXPECT_THAT(report, HasSubstr("checkpoint of replica hub-1: seq 100"));
}

TEST_F(SqliteBackupTest, RestoreRefusesABackupWhoseCheckpointIsMissing) {
  ::ndxp::testing::TestPki pki;
  const auto hub = pki.Issue("hub", "000.00.00.A01", "hub", /*server=*/true);
  auto signer = CheckpointSigner::FromFiles(hub.cert(), hub.key());
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto signed_head = (*signer)->Sign("hub-1", store_->Head(), 1'719'792'000'000'000);
  ASSERT_TRUE(signed_head.ok() && store_->WriteCheckpoint(*signed_head).ok());
  ASSERT_TRUE(Backup(dir_.path() + "/backup").ok());
  fs::remove(dir_.path() + "/backup/hub.db.checkpoint.hub-1");
  auto refused = RestoreSqliteDatabase(dir_.path() + "/backup", dir_.path() + "/r.db", false);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(refused.status().message(), HasSubstr("are not the manifest's"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/r.db"));
}

TEST_F(SqliteBackupTest, ClearErrors) {
  ASSERT_TRUE(Backup(dir_.path() + "/backup").ok());
  auto again = Backup(dir_.path() + "/backup");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("already holds a backup"));

  auto missing = BackupSqliteDatabase(dir_.path() + "/nope.db", dir_.path() + "/b2", "", nullptr);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);

  const std::string other = dir_.path() + "/other.db";
  ASSERT_TRUE((*SqliteDatabase::Open(other))->Exec("CREATE TABLE t (x)").ok());
  auto not_hub = BackupSqliteDatabase(other, dir_.path() + "/b3", "", nullptr);
  EXPECT_FALSE(not_hub.ok());
  EXPECT_THAT(not_hub.status().message(), HasSubstr("not a hub database"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/b3/hub.db"));

  auto no_backup = RestoreSqliteDatabase(dir_.path(), dir_.path() + "/r.db", false);
  EXPECT_EQ(no_backup.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_backup.status().message(), HasSubstr("manifest.json: no such file"));
}

}  // namespace
}  // namespace ndxp::gateway
