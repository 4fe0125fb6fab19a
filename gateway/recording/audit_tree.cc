#include "gateway/recording/audit_tree.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/status/status_util.h"

namespace ndxp::gateway {
namespace {

using transparency::Hash;
using transparency::kTileWidth;
using transparency::Tile;
using transparency::TileId;

// Rows read and tiles written per transaction when building a tree at open:
// a multiple of 256, so every transaction ends on a whole tile.
constexpr int64_t kBuildChunkRows = 64 * kTileWidth;

// The root of the complete subtree whose 256 bottom hashes are `hashes`: the
// hash a full tile of level L gives level L + 1.
Hash FullTileRoot(std::vector<Hash> level) {
  while (level.size() > 1) {
    for (size_t i = 0; i < level.size() / 2; ++i) {
      level[i] = transparency::NodeHash(level[2 * i], level[2 * i + 1]);
    }
    level.resize(level.size() / 2);
  }
  return level.front();
}

// A replica's tiles read from its store: full ones from audit_tiles, partial
// ones computed (level 0 from the rows, level L from the full tiles of L - 1).
class StoredTileReader final : public transparency::TileReader {
 public:
  StoredTileReader(AuditTreeSource* source, absl::string_view replica)
      : source_(source), replica_(replica) {}

  absl::StatusOr<std::vector<std::vector<Hash>>> ReadTiles(
      absl::Span<const TileId> ids) const override {
    std::vector<TileKey> keys;
    keys.reserve(ids.size());
    for (const TileId& id : ids) keys.emplace_back(id.level, id.index);
    NDXP_ASSIGN_OR_RETURN(FullTiles stored, source_->ReadFullTiles(replica_, keys));
    std::vector<std::vector<Hash>> tiles;
    tiles.reserve(ids.size());
    for (const TileId& id : ids) {
      auto it = stored.find({id.level, id.index});
      if (it != stored.end()) {
        tiles.push_back(std::move(it->second));
        continue;
      }
      if (id.width >= kTileWidth) return Missing(id, "is not stored");
      NDXP_ASSIGN_OR_RETURN(std::vector<Hash> partial, Partial(id));
      tiles.push_back(std::move(partial));
    }
    return tiles;
  }

 private:
  absl::StatusOr<std::vector<Hash>> Partial(const TileId& id) const {
    const int64_t first = id.index * kTileWidth;  // at the tile's level
    if (id.level == 0) {
      NDXP_ASSIGN_OR_RETURN(std::vector<Hash> leaves,
                            source_->ReadLeafHashes(replica_, first + 1, id.width));
      if (leaves.size() < static_cast<size_t>(id.width)) {
        return Missing(id,
                       absl::StrCat("needs row seq ", first + id.width, ", the log has ",
                                    first + static_cast<int64_t>(leaves.size()), " rows or fewer"));
      }
      return leaves;
    }
    std::vector<TileKey> below;
    for (int64_t i = 0; i < id.width; ++i) below.emplace_back(id.level - 1, first + i);
    NDXP_ASSIGN_OR_RETURN(FullTiles tiles, source_->ReadFullTiles(replica_, below));
    std::vector<Hash> hashes;
    hashes.reserve(below.size());
    for (const TileKey& key : below) {
      auto it = tiles.find(key);
      if (it == tiles.end()) {
        return Missing(
            id, absl::StrCat("needs full tile ", key.first, "/", key.second, ", not stored"));
      }
      hashes.push_back(FullTileRoot(std::move(it->second)));
    }
    return hashes;
  }

  absl::Status Missing(const TileId& id, absl::string_view why) const {
    return absl::NotFoundError(absl::StrCat("audit tree of replica ", replica_, ": tile ", id.level,
                                            "/", id.index, " (width ", id.width, ") ", why));
  }

  AuditTreeSource* const source_;
  const std::string replica_;
};

}  // namespace

std::string EncodeTileHashes(absl::Span<const Hash> hashes) {
  std::string bytes(hashes.size() * sizeof(Hash), '\0');
  for (size_t i = 0; i < hashes.size(); ++i) {
    std::memcpy(&bytes[i * sizeof(Hash)], hashes[i].data(), sizeof(Hash));
  }
  return bytes;
}

absl::StatusOr<std::vector<Hash>> DecodeFullTile(absl::string_view bytes) {
  if (bytes.size() != kTileWidth * sizeof(Hash)) {
    return absl::DataLossError(absl::StrCat("audit_tiles: a tile holds ", bytes.size(),
                                            " bytes, not ", kTileWidth * sizeof(Hash)));
  }
  std::vector<Hash> hashes(kTileWidth);
  for (size_t i = 0; i < hashes.size(); ++i) {
    std::memcpy(hashes[i].data(), bytes.data() + i * sizeof(Hash), sizeof(Hash));
  }
  return hashes;
}

absl::Status AuditTree::Load(int64_t rows) {
  NDXP_ASSIGN_OR_RETURN(const int64_t tiled, source_->ReadTiledSize(replica_));
  if (tiled > rows) {
    return absl::DataLossError(absl::StrCat("audit tree of replica ", replica_, ": its tiles hold ",
                                            tiled, " leaves, the log has ", rows,
                                            " rows; run audit verify"));
  }
  const StoredTileReader reader(source_, replica_);
  NDXP_ASSIGN_OR_RETURN(transparency::MemoryTileStore edge,
                        transparency::MemoryTileStore::ResumeRightEdge(tiled, reader));
  // Past the stored tiles: at most 255 rows of the right edge, unless the
  // tree is being built.
  const bool building = rows - tiled >= kTileWidth;
  auto progress = [&](int64_t done) {
    logging::Log("recording")
        .info("building the audit tree of replica {}: {}/{} rows", replica_, done, rows);
  };
  if (building) progress(tiled);
  for (int64_t seq = tiled + 1; seq <= rows; seq += kBuildChunkRows) {
    const int64_t count = std::min(kBuildChunkRows, rows - seq + 1);
    NDXP_ASSIGN_OR_RETURN(std::vector<Hash> leaves, source_->ReadLeafHashes(replica_, seq, count));
    if (leaves.size() != static_cast<size_t>(count)) {
      return absl::DataLossError(absl::StrCat("audit log of replica ", replica_, ": rows seq ", seq,
                                              "..", seq + count - 1, " are not all there (",
                                              leaves.size(), " found); run audit verify"));
    }
    NDXP_ASSIGN_OR_RETURN(std::vector<Tile> changed, edge.Append(leaves));
    changed.erase(std::remove_if(changed.begin(), changed.end(),
                                 [](const Tile& tile) { return tile.hashes.size() < kTileWidth; }),
                  changed.end());
    if (!changed.empty()) NDXP_RETURN_IF_ERROR(source_->WriteFullTiles(replica_, changed));
    if (building) progress(seq + count - 1);
  }
  edge_ = std::move(edge);
  return absl::OkStatus();
}

absl::StatusOr<AuditTreeHead> AuditTree::Head() const {
  NDXP_ASSIGN_OR_RETURN(Hash root, transparency::TreeRoot(edge_.size(), edge_));
  return AuditTreeHead{edge_.size(), root};
}

absl::StatusOr<AuditTree::Extension> AuditTree::Extend(absl::Span<const Hash> leaf_hashes) const {
  Extension extension{edge_, {}};
  NDXP_ASSIGN_OR_RETURN(std::vector<Tile> changed, extension.edge.Append(leaf_hashes));
  for (Tile& tile : changed) {
    if (tile.hashes.size() == kTileWidth) extension.full_tiles.push_back(std::move(tile));
  }
  return extension;
}

absl::string_view CheckpointTextOf(absl::string_view note) {
  const size_t blank = note.find("\n\n");
  return blank == absl::string_view::npos ? note : note.substr(0, blank + 1);
}

bool IsNoteOf(absl::string_view note, absl::string_view checkpoint_text) {
  return note.size() > checkpoint_text.size() && note.substr(0, checkpoint_text.size()) ==
                                                     checkpoint_text &&
         note[checkpoint_text.size()] == '\n';
}

absl::Status NoStoredCheckpoint(absl::string_view replica, int64_t tree_size, bool size_stored) {
  return absl::NotFoundError(
      size_stored ? absl::StrCat("replica ", replica, "'s checkpoint of tree size ", tree_size,
                                 " has another root: this log never signed that checkpoint")
                  : absl::StrCat("replica ", replica, " has no signed checkpoint of tree size ",
                                 tree_size));
}

absl::StatusOr<Hash> AuditTree::Root(absl::string_view replica, int64_t tree_size) {
  return transparency::TreeRoot(tree_size, StoredTileReader(source_, replica));
}

absl::StatusOr<std::vector<std::vector<Hash>>> AuditTree::InclusionProofs(
    absl::string_view replica, absl::Span<const int64_t> leaf_indexes, int64_t tree_size) {
  return transparency::InclusionProofs(leaf_indexes, tree_size, StoredTileReader(source_, replica));
}

absl::StatusOr<std::vector<Hash>> AuditTree::ConsistencyProof(absl::string_view replica,
                                                              int64_t old_size, int64_t new_size) {
  return transparency::ConsistencyProof(old_size, new_size, StoredTileReader(source_, replica));
}

}  // namespace ndxp::gateway
