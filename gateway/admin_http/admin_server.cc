#include "gateway/admin_http/admin_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <deque>
#include <functional>
#include <vector>

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "gateway/admin_http/catalogue.h"
#include "gateway/admin_http/dashboard.h"
#include "gateway/admin_http/metrics_page.h"
#include "gateway/config/hub_config.h"
#include "gateway/metrics/prometheus_text.h"
#include "gateway/transport/tls/peer_certificate.h"

namespace ndxp::gateway::admin_http {
namespace {

// cpp-httplib's pool queues every accepted connection without bound; this
// one hands a connection to an idle worker, or serves it on the accepting
// thread (accepting nothing meanwhile) when every worker is busy.
class BoundedTaskQueue final : public httplib::TaskQueue {
 public:
  explicit BoundedTaskQueue(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
  }

  void enqueue(std::function<void()> job) override {
    {
      absl::MutexLock lock(&mu_);
      if (idle_ > static_cast<int>(jobs_.size()) && !shutdown_) {
        jobs_.push_back(std::move(job));
        return;
      }
    }
    job();
  }

  void shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      shutdown_ = true;
    }
    for (auto& thread : threads_) thread.join();
  }

 private:
  void Work() {
    while (true) {
      std::function<void()> job;
      {
        absl::MutexLock lock(&mu_);
        ++idle_;
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return shutdown_ || !jobs_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        --idle_;
        if (jobs_.empty()) return;  // shut down
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// The HTTPS side: the hub's certificate, clients verified against the CA
// and (with crl_dir, OpenSSL's hashed names) the CRLs.
bool SetUpTls(const ndxp::config::v1::TlsFiles& files, SSL_CTX* context) {
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(context, files.cert().c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context, files.key().c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(context, files.ca_cert().c_str(), nullptr) != 1) {
    return false;
  }
  if (!files.crl_dir().empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(context);
    X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
    if (lookup == nullptr ||
        X509_LOOKUP_add_dir(lookup, files.crl_dir().c_str(), X509_FILETYPE_PEM) != 1) {
      return false;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  // A client certificate is verified when presented, but not required: the
  // probes (/healthz, /readyz) answer without one, as Kubernetes' kubelet
  // asks them; everything else needs an operator's.
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  return true;
}

bool IsProbe(const std::string& path) { return path == "/healthz" || path == "/readyz"; }

void Reply(httplib::Response& response, int status, std::string body, const char* type) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  response.set_content(std::move(body), type);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    const ndxp::config::v1::HubConfig& config, AdminSources sources) {
  std::unique_ptr<AdminServer> admin(new AdminServer());
  admin->sources_ = std::move(sources);
  const std::string& listen = config.admin().listen();
  admin->tls_ = !IsLoopbackListen(listen);
  if (admin->tls_) {
    ndxp::config::v1::TlsFiles files = config.tls();
    auto server = std::make_unique<httplib::SSLServer>(
        [files](SSL_CTX& context) { return SetUpTls(files, &context); });
    if (!server->is_valid()) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat(
          "admin.listen ", listen, ": cannot set up HTTPS with ", files.cert(), ", ",
          files.key(), " and ", files.ca_cert()));
    }
    admin->server_ = std::move(server);
  } else {
    admin->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& server = *admin->server_;
  server.new_task_queue = [] { return new BoundedTaskQueue(kWorkers); };
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(2);
  server.set_keep_alive_max_count(100);
  server.set_payload_max_length(64 * 1024);
  // httplib's default adds SO_REUSEPORT, with which a second process of the
  // same user could listen on the same port beside this one, unnoticed.
  server.set_socket_options([](int socket) {
    int one = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  });
  admin->Route();

  size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port == 0) {
    port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("admin.listen: cannot listen on ", listen));
  }
  admin->address_ = absl::StrCat(listen.substr(0, colon), ":", port);
  admin->thread_ = std::thread([server = admin->server_.get()] { server->listen_after_bind(); });
  return admin;
}

void AdminServer::Route() {
  httplib::Server& server = *server_;
  const AdminSources* sources = &sources_;
  if (tls_) {
    // Operators only, by the identity in their verified certificate; the
    // probes for anyone (without the reasons, which name internal addresses).
    server.set_pre_routing_handler([sources](const httplib::Request& request,
                                             httplib::Response& response) {
      X509* peer = request.ssl != nullptr ? SSL_get0_peer_certificate(request.ssl) : nullptr;
      if (peer == nullptr) {
        if (IsProbe(request.path)) {
          if (request.path == "/readyz" && !CheckReadiness(*sources, absl::Now()).ready) {
            Reply(response, 503, "not ready\n", "text/plain");
            return httplib::Server::HandlerResponse::Handled;
          }
          return httplib::Server::HandlerResponse::Unhandled;
        }
        Reply(response, 403, "an operator's client certificate is required\n", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      absl::StatusOr<std::string> spiffe_id = transport::SpiffeIdOf(peer);
      absl::StatusOr<ConsumerIdentity> caller =
          spiffe_id.ok() ? ParseSpiffeId(*spiffe_id, sources->trust_domain) : spiffe_id.status();
      if ((caller.ok() && sources->is_operator(*caller)) || IsProbe(request.path)) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      Reply(response, 403,
            absl::StrCat(caller.ok() ? absl::StrCat(caller->agency_subsystem, " is not an operator")
                                     : std::string(caller.status().message()),
                         "\n"),
            "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, "ok\n", "text/plain");
  });
  server.Get("/readyz", [sources](const httplib::Request&, httplib::Response& response) {
    Readiness readiness = CheckReadiness(*sources, absl::Now());
    Reply(response, readiness.ready ? 200 : 503,
          readiness.ready ? "ready\n" : absl::StrCat(absl::StrJoin(readiness.problems, "\n"), "\n"),
          "text/plain");
  });
  server.Get("/connectors", [sources](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, RenderConnectors(*sources, absl::Now()), "application/json");
  });
  server.Get("/metrics", [sources](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, RenderMetrics(*sources, absl::Now()), metrics::kPrometheusContentType);
  });
  // The running configuration's API catalogue: the OpenAPI document built
  // with it, and the page.
  auto with_context = [sources](httplib::Response& response, auto render) {
    std::shared_ptr<const HubContext> context = sources->context ? sources->context() : nullptr;
    if (context == nullptr) {
      Reply(response, 503, "no configuration loaded\n", "text/plain");
      return;
    }
    render(*context);
  };
  server.Get("/openapi.json", [with_context](const httplib::Request&, httplib::Response& response) {
    with_context(response, [&](const HubContext& context) {
      Reply(response, 200, context.openapi, "application/json");
    });
  });
  server.Get("/catalogue", [with_context](const httplib::Request&, httplib::Response& response) {
    with_context(response, [&](const HubContext& context) {
      Reply(response, 200, RenderCatalogue(context), "text/html; charset=utf-8");
    });
  });
  server.Get("/", [sources](const httplib::Request& request, httplib::Response& response) {
    absl::StatusOr<std::string> page =
        RenderDashboard(*sources, request.get_param_value("day"), absl::Now());
    if (!page.ok()) {
      Reply(response, 400, absl::StrCat(page.status().message(), "\n"), "text/plain");
      return;
    }
    Reply(response, 200, *std::move(page), "text/html; charset=utf-8");
  });
}

void AdminServer::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

AdminServer::~AdminServer() { Stop(); }

}  // namespace ndxp::gateway::admin_http
