// A TransactionStore that injects the faults durability tests need into a
// real store, steered from outside the process by files in one directory:
//   hold     while it exists, Append waits before committing (and the file
//            "holding" exists while a batch waits), so a test can see that
//            no answer is released before its commit;
//   fail     while it exists, Append fails with UNAVAILABLE and keeps
//            nothing, so a test can see a failed commit answered.
// Only the hub's test-only flag --test-faults DIR installs it.
//
// Example:
//   auto store = std::make_unique<FaultInjectingStore>(std::move(real), "/tmp/faults");
#ifndef NDXP_GATEWAY_RECORDING_FAULT_INJECTING_STORE_H_
#define NDXP_GATEWAY_RECORDING_FAULT_INJECTING_STORE_H_

#include <memory>
#include <string>

#include "gateway/recording/transaction_store.h"

namespace ndxp::gateway {

// As thread-safe as the store it wraps (one writer thread).
class FaultInjectingStore final : public TransactionStore {
 public:
  FaultInjectingStore(std::unique_ptr<TransactionStore> store, std::string directory)
      : store_(std::move(store)), directory_(std::move(directory)) {}

  using TransactionStore::Append;
  absl::Status Append(absl::Span<const TransactionRecord> batch,
                      std::vector<AppendedRow>* appended) override;
  ChainHead Head() const override { return store_->Head(); }
  absl::StatusOr<AuditTreeHead> TreeHead() const override { return store_->TreeHead(); }
  absl::StatusOr<transparency::Hash> AuditTreeRoot(absl::string_view replica,
                                                   int64_t tree_size) override {
    return store_->AuditTreeRoot(replica, tree_size);
  }
  absl::StatusOr<std::vector<std::vector<transparency::Hash>>> InclusionProofs(
      absl::string_view replica, absl::Span<const int64_t> leaf_indexes,
      int64_t tree_size) override {
    return store_->InclusionProofs(replica, leaf_indexes, tree_size);
  }
  absl::StatusOr<std::vector<transparency::Hash>> ConsistencyProof(absl::string_view replica,
                                                                   int64_t old_size,
                                                                   int64_t new_size) override {
    return store_->ConsistencyProof(replica, old_size, new_size);
  }
  absl::StatusOr<AuditLeaf> ReadAuditLeaf(absl::string_view replica, int64_t seq) override {
    return store_->ReadAuditLeaf(replica, seq);
  }
  absl::StatusOr<std::vector<RequestRow>> FindRequestRows(absl::string_view replica,
                                                          absl::string_view request_id,
                                                          absl::string_view consumer,
                                                          int limit, int64_t window) override {
    return store_->FindRequestRows(replica, request_id, consumer, limit, window);
  }
  absl::Status WriteTreeCheckpoint(int64_t tree_size, absl::string_view note) override {
    return store_->WriteTreeCheckpoint(tree_size, note);
  }
  absl::StatusOr<std::string> LatestTreeCheckpoint(absl::string_view replica) override {
    return store_->LatestTreeCheckpoint(replica);
  }
  absl::StatusOr<std::vector<std::string>> AddTreeCosignatures(
      absl::string_view replica, int64_t tree_size, absl::string_view checkpoint_text,
      absl::Span<const TreeCosignature> cosignatures) override {
    return store_->AddTreeCosignatures(replica, tree_size, checkpoint_text, cosignatures);
  }
  absl::StatusOr<std::string> CosignedTreeCheckpoint(absl::string_view replica,
                                                     absl::Span<const std::string> witness_keys,
                                                     int min_cosignatures) override {
    return store_->CosignedTreeCheckpoint(replica, witness_keys, min_cosignatures);
  }
  absl::Status WriteCheckpoint(const SignedCheckpoint& checkpoint) override {
    return store_->WriteCheckpoint(checkpoint);
  }
  absl::StatusOr<SubjectAccessPage> ListSubjectAccesses(const SubjectQuery& query) override {
    return store_->ListSubjectAccesses(query);
  }

 private:
  const std::unique_ptr<TransactionStore> store_;
  const std::string directory_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_FAULT_INJECTING_STORE_H_
