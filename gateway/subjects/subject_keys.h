// The subject keys: secrets only the hubs hold, under which a data
// subject's normalised personal ID becomes the HMAC-SHA256 the audit rows
// keep (TransactionRecord::subjects) instead of the ID itself. Keys rotate:
// the current one writes new rows; the older ones stay, so that rows written
// under them are still found (AllHmacs).
//
// The key file is text, one key a line, "<key_id> <secret in base64>", the
// first key the current one; blank lines and lines starting with "#" are
// comments:
//   # ndxp subject keys: the first is current
//   k2 3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
//   k1 ...
// Secrets are at least 32 bytes (kMinSubjectKeyBytes); key ids are 1..64 of
// [A-Za-z0-9._-] (they are written into every audit row). The file must be
// readable by its owner alone (mode 0600 or 0400, as ssh asks of a private
// key). It lives outside the database (the hub's configuration directory,
// not recording.database), so database backups never hold it; back it up
// apart, as the hub's TLS key: without it no citizen can find their rows.
//
// Stores keep each HMAC in lowercase hex (absl::BytesToHexString of Hmac's
// bytes), as audit_chain.h's encoding says.
//
// Example (the ID normalised by NormalizePersonalId, personal_id.h):
//   NDXP_ASSIGN_OR_RETURN(SubjectKeys keys, SubjectKeys::Load("/etc/ndxp/subject-keys"));
//   record.subject_key_id = keys.Current();
//   NDXP_ASSIGN_OR_RETURN(std::string hmac, keys.Hmac(keys.Current(), "001099012345"));
//   record.subjects.push_back(absl::BytesToHexString(hmac));
#ifndef NDXP_GATEWAY_SUBJECTS_SUBJECT_KEYS_H_
#define NDXP_GATEWAY_SUBJECTS_SUBJECT_KEYS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace ndxp::gateway::subjects {

inline constexpr size_t kMinSubjectKeyBytes = 32;
inline constexpr size_t kSubjectHmacBytes = 32;  // HMAC-SHA256

// A subject's HMAC under one key.
struct KeyedSubjectHmac {
  std::string key_id;
  std::string hmac;  // kSubjectHmacBytes raw bytes
};

class SubjectKeys {
 public:
  // Reads the key file at `path`. FAILED_PRECONDITION when group or others
  // may read or write it; INVALID_ARGUMENT naming the file and line of a
  // malformed line, a bad key id, a secret that is not base64 or shorter
  // than kMinSubjectKeyBytes, a key id used twice, or a file with no key;
  // NOT_FOUND or PERMISSION_DENIED when it cannot be read. Messages never
  // hold a secret.
  static absl::StatusOr<SubjectKeys> Load(const std::string& path);
  // The same from the file's text, `source` naming it in errors (no
  // permission check).
  static absl::StatusOr<SubjectKeys> Parse(absl::string_view text, absl::string_view source);

  SubjectKeys(const SubjectKeys&) = default;
  SubjectKeys(SubjectKeys&&) = default;
  SubjectKeys& operator=(const SubjectKeys&) = default;
  SubjectKeys& operator=(SubjectKeys&&) = default;
  ~SubjectKeys();  // wipes the secrets

  // The id of the key new rows are written under.
  const std::string& Current() const { return keys_.front().id; }
  bool Has(absl::string_view key_id) const;
  // HMAC-SHA256 of `normalised_id` under key `key_id`: kSubjectHmacBytes raw
  // bytes. NOT_FOUND for a key id the file does not hold.
  absl::StatusOr<std::string> Hmac(absl::string_view key_id,
                                   absl::string_view normalised_id) const;
  // The HMAC under every key, the current first: what a lookup asks the
  // store for, so that rows written before a rotation are found.
  std::vector<KeyedSubjectHmac> AllHmacs(absl::string_view normalised_id) const;

 private:
  struct Key {
    std::string id;
    std::string secret;
    // HMAC-SHA256 initialised with the secret, copied for each HMAC: a
    // call's HMAC then fetches no algorithm (EVP_Q_mac did, ~2 µs a call).
    std::shared_ptr<const evp_mac_ctx_st> keyed;
  };
  explicit SubjectKeys(std::vector<Key> keys) : keys_(std::move(keys)) {}

  std::vector<Key> keys_;  // never empty; the current first
};

// Makes a new key `key_id` of kMinSubjectKeyBytes random bytes in the key
// file at `path`, which is written (mode 0600) through a temporary file and
// a rename. A new file holds the key alone; with `rotate`, an existing file
// gains it as its first (current) key, its other keys kept after it.
// ALREADY_EXISTS for an existing file without `rotate` or a key id it
// already holds; NOT_FOUND for a missing file with `rotate`; the errors of
// Load for an existing file that does not load.
absl::Status GenerateSubjectKey(const std::string& path, absl::string_view key_id, bool rotate);

}  // namespace ndxp::gateway::subjects

#endif  // NDXP_GATEWAY_SUBJECTS_SUBJECT_KEYS_H_
