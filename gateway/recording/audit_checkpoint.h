// Signed checkpoints of audit chain heads: the anchor that lets a verifier see
// rows deleted at the end of a chain, which the chain alone cannot show
// (audit_chain.h). The hub signs its chain's head (seq and hash) with its TLS
// key within a minute of any commit, idle or not (Recorder), and at shutdown,
// and keeps it outside the audit
// table (a file beside the SQLite database, a table of its own in
// PostgreSQL); `ndxpctl audit verify` checks the chain up to it.
//
// The signed text (UTF-8, each line ending in "\n"):
//   ndxp-audit-checkpoint-v1
//   replica <replica>
//   seq <decimal>
//   hash <64 lowercase hex digits>
//   time_micros <decimal, Unix time>
// signed with the key's default digest for its type (SHA-256 for RSA and EC
// keys, EVP_DigestSign). A checkpoint file is that text followed by
//   certificate <base64 of the signer's certificate, DER>
//   signature <base64 of the signature>
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto signer, CheckpointSigner::FromFiles(cert, key));
//   NDXP_ASSIGN_OR_RETURN(SignedCheckpoint c, signer->Sign("hub-1", head, now_micros));
//   NDXP_ASSIGN_OR_RETURN(std::string signer_name, VerifyCheckpoint(c, "ca.pem"));
#ifndef NDXP_GATEWAY_RECORDING_AUDIT_CHECKPOINT_H_
#define NDXP_GATEWAY_RECORDING_AUDIT_CHECKPOINT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/recording/audit_chain.h"

struct evp_pkey_st;

namespace ndxp::gateway {

struct SignedCheckpoint {
  std::string replica;
  ChainHead head;
  int64_t time_micros = 0;
  std::string certificate;  // DER
  std::string signature;
};

// The bytes a checkpoint's signature covers (see the file comment).
std::string CheckpointSignedText(const SignedCheckpoint& checkpoint);

// The checkpoint as a file holds it, and back. INVALID_ARGUMENT naming the
// line that is malformed.
std::string FormatCheckpoint(const SignedCheckpoint& checkpoint);
absl::StatusOr<SignedCheckpoint> ParseCheckpoint(absl::string_view text);

// Signs chain heads with the hub's TLS key. Thread-safe after construction.
class CheckpointSigner {
 public:
  // Reads the PEM certificate and key (the hub's tls.cert and tls.key).
  // INVALID_ARGUMENT naming the file that cannot be read or parsed, or when
  // the key is not the certificate's.
  static absl::StatusOr<std::unique_ptr<CheckpointSigner>> FromFiles(
      const std::string& cert_file, const std::string& key_file);
  ~CheckpointSigner();

  absl::StatusOr<SignedCheckpoint> Sign(absl::string_view replica, const ChainHead& head,
                                        int64_t time_micros) const;

 private:
  CheckpointSigner(evp_pkey_st* key, std::string certificate)
      : key_(key), certificate_(std::move(certificate)) {}
  evp_pkey_st* const key_;
  const std::string certificate_;
};

// Checks the signature against the checkpoint's certificate and, when
// `ca_file` is not empty, that certificate against the CA (PEM). The
// certificate's subject on success; DATA_LOSS "forged or altered" when the
// signature does not verify, PERMISSION_DENIED when the certificate is not
// the CA's, INVALID_ARGUMENT when the CA file cannot be read.
absl::StatusOr<std::string> VerifyCheckpoint(const SignedCheckpoint& checkpoint,
                                             const std::string& ca_file);

// Where the SQLite store keeps `replica`'s checkpoint: beside the database,
// "<database>.checkpoint.<replica>"; and the prefix all of them share.
std::string CheckpointFilePath(const std::string& database, absl::string_view replica);
std::string CheckpointFilePrefix(const std::string& database);

// The checkpoint files beside `database`, sorted by name (none: empty).
std::vector<std::string> ListCheckpointFiles(const std::string& database);
// Reads and parses the checkpoint file at `path`, one ListCheckpointFiles
// found beside `database`: DATA_LOSS naming the file when it is malformed or
// holds another replica's checkpoint than its name says.
absl::StatusOr<SignedCheckpoint> ReadCheckpointFile(const std::string& path,
                                                    const std::string& database);
// Writes `checkpoint` at CheckpointFilePath(database, its replica), whole or
// not at all (a temporary file renamed), and fsync'ed with its directory.
// UNAVAILABLE naming the file and the failed step.
absl::Status WriteCheckpointFile(const std::string& database, const SignedCheckpoint& checkpoint);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_AUDIT_CHECKPOINT_H_
