// RFC 9162 Merkle tree hashing, proofs and their verification over tiles
// (merkle.h).
#include "gateway/transparency/merkle.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_util.h"

namespace ndxp::transparency {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

bool IsPowerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

// The largest power of two below n (n >= 2): where RFC 9162 splits D[n].
int64_t SplitPoint(int64_t n) {
  return int64_t{1} << (63 - __builtin_clzll(static_cast<uint64_t>(n - 1)));
}

int Log2(int64_t power_of_two) { return __builtin_ctzll(static_cast<uint64_t>(power_of_two)); }

// The root of a complete subtree whose 2^k bottom hashes are `hashes`.
Hash PerfectSubtreeRoot(absl::Span<const Hash> hashes) {
  std::vector<Hash> level(hashes.begin(), hashes.end());
  while (level.size() > 1) {
    for (size_t i = 0; i < level.size() / 2; ++i) {
      level[i] = NodeHash(level[2 * i], level[2 * i + 1]);
    }
    level.resize(level.size() / 2);
  }
  return level.front();
}

// reader.ReadTiles(ids), each tile cut to its id's width. DATA_LOSS when the
// reader answers with fewer or narrower tiles than asked for.
absl::StatusOr<std::vector<std::vector<Hash>>> ReadTilesChecked(const TileReader& reader,
                                                                absl::Span<const TileId> ids) {
  if (ids.empty()) return std::vector<std::vector<Hash>>();
  NDXP_ASSIGN_OR_RETURN(std::vector<std::vector<Hash>> tiles, reader.ReadTiles(ids));
  if (tiles.size() != ids.size()) {
    return absl::DataLossError(
        absl::StrCat("tile reader returned ", tiles.size(), " tiles for ", ids.size()));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t width = static_cast<size_t>(ids[i].width);
    if (tiles[i].size() < width) {
      return absl::DataLossError(absl::StrCat("tile ", ids[i].level, "/", ids[i].index, " has ",
                                              tiles[i].size(), " hashes, ", width, " wanted"));
    }
    tiles[i].resize(width);
  }
  return tiles;
}

// The hashes of complete subtrees a computation needs. The computation runs
// twice: the first run records what it asks for (answered with zeros), Load
// reads the tiles holding them in one ReadTiles call, the second run gets
// them. So the recursion of each proof is written once.
class SubtreeHashes {
 public:
  // The root of the complete subtree of 2^level leaves starting at leaf
  // position << level.
  Hash Get(int level, int64_t position) {
    if (!loaded_) {
      wanted_.emplace(level, position);
      return Hash{};
    }
    return hashes_.at({level, position});
  }

  absl::Status Load(const TileReader& reader) {
    std::vector<TileId> ids;
    for (const auto& [level, position] : wanted_) {
      const TileId id = TileFor(level, position);
      auto same = std::find_if(ids.begin(), ids.end(), [&](const TileId& other) {
        return other.level == id.level && other.index == id.index;
      });
      if (same == ids.end()) {
        ids.push_back(id);
      } else {
        same->width = std::max(same->width, id.width);
      }
    }
    NDXP_ASSIGN_OR_RETURN(std::vector<std::vector<Hash>> tiles, ReadTilesChecked(reader, ids));
    for (const auto& [level, position] : wanted_) {
      const TileId id = TileFor(level, position);
      size_t i = 0;
      while (ids[i].level != id.level || ids[i].index != id.index) ++i;
      const int below = level - id.level * kTileHeight;
      const int64_t count = int64_t{1} << below;
      hashes_[{level, position}] =
          PerfectSubtreeRoot(absl::MakeConstSpan(tiles[i]).subspan(id.width - count, count));
    }
    loaded_ = true;
    return absl::OkStatus();
  }

 private:
  // The tile holding the 2^r hashes a hash of level 8L + r is made of, and
  // the width that covers them.
  static TileId TileFor(int level, int64_t position) {
    const int tile_level = level / kTileHeight;
    const int below = level % kTileHeight;
    const int64_t first = position << below;  // at tree level 8 * tile_level
    const int64_t index = first / kTileWidth;
    const int64_t end = (position + 1) << below;
    return TileId{tile_level, index, static_cast<int>(end - index * kTileWidth)};
  }

  bool loaded_ = false;
  std::set<std::pair<int, int64_t>> wanted_;
  std::map<std::pair<int, int64_t>, Hash> hashes_;
};

// Runs `compute` (SubtreeHashes& -> T) with the stored hashes it needs.
template <typename Compute>
auto WithStoredHashes(const TileReader& reader, Compute compute)
    -> absl::StatusOr<decltype(compute(std::declval<SubtreeHashes&>()))> {
  SubtreeHashes hashes;
  compute(hashes);
  NDXP_RETURN_IF_ERROR(hashes.Load(reader));
  return compute(hashes);
}

// MTH(D[lo:hi]) for a node of the tree (lo a multiple of the power of two
// at least hi - lo): from the complete subtrees it splits into.
Hash RangeHash(int64_t lo, int64_t hi, SubtreeHashes& hashes) {
  const int64_t n = hi - lo;
  if (IsPowerOfTwo(n)) {
    const int level = Log2(n);
    return hashes.Get(level, lo >> level);
  }
  const int64_t k = SplitPoint(n);
  return NodeHash(RangeHash(lo, lo + k, hashes), RangeHash(lo + k, hi, hashes));
}

// RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]).
void AuditPath(int64_t m, int64_t lo, int64_t hi, SubtreeHashes& hashes, std::vector<Hash>& path) {
  if (hi - lo <= 1) return;
  const int64_t k = SplitPoint(hi - lo);
  if (m < k) {
    AuditPath(m, lo, lo + k, hashes, path);
    path.push_back(RangeHash(lo + k, hi, hashes));
  } else {
    AuditPath(m - k, lo + k, hi, hashes, path);
    path.push_back(RangeHash(lo, lo + k, hashes));
  }
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b).
void SubProof(int64_t m, int64_t lo, int64_t hi, bool whole, SubtreeHashes& hashes,
              std::vector<Hash>& proof) {
  if (m == hi - lo) {
    if (!whole) proof.push_back(RangeHash(lo, hi, hashes));
    return;
  }
  const int64_t k = SplitPoint(hi - lo);
  if (m <= k) {
    SubProof(m, lo, lo + k, whole, hashes, proof);
    proof.push_back(RangeHash(lo + k, hi, hashes));
  } else {
    SubProof(m - k, lo + k, hi, false, hashes, proof);
    proof.push_back(RangeHash(lo, lo + k, hashes));
  }
}

// Right-shifts fn and sn together until fn's lowest bit is set or fn is 0.
void ShiftWhileEven(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

absl::Status Mismatch(absl::string_view what, const Hash& computed, const Hash& expected) {
  return absl::DataLossError(absl::StrCat(what, " does not verify: it gives ", HashHex(computed),
                                          ", expected ", HashHex(expected)));
}

}  // namespace

Hash Sha256(std::initializer_list<absl::string_view> parts) {
  // Fetched once, kept for the process (an explicit fetch is what makes
  // reusing it cheap); a context per thread, freed at the thread's exit.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  Hash hash;
  unsigned int size = 0;
  bool ok = kSha256 != nullptr && context.ctx != nullptr &&
            EVP_DigestInit_ex(context.ctx, kSha256, nullptr) == 1;
  for (absl::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(context.ctx, part.data(), part.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(context.ctx, hash.data(), &size) == 1 && size == hash.size();
  // SHA-256 of bytes in memory fails only when OpenSSL cannot allocate or
  // lacks SHA-256 altogether: nothing a caller could do about either.
  if (!ok) std::abort();
  return hash;
}

namespace {
absl::string_view BytesOf(const Hash& hash) {
  return absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}
}  // namespace

Hash LeafHash(absl::string_view leaf) {
  const char prefix = static_cast<char>(kLeafPrefix);
  return Sha256({absl::string_view(&prefix, 1), leaf});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  const char prefix = static_cast<char>(kNodePrefix);
  return Sha256({absl::string_view(&prefix, 1), BytesOf(left), BytesOf(right)});
}

Hash EmptyTreeRoot() { return Sha256({}); }

std::string HashHex(const Hash& hash) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

std::vector<TileId> RightEdgeTiles(int64_t tree_size) {
  std::vector<TileId> edge;
  for (int level = 0; (tree_size >> (kTileHeight * level)) > 0; ++level) {
    const int64_t count = tree_size >> (kTileHeight * level);  // hashes at tree level 8L
    if (count % kTileWidth != 0) {
      edge.push_back(TileId{level, count / kTileWidth, static_cast<int>(count % kTileWidth)});
    }
  }
  return edge;
}

absl::StatusOr<std::vector<Tile>> TilesForAppend(int64_t tree_size,
                                                 absl::Span<const Hash> leaf_hashes,
                                                 const TileReader& reader) {
  if (tree_size < 0) return absl::InvalidArgumentError("negative tree size");
  if (leaf_hashes.empty()) return std::vector<Tile>();
  // The partial tiles the new hashes extend.
  const std::vector<TileId> edge = RightEdgeTiles(tree_size);
  NDXP_ASSIGN_OR_RETURN(std::vector<std::vector<Hash>> edge_hashes, ReadTilesChecked(reader, edge));

  std::vector<Tile> changed;
  std::vector<Hash> incoming(leaf_hashes.begin(), leaf_hashes.end());
  int64_t start = tree_size;  // the position of incoming[0] in its tree level
  for (int level = 0; !incoming.empty(); ++level) {
    std::vector<Hash> row;  // the level's hashes from the first changed tile on
    if (start % kTileWidth != 0) {
      auto it = std::find_if(edge.begin(), edge.end(),
                             [&](const TileId& id) { return id.level == level; });
      row = std::move(edge_hashes[it - edge.begin()]);
    }
    row.insert(row.end(), incoming.begin(), incoming.end());
    std::vector<Hash> next_level;  // roots of the tiles this append completes
    int64_t index = start / kTileWidth;
    for (size_t offset = 0; offset < row.size(); offset += kTileWidth, ++index) {
      const size_t width = std::min<size_t>(kTileWidth, row.size() - offset);
      Tile tile{level, index,
                std::vector<Hash>(row.begin() + offset, row.begin() + offset + width)};
      if (width == kTileWidth) next_level.push_back(PerfectSubtreeRoot(tile.hashes));
      changed.push_back(std::move(tile));
    }
    incoming = std::move(next_level);
    start /= kTileWidth;
  }
  return changed;
}

absl::StatusOr<Hash> TreeRoot(int64_t tree_size, const TileReader& reader) {
  if (tree_size < 0) return absl::InvalidArgumentError("negative tree size");
  if (tree_size == 0) return EmptyTreeRoot();
  return WithStoredHashes(reader,
                          [&](SubtreeHashes& hashes) { return RangeHash(0, tree_size, hashes); });
}

absl::StatusOr<std::vector<Hash>> InclusionProof(int64_t index, int64_t tree_size,
                                                 const TileReader& reader) {
  NDXP_ASSIGN_OR_RETURN(std::vector<std::vector<Hash>> proofs,
                        InclusionProofs({index}, tree_size, reader));
  return std::move(proofs.front());
}

absl::StatusOr<std::vector<std::vector<Hash>>> InclusionProofs(absl::Span<const int64_t> indexes,
                                                               int64_t tree_size,
                                                               const TileReader& reader) {
  for (int64_t index : indexes) {
    if (index < 0 || index >= tree_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("leaf index ", index, " is not in a tree of ", tree_size, " leaves"));
    }
  }
  return WithStoredHashes(reader, [&](SubtreeHashes& hashes) {
    std::vector<std::vector<Hash>> proofs(indexes.size());
    for (size_t i = 0; i < indexes.size(); ++i) {
      AuditPath(indexes[i], 0, tree_size, hashes, proofs[i]);
    }
    return proofs;
  });
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(int64_t old_size, int64_t new_size,
                                                   const TileReader& reader) {
  if (old_size < 0 || new_size < old_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from tree size ", old_size, " to ", new_size));
  }
  if (old_size == 0 || old_size == new_size) return std::vector<Hash>();
  return WithStoredHashes(reader, [&](SubtreeHashes& hashes) {
    std::vector<Hash> proof;
    SubProof(old_size, 0, new_size, true, hashes, proof);
    return proof;
  });
}

absl::Status VerifyInclusion(const Hash& leaf_hash, int64_t index, int64_t tree_size,
                             absl::Span<const Hash> proof, const Hash& root) {
  if (index < 0 || index >= tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf index ", index, " is not in a tree of ", tree_size, " leaves"));
  }
  uint64_t fn = static_cast<uint64_t>(index);
  uint64_t sn = static_cast<uint64_t>(tree_size) - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) {
      return absl::DataLossError(absl::StrCat("inclusion proof has ", proof.size(),
                                              " hashes, more than leaf ", index, " of a tree of ",
                                              tree_size, " needs"));
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      ShiftWhileEven(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::DataLossError(absl::StrCat("inclusion proof has ", proof.size(),
                                            " hashes, fewer than leaf ", index, " of a tree of ",
                                            tree_size, " needs"));
  }
  if (r != root) return Mismatch("inclusion proof", r, root);
  return absl::OkStatus();
}

absl::Status VerifyConsistency(int64_t old_size, int64_t new_size, const Hash& old_root,
                               const Hash& new_root, absl::Span<const Hash> proof) {
  if (old_size < 0 || new_size < old_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from tree size ", old_size, " to ", new_size));
  }
  if (old_size == 0 || old_size == new_size) {
    if (!proof.empty()) {
      return absl::DataLossError(absl::StrCat("consistency proof from tree size ", old_size, " to ",
                                              new_size, " must be empty, has ", proof.size(),
                                              " hashes"));
    }
    if (old_size == 0 && old_root != EmptyTreeRoot()) {
      return Mismatch("root of the empty tree", old_root, EmptyTreeRoot());
    }
    if (old_size == new_size && old_root != new_root) {
      return Mismatch(absl::StrCat("second root of tree size ", new_size), new_root, old_root);
    }
    return absl::OkStatus();
  }
  if (proof.empty()) {
    return absl::DataLossError(
        absl::StrCat("consistency proof from tree size ", old_size, " to ", new_size, " is empty"));
  }
  // A power-of-two old tree is a complete subtree of the new one: its root
  // starts the path (step 2), else the proof's first hash does.
  const bool old_is_subtree = IsPowerOfTwo(old_size);
  const Hash& first = old_is_subtree ? old_root : proof.front();
  const absl::Span<const Hash> rest = proof.subspan(old_is_subtree ? 0 : 1);

  uint64_t fn = static_cast<uint64_t>(old_size) - 1;
  uint64_t sn = static_cast<uint64_t>(new_size) - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = first;
  Hash sr = first;
  for (const Hash& c : rest) {
    if (sn == 0) {
      return absl::DataLossError(absl::StrCat("consistency proof has ", proof.size(),
                                              " hashes, more than tree sizes ", old_size, " to ",
                                              new_size, " need"));
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      ShiftWhileEven(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::DataLossError(absl::StrCat("consistency proof has ", proof.size(),
                                            " hashes, fewer than tree sizes ", old_size, " to ",
                                            new_size, " need"));
  }
  if (fr != old_root) {
    return Mismatch(absl::StrCat("consistency proof for the old root (size ", old_size, ")"), fr,
                    old_root);
  }
  if (sr != new_root) {
    return Mismatch(absl::StrCat("consistency proof for the new root (size ", new_size, ")"), sr,
                    new_root);
  }
  return absl::OkStatus();
}

absl::StatusOr<MemoryTileStore> MemoryTileStore::ResumeRightEdge(int64_t tree_size,
                                                                 const TileReader& store) {
  if (tree_size < 0) return absl::InvalidArgumentError("negative tree size");
  const std::vector<TileId> edge = RightEdgeTiles(tree_size);
  NDXP_ASSIGN_OR_RETURN(std::vector<std::vector<Hash>> hashes, ReadTilesChecked(store, edge));
  MemoryTileStore resumed(Keep::kRightEdge);
  resumed.size_ = tree_size;
  for (size_t i = 0; i < edge.size(); ++i) {
    resumed.tiles_[{edge[i].level, edge[i].index}] = std::move(hashes[i]);
  }
  return resumed;
}

absl::StatusOr<std::vector<Tile>> MemoryTileStore::Append(absl::Span<const Hash> leaf_hashes) {
  NDXP_ASSIGN_OR_RETURN(std::vector<Tile> changed, TilesForAppend(size_, leaf_hashes, *this));
  for (const Tile& tile : changed) {
    const std::pair<int, int64_t> key{tile.level, tile.index};
    if (keep_ == Keep::kRightEdge && tile.hashes.size() == kTileWidth) {
      tiles_.erase(key);  // full: never read by an append again
    } else {
      tiles_[key] = tile.hashes;
    }
  }
  size_ += static_cast<int64_t>(leaf_hashes.size());
  return changed;
}

absl::StatusOr<std::vector<std::vector<Hash>>> MemoryTileStore::ReadTiles(
    absl::Span<const TileId> ids) const {
  std::vector<std::vector<Hash>> result;
  result.reserve(ids.size());
  for (const TileId& id : ids) {
    auto it = tiles_.find({id.level, id.index});
    if (it == tiles_.end() || it->second.size() < static_cast<size_t>(id.width)) {
      return absl::NotFoundError(
          absl::StrCat("tile ", id.level, "/", id.index, " of width ", id.width, " is not stored (",
                       it == tiles_.end() ? size_t{0} : it->second.size(), " hashes held)"));
    }
    result.push_back(it->second);
  }
  return result;
}

}  // namespace ndxp::transparency
