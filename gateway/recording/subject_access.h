// Which calls were about one data subject (the issue "Citizens see who used
// their data"): the query both TransactionStores answer from their subject
// index, and the page token that continues it.
//
// A subject is the HMAC-SHA256 of a normalised personal ID under a subject
// key only the hubs hold (gateway/subjects/subject_keys.h), in lowercase hex
// as TransactionRecord::subjects and the audit rows keep it. Keys rotate, so
// a query names the subject once per key the hub holds: rows written under an
// old key stay listed.
#ifndef NDXP_GATEWAY_RECORDING_SUBJECT_ACCESS_H_
#define NDXP_GATEWAY_RECORDING_SUBJECT_ACCESS_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway {

inline constexpr int kDefaultSubjectPageSize = 20;
inline constexpr int kMaxSubjectPageSize = 100;
// More keys than a hub keeps across rotations: bounds the query's size.
inline constexpr size_t kMaxSubjectKeysPerQuery = 16;

// The subject under one key.
struct SubjectHmac {
  std::string key_id;
  std::string hmac_hex;  // 64 lowercase hex digits, as audit rows keep it
};

struct SubjectQuery {
  // The subject under each key the hub holds, at most one per key id.
  std::vector<SubjectHmac> subjects;
  // The period [from, to) of the calls' time, Unix microseconds.
  int64_t from_micros = 0;
  int64_t to_micros = std::numeric_limits<int64_t>::max();
  // Rows with visible_after later than this are left out, unless
  // include_deferred (an operator's view, not the citizen's).
  int64_t visible_at_micros = 0;
  bool include_deferred = false;
  // 0: kDefaultSubjectPageSize; larger than kMaxSubjectPageSize: that.
  int page_size = 0;
  // "" for the first page, else the previous page's next_page_token.
  std::string page_token;
};

// One audit row about the subject, as the store keeps it.
struct SubjectAccess {
  int64_t time_micros = 0;
  std::string consumer;
  std::string via;
  std::string door;  // DoorName
  std::string provider;
  std::string service;
  std::string method;
  std::string purpose;
  int64_t status_code = 0;
  std::string replica;
  int64_t seq = 0;
  std::string request_id;
  int64_t visible_after_micros = 0;
};

struct SubjectAccessPage {
  std::vector<SubjectAccess> accesses;  // newest first
  std::string next_page_token;          // "" on the last page
};

// Where a page ends: rows sort newest first by (time_micros, replica, seq),
// which is unique, so the next page starts strictly below the last row
// shown. Rows appended meanwhile are newer (or sort below the cursor, and
// show on a later page): none is repeated or skipped.
struct SubjectCursor {
  int64_t time_micros = 0;
  std::string replica;
  int64_t seq = 0;
};

// A query checked and ready for a store: rows strictly below `below` (the
// page token's cursor, or the period's end), at or after from_micros, with
// visible_after at most max_visible_after, `limit` = page size + 1 of them
// (the extra row tells whether there is a next page).
struct SubjectScan {
  std::vector<SubjectHmac> subjects;
  int64_t from_micros = 0;
  SubjectCursor below;
  int64_t max_visible_after = 0;
  int page_size = 0;
  int64_t limit = 0;
};

// INVALID_ARGUMENT for no subject, too many, two of one key id, an empty key
// id, an HMAC that is not 64 lowercase hex digits, a negative page size, a
// period that ends before it begins or a malformed page token.
absl::StatusOr<SubjectScan> PrepareSubjectScan(const SubjectQuery& query);

// Opaque to callers (unpadded base64url); DecodePageToken checks its form.
std::string EncodePageToken(const SubjectCursor& cursor);
absl::StatusOr<SubjectCursor> DecodePageToken(absl::string_view token);

// The page of `rows` (up to scan.limit of them, newest first): the first
// page_size, and a token to continue when there were more.
SubjectAccessPage MakeSubjectAccessPage(std::vector<SubjectAccess> rows, const SubjectScan& scan);

// Both stores keep a subject index beside audit_log, audit_subjects(subject,
// key_id, time_micros, replica, seq) (the primary key, in that order): a row
// per subject of an audit row, so that one subject's rows are found newest
// first without reading anyone else's. `subject` is the lowercase hex the
// audit row holds (one form everywhere, compared as text), beside the key id
// it means something under. Written in the same transaction as the audit
// rows, and only for rows that have subjects (refusal summaries have none).
//
// The page of a SubjectScan, in both stores: parameters $1 from_micros, $2 $3
// $4 the cursor below which rows are, $5 max_visible_after, $6 limit; the
// store puts the (subject, key_id) pairs in $SUBJECTS. Selects a
// SubjectAccess's fields in their order.
inline constexpr char kSelectSubjectAccesses[] =
    "SELECT a.time_micros, a.consumer, a.via, a.door, a.provider, a.service, a.method, "
    "a.purpose, a.status_code, a.replica, a.seq, a.request_id, a.visible_after "
    "FROM audit_subjects s JOIN audit_log a ON a.replica = s.replica AND a.seq = s.seq "
    "WHERE (s.subject, s.key_id) IN ($SUBJECTS) AND s.time_micros >= $1 "
    "AND (s.time_micros, s.replica, s.seq) < ($2, $3, $4) AND a.visible_after <= $5 "
    "ORDER BY s.time_micros DESC, s.replica DESC, s.seq DESC LIMIT $6";

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_SUBJECT_ACCESS_H_
