// The Merkle tree of a replica's audit log (RFC 9162 §2.1): leaf i is the
// row with seq i + 1, leaf hash SHA-256(0x00 ‖ row encoding), node hash
// SHA-256(0x01 ‖ left ‖ right). Stored as tiles (C2SP tlog-tiles, height 8):
// the tile at level L, index N holds the hashes of tree level 8L at
// positions 256N .. 256N + width - 1, each the root of a complete subtree of
// 2^(8L) leaves. A tile of width 256 is full and never changes; the one at
// the right edge of each level is partial and grows with the log. Every hash
// of a complete subtree is in one tile (a hash of level 8L + r is computed
// from 2^r hashes of one tile at level L), so a root or a proof is
// O(log n) tiles, read in one TileReader call.
//
// Example:
//   MemoryTileStore tree;
//   NDXP_RETURN_IF_ERROR(tree.Append(leaf_hashes).status());
//   NDXP_ASSIGN_OR_RETURN(Hash root, TreeRoot(tree.size(), tree));
//   NDXP_ASSIGN_OR_RETURN(std::vector<Hash> proof, InclusionProof(7, tree.size(), tree));
//   NDXP_RETURN_IF_ERROR(VerifyInclusion(leaf_hashes[7], 7, tree.size(), proof, root));
#ifndef NDXP_GATEWAY_TRANSPARENCY_MERKLE_H_
#define NDXP_GATEWAY_TRANSPARENCY_MERKLE_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ndxp::transparency {

using Hash = std::array<uint8_t, 32>;

// Tiles hold 2^8 hashes and span 8 tree levels.
inline constexpr int kTileHeight = 8;
inline constexpr int kTileWidth = 1 << kTileHeight;

// SHA-256 of `parts` one after the other, without copying them together,
// on a digest context of the calling thread's and a SHA-256 fetched once:
// OpenSSL 3's one-shot SHA256() fetches the algorithm anew at each call and
// a new context allocates, which the recorder's writer, hashing every row
// two or three times, paid for on every call.
Hash Sha256(std::initializer_list<absl::string_view> parts);

// SHA-256(0x00 ‖ leaf): the hash of a leaf whose bytes are `leaf`.
Hash LeafHash(absl::string_view leaf);
// SHA-256(0x01 ‖ left ‖ right).
Hash NodeHash(const Hash& left, const Hash& right);
// The root of the empty tree: SHA-256 of no bytes.
Hash EmptyTreeRoot();

// Lowercase hex, for messages and fixtures.
std::string HashHex(const Hash& hash);

// A tile and how many of its hashes are wanted (1..256).
struct TileId {
  int level = 0;
  int64_t index = 0;
  int width = 0;
};

// A tile's hashes, as a store keeps it: its width is hashes.size().
struct Tile {
  int level = 0;
  int64_t index = 0;
  std::vector<Hash> hashes;
};

// Where a tree's tiles are read from (a store's table, or memory).
class TileReader {
 public:
  virtual ~TileReader() = default;
  // For each id in order, the first id.width hashes of that tile; a reader
  // may return more (a wider version of the same tile: hashes never change
  // once written). NOT_FOUND when a tile is missing or narrower. One call
  // per root, proof or append, so a store can answer with one query.
  virtual absl::StatusOr<std::vector<std::vector<Hash>>> ReadTiles(
      absl::Span<const TileId> ids) const = 0;
};

// The tiles that change when `leaf_hashes` are appended to a tree of
// `tree_size` leaves: at every level, the full tiles completed and the new
// partial tile at the right edge, each with all its hashes (a store replaces
// the narrower version it holds). Reads the right edge's partial tiles from
// `reader`. Appending in batches gives the same final tiles as one append.
absl::StatusOr<std::vector<Tile>> TilesForAppend(int64_t tree_size,
                                                 absl::Span<const Hash> leaf_hashes,
                                                 const TileReader& reader);

// The partial tiles at the right edge of a tree of `tree_size` leaves, one
// per tile level at most: all an append reads.
std::vector<TileId> RightEdgeTiles(int64_t tree_size);

// The root of the tree of the first `tree_size` leaves (EmptyTreeRoot for 0).
absl::StatusOr<Hash> TreeRoot(int64_t tree_size, const TileReader& reader);

// RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of
// `tree_size` leaves. INVALID_ARGUMENT unless 0 <= index < tree_size.
absl::StatusOr<std::vector<Hash>> InclusionProof(int64_t index, int64_t tree_size,
                                                 const TileReader& reader);
// The audit paths of several leaves of one tree, from one TileReader call
// (an auditor's or a test's many proofs).
absl::StatusOr<std::vector<std::vector<Hash>>> InclusionProofs(absl::Span<const int64_t> indexes,
                                                               int64_t tree_size,
                                                               const TileReader& reader);

// RFC 9162 §2.1.4.1: the proof that the tree of `new_size` leaves extends
// the one of `old_size`; empty when old_size is 0 or equals new_size.
// INVALID_ARGUMENT unless 0 <= old_size <= new_size.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(int64_t old_size, int64_t new_size,
                                                   const TileReader& reader);

// RFC 9162 §2.1.3.2. OK when `proof` shows the leaf hashing to `leaf_hash`
// is leaf `index` of the tree of `tree_size` leaves whose root is `root`;
// INVALID_ARGUMENT for an index not below the size, DATA_LOSS when the
// proof does not verify (saying how).
absl::Status VerifyInclusion(const Hash& leaf_hash, int64_t index, int64_t tree_size,
                             absl::Span<const Hash> proof, const Hash& root);

// RFC 9162 §2.1.4.2. OK when `proof` shows the tree of `new_size` leaves
// with `new_root` extends the tree of `old_size` leaves with `old_root`. A
// tree of 0 leaves (root EmptyTreeRoot) is extended by every tree, and a tree
// by itself, with an empty proof. INVALID_ARGUMENT unless
// 0 <= old_size <= new_size, DATA_LOSS when the proof does not verify.
absl::Status VerifyConsistency(int64_t old_size, int64_t new_size, const Hash& old_root,
                               const Hash& new_root, absl::Span<const Hash> proof);

// A tree's tiles in memory: for tests, and for building a store's tree from
// its rows at upgrade in batches (kRightEdge: memory stays a few partial
// tiles however long the log, and each batch's tiles go to the store).
// Not thread-safe.
class MemoryTileStore : public TileReader {
 public:
  enum class Keep { kAllTiles, kRightEdge };
  explicit MemoryTileStore(Keep keep = Keep::kAllTiles) : keep_(keep) {}
  // A kRightEdge store continuing the tree of `tree_size` leaves `store`
  // holds: a rebuild resumed where it stopped (one read).
  static absl::StatusOr<MemoryTileStore> ResumeRightEdge(int64_t tree_size,
                                                         const TileReader& store);

  int64_t size() const { return size_; }
  // Appends leaves; the tiles that changed (TilesForAppend), to be written.
  absl::StatusOr<std::vector<Tile>> Append(absl::Span<const Hash> leaf_hashes);
  // Every tile held, keyed by (level, index).
  const std::map<std::pair<int, int64_t>, std::vector<Hash>>& tiles() const { return tiles_; }

  absl::StatusOr<std::vector<std::vector<Hash>>> ReadTiles(
      absl::Span<const TileId> ids) const override;

 private:
  Keep keep_;
  int64_t size_ = 0;
  std::map<std::pair<int, int64_t>, std::vector<Hash>> tiles_;
};

}  // namespace ndxp::transparency

#endif  // NDXP_GATEWAY_TRANSPARENCY_MERKLE_H_
