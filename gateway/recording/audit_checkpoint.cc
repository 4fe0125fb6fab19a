#include "gateway/recording/audit_checkpoint.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files/durable_file.h"
#include "common/tls/openssl_ptr.h"
#include "common/tls/signature.h"

namespace ndxp::gateway {
namespace {

constexpr char kVersion[] = "ndxp-audit-checkpoint-v1";

struct CloseFile {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, CloseFile>;

X509Ptr CertificateFromDer(absl::string_view der) {
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  return X509Ptr(d2i_X509(nullptr, &data, static_cast<long>(der.size())));
}

std::string SubjectOf(X509* certificate) {
  char buffer[512];
  X509_NAME_oneline(X509_get_subject_name(certificate), buffer, sizeof(buffer));
  return buffer;
}

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

}  // namespace

std::string CheckpointSignedText(const SignedCheckpoint& c) {
  return absl::StrCat(kVersion, "\nreplica ", c.replica, "\nseq ", c.head.seq, "\nhash ",
                      absl::BytesToHexString(c.head.hash), "\ntime_micros ", c.time_micros,
                      "\n");
}

std::string FormatCheckpoint(const SignedCheckpoint& c) {
  return absl::StrCat(CheckpointSignedText(c), "certificate ", absl::Base64Escape(c.certificate),
                      "\nsignature ", absl::Base64Escape(c.signature), "\n");
}

absl::StatusOr<SignedCheckpoint> ParseCheckpoint(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  constexpr const char* kFields[] = {"replica", "seq", "hash", "time_micros", "certificate",
                                     "signature"};
  if (lines.size() < 7 || lines[0] != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: line 1 is not \"", kVersion, "\" or lines are missing"));
  }
  SignedCheckpoint c;
  for (int i = 0; i < 6; ++i) {
    absl::string_view value = lines[static_cast<size_t>(i) + 1];
    const std::string prefix = absl::StrCat(kFields[i], " ");
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint: line ", i + 2, " (", kFields[i], "): ", why));
    };
    if (!absl::ConsumePrefix(&value, prefix)) return bad("missing");
    bool ok = true;
    switch (i) {
      case 0: c.replica = std::string(value); ok = !value.empty(); break;
      case 1: ok = absl::SimpleAtoi(value, &c.head.seq) && c.head.seq >= 0; break;
      case 2:
        ok = value.size() == 2 * kAuditHashSize && IsLowerHex(value);
        if (ok) c.head.hash = absl::HexStringToBytes(value);
        break;
      case 3: ok = absl::SimpleAtoi(value, &c.time_micros); break;
      case 4: ok = absl::Base64Unescape(value, &c.certificate) && !c.certificate.empty(); break;
      case 5: ok = absl::Base64Unescape(value, &c.signature) && !c.signature.empty(); break;
    }
    if (!ok) return bad("malformed value");
  }
  return c;
}

absl::StatusOr<std::unique_ptr<CheckpointSigner>> CheckpointSigner::FromFiles(
    const std::string& cert_file, const std::string& key_file) {
  FilePtr cert_in(std::fopen(cert_file.c_str(), "r"));
  X509Ptr certificate(cert_in ? PEM_read_X509(cert_in.get(), nullptr, nullptr, nullptr)
                              : nullptr);
  if (certificate == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint signer: cannot read a PEM certificate from ", cert_file));
  }
  FilePtr key_in(std::fopen(key_file.c_str(), "r"));
  KeyPtr key(key_in ? PEM_read_PrivateKey(key_in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint signer: cannot read a PEM private key from ", key_file));
  }
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint signer: ", key_file,
                                                   " is not the key of ", cert_file));
  }
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate.get(), &der);
  if (length <= 0) return absl::InternalError("checkpoint signer: cannot encode the certificate");
  std::string encoded(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return std::unique_ptr<CheckpointSigner>(new CheckpointSigner(key.release(), std::move(encoded)));
}

CheckpointSigner::~CheckpointSigner() { EVP_PKEY_free(key_); }

absl::StatusOr<SignedCheckpoint> CheckpointSigner::Sign(absl::string_view replica,
                                                        const ChainHead& head,
                                                        int64_t time_micros) const {
  SignedCheckpoint c;
  c.replica = std::string(replica);
  c.head = head;
  c.time_micros = time_micros;
  c.certificate = certificate_;
  absl::StatusOr<std::string> signature = SignBytes(key_, CheckpointSignedText(c));
  if (!signature.ok()) {
    return absl::InternalError(absl::StrCat("checkpoint signer: ", signature.status().message()));
  }
  c.signature = *std::move(signature);
  return c;
}

absl::StatusOr<std::string> VerifyCheckpoint(const SignedCheckpoint& c,
                                             const std::string& ca_file) {
  const std::string what = absl::StrCat("checkpoint of replica ", c.replica, " (seq ", c.head.seq,
                                        ")");
  X509Ptr certificate = CertificateFromDer(c.certificate);
  if (certificate == nullptr) {
    return absl::DataLossError(absl::StrCat(what, ": its certificate does not parse"));
  }
  if (!VerifyBytes(X509_get0_pubkey(certificate.get()), CheckpointSignedText(c), c.signature)) {
    return absl::DataLossError(
        absl::StrCat(what, ": the signature does not verify: forged or altered"));
  }
  if (!ca_file.empty()) {
    StorePtr store(X509_STORE_new());
    if (store == nullptr ||
        X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read the CA file ", ca_file));
    }
    StoreCtxPtr verify(X509_STORE_CTX_new());
    if (verify == nullptr ||
        X509_STORE_CTX_init(verify.get(), store.get(), certificate.get(), nullptr) != 1) {
      return absl::InternalError("checkpoint: cannot set up certificate verification");
    }
    // The checkpoint may be older than the certificate's expiry: check the
    // chain at the time it was signed.
    X509_STORE_CTX_set_time(verify.get(), 0, static_cast<time_t>(c.time_micros / 1000000));
    if (X509_verify_cert(verify.get()) != 1) {
      return absl::PermissionDeniedError(absl::StrCat(
          what, ": signed by ", SubjectOf(certificate.get()), ", not a certificate of ", ca_file,
          " (", X509_verify_cert_error_string(X509_STORE_CTX_get_error(verify.get())), ")"));
    }
  }
  return SubjectOf(certificate.get());
}

std::string CheckpointFilePrefix(const std::string& database) {
  return database + ".checkpoint.";
}

std::string CheckpointFilePath(const std::string& database, absl::string_view replica) {
  return absl::StrCat(CheckpointFilePrefix(database), replica);
}

std::vector<std::string> ListCheckpointFiles(const std::string& database) {
  const std::filesystem::path file(database);
  const std::string prefix = CheckpointFilePrefix(file.filename().string());
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(
           file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, prefix) && !absl::EndsWith(name, ".tmp")) {
      found.push_back(entry.path().string());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

absl::StatusOr<SignedCheckpoint> ReadCheckpointFile(const std::string& path,
                                                    const std::string& database) {
  std::ifstream in(path);
  if (!in) return absl::DataLossError(absl::StrCat(path, ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<SignedCheckpoint> checkpoint = ParseCheckpoint(text.str());
  if (!checkpoint.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", checkpoint.status().message()));
  }
  const std::string expected =
      CheckpointFilePath(std::filesystem::path(database).filename().string(), checkpoint->replica);
  if (std::filesystem::path(path).filename().string() != expected) {
    return absl::DataLossError(
        absl::StrCat(path, ": holds replica ", checkpoint->replica, "'s checkpoint"));
  }
  return checkpoint;
}

absl::Status WriteCheckpointFile(const std::string& database, const SignedCheckpoint& checkpoint) {
  const std::string path = CheckpointFilePath(database, checkpoint.replica);
  absl::Status written = WriteFileDurably(path, FormatCheckpoint(checkpoint), 0644);
  if (!written.ok()) {
    return absl::UnavailableError(absl::StrCat("checkpoint ", written.message()));
  }
  return absl::OkStatus();
}

}  // namespace ndxp::gateway
