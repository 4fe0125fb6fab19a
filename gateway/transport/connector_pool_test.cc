#include "gateway/transport/connector_pool.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "gateway/transport/health_checker.h"

// Allocations counted, for the test that a choice makes none (it is on every
// call's path). Delete is replaced too: under a sanitizer, memory from this
// malloc must go back to free.
std::atomic<size_t> g_allocations{0};

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// GCC sees free() of what `new` returned once both are inlined; here new is malloc.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace ndxp::gateway::transport {
namespace {

using NoConnection = ConnectorPool::NoConnection;
using ::testing::ElementsAre;

class FakeConnection final : public PooledConnection {
 public:
  bool accepts_streams() const override { return accepts; }
  size_t pending() const override { return calls; }
  bool accepts = true;
  size_t calls = 0;
};

// Opens fake connections; those to the keys in `refused` fail at once and
// report it, as a connection closed in its first moment does.
class FakeConnector final : public Connector {
 public:
  PooledConnection* Open(const std::string& key, const PoolEndpoint& endpoint) override {
    opened.push_back(endpoint.address);
    if (refused.count(key) > 0) {
      pool->Failed(key, now);
      return nullptr;
    }
    auto& connection = connections[key];
    connection = std::make_unique<FakeConnection>();
    return connection.get();
  }
  ConnectorPool* pool = nullptr;
  double now = 0;
  std::set<std::string> refused;
  std::vector<std::string> opened;  // addresses, in order
  std::map<std::string, std::unique_ptr<FakeConnection>> connections;  // the newest, by key
};

ServiceRoute Route(std::vector<std::string> endpoints, size_t index = 0) {
  ServiceRoute route;
  route.service = "ndxp.test.v1.Test";
  route.provider = "000.00.00.B01";
  route.endpoints = std::move(endpoints);
  for (const std::string& endpoint : route.endpoints) {
    route.upstream_keys.push_back(route.provider + "@" + endpoint);
  }
  route.channels = 1;
  route.max_deadline = absl::ZeroDuration();
  route.index = index;
  return route;
}

class ConnectorPoolTest : public ::testing::Test {
 protected:
  explicit ConnectorPoolTest(size_t max_pending = 5000)
      : pool_(&connector_, &board_, Options(max_pending)) {
    connector_.pool = &pool_;
  }
  static ConnectorPool::Options Options(size_t max_pending) {
    ConnectorPool::Options options;
    options.max_pending_per_connection = max_pending;
    return options;
  }
  // The chosen endpoint's address, or "none".
  std::string Choose(const ServiceRoute& route, double now) {
    connector_.now = now;
    ConnectorPool::Choice choice = pool_.Choose(route, now);
    last_ = choice;
    return choice.connection == nullptr ? "none" : std::string(choice.authority);
  }
  void SetHealth(const ServiceRoute& route, size_t which, EndpointHealth health) {
    board_.Cell(route.upstream_keys[which])->store(health);
  }
  // A connection to the endpoint is lost without GOAWAY, as Upstream tells it.
  void Lose(const ServiceRoute& route, size_t which, double now) {
    const std::string& key = route.upstream_keys[which];
    pool_.Forget(key, connector_.connections[key].get());
    pool_.Failed(key, now);
  }

  EndpointHealthBoard board_;
  FakeConnector connector_;
  ConnectorPool pool_;
  ConnectorPool::Choice last_;
};

TEST_F(ConnectorPoolTest, RoundRobinAcrossReplicasOneConnectionEach) {
  ServiceRoute route = Route({"a:1", "b:2", "c:3"});
  std::vector<std::string> chosen;
  for (int i = 0; i < 6; ++i) chosen.push_back(Choose(route, 10));
  EXPECT_THAT(chosen, ElementsAre("a:1", "b:2", "c:3", "a:1", "b:2", "c:3"));
  EXPECT_THAT(connector_.opened, ElementsAre("a:1", "b:2", "c:3"));  // then reused
}

TEST_F(ConnectorPoolTest, AChoiceAllocatesNothingOnceTheEndpointsAreKnown) {
  ServiceRoute route = Route({"a:1", "b:2", "c:3"});
  for (int i = 0; i < 3; ++i) pool_.Choose(route, 1);  // each endpoint learnt, connected
  const size_t before = g_allocations.load();
  size_t chosen = 0;
  for (int i = 0; i < 1000; ++i) chosen += pool_.Choose(route, 1).connection != nullptr;
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_EQ(chosen, 1000u);
}

TEST_F(ConnectorPoolTest, TheChoiceNamesTheChosenReplicaAndItsConnection) {
  ServiceRoute route = Route({"first:1", "second:2"});
  for (size_t i = 0; i < 4; ++i) {
    const size_t which = i % 2;
    EXPECT_EQ(Choose(route, 1), route.endpoints[which]);
    // The authority is the route's own string (it outlives the call), and
    // the connection is the one opened to that replica.
    EXPECT_EQ(last_.authority.data(), route.endpoints[which].data());
    EXPECT_EQ(last_.connection, connector_.connections[route.upstream_keys[which]].get());
  }
}

TEST_F(ConnectorPoolTest, EachServiceHasItsOwnRoundRobin) {
  ServiceRoute one = Route({"a:1", "b:2"}, 0);
  ServiceRoute two = Route({"c:3", "d:4"}, 1);
  EXPECT_EQ(Choose(one, 1), "a:1");
  EXPECT_EQ(Choose(two, 1), "c:3");
  EXPECT_EQ(Choose(one, 1), "b:2");
  EXPECT_EQ(Choose(two, 1), "d:4");
}

TEST_F(ConnectorPoolTest, AFailedEndpointIsLeftOutForItsBackoffThenTriedAgain) {
  ServiceRoute route = Route({"a:1", "b:2"});
  EXPECT_EQ(Choose(route, 100), "a:1");
  EXPECT_EQ(Choose(route, 100), "b:2");
  Lose(route, 1, 100);
  EXPECT_EQ(pool_.left_out_until(route.upstream_keys[1]), 100.25);
  std::vector<std::string> chosen;
  for (int i = 0; i < 4; ++i) chosen.push_back(Choose(route, 100.2));
  EXPECT_THAT(chosen, ElementsAre("a:1", "a:1", "a:1", "a:1"));
  // Its time is up: round robin takes it again, over a new connection.
  chosen.clear();
  for (int i = 0; i < 2; ++i) chosen.push_back(Choose(route, 100.25));
  EXPECT_THAT(chosen, ::testing::UnorderedElementsAre("a:1", "b:2"));
  EXPECT_THAT(connector_.opened, ElementsAre("a:1", "b:2", "b:2"));
}

TEST_F(ConnectorPoolTest, BackoffDoublesUpToTheCapAndStartsOverOnAnswer) {
  ServiceRoute route = Route({"a:1"});
  Choose(route, 0);  // the pool learns the endpoint
  const std::string& key = route.upstream_keys[0];
  std::vector<double> leave_outs;
  for (int i = 0; i < 10; ++i) {
    pool_.Failed(key, 1000);
    leave_outs.push_back(pool_.left_out_until(key) - 1000);
  }
  EXPECT_THAT(leave_outs, ElementsAre(0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30));
  EXPECT_EQ(pool_.failures(key), 10);
  pool_.Answered(key);
  EXPECT_EQ(pool_.failures(key), 0);
  EXPECT_EQ(pool_.left_out_until(key), 0);
  pool_.Failed(key, 2000);
  EXPECT_EQ(pool_.left_out_until(key), 2000.25);
}

TEST_F(ConnectorPoolTest, WhenEveryEndpointIsLeftOutAllAreTriedAgain) {
  ServiceRoute route = Route({"a:1", "b:2"});
  Choose(route, 5);
  Choose(route, 5);
  Lose(route, 0, 5);
  Lose(route, 1, 5);
  // Panic: a connector that is back answers the next call, round robin still.
  EXPECT_EQ(Choose(route, 5.1), "a:1");
  EXPECT_EQ(Choose(route, 5.1), "b:2");
  // An endpoint that does not answer its health checks is tried in panic only.
  SetHealth(route, 0, EndpointHealth::kNoAnswer);
  pool_.Answered(route.upstream_keys[1]);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Choose(route, 5.2), "b:2");
  Lose(route, 1, 5.2);
  std::vector<std::string> chosen;
  for (int i = 0; i < 2; ++i) chosen.push_back(Choose(route, 5.3));
  EXPECT_THAT(chosen, ::testing::UnorderedElementsAre("a:1", "b:2"));
}

TEST_F(ConnectorPoolTest, NotServingIsNeverChosenEvenInPanic) {
  ServiceRoute route = Route({"a:1", "b:2"});
  SetHealth(route, 0, EndpointHealth::kNotServing);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Choose(route, 1), "b:2");
  Lose(route, 1, 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Choose(route, 1.1), "b:2");  // panic: b, never a
  SetHealth(route, 1, EndpointHealth::kNotServing);
  EXPECT_EQ(Choose(route, 1.2), "none");
  EXPECT_EQ(last_.why, NoConnection::kNotServing);
  EXPECT_THAT(connector_.opened, ElementsAre("b:2", "b:2"));  // a never
}

TEST_F(ConnectorPoolTest, NoEndpointAnsweringIsUnreachableAndEachIsLeftOut) {
  ServiceRoute route = Route({"a:1", "b:2"});
  connector_.refused = {route.upstream_keys[0], route.upstream_keys[1]};
  EXPECT_EQ(Choose(route, 7), "none");
  EXPECT_EQ(last_.why, NoConnection::kUnreachable);
  EXPECT_EQ(pool_.failures(route.upstream_keys[0]), 2);  // once in order, once in panic
  EXPECT_EQ(pool_.failures(route.upstream_keys[1]), 2);
  EXPECT_EQ(pool_.left_out_until(route.upstream_keys[0]), 7.5);
}

class ConnectorPoolBoundTest : public ConnectorPoolTest {
 protected:
  ConnectorPoolBoundTest() : ConnectorPoolTest(/*max_pending=*/2) {}
};

TEST_F(ConnectorPoolBoundTest, AFullConnectionMakesThePoolBusyNotAnotherConnection) {
  ServiceRoute route = Route({"a:1"});
  EXPECT_EQ(Choose(route, 1), "a:1");
  connector_.connections[route.upstream_keys[0]]->calls = 2;
  EXPECT_EQ(Choose(route, 1), "none");
  EXPECT_EQ(last_.why, NoConnection::kBusy);
  EXPECT_THAT(connector_.opened, ElementsAre("a:1"));
  connector_.connections[route.upstream_keys[0]]->calls = 1;
  EXPECT_EQ(Choose(route, 1), "a:1");
}

TEST_F(ConnectorPoolBoundTest, AFullReplicaPassesItsTurnToAnother) {
  ServiceRoute route = Route({"a:1", "b:2"});
  Choose(route, 1);
  Choose(route, 1);
  connector_.connections[route.upstream_keys[0]]->calls = 2;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Choose(route, 1), "b:2");
  connector_.connections[route.upstream_keys[1]]->calls = 2;
  EXPECT_EQ(Choose(route, 1), "none");
  EXPECT_EQ(last_.why, NoConnection::kBusy);
}

TEST_F(ConnectorPoolTest, AConnectionToldGoawayIsReplacedByANewOne) {
  ServiceRoute route = Route({"a:1"});
  EXPECT_EQ(Choose(route, 1), "a:1");
  connector_.connections[route.upstream_keys[0]]->accepts = false;  // GOAWAY, not forgotten yet
  FakeConnection* old = connector_.connections[route.upstream_keys[0]].release();
  EXPECT_EQ(Choose(route, 1), "a:1");
  EXPECT_NE(last_.connection, old);
  EXPECT_THAT(connector_.opened, ElementsAre("a:1", "a:1"));
  EXPECT_EQ(pool_.failures(route.upstream_keys[0]), 0);  // GOAWAY is no failure
  delete old;
}

TEST_F(ConnectorPoolTest, FailedEndpointsAreConnectedAgainInTheBackgroundWhenDue) {
  ServiceRoute route = Route({"a:1", "b:2"});
  Choose(route, 1);
  Choose(route, 1);
  Lose(route, 1, 1);
  pool_.ReconnectDue(1.2);
  EXPECT_THAT(connector_.opened, ElementsAre("a:1", "b:2"));  // not yet
  pool_.ReconnectDue(1.25);
  EXPECT_THAT(connector_.opened, ElementsAre("a:1", "b:2", "b:2"));
  pool_.ReconnectDue(2);  // it has a connection again: nothing more
  EXPECT_THAT(connector_.opened, ElementsAre("a:1", "b:2", "b:2"));
}

}  // namespace
}  // namespace ndxp::gateway::transport
