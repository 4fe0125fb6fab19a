#include "gateway/transport/connector_pool.h"

#include <algorithm>

#include "gateway/transport/health_checker.h"

namespace ndxp::gateway::transport {

ConnectorPool::ConnectorPool(Connector* connector, EndpointHealthBoard* health, Options options)
    : connector_(connector), health_(health), options_(options) {}

ConnectorPool::Choice ConnectorPool::Choose(const ServiceRoute& service, double now) {
  const size_t count = service.endpoints.size();
  if (next_endpoint_.size() <= service.index) next_endpoint_.resize(service.index + 1);
  const size_t first = count > 1 ? next_endpoint_[service.index]++ % count : 0;
  size_t full = 0, not_serving = 0;
  // First the endpoints in good standing; when every one has failed lately,
  // all of them again (panic routing).
  for (bool panic : {false, true}) {
    for (size_t i = 0; i < count; ++i) {
      const size_t which = (first + i) % count;
      const std::string& key = service.upstream_keys[which];
      auto [known, inserted] = endpoints_.try_emplace(key);
      Endpoint& endpoint = known->second;
      if (inserted) {
        endpoint.where = {service.provider, service.peer_hub, service.endpoints[which]};
        endpoint.health = health_->Cell(key);
      }
      // An endpoint that says it does not serve gets no call, not even in
      // panic (it is draining); one that does not answer its checks is
      // tried in panic, as one that failed lately.
      const EndpointHealth health = endpoint.health->load(std::memory_order_acquire);
      if (health == EndpointHealth::kNotServing) {
        if (!panic) ++not_serving;
        continue;
      }
      if (!panic && (endpoint.left_out_until > now || health == EndpointHealth::kNoAnswer)) {
        continue;
      }
      PooledConnection* open = endpoint.connection;
      if (open != nullptr && open->accepts_streams()) {
        if (open->pending() < options_.max_pending_per_connection) {
          return {open, NoConnection::kUnreachable, service.endpoints[which]};
        }
        if (!panic) ++full;
        continue;
      }
      // Opening may report a failure (Failed, Forget): they find the entry,
      // they add none, so `endpoint` stays where it is.
      if (PooledConnection* opened = connector_->Open(key, endpoint.where)) {
        endpoint.connection = opened;
        return {opened, NoConnection::kUnreachable, service.endpoints[which]};
      }
    }
    if (full == count) break;  // every connection is busy, none has failed
  }
  Choice none;
  none.why = full > 0                ? NoConnection::kBusy
             : not_serving == count ? NoConnection::kNotServing
                                    : NoConnection::kUnreachable;
  return none;
}

void ConnectorPool::Answered(const std::string& key) {
  auto found = endpoints_.find(key);
  if (found == endpoints_.end()) return;
  found->second.failures = 0;
  found->second.left_out_until = 0;
}

void ConnectorPool::Failed(const std::string& key, double now) {
  auto found = endpoints_.find(key);
  if (found == endpoints_.end()) return;
  Endpoint& endpoint = found->second;
  double leave_out = options_.first_leave_out_seconds;
  for (int i = 0; i < endpoint.failures && leave_out < options_.longest_leave_out_seconds; ++i) {
    leave_out *= 2;
  }
  ++endpoint.failures;
  endpoint.left_out_until = now + std::min(leave_out, options_.longest_leave_out_seconds);
}

void ConnectorPool::Forget(const std::string& key, const PooledConnection* connection) {
  auto found = endpoints_.find(key);
  if (found != endpoints_.end() && found->second.connection == connection) {
    found->second.connection = nullptr;
  }
}

void ConnectorPool::ReconnectDue(double now) {
  std::vector<std::string> due;  // opening may report a failure, which looks the map up
  for (const auto& [key, endpoint] : endpoints_) {
    if (endpoint.failures > 0 && endpoint.left_out_until <= now && endpoint.connection == nullptr) {
      due.push_back(key);
    }
  }
  for (const std::string& key : due) {
    Endpoint& endpoint = endpoints_[key];
    if (PooledConnection* opened = connector_->Open(key, endpoint.where)) {
      endpoint.connection = opened;
    }
  }
}

double ConnectorPool::left_out_until(const std::string& key) const {
  auto found = endpoints_.find(key);
  return found == endpoints_.end() ? 0 : found->second.left_out_until;
}

int ConnectorPool::failures(const std::string& key) const {
  auto found = endpoints_.find(key);
  return found == endpoints_.end() ? 0 : found->second.failures;
}

}  // namespace ndxp::gateway::transport
