#include "gateway/transport/tls/tls_material.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/tls1.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/tls/openssl_ptr.h"
#include "gateway/transport/tls/peer_certificate.h"

namespace ndxp::gateway::transport {
namespace {

// A certificate, key or CRL file larger than this is a wrong path, not PKI.
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;

// The TLS 1.2 suites HTTP/2 allows (RFC 9113 §9.2.2: ephemeral key exchange,
// AEAD); TLS 1.3 suites are all acceptable and left at OpenSSL's defaults.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The ALPN wire list the client offers: one length-prefixed name.
constexpr unsigned char kH2Wire[] = {2, 'h', '2'};

// Drains this thread's OpenSSL error queue into a message (and leaves the
// queue empty, so later handshakes on this thread are not misread).
std::string TakeOpenSslErrors() {
  std::string text;
  while (unsigned long error = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(error, buffer, sizeof(buffer));
    if (!text.empty()) absl::StrAppend(&text, "; ");
    absl::StrAppend(&text, buffer);
  }
  return text.empty() ? "no OpenSSL error recorded" : text;
}

absl::Status Invalid(const std::string& file, absl::string_view reason) {
  std::string errors = TakeOpenSslErrors();
  return absl::InvalidArgumentError(absl::StrCat(file, ": ", reason, " (", errors, ")"));
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no ", what, " file configured"));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", what, " ", path));
  }
  std::string contents;
  char buffer[16384];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    contents.append(buffer, n);
    if (contents.size() > kMaxFileBytes) {
      std::fclose(file);
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than ", kMaxFileBytes >> 20, " MiB, not a ", what));
    }
  }
  int read_error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (read_error != 0) {
    return absl::ErrnoToStatus(read_error, absl::StrCat("cannot read ", what, " ", path));
  }
  return contents;
}

BioPtr MemoryBio(const std::string& contents) {
  return BioPtr(BIO_new_mem_buf(contents.data(), static_cast<int>(contents.size())));
}

// PEM_read_bio_* ends a list with PEM_R_NO_START_LINE; anything else is damage.
bool AtEndOfPem() {
  unsigned long error = ERR_peek_last_error();
  bool end = ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
  if (end) ERR_clear_error();
  return end;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const TlsSources::File& file,
                                                       absl::string_view what) {
  BioPtr bio = MemoryBio(file.contents);
  std::vector<X509Ptr> certificates;
  while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(certificate);
  }
  if (certificates.empty()) {
    return Invalid(absl::StrCat(what, " ", file.path), "not a PEM certificate");
  }
  if (!AtEndOfPem()) return Invalid(absl::StrCat(what, " ", file.path), "damaged PEM certificate");
  return certificates;
}

// Never asks for a passphrase: an encrypted key must fail, not prompt on a tty.
int NoPassphrase(char*, int, int, void*) { return -1; }

absl::StatusOr<KeyPtr> ParseKey(const TlsSources::File& file) {
  BioPtr bio = MemoryBio(file.contents);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return Invalid(absl::StrCat("private key ", file.path),
                   "not a PEM private key (or an encrypted one)");
  }
  return key;
}

absl::StatusOr<std::vector<CrlPtr>> ParseCrls(const TlsSources::File& file) {
  std::vector<CrlPtr> crls;
  {
    BioPtr bio = MemoryBio(file.contents);
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
      crls.emplace_back(crl);
    }
    if (!crls.empty()) {
      if (!AtEndOfPem()) return Invalid("CRL " + file.path, "bad CRL file: damaged PEM CRL");
      return crls;
    }
  }
  ERR_clear_error();
  BioPtr bio = MemoryBio(file.contents);
  CrlPtr der(d2i_X509_CRL_bio(bio.get(), nullptr));
  if (der == nullptr) return Invalid("CRL " + file.path, "bad CRL file: not a PEM or DER CRL");
  crls.push_back(std::move(der));
  return crls;
}

absl::Time ToTime(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return absl::InfinitePast();
  return absl::FromCivil(absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                           tm.tm_min, tm.tm_sec),
                         absl::UTCTimeZone());
}

bool IssuedBy(X509_CRL* crl, const std::vector<X509Ptr>& cas) {
  for (const X509Ptr& ca : cas) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca.get())) == 0 &&
        X509_CRL_verify(crl, X509_get0_pubkey(ca.get())) == 1) {
      return true;
    }
  }
  ERR_clear_error();
  return false;
}

// The callers' listener speaks HTTP/2 (gRPC) and HTTP/1.1 (the JSON door):
// selects "h2" if the client offers it, else "http/1.1", else refuses the
// handshake (no_application_protocol alert). A client that sends no ALPN at
// all (Java 8 before 8u252, .NET Framework) is not refused: OpenSSL calls
// this only when the extension is there, and the connection, finding no
// protocol selected, speaks HTTP/1.1 (Downstream::OnHandshakeDone).
int SelectCallerProtocol(SSL*, const unsigned char** out, unsigned char* out_length,
                         const unsigned char* in, unsigned int in_length, void*) {
  const unsigned char* http11 = nullptr;
  for (unsigned int i = 0; i < in_length;) {
    unsigned int length = in[i];
    if (length == 0 || i + 1 + length > in_length) break;  // malformed list
    const absl::string_view name(reinterpret_cast<const char*>(in + i + 1), length);
    if (name == "h2") {
      *out = in + i + 1;
      *out_length = 2;
      return SSL_TLSEXT_ERR_OK;
    }
    if (name == "http/1.1" && http11 == nullptr) http11 = in + i + 1;
    i += 1 + length;
  }
  if (http11 != nullptr) {
    *out = http11;
    *out_length = 8;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// What both contexts share: protocol floor, suites, the trust store, and the
// hub's own certificate, chain and key.
absl::Status ConfigureCommon(SSL_CTX* context, X509_STORE* store,
                             const std::vector<X509Ptr>& certificate_chain, EVP_PKEY* key,
                             const TlsSources& sources) {
  if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(context, kTls12Ciphers) != 1) {
    return absl::InternalError(
        absl::StrCat("cannot set TLS versions and suites: ", TakeOpenSslErrors()));
  }
  SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION);
  // One read() takes every record the socket holds, not a header then a body
  // per record (1.6 reads per forwarded call without it, bench/run's profile).
  SSL_CTX_set_read_ahead(context, 1);
  SSL_CTX_set1_cert_store(context, store);
  if (SSL_CTX_use_certificate(context, certificate_chain[0].get()) != 1) {
    return Invalid(sources.cert.path, "certificate rejected");
  }
  for (size_t i = 1; i < certificate_chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(context, certificate_chain[i].get()) != 1) {
      return Invalid(sources.cert.path, "chain certificate rejected");
    }
  }
  if (SSL_CTX_use_PrivateKey(context, key) != 1 || SSL_CTX_check_private_key(context) != 1) {
    return Invalid(sources.key.path,
                   absl::StrCat("key does not match the certificate ", sources.cert.path));
  }
  return absl::OkStatus();
}

void Sha256Field(EVP_MD_CTX* md, absl::string_view bytes) {
  uint64_t length = bytes.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(length >> (8 * i));
  EVP_DigestUpdate(md, prefix, sizeof(prefix));
  EVP_DigestUpdate(md, bytes.data(), bytes.size());
}

}  // namespace

TlsSources::~TlsSources() {
  if (!key.contents.empty()) OPENSSL_cleanse(key.contents.data(), key.contents.size());
}

absl::StatusOr<TlsSources> TlsSources::Read(const ndxp::config::v1::TlsFiles& files) {
  TlsSources sources;
  struct Want {
    const std::string& path;
    File* file;
    absl::string_view what;
  };
  for (const Want& want : {Want{files.ca_cert(), &sources.ca_cert, "CA certificate"},
                           Want{files.cert(), &sources.cert, "certificate"},
                           Want{files.key(), &sources.key, "private key"}}) {
    absl::StatusOr<std::string> contents = ReadFile(want.path, want.what);
    if (!contents.ok()) return contents.status();
    want.file->path = want.path;
    want.file->contents = *std::move(contents);
  }
  sources.crl_dir = files.crl_dir();
  if (sources.crl_dir.empty()) return sources;

  namespace fs = std::filesystem;
  std::error_code error;
  std::vector<std::string> names;
  for (fs::directory_iterator it(sources.crl_dir, error), end; !error && it != end;
       it.increment(error)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code status_error;
    if (!fs::is_regular_file(it->path(), status_error)) continue;  // follows symlinks
    names.push_back(std::move(name));
  }
  if (error) {
    return absl::ErrnoToStatus(error.value(),
                               absl::StrCat("cannot read CRL directory ", sources.crl_dir));
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = (fs::path(sources.crl_dir) / name).string();
    absl::StatusOr<std::string> contents = ReadFile(path, "CRL");
    if (!contents.ok()) return contents.status();
    sources.crls.push_back(File{std::move(path), *std::move(contents)});
  }
  return sources;
}

std::string TlsSources::Fingerprint() const {
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  for (const File* file : {&ca_cert, &cert, &key}) {
    Sha256Field(md.get(), file->path);
    Sha256Field(md.get(), file->contents);
  }
  Sha256Field(md.get(), crl_dir);
  for (const File& file : crls) {
    Sha256Field(md.get(), file.path);
    Sha256Field(md.get(), file.contents);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(md.get(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::StatusOr<std::shared_ptr<const TlsMaterial>> TlsMaterial::Load(
    const ndxp::config::v1::TlsFiles& files) {
  absl::StatusOr<TlsSources> sources = TlsSources::Read(files);
  if (!sources.ok()) return sources.status();
  return FromSources(*sources);
}

absl::StatusOr<std::shared_ptr<const TlsMaterial>> TlsMaterial::FromSources(
    const TlsSources& sources) {
  ERR_clear_error();
  absl::StatusOr<std::vector<X509Ptr>> cas = ParseCertificates(sources.ca_cert, "CA certificate");
  if (!cas.ok()) return cas.status();
  absl::StatusOr<std::vector<X509Ptr>> chain = ParseCertificates(sources.cert, "certificate");
  if (!chain.ok()) return chain.status();
  absl::StatusOr<KeyPtr> key = ParseKey(sources.key);
  if (!key.ok()) return key.status();
  if (X509_check_private_key((*chain)[0].get(), key->get()) != 1) {
    return Invalid(absl::StrCat("private key ", sources.key.path),
                   absl::StrCat("key does not match the certificate ", sources.cert.path));
  }

  std::shared_ptr<TlsMaterial> material(new TlsMaterial());
  material->ca_cert_path_ = sources.ca_cert.path;
  material->crl_dir_ = sources.crl_dir;
  material->certificate_path_ = sources.cert.path;
  material->certificate_serial_hex_ = SerialHex((*chain)[0].get());
  material->certificate_not_after_ = ToTime(X509_get0_notAfter((*chain)[0].get()));
  material->ca_not_after_ = absl::InfiniteFuture();
  material->fingerprint_ = sources.Fingerprint();

  material->store_ = X509_STORE_new();
  if (material->store_ == nullptr) return absl::ResourceExhaustedError("X509_STORE_new failed");
  for (const X509Ptr& ca : *cas) {
    material->ca_not_after_ =
        std::min(material->ca_not_after_, ToTime(X509_get0_notAfter(ca.get())));
    if (X509_STORE_add_cert(material->store_, ca.get()) != 1) {
      return Invalid(sources.ca_cert.path, "CA certificate rejected by the trust store");
    }
  }

  if (!sources.crl_dir.empty()) {
    for (const TlsSources::File& file : sources.crls) {
      absl::StatusOr<std::vector<CrlPtr>> crls = ParseCrls(file);
      if (!crls.ok()) return crls.status();
      for (const CrlPtr& crl : *crls) {
        if (!IssuedBy(crl.get(), *cas)) {
          return absl::InvalidArgumentError(absl::StrCat(
              file.path, ": bad CRL file: not signed by a CA in ", sources.ca_cert.path));
        }
        const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
        absl::Time next_update = next == nullptr ? absl::InfiniteFuture() : ToTime(next);
        material->crls_.push_back(Crl{file.path, next_update});
        material->earliest_crl_next_update_ =
            std::min(material->earliest_crl_next_update_, next_update);
        if (X509_STORE_add_crl(material->store_, crl.get()) != 1) {
          return Invalid(file.path, "bad CRL file: rejected by the trust store");
        }
      }
    }
    if (material->crls_.empty()) {
      // With CRL checking on, no CRL means every peer is refused: say so now.
      return absl::InvalidArgumentError(
          absl::StrCat("CRL directory ", sources.crl_dir, " holds no CRL file"));
    }
    // The leaf only: the CA is the trust anchor. An expired CRL stays an
    // error (X509_V_ERR_CRL_HAS_EXPIRED): fail closed.
    X509_STORE_set_flags(material->store_, X509_V_FLAG_CRL_CHECK);
  }

  material->server_context_ = SSL_CTX_new(TLS_server_method());
  material->client_context_ = SSL_CTX_new(TLS_client_method());
  if (material->server_context_ == nullptr || material->client_context_ == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("SSL_CTX_new failed: ", TakeOpenSslErrors()));
  }
  for (SSL_CTX* context : {material->server_context_, material->client_context_}) {
    absl::Status status = ConfigureCommon(context, material->store_, *chain, key->get(), sources);
    if (!status.ok()) return status;
    // Every handshake is a full one, verified against this snapshot's CRLs.
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  }

  SSL_CTX* server = material->server_context_;
  SSL_CTX_set_options(server, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(server, 0);
  SSL_CTX_set_verify(server, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  for (const X509Ptr& ca : *cas) SSL_CTX_add_client_CA(server, ca.get());
  SSL_CTX_set_alpn_select_cb(server, SelectCallerProtocol, nullptr);

  SSL_CTX* client = material->client_context_;
  SSL_CTX_set_verify(client, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_set_alpn_protos(client, kH2Wire, sizeof(kH2Wire)) != 0) {  // 0 is success
    return absl::InternalError(absl::StrCat("cannot set ALPN: ", TakeOpenSslErrors()));
  }
  ERR_clear_error();
  return std::shared_ptr<const TlsMaterial>(std::move(material));
}

TlsMaterial::~TlsMaterial() {
  SSL_CTX_free(server_context_);
  SSL_CTX_free(client_context_);
  X509_STORE_free(store_);
}

absl::Status TlsMaterial::CheckStillValid(X509* peer, absl::Time now) const {
  if (peer == nullptr) return absl::UnauthenticatedError("no peer certificate");
  StoreCtxPtr context(X509_STORE_CTX_new());
  if (context == nullptr || X509_STORE_CTX_init(context.get(), store_, peer, nullptr) != 1) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot set up certificate verification: ", TakeOpenSslErrors()));
  }
  X509_STORE_CTX_set_time(context.get(), 0, absl::ToTimeT(now));
  if (X509_verify_cert(context.get()) == 1) return absl::OkStatus();
  ERR_clear_error();
  int error = X509_STORE_CTX_get_error(context.get());
  std::string why;
  switch (ClassifyVerifyResult(error, /*had_certificate=*/true)) {
    case HandshakeFailureReason::kRevoked:
      why = absl::StrCat("is revoked under the CRLs in ", crl_dir_);
      break;
    case HandshakeFailureReason::kExpired:
      why = absl::StrCat("expired at ",
                         absl::FormatTime(ToTime(X509_get0_notAfter(peer)), absl::UTCTimeZone()));
      break;
    case HandshakeFailureReason::kCrlExpired:
      why = absl::StrCat("cannot be checked: a CRL in ", crl_dir_, " has expired");
      break;
    case HandshakeFailureReason::kUnknownCa:
      why = absl::StrCat("is not issued by a CA in ", ca_cert_path_);
      break;
    default:
      why = "no longer verifies";
      break;
  }
  return absl::UnauthenticatedError(absl::StrCat("peer certificate serial ", SerialHex(peer), " ",
                                                 why, " (", X509_verify_cert_error_string(error),
                                                 ")"));
}

}  // namespace ndxp::gateway::transport
