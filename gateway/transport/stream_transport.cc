#include "gateway/transport/stream_transport.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"

namespace ndxp::gateway::transport {
namespace {

// How often the TLS files are checked for a change (rotation, a CRL
// republished in place).
constexpr absl::Duration kTlsCheckInterval = absl::Seconds(2);

// A listening socket on `listen` ("host:port"); `shared`: with SO_REUSEPORT,
// so every thread has its own and the kernel spreads connections over them.
absl::StatusOr<int> Listen(const std::string& listen, int port, bool shared = true) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("listen \"", listen, "\" is not host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rv = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints,
                           &found);
      rv != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", listen, ": ", gai_strerror(rv)));
  }
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (shared) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  }
  bool ok = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 &&
            ::listen(fd, shared ? 1024 : 1) == 0;
  int error = errno;
  freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, ": ", std::strerror(error)));
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamTransport>> StreamTransport::Start(
    std::shared_ptr<const HubContext> context, int threads) {
  const auto& config = context->settings.config;
  // OpenSSL writes to sockets with write(): a caller that has gone must be
  // an error on its connection (EPIPE), never a signal that ends the hub.
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<StreamTransport> transport(new StreamTransport());
  absl::StatusOr<std::unique_ptr<TlsReloader>> tls = TlsReloader::Create(config.tls());
  if (!tls.ok()) return tls.status();
  transport->tls_ = *std::move(tls);
  TransportShared& shared = transport->shared_;
  shared.tls = transport->tls_.get();
  shared.max_message_bytes = MaxMessageBytes(config);
  const auto& limits = config.limits();
  auto or_default = [](uint32_t value, uint32_t fallback) { return value != 0 ? value : fallback; };
  shared.handshake_timeout = absl::Milliseconds(or_default(limits.handshake_timeout_ms(), 10000));
  shared.idle_timeout = absl::Milliseconds(or_default(limits.idle_timeout_ms(), 300000));
  shared.max_concurrent_streams = or_default(limits.max_concurrent_streams(), 100);
  shared.reset_burst = or_default(limits.reset_burst(), 200);
  shared.resets_per_second = or_default(limits.resets_per_second(), 100);
  shared.max_pending_per_upstream = or_default(limits.max_pending_per_connector(), 5000);
  shared.turn_bytes = or_default(limits.turn_bytes(), 64 * 1024);
  shared.max_held_per_connection =
      or_default(limits.max_held_bytes_per_connection(), kDefaultMaxHeldBytesPerConnection);
  shared.max_held_total = static_cast<int64_t>(
      limits.max_held_bytes() != 0 ? limits.max_held_bytes() : kDefaultMaxHeldBytes);
  shared.stalled_reader_seconds =
      or_default(limits.stalled_reader_ms(), kDefaultStalledReaderMs) / 1000.0;
  shared.turn_frames = or_default(limits.turn_frames(), 256);
  shared.http1_header_timeout = absl::Milliseconds(
      or_default(limits.http1_header_timeout_ms(), kDefaultHttp1HeaderTimeoutMs));
  shared.http1_idle_timeout = absl::Milliseconds(
      or_default(limits.http1_idle_timeout_ms(), kDefaultHttp1IdleTimeoutMs));
  shared.frame_guard.useless_frames = or_default(limits.useless_frames(), 100);
  shared.frame_guard.useless_per_useful = or_default(limits.useless_frames_per_useful(), 4);
  shared.frame_guard.wasted_header_frames = or_default(limits.wasted_header_frames(), 10);
  shared.max_connections_per_thread =
      std::max<size_t>(1, or_default(limits.max_connections(), 20000) / std::max(threads, 1));
  shared.threads = std::max(threads, 1);
  shared.health = &transport->health_;

  // The first socket picks the port (when 0); the others share it.
  const std::string& listen = config.listen();
  size_t colon = listen.rfind(':');
  int port = colon == std::string::npos ? 0 : std::atoi(listen.c_str() + colon + 1);
  std::vector<int> sockets;
  // SO_REUSEPORT would let this hub share a port another process of the same
  // user listens on (another hub, a test's server), each taking part of the
  // connections: a socket without it finds the port in use first.
  if (port != 0) {
    absl::StatusOr<int> probe = Listen(listen, port, /*shared=*/false);
    if (!probe.ok()) return probe.status();
    ::close(*probe);
  }
  for (int i = 0; i < std::max(threads, 1); ++i) {
    absl::StatusOr<int> fd = Listen(listen, port);
    if (!fd.ok()) {
      for (int s : sockets) ::close(s);
      return fd.status();
    }
    if (i == 0) port = BoundPort(*fd);
    sockets.push_back(*fd);
  }
  transport->port_ = port;
  for (size_t i = 0; i < sockets.size(); ++i) {
    transport->threads_.push_back(std::make_unique<TransportThread>(
        static_cast<int>(i), sockets[i], &transport->shared_, context));
  }
  for (auto& thread : transport->threads_) thread->Start();
  transport->tls_watcher_ = std::thread([t = transport.get()] { t->WatchTlsFiles(); });
  return transport;
}

StreamTransport::~StreamTransport() { Shutdown(absl::ZeroDuration()); }

void StreamTransport::SetContext(const std::shared_ptr<const HubContext>& context) {
  for (auto& thread : threads_) thread->SetContext(context);
}

absl::Status StreamTransport::ReloadTls() {
  if (absl::Status s = tls_->Reload(); !s.ok()) return s;
  RecheckConnections();
  return absl::OkStatus();
}

void StreamTransport::RecheckConnections() {
  std::shared_ptr<const TlsMaterial> material = tls_->Current();
  for (auto& thread : threads_) thread->Recheck(material);
}

void StreamTransport::WatchTlsFiles() {
  absl::Time last_warned = absl::InfinitePast();
  while (!stopping_.WaitForNotificationWithTimeout(kTlsCheckInterval)) {
    // From 7 days before the hub's certificate or a CRL expires (and, an
    // expired CRL refusing everyone, loudly after): once an hour.
    if (absl::Now() - last_warned > absl::Hours(1)) {
      std::vector<std::string> warnings = tls_->ExpiryWarnings(absl::Now());
      for (const std::string& warning : warnings) {
        logging::Log("tls").warn("{}", warning);
      }
      if (!warnings.empty()) last_warned = absl::Now();
    }
    absl::StatusOr<bool> changed = tls_->ReloadIfChanged();
    if (!changed.ok()) {
      logging::Log("tls").error(
          "TLS files changed but cannot be loaded, keeping the running certificates: {}",
          changed.status().message());
    } else if (*changed) {
      logging::Log("tls").info("TLS material reloaded (certificate serial {})",
                               tls_->Current()->certificate_serial_hex());
      RecheckConnections();
    }
  }
}

void StreamTransport::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  stopping_.Notify();
  if (tls_watcher_.joinable()) tls_watcher_.join();
  absl::Time deadline = absl::Now() + grace;
  // The threads stop but stay: the recorder and the hub's worker may still
  // post answers to them until they are stopped too (~StreamTransport).
  for (auto& thread : threads_) thread->Stop(deadline);
}

}  // namespace ndxp::gateway::transport
