#include "gateway/transport/tls/tls_test_support.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace ndxp::gateway::transport::tls_testing {
namespace {

enum class Progress { kPending, kDone, kFailed };

// One step of one side. The error queue is per thread and both sides share
// this one, so it is cleared before the call and classified right after.
Progress Step(SSL* ssl, HandshakeFailureReason* failure) {
  ERR_clear_error();
  int result = SSL_do_handshake(ssl);
  if (result == 1) return Progress::kDone;
  int error = SSL_get_error(ssl, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return Progress::kPending;
  *failure = ClassifyHandshakeFailure(ssl);
  ERR_clear_error();
  return Progress::kFailed;
}

std::string Alpn(const SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl, &data, &length);
  return std::string(reinterpret_cast<const char*>(data), length);
}

}  // namespace

HandshakeOutcome Handshake(SSL_CTX* server_context, SSL_CTX* client_context, SSL_SESSION* resume,
                           const std::function<void(SSL* server, SSL* client)>& connected) {
  HandshakeOutcome outcome;
  SslPtr server(SSL_new(server_context));
  SslPtr client(SSL_new(client_context));
  BIO* server_bio = nullptr;
  BIO* client_bio = nullptr;
  BIO_new_bio_pair(&server_bio, 0, &client_bio, 0);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());
  if (resume != nullptr) SSL_set_session(client.get(), resume);

  Progress server_progress = Progress::kPending;
  Progress client_progress = Progress::kPending;
  // A handshake takes a few flights; 32 rounds only guard against a bug here.
  for (int round = 0; round < 32; ++round) {
    if (client_progress == Progress::kPending) {
      client_progress = Step(client.get(), &outcome.client_failure);
    }
    if (server_progress == Progress::kPending) {
      server_progress = Step(server.get(), &outcome.server_failure);
    }
    if (server_progress != Progress::kPending && client_progress != Progress::kPending) break;
  }
  outcome.server_ok = server_progress == Progress::kDone;
  outcome.client_ok = client_progress == Progress::kDone;
  if (outcome.ok()) {
    // Lets the client take whatever the server sent after its Finished
    // (TLS 1.3 session tickets, or the alert of a late refusal).
    char byte;
    ERR_clear_error();
    if (SSL_read(client.get(), &byte, 1) <= 0 &&
        SSL_get_error(client.get(), -1) != SSL_ERROR_WANT_READ) {
      outcome.client_ok = false;
    }
    ERR_clear_error();
    outcome.server_alpn = Alpn(server.get());
    outcome.client_alpn = Alpn(client.get());
    outcome.client_certificate.reset(SSL_get1_peer_certificate(server.get()));
    outcome.server_certificate.reset(SSL_get1_peer_certificate(client.get()));
    outcome.resumed = SSL_session_reused(client.get()) == 1;
    outcome.version = SSL_version(client.get());
    outcome.session.reset(SSL_get1_session(client.get()));
    if (connected) connected(server.get(), client.get());
    // Closed cleanly: OpenSSL marks the session of a connection freed
    // without close_notify not resumable, which would hide a resumption.
    SSL_shutdown(client.get());
    SSL_shutdown(server.get());
  }
  return outcome;
}

SslCtxPtr AgencyClientContext(const ndxp::config::v1::TlsFiles& files, bool with_certificate,
                              const std::string& alpn, int max_version) {
  SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
  if (max_version != 0) SSL_CTX_set_max_proto_version(context.get(), max_version);
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(context.get(), files.ca_cert().c_str(), nullptr) != 1) {
    return nullptr;
  }
  if (with_certificate &&
      (SSL_CTX_use_certificate_chain_file(context.get(), files.cert().c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(context.get(), files.key().c_str(), SSL_FILETYPE_PEM) != 1)) {
    return nullptr;
  }
  if (!alpn.empty() &&
      SSL_CTX_set_alpn_protos(context.get(), reinterpret_cast<const unsigned char*>(alpn.data()),
                              static_cast<unsigned int>(alpn.size())) != 0) {
    return nullptr;
  }
  return context;
}

X509Ptr ReadCertificate(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509Ptr certificate(PEM_read_X509(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  return certificate;
}

absl::Time NotAfter(X509* certificate) {
  std::tm tm{};
  ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &tm);
  return absl::FromCivil(absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                           tm.tm_min, tm.tm_sec),
                         absl::UTCTimeZone());
}

void OverwriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace ndxp::gateway::transport::tls_testing
