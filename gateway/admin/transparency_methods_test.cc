// ndxp.hub.v1.Transparency over a log kept in memory: the checkpoint as
// signed, inclusion proofs that verify against the checkpoint's root for the
// row's own consumer and operators only, consistency proofs between
// checkpoints, and the bounds of what may be asked; witnesses' cosignatures
// kept (only the listed witnesses', verified, of checkpoints the log
// signed) and published with the checkpoint.
#include "gateway/admin/transparency_methods.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <map>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ndxp/hub/v1/transparency.pb.h"

namespace ndxp::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using transparency::Hash;

constexpr char kReplica[] = "hub-1";
constexpr char kOrigin[] = "ndxp.example/audit/hub-1";

Hash HashOf(const std::string& bytes) {
  Hash hash{};
  EXPECT_EQ(bytes.size(), hash.size());
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

// One replica's log: row i was called by consumers_[i]; a checkpoint is
// signed whenever the test says, and each is kept with its cosignatures (as
// the stores keep them: one per witness key, a later one replacing it).
class MemoryLog final : public TransparencyLog {
 public:
  MemoryLog()
      : signer_(*transparency::Ed25519NoteSigner::Create(
            *transparency::Ed25519NoteKey::Generate(kOrigin))) {}

  void Append(const std::string& consumer, const std::string& request_id = "") {
    consumers_.push_back(consumer);
    request_ids_.push_back(request_id);
    leaves_.push_back(transparency::LeafHash(absl::StrCat("row ", consumers_.size())));
  }
  void SignCheckpoint() {
    transparency::MemoryTileStore tree = Tree(static_cast<int64_t>(leaves_.size()));
    checkpoint_ = *transparency::SignNote(
        *transparency::FormatCheckpoint(
            {kOrigin, tree.size(), *transparency::TreeRoot(tree.size(), tree)}),
        {&signer_});
    checkpoints_[tree.size()] = checkpoint_;
  }
  std::string vkey() const { return signer_.key().Encode(); }

  absl::StatusOr<std::string> LatestCheckpoint(absl::string_view replica) override {
    if (replica != kReplica || checkpoint_.empty()) return absl::NotFoundError("no checkpoint");
    return checkpoint_;
  }
  absl::StatusOr<std::string> CosignedCheckpoint(absl::string_view replica,
                                                 absl::Span<const std::string> witness_keys,
                                                 int min_cosignatures) override {
    if (replica != kReplica) return absl::NotFoundError("no checkpoint");
    for (auto it = checkpoints_.rbegin(); it != checkpoints_.rend(); ++it) {
      std::string note = it->second;
      int count = 0;
      for (const auto& [key, cosignature] : cosignatures_[it->first]) {
        if (absl::c_find(witness_keys, key) == witness_keys.end()) continue;
        ++count;
        absl::StrAppend(&note, cosignature.line, "\n");
      }
      if (count >= min_cosignatures) return note;
    }
    return absl::NotFoundError("no checkpoint cosigned enough");
  }
  absl::StatusOr<std::vector<std::string>> AddCosignatures(
      absl::string_view replica, int64_t tree_size, absl::string_view checkpoint_text,
      absl::Span<const TransactionStore::TreeCosignature> cosignatures) override {
    auto stored = checkpoints_.find(tree_size);
    if (replica != kReplica || stored == checkpoints_.end() ||
        !absl::StartsWith(stored->second, absl::StrCat(checkpoint_text, "\n"))) {
      return absl::NotFoundError("no such checkpoint");
    }
    std::vector<std::string> kept;
    for (const TransactionStore::TreeCosignature& cosignature : cosignatures) {
      auto [at, added] = cosignatures_[tree_size].emplace(cosignature.witness_key, cosignature);
      if (!added && at->second.time_seconds >= cosignature.time_seconds) continue;
      at->second = cosignature;
      kept.push_back(cosignature.witness_key);
    }
    return kept;
  }
  absl::StatusOr<Leaf> ReadLeaf(absl::string_view replica, int64_t index) override {
    if (replica != kReplica || index >= static_cast<int64_t>(leaves_.size())) {
      return absl::NotFoundError("no such row");
    }
    return Leaf{consumers_[index], leaves_[index]};
  }
  absl::StatusOr<Hash> TreeRoot(absl::string_view, int64_t size) override {
    transparency::MemoryTileStore tree = Tree(size);
    return transparency::TreeRoot(size, tree);
  }
  absl::StatusOr<std::vector<Hash>> InclusionProof(absl::string_view, int64_t index,
                                                   int64_t size) override {
    transparency::MemoryTileStore tree = Tree(size);
    return transparency::InclusionProof(index, size, tree);
  }
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(absl::string_view, int64_t first,
                                                     int64_t second) override {
    transparency::MemoryTileStore tree = Tree(second);
    return transparency::ConsistencyProof(first, second, tree);
  }
  absl::StatusOr<std::vector<int64_t>> FindRequestLeaves(absl::string_view replica,
                                                         absl::string_view request_id,
                                                         absl::string_view consumer,
                                                         int limit) override {
    std::vector<int64_t> leaves;
    for (size_t i = 0; replica == kReplica && i < request_ids_.size(); ++i) {
      if (request_ids_[i] == request_id && (consumer.empty() || consumers_[i] == consumer) &&
          static_cast<int>(leaves.size()) < limit) {
        leaves.push_back(static_cast<int64_t>(i));
      }
    }
    return leaves;
  }

 private:
  transparency::MemoryTileStore Tree(int64_t size) const {
    transparency::MemoryTileStore tree;
    EXPECT_TRUE(tree.Append(absl::MakeConstSpan(leaves_).subspan(0, size)).ok());
    return tree;
  }
  transparency::Ed25519NoteSigner signer_;
  std::vector<std::string> consumers_;
  std::vector<std::string> request_ids_;
  std::vector<Hash> leaves_;
  std::string checkpoint_;
  std::map<int64_t, std::string> checkpoints_;
  std::map<int64_t, std::map<std::string, TransactionStore::TreeCosignature>> cosignatures_;
};

template <typename Response, typename Request>
grpc::Status Call(TransparencyMethods& methods,
                  grpc::Status (TransparencyMethods::*method)(const LocalCall&, grpc::ByteBuffer*,
                                                              grpc::ByteBuffer*),
                  const LocalCall& call, const Request& request, Response* response) {
  grpc::ByteBuffer in, out;
  bool own = false;
  EXPECT_TRUE(grpc::SerializationTraits<Request>::Serialize(request, &in, &own).ok());
  grpc::Status status = (methods.*method)(call, &in, &out);
  if (status.ok()) {
    EXPECT_TRUE(grpc::SerializationTraits<Response>::Deserialize(&out, response).ok());
  }
  return status;
}

class TransparencyMethodsTest : public ::testing::Test {
 protected:
  TransparencyMethodsTest() { MakeMethods({}); }
  // A log of 300 rows, signed, and the methods over it accepting the
  // cosignatures of `witnesses`.
  void MakeMethods(std::vector<transparency::CosignatureVerifier> witnesses) {
    auto log = std::make_unique<MemoryLog>();
    log_ = log.get();
    for (int i = 0; i < 300; ++i) log_->Append(i % 3 == 0 ? "000.00.00.G12/tax" : "000.00.00.H11/lgsp");
    log_->SignCheckpoint();  // 300
    methods_ =
        std::make_unique<TransparencyMethods>(std::move(log), kReplica, std::move(witnesses));
  }
  static LocalCall Caller(const std::string& consumer, bool from_operator = false) {
    LocalCall call;
    call.consumer = consumer;
    call.from_operator = from_operator;
    return call;
  }
  grpc::Status Inclusion(const LocalCall& call, int64_t index, int64_t size,
                         hub::v1::GetInclusionProofResponse* response) {
    hub::v1::GetInclusionProofRequest request;
    request.set_leaf_index(index);
    request.set_tree_size(size);
    return Call(*methods_, &TransparencyMethods::GetInclusionProof, call, request, response);
  }

  MemoryLog* log_;
  std::unique_ptr<TransparencyMethods> methods_;
};

TEST_F(TransparencyMethodsTest, TheCheckpointIsTheSignedNoteReadBack) {
  hub::v1::GetCheckpointResponse response;
  ASSERT_TRUE(Call(*methods_, &TransparencyMethods::GetCheckpoint, Caller("000.00.00.H11/lgsp"),
                   hub::v1::GetCheckpointRequest(), &response)
                  .ok());
  EXPECT_EQ(response.origin(), kOrigin);
  EXPECT_EQ(response.tree_size(), 300);
  const transparency::Ed25519NoteVerifier verifier =
      *transparency::Ed25519NoteVerifier::FromVkey(log_->vkey());
  absl::StatusOr<transparency::OpenedNote> opened =
      transparency::OpenNote(response.checkpoint(), {&verifier});
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(Hash(transparency::ParseCheckpoint(opened->text)->root),
            HashOf(response.root_hash()));
  hub::v1::GetCheckpointRequest other;
  other.set_replica("hub-9");
  EXPECT_EQ(Call(*methods_, &TransparencyMethods::GetCheckpoint, Caller("x/y"), other, &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(TransparencyMethodsTest, AConsumersOwnRowsAreProvenAgainstTheCheckpointsRoot) {
  for (int64_t index : {0, 3, 255, 297}) {
    for (int64_t size : {0, 298, 299}) {  // 0: the newest checkpoint's
      SCOPED_TRACE(absl::StrCat(index, " in ", size));
      hub::v1::GetInclusionProofResponse response;
      grpc::Status status = Inclusion(Caller("000.00.00.G12/tax"), index, size, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(response.tree_size(), size == 0 ? 300 : size);
      std::vector<Hash> proof;
      for (const std::string& hash : response.hashes()) proof.push_back(HashOf(hash));
      EXPECT_TRUE(transparency::VerifyInclusion(HashOf(response.leaf_hash()), index,
                                                response.tree_size(), proof,
                                                HashOf(response.root_hash()))
                      .ok());
    }
  }
}

TEST_F(TransparencyMethodsTest, OthersRowsAreTheirsAndOperatorsAlone) {
  hub::v1::GetInclusionProofResponse response;
  // Row 1 is the province's; row 400 does not exist: the same answer.
  grpc::Status theirs = Inclusion(Caller("000.00.00.G12/tax"), 1, 0, &response);
  grpc::Status missing = Inclusion(Caller("000.00.00.G12/tax"), 400, 0, &response);
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(theirs.error_message(), missing.error_message()) << "nothing said of the row";
  EXPECT_TRUE(Inclusion(Caller("000.00.00.A01/ops", true), 1, 0, &response).ok());
  EXPECT_EQ(Inclusion(Caller("000.00.00.A01/ops", true), 400, 0, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// A call proven by the request id it was made with: the asker's own rows
// only (an operator's: anyone's), a repeated id listed rather than guessed.
TEST_F(TransparencyMethodsTest, ARowIsProvenByItsRequestIdAmongTheAskersOwn) {
  const std::string tax = "000.00.00.G12/tax", lgsp = "000.00.00.H11/lgsp";
  log_->Append(tax, "r-once");     // index 300
  log_->Append(lgsp, "r-theirs");  // 301
  log_->Append(tax, "r-twice");    // 302
  log_->Append(tax, "r-twice");    // 303
  log_->Append(lgsp, "r-once");    // 304
  for (int i = 0; i < 25; ++i) log_->Append(tax, "r-often");
  log_->SignCheckpoint();
  auto by_request_id = [&](const LocalCall& call, const std::string& request_id,
                           hub::v1::GetInclusionProofResponse* response) {
    hub::v1::GetInclusionProofRequest request;
    request.set_request_id(request_id);
    return Call(*methods_, &TransparencyMethods::GetInclusionProof, call, request, response);
  };
  hub::v1::GetInclusionProofResponse response;
  grpc::Status proven = by_request_id(Caller(tax), "r-once", &response);
  ASSERT_TRUE(proven.ok()) << proven.error_message();
  EXPECT_EQ(response.replica(), kReplica);
  EXPECT_EQ(response.leaf_index(), 300);
  EXPECT_EQ(response.tree_size(), 330);
  std::vector<Hash> proof;
  for (const std::string& hash : response.hashes()) proof.push_back(HashOf(hash));
  EXPECT_TRUE(transparency::VerifyInclusion(HashOf(response.leaf_hash()), 300, 330, proof,
                                            HashOf(response.root_hash()))
                  .ok());
  ASSERT_TRUE(by_request_id(Caller(lgsp), "r-once", &response).ok());
  EXPECT_EQ(response.leaf_index(), 304) << "the asker's own row of that id";

  // Another consumer's request id is answered as one nobody used.
  grpc::Status theirs = by_request_id(Caller(tax), "r-theirs", &response);
  grpc::Status unused = by_request_id(Caller(tax), "r-unused", &response);
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(unused.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(theirs.error_message(),
            absl::StrReplaceAll(unused.error_message(), {{"r-unused", "r-theirs"}}));
  ASSERT_TRUE(by_request_id(Caller("000.00.00.A01/ops", true), "r-theirs", &response).ok());
  EXPECT_EQ(response.leaf_index(), 301);

  grpc::Status twice = by_request_id(Caller(tax), "r-twice", &response);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr("names 2 rows"));
  EXPECT_THAT(twice.error_message(), HasSubstr("hub-1:302, hub-1:303"));
  grpc::Status both = by_request_id(Caller("000.00.00.A01/ops", true), "r-once", &response);
  EXPECT_EQ(both.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(both.error_message(), HasSubstr("hub-1:300, hub-1:304"));
  grpc::Status often = by_request_id(Caller(tax), "r-often", &response);
  EXPECT_THAT(often.error_message(), HasSubstr("more than 20 rows"));
  EXPECT_THAT(often.error_message(), HasSubstr("hub-1:324, ..."));
  EXPECT_THAT(often.error_message(), Not(HasSubstr("hub-1:325")));

  hub::v1::GetInclusionProofRequest request;
  request.set_request_id("r-once");
  request.set_leaf_index(300);
  EXPECT_EQ(Call(*methods_, &TransparencyMethods::GetInclusionProof, Caller(tax), request,
                 &response)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(TransparencyMethodsTest, ProofsOnlyWithinTheNewestCheckpoint) {
  log_->Append("000.00.00.G12/tax");  // row 301 (index 300): no checkpoint covers it yet
  hub::v1::GetInclusionProofResponse response;
  grpc::Status uncovered = Inclusion(Caller("000.00.00.G12/tax"), 300, 0, &response);
  EXPECT_EQ(uncovered.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(uncovered.error_message(), HasSubstr("once a checkpoint covers it"));
  EXPECT_EQ(Inclusion(Caller("000.00.00.G12/tax"), 0, 301, &response).error_code(),
            grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(Inclusion(Caller("000.00.00.G12/tax"), -1, 0, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  log_->SignCheckpoint();
  EXPECT_TRUE(Inclusion(Caller("000.00.00.G12/tax"), 300, 0, &response).ok());
}

TEST_F(TransparencyMethodsTest, ConsistencyBetweenCheckpointsVerifies) {
  hub::v1::GetCheckpointResponse at_300;
  ASSERT_TRUE(Call(*methods_, &TransparencyMethods::GetCheckpoint, Caller("w/x"),
                   hub::v1::GetCheckpointRequest(), &at_300)
                  .ok());
  for (int i = 0; i < 250; ++i) log_->Append("000.00.00.H11/lgsp");
  log_->SignCheckpoint();  // 550
  hub::v1::GetCheckpointResponse at_550;
  ASSERT_TRUE(Call(*methods_, &TransparencyMethods::GetCheckpoint, Caller("w/x"),
                   hub::v1::GetCheckpointRequest(), &at_550)
                  .ok());
  hub::v1::GetConsistencyProofRequest request;
  request.set_first(300);
  request.set_second(550);
  hub::v1::GetConsistencyProofResponse response;
  ASSERT_TRUE(Call(*methods_, &TransparencyMethods::GetConsistencyProof, Caller("w/x"), request,
                   &response)
                  .ok());
  std::vector<Hash> proof;
  for (const std::string& hash : response.hashes()) proof.push_back(HashOf(hash));
  EXPECT_TRUE(transparency::VerifyConsistency(300, 550, HashOf(at_300.root_hash()),
                                              HashOf(at_550.root_hash()), proof)
                  .ok());
  for (auto [first, second, code] :
       std::vector<std::tuple<int64_t, int64_t, grpc::StatusCode>>{
           {0, 550, grpc::StatusCode::INVALID_ARGUMENT},
           {300, 200, grpc::StatusCode::INVALID_ARGUMENT},
           {300, 551, grpc::StatusCode::OUT_OF_RANGE}}) {
    request.set_first(first);
    request.set_second(second);
    EXPECT_EQ(Call(*methods_, &TransparencyMethods::GetConsistencyProof, Caller("w/x"), request,
                   &response)
                  .error_code(),
              code)
        << first << ".." << second;
  }
}

// Witnesses A and B listed, C not; each cosigns at the time the test sets.
class CosignatureTest : public TransparencyMethodsTest {
 protected:
  CosignatureTest() {
    MakeMethods({*transparency::CosignatureVerifier::FromVkey(a_.key().Encode()),
                 *transparency::CosignatureVerifier::FromVkey(b_.key().Encode())});
  }
  static transparency::CosignatureSigner Witness(const std::string& name, int64_t* time) {
    return *transparency::CosignatureSigner::Create(
        *transparency::Ed25519NoteKey::Generate(name, transparency::kCosignatureV1Type),
        [time] { return *time; });
  }
  std::string Newest(int min_cosignatures = 0) {
    hub::v1::GetCheckpointRequest request;
    request.set_min_cosignatures(min_cosignatures);
    hub::v1::GetCheckpointResponse response;
    grpc::Status status =
        Call(*methods_, &TransparencyMethods::GetCheckpoint, Caller("w/x"), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.checkpoint();
  }
  std::string Cosigned(const std::string& note,
                       std::initializer_list<const transparency::NoteSigner*> witnesses) {
    absl::StatusOr<std::string> cosigned = transparency::AddNoteSignatures(note, witnesses);
    EXPECT_TRUE(cosigned.ok()) << cosigned.status();
    return *cosigned;
  }
  grpc::Status Add(const std::string& note, hub::v1::AddCosignatureResponse* response) {
    hub::v1::AddCosignatureRequest request;
    request.set_checkpoint(note);
    return Call(*methods_, &TransparencyMethods::AddCosignature, Caller("000.00.00.G12/witness"),
                request, response);
  }
  // The witnesses' cosignatures a published note holds, verified.
  std::vector<transparency::Cosignature> CosignaturesOf(const std::string& note) {
    const transparency::Ed25519NoteVerifier log =
        *transparency::Ed25519NoteVerifier::FromVkey(log_->vkey());
    const transparency::CosignatureVerifier a =
        *transparency::CosignatureVerifier::FromVkey(a_.key().Encode());
    const transparency::CosignatureVerifier b =
        *transparency::CosignatureVerifier::FromVkey(b_.key().Encode());
    absl::StatusOr<transparency::OpenedNote> opened = transparency::OpenNote(note, {&log, &a, &b});
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return {};
    EXPECT_THAT(opened->unknown, IsEmpty()) << "only the listed witnesses' lines are published";
    return *transparency::WitnessCosignatures(*opened, {&a, &b});
  }

  int64_t time_a_ = 1800000000, time_b_ = 1800000005, time_c_ = 1800000009;
  transparency::CosignatureSigner a_ = Witness("ndxp.gov.vn/witness-a", &time_a_);
  transparency::CosignatureSigner b_ = Witness("ndxp.gov.vn/witness-b", &time_b_);
  transparency::CosignatureSigner c_ = Witness("ndxp.gov.vn/witness-c", &time_c_);
};

TEST_F(CosignatureTest, AListedWitnessesCosignatureIsKeptAndPublished) {
  const std::string note = Newest();
  hub::v1::AddCosignatureResponse response;
  grpc::Status status = Add(Cosigned(note, {&a_, &c_}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.accepted(), ElementsAre("ndxp.gov.vn/witness-a"));
  const std::string published = Newest();
  EXPECT_TRUE(absl::StartsWith(published, note));
  std::vector<transparency::Cosignature> cosignatures = CosignaturesOf(published);
  ASSERT_EQ(cosignatures.size(), 1u);
  EXPECT_EQ(cosignatures[0].witness, "ndxp.gov.vn/witness-a");
  EXPECT_EQ(cosignatures[0].time_seconds, time_a_);
  EXPECT_THAT(published, ::testing::Not(HasSubstr("witness-c")));
}

TEST_F(CosignatureTest, ARepeatKeepsOneCosignatureAndALaterOneReplacesIt) {
  const std::string note = Newest();
  hub::v1::AddCosignatureResponse response;
  ASSERT_TRUE(Add(Cosigned(note, {&a_}), &response).ok());
  ASSERT_TRUE(Add(Cosigned(note, {&a_}), &response).ok());
  EXPECT_THAT(response.accepted(), IsEmpty());
  time_a_ += 60;
  ASSERT_TRUE(Add(Cosigned(note, {&a_, &b_}), &response).ok());
  EXPECT_THAT(response.accepted(),
              ::testing::UnorderedElementsAre("ndxp.gov.vn/witness-a", "ndxp.gov.vn/witness-b"));
  std::vector<transparency::Cosignature> cosignatures = CosignaturesOf(Newest());
  ASSERT_EQ(cosignatures.size(), 2u);
  EXPECT_EQ(cosignatures[0].time_seconds + cosignatures[1].time_seconds, time_a_ + time_b_);
}

TEST_F(CosignatureTest, OnlyListedWitnessesSignaturesAuthenticate) {
  const std::string note = Newest();
  hub::v1::AddCosignatureResponse response;
  grpc::Status unlisted = Add(Cosigned(note, {&c_}), &response);
  EXPECT_EQ(unlisted.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(unlisted.error_message(), HasSubstr("no cosignature by a witness this hub lists"));
  EXPECT_EQ(Add(note, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // A's line with its last signature byte changed.
  const std::string cosigned = Cosigned(note, {&a_});
  const size_t line = cosigned.rfind("\xE2\x80\x94 ndxp.gov.vn/witness-a ");
  ASSERT_NE(line, std::string::npos);
  const size_t base64 = cosigned.rfind(' ') + 1;
  std::string signature;
  ASSERT_TRUE(absl::Base64Unescape(
      absl::string_view(cosigned).substr(base64, cosigned.size() - 1 - base64), &signature));
  signature.back() ^= 1;
  const std::string forged =
      absl::StrCat(cosigned.substr(0, base64), absl::Base64Escape(signature), "\n");
  grpc::Status bad = Add(forged, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(bad.error_message(), HasSubstr("ndxp.gov.vn/witness-a"));
  EXPECT_EQ(Newest(), note) << "nothing kept";
}

TEST_F(CosignatureTest, OnlyCheckpointsTheLogSignedAreCosigned) {
  const std::string note = Newest();
  const std::string text = note.substr(0, note.find("\n\n") + 1);
  const transparency::Checkpoint signed_one = *transparency::ParseCheckpoint(text);
  transparency::Checkpoint other_root = signed_one;
  other_root.root[0] ^= 1;
  transparency::Checkpoint other_size = signed_one;
  other_size.tree_size = 299;
  transparency::Checkpoint other_log = signed_one;
  other_log.origin = "ndxp.example/audit/hub-2";
  for (const transparency::Checkpoint& never : {other_root, other_size, other_log}) {
    SCOPED_TRACE(*transparency::FormatCheckpoint(never));
    hub::v1::AddCosignatureResponse response;
    const std::string cosigned =
        *transparency::SignNote(*transparency::FormatCheckpoint(never), {&a_});
    EXPECT_EQ(Add(cosigned, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  hub::v1::AddCosignatureResponse response;
  EXPECT_EQ(Add(*transparency::SignNote("not a checkpoint\n", {&a_}), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Newest(), note) << "nothing kept";
}

TEST_F(CosignatureTest, MinCosignaturesPicksTheNewestCheckpointWithThatMany) {
  const std::string at_300 = Newest();
  hub::v1::AddCosignatureResponse response;
  ASSERT_TRUE(Add(Cosigned(at_300, {&a_, &b_}), &response).ok());
  for (int i = 0; i < 250; ++i) log_->Append("000.00.00.H11/lgsp");
  log_->SignCheckpoint();  // 550
  const std::string at_550 = Newest();
  ASSERT_FALSE(absl::StartsWith(at_550, at_300));
  ASSERT_TRUE(Add(Cosigned(at_550, {&a_}), &response).ok());

  EXPECT_EQ(CosignaturesOf(Newest(0)).size(), 1u);
  EXPECT_TRUE(absl::StartsWith(Newest(1), at_550));
  const std::string quorum = Newest(2);
  EXPECT_TRUE(absl::StartsWith(quorum, at_300));
  EXPECT_EQ(CosignaturesOf(quorum).size(), 2u);
  for (auto [min, code] : std::vector<std::pair<int, grpc::StatusCode>>{
           {3, grpc::StatusCode::NOT_FOUND}, {-1, grpc::StatusCode::INVALID_ARGUMENT}}) {
    hub::v1::GetCheckpointRequest request;
    request.set_min_cosignatures(min);
    hub::v1::GetCheckpointResponse checkpoint;
    EXPECT_EQ(Call(*methods_, &TransparencyMethods::GetCheckpoint, Caller("w/x"), request,
                   &checkpoint)
                  .error_code(),
              code)
        << min;
  }
}

// A hub that lists no witness keeps no cosignature.
TEST_F(TransparencyMethodsTest, WithoutWitnessesNoCosignatureIsKept) {
  hub::v1::GetCheckpointResponse checkpoint;
  ASSERT_TRUE(Call(*methods_, &TransparencyMethods::GetCheckpoint, Caller("w/x"),
                   hub::v1::GetCheckpointRequest(), &checkpoint)
                  .ok());
  int64_t time = 1800000000;
  transparency::CosignatureSigner witness = *transparency::CosignatureSigner::Create(
      *transparency::Ed25519NoteKey::Generate("w", transparency::kCosignatureV1Type),
      [&time] { return time; });
  hub::v1::AddCosignatureRequest request;
  request.set_checkpoint(*transparency::AddNoteSignatures(checkpoint.checkpoint(), {&witness}));
  hub::v1::AddCosignatureResponse response;
  grpc::Status status = Call(*methods_, &TransparencyMethods::AddCosignature, Caller("w/x"),
                             request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("transparency.witness_vkeys"));
}

}  // namespace
}  // namespace ndxp::gateway
