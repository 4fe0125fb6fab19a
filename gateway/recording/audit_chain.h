// The audit chain both TransactionStores keep (SQLite and PostgreSQL): the
// canonical encoding of an audit row, its hash, and the checker their
// VerifyAuditChain feeds the rows to. One implementation, so a replica's
// chain hashes the same in either store.
//
// The audit chain. Each replica (hub process) writing a store keeps its own
// chain: its rows carry seq = 1, 2, 3, ... and
//   hash = SHA-256(prev_hash || EncodeAuditRecord(replica, seq, record))
// where prev_hash is the hash of the replica's row seq - 1, or 32 zero bytes
// for seq 1. Editing, deleting or reordering any row breaks the chain from that
// row on. Deleting the newest rows of a chain cannot be seen from the chain
// alone: the hub anchors it with signed checkpoints of its head
// (audit_checkpoint.h), and a head known from elsewhere can be given to the
// check (AuditChainChecker::Expect, `ndxpctl audit verify --expect-head`).
//
// The canonical encoding (auditors re-implement it; never change it, add a new
// version tag instead): the concatenation of these fields, in this order, each
// string as its length in 4 bytes big-endian followed by its bytes (no
// terminator, no character-set conversion), each integer as 8 bytes big-endian
// two's complement (status_code is widened to 64 bits):
//    1. string "ndxp-audit-v1"   (the version tag)
//    2. string replica
//    3. int    seq
//    4. int    time_micros
//    5. string request_id
//    6. string consumer
//    7. string provider
//    8. string service
//    9. string method
//   10. int    status_code
//   11. int    latency_micros
//   12. int    request_bytes
//   13. int    response_bytes
//   14. string purpose
// A call the hub refused (its record's `refusal` is not empty) is encoded
// with the tag "ndxp-audit-v2" in field 1 and one more field:
//   15. string refusal
// so rows written before refusals were recorded keep their hashes, and
// blanking a refused row's reason breaks its hash.
// A call that came through a peer hub (its record's `via` is not empty),
// refused or not, is encoded with the tag "ndxp-audit-v3" in field 1 and two
// more fields:
//   15. string refusal         ("" for a call the hub forwarded)
//   16. string via
// so rows of direct calls, and every row written before via was recorded,
// keep their v1 or v2 encoding and hash.
// Every row written since v4 is encoded with the tag "ndxp-audit-v4" in
// field 1 and all of these fields after field 14, always present:
//   15. string refusal         ("" for a call the hub forwarded)
//   16. string via             ("" for a call from a direct member)
//   17. string row_kind        "call", "refusal_summary" or "operator_lookup"
//   18. string door            "grpc", "connect" or "rest"
//   19. string refusal_kind    ("" for a forwarded call; the names of
//                               `ndxp_refusals_total{reason}`)
//   20. int    repeat          (1, but for a refusal summary: the refusals
//                               it stands for)
//   21. string subject_key_id  ("" when the call names no data subject)
//   22. string subjects        (the subjects' HMACs in lowercase hex,
//                               separated by ",", "" when none)
//   23. int    visible_after   (Unix microseconds; 0: at once)
// Stores keep which encoding a row has (v4, or v1–v3 as its fields say), so
// that rows of v1–v3 keep verifying.
//
// Example: replica "hub-1", seq 1, every string field "" and every integer 0
// encodes as 00 00 00 0d "ndxp-audit-v1" 00 00 00 05 "hub-1" followed by the
// 8-byte big-endian 1, and so on.
#ifndef NDXP_GATEWAY_RECORDING_AUDIT_CHAIN_H_
#define NDXP_GATEWAY_RECORDING_AUDIT_CHAIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/call/transaction_record.h"
#include "gateway/transparency/merkle.h"

namespace ndxp::gateway {

// Length of a chain hash (SHA-256) in bytes.
inline constexpr size_t kAuditHashSize = 32;

// The encodings a stored row may have: kLegacy is v1, v2 or v3 as the row's
// refusal and via say (rows written before v4); every new row is kV4.
enum class AuditEncoding : int64_t { kLegacy = 0, kV4 = 4 };

// One audit row as the encoding sees it (status_code at full width, so that a
// tampered out-of-range value cannot be truncated into a matching one).
struct AuditFields {
  AuditEncoding encoding = AuditEncoding::kV4;
  absl::string_view replica;
  int64_t seq = 0;
  int64_t time_micros = 0;
  absl::string_view request_id;
  absl::string_view consumer;
  absl::string_view provider;
  absl::string_view service;
  absl::string_view method;
  int64_t status_code = 0;
  int64_t latency_micros = 0;
  int64_t request_bytes = 0;
  int64_t response_bytes = 0;
  absl::string_view purpose;
  absl::string_view refusal;  // "" for a call the hub forwarded
  absl::string_view via;      // "" for a call from a direct member
  // v4 only (file comment).
  absl::string_view row_kind = "call";
  absl::string_view door = "grpc";
  absl::string_view refusal_kind;
  int64_t repeat = 1;
  absl::string_view subject_key_id;
  absl::string_view subjects;  // lowercase hex HMACs joined by ","
  int64_t visible_after_micros = 0;
};

// TransactionRecord::subjects as the encoding and the stores keep them.
std::string JoinSubjects(const std::vector<std::string>& subjects);

// A chain's newest row: seq 0 and ZeroAuditHash() while it is empty.
struct ChainHead {
  int64_t seq = 0;
  std::string hash;
};

// The canonical encoding of `fields` (see the file comment).
std::string EncodeAuditFields(const AuditFields& fields);

// The canonical encoding of one audit row (see the file comment): v4, as
// every row is written now, or as a hub before v4 wrote it.
std::string EncodeAuditRecord(absl::string_view replica, int64_t seq,
                              const TransactionRecord& record,
                              AuditEncoding encoding = AuditEncoding::kV4);

// SHA-256(prev_hash || encoding): the hash stored with a row whose encoding is
// `encoding` and whose predecessor's hash is `prev_hash`.
std::string AuditHash(absl::string_view prev_hash, absl::string_view encoding);

// The prev_hash of a chain's first row: 32 zero bytes.
std::string ZeroAuditHash();

// A row's leaf hash in its replica's Merkle tree (leaf index seq - 1):
// transparency::LeafHash (RFC 9162 2.1.1) of its encoding.
using AuditLeafHash = transparency::Hash;

// What a store appends for `record` as row `seq` of `replica` after a row
// whose hash is `prev_hash`: the row's chain hash and its leaf hash.
// INTERNAL only when SHA-256 fails (out of memory).
struct ChainedRow {
  std::string hash;
  AuditLeafHash leaf_hash;
};
absl::StatusOr<ChainedRow> ChainRecord(absl::string_view prev_hash, absl::string_view replica,
                                       int64_t seq, const TransactionRecord& record);

// Checks audit rows fed in (replica, seq) order, as every store's
// VerifyAuditChain reads them, one chain per replica. Not thread-safe.
class AuditChainChecker {
 public:
  // `database` names the store in messages.
  explicit AuditChainChecker(std::string database) : database_(std::move(database)) {}

  // The next row: `encoding` is its canonical encoding. DATA_LOSS naming the
  // row (replica, seq, id) and what is wrong when it breaks its chain.
  absl::Status Add(int64_t id, absl::string_view replica, int64_t seq,
                   absl::string_view encoding, absl::string_view stored_prev,
                   absl::string_view stored_hash);

  // `replica`'s chain must hold row `seq` with `hash` ("" replica: the only
  // chain); `source` names where the head is known from, in messages.
  void Expect(std::string replica, ChainHead head, std::string source);

  // After the last row: DATA_LOSS when an expected head is not in its
  // chain ("rows seq N..M missing at the end") or has another hash.
  absl::Status Finish();

  // DATA_LOSS for a row that cannot even be decoded.
  absl::Status Broken(int64_t id, absl::string_view replica, int64_t seq,
                      absl::string_view what) const;

  // "audit chain OK: <database>: N rows in M replica chain(s)" and a line per
  // replica with its row count and head hash, and a line per expected head.
  std::string Report() const;

 private:
  struct Expectation {
    std::string replica;
    ChainHead head;
    std::string source;
    bool seen = false;
  };
  std::string ChainLine() const;
  absl::Status CheckExpectations(absl::string_view replica, int64_t seq,
                                 absl::string_view hash);
  absl::Status FinishChain();

  std::vector<Expectation> expected_;
  std::string expectations_report_;
  const std::string database_;
  std::string summary_;  // lines of the finished chains
  std::string replica_;  // the chain being walked
  std::string prev_hash_ = ZeroAuditHash();
  int64_t rows_ = 0;
  int64_t expected_seq_ = 1;
  int64_t total_ = 0;
  int replicas_ = 0;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_AUDIT_CHAIN_H_
