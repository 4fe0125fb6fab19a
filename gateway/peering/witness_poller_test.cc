// The witness's poll, without the network: a log's hub played by a fake
// over a real Merkle tree, honest or not. What it asks the hub for, what it
// hands back, what it refuses and counts, and what it logs once.
#include "gateway/peering/witness_poller.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using transparency::Hash;

constexpr char kOrigin[] = "national.ndxp.test/audit/hub-1";
constexpr int64_t kNow = 1767225600;

// The log's hub, honest or not: its rows, its tree, its log key, and what
// the witness asked of it.
class FakeLogHub : public WitnessedLogClient {
 public:
  struct State {
    std::vector<std::string> rows;
    absl::Status down;             // every call fails with it
    absl::Status add_cosignature;  // AddCosignature's answer
    bool publish = false;          // GetCheckpoint answers with the cosignatures
    std::vector<std::pair<int64_t, int64_t>> proofs_asked;
    std::vector<std::string> cosigned;  // what AddCosignature was given
  };
  FakeLogHub(State* state, const transparency::Ed25519NoteSigner* signer)
      : state_(state), signer_(signer) {}

  absl::StatusOr<std::string> GetCheckpoint() override {
    if (!state_->down.ok()) return state_->down;
    transparency::MemoryTileStore tree = Tree();
    const Hash root = *transparency::TreeRoot(tree.size(), tree);
    std::string note = *transparency::SignNote(
        *transparency::FormatCheckpoint({kOrigin, tree.size(), root}), {signer_});
    // As a hub that takes cosignatures publishes them with its checkpoint.
    if (state_->publish && !state_->cosigned.empty() &&
        state_->cosigned.back().substr(0, note.find("\n\n")) == note.substr(0, note.find("\n\n"))) {
      return state_->cosigned.back();
    }
    return note;
  }
  absl::StatusOr<std::vector<Hash>> GetConsistencyProof(int64_t first, int64_t second) override {
    if (!state_->down.ok()) return state_->down;
    state_->proofs_asked.emplace_back(first, second);
    transparency::MemoryTileStore tree = Tree();
    return transparency::ConsistencyProof(first, second, tree);
  }
  absl::Status AddCosignature(const std::string& cosigned_note) override {
    if (!state_->down.ok()) return state_->down;
    state_->cosigned.push_back(cosigned_note);
    return state_->add_cosignature;
  }

 private:
  transparency::MemoryTileStore Tree() const {
    transparency::MemoryTileStore tree;
    std::vector<Hash> leaves;
    for (const std::string& row : state_->rows) leaves.push_back(transparency::LeafHash(row));
    EXPECT_TRUE(tree.Append(leaves).ok());
    return tree;
  }
  State* state_;
  const transparency::Ed25519NoteSigner* signer_;
};

class WitnessPollerTest : public ::testing::Test {
 protected:
  WitnessPollerTest()
      : log_key_(*transparency::Ed25519NoteKey::Generate(kOrigin)),
        log_signer_(*transparency::Ed25519NoteSigner::Create(log_key_)),
        witness_key_(*transparency::Ed25519NoteKey::Generate("province.ndxp.test/witness",
                                                             transparency::kCosignatureV1Type)) {}

  // A poller as the hub would start it, over the state in dir_, with the
  // clock at now_.
  std::unique_ptr<WitnessPoller> Poller() {
    auto witness = transparency::Witness::Open(state_dir_, witness_key_,
                                               {{kOrigin, {log_key_.verifier_key().Encode()}}},
                                               [this] { return now_; });
    EXPECT_TRUE(witness.ok()) << witness.status();
    std::vector<WitnessPoller::FollowedLog> logs;
    logs.push_back({kOrigin,
                    {log_key_.verifier_key().Encode()},
                    "national:9443",
                    std::make_unique<FakeLogHub>(&hub_, &log_signer_)});
    return std::make_unique<WitnessPoller>(*std::move(witness), std::move(logs));
  }

  void GrowTo(size_t size) {
    while (hub_.rows.size() < size) hub_.rows.push_back(absl::StrCat("row ", hub_.rows.size()));
  }

  // The checkpoint `note` states, with the witness's cosignatures on it.
  std::pair<transparency::Checkpoint, std::vector<transparency::Cosignature>> Opened(
      const std::string& note) {
    auto log_verifier =
        *transparency::Ed25519NoteVerifier::FromVkey(log_key_.verifier_key().Encode());
    auto witness_verifier =
        *transparency::CosignatureVerifier::FromVkey(witness_key_.verifier_key().Encode());
    absl::StatusOr<transparency::OpenedNote> opened =
        transparency::OpenNote(note, {&log_verifier, &witness_verifier});
    EXPECT_TRUE(opened.ok()) << opened.status();
    auto cosignatures = transparency::WitnessCosignatures(*opened, {&witness_verifier});
    return {*transparency::ParseCheckpoint(opened->text), *cosignatures};
  }

  int64_t CosignedSize() {
    return transparency::Witness::Open(state_dir_, witness_key_,
                                       {{kOrigin, {log_key_.verifier_key().Encode()}}})
        .value()
        ->Latest(kOrigin)
        ->tree_size;
  }

  testing::TempDir dir_;
  std::string state_dir_ = dir_.path();
  transparency::Ed25519NoteKey log_key_;
  transparency::Ed25519NoteSigner log_signer_;
  transparency::Ed25519NoteKey witness_key_;
  int64_t now_ = kNow;
  FakeLogHub::State hub_;
};

TEST_F(WitnessPollerTest, CosignsEachNewCheckpointWithAProofFromTheLastAndHandsItBack) {
  auto poller = Poller();
  GrowTo(3);
  poller->PollOnce();
  // The first: nothing cosigned before, so no proof asked.
  EXPECT_THAT(hub_.proofs_asked, IsEmpty());
  ASSERT_THAT(hub_.cosigned, SizeIs(1));
  auto [first, cosignatures] = Opened(hub_.cosigned[0]);
  EXPECT_EQ(first.tree_size, 3);
  ASSERT_THAT(cosignatures, SizeIs(1));
  EXPECT_EQ(cosignatures[0].witness, "province.ndxp.test/witness");
  EXPECT_EQ(cosignatures[0].time_seconds, kNow);  // the injected clock's
  EXPECT_EQ(poller->cosigned(kOrigin), 1u);

  // Nothing new: nothing asked, nothing handed back again.
  poller->PollOnce();
  EXPECT_THAT(hub_.cosigned, SizeIs(1));

  GrowTo(10);
  now_ = kNow + 5;
  poller->PollOnce();
  EXPECT_THAT(hub_.proofs_asked, ElementsAre(std::pair<int64_t, int64_t>{3, 10}));
  ASSERT_THAT(hub_.cosigned, SizeIs(2));
  auto [second, later] = Opened(hub_.cosigned[1]);
  EXPECT_EQ(second.tree_size, 10);
  EXPECT_EQ(later[0].time_seconds, kNow + 5);
  EXPECT_EQ(poller->cosigned(kOrigin), 2u);
  EXPECT_EQ(CosignedSize(), 10);

  metrics::PrometheusText page;
  poller->WriteMetrics(&page);
  const std::string text = std::move(page).Take();
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat("ndxp_witness_cosigned_total{origin=\"", kOrigin, "\"} 2")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("ndxp_witness_tree_size{origin=\"", kOrigin, "\"} 10")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("ndxp_witness_refused_total{origin=\"", kOrigin,
                                           "\",reason=\"inconsistent\"} 0")));
}

TEST_F(WitnessPollerTest, ARestartedWitnessContinuesFromItsState) {
  GrowTo(4);
  Poller()->PollOnce();
  GrowTo(6);
  Poller()->PollOnce();
  EXPECT_THAT(hub_.proofs_asked, ElementsAre(std::pair<int64_t, int64_t>{4, 6}));
  EXPECT_EQ(CosignedSize(), 6);
}

// The dishonest operator: each forgery re-signed with the log's own key.
TEST_F(WitnessPollerTest, RefusesARewrittenHistoryOnceAndCountsIt) {
  struct Forgery {
    const char* name;
    std::function<void(std::vector<std::string>&)> forge;
  };
  const Forgery forgeries[] = {
      {"one byte of a row", [](auto& rows) { rows[2][0] ^= 1; }},
      {"a dropped row", [](auto& rows) { rows.erase(rows.begin() + 1); }},
      {"a reordered pair", [](auto& rows) { std::swap(rows[1], rows[2]); }},
      {"a rewritten tail", [](auto& rows) { rows[4] = "forged"; }},
  };
  for (const Forgery& forgery : forgeries) {
    SCOPED_TRACE(forgery.name);
    state_dir_ = absl::StrCat(dir_.path(), "/", &forgery - forgeries);
    std::filesystem::create_directory(state_dir_);
    hub_ = {};
    auto poller = Poller();
    GrowTo(5);
    poller->PollOnce();
    ASSERT_THAT(hub_.cosigned, SizeIs(1));
    forgery.forge(hub_.rows);
    GrowTo(8);
    poller->PollOnce();
    poller->PollOnce();  // the same forged checkpoint: refused once
    EXPECT_THAT(hub_.cosigned, SizeIs(1));
    EXPECT_EQ(poller->refused(kOrigin, "inconsistent"), 1u);
    EXPECT_EQ(poller->cosigned(kOrigin), 1u);
    EXPECT_EQ(CosignedSize(), 5);
    // A later forged checkpoint is refused and counted too.
    GrowTo(9);
    poller->PollOnce();
    EXPECT_EQ(poller->refused(kOrigin, "inconsistent"), 2u);
    EXPECT_THAT(hub_.cosigned, SizeIs(1));
  }
}

TEST_F(WitnessPollerTest, RefusesAnotherRootAtTheSameSizeAndARollback) {
  auto poller = Poller();
  GrowTo(5);
  poller->PollOnce();
  hub_.rows[4] = "forged";
  poller->PollOnce();
  EXPECT_EQ(poller->refused(kOrigin, "inconsistent"), 1u);
  hub_.rows.pop_back();
  poller->PollOnce();
  EXPECT_EQ(poller->refused(kOrigin, "older"), 1u);
  EXPECT_THAT(hub_.cosigned, SizeIs(1));
  EXPECT_EQ(CosignedSize(), 5);
}

TEST_F(WitnessPollerTest, RefusesACheckpointNotSignedByTheLogsKey) {
  auto other =
      *transparency::Ed25519NoteSigner::Create(*transparency::Ed25519NoteKey::Generate(kOrigin));
  auto witness = transparency::Witness::Open(state_dir_, witness_key_,
                                             {{kOrigin, {log_key_.verifier_key().Encode()}}});
  std::vector<WitnessPoller::FollowedLog> logs;
  logs.push_back({kOrigin,
                  {log_key_.verifier_key().Encode()},
                  "national:9443",
                  std::make_unique<FakeLogHub>(&hub_, &other)});
  WitnessPoller poller(*std::move(witness), std::move(logs));
  GrowTo(2);
  poller.PollOnce();
  EXPECT_EQ(poller.refused(kOrigin, "unverified"), 1u);
  EXPECT_THAT(hub_.cosigned, IsEmpty());
  EXPECT_EQ(CosignedSize(), 0);
}

TEST_F(WitnessPollerTest, ACosignatureNotTakenIsHandedAgainUnlessTheHubHasNoAddCosignature) {
  auto poller = Poller();
  GrowTo(3);
  hub_.add_cosignature = absl::UnavailableError("connection reset");
  poller->PollOnce();
  poller->PollOnce();
  // Cosigned and remembered once; handed back at each poll until taken.
  EXPECT_EQ(poller->cosigned(kOrigin), 1u);
  EXPECT_EQ(CosignedSize(), 3);
  EXPECT_THAT(hub_.cosigned, SizeIs(2));
  hub_.add_cosignature = absl::OkStatus();
  poller->PollOnce();
  poller->PollOnce();
  EXPECT_THAT(hub_.cosigned, SizeIs(3));
  EXPECT_EQ(poller->cosigned(kOrigin), 1u);

  // A hub that predates AddCosignature is handed each checkpoint once.
  hub_.add_cosignature = absl::UnimplementedError("no route for method");
  GrowTo(4);
  poller->PollOnce();
  poller->PollOnce();
  EXPECT_THAT(hub_.cosigned, SizeIs(4));
  EXPECT_EQ(CosignedSize(), 4);
  GrowTo(5);
  poller->PollOnce();
  EXPECT_THAT(hub_.cosigned, SizeIs(5));
  EXPECT_EQ(poller->cosigned(kOrigin), 3u);
}

TEST_F(WitnessPollerTest, ARestartedWitnessCosignsAPublishedCheckpointOnceMore) {
  hub_.publish = true;
  GrowTo(3);
  Poller()->PollOnce();
  ASSERT_THAT(hub_.cosigned, SizeIs(1));
  // The hub serves the checkpoint with the cosignature; a restarted witness
  // (which forgot it handed it back) cosigns it again, one line of its own.
  now_ = kNow + 60;
  Poller()->PollOnce();
  ASSERT_THAT(hub_.cosigned, SizeIs(2));
  auto [checkpoint, cosignatures] = Opened(hub_.cosigned[1]);
  EXPECT_EQ(checkpoint.tree_size, 3);
  ASSERT_THAT(cosignatures, SizeIs(1));
  EXPECT_EQ(cosignatures[0].time_seconds, kNow + 60);
}

TEST_F(WitnessPollerTest, AHubDownChangesNothing) {
  auto poller = Poller();
  GrowTo(3);
  poller->PollOnce();
  GrowTo(5);
  hub_.down = absl::UnavailableError("connection refused");
  poller->PollOnce();
  poller->PollOnce();
  EXPECT_EQ(CosignedSize(), 3);
  hub_.down = absl::OkStatus();
  poller->PollOnce();
  EXPECT_EQ(CosignedSize(), 5);
  EXPECT_EQ(poller->cosigned(kOrigin), 2u);
}

TEST_F(WitnessPollerTest, StopsPollingOnceStopped) {
  auto poller = Poller();
  GrowTo(3);
  poller->Stop();
  poller->PollOnce();
  EXPECT_THAT(hub_.cosigned, IsEmpty());
}

}  // namespace
}  // namespace ndxp::gateway
