#include "connectors/documents/inbox_notifier.h"

namespace ndxp::documents {

void InboxNotifier::Add(const std::string& agency, Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_[agency].insert(watcher);
}

void InboxNotifier::Remove(const std::string& agency, Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(agency);
  if (it == watchers_.end()) return;
  it->second.erase(watcher);
  if (it->second.empty()) watchers_.erase(it);
}

void InboxNotifier::Notify(absl::string_view agency) {
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(agency);
  if (it == watchers_.end()) return;
  for (Watcher* watcher : it->second) watcher->OnInboxChanged();
}

int InboxNotifier::watcher_count() const {
  absl::MutexLock lock(&mu_);
  int count = 0;
  for (const auto& [agency, watchers] : watchers_) count += static_cast<int>(watchers.size());
  return count;
}

}  // namespace ndxp::documents
