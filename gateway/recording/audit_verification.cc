#include "gateway/recording/audit_verification.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status/status_util.h"
#include "gateway/recording/audit_tree.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::gateway {
namespace {

using transparency::Hash;
using transparency::kTileWidth;

// Tree checkpoints read per query: a replica signs one a minute at most.
constexpr int kTreeCheckpointBatch = 256;

// How many leaves a full tile of `level` spans: 256^(level + 1).
int64_t TileSpan(int level) {
  int64_t span = kTileWidth;
  for (int l = 0; l < level; ++l) span *= kTileWidth;
  return span;
}

}  // namespace

struct AuditVerification::ReplicaTree {
  std::string replica;
  transparency::MemoryTileStore tree{transparency::MemoryTileStore::Keep::kRightEdge};
  // Leaves not yet appended to `tree` (appended a tile or a checkpoint at a
  // time), and the row ids of the current level-0 tile, to name a row.
  std::vector<Hash> pending;
  std::vector<int64_t> tile_row_ids;
  // The leaves the stored level-0 tiles cover: the first one missing ends
  // them (a build at the hub's start cut off); max while none is missing.
  int64_t tiled_leaves = std::numeric_limits<int64_t>::max();
  int64_t tiles_checked = 0;
  // The next signed tree checkpoints, by size; `exhausted` once read to the end.
  std::deque<StoredTreeCheckpoint> checkpoints;
  bool exhausted = false;
  int64_t checkpoints_checked = 0;
  int64_t newest_checkpoint = -1;

  int64_t size() const { return tree.size() + static_cast<int64_t>(pending.size()); }
};

AuditVerification::~AuditVerification() = default;

absl::StatusOr<std::pair<std::string, ChainHead>> ParseExpectedHead(absl::string_view text) {
  // Split from the right: a replica name may itself hold ':'.
  const size_t hash_colon = text.rfind(':');
  const size_t seq_colon =
      hash_colon == absl::string_view::npos || hash_colon == 0 ? absl::string_view::npos
                                                                : text.rfind(':', hash_colon - 1);
  const absl::string_view hex =
      hash_colon == absl::string_view::npos ? "" : text.substr(hash_colon + 1);
  const size_t seq_start = seq_colon == absl::string_view::npos ? 0 : seq_colon + 1;
  const absl::string_view seq_text =
      hash_colon == absl::string_view::npos ? text : text.substr(seq_start, hash_colon - seq_start);
  std::pair<std::string, ChainHead> head;
  if (seq_colon != absl::string_view::npos) head.first = std::string(text.substr(0, seq_colon));
  if (!absl::SimpleAtoi(seq_text, &head.second.seq) || head.second.seq < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--expect-head \"", text, "\": expected [REPLICA:]SEQ:HASH with SEQ a number >= 1"));
  }
  bool hex_ok = hex.size() == 2 * kAuditHashSize;
  for (char c : hex) hex_ok = hex_ok && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!hex_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--expect-head \"", text, "\": HASH must be ", 2 * kAuditHashSize, " hex digits"));
  }
  head.second.hash = absl::HexStringToBytes(hex);
  return head;
}

AuditVerification::AuditVerification(std::string database, const AuditVerifyOptions& options)
    : database_(std::move(database)), options_(options), chain_(database_) {
  for (const auto& [replica, head] : options_.expect_heads) {
    chain_.Expect(replica, head, absl::StrCat("--expect-head seq ", head.seq));
  }
}

absl::Status AuditVerification::Start() {
  if (!absl::LoadTimeZone(options_.time_zone, &time_zone_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone \"", options_.time_zone, "\""));
  }
  for (const std::string& vkey : options_.witness_vkeys) {
    absl::StatusOr<transparency::CosignatureVerifier> witness =
        transparency::CosignatureVerifier::FromVkey(vkey);
    if (!witness.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--witness-vkey: ", witness.status().message()));
    }
    const std::string key = transparency::WitnessKeyOf(witness->key());
    witness_checked_.emplace(key, CheckedWitness{*std::move(witness)});
  }
  counters_ = std::make_unique<CounterReconciler>(time_zone_);
  for (const std::string& path : options_.log_vkey_files) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    if (!file) {
      return absl::InvalidArgumentError(absl::StrCat("--log-vkey ", path, ": cannot be read"));
    }
    std::string vkey(absl::StripAsciiWhitespace(text.str()));
    absl::StatusOr<transparency::Ed25519NoteVerifier> verifier =
        transparency::Ed25519NoteVerifier::FromVkey(vkey);
    if (!verifier.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--log-vkey ", path, ": ", verifier.status().message()));
    }
    log_vkeys_.push_back(std::move(vkey));
  }
  return absl::OkStatus();
}

absl::Status AuditVerification::AddCheckpoint(const SignedCheckpoint& checkpoint,
                                              absl::string_view source) {
  absl::StatusOr<std::string> signer = VerifyCheckpoint(checkpoint, options_.ca_file);
  if (!signer.ok()) {
    return absl::Status(signer.status().code(),
                        absl::StrCat(source, ": ", signer.status().message()));
  }
  const std::string when =
      absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", absl::FromUnixMicros(checkpoint.time_micros),
                       absl::UTCTimeZone());
  chain_.Expect(checkpoint.replica, checkpoint.head,
                absl::StrCat("the checkpoint of ", when));
  absl::StrAppend(&checkpoints_report_, "  checkpoint of replica ", checkpoint.replica, ": seq ",
                  checkpoint.head.seq, " at ", when, ", signed by ", *signer,
                  options_.ca_file.empty() ? " (certificate not checked: no --ca)" : "", "\n");
  return absl::OkStatus();
}

absl::Status AuditVerification::AddTreeCosignature(absl::string_view replica, int64_t tree_size,
                                                  absl::string_view note,
                                                  absl::string_view witness_key,
                                                  int64_t time_seconds, absl::string_view line) {
  auto checked = witness_checked_.find(std::string(witness_key));
  if (checked != witness_checked_.end()) {
    // The checkpoint's text with this line alone: the note as the witness
    // signed it, opened with its key.
    const size_t blank = note.find("\n\n");
    const std::string where = absl::StrCat("replica ", replica, "'s checkpoint of tree size ",
                                           tree_size, ": witness ", witness_key);
    if (blank == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat(where, ": the stored checkpoint is not a note"));
    }
    absl::StatusOr<transparency::OpenedNote> opened =
        transparency::OpenNote(absl::StrCat(note.substr(0, blank + 2), line, "\n"),
                               {&checked->second.verifier});
    absl::StatusOr<int64_t> time =
        opened.ok() && !opened->verified.empty()
            ? transparency::CosignatureTime(opened->verified[0].signature)
            : absl::StatusOr<int64_t>(absl::DataLossError("does not verify"));
    if (!time.ok() || *time != time_seconds) {
      return absl::DataLossError(absl::StrCat(
          where, ": its stored cosignature does not verify (",
          !opened.ok() ? opened.status().message() : "its time is not the one stored",
          "): forged, altered, or of another checkpoint"));
    }
    ++checked->second.checked;
  }
  auto [at, added] = cosigned_.try_emplace({std::string(replica), std::string(witness_key)},
                                           tree_size, time_seconds);
  if (!added && tree_size > at->second.first) at->second = {tree_size, time_seconds};
  return absl::OkStatus();
}

absl::Status AuditVerification::AddRow(int64_t id, const AuditFields& row,
                                       absl::string_view stored_prev,
                                       absl::string_view stored_hash) {
  NDXP_RETURN_IF_ERROR(
      chain_.Add(id, row.replica, row.seq, EncodeAuditFields(row), stored_prev, stored_hash));
  counters_->AddAuditRow(row.time_micros,
                         {std::string(row.consumer), std::string(row.via),
                          std::string(row.door), std::string(row.provider),
                          std::string(row.service), std::string(row.method), row.status_code,
                          !row.refusal.empty()},
                         row.repeat);
  if (tree_reader_ == nullptr) return absl::OkStatus();
  // The chain checked that the replica's rows run seq 1, 2, ...: leaf seq - 1.
  if (tree_ == nullptr || tree_->replica != row.replica) {
    NDXP_RETURN_IF_ERROR(FinishTree());
    NDXP_RETURN_IF_ERROR(StartTree(row.replica));
  }
  return AddLeaf(id, RowLeafHash(row));
}

absl::Status AuditVerification::TreeBroken(absl::string_view what) const {
  return absl::DataLossError(absl::StrCat("audit tree broken in ", database_, ": replica ",
                                          tree_->replica, ": ", what));
}

absl::Status AuditVerification::StartTree(absl::string_view replica) {
  tree_ = std::make_unique<ReplicaTree>();
  tree_->replica = std::string(replica);
  tree_replicas_seen_.insert(tree_->replica);
  return CheckDueTreeCheckpoints();  // one of size 0
}

absl::Status AuditVerification::AddLeaf(int64_t id, const Hash& leaf) {
  ReplicaTree& t = *tree_;
  t.pending.push_back(leaf);
  t.tile_row_ids.push_back(id);
  const int64_t size = t.size();
  if (size % kTileWidth == 0 ||
      (!t.checkpoints.empty() && t.checkpoints.front().tree_size == size)) {
    NDXP_RETURN_IF_ERROR(FlushLeaves());
  }
  return absl::OkStatus();
}

absl::Status AuditVerification::FlushLeaves() {
  ReplicaTree& t = *tree_;
  if (!t.pending.empty()) {
    NDXP_ASSIGN_OR_RETURN(std::vector<transparency::Tile> changed, t.tree.Append(t.pending));
    t.pending.clear();
    // Lower levels first: a missing level-0 tile ends what the levels above
    // may hold.
    std::sort(changed.begin(), changed.end(),
              [](const transparency::Tile& a, const transparency::Tile& b) {
                return std::make_pair(a.level, a.index) < std::make_pair(b.level, b.index);
              });
    for (const transparency::Tile& tile : changed) {
      if (tile.hashes.size() == kTileWidth) NDXP_RETURN_IF_ERROR(CheckTile(tile));
    }
    if (t.tree.size() % kTileWidth == 0) t.tile_row_ids.clear();
  }
  return CheckDueTreeCheckpoints();
}

absl::Status AuditVerification::CheckTile(const transparency::Tile& tile) {
  ReplicaTree& t = *tree_;
  const std::string name = absl::StrCat("tile level ", tile.level, " index ", tile.index);
  const bool covered = (tile.index + 1) * TileSpan(tile.level) <= t.tiled_leaves;
  NDXP_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                        tree_reader_->ReadTile(t.replica, tile.level, tile.index));
  if (!stored.has_value()) {
    if (tile.level == 0 && covered) {
      // Not an error by itself: a database from before the tree, or its
      // build cut off, is tiled at the hub's next start. Tiles past it are.
      t.tiled_leaves = tile.index * kTileWidth;
      return absl::OkStatus();
    }
    if (covered) {
      return TreeBroken(absl::StrCat(name, " is missing, though the level-0 tiles below it "
                                           "are stored"));
    }
    return absl::OkStatus();
  }
  if (!covered) {
    return TreeBroken(absl::StrCat(name, " is stored, but level-0 tile ",
                                   t.tiled_leaves / kTileWidth,
                                   " below it is not: a tile the rows did not make"));
  }
  absl::StatusOr<std::vector<Hash>> hashes = DecodeFullTile(*stored);
  if (!hashes.ok()) return TreeBroken(absl::StrCat(name, ": ", hashes.status().message()));
  for (size_t i = 0; i < tile.hashes.size(); ++i) {
    if ((*hashes)[i] == tile.hashes[i]) continue;
    if (tile.level == 0) {
      const int64_t leaf = tile.index * kTileWidth + static_cast<int64_t>(i);
      return TreeBroken(absl::StrCat(
          name, " disagrees with the rows at leaf ", leaf, " (row seq ", leaf + 1, ", id ",
          i < t.tile_row_ids.size() ? absl::StrCat(t.tile_row_ids[i]) : "?",
          "): the tile was altered, or the row edited after its leaf was tiled"));
    }
    const int64_t span = TileSpan(tile.level - 1);
    const int64_t first = (tile.index * kTileWidth + static_cast<int64_t>(i)) * span;
    return TreeBroken(absl::StrCat(name, " disagrees with the rows at hash ", i,
                                   " (the subtree of leaves ", first, "..", first + span - 1,
                                   "): the tile was altered"));
  }
  ++t.tiles_checked;
  return absl::OkStatus();
}

absl::Status AuditVerification::CheckDueTreeCheckpoints() {
  ReplicaTree& t = *tree_;
  for (;;) {
    if (t.checkpoints.empty() && !t.exhausted) {
      NDXP_ASSIGN_OR_RETURN(std::vector<StoredTreeCheckpoint> next,
                            tree_reader_->ReadTreeCheckpoints(t.replica, t.newest_checkpoint,
                                                              kTreeCheckpointBatch));
      t.exhausted = next.size() < static_cast<size_t>(kTreeCheckpointBatch);
      for (StoredTreeCheckpoint& checkpoint : next) t.checkpoints.push_back(std::move(checkpoint));
    }
    if (t.checkpoints.empty() || t.checkpoints.front().tree_size != t.tree.size()) {
      return absl::OkStatus();
    }
    NDXP_RETURN_IF_ERROR(CheckTreeCheckpoint(t.checkpoints.front()));
    t.newest_checkpoint = t.checkpoints.front().tree_size;
    t.checkpoints.pop_front();
  }
}

absl::Status AuditVerification::CheckTreeCheckpoint(const StoredTreeCheckpoint& stored) {
  ReplicaTree& t = *tree_;
  const std::string name = absl::StrCat("the signed tree checkpoint of size ", stored.tree_size);
  const size_t blank = stored.note.find("\n\n");
  if (blank == std::string::npos) {
    return TreeBroken(absl::StrCat(name, ": not a signed note (no blank line)"));
  }
  absl::StatusOr<transparency::Checkpoint> checkpoint =
      transparency::ParseCheckpoint(absl::string_view(stored.note).substr(0, blank + 1));
  if (!checkpoint.ok()) {
    return TreeBroken(absl::StrCat(name, ": ", checkpoint.status().message()));
  }
  if (checkpoint->tree_size != stored.tree_size) {
    return TreeBroken(absl::StrCat(name, " states size ", checkpoint->tree_size));
  }
  const std::string suffix = absl::StrCat("/audit/", t.replica);
  if (!absl::EndsWith(checkpoint->origin, suffix)) {
    return TreeBroken(absl::StrCat(name, " is of another log: origin ", checkpoint->origin));
  }
  if (!log_vkeys_.empty()) {
    absl::Status opened =
        transparency::OpenTreeCheckpoint(stored.note, checkpoint->origin, log_vkeys_).status();
    if (!opened.ok()) {
      return TreeBroken(absl::StrCat(name, " is not signed by a --log-vkey key: ",
                                     opened.message()));
    }
  }
  NDXP_ASSIGN_OR_RETURN(Hash root, transparency::TreeRoot(t.tree.size(), t.tree));
  if (root != checkpoint->root) {
    return TreeBroken(absl::StrCat(name, " states root ", transparency::HashHex(checkpoint->root),
                                   ", the rows make ", transparency::HashHex(root)));
  }
  ++t.checkpoints_checked;
  ++tree_checkpoints_checked_;
  return absl::OkStatus();
}

absl::Status AuditVerification::FinishTree() {
  if (tree_ == nullptr) return absl::OkStatus();
  NDXP_RETURN_IF_ERROR(FlushLeaves());
  ReplicaTree& t = *tree_;
  if (!t.checkpoints.empty()) {
    return TreeBroken(absl::StrCat("the signed tree checkpoint of size ",
                                   t.checkpoints.front().tree_size, " is beyond its ",
                                   t.tree.size(), " rows: rows deleted at the end"));
  }
  NDXP_ASSIGN_OR_RETURN(int64_t stored_tiles, tree_reader_->CountTiles(t.replica));
  if (stored_tiles != t.tiles_checked) {
    return TreeBroken(absl::StrCat(stored_tiles, " tiles stored, but its ", t.tree.size(),
                                   " rows make ", t.tiles_checked,
                                   " of them: tiles for rows not in the log"));
  }
  absl::StrAppend(&trees_report_, "  tree of replica ", t.replica, ": ", t.tree.size(),
                  " leaves, ", t.tiles_checked, " full tile", t.tiles_checked == 1 ? "" : "s",
                  " agree", t.tiles_checked == 1 ? "s" : "", " with the rows");
  if (t.tiled_leaves < t.tree.size()) {
    absl::StrAppend(&trees_report_, " (tiled up to leaf ", t.tiled_leaves,
                    ": the hub tiles the rest at its next start)");
  }
  absl::StrAppend(&trees_report_, ", ", t.checkpoints_checked, " tree checkpoint",
                  t.checkpoints_checked == 1 ? "" : "s", " checked");
  if (t.checkpoints_checked > 0) {
    absl::StrAppend(&trees_report_, " (newest: tree size ", t.newest_checkpoint, ")",
                    log_vkeys_.empty() ? ", signatures not checked: no --log-vkey" : "");
  }
  absl::StrAppend(&trees_report_, "\n");
  tree_.reset();
  return absl::OkStatus();
}

void AuditVerification::AddCounter(absl::string_view day, const CounterKey& key, int64_t count) {
  counters_->AddCounter(day, key, count);
}

absl::Status AuditVerification::Finish(std::string* report) {
  NDXP_RETURN_IF_ERROR(chain_.Finish());
  NDXP_RETURN_IF_ERROR(counters_->Check(database_));
  if (tree_reader_ != nullptr) {
    NDXP_RETURN_IF_ERROR(FinishTree());
    // A replica with tiles or tree checkpoints but no rows left.
    NDXP_ASSIGN_OR_RETURN(std::vector<std::string> replicas, tree_reader_->ListTreeReplicas());
    for (const std::string& replica : replicas) {
      if (tree_replicas_seen_.count(replica) > 0) continue;
      NDXP_RETURN_IF_ERROR(StartTree(replica));
      NDXP_RETURN_IF_ERROR(FinishTree());
    }
  }
  if (report != nullptr) {
    std::string trees = trees_report_;
    if (tree_reader_ == nullptr) {
      trees = "  no tree stored (a database from before the audit tree)\n";
    }
    absl::StrAppend(&trees, "  ", tree_checkpoints_checked_, " tree checkpoint",
                    tree_checkpoints_checked_ == 1 ? "" : "s", " checked",
                    log_vkeys_.empty() ? "" : ", each signed by a --log-vkey key", "\n");
    std::string witnesses;
    for (const auto& [replica_witness, largest] : cosigned_) {
      const auto& [replica, witness] = replica_witness;
      auto checked = witness_checked_.find(witness);
      absl::StrAppend(
          &witnesses, "  witness ", witness, " cosigned replica ", replica, " up to tree size ",
          largest.first, " at ",
          absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", absl::FromUnixSeconds(largest.second),
                           absl::UTCTimeZone()),
          checked == witness_checked_.end()
              ? " (cosignatures not checked: no --witness-vkey)"
              : absl::StrCat(" (", checked->second.checked, " cosignature(s) verified)"),
          "\n");
    }
    for (const auto& [witness, given] : witness_checked_) {
      if (given.checked == 0) absl::StrAppend(&witnesses, "  witness ", witness, " cosigned nothing\n");
    }
    *report = absl::StrCat(chain_.Report(),
                           checkpoints_report_.empty() ? "  no checkpoint found\n"
                                                       : checkpoints_report_,
                           trees, witnesses, counters_->Report());
  }
  return absl::OkStatus();
}

}  // namespace ndxp::gateway
