#include "gateway/recording/audit_chain.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_util.h"

namespace ndxp::gateway {
namespace {

constexpr char kEncodingVersion[] = "ndxp-audit-v1";
constexpr char kRefusedEncodingVersion[] = "ndxp-audit-v2";
constexpr char kViaEncodingVersion[] = "ndxp-audit-v3";
constexpr char kV4EncodingVersion[] = "ndxp-audit-v4";

void PutInt(std::string* out, int64_t value) {
  const auto bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

void PutString(std::string* out, absl::string_view value) {
  const auto size = static_cast<uint32_t>(value.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((size >> shift) & 0xff));
  }
  out->append(value.data(), value.size());
}

}  // namespace

std::string JoinSubjects(const std::vector<std::string>& subjects) {
  return absl::StrJoin(subjects, ",");
}

std::string EncodeAuditFields(const AuditFields& f) {
  std::string out;
  out.reserve(8 * 4 + 7 * 8 + sizeof(kEncodingVersion) + f.replica.size() +
              f.request_id.size() + f.consumer.size() + f.provider.size() +
              f.service.size() + f.method.size() + f.purpose.size() + f.refusal.size() +
              f.via.size() + 2 * 4 + 6 * 4 + 2 * 8 + f.row_kind.size() + f.door.size() +
              f.refusal_kind.size() + f.subject_key_id.size() + f.subjects.size());
  const bool v4 = f.encoding == AuditEncoding::kV4;
  const char* version = v4                   ? kV4EncodingVersion
                        : !f.via.empty()     ? kViaEncodingVersion
                        : !f.refusal.empty() ? kRefusedEncodingVersion
                                             : kEncodingVersion;
  PutString(&out, version);
  PutString(&out, f.replica);
  PutInt(&out, f.seq);
  PutInt(&out, f.time_micros);
  PutString(&out, f.request_id);
  PutString(&out, f.consumer);
  PutString(&out, f.provider);
  PutString(&out, f.service);
  PutString(&out, f.method);
  PutInt(&out, f.status_code);
  PutInt(&out, f.latency_micros);
  PutInt(&out, f.request_bytes);
  PutInt(&out, f.response_bytes);
  PutString(&out, f.purpose);
  if (v4) {
    PutString(&out, f.refusal);
    PutString(&out, f.via);
    PutString(&out, f.row_kind);
    PutString(&out, f.door);
    PutString(&out, f.refusal_kind);
    PutInt(&out, f.repeat);
    PutString(&out, f.subject_key_id);
    PutString(&out, f.subjects);
    PutInt(&out, f.visible_after_micros);
  } else if (!f.via.empty()) {
    PutString(&out, f.refusal);
    PutString(&out, f.via);
  } else if (!f.refusal.empty()) {
    PutString(&out, f.refusal);
  }
  return out;
}

namespace {

// `subjects` holds the joined subjects the fields point into.
AuditFields FieldsOf(absl::string_view replica, int64_t seq, const TransactionRecord& r,
                     const std::string& subjects) {
  AuditFields f;
  f.replica = replica;
  f.seq = seq;
  f.time_micros = r.time_micros;
  f.request_id = r.request_id;
  f.consumer = r.consumer;
  f.provider = r.provider;
  f.service = r.service;
  f.method = r.method;
  f.status_code = r.status_code;
  f.latency_micros = r.latency_micros;
  f.request_bytes = r.request_bytes;
  f.response_bytes = r.response_bytes;
  f.purpose = r.purpose;
  f.refusal = r.refusal;
  f.via = r.via;
  f.row_kind = RowKindName(r.row_kind);
  f.door = DoorName(r.door);
  f.refusal_kind = RefusalName(r.refusal_kind);
  f.repeat = r.repeat;
  f.subject_key_id = r.subject_key_id;
  f.subjects = subjects;
  f.visible_after_micros = r.visible_after_micros;
  return f;
}

}  // namespace

std::string ZeroAuditHash() { return std::string(kAuditHashSize, '\0'); }

std::string AuditChainChecker::ChainLine() const {
  if (rows_ == 0) return "";
  return absl::StrCat("  replica ", replica_, ": ", rows_, " rows, seq 1..", expected_seq_ - 1,
                      ", head ", absl::BytesToHexString(prev_hash_), "\n");
}

absl::Status AuditChainChecker::Broken(int64_t id, absl::string_view replica, int64_t seq,
                                       absl::string_view what) const {
  return absl::DataLossError(absl::StrCat("audit chain broken in ", database_, ": replica ",
                                          replica, ", seq ", seq, ", id ", id, ": ", what));
}

absl::Status AuditChainChecker::Add(int64_t id, absl::string_view replica, int64_t seq,
                                    absl::string_view encoding, absl::string_view stored_prev,
                                    absl::string_view stored_hash) {
  if (rows_ == 0 || replica != replica_) {  // the next replica's chain begins
    NDXP_RETURN_IF_ERROR(FinishChain());
    absl::StrAppend(&summary_, ChainLine());
    replica_ = std::string(replica);
    rows_ = 0;
    expected_seq_ = 1;
    prev_hash_ = ZeroAuditHash();
    ++replicas_;
  }
  if (seq != expected_seq_) {
    if (seq < expected_seq_) {  // UNIQUE(replica, seq) should make this impossible
      return Broken(id, replica, seq, absl::StrCat("seq out of order, expected ", expected_seq_));
    }
    if (seq == expected_seq_ + 1) {
      return Broken(id, replica, seq,
                    absl::StrCat("seq ", expected_seq_, " missing: a row was deleted"));
    }
    return Broken(id, replica, seq,
                  absl::StrCat("seq ", expected_seq_, " to ", seq - 1,
                               " missing: rows were deleted"));
  }
  if (stored_prev != prev_hash_) {
    return Broken(id, replica, seq,
                  expected_seq_ == 1
                      ? std::string("prev_hash of the first row is not 32 zero bytes")
                      : absl::StrCat("prev_hash does not match row ", expected_seq_ - 1));
  }
  std::string hash = AuditHash(prev_hash_, encoding);
  if (stored_hash != hash) return Broken(id, replica, seq, "hash mismatch: row was modified");
  if (!expected_.empty()) NDXP_RETURN_IF_ERROR(CheckExpectations(replica, seq, hash));
  prev_hash_ = std::move(hash);
  ++expected_seq_;
  ++rows_;
  ++total_;
  return absl::OkStatus();
}

void AuditChainChecker::Expect(std::string replica, ChainHead head, std::string source) {
  expected_.push_back({std::move(replica), std::move(head), std::move(source)});
}

absl::Status AuditChainChecker::CheckExpectations(absl::string_view replica, int64_t seq,
                                                  absl::string_view hash) {
  for (Expectation& e : expected_) {
    if (e.head.seq != seq || (!e.replica.empty() && e.replica != replica)) continue;
    if (e.head.hash != hash) {
      return absl::DataLossError(absl::StrCat(
          "audit chain of replica ", replica, " in ", database_, " differs from ", e.source,
          ": seq ", seq, " has hash ", absl::BytesToHexString(hash), ", ", e.source, " says ",
          absl::BytesToHexString(e.head.hash)));
    }
    e.seen = true;
  }
  return absl::OkStatus();
}

absl::Status AuditChainChecker::FinishChain() {
  if (rows_ == 0) return absl::OkStatus();
  for (Expectation& e : expected_) {
    if (e.seen || (!e.replica.empty() && e.replica != replica_)) continue;
    if (e.replica.empty() && replicas_ > 1) continue;  // said at Finish
    const int64_t last = expected_seq_ - 1;
    if (e.head.seq > last) {
      return absl::DataLossError(absl::StrCat(
          "audit chain of replica ", replica_, " in ", database_, ": rows seq ", last + 1, "..",
          e.head.seq, " missing at the end (the chain ends at seq ", last, "; ", e.source,
          " saw seq ", e.head.seq, ", hash ", absl::BytesToHexString(e.head.hash), ")"));
    }
    e.seen = true;  // seq <= last was checked row by row
  }
  for (const Expectation& e : expected_) {
    if (e.replica == replica_ || (e.replica.empty() && replicas_ == 1)) {
      absl::StrAppend(&expectations_report_, "  replica ", replica_, ": seq ", e.head.seq,
                      " matches ", e.source, "\n");
    }
  }
  return absl::OkStatus();
}

absl::Status AuditChainChecker::Finish() {
  NDXP_RETURN_IF_ERROR(FinishChain());
  for (const Expectation& e : expected_) {
    if (e.seen) continue;
    if (e.replica.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          e.source, " names no replica, but ", database_, " holds ", replicas_,
          " replica chains: name one (REPLICA:SEQ:HASH)"));
    }
    return absl::DataLossError(absl::StrCat(
        "audit chain of replica ", e.replica, " in ", database_, ": rows seq 1..", e.head.seq,
        " missing: no row of the replica is left (", e.source, " saw seq ", e.head.seq, ")"));
  }
  return absl::OkStatus();
}

std::string AuditChainChecker::Report() const {
  if (total_ == 0) return absl::StrCat("audit chain OK: ", database_, ": no rows\n");
  return absl::StrCat("audit chain OK: ", database_, ": ", total_, " rows in ", replicas_,
                      " replica chain(s)\n", summary_, ChainLine(), expectations_report_);
}

std::string EncodeAuditRecord(absl::string_view replica, int64_t seq,
                              const TransactionRecord& record, AuditEncoding encoding) {
  const std::string subjects = JoinSubjects(record.subjects);
  AuditFields fields = FieldsOf(replica, seq, record, subjects);
  fields.encoding = encoding;
  return EncodeAuditFields(fields);
}

std::string AuditHash(absl::string_view prev_hash, absl::string_view encoding) {
  const transparency::Hash hash = transparency::Sha256({prev_hash, encoding});
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

absl::StatusOr<ChainedRow> ChainRecord(absl::string_view prev_hash, absl::string_view replica,
                                       int64_t seq, const TransactionRecord& record) {
  const std::string encoding = EncodeAuditRecord(replica, seq, record);
  std::string hash = AuditHash(prev_hash, encoding);
  return ChainedRow{std::move(hash), transparency::LeafHash(encoding)};
}

}  // namespace ndxp::gateway
