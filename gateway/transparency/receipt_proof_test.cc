// A receipt's proof checked offline: a good one with its witnesses' quorum,
// and each way it can be wrong named.
#include "gateway/transparency/receipt_proof.h"

#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/transparency/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::transparency {
namespace {

using ::testing::HasSubstr;

constexpr char kOrigin[] = "ndxp.example/audit/hub-1";

class ReceiptProofTest : public ::testing::Test {
 protected:
  ReceiptProofTest()
      : log_(*Ed25519NoteSigner::Create(*Ed25519NoteKey::Generate(kOrigin))),
        witness_a_(*CosignatureSigner::Create(
            *Ed25519NoteKey::Generate("a.example/witness", kCosignatureV1Type),
            [] { return int64_t{1767225600}; })),
        witness_b_(*CosignatureSigner::Create(
            *Ed25519NoteKey::Generate("b.example/witness", kCosignatureV1Type))) {
    for (int i = 0; i < 300; ++i) leaves_.push_back(LeafHash(absl::StrCat("row ", i)));
    EXPECT_TRUE(tree_.Append(leaves_).ok());
  }
  // The proof of leaf `index` in the whole tree, its checkpoint cosigned by
  // `cosigners`.
  ReceiptProof Proof(int64_t index, std::vector<const NoteSigner*> cosigners) {
    ReceiptProof proof;
    proof.replica = "hub-1";
    proof.leaf_index = index;
    proof.leaf_hash = leaves_[index];
    proof.tree_size = tree_.size();
    proof.root_hash = *TreeRoot(tree_.size(), tree_);
    proof.hashes = *InclusionProof(index, tree_.size(), tree_);
    proof.checkpoint = *SignNote(*FormatCheckpoint({kOrigin, proof.tree_size, proof.root_hash}),
                                 {&log_});
    if (!cosigners.empty()) proof.checkpoint = *AddNoteSignatures(proof.checkpoint, cosigners);
    return proof;
  }
  std::vector<std::string> Witnesses() const {
    return {witness_a_.key().Encode(), witness_b_.key().Encode()};
  }

  Ed25519NoteSigner log_;
  CosignatureSigner witness_a_, witness_b_;
  std::vector<Hash> leaves_;
  MemoryTileStore tree_;
};

TEST_F(ReceiptProofTest, AReceiptInACosignedCheckpointVerifies) {
  const ReceiptProof proof = Proof(41, {&witness_a_, &witness_b_});
  absl::StatusOr<ReceiptVerification> verified =
      VerifyReceiptProof(proof, {log_.key().Encode()}, Witnesses(), 2);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->checkpoint.tree_size, 300);
  EXPECT_EQ(verified->log_key, kOrigin);
  ASSERT_EQ(verified->cosignatures.size(), 2u);
  EXPECT_EQ(verified->cosignatures[0].witness, "a.example/witness");
  EXPECT_EQ(verified->cosignatures[0].time_seconds, 1767225600);
}

TEST_F(ReceiptProofTest, EachWrongProofIsNamed) {
  const std::vector<std::string> log = {log_.key().Encode()};
  auto refused = [&](const ReceiptProof& proof, std::vector<std::string> logs, int quorum) {
    return VerifyReceiptProof(proof, logs, Witnesses(), quorum).status();
  };
  const ReceiptProof good = Proof(41, {&witness_a_});

  ReceiptProof other_leaf = good;
  other_leaf.leaf_hash[0] ^= 1;
  EXPECT_EQ(refused(other_leaf, log, 1).code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(refused(other_leaf, log, 1).message()), HasSubstr("not in the tree"));

  ReceiptProof other_index = good;
  other_index.leaf_index = 42;
  EXPECT_EQ(refused(other_index, log, 1).code(), absl::StatusCode::kDataLoss);

  ReceiptProof other_replica = good;
  other_replica.replica = "hub-2";
  EXPECT_THAT(std::string(refused(other_replica, log, 1).message()),
              HasSubstr("not of replica hub-2"));

  ReceiptProof other_size = good;
  other_size.tree_size = 299;
  EXPECT_THAT(std::string(refused(other_size, log, 1).message()), HasSubstr("the proof size 299"));

  const Ed25519NoteSigner impostor = *Ed25519NoteSigner::Create(*Ed25519NoteKey::Generate(kOrigin));
  EXPECT_EQ(refused(good, {impostor.key().Encode()}, 1).code(),
            absl::StatusCode::kUnauthenticated);

  absl::Status short_of_quorum = refused(good, log, 2);
  EXPECT_EQ(short_of_quorum.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(short_of_quorum.message()), HasSubstr("1 of the witnesses"));
  EXPECT_EQ(refused(good, log, 3).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(VerifyReceiptProof(Proof(299, {}), log, {}, 0).ok()) << "no witness asked for";
}

// The proof file round-trips, still verifies, and what is wrong in one is
// named by its field.
TEST_F(ReceiptProofTest, TheProofFileRoundTripsAndNamesWhatIsWrong) {
  const ReceiptProof proof = Proof(41, {&witness_a_});
  const std::string json = ReceiptProofToJson(proof);
  EXPECT_THAT(json, HasSubstr(absl::StrCat("\"leaf_hash\": \"", HashHex(proof.leaf_hash), "\"")));
  EXPECT_THAT(json, HasSubstr("\"checkpoint\": \"ndxp.example/audit/hub-1\\n300\\n"));
  absl::StatusOr<ReceiptProof> read = ReceiptProofFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->replica, proof.replica);
  EXPECT_EQ(read->leaf_index, 41);
  EXPECT_EQ(read->leaf_hash, proof.leaf_hash);
  EXPECT_EQ(read->tree_size, 300);
  EXPECT_EQ(read->root_hash, proof.root_hash);
  EXPECT_EQ(read->hashes, proof.hashes);
  EXPECT_EQ(read->checkpoint, proof.checkpoint);
  EXPECT_TRUE(VerifyReceiptProof(*read, {log_.key().Encode()}, Witnesses(), 1).ok());

  auto error = [](const std::string& text) {
    absl::StatusOr<ReceiptProof> parsed = ReceiptProofFromJson(text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    return std::string(parsed.status().message());
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string edited = json;
    const size_t at = edited.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return edited.replace(at, from.size(), to);
  };
  EXPECT_THAT(error("not json"), HasSubstr("not a JSON object"));
  EXPECT_THAT(error("[1]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(error(replaced("\"leaf_index\": 41", "\"leaf_index\": -1")),
              HasSubstr("field leaf_index"));
  EXPECT_THAT(error(replaced("\"tree_size\": 300", "\"tree_size\": \"300\"")),
              HasSubstr("field tree_size"));
  EXPECT_THAT(error(replaced("\"tree_size\": 300", "\"tree_sized\": 300")),
              HasSubstr("field tree_sized: unknown"));
  EXPECT_THAT(error(replaced("\"replica\": \"hub-1\",", "")), HasSubstr("field replica: missing"));
  const std::string second = HashHex(proof.hashes[1]);
  EXPECT_THAT(error(replaced(second, second.substr(1))), HasSubstr("field hashes[1]"));
  EXPECT_THAT(error(replaced(HashHex(proof.root_hash), "g" + HashHex(proof.root_hash).substr(1))),
              HasSubstr("field root_hash: 'g' at 0"));
  // Upper-case hex is read too.
  std::string upper = HashHex(proof.leaf_hash);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  absl::StatusOr<ReceiptProof> upper_read =
      ReceiptProofFromJson(replaced(HashHex(proof.leaf_hash), upper));
  ASSERT_TRUE(upper_read.ok()) << upper_read.status();
  EXPECT_EQ(upper_read->leaf_hash, proof.leaf_hash);
}

}  // namespace
}  // namespace ndxp::transparency
