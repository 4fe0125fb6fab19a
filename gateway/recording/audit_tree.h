// Each replica's Merkle tree (RFC 9162, gateway/transparency/merkle.h) as
// both TransactionStores keep it beside the chain: leaf i is the replica's
// row seq i + 1, its leaf hash transparency::LeafHash of the row's encoding.
//
// Only FULL tiles (256 hashes, never changing) are stored, in the table
//   audit_tiles(replica, level, tile_index, hashes BLOB of 256 * 32 bytes,
//               PRIMARY KEY (replica, level, tile_index))
// written in the transaction of the batch whose rows complete them, so that
// after a crash rows and tiles agree. The partial tiles at the right edge are
// not stored: the writer keeps its replica's in memory (AuditTree::Load, from
// the last < 256 rows and the full tiles below), and a reader computes them
// on demand (level 0 from the rows, level L >= 1 from the full tiles of level
// L - 1), so a root or a proof for any past size reads O(log n) tiles.
//
// A store implements AuditTreeSource over its tables and owns an AuditTree:
//   AuditTree tree(this, replica);
//   NDXP_RETURN_IF_ERROR(tree.Load(rows));   // builds missing tiles (upgrade)
//   per batch: Extend(leaf hashes) -> write full_tiles in the transaction,
//              Adopt() once it committed.
#ifndef NDXP_GATEWAY_RECORDING_AUDIT_TREE_H_
#define NDXP_GATEWAY_RECORDING_AUDIT_TREE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/recording/audit_chain.h"
#include "gateway/transparency/merkle.h"

namespace ndxp::gateway {

// A replica's tree at one size: what a checkpoint signs.
struct AuditTreeHead {
  int64_t size = 0;
  transparency::Hash root{};
};

// (level, tile index) of a stored tile.
using TileKey = std::pair<int, int64_t>;
using FullTiles = std::map<TileKey, std::vector<transparency::Hash>>;

// A full tile's hashes as audit_tiles.hashes holds them (concatenated), and
// back: DATA_LOSS unless `bytes` is 256 * 32 bytes.
std::string EncodeTileHashes(absl::Span<const transparency::Hash> hashes);
absl::StatusOr<std::vector<transparency::Hash>> DecodeFullTile(absl::string_view bytes);

// The leaf hash of a stored row, from its columns (v1–v3 rows too).
inline AuditLeafHash RowLeafHash(const AuditFields& row) {
  return transparency::LeafHash(EncodeAuditFields(row));
}

// A signed note's text: what precedes its blank line, ending in "\n" (the
// whole note when it has none).
absl::string_view CheckpointTextOf(absl::string_view note);

// Whether `note`, a stored signed checkpoint, is of the note text
// `checkpoint_text` (which ends in "\n"): the same origin, size and root.
bool IsNoteOf(absl::string_view note, absl::string_view checkpoint_text);

// The NOT_FOUND of a cosignature of a checkpoint a store does not hold:
// `replica` has no checkpoint of `tree_size`, or (`size_stored`) another
// one.
absl::Status NoStoredCheckpoint(absl::string_view replica, int64_t tree_size, bool size_stored);

// What a store's tables give the tree. Any replica of the store.
class AuditTreeSource {
 public:
  virtual ~AuditTreeSource() = default;
  // The stored full tiles of `replica` among `keys`; those not stored absent.
  virtual absl::StatusOr<FullTiles> ReadFullTiles(absl::string_view replica,
                                                  absl::Span<const TileKey> keys) = 0;
  // The leaf hashes of `replica`'s rows seq first_seq .. first_seq + count - 1,
  // in seq order; fewer when the log ends before.
  virtual absl::StatusOr<std::vector<transparency::Hash>> ReadLeafHashes(absl::string_view replica,
                                                                         int64_t first_seq,
                                                                         int64_t count) = 0;
  // How many leaves `replica`'s stored level-0 tiles cover (256 per tile).
  virtual absl::StatusOr<int64_t> ReadTiledSize(absl::string_view replica) = 0;
  // Stores `tiles` (all full) of `replica` in one transaction: a build at open.
  virtual absl::Status WriteFullTiles(absl::string_view replica,
                                      absl::Span<const transparency::Tile> tiles) = 0;
};

// One replica's tree as its writer keeps it, and the reads of any replica's
// tree in the store. Not thread-safe (the store's writer thread owns it).
class AuditTree {
 public:
  AuditTree(AuditTreeSource* source, std::string replica)
      : source_(source), replica_(std::move(replica)) {}

  // Loads the right edge of a log of `rows` rows. A log with rows but not
  // their tiles (a database from before the tree, or a build cut off) gets
  // them first, streamed in seq order in transactions of whole tiles, with
  // progress logged: a crash mid-build resumes where it stopped.
  absl::Status Load(int64_t rows);

  int64_t size() const { return edge_.size(); }
  // The tree as committed, from memory.
  absl::StatusOr<AuditTreeHead> Head() const;

  // The tree after a batch with these leaves: its full tiles, to be written
  // in the batch's transaction, and the right edge to Adopt once committed.
  struct Extension {
    transparency::MemoryTileStore edge;
    std::vector<transparency::Tile> full_tiles;
  };
  absl::StatusOr<Extension> Extend(absl::Span<const transparency::Hash> leaf_hashes) const;
  void Adopt(Extension extension) { edge_ = std::move(extension.edge); }

  // Any replica's tree in the store at any size up to its row count.
  // NOT_FOUND when it has fewer rows, or no tiles (its writer builds them).
  absl::StatusOr<transparency::Hash> Root(absl::string_view replica, int64_t tree_size);
  absl::StatusOr<std::vector<std::vector<transparency::Hash>>> InclusionProofs(
      absl::string_view replica, absl::Span<const int64_t> leaf_indexes, int64_t tree_size);
  absl::StatusOr<std::vector<transparency::Hash>> ConsistencyProof(absl::string_view replica,
                                                                   int64_t old_size,
                                                                   int64_t new_size);

 private:
  AuditTreeSource* const source_;
  const std::string replica_;
  transparency::MemoryTileStore edge_{transparency::MemoryTileStore::Keep::kRightEdge};
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_AUDIT_TREE_H_
