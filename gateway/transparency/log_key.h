// The log key: the hub's own long-lived Ed25519 key that signs its C2SP
// checkpoints (checkpoint.h), one key for every replica of the hub, each
// replica's log under its own origin (CheckpointOrigin). Not the TLS key:
// that one rotates live, and every witness and verifier would have to follow
// each rotation; this one changes only by the rotation docs/design.md
// "Transparency" describes.
//
// The file holds one line, sumdb/note's private key string
//   PRIVATE+KEY+<name>+<key ID, 8 hex>+base64(0x01 ‖ 32-byte seed)
// readable by its owner alone (mode 0600 or 0400). It lives beside the
// hub's TLS key, never in the database or its backups. Its name is by
// default the trust domain followed by "/audit" (DefaultLogKeyName).
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(Ed25519NoteKey key, LoadLogKey("/etc/ndxp/log.key"));
//   std::cout << key.verifier_key().Encode();  // the vkey to publish
//
// A witness's key (witness.h) is a file of the same format holding a
// cosignature key (type 0x04, C2SP tlog-cosignature) instead: its own, apart
// from its TLS key and from any log key, named by default the trust domain
// followed by "/witness" (DefaultWitnessKeyName).
#ifndef NDXP_GATEWAY_TRANSPARENCY_LOG_KEY_H_
#define NDXP_GATEWAY_TRANSPARENCY_LOG_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::transparency {

// "<trust domain>/audit": the log key's name unless the operator chose
// another (ndxpctl log-key generate --name).
std::string DefaultLogKeyName(absl::string_view trust_domain);

// Reads the log key at `path`. Errors name the file and the reason:
// FAILED_PRECONDITION when group or others may read or write it,
// INVALID_ARGUMENT for a malformed key or one that is not an Ed25519 note
// key (type 0x01: a witness's cosignature key is refused), NOT_FOUND or
// PERMISSION_DENIED when it cannot be read. Messages never hold the key.
absl::StatusOr<Ed25519NoteKey> LoadLogKey(const std::string& path);

// Makes a new log key named `name` and writes it to `path` (mode 0600);
// ALREADY_EXISTS when `path` exists unless `replace`, INVALID_ARGUMENT for a
// name a note key cannot have (empty, spaces, '+').
absl::StatusOr<Ed25519NoteKey> GenerateLogKey(const std::string& path, absl::string_view name,
                                              bool replace);

// "<trust domain>/witness": a witness key's name unless the operator chose
// another (ndxpctl witness-key generate --name).
std::string DefaultWitnessKeyName(absl::string_view trust_domain);

// Reads a witness's cosignature key at `path`, with LoadLogKey's errors, but
// INVALID_ARGUMENT for any key not of type 0x04 (a log key is refused).
absl::StatusOr<Ed25519NoteKey> LoadWitnessKey(const std::string& path);

// Makes a new witness key (type 0x04) named `name` and writes it to `path`
// (mode 0600), with GenerateLogKey's errors.
absl::StatusOr<Ed25519NoteKey> GenerateWitnessKey(const std::string& path, absl::string_view name,
                                                  bool replace);

}  // namespace ndxp::transparency

#endif  // NDXP_GATEWAY_TRANSPARENCY_LOG_KEY_H_
