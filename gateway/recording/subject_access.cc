#include "gateway/recording/subject_access.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ndxp::gateway {
namespace {

// The token's plain form: version, time, seq, replica (last: it is free
// text), separated by newlines, which a replica name does not hold.
constexpr char kTokenVersion[] = "c1";

bool IsLowercaseHexHmac(absl::string_view hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string EncodePageToken(const SubjectCursor& cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenVersion, "\n", cursor.time_micros, "\n",
                                                cursor.seq, "\n", cursor.replica));
}

absl::StatusOr<SubjectCursor> DecodePageToken(absl::string_view token) {
  const absl::Status malformed =
      absl::InvalidArgumentError("subject query: malformed page token");
  std::string plain;
  if (!absl::WebSafeBase64Unescape(token, &plain)) return malformed;
  const std::vector<absl::string_view> parts = absl::StrSplit(plain, absl::MaxSplits('\n', 3));
  SubjectCursor cursor;
  if (parts.size() != 4 || parts[0] != kTokenVersion ||
      !absl::SimpleAtoi(parts[1], &cursor.time_micros) ||
      !absl::SimpleAtoi(parts[2], &cursor.seq) || cursor.seq < 1 || parts[3].empty() ||
      absl::StrContains(parts[3], '\n')) {
    return malformed;
  }
  cursor.replica = std::string(parts[3]);
  return cursor;
}

absl::StatusOr<SubjectScan> PrepareSubjectScan(const SubjectQuery& query) {
  if (query.subjects.empty() || query.subjects.size() > kMaxSubjectKeysPerQuery) {
    return absl::InvalidArgumentError(absl::StrCat("subject query: between 1 and ",
                                                   kMaxSubjectKeysPerQuery,
                                                   " subject HMACs, one per key; got ",
                                                   query.subjects.size()));
  }
  absl::flat_hash_set<absl::string_view> key_ids;
  for (const SubjectHmac& subject : query.subjects) {
    if (subject.key_id.empty()) {
      return absl::InvalidArgumentError("subject query: a subject HMAC has no key id");
    }
    if (!key_ids.insert(subject.key_id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("subject query: two HMACs under key ", subject.key_id));
    }
    // Never echoed: it identifies a person.
    if (!IsLowercaseHexHmac(subject.hmac_hex)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "subject query: the HMAC under key ", subject.key_id,
          " is not 64 lowercase hex digits"));
    }
  }
  if (query.to_micros < query.from_micros) {
    return absl::InvalidArgumentError("subject query: the period ends before it begins");
  }
  if (query.page_size < 0) {
    return absl::InvalidArgumentError("subject query: negative page size");
  }
  SubjectScan scan;
  scan.subjects = query.subjects;
  scan.from_micros = query.from_micros;
  // (to, "", 0) sorts below every row at `to`: the period's end as a cursor.
  scan.below = {query.to_micros, "", 0};
  if (!query.page_token.empty()) {
    absl::StatusOr<SubjectCursor> cursor = DecodePageToken(query.page_token);
    if (!cursor.ok()) return cursor.status();
    if (cursor->time_micros < query.to_micros) scan.below = *std::move(cursor);
  }
  scan.max_visible_after = query.include_deferred ? std::numeric_limits<int64_t>::max()
                                                  : query.visible_at_micros;
  scan.page_size = query.page_size == 0 ? kDefaultSubjectPageSize
                                        : std::min(query.page_size, kMaxSubjectPageSize);
  scan.limit = scan.page_size + 1;
  return scan;
}

SubjectAccessPage MakeSubjectAccessPage(std::vector<SubjectAccess> rows,
                                        const SubjectScan& scan) {
  SubjectAccessPage page;
  if (rows.size() > static_cast<size_t>(scan.page_size)) {
    rows.resize(scan.page_size);
    const SubjectAccess& last = rows.back();
    page.next_page_token = EncodePageToken({last.time_micros, last.replica, last.seq});
  }
  page.accesses = std::move(rows);
  return page;
}

}  // namespace ndxp::gateway
