// Wakes the open follow-mode inbox streams of an agency when its inbox
// grows, so they send new items at once instead of polling the store.
//
// Example:
//   notifier.Add("000.00.00.H49", &watcher);   // before reading the backlog
//   ...                                        // another thread commits items
//   notifier.Notify("000.00.00.H49");          // watcher.OnInboxChanged()
//   notifier.Remove("000.00.00.H49", &watcher);
//
// Thread-safe. Watchers are called under the notifier's lock, so once
// Remove returns the watcher is never called again and may be destroyed;
// a watcher must therefore not call Add/Remove/Notify from OnInboxChanged.
#ifndef NDXP_CONNECTORS_DOCUMENTS_INBOX_NOTIFIER_H_
#define NDXP_CONNECTORS_DOCUMENTS_INBOX_NOTIFIER_H_

#include <map>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ndxp::documents {

class InboxNotifier {
 public:
  class Watcher {
   public:
    virtual ~Watcher() = default;
    // The agency's inbox may hold items this watcher has not seen. Must be
    // quick and must not block on the notifier.
    virtual void OnInboxChanged() = 0;
  };

  // `watcher` is not owned; it must stay valid until Remove returns.
  void Add(const std::string& agency, Watcher* watcher);
  void Remove(const std::string& agency, Watcher* watcher);
  // Calls every watcher of `agency`. Call it after the items are committed.
  void Notify(absl::string_view agency);

  // Watchers registered now (for tests and monitoring).
  int watcher_count() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::set<Watcher*>, std::less<>> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::documents

#endif  // NDXP_CONNECTORS_DOCUMENTS_INBOX_NOTIFIER_H_
