#include "gateway/recording/audit_verification.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_util.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::gateway {

absl::StatusOr<std::pair<std::string, ChainHead>> ParseExpectedHead(absl::string_view text) {
  // Split from the right: a replica name may itself hold ':'.
  const size_t hash_colon = text.rfind(':');
  const size_t seq_colon =
      hash_colon == absl::string_view::npos || hash_colon == 0 ? absl::string_view::npos
                                                                : text.rfind(':', hash_colon - 1);
  const absl::string_view hex =
      hash_colon == absl::string_view::npos ? "" : text.substr(hash_colon + 1);
  const size_t seq_start = seq_colon == absl::string_view::npos ? 0 : seq_colon + 1;
  const absl::string_view seq_text =
      hash_colon == absl::string_view::npos ? text : text.substr(seq_start, hash_colon - seq_start);
  std::pair<std::string, ChainHead> head;
  if (seq_colon != absl::string_view::npos) head.first = std::string(text.substr(0, seq_colon));
  if (!absl::SimpleAtoi(seq_text, &head.second.seq) || head.second.seq < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--expect-head \"", text, "\": expected [REPLICA:]SEQ:HASH with SEQ a number >= 1"));
  }
  bool hex_ok = hex.size() == 2 * kAuditHashSize;
  for (char c : hex) hex_ok = hex_ok && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!hex_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--expect-head \"", text, "\": HASH must be ", 2 * kAuditHashSize, " hex digits"));
  }
  head.second.hash = absl::HexStringToBytes(hex);
  return head;
}

AuditVerification::AuditVerification(std::string database, const AuditVerifyOptions& options)
    : database_(std::move(database)), options_(options), chain_(database_) {
  for (const auto& [replica, head] : options_.expect_heads) {
    chain_.Expect(replica, head, absl::StrCat("--expect-head seq ", head.seq));
  }
}

absl::Status AuditVerification::Start() {
  if (!absl::LoadTimeZone(options_.time_zone, &time_zone_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone \"", options_.time_zone, "\""));
  }
  for (const std::string& vkey : options_.witness_vkeys) {
    absl::StatusOr<transparency::CosignatureVerifier> witness =
        transparency::CosignatureVerifier::FromVkey(vkey);
    if (!witness.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--witness-vkey: ", witness.status().message()));
    }
    witness_checked_.emplace(absl::StrCat(witness->key().name, "+",
                                          absl::Hex(witness->key().KeyId(), absl::kZeroPad8)),
                             0);
  }
  counters_ = std::make_unique<CounterReconciler>(time_zone_);
  return absl::OkStatus();
}

absl::Status AuditVerification::AddCheckpoint(const SignedCheckpoint& checkpoint,
                                              absl::string_view source) {
  absl::StatusOr<std::string> signer = VerifyCheckpoint(checkpoint, options_.ca_file);
  if (!signer.ok()) {
    return absl::Status(signer.status().code(),
                        absl::StrCat(source, ": ", signer.status().message()));
  }
  const std::string when =
      absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", absl::FromUnixMicros(checkpoint.time_micros),
                       absl::UTCTimeZone());
  chain_.Expect(checkpoint.replica, checkpoint.head,
                absl::StrCat("the checkpoint of ", when));
  absl::StrAppend(&checkpoints_report_, "  checkpoint of replica ", checkpoint.replica, ": seq ",
                  checkpoint.head.seq, " at ", when, ", signed by ", *signer,
                  options_.ca_file.empty() ? " (certificate not checked: no --ca)" : "", "\n");
  return absl::OkStatus();
}

absl::Status AuditVerification::AddTreeCosignature(absl::string_view replica, int64_t tree_size,
                                                  absl::string_view note,
                                                  absl::string_view witness_key,
                                                  int64_t time_seconds, absl::string_view line) {
  auto checked = witness_checked_.find(std::string(witness_key));
  if (checked != witness_checked_.end()) {
    // The checkpoint's text with this line alone: the note as the witness
    // signed it, opened with its key.
    const size_t blank = note.find("\n\n");
    const std::string where = absl::StrCat("replica ", replica, "'s checkpoint of tree size ",
                                           tree_size, ": witness ", witness_key);
    if (blank == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat(where, ": the stored checkpoint is not a note"));
    }
    for (const std::string& vkey : options_.witness_vkeys) {
      absl::StatusOr<transparency::CosignatureVerifier> witness =
          transparency::CosignatureVerifier::FromVkey(vkey);
      if (!witness.ok() ||
          absl::StrCat(witness->key().name, "+",
                       absl::Hex(witness->key().KeyId(), absl::kZeroPad8)) != witness_key) {
        continue;
      }
      absl::StatusOr<transparency::OpenedNote> opened = transparency::OpenNote(
          absl::StrCat(note.substr(0, blank + 2), line, "\n"), {&*witness});
      absl::StatusOr<int64_t> time =
          opened.ok() && !opened->verified.empty()
              ? transparency::CosignatureTime(opened->verified[0].signature)
              : absl::StatusOr<int64_t>(absl::DataLossError("does not verify"));
      if (!time.ok() || *time != time_seconds) {
        return absl::DataLossError(absl::StrCat(
            where, ": its stored cosignature does not verify (",
            !opened.ok() ? opened.status().message() : "its time is not the one stored",
            "): forged, altered, or of another checkpoint"));
      }
      break;
    }
    ++checked->second;
  }
  auto [at, added] = cosigned_.try_emplace({std::string(replica), std::string(witness_key)},
                                           tree_size, time_seconds);
  if (!added && tree_size > at->second.first) at->second = {tree_size, time_seconds};
  return absl::OkStatus();
}

absl::Status AuditVerification::AddRow(int64_t id, const AuditFields& row,
                                       absl::string_view stored_prev,
                                       absl::string_view stored_hash) {
  NDXP_RETURN_IF_ERROR(
      chain_.Add(id, row.replica, row.seq, EncodeAuditFields(row), stored_prev, stored_hash));
  counters_->AddAuditRow(row.time_micros,
                         {std::string(row.consumer), std::string(row.via),
                          std::string(row.door), std::string(row.provider),
                          std::string(row.service), std::string(row.method), row.status_code,
                          !row.refusal.empty()},
                         row.repeat);
  return absl::OkStatus();
}

void AuditVerification::AddCounter(absl::string_view day, const CounterKey& key, int64_t count) {
  counters_->AddCounter(day, key, count);
}

absl::Status AuditVerification::Finish(std::string* report) {
  NDXP_RETURN_IF_ERROR(chain_.Finish());
  NDXP_RETURN_IF_ERROR(counters_->Check(database_));
  if (report != nullptr) {
    std::string witnesses;
    for (const auto& [replica_witness, largest] : cosigned_) {
      const auto& [replica, witness] = replica_witness;
      auto checked = witness_checked_.find(witness);
      absl::StrAppend(
          &witnesses, "  witness ", witness, " cosigned replica ", replica, " up to tree size ",
          largest.first, " at ",
          absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", absl::FromUnixSeconds(largest.second),
                           absl::UTCTimeZone()),
          checked == witness_checked_.end()
              ? " (cosignatures not checked: no --witness-vkey)"
              : absl::StrCat(" (", checked->second, " cosignature(s) verified)"),
          "\n");
    }
    for (const auto& [witness, count] : witness_checked_) {
      if (count == 0) absl::StrAppend(&witnesses, "  witness ", witness, " cosigned nothing\n");
    }
    *report = absl::StrCat(chain_.Report(),
                           checkpoints_report_.empty() ? "  no checkpoint found\n"
                                                       : checkpoints_report_,
                           witnesses, counters_->Report());
  }
  return absl::OkStatus();
}

}  // namespace ndxp::gateway
