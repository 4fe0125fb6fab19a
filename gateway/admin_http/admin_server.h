// The hub's admin listener (docs/admin.md): /metrics, /healthz, /readyz,
// /connectors, the dashboard at /, the API catalogue (/catalogue) and its
// OpenAPI document (/openapi.json), over HTTP/1.1 (cpp-httplib).
//
// On a loopback address it serves plain HTTP. On any other address it
// serves HTTPS with the hub's certificate; a client certificate, when
// presented, must chain to the federation CA (and, with tls.crl_dir, not be
// revoked). /healthz and /readyz answer anyone (a kubelet probes without a
// certificate; the reasons of not ready only to operators); everything else
// needs a certificate whose SPIFFE identity is one of the configured
// operators, anyone else gets 403.
//
// It cannot slow the data path: it has its own threads (kWorkers, and the
// accepting thread serves a connection itself when they are all busy, so at
// most kWorkers + 1 connections are held and the rest wait in the kernel's
// backlog), every read and write is bounded by a timeout, and its pages
// read the transport's per-thread counters without stopping a transport
// thread.
//
// Thread-safe; Stop() (or destruction) ends it.
#ifndef NDXP_GATEWAY_ADMIN_HTTP_ADMIN_SERVER_H_
#define NDXP_GATEWAY_ADMIN_HTTP_ADMIN_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "gateway/admin_http/admin_sources.h"
#include "ndxp/config/v1/hub.pb.h"

namespace httplib {
class Server;
}

namespace ndxp::gateway::admin_http {

class AdminServer {
 public:
  static constexpr int kWorkers = 2;

  // Binds `config.admin().listen()` (port 0 picks one) and starts serving;
  // an error naming the address or the TLS file otherwise.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(
      const ndxp::config::v1::HubConfig& config, AdminSources sources);
  ~AdminServer();

  // "host:port" as bound.
  const std::string& address() const { return address_; }
  bool tls() const { return tls_; }
  void Stop();

 private:
  AdminServer() = default;
  void Route();

  AdminSources sources_;
  std::unique_ptr<httplib::Server> server_;
  std::string address_;
  bool tls_ = false;
  std::thread thread_;
};

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_ADMIN_SERVER_H_
