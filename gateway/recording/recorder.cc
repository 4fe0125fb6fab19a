#include "gateway/recording/recorder.h"

#include "absl/time/time.h"
#include "common/logging/logging.h"

namespace ndxp::gateway {

Recorder::Recorder(std::unique_ptr<TransactionStore> store, int shards)
    : store_(std::move(store)) {
  for (int i = 0; i < std::max(shards, 1); ++i) shards_.push_back(std::make_unique<Shard>());
  writer_ = std::thread([this] { WriterLoop(); });
}

Recorder::~Recorder() { Stop(); }

void Recorder::Record(int shard, TransactionRecord record, Committed committed) {
  Shard& s = *shards_[static_cast<size_t>(shard) % shards_.size()];
  {
    absl::MutexLock lock(&s.mu);
    s.items.push_back({std::move(record), std::move(committed)});
  }
  queued_.fetch_add(1);
  // The writer sets writer_idle_ before it checks queued_, so if it missed
  // this record it is idle now, and this signal wakes it.
  if (writer_idle_.load()) {
    absl::MutexLock lock(&wake_mu_);
    wake_.Signal();
  }
}

bool Recorder::Collect(std::vector<Item>* batch) {
  for (auto& shard : shards_) {
    std::vector<Item> taken;
    {
      absl::MutexLock lock(&shard->mu);
      taken.swap(shard->items);
    }
    for (Item& item : taken) batch->push_back(std::move(item));
  }
  queued_.fetch_sub(batch->size());
  return !batch->empty();
}

void Recorder::WriterLoop() {
  std::vector<Item> batch;
  while (true) {
    bool stopping;
    {
      absl::MutexLock lock(&wake_mu_);
      writer_idle_.store(true);
      while (queued_.load() == 0 && !stopping_) {
        // The timeout is a safety net only; records arrive with a signal.
        wake_.WaitWithTimeout(&wake_mu_, absl::Milliseconds(100));
      }
      writer_idle_.store(false);
      stopping = stopping_;
    }
    batch.clear();
    if (!Collect(&batch)) {
      if (stopping) return;
      continue;
    }
    std::vector<TransactionRecord> records;
    records.reserve(batch.size());
    for (Item& item : batch) records.push_back(std::move(item.record));
    absl::Status status = store_->Append(records);
    batches_.fetch_add(1);
    if (status.ok()) {
      committed_records_.fetch_add(records.size());
    } else {
      failed_records_.fetch_add(records.size());
      logging::Log("recording").error("recording {} transactions failed: {}", records.size(),
                                      status.message());
    }
    for (Item& item : batch) {
      if (item.committed) item.committed(status);
    }
  }
}

void Recorder::Stop() {
  {
    absl::MutexLock lock(&wake_mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.Signal();
  }
  if (writer_.joinable()) writer_.join();
}

}  // namespace ndxp::gateway
