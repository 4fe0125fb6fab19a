// Fuzzes the audit log's canonical encoding and its hash chain
// (gateway/recording/audit_chain.h), as the stores write rows and as `ndxpctl
// audit verify` reads them back. The input is a change to make (its first two
// bytes) and rows, one a line, their fields separated by tabs in the order of
// the encoding without seq (replica, time_micros, request_id, consumer,
// provider, service, method, status_code, latency_micros, request_bytes,
// response_bytes, purpose, refusal, via); seq is each replica's count.
//  - Every row's encoding decodes back, by the rules of the file comment
//    (as an auditor re-implements them), to exactly that row and nothing
//    more: two different rows never encode the same.
//  - The rows, chained and read in (replica, seq) order with each chain's
//    head expected (a checkpoint), verify; after any one change to what is
//    stored (a field of a row, its seq, its stored hash or prev_hash, a row
//    deleted, two rows' contents exchanged, a row edited and every later
//    hash of its chain recomputed), they do not.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gateway/recording/audit_chain.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using ndxp::fuzz::Check;
using ndxp::gateway::AuditChainChecker;
using ndxp::gateway::AuditFields;

// An audit row as a store holds it.
struct Row {
  std::string replica;
  int64_t seq = 0;
  int64_t time_micros = 0;
  std::string request_id, consumer, provider, service, method;
  int64_t status_code = 0, latency_micros = 0, request_bytes = 0, response_bytes = 0;
  std::string purpose, refusal, via;
  // v4's (kept at their defaults in a v1-v3 row, which does not encode them).
  bool v4 = false;
  std::string row_kind = "call", door = "grpc", refusal_kind;
  int64_t repeat = 1;
  std::string subject_key_id, subjects;
  int64_t visible_after_micros = 0;
  std::string prev_hash, hash;  // stored beside the fields

  auto Fields() const {
    return std::tie(replica, seq, time_micros, request_id, consumer, provider, service, method,
                    status_code, latency_micros, request_bytes, response_bytes, purpose,
                    refusal, via, v4, row_kind, door, refusal_kind, repeat, subject_key_id,
                    subjects, visible_after_micros);
  }
  // Every field but seq and the stored hashes, as references.
  auto Contents() {
    return std::tie(replica, time_micros, request_id, consumer, provider, service, method,
                    status_code, latency_micros, request_bytes, response_bytes, purpose,
                    refusal, via, v4, row_kind, door, refusal_kind, repeat, subject_key_id,
                    subjects, visible_after_micros);
  }
  // How many fields EditField may change: the encoding's fields but the tag,
  // and for v4 its encoding too.
  int editable_fields() const { return v4 ? 24 : 15; }
  AuditFields View() const {
    AuditFields f;
    f.encoding = v4 ? ndxp::gateway::AuditEncoding::kV4 : ndxp::gateway::AuditEncoding::kLegacy;
    f.replica = replica;
    f.seq = seq;
    f.time_micros = time_micros;
    f.request_id = request_id;
    f.consumer = consumer;
    f.provider = provider;
    f.service = service;
    f.method = method;
    f.status_code = status_code;
    f.latency_micros = latency_micros;
    f.request_bytes = request_bytes;
    f.response_bytes = response_bytes;
    f.purpose = purpose;
    f.refusal = refusal;
    f.via = via;
    f.row_kind = row_kind;
    f.door = door;
    f.refusal_kind = refusal_kind;
    f.repeat = repeat;
    f.subject_key_id = subject_key_id;
    f.subjects = subjects;
    f.visible_after_micros = visible_after_micros;
    return f;
  }
};

// The encoding read back as the file comment of audit_chain.h defines it.
class Decoder {
 public:
  explicit Decoder(absl::string_view bytes) : rest_(bytes) {}
  bool String(std::string* out) {
    uint64_t size = 0;
    if (!Number(4, &size) || rest_.size() < size) return false;
    *out = std::string(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return true;
  }
  bool Int(int64_t* out) {
    uint64_t bits = 0;
    if (!Number(8, &bits)) return false;
    *out = static_cast<int64_t>(bits);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  bool Number(size_t width, uint64_t* out) {
    if (rest_.size() < width) return false;
    for (size_t i = 0; i < width; ++i) *out = (*out << 8) | static_cast<uint8_t>(rest_[i]);
    rest_.remove_prefix(width);
    return true;
  }
  absl::string_view rest_;
};

bool Decode(absl::string_view encoding, Row* row) {
  Decoder in(encoding);
  std::string tag;
  if (!in.String(&tag) || (tag != "ndxp-audit-v1" && tag != "ndxp-audit-v2" &&
                           tag != "ndxp-audit-v3" && tag != "ndxp-audit-v4")) {
    return false;
  }
  row->v4 = tag == "ndxp-audit-v4";
  bool ok = in.String(&row->replica) && in.Int(&row->seq) && in.Int(&row->time_micros) &&
            in.String(&row->request_id) && in.String(&row->consumer) &&
            in.String(&row->provider) && in.String(&row->service) && in.String(&row->method) &&
            in.Int(&row->status_code) && in.Int(&row->latency_micros) &&
            in.Int(&row->request_bytes) && in.Int(&row->response_bytes) &&
            in.String(&row->purpose);
  // v2 is a refused call: its reason follows and is never empty.
  if (ok && tag == "ndxp-audit-v2") ok = in.String(&row->refusal) && !row->refusal.empty();
  // v3 came through a peer hub: the reason (empty when forwarded), then the
  // peer, never empty.
  if (ok && tag == "ndxp-audit-v3") {
    ok = in.String(&row->refusal) && in.String(&row->via) && !row->via.empty();
  }
  // v4: every field always present.
  if (ok && row->v4) {
    ok = in.String(&row->refusal) && in.String(&row->via) && in.String(&row->row_kind) &&
         in.String(&row->door) && in.String(&row->refusal_kind) && in.Int(&row->repeat) &&
         in.String(&row->subject_key_id) && in.String(&row->subjects) &&
         in.Int(&row->visible_after_micros);
  }
  return ok && in.done();
}

Row ParseRow(absl::string_view line) {
  std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
  f.resize(22);
  auto number = [](absl::string_view text) {
    int64_t value = 0;
    return absl::SimpleAtoi(text, &value) ? value : 0;
  };
  Row row;
  // The hub names an unnamed replica "hub-1"; an empty name would also mean
  // "the only chain" to AuditChainChecker::Expect.
  row.replica = f[0].empty() ? "hub-1" : std::string(f[0]);
  row.time_micros = number(f[1]);
  row.request_id = std::string(f[2]);
  row.consumer = std::string(f[3]);
  row.provider = std::string(f[4]);
  row.service = std::string(f[5]);
  row.method = std::string(f[6]);
  row.status_code = number(f[7]);
  row.latency_micros = number(f[8]);
  row.request_bytes = number(f[9]);
  row.response_bytes = number(f[10]);
  row.purpose = std::string(f[11]);
  row.refusal = std::string(f[12]);
  row.via = std::string(f[13]);
  // Field 14 "4": a v4 row, with its fields after. Otherwise a row as a hub
  // before v4 wrote it (and a v1-v3 encoding never starts with a v4 tag).
  row.v4 = f[14] == "4";
  if (row.v4) {
    row.row_kind = std::string(f[15]);
    row.door = std::string(f[16]);
    row.refusal_kind = std::string(f[17]);
    row.repeat = number(f[18]);
    row.subject_key_id = std::string(f[19]);
    row.subjects = std::string(f[20]);
    row.visible_after_micros = number(f[21]);
  }
  return row;
}

// Recomputes the stored hashes of `rows` (in chain order) from `from` on.
void Rehash(std::vector<Row>* rows, size_t from) {
  for (size_t i = from; i < rows->size(); ++i) {
    Row& row = (*rows)[i];
    row.prev_hash = i > 0 && (*rows)[i - 1].replica == row.replica ? (*rows)[i - 1].hash
                                                                    : ndxp::gateway::ZeroAuditHash();
    row.hash = ndxp::gateway::AuditHash(row.prev_hash,
                                        ndxp::gateway::EncodeAuditFields(row.View()));
  }
}

// Whether the stored rows verify against the heads a checkpoint saw.
bool Verifies(std::vector<Row> rows, const std::vector<Row>& heads) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.replica, a.seq) < std::tie(b.replica, b.seq);
  });
  AuditChainChecker checker("fuzz");
  for (const Row& head : heads) checker.Expect(head.replica, {head.seq, head.hash}, "checkpoint");
  int64_t id = 0;
  for (const Row& row : rows) {
    if (!checker.Add(++id, row.replica, row.seq, ndxp::gateway::EncodeAuditFields(row.View()),
                     row.prev_hash, row.hash)
             .ok()) {
      return false;
    }
  }
  return checker.Finish().ok();
}

// Changes one field of `row` (0..22, the encoding's order without the tag;
// 23: a v4 row made a v1-v3 one).
void EditField(Row* row, int field) {
  auto text = [](std::string* s) { s->push_back('x'); };
  auto number = [](int64_t* n) { *n ^= 1; };
  switch (field) {
    case 0: text(&row->replica); break;
    case 1: number(&row->seq); break;
    case 2: number(&row->time_micros); break;
    case 3: text(&row->request_id); break;
    case 4: text(&row->consumer); break;
    case 5: text(&row->provider); break;
    case 6: text(&row->service); break;
    case 7: text(&row->method); break;
    case 8: number(&row->status_code); break;
    case 9: number(&row->latency_micros); break;
    case 10: number(&row->request_bytes); break;
    case 11: number(&row->response_bytes); break;
    case 12: text(&row->purpose); break;
    case 13: text(&row->refusal); break;
    case 14: text(&row->via); break;
    case 15: text(&row->row_kind); break;
    case 16: text(&row->door); break;
    case 17: text(&row->refusal_kind); break;
    case 18: number(&row->repeat); break;
    case 19: text(&row->subject_key_id); break;
    case 20: text(&row->subjects); break;
    case 21: number(&row->visible_after_micros); break;
    default: row->v4 = false; break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t change = data[0];
  const uint8_t target = data[1];
  absl::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

  std::vector<Row> rows;  // in the order written: each replica's seq counts up
  absl::flat_hash_map<std::string, int64_t> last_seq;
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    Row row = ParseRow(line);
    row.seq = ++last_seq[row.replica];
    rows.push_back(std::move(row));
  }

  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string encoding = ndxp::gateway::EncodeAuditFields(rows[i].View());
    Row decoded;
    Check(Decode(encoding, &decoded));
    Check(decoded.Fields() == rows[i].Fields());
    if (i > 0 && rows[i - 1].Fields() != rows[i].Fields()) {
      Check(encoding != ndxp::gateway::EncodeAuditFields(rows[i - 1].View()));
    }
  }

  // Stored in chain order, each chain hashed; a checkpoint saw every head.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.replica, a.seq) < std::tie(b.replica, b.seq);
  });
  Rehash(&rows, 0);
  std::vector<Row> heads;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + 1 == rows.size() || rows[i + 1].replica != rows[i].replica) heads.push_back(rows[i]);
  }
  Check(Verifies(rows, heads));

  std::vector<Row> changed = rows;
  const size_t at = target % rows.size();
  const size_t other = (target / 7 + 1 + at) % rows.size();
  switch (change % 7) {
    case 0: EditField(&changed[at], target % changed[at].editable_fields()); break;
    case 1: changed[at].hash[target % ndxp::gateway::kAuditHashSize] ^= 1; break;
    case 2: changed[at].prev_hash[target % ndxp::gateway::kAuditHashSize] ^= 1; break;
    case 3: changed.erase(changed.begin() + static_cast<std::ptrdiff_t>(at)); break;
    case 4:  // the contents of two rows exchanged, seq and hashes in place
      if (changed[at].Fields() == changed[other].Fields() || at == other) return 0;
      {
        auto contents = changed[at].Contents();
        auto other_contents = changed[other].Contents();
        contents.swap(other_contents);  // swaps what the references name
      }
      if (changed[at].Fields() == rows[at].Fields()) return 0;  // identical but for seq
      break;
    case 5: {  // edited, and the rest of its chain rehashed to match
      // Neither replica nor seq: the chain stays in place.
      const int field = 2 + target % (changed[at].editable_fields() - 2);
      EditField(&changed[at], field);
      Rehash(&changed, at);
      break;
    }
    default: {  // a row rewritten with a seq already taken
      changed[at].seq = changed[other].seq;
      if (changed[at].seq == rows[at].seq) return 0;
      break;
    }
  }
  Check(!Verifies(changed, heads));
  return 0;
}
