// The tiled Merkle tree against RFC 6962's published roots and against a
// naive implementation of RFC 9162 §2.1 (MTH, PATH, PROOF) written here.
#include "gateway/transparency/merkle.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::transparency {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// RFC 9162 §2.1.1-§2.1.4 as written, over all the leaf hashes (memoised MTH).
class ReferenceTree {
 public:
  explicit ReferenceTree(std::vector<Hash> leaves) : leaves_(std::move(leaves)) {}

  Hash Mth(int64_t lo, int64_t hi) {
    if (hi == lo) return EmptyTreeRoot();
    if (hi - lo == 1) return leaves_[lo];
    auto it = cache_.find({lo, hi});
    if (it != cache_.end()) return it->second;
    const int64_t k = Split(hi - lo);
    const Hash h = NodeHash(Mth(lo, lo + k), Mth(lo + k, hi));
    cache_[{lo, hi}] = h;
    return h;
  }

  std::vector<Hash> Path(int64_t m, int64_t lo, int64_t hi) {
    if (hi - lo == 1) return {};
    const int64_t k = Split(hi - lo);
    std::vector<Hash> path;
    if (m < k) {
      path = Path(m, lo, lo + k);
      path.push_back(Mth(lo + k, hi));
    } else {
      path = Path(m - k, lo + k, hi);
      path.push_back(Mth(lo, lo + k));
    }
    return path;
  }

  std::vector<Hash> Proof(int64_t m, int64_t n) { return SubProof(m, 0, n, true); }

 private:
  static int64_t Split(int64_t n) {
    int64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }
  std::vector<Hash> SubProof(int64_t m, int64_t lo, int64_t hi, bool b) {
    if (m == hi - lo) return b ? std::vector<Hash>{} : std::vector<Hash>{Mth(lo, hi)};
    const int64_t k = Split(hi - lo);
    std::vector<Hash> proof;
    if (m <= k) {
      proof = SubProof(m, lo, lo + k, b);
      proof.push_back(Mth(lo + k, hi));
    } else {
      proof = SubProof(m - k, lo + k, hi, false);
      proof.push_back(Mth(lo, lo + k));
    }
    return proof;
  }

  std::vector<Hash> leaves_;
  std::map<std::pair<int64_t, int64_t>, Hash> cache_;
};

// Counts calls and tiles asked for, to show proofs are batched and O(log n).
class CountingReader : public TileReader {
 public:
  explicit CountingReader(const TileReader& inner) : inner_(inner) {}
  absl::StatusOr<std::vector<std::vector<Hash>>> ReadTiles(
      absl::Span<const TileId> ids) const override {
    ++calls;
    tiles += ids.size();
    return inner_.ReadTiles(ids);
  }
  mutable int calls = 0;
  mutable size_t tiles = 0;

 private:
  const TileReader& inner_;
};

std::vector<Hash> Leaves(int n) {
  std::vector<Hash> leaves;
  for (int i = 0; i < n; ++i) leaves.push_back(LeafHash(absl::StrCat("row ", i + 1)));
  return leaves;
}

Hash FromHex(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  Hash hash{};
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

Hash FlipBit(Hash hash, int bit) {
  hash[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
  return hash;
}

TEST(MerkleTest, RootsMatchRfc6962ReferenceVectors) {
  // The inputs and roots of the Certificate Transparency reference tests
  // (transparency-dev/merkle testonly, RFC 6962 §2.1).
  const std::vector<std::string> inputs = {"",
                                           "00",
                                           "10",
                                           "2021",
                                           "3031",
                                           "40414243",
                                           "5051525354555657",
                                           "606162636465666768696a6b6c6d6e6f"};
  const std::vector<std::string> roots = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  MemoryTileStore tree;
  EXPECT_EQ(HashHex(*TreeRoot(0, tree)), roots[0]);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Hash leaf = LeafHash(absl::HexStringToBytes(inputs[i]));
    ASSERT_TRUE(tree.Append({leaf}).ok());
    EXPECT_EQ(HashHex(*TreeRoot(tree.size(), tree)), roots[i + 1]) << "size " << tree.size();
  }
  EXPECT_EQ(FromHex(roots[8]), *TreeRoot(8, tree));
}

TEST(MerkleTest, AppendOfThousandLeavesWritesTheseTiles) {
  MemoryTileStore tree;
  absl::StatusOr<std::vector<Tile>> tiles = tree.Append(Leaves(1000));
  ASSERT_TRUE(tiles.ok()) << tiles.status();
  std::vector<std::string> shapes;
  for (const Tile& tile : *tiles) {
    shapes.push_back(absl::StrCat(tile.level, "/", tile.index, "/", tile.hashes.size()));
  }
  // 3 full leaf tiles and one of 232; their 3 roots start level 1.
  EXPECT_THAT(shapes, ElementsAre("0/0/256", "0/1/256", "0/2/256", "0/3/232", "1/0/3"));
}

TEST(MerkleTest, EveryLeafOfAThousandIsProvenAtEverySize) {
  const std::vector<Hash> leaves = Leaves(1000);
  ReferenceTree reference(leaves);
  MemoryTileStore tree;
  ASSERT_TRUE(tree.Append(leaves).ok());
  for (int64_t size : {1, 2, 3, 255, 256, 257, 511, 512, 1000}) {
    absl::StatusOr<Hash> root = TreeRoot(size, tree);
    ASSERT_TRUE(root.ok()) << root.status();
    ASSERT_EQ(HashHex(*root), HashHex(reference.Mth(0, size))) << "size " << size;
    for (int64_t index = 0; index < size; ++index) {
      CountingReader reader(tree);
      absl::StatusOr<std::vector<Hash>> proof = InclusionProof(index, size, reader);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, reference.Path(index, 0, size)) << "leaf " << index << " size " << size;
      // One batched read of at most two tiles per tile level (none for a
      // tree of one leaf, whose proof is empty).
      ASSERT_EQ(reader.calls, size == 1 ? 0 : 1);
      ASSERT_LE(reader.tiles, 4u);
      ASSERT_TRUE(VerifyInclusion(leaves[index], index, size, *proof, *root).ok())
          << "leaf " << index << " size " << size;
    }
  }
}

TEST(MerkleTest, ProofsOfManyLeavesComeFromOneRead) {
  const std::vector<Hash> leaves = Leaves(1000);
  ReferenceTree reference(leaves);
  MemoryTileStore tree;
  ASSERT_TRUE(tree.Append(leaves).ok());
  std::vector<int64_t> indexes;
  for (int64_t i = 999; i >= 0; --i) indexes.push_back(i);
  CountingReader reader(tree);
  absl::StatusOr<std::vector<std::vector<Hash>>> proofs = InclusionProofs(indexes, 1000, reader);
  ASSERT_TRUE(proofs.ok()) << proofs.status();
  EXPECT_EQ(reader.calls, 1);
  EXPECT_EQ(reader.tiles, 5u);  // the 4 leaf tiles and the level-1 tile
  ASSERT_EQ(proofs->size(), indexes.size());
  for (size_t i = 0; i < indexes.size(); ++i) {
    ASSERT_EQ((*proofs)[i], reference.Path(indexes[i], 0, 1000)) << "leaf " << indexes[i];
  }
  EXPECT_EQ(InclusionProofs({1, 1000}, 1000, tree).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MerkleTest, ConsistencyBetweenEveryPairOfSizes) {
  const std::vector<Hash> leaves = Leaves(1000);
  ReferenceTree reference(leaves);
  MemoryTileStore tree;
  ASSERT_TRUE(tree.Append(leaves).ok());
  const std::vector<int64_t> sizes = {0,   1,   2,   3,   4,   7,   8,   9,   100,
                                      255, 256, 257, 300, 511, 512, 513, 999, 1000};
  for (int64_t old_size : sizes) {
    for (int64_t new_size : sizes) {
      if (new_size < old_size) continue;
      CountingReader reader(tree);
      absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(old_size, new_size, reader);
      ASSERT_TRUE(proof.ok()) << proof.status();
      const std::vector<Hash> expected = old_size == 0 || old_size == new_size
                                             ? std::vector<Hash>{}
                                             : reference.Proof(old_size, new_size);
      ASSERT_EQ(*proof, expected) << old_size << " to " << new_size;
      ASSERT_LE(reader.calls, 1);
      const Hash old_root = reference.Mth(0, old_size);
      const Hash new_root = reference.Mth(0, new_size);
      ASSERT_TRUE(VerifyConsistency(old_size, new_size, old_root, new_root, *proof).ok())
          << old_size << " to " << new_size;
      // Each hash of the proof, and each root, matters.
      for (size_t i = 0; i < proof->size(); ++i) {
        std::vector<Hash> bad = *proof;
        bad[i] = FlipBit(bad[i], static_cast<int>(i % 256));
        EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, new_root, bad).ok());
      }
      // (Every tree extends the empty one, whatever its root.)
      if (old_size != new_size && old_size != 0) {
        EXPECT_FALSE(
            VerifyConsistency(old_size, new_size, old_root, FlipBit(new_root, 3), *proof).ok());
      }
      if (old_size != 0) {
        EXPECT_FALSE(
            VerifyConsistency(old_size, new_size, FlipBit(old_root, 200), new_root, *proof).ok());
      }
    }
  }
}

TEST(MerkleTest, InclusionFailsOnAFlippedBitWrongIndexOrWrongSize) {
  const std::vector<Hash> leaves = Leaves(1000);
  ReferenceTree reference(leaves);
  MemoryTileStore tree;
  ASSERT_TRUE(tree.Append(leaves).ok());
  for (int64_t size : {2, 3, 255, 256, 257, 1000}) {
    const Hash root = reference.Mth(0, size);
    for (int64_t index : {int64_t{0}, int64_t{1}, size / 2, size - 2, size - 1}) {
      const std::vector<Hash> proof = *InclusionProof(index, size, tree);
      for (size_t i = 0; i < proof.size(); ++i) {
        std::vector<Hash> bad = proof;
        bad[i] = FlipBit(bad[i], static_cast<int>((7 * i) % 256));
        EXPECT_FALSE(VerifyInclusion(leaves[index], index, size, bad, root).ok());
      }
      EXPECT_FALSE(VerifyInclusion(FlipBit(leaves[index], 0), index, size, proof, root).ok());
      EXPECT_FALSE(VerifyInclusion(leaves[index], index, size, proof, FlipBit(root, 255)).ok());
      const int64_t other_index = index == 0 ? 1 : index - 1;
      EXPECT_FALSE(VerifyInclusion(leaves[index], other_index, size, proof, root).ok())
          << "leaf " << index << " claimed as " << other_index << " in " << size;
      // Claimed in a tree of another size: checked against that tree's root.
      for (int64_t other_size : {size - 1, size + 1}) {
        if (index >= other_size || other_size > static_cast<int64_t>(leaves.size())) continue;
        EXPECT_FALSE(
            VerifyInclusion(leaves[index], index, other_size, proof, reference.Mth(0, other_size))
                .ok())
            << "leaf " << index << " of " << size << " claimed in " << other_size;
      }
      std::vector<Hash> longer = proof;
      longer.push_back(root);
      EXPECT_THAT(VerifyInclusion(leaves[index], index, size, longer, root).message(),
                  HasSubstr("more than"));
      if (!proof.empty()) {
        std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
        EXPECT_THAT(VerifyInclusion(leaves[index], index, size, shorter, root).message(),
                    HasSubstr("fewer than"));
      }
    }
  }
  EXPECT_EQ(VerifyInclusion(leaves[0], 5, 5, {}, leaves[0]).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(1000, 1000, tree).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(10, 9, tree).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MerkleTest, AppendsInBatchesWriteTheSameTilesAsOne) {
  const std::vector<Hash> leaves = Leaves(1000);
  MemoryTileStore at_once;
  ASSERT_TRUE(at_once.Append(leaves).ok());

  MemoryTileStore batched;
  // Streamed as an upgrade would: only the right edge in memory, each
  // batch's changed tiles written to the store (here a map).
  MemoryTileStore streamed(MemoryTileStore::Keep::kRightEdge);
  std::map<std::pair<int, int64_t>, std::vector<Hash>> written;
  const std::vector<size_t> batch_sizes = {1, 2, 3, 250, 1, 256, 255, 7, 1, 100};
  size_t next = 0;
  for (size_t i = 0; next < leaves.size(); ++i) {
    const size_t n = std::min(batch_sizes[i % batch_sizes.size()], leaves.size() - next);
    const auto batch = absl::MakeConstSpan(leaves).subspan(next, n);
    ASSERT_TRUE(batched.Append(batch).ok());
    absl::StatusOr<std::vector<Tile>> changed = streamed.Append(batch);
    ASSERT_TRUE(changed.ok()) << changed.status();
    for (const Tile& tile : *changed) written[{tile.level, tile.index}] = tile.hashes;
    next += n;
  }
  EXPECT_EQ(batched.tiles(), at_once.tiles());
  EXPECT_EQ(written, at_once.tiles());
  EXPECT_EQ(streamed.size(), 1000);
  // The right edge is all the streaming store holds: no full tile.
  for (const auto& [key, hashes] : streamed.tiles()) EXPECT_LT(hashes.size(), 256u);
  EXPECT_EQ(streamed.tiles().size(), 2u);
}

TEST(MerkleTest, RebuildResumesFromTheStoresRightEdge) {
  const std::vector<Hash> leaves = Leaves(1000);
  MemoryTileStore at_once;
  ASSERT_TRUE(at_once.Append(leaves).ok());

  // A rebuild stopped after 600 leaves, its tiles written to the store.
  MemoryTileStore store;
  ASSERT_TRUE(store.Append(absl::MakeConstSpan(leaves).first(600)).ok());
  CountingReader reader(store);
  absl::StatusOr<MemoryTileStore> resumed = MemoryTileStore::ResumeRightEdge(600, reader);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(reader.calls, 1);
  EXPECT_EQ(resumed->size(), 600);
  std::map<std::pair<int, int64_t>, std::vector<Hash>> written = store.tiles();
  absl::StatusOr<std::vector<Tile>> changed =
      resumed->Append(absl::MakeConstSpan(leaves).subspan(600));
  ASSERT_TRUE(changed.ok()) << changed.status();
  for (const Tile& tile : *changed) written[{tile.level, tile.index}] = tile.hashes;
  EXPECT_EQ(written, at_once.tiles());

  const auto edge = [](int64_t tree_size) {
    std::vector<std::string> shapes;
    for (const TileId& id : RightEdgeTiles(tree_size)) {
      shapes.push_back(absl::StrCat(id.level, "/", id.index, "/", id.width));
    }
    return shapes;
  };
  // 600 leaves: 88 leaf hashes and 2 level-8 hashes beyond full tiles.
  EXPECT_THAT(edge(600), ElementsAre("0/2/88", "1/0/2"));
  // 2^16 leaves: full tiles below, the root alone at level 16.
  EXPECT_THAT(edge(65536), ElementsAre("2/0/1"));
  EXPECT_TRUE(edge(0).empty());
}

TEST(MerkleTest, MissingTilesAreReported) {
  MemoryTileStore tree;
  ASSERT_TRUE(tree.Append(Leaves(10)).ok());
  absl::StatusOr<Hash> root = TreeRoot(11, tree);
  EXPECT_EQ(root.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(root.status().message(), HasSubstr("tile 0/0 of width 11"));
}

}  // namespace
}  // namespace ndxp::transparency
