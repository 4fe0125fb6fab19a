#include "gateway/admin/transparency_methods.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/transparency/checkpoint.h"
#include "ndxp/hub/v1/transparency.pb.h"

namespace ndxp::gateway {
namespace {

using grpc::ByteBuffer;
using grpc::StatusCode;

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<StatusCode>(status.code()), std::string(status.message()));
}

template <typename Message>
bool Parse(ByteBuffer* bytes, Message* message) {
  return grpc::SerializationTraits<Message>::Deserialize(bytes, message).ok();
}

template <typename Message>
grpc::Status Reply(const Message& message, ByteBuffer* bytes) {
  bool own_buffer = false;
  return grpc::SerializationTraits<Message>::Serialize(message, bytes, &own_buffer);
}

std::string Bytes(const transparency::Hash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// The checkpoint a signed note states (its text: up to the blank line).
absl::StatusOr<transparency::Checkpoint> CheckpointOf(absl::string_view note) {
  const size_t blank = note.find("\n\n");
  if (blank == absl::string_view::npos) {
    return absl::DataLossError("the stored checkpoint is not a signed note");
  }
  return transparency::ParseCheckpoint(note.substr(0, blank + 1));
}

// The signature line a note holds for `signature` (C2SP signed-note).
std::string SignatureLine(const transparency::NoteSignature& signature) {
  std::string key_id(4, '\0');
  for (int i = 0; i < 4; ++i) key_id[i] = static_cast<char>(signature.key_id >> (8 * (3 - i)));
  return absl::StrCat("\xE2\x80\x94 ", signature.name, " ",
                      absl::Base64Escape(absl::StrCat(key_id, signature.signature)));
}

// One of the methods, answered by TransparencyMethods.
class TransparencyMethod final : public LocalMethod {
 public:
  using Answerer = grpc::Status (TransparencyMethods::*)(const LocalCall&, ByteBuffer*,
                                                         ByteBuffer*);
  TransparencyMethod(std::shared_ptr<TransparencyMethods> methods, Answerer answer)
      : methods_(std::move(methods)), answer_(answer) {}
  Shape shape() const override { return Shape::kUnary; }
  bool operators_need_no_grant() const override { return true; }
  bool blocking() const override { return true; }
  bool answers_json_door() const override { return true; }
  grpc::Status Answer(const LocalCall& call, ByteBuffer* request,
                      ByteBuffer* response) const override {
    return ((*methods_).*answer_)(call, request, response);
  }

 private:
  const std::shared_ptr<TransparencyMethods> methods_;
  const Answerer answer_;
};

// TransparencyLog over a store that reads every replica's rows.
class StoreTransparencyLog final : public TransparencyLog {
 public:
  explicit StoreTransparencyLog(std::unique_ptr<TransactionStore> store)
      : store_(std::move(store)) {}
  absl::StatusOr<std::string> LatestCheckpoint(absl::string_view replica) override {
    return store_->LatestTreeCheckpoint(replica);
  }
  absl::StatusOr<Leaf> ReadLeaf(absl::string_view replica, int64_t leaf_index) override {
    absl::StatusOr<TransactionStore::AuditLeaf> leaf =
        store_->ReadAuditLeaf(replica, leaf_index + 1);
    if (!leaf.ok()) return leaf.status();
    return Leaf{std::move(leaf->consumer), leaf->leaf_hash};
  }
  absl::StatusOr<transparency::Hash> TreeRoot(absl::string_view replica,
                                              int64_t tree_size) override {
    return store_->AuditTreeRoot(replica, tree_size);
  }
  absl::StatusOr<std::vector<transparency::Hash>> InclusionProof(absl::string_view replica,
                                                                 int64_t leaf_index,
                                                                 int64_t tree_size) override {
    const int64_t indexes[] = {leaf_index};
    absl::StatusOr<std::vector<std::vector<transparency::Hash>>> proofs =
        store_->InclusionProofs(replica, indexes, tree_size);
    if (!proofs.ok()) return proofs.status();
    return std::move(proofs->front());
  }
  absl::StatusOr<std::vector<transparency::Hash>> ConsistencyProof(absl::string_view replica,
                                                                   int64_t first,
                                                                   int64_t second) override {
    return store_->ConsistencyProof(replica, first, second);
  }
  absl::StatusOr<std::string> CosignedCheckpoint(absl::string_view replica,
                                                 absl::Span<const std::string> witness_keys,
                                                 int min_cosignatures) override {
    return store_->CosignedTreeCheckpoint(replica, witness_keys, min_cosignatures);
  }
  absl::StatusOr<std::vector<std::string>> AddCosignatures(
      absl::string_view replica, int64_t tree_size, absl::string_view checkpoint_text,
      absl::Span<const TransactionStore::TreeCosignature> cosignatures) override {
    return store_->AddTreeCosignatures(replica, tree_size, checkpoint_text, cosignatures);
  }
  absl::StatusOr<std::vector<int64_t>> FindRequestLeaves(absl::string_view replica,
                                                         absl::string_view request_id,
                                                         absl::string_view consumer,
                                                         int limit) override {
    absl::StatusOr<std::vector<TransactionStore::RequestRow>> rows =
        store_->FindRequestRows(replica, request_id, consumer, limit,
                                TransactionStore::kRequestIdWindow);
    if (!rows.ok()) return rows.status();
    std::vector<int64_t> leaves;
    for (const TransactionStore::RequestRow& row : *rows) leaves.push_back(row.seq - 1);
    return leaves;
  }

 private:
  const std::unique_ptr<TransactionStore> store_;
};

}  // namespace

std::unique_ptr<TransparencyLog> TransparencyLogOf(std::unique_ptr<TransactionStore> store) {
  return std::make_unique<StoreTransparencyLog>(std::move(store));
}

namespace {

std::vector<const transparency::NoteVerifier*> VerifiersOf(
    const std::vector<transparency::CosignatureVerifier>& witnesses) {
  std::vector<const transparency::NoteVerifier*> verifiers;
  for (const transparency::CosignatureVerifier& witness : witnesses) verifiers.push_back(&witness);
  return verifiers;
}

std::vector<std::string> KeysOf(const std::vector<transparency::CosignatureVerifier>& witnesses) {
  std::vector<std::string> keys;
  for (const transparency::CosignatureVerifier& witness : witnesses) {
    keys.push_back(transparency::WitnessKeyOf(witness.key()));
  }
  return keys;
}

}  // namespace

TransparencyMethods::TransparencyMethods(std::unique_ptr<TransparencyLog> log,
                                         std::string own_replica,
                                         std::vector<transparency::CosignatureVerifier> witnesses)
    : log_(std::move(log)),
      own_replica_(std::move(own_replica)),
      witnesses_(std::move(witnesses)),
      witness_verifiers_(VerifiersOf(witnesses_)),
      witness_keys_(KeysOf(witnesses_)) {}

std::string TransparencyMethods::ReplicaOf(absl::string_view asked) const {
  return asked.empty() ? own_replica_ : std::string(asked);
}

absl::StatusOr<int64_t> TransparencyMethods::CheckpointedSize(absl::string_view replica) {
  absl::StatusOr<std::string> note = log_->LatestCheckpoint(replica);
  if (!note.ok()) return note.status();
  absl::StatusOr<transparency::Checkpoint> checkpoint = CheckpointOf(*note);
  if (!checkpoint.ok()) return checkpoint.status();
  return checkpoint->tree_size;
}

absl::StatusOr<int64_t> TransparencyMethods::LeafOfRequest(const LocalCall& call,
                                                           absl::string_view replica,
                                                           absl::string_view request_id) {
  // Bounded: a caller repeating one request id cannot make a huge answer.
  constexpr int kMostListed = 20;
  absl::StatusOr<std::vector<int64_t>> leaves = log_->FindRequestLeaves(
      replica, request_id, call.from_operator ? "" : call.consumer, kMostListed + 1);
  if (!leaves.ok()) return leaves.status();
  if (leaves->empty()) {
    // The same words whether or not another consumer used the id.
    return absl::NotFoundError(absl::StrCat("no call ", call.from_operator ? "" : "of yours ",
                                            "in replica ", replica, "'s log has request id \"",
                                            request_id, "\""));
  }
  if (leaves->size() == 1) return leaves->front();
  std::vector<std::string> rows;
  for (size_t i = 0; i < leaves->size() && i < kMostListed; ++i) {
    rows.push_back(absl::StrCat(replica, ":", (*leaves)[i]));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "request id \"", request_id, "\" names ",
      leaves->size() > kMostListed ? absl::StrCat("more than ", kMostListed)
                                   : absl::StrCat(leaves->size()),
      " rows (request ids are the caller's and may repeat): ", absl::StrJoin(rows, ", "),
      leaves->size() > kMostListed ? ", ..." : "",
      "; ask for one by its replica and leaf index"));
}

grpc::Status TransparencyMethods::GetCheckpoint(const LocalCall&, ByteBuffer* request_bytes,
                                                ByteBuffer* response_bytes) {
  hub::v1::GetCheckpointRequest request;
  if (!Parse(request_bytes, &request)) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT, "malformed GetCheckpointRequest");
  }
  if (request.min_cosignatures() < 0) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT, "min_cosignatures must not be negative");
  }
  const std::string replica = ReplicaOf(request.replica());
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> note =
      log_->CosignedCheckpoint(replica, witness_keys_, request.min_cosignatures());
  if (!note.ok()) {
    if (note.status().code() == absl::StatusCode::kNotFound &&
        request.min_cosignatures() > static_cast<int>(witnesses_.size())) {
      return grpc::Status(StatusCode::NOT_FOUND,
                          absl::StrCat("min_cosignatures ", request.min_cosignatures(),
                                       ": this hub lists only ", witnesses_.size(),
                                       " witness(es) (transparency.witness_vkeys)"));
    }
    return ToGrpc(note.status());
  }
  absl::StatusOr<transparency::Checkpoint> checkpoint = CheckpointOf(*note);
  if (!checkpoint.ok()) return ToGrpc(checkpoint.status());
  hub::v1::GetCheckpointResponse response;
  response.set_checkpoint(*note);
  response.set_origin(checkpoint->origin);
  response.set_tree_size(checkpoint->tree_size);
  response.set_root_hash(Bytes(checkpoint->root));
  return Reply(response, response_bytes);
}

grpc::Status TransparencyMethods::GetInclusionProof(const LocalCall& call,
                                                    ByteBuffer* request_bytes,
                                                    ByteBuffer* response_bytes) {
  hub::v1::GetInclusionProofRequest request;
  if (!Parse(request_bytes, &request)) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT, "malformed GetInclusionProofRequest");
  }
  if (request.leaf_index() < 0 || request.tree_size() < 0) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT,
                        "leaf_index and tree_size must not be negative");
  }
  const std::string replica = ReplicaOf(request.replica());
  absl::MutexLock lock(&mu_);
  if (!request.request_id().empty()) {
    if (request.leaf_index() != 0) {
      return grpc::Status(StatusCode::INVALID_ARGUMENT,
                          "request_id or leaf_index, not both (leaf_index 0 with a request_id)");
    }
    absl::StatusOr<int64_t> leaf_index = LeafOfRequest(call, replica, request.request_id());
    if (!leaf_index.ok()) return ToGrpc(leaf_index.status());
    request.set_leaf_index(*leaf_index);
  }
  // Whose row it is, before anything about the tree is said: a stranger
  // learns nothing, not even whether the row exists.
  absl::StatusOr<TransparencyLog::Leaf> leaf = log_->ReadLeaf(replica, request.leaf_index());
  const bool callers_own = leaf.ok() && leaf->consumer == call.consumer;
  if (!call.from_operator && !callers_own) {
    if (!leaf.ok() && leaf.status().code() != absl::StatusCode::kNotFound) {
      return ToGrpc(leaf.status());
    }
    return grpc::Status(StatusCode::PERMISSION_DENIED,
                        "an inclusion proof is for the consumer of the call it proves (or an "
                        "operator)");
  }
  if (!leaf.ok()) return ToGrpc(leaf.status());
  absl::StatusOr<int64_t> checkpointed = CheckpointedSize(replica);
  if (!checkpointed.ok()) return ToGrpc(checkpointed.status());
  const int64_t tree_size = request.tree_size() == 0 ? *checkpointed : request.tree_size();
  if (tree_size > *checkpointed) {
    return grpc::Status(StatusCode::OUT_OF_RANGE,
                        absl::StrCat("tree_size ", tree_size, " is beyond the newest checkpoint (",
                                     *checkpointed, "): ask again once one covers it"));
  }
  if (request.leaf_index() >= tree_size) {
    return grpc::Status(
        StatusCode::OUT_OF_RANGE,
        absl::StrCat("leaf ", request.leaf_index(), " is not in the tree of ", tree_size,
                     " leaves", request.tree_size() == 0 ? " (the newest checkpoint's)" : "",
                     ": ask again once a checkpoint covers it"));
  }
  absl::StatusOr<std::vector<transparency::Hash>> proof =
      log_->InclusionProof(replica, request.leaf_index(), tree_size);
  if (!proof.ok()) return ToGrpc(proof.status());
  absl::StatusOr<transparency::Hash> root = log_->TreeRoot(replica, tree_size);
  if (!root.ok()) return ToGrpc(root.status());
  hub::v1::GetInclusionProofResponse response;
  response.set_replica(replica);
  response.set_leaf_index(request.leaf_index());
  response.set_tree_size(tree_size);
  response.set_leaf_hash(Bytes(leaf->hash));
  for (const transparency::Hash& hash : *proof) response.add_hashes(Bytes(hash));
  response.set_root_hash(Bytes(*root));
  return Reply(response, response_bytes);
}

grpc::Status TransparencyMethods::GetConsistencyProof(const LocalCall&,
                                                      ByteBuffer* request_bytes,
                                                      ByteBuffer* response_bytes) {
  hub::v1::GetConsistencyProofRequest request;
  if (!Parse(request_bytes, &request)) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT, "malformed GetConsistencyProofRequest");
  }
  if (request.first() <= 0 || request.second() < request.first()) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT,
                        "expected 0 < first <= second (tree sizes)");
  }
  const std::string replica = ReplicaOf(request.replica());
  absl::MutexLock lock(&mu_);
  absl::StatusOr<int64_t> checkpointed = CheckpointedSize(replica);
  if (!checkpointed.ok()) return ToGrpc(checkpointed.status());
  if (request.second() > *checkpointed) {
    return grpc::Status(StatusCode::OUT_OF_RANGE,
                        absl::StrCat("second ", request.second(),
                                     " is beyond the newest checkpoint (", *checkpointed, ")"));
  }
  absl::StatusOr<std::vector<transparency::Hash>> proof =
      log_->ConsistencyProof(replica, request.first(), request.second());
  if (!proof.ok()) return ToGrpc(proof.status());
  hub::v1::GetConsistencyProofResponse response;
  response.set_first(request.first());
  response.set_second(request.second());
  for (const transparency::Hash& hash : *proof) response.add_hashes(Bytes(hash));
  return Reply(response, response_bytes);
}

grpc::Status TransparencyMethods::AddCosignature(const LocalCall&, ByteBuffer* request_bytes,
                                                 ByteBuffer* response_bytes) {
  hub::v1::AddCosignatureRequest request;
  if (!Parse(request_bytes, &request)) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT, "malformed AddCosignatureRequest");
  }
  if (witnesses_.empty()) {
    return grpc::Status(StatusCode::UNAUTHENTICATED,
                        "this hub lists no witness (transparency.witness_vkeys): it keeps no "
                        "cosignature");
  }
  // Only the listed witnesses' signatures are checked (every one: a bad one
  // refuses the note); the log's and others' are ignored.
  absl::StatusOr<transparency::OpenedNote> opened =
      transparency::OpenNote(request.checkpoint(), witness_verifiers_);
  if (!opened.ok()) {
    switch (opened.status().code()) {
      case absl::StatusCode::kDataLoss:
        return grpc::Status(StatusCode::UNAUTHENTICATED,
                            absl::StrCat("a cosignature does not verify: ",
                                         opened.status().message()));
      case absl::StatusCode::kUnauthenticated:
        return grpc::Status(StatusCode::UNAUTHENTICATED,
                            absl::StrCat("no cosignature by a witness this hub lists "
                                         "(transparency.witness_vkeys): ",
                                         witness_keys_.size(), " listed: ",
                                         absl::StrJoin(witness_keys_, ", ")));
      default:
        return grpc::Status(StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("checkpoint: ", opened.status().message()));
    }
  }
  absl::StatusOr<transparency::Checkpoint> checkpoint =
      transparency::ParseCheckpoint(opened->text);
  if (!checkpoint.ok()) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("not a checkpoint: ", checkpoint.status().message()));
  }
  // "<trust domain>/audit/<replica>": a trust domain holds no '/'. A
  // misread origin finds no stored checkpoint with this text.
  constexpr absl::string_view kAudit = "/audit/";
  const size_t audit = absl::string_view(checkpoint->origin).find(kAudit);
  if (audit == absl::string_view::npos) {
    return grpc::Status(StatusCode::NOT_FOUND,
                        absl::StrCat("origin \"", checkpoint->origin,
                                     "\" is not one of this hub's audit logs"));
  }
  const std::string replica = checkpoint->origin.substr(audit + kAudit.size());

  // One per witness: the latest a note holds.
  std::vector<TransactionStore::TreeCosignature> cosignatures;
  for (const transparency::NoteSignature& signature : opened->verified) {
    absl::StatusOr<int64_t> time = transparency::CosignatureTime(signature.signature);
    if (!time.ok()) return ToGrpc(time.status());  // verified: cannot happen
    const std::string key = transparency::WitnessKeyOf(signature.name, signature.key_id);
    auto same = std::find_if(cosignatures.begin(), cosignatures.end(),
                             [&](const auto& kept) { return kept.witness_key == key; });
    if (same == cosignatures.end()) {
      cosignatures.push_back({key, *time, SignatureLine(signature)});
    } else if (*time > same->time_seconds) {
      *same = {key, *time, SignatureLine(signature)};
    }
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<std::string>> kept =
      log_->AddCosignatures(replica, checkpoint->tree_size, opened->text, cosignatures);
  if (!kept.ok()) return ToGrpc(kept.status());
  hub::v1::AddCosignatureResponse response;
  for (const std::string& key : *kept) response.add_accepted(key.substr(0, key.rfind('+')));
  return Reply(response, response_bytes);
}

void AddTransparencyMethods(std::shared_ptr<TransparencyMethods> methods, LocalServices* local) {
  local->Add(kTransparencyService, "GetCheckpoint",
             std::make_unique<TransparencyMethod>(methods, &TransparencyMethods::GetCheckpoint));
  local->Add(kTransparencyService, "GetInclusionProof",
             std::make_unique<TransparencyMethod>(methods,
                                                  &TransparencyMethods::GetInclusionProof));
  local->Add(kTransparencyService, "GetConsistencyProof",
             std::make_unique<TransparencyMethod>(methods,
                                                  &TransparencyMethods::GetConsistencyProof));
  local->Add(kTransparencyService, "AddCosignature",
             std::make_unique<TransparencyMethod>(methods, &TransparencyMethods::AddCosignature));
}

}  // namespace ndxp::gateway
