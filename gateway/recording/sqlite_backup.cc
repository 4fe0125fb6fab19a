#include "gateway/recording/sqlite_backup.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <vector>

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status/status_util.h"
#include "common/tls/openssl_ptr.h"
#include "gateway/recording/audit_checkpoint.h"
#include "gateway/recording/sqlite_transaction_store.h"

namespace ndxp::gateway {
namespace {

namespace fs = std::filesystem;

// Pages copied per backup step: 1,024 pages (4 MiB at 4 KiB pages) between
// progress reports.
constexpr int kPagesPerStep = 1024;

struct CloseSqlite {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, CloseSqlite>;

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat(what, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

absl::StatusOr<SqliteHandle> OpenSqlite(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, absl::StrCat("open ", path));
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

absl::Status Exec(sqlite3* db, const char* sql, absl::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(db, rc, what);
}

// fsync of a file or directory: a backup or restore that returned OK survives a power cut.
absl::Status Sync(const fs::path& path, bool directory) {
  const int fd = open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("open ", path.string(), " to sync"));
  const int rc = fsync(fd);
  close(fd);
  if (rc != 0) return absl::UnavailableError(absl::StrCat("fsync ", path.string()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> Sha256Hex(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path.string()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path.string()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

// SQLite's online backup of `source` into a new file `target`, from one read
// snapshot of `source` (held open for the whole copy, so a hub writing
// meanwhile neither blocks it nor makes it restart), left in rollback journal
// mode so the copy is one self-contained file.
absl::Status CopyDatabase(const std::string& source, const fs::path& target,
                          const BackupProgress& progress) {
  NDXP_ASSIGN_OR_RETURN(SqliteHandle from, OpenSqlite(source, SQLITE_OPEN_READWRITE));
  NDXP_RETURN_IF_ERROR(Exec(from.get(), "PRAGMA query_only = ON", "read-only source"));
  NDXP_RETURN_IF_ERROR(Exec(from.get(),
                            "BEGIN; SELECT count(*) FROM audit_log; SELECT count(*) FROM counters",
                            absl::StrCat(source, " is not a hub database")));
  NDXP_ASSIGN_OR_RETURN(SqliteHandle to, OpenSqlite(target.string(), SQLITE_OPEN_READWRITE |
                                                                          SQLITE_OPEN_CREATE));
  sqlite3_backup* backup = sqlite3_backup_init(to.get(), "main", from.get(), "main");
  if (backup == nullptr) return SqliteError(to.get(), SQLITE_ERROR, "start the backup");
  int rc;
  while ((rc = sqlite3_backup_step(backup, kPagesPerStep)) == SQLITE_OK || rc == SQLITE_BUSY ||
         rc == SQLITE_LOCKED) {
    if (rc != SQLITE_OK) sqlite3_sleep(20);
    if (progress) {
      const int total = sqlite3_backup_pagecount(backup);
      progress(total - sqlite3_backup_remaining(backup), total);
    }
  }
  if (progress) progress(sqlite3_backup_pagecount(backup), sqlite3_backup_pagecount(backup));
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return SqliteError(to.get(), rc, "copy the database");
  NDXP_RETURN_IF_ERROR(Exec(from.get(), "COMMIT", "end the source snapshot"));
  return Exec(to.get(), "PRAGMA journal_mode = DELETE", "make the copy one file");
}

absl::Status WriteManifest(const hub::v1::BackupManifest& manifest, const fs::path& path) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(manifest, &json, options).ok()) {
    return absl::InternalError("cannot encode the manifest");
  }
  const fs::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << json;
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", partial.string()));
  }
  NDXP_RETURN_IF_ERROR(Sync(partial, false));
  std::error_code error;
  fs::rename(partial, path, error);
  if (error) return absl::UnavailableError(absl::StrCat("rename ", partial.string(), ": ",
                                                        error.message()));
  return Sync(path.parent_path(), true);
}

absl::StatusOr<hub::v1::BackupManifest> ReadManifest(const fs::path& dir) {
  const fs::path path = dir / kBackupManifestFile;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": no such file (is ", dir.string(),
                                            " a backup made by ndxpctl backup?)"));
  }
  std::stringstream json;
  json << in.rdbuf();
  hub::v1::BackupManifest manifest;
  if (auto parsed = google::protobuf::util::JsonStringToMessage(json.str(), &manifest);
      !parsed.ok()) {
    return absl::DataLossError(absl::StrCat(path.string(), ": not a backup manifest (",
                                            parsed.message().as_string(), ")"));
  }
  if (manifest.format_version() != 1) {
    return absl::DataLossError(absl::StrCat(path.string(), ": format_version ",
                                            manifest.format_version(), " is not 1"));
  }
  const fs::path file(manifest.database_file());
  if (manifest.database_file().empty() || file.filename() != file) {
    return absl::DataLossError(absl::StrCat(path.string(), ": database_file \"",
                                            manifest.database_file(), "\" is not a file name"));
  }
  return manifest;
}

// The copy's chain heads and row count, after checking its chains.
absl::Status CheckChains(const fs::path& copy, hub::v1::BackupManifest* manifest) {
  NDXP_RETURN_IF_ERROR(SqliteTransactionStore::VerifyAuditChain(copy.string(), nullptr));
  NDXP_ASSIGN_OR_RETURN(std::vector<SqliteTransactionStore::ReplicaHead> heads,
                        SqliteTransactionStore::ReadChainHeads(copy.string()));
  manifest->clear_chains();
  manifest->set_audit_rows(0);
  for (const SqliteTransactionStore::ReplicaHead& head : heads) {
    hub::v1::AuditChainHead* chain = manifest->add_chains();
    chain->set_replica(head.replica);
    chain->set_seq(head.seq);
    chain->set_hash(head.hash_hex);
    // A verified chain holds rows 1..seq.
    manifest->set_audit_rows(manifest->audit_rows() + head.seq);
  }
  return absl::OkStatus();
}

// The signed checkpoints beside `database`, each checked as
// `ndxpctl audit verify` reads them.
absl::StatusOr<std::vector<SignedCheckpoint>> ReadCheckpoints(const std::string& database) {
  std::vector<SignedCheckpoint> checkpoints;
  for (const std::string& path : ListCheckpointFiles(database)) {
    NDXP_ASSIGN_OR_RETURN(SignedCheckpoint checkpoint, ReadCheckpointFile(path, database));
    checkpoints.push_back(std::move(checkpoint));
  }
  return checkpoints;
}

hub::v1::AuditChainHead SignedHead(const SignedCheckpoint& checkpoint) {
  hub::v1::AuditChainHead head;
  head.set_replica(checkpoint.replica);
  head.set_seq(checkpoint.head.seq);
  head.set_hash(absl::BytesToHexString(checkpoint.head.hash));
  return head;
}

std::string Describe(const hub::v1::AuditChainHead& head) {
  return absl::StrCat("replica ", head.replica(), " seq ", head.seq(), " hash ", head.hash());
}

}  // namespace

absl::StatusOr<std::optional<int64_t>> ProcessUsingDatabase(const std::string& database) {
  for (const std::string& path : {database, database + "-shm"}) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return absl::UnavailableError(absl::StrCat("cannot open ", path, " to check its locks"));
    }
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;  // every byte, SQLite's lock bytes beyond the end included
    const int rc = fcntl(fd, F_GETLK, &lock);
    close(fd);
    if (rc != 0) return absl::UnavailableError(absl::StrCat("cannot check the locks of ", path));
    if (lock.l_type != F_UNLCK) return std::optional<int64_t>(lock.l_pid);
  }
  return std::optional<int64_t>();
}

absl::StatusOr<hub::v1::BackupManifest> BackupSqliteDatabase(const std::string& database,
                                                             const std::string& out_dir,
                                                             const std::string& tool_version,
                                                             const BackupProgress& progress) {
  std::error_code error;
  if (!fs::is_regular_file(database, error)) {
    return absl::NotFoundError(absl::StrCat("database ", database, ": no such file"));
  }
  const fs::path dir(out_dir);
  for (const char* name : {kBackupManifestFile, kBackupDatabaseFile}) {
    if (fs::exists(dir / name, error)) {
      return absl::AlreadyExistsError(absl::StrCat(
          out_dir, " already holds a backup (", name, "): give a new directory"));
    }
  }
  fs::create_directories(dir, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot create ", out_dir, ": ", error.message()));
  }

  hub::v1::BackupManifest manifest;
  manifest.set_format_version(1);
  manifest.set_created_at(absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  manifest.set_source(fs::absolute(database, error).string());
  manifest.set_database_file(kBackupDatabaseFile);
  manifest.set_tool_version(tool_version);

  // The checkpoints before the snapshot: each signs rows committed before it
  // was written, so the copy holds every row they cover, and `audit verify`
  // of a restored copy can tell a deleted tail as it can on the original.
  NDXP_ASSIGN_OR_RETURN(std::vector<SignedCheckpoint> checkpoints, ReadCheckpoints(database));

  const fs::path partial = dir / absl::StrCat(kBackupDatabaseFile, ".partial");
  fs::remove(partial, error);
  absl::Status copied = CopyDatabase(database, partial, progress);
  if (copied.ok()) copied = CheckChains(partial, &manifest);
  if (copied.ok()) copied = Sync(partial, false);
  if (!copied.ok()) {
    fs::remove(partial, error);
    return copied;
  }
  fs::rename(partial, dir / kBackupDatabaseFile, error);
  if (error) return absl::UnavailableError(absl::StrCat("rename ", partial.string(), ": ",
                                                        error.message()));
  for (const SignedCheckpoint& checkpoint : checkpoints) {
    NDXP_RETURN_IF_ERROR(WriteCheckpointFile((dir / kBackupDatabaseFile).string(), checkpoint));
    *manifest.add_checkpoints() = SignedHead(checkpoint);
  }
  NDXP_ASSIGN_OR_RETURN(std::string sha256, Sha256Hex(dir / kBackupDatabaseFile));
  manifest.set_sha256(sha256);
  manifest.set_size_bytes(static_cast<int64_t>(fs::file_size(dir / kBackupDatabaseFile)));
  NDXP_RETURN_IF_ERROR(WriteManifest(manifest, dir / kBackupManifestFile));
  return manifest;
}

absl::StatusOr<hub::v1::BackupManifest> RestoreSqliteDatabase(const std::string& from_dir,
                                                              const std::string& database,
                                                              bool force) {
  NDXP_ASSIGN_OR_RETURN(hub::v1::BackupManifest manifest, ReadManifest(from_dir));
  const fs::path copy = fs::path(from_dir) / manifest.database_file();
  std::error_code error;
  if (!fs::is_regular_file(copy, error)) {
    return absl::NotFoundError(absl::StrCat(copy.string(), ": no such file (the manifest names it)"));
  }
  const auto size = static_cast<int64_t>(fs::file_size(copy, error));
  NDXP_ASSIGN_OR_RETURN(std::string sha256, Sha256Hex(copy));
  if (size != manifest.size_bytes() || sha256 != manifest.sha256()) {
    return absl::DataLossError(absl::StrCat(
        copy.string(), " does not match its manifest (", size, " bytes, sha256 ", sha256,
        "; the manifest says ", manifest.size_bytes(), " bytes, sha256 ", manifest.sha256(),
        "): the backup is damaged or was altered; restore another one"));
  }

  // The checkpoints the manifest lists, each as signed when the backup was made.
  NDXP_ASSIGN_OR_RETURN(std::vector<SignedCheckpoint> checkpoints, ReadCheckpoints(copy.string()));
  std::vector<std::string> listed, found_checkpoints;
  for (const auto& head : manifest.checkpoints()) listed.push_back(Describe(head));
  for (const auto& checkpoint : checkpoints) {
    found_checkpoints.push_back(Describe(SignedHead(checkpoint)));
  }
  std::sort(listed.begin(), listed.end());
  std::sort(found_checkpoints.begin(), found_checkpoints.end());
  if (listed != found_checkpoints) {
    return absl::DataLossError(absl::StrCat(
        "the backup's checkpoints (", absl::StrJoin(found_checkpoints, "; "),
        ") are not the manifest's (", absl::StrJoin(listed, "; "), ")"));
  }

  NDXP_ASSIGN_OR_RETURN(std::optional<int64_t> user, ProcessUsingDatabase(database));
  if (user.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        database, " is in use by process ", *user, " (a running hub?): stop it first"));
  }
  if (fs::exists(database, error) && !force) {
    return absl::AlreadyExistsError(
        absl::StrCat(database, " exists: pass --force to replace it with the backup"));
  }

  const fs::path target = fs::absolute(database, error);
  const fs::path restoring = target.string() + ".restoring";
  fs::create_directories(target.parent_path(), error);
  fs::copy_file(copy, restoring, fs::copy_options::overwrite_existing, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot copy ", copy.string(), " to ",
                                               restoring.string(), ": ", error.message()));
  }
  hub::v1::BackupManifest found;
  absl::Status checked = CheckChains(restoring, &found);
  if (checked.ok() && found.chains_size() != manifest.chains_size()) {
    checked = absl::DataLossError(absl::StrCat("the copy has ", found.chains_size(),
                                               " audit chains, the manifest ",
                                               manifest.chains_size()));
  }
  for (int i = 0; checked.ok() && i < found.chains_size(); ++i) {
    const hub::v1::AuditChainHead &got = found.chains(i), &want = manifest.chains(i);
    if (got.replica() != want.replica() || got.seq() != want.seq() || got.hash() != want.hash()) {
      checked = absl::DataLossError(absl::StrCat("the copy's chain head is ", Describe(got),
                                                 ", the manifest's ", Describe(want)));
    }
  }
  if (checked.ok()) checked = Sync(restoring, false);
  if (!checked.ok()) {
    fs::remove(restoring, error);
    return checked;
  }
  // The old database's journal files would be replayed into the restored one.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    fs::remove(target.string() + suffix, error);
  }
  fs::rename(restoring, target, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("rename ", restoring.string(), " to ",
                                               target.string(), ": ", error.message()));
  }
  // The replaced database's checkpoints sign rows the restored one does not
  // hold: the backup's take their place.
  for (const std::string& old : ListCheckpointFiles(target.string())) fs::remove(old, error);
  for (const SignedCheckpoint& checkpoint : checkpoints) {
    NDXP_RETURN_IF_ERROR(WriteCheckpointFile(target.string(), checkpoint));
  }
  NDXP_RETURN_IF_ERROR(Sync(target.parent_path(), true));
  return manifest;
}

}  // namespace ndxp::gateway
