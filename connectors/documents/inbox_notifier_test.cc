#include "connectors/documents/inbox_notifier.h"

#include "gtest/gtest.h"

namespace ndxp::documents {
namespace {

struct CountingWatcher final : InboxNotifier::Watcher {
  void OnInboxChanged() override { ++calls; }
  int calls = 0;
};

TEST(InboxNotifierTest, WakesOnlyTheWatchersOfTheAgencyUntilRemoved) {
  InboxNotifier notifier;
  CountingWatcher a1, a2, b;
  notifier.Add("A", &a1);
  notifier.Add("A", &a2);
  notifier.Add("B", &b);
  EXPECT_EQ(notifier.watcher_count(), 3);

  notifier.Notify("A");
  notifier.Notify("C");
  EXPECT_EQ(a1.calls, 1);
  EXPECT_EQ(a2.calls, 1);
  EXPECT_EQ(b.calls, 0);

  notifier.Remove("A", &a1);
  notifier.Notify("A");
  notifier.Notify("B");
  EXPECT_EQ(a1.calls, 1);
  EXPECT_EQ(a2.calls, 2);
  EXPECT_EQ(b.calls, 1);

  notifier.Remove("A", &a2);
  notifier.Remove("B", &b);
  notifier.Remove("B", &b);  // twice is harmless
  EXPECT_EQ(notifier.watcher_count(), 0);
}

}  // namespace
}  // namespace ndxp::documents
