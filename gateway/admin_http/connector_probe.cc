#include "gateway/admin_http/connector_probe.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/identity/provider_verifier.h"
#include "gateway/transport/tls/peer_certificate.h"

namespace ndxp::gateway::admin_http {
namespace {

// A connected blocking socket to `endpoint`, reads and writes bounded by
// `timeout`; an error naming why not.
absl::StatusOr<int> ConnectWithin(const std::string& endpoint, absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  sockaddr_un unix_address{};
  addrinfo unix_info{};
  if (absl::StartsWith(endpoint, "unix:")) {
    std::string path = endpoint.substr(5);
    if (path.size() >= sizeof(unix_address.sun_path)) {
      return absl::InvalidArgumentError("socket path too long");
    }
    unix_address.sun_family = AF_UNIX;
    std::memcpy(unix_address.sun_path, path.data(), path.size());
    unix_info.ai_family = AF_UNIX;
    unix_info.ai_addr = reinterpret_cast<sockaddr*>(&unix_address);
    unix_info.ai_addrlen = sizeof(unix_address);
  } else {
    size_t colon = endpoint.rfind(':');
    if (colon == std::string::npos) return absl::InvalidArgumentError("not host:port");
    std::string host = endpoint.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (int rv = getaddrinfo(host.c_str(), endpoint.c_str() + colon + 1, &hints, &found);
        rv != 0) {
      return absl::UnavailableError(absl::StrCat("cannot resolve: ", gai_strerror(rv)));
    }
  }
  const addrinfo* address = found != nullptr ? found : &unix_info;
  int fd = ::socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int error = fd < 0 ? errno : 0;
  if (fd >= 0 && ::connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
    error = errno;
    if (error == EINPROGRESS || error == EAGAIN) {
      pollfd wait{fd, POLLOUT, 0};
      int ready = ::poll(&wait, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
      socklen_t length = sizeof(error);
      if (ready == 1) {
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      } else {
        error = ETIMEDOUT;
      }
    }
  }
  if (found != nullptr) freeaddrinfo(found);
  if (error != 0) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect: ", std::strerror(error)));
  }
  // Blocking from here on, every read and write bounded.
  ::fcntl(fd, F_SETFL, 0);
  timeval limit = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
  return fd;
}

}  // namespace

ConnectorProbe::ConnectorProbe(const transport::TlsReloader* tls, std::string trust_domain,
                               absl::Duration interval, absl::Duration timeout)
    : tls_(tls), trust_domain_(std::move(trust_domain)), interval_(interval), timeout_(timeout) {
  thread_ = std::thread([this] { Loop(); });
}

ConnectorProbe::~ConnectorProbe() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ConnectorProbe::SetRoutes(std::vector<Route> routes) {
  std::vector<Result> results;
  for (const Route& route : routes) {
    for (const std::string& endpoint : route.endpoints) {
      bool seen = false;
      for (const Result& r : results) {
        seen |= r.target.provider == route.provider && r.target.endpoint == endpoint &&
                r.target.peer_hub == route.peer_hub;
      }
      if (seen) continue;
      Result result;
      result.target = {route.provider, endpoint, route.peer_hub};
      results.push_back(std::move(result));
    }
  }
  absl::MutexLock lock(&mu_);
  routes_ = std::move(routes);
  results_ = std::move(results);
  targets_changed_ = true;
}

std::vector<ConnectorProbe::Route> ConnectorProbe::Routes() const {
  absl::MutexLock lock(&mu_);
  return routes_;
}

std::vector<ConnectorProbe::Result> ConnectorProbe::Results() const {
  absl::MutexLock lock(&mu_);
  return results_;
}

void ConnectorProbe::Loop() {
  while (true) {
    std::vector<Target> targets;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || targets_changed_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), interval_);
      if (stopping_) return;
      targets_changed_ = false;
      for (const Result& r : results_) targets.push_back(r.target);
    }
    for (const Target& target : targets) {
      absl::Status reached = Probe(target);
      absl::MutexLock lock(&mu_);
      for (Result& r : results_) {
        if (r.target.provider != target.provider || r.target.endpoint != target.endpoint) continue;
        r.probed = true;
        r.reachable = reached.ok();
        r.error = std::string(reached.message());
        r.checked = absl::Now();
      }
      if (stopping_) return;
    }
  }
}

absl::Status ConnectorProbe::Probe(const Target& target) const {
  absl::StatusOr<int> fd = ConnectWithin(target.endpoint, timeout_);
  if (!fd.ok()) return fd.status();
  if (absl::StartsWith(target.endpoint, "unix:")) {
    ::close(*fd);
    return absl::OkStatus();  // plain, as the transport talks to it
  }
  std::shared_ptr<const transport::TlsMaterial> material = tls_->Current();
  SSL* ssl = SSL_new(material->client_context());
  absl::Status status = absl::OkStatus();
  if (ssl == nullptr || SSL_set_fd(ssl, *fd) != 1 || SSL_connect(ssl) != 1) {
    status = absl::UnavailableError("the TLS handshake failed");
  } else {
    absl::StatusOr<std::string> spiffe_id =
        transport::SpiffeIdOf(SSL_get0_peer_certificate(ssl));
    std::vector<std::string> names;
    if (spiffe_id.ok()) names.push_back(*spiffe_id);
    status = target.peer_hub.empty()
                 ? CheckProviderIdentity(names, trust_domain_, target.provider)
                 : CheckPeerHubIdentity(names, target.peer_hub);
    SSL_shutdown(ssl);
  }
  if (ssl != nullptr) SSL_free(ssl);
  ERR_clear_error();
  ::close(*fd);
  return status;
}

}  // namespace ndxp::gateway::admin_http
