// The offline check of a store's audit log that both stores' VerifyAuditChain
// run, fed with what they read: the signed checkpoints, every audit row in
// (replica, seq) order, every counter. It checks each replica's hash chain,
// the chain up to its latest checkpoint (rows deleted at the end) and up to
// heads given by the auditor, and reconciles the counters with the rows.
//
// Example:
//   AuditVerification verification("hub.db", options);
//   NDXP_RETURN_IF_ERROR(verification.AddCheckpoint(text, "hub.db.checkpoint.hub-1"));
//   for (each row) NDXP_RETURN_IF_ERROR(verification.AddRow(id, fields, prev, hash));
//   for (each counter) verification.AddCounter(day, key, count);
//   NDXP_RETURN_IF_ERROR(verification.Finish(&report));
#ifndef NDXP_GATEWAY_RECORDING_AUDIT_VERIFICATION_H_
#define NDXP_GATEWAY_RECORDING_AUDIT_VERIFICATION_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/recording/audit_chain.h"
#include "gateway/recording/audit_checkpoint.h"
#include "gateway/recording/counter_reconciler.h"

namespace ndxp::gateway {

// What a verification checks beyond the chain itself.
struct AuditVerifyOptions {
  // The hub's recording.time_zone: the zone of the counters' days.
  std::string time_zone = "Asia/Ho_Chi_Minh";
  // Heads known from elsewhere (`--expect-head [REPLICA:]SEQ:HASH`); an
  // empty replica means the only chain.
  std::vector<std::pair<std::string, ChainHead>> expect_heads;
  // When set, a checkpoint's certificate must be one of this CA's (PEM);
  // otherwise only its signature is checked against the certificate it
  // carries.
  std::string ca_file;
  // Witnesses' vkeys (`--witness-vkey`): their stored cosignatures are
  // checked against the stored checkpoints; others' are only reported.
  std::vector<std::string> witness_vkeys;
};

// Parses "SEQ:HASH" or "REPLICA:SEQ:HASH" (HASH: 64 hex digits).
// INVALID_ARGUMENT saying what is wrong.
absl::StatusOr<std::pair<std::string, ChainHead>> ParseExpectedHead(absl::string_view text);

// Not thread-safe.
class AuditVerification {
 public:
  // INVALID_ARGUMENT for an unknown time zone (checked by Start).
  AuditVerification(std::string database, const AuditVerifyOptions& options);
  absl::Status Start();

  // A stored checkpoint (the file's or row's text); `source` names it. An
  // unsigned, forged or altered one is refused (DATA_LOSS): the
  // verification fails.
  absl::Status AddCheckpoint(const SignedCheckpoint& checkpoint, absl::string_view source);

  // A witness's stored cosignature (TransactionStore::TreeCosignature) of
  // `replica`'s stored checkpoint `note` of `tree_size`. Reported per
  // witness (the largest size it cosigned, and when); DATA_LOSS naming it
  // when it is by a witness of options.witness_vkeys and does not verify.
  absl::Status AddTreeCosignature(absl::string_view replica, int64_t tree_size,
                                  absl::string_view note, absl::string_view witness_key,
                                  int64_t time_seconds, absl::string_view line);

  absl::Status AddRow(int64_t id, const AuditFields& row, absl::string_view stored_prev,
                      absl::string_view stored_hash);
  void AddCounter(absl::string_view day, const CounterKey& key, int64_t count);

  // The remaining checks; the report of everything checked.
  absl::Status Finish(std::string* report);

  const std::string& database() const { return database_; }
  AuditChainChecker& chain() { return chain_; }

 private:
  const std::string database_;
  const AuditVerifyOptions options_;
  absl::TimeZone time_zone_;
  AuditChainChecker chain_;
  std::unique_ptr<CounterReconciler> counters_;
  std::string checkpoints_report_;
  // (replica, witness key) -> (largest tree size cosigned, its time); and
  // how many cosignatures each given witness key had checked.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> cosigned_;
  std::map<std::string, int64_t> witness_checked_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_AUDIT_VERIFICATION_H_
