// The witness against an honest log and a dishonest operator: a log grown
// and cosigned step by step; a rewritten tail re-signed with the log's own
// key, a dropped row, a reordered pair, one changed byte, a rollback, a
// forged signature and an unknown log refused; the last cosigned checkpoint
// kept across a restart.
#include "gateway/transparency/witness.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::transparency {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kOrigin[] = "ndxp.example/audit/hub-1";
constexpr int64_t kNow = 1767225600;

// A log the test runs, honestly or not: its rows, its tree, its key.
class TestLog {
 public:
  TestLog() : signer_(*Ed25519NoteSigner::Create(*Ed25519NoteKey::Generate(kOrigin))) {}
  // Appends rows "row <i>" up to `size` rows.
  void GrowTo(int64_t size) {
    for (int64_t i = static_cast<int64_t>(rows_.size()); i < size; ++i) {
      rows_.push_back(absl::StrCat("row ", i));
    }
  }
  std::vector<std::string>& rows() { return rows_; }
  // The tree of the rows as they are now.
  MemoryTileStore Tree() const {
    MemoryTileStore tree;
    std::vector<Hash> leaves;
    for (const std::string& row : rows_) leaves.push_back(LeafHash(row));
    EXPECT_TRUE(tree.Append(leaves).ok());
    return tree;
  }
  // The signed checkpoint of the rows as they are now.
  std::string Checkpoint() const {
    MemoryTileStore tree = Tree();
    const Hash root = *TreeRoot(tree.size(), tree);
    return *SignNote(*FormatCheckpoint({kOrigin, tree.size(), root}), {&signer_});
  }
  // The proof that the rows as they are now extend the first `old_size`.
  std::vector<Hash> ProofFrom(int64_t old_size) const {
    MemoryTileStore tree = Tree();
    return *ConsistencyProof(old_size, tree.size(), tree);
  }
  std::string vkey() const { return signer_.key().Encode(); }

 private:
  Ed25519NoteSigner signer_;
  std::vector<std::string> rows_;
};

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("ndxp-witness-", ::getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    witness_key_ = *Ed25519NoteKey::Generate("province.example/witness", kCosignatureV1Type);
    witness_ = Open();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Witness> Open() {
    absl::StatusOr<std::unique_ptr<Witness>> witness = Witness::Open(
        dir_.string(), witness_key_, {{kOrigin, {log_.vkey()}}}, [] { return kNow; });
    EXPECT_TRUE(witness.ok()) << witness.status();
    return witness.ok() ? *std::move(witness) : nullptr;
  }

  // Grows the log to `size` and has the witness cosign it.
  void CosignAt(int64_t size) {
    const int64_t last = witness_->Latest(kOrigin)->tree_size;
    log_.GrowTo(size);
    absl::StatusOr<std::string> cosigned = witness_->Cosign(log_.Checkpoint(), log_.ProofFrom(last));
    ASSERT_TRUE(cosigned.ok()) << cosigned.status();
  }

  fs::path dir_;
  Ed25519NoteKey witness_key_ = *Ed25519NoteKey::Generate("w", kCosignatureV1Type);
  TestLog log_;
  std::unique_ptr<Witness> witness_;
};

TEST_F(WitnessTest, CosignsAGrowingLogStepByStep) {
  for (int64_t size : {1, 2, 3, 255, 256, 257, 600, 1000}) {
    SCOPED_TRACE(size);
    const int64_t last = witness_->Latest(kOrigin)->tree_size;
    log_.GrowTo(size);
    const std::string note = log_.Checkpoint();
    absl::StatusOr<std::string> cosigned = witness_->Cosign(note, log_.ProofFrom(last));
    ASSERT_TRUE(cosigned.ok()) << cosigned.status();
    // The cosignature verifies, with the witness's time.
    Ed25519NoteVerifier log = *Ed25519NoteVerifier::FromVkey(log_.vkey());
    CosignatureVerifier witness = *CosignatureVerifier::FromVkey(witness_->vkey());
    absl::StatusOr<OpenedNote> opened = OpenNote(*cosigned, {&log, &witness});
    ASSERT_TRUE(opened.ok()) << opened.status();
    std::vector<Cosignature> cosignatures = *WitnessCosignatures(*opened, {&witness});
    ASSERT_EQ(cosignatures.size(), 1u);
    EXPECT_EQ(cosignatures[0].time_seconds, kNow);
    EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, size);
  }
  // The same checkpoint again is cosigned again (a retry), no proof needed.
  EXPECT_TRUE(witness_->Cosign(log_.Checkpoint(), {}).ok());
}

// The dishonest operator rewrites rows the witness has cosigned, and re-signs
// the checkpoints with the log's own key: each history is refused.
TEST_F(WitnessTest, ARewrittenHistoryIsRefusedWhateverTheEdit) {
  CosignAt(600);
  const std::vector<std::string> honest = log_.rows();
  struct Edit {
    const char* what;
    void (*apply)(std::vector<std::string>&);
  };
  const Edit edits[] = {
      {"one byte of a row", [](std::vector<std::string>& rows) { rows[100][0] ^= 1; }},
      {"a dropped row", [](std::vector<std::string>& rows) { rows.erase(rows.begin() + 10); }},
      {"a reordered pair", [](std::vector<std::string>& rows) { std::swap(rows[20], rows[21]); }},
      {"a rewritten tail",
       [](std::vector<std::string>& rows) {
         for (size_t i = 500; i < rows.size(); ++i) rows[i] = "forged " + rows[i];
       }},
  };
  for (const Edit& edit : edits) {
    SCOPED_TRACE(edit.what);
    log_.rows() = honest;
    edit.apply(log_.rows());
    log_.GrowTo(700);  // then grows on, with a valid-looking proof of its own
    absl::StatusOr<std::string> refused = witness_->Cosign(log_.Checkpoint(), log_.ProofFrom(600));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr("inconsistent with the one cosigned"));
    EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, 600) << "nothing of it remembered";
  }
  // The same size with another root: a split view too.
  log_.rows() = honest;
  log_.rows()[5] = "other";
  absl::StatusOr<std::string> split = witness_->Cosign(log_.Checkpoint(), {});
  EXPECT_EQ(split.status().code(), absl::StatusCode::kDataLoss);
  // The honest log goes on.
  log_.rows() = honest;
  CosignAt(700);
}

TEST_F(WitnessTest, AnOlderCheckpointAForgedOneAndAnUnknownLogAreRefused) {
  CosignAt(300);
  const std::string at_300 = log_.Checkpoint();
  CosignAt(400);
  EXPECT_EQ(witness_->Cosign(at_300, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  TestLog impostor;  // another key claiming the same origin
  impostor.GrowTo(500);
  EXPECT_EQ(witness_->Cosign(impostor.Checkpoint(), {}).status().code(),
            absl::StatusCode::kUnauthenticated);

  const Ed25519NoteSigner stranger =
      *Ed25519NoteSigner::Create(*Ed25519NoteKey::Generate("ndxp.example/audit/hub-9"));
  const std::string other =
      *SignNote(*FormatCheckpoint({"ndxp.example/audit/hub-9", 1, LeafHash("x")}), {&stranger});
  EXPECT_EQ(witness_->Cosign(other, {}).status().code(), absl::StatusCode::kNotFound);
  // A proof that does not fit is refused like a rewritten history.
  log_.GrowTo(450);
  std::vector<Hash> wrong = log_.ProofFrom(400);
  wrong[0][0] ^= 1;
  EXPECT_EQ(witness_->Cosign(log_.Checkpoint(), wrong).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, 400);
}

TEST_F(WitnessTest, TheLastCosignedCheckpointOutlivesARestart) {
  CosignAt(256);
  const Hash root = witness_->Latest(kOrigin)->root;
  witness_ = Open();
  ASSERT_NE(witness_, nullptr);
  EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, 256);
  EXPECT_EQ(witness_->Latest(kOrigin)->root, root);
  // So a history rewritten while it was down is still refused.
  log_.rows()[0] = "forged";
  log_.GrowTo(300);
  EXPECT_EQ(witness_->Cosign(log_.Checkpoint(), log_.ProofFrom(256)).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ndxp::transparency
