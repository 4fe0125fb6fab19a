#include "gateway/recording/refusal_summaries.h"

#include "absl/strings/str_cat.h"

namespace ndxp::gateway {

std::string RefusalSummaries::KeyOf(const TransactionRecord& r) {
  // '\0' cannot occur in any part: consumers, services and methods are
  // checked names, and the kind is a number.
  return absl::StrCat(r.consumer, std::string(1, '\0'), r.via, std::string(1, '\0'), r.service,
                      std::string(1, '\0'), r.method, std::string(1, '\0'),
                      static_cast<int>(r.refusal_kind));
}

void RefusalSummaries::Summarise(Window* window, std::vector<TransactionRecord>* out) {
  if (window->repeats == 0) return;
  window->summary.repeat = window->repeats;
  out->push_back(std::move(window->summary));
  window->repeats = 0;
}

bool RefusalSummaries::Absorb(const TransactionRecord& refusal, absl::Time now) {
  std::string key = KeyOf(refusal);
  auto it = windows_.find(key);
  if (it != windows_.end() && now < it->second.ends) {
    Window& window = it->second;
    if (window.repeats++ == 0) {
      window.summary = refusal;
      window.summary.row_kind = RowKind::kRefusalSummary;
      window.summary.request_id.clear();
    }
    return true;
  }
  if (it == windows_.end()) {
    if (windows_.size() >= kMaxKeys) return false;
    it = windows_.emplace(key, Window()).first;
  } else {
    Summarise(&it->second, &ready_);  // ended, not yet taken
  }
  it->second.ends = now + kWindow;
  ending_.emplace_back(it->second.ends, std::move(key));
  return false;
}

absl::Time RefusalSummaries::TakeDue(absl::Time now, std::vector<TransactionRecord>* out) {
  for (TransactionRecord& summary : ready_) out->push_back(std::move(summary));
  ready_.clear();
  while (!ending_.empty() && ending_.front().first <= now) {
    auto it = windows_.find(ending_.front().second);
    if (it != windows_.end() && it->second.ends == ending_.front().first) {
      Summarise(&it->second, out);
      windows_.erase(it);
    }
    ending_.pop_front();
  }
  return ending_.empty() ? absl::InfiniteFuture() : ending_.front().first;
}

void RefusalSummaries::TakeAll(std::vector<TransactionRecord>* out) {
  TakeDue(absl::InfiniteFuture(), out);
}

}  // namespace ndxp::gateway
