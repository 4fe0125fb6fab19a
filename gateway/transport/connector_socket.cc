#include "gateway/transport/connector_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "gateway/identity/provider_verifier.h"
#include "gateway/transport/tls/peer_certificate.h"

namespace ndxp::gateway::transport {
namespace {

// A non-blocking socket connecting to "host:port" or "unix:/path"; -1 if none
// could be made. Numeric addresses need no lookup; names (localhost) are
// looked up from /etc/hosts or DNS.
int ConnectTo(const std::string& endpoint) {
  if (absl::StartsWith(endpoint, "unix:")) {
    std::string path = endpoint.substr(5);
    sockaddr_un address{};
    if (path.size() >= sizeof(address.sun_path)) return -1;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 &&
        errno != EINPROGRESS && errno != EAGAIN) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return -1;
  std::string host = endpoint.substr(0, colon);
  std::string port = endpoint.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

}  // namespace

std::optional<ConnectorSocket> ConnectToConnector(const TlsMaterial& tls,
                                                  const std::string& address) {
  int fd = ConnectTo(address);
  if (fd < 0) return std::nullopt;
  if (absl::StartsWith(address, "unix:")) return ConnectorSocket{fd, nullptr};
  SSL* ssl = SSL_new(tls.client_context());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    if (ssl != nullptr) SSL_free(ssl);
    ::close(fd);
    return std::nullopt;
  }
  SSL_set_connect_state(ssl);
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ConnectorSocket{fd, ssl};
}

bool PresentsProvider(SSL* ssl, const std::string& trust_domain, const std::string& provider,
                      const std::string& peer_hub) {
  if (ssl == nullptr) return true;
  absl::StatusOr<std::string> spiffe_id = SpiffeIdOf(SSL_get0_peer_certificate(ssl));
  std::vector<std::string> names;
  if (spiffe_id.ok()) names.push_back(*spiffe_id);
  return (peer_hub.empty() ? CheckProviderIdentity(names, trust_domain, provider)
                           : CheckPeerHubIdentity(names, peer_hub))
      .ok();
}

}  // namespace ndxp::gateway::transport
