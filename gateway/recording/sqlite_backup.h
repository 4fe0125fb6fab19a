// Backups of the hub's SQLite database (docs/operations.md): a consistent
// copy taken with SQLite's online backup API while the hub keeps writing,
// with a manifest beside it (checksum, every replica's audit-chain head), and
// its restore, which checks both before the copy takes the database's place.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(hub::v1::BackupManifest made,
//                         BackupSqliteDatabase("/var/lib/ndxp/hub.db", "/backup/2024-07-01",
//                                              "ndxpctl 0.1.0", nullptr));
//   ...
//   NDXP_ASSIGN_OR_RETURN(hub::v1::BackupManifest restored,
//                         RestoreSqliteDatabase("/backup/2024-07-01", "/var/lib/ndxp/hub.db",
//                                               /*force=*/false));
//
// A backup directory holds `hub.db` (a single-file database in rollback
// journal mode; the hub turns WAL back on when it opens it) and
// `manifest.json` (ndxp.hub.v1.BackupManifest), written last: a directory
// without a manifest is not a backup. Functions are thread-compatible; they
// block for as long as the copy and the chain check take.
#ifndef NDXP_GATEWAY_RECORDING_SQLITE_BACKUP_H_
#define NDXP_GATEWAY_RECORDING_SQLITE_BACKUP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "ndxp/hub/v1/backup.pb.h"

namespace ndxp::gateway {

inline constexpr char kBackupDatabaseFile[] = "hub.db";
inline constexpr char kBackupManifestFile[] = "manifest.json";

// Called while a long step runs: `done` of `total` units (database pages
// while copying).
using BackupProgress = std::function<void(int64_t done, int64_t total)>;

// Copies `database` (a hub's SQLite file, which a running hub may be writing:
// the copy is the snapshot of the moment the backup starts, holding every
// transaction committed before it) into `out_dir` (created if needed; it must
// not hold a backup already), checks the copy's audit chains and writes the
// manifest. `tool_version` goes into the manifest; `progress` may be null.
// NOT_FOUND when `database` is not a hub database; ALREADY_EXISTS when
// `out_dir` holds a backup; DATA_LOSS when the copy's chain is broken (the
// source's is then too: run `ndxpctl audit verify`).
absl::StatusOr<hub::v1::BackupManifest> BackupSqliteDatabase(const std::string& database,
                                                             const std::string& out_dir,
                                                             const std::string& tool_version,
                                                             const BackupProgress& progress);

// Puts the backup in `from_dir` in `database`'s place: checks the copy's size
// and checksum against the manifest, copies it beside `database`, verifies
// its audit chains and that their heads are the manifest's, then renames it
// into place (removing the old database's -wal and -shm files, which belong
// to the file it replaces). NOT_FOUND for a directory without a manifest or
// copy; DATA_LOSS when the copy does not match its manifest or its chain is
// broken; FAILED_PRECONDITION when a process has `database` open (a running
// hub), whatever `force`; ALREADY_EXISTS when `database` exists and `force`
// is false. Nothing at `database` changes unless it returns OK.
absl::StatusOr<hub::v1::BackupManifest> RestoreSqliteDatabase(const std::string& from_dir,
                                                              const std::string& database,
                                                              bool force);

// The id of a process holding SQLite's locks on `database` or its -shm file
// (every open connection to a WAL database holds one), nullopt when none
// does. Locks held by this process are not seen (POSIX record locks).
absl::StatusOr<std::optional<int64_t>> ProcessUsingDatabase(const std::string& database);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_SQLITE_BACKUP_H_
