// Takes transaction records from the proxy's threads and writes them to a
// TransactionStore from one writer thread, a batch per commit (group commit):
// under load one fsync covers every transaction that arrived meanwhile.
//
// Example:
//   Recorder recorder(std::move(store), /*shards=*/2);
//   recorder.Record(0, std::move(record), [](const absl::Status& s) {
//     // runs on the writer thread once the record's batch is committed
//   });
//   ...
//   recorder.Stop();  // writes what is queued, then joins the writer
#ifndef NDXP_GATEWAY_RECORDING_RECORDER_H_
#define NDXP_GATEWAY_RECORDING_RECORDER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "gateway/recording/transaction_record.h"
#include "gateway/recording/transaction_store.h"

namespace ndxp::gateway {

// Thread-safe. No lock is shared by the callers: each shard (one per proxy
// thread) has its own, taken by that thread and, once per batch, the writer.
class Recorder {
 public:
  // Runs on the writer thread with the outcome of the record's commit.
  using Committed = std::function<void(const absl::Status&)>;

  Recorder(std::unique_ptr<TransactionStore> store, int shards);
  ~Recorder();  // Stop()

  // Queues `record` on `shard` (0 <= shard < shards). `committed`, if set,
  // is called after the batch holding the record was committed or failed.
  void Record(int shard, TransactionRecord record, Committed committed = nullptr);

  // Writes everything queued so far, then stops the writer. Record must not
  // be called after Stop.
  void Stop();

  uint64_t committed_records() const { return committed_records_.load(); }
  uint64_t failed_records() const { return failed_records_.load(); }
  uint64_t batches() const { return batches_.load(); }

 private:
  struct Item {
    TransactionRecord record;
    Committed committed;
  };
  struct Shard {
    absl::Mutex mu;
    std::vector<Item> items ABSL_GUARDED_BY(mu);
  };

  void WriterLoop();
  bool Collect(std::vector<Item>* batch);

  const std::unique_ptr<TransactionStore> store_;  // used by the writer only
  std::vector<std::unique_ptr<Shard>> shards_;

  // Waking the writer: callers signal only when it may be asleep.
  std::atomic<uint64_t> queued_{0};
  std::atomic<bool> writer_idle_{false};
  absl::Mutex wake_mu_;
  absl::CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(wake_mu_) = false;

  std::atomic<uint64_t> committed_records_{0};
  std::atomic<uint64_t> failed_records_{0};
  std::atomic<uint64_t> batches_{0};
  std::thread writer_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_RECORDER_H_
