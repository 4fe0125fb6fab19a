#include "gateway/recording/audit_chain.h"
#include "gateway/recording/audit_receipt.h"

#include <openssl/sha.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "gateway/recording/test_records.h"

namespace ndxp::gateway {
namespace {

using testing::UtcMicros;
using ::testing::HasSubstr;

// The encoding a hub before v4 gave `r` (v1, v2 or v3 by its fields).
std::string Legacy(absl::string_view replica, int64_t seq, const TransactionRecord& r) {
  return EncodeAuditRecord(replica, seq, r, AuditEncoding::kLegacy);
}

TEST(AuditEncodingTest, LayoutIsPinned) {
  TransactionRecord r;
  r.status_code = -1;  // two's complement, widened to 8 bytes
  EXPECT_EQ(absl::BytesToHexString(Legacy("h", 1, r)),
            absl::StrCat("0000000d", absl::BytesToHexString("ndxp-audit-v1"),  // tag
                         "00000001", "68",                // replica "h"
                         "0000000000000001",              // seq
                         "0000000000000000",              // time_micros
                         "00000000", "00000000", "00000000", "00000000",
                         "00000000",                      // request_id..method
                         "ffffffffffffffff",              // status_code
                         "0000000000000000", "0000000000000000",
                         "0000000000000000",              // latency, request, response
                         "00000000"));                    // purpose
}

// The record of the golden vectors, every field set.
TransactionRecord GoldenRecord() {
  TransactionRecord r;
  r.time_micros = UtcMicros(2026, 6, 30, 23, 30, 0);
  r.request_id = "r-1";
  r.consumer = "000.00.00.G12/tax-lookup";
  r.provider = "000.00.00.H49";
  r.service = "ndxp.residents.v1.ResidentRegistry";
  r.method = "GetCitizen";
  r.status_code = 5;
  r.latency_micros = 1234;
  r.request_bytes = 10;
  r.response_bytes = 20;
  r.purpose = "thu\xe1\xba\xbf";  // "thuế": UTF-8 bytes as they are
  return r;
}

// Computed independently (Python hashlib/struct from the header's description);
// a change here breaks every auditor's re-implementation.
TEST(AuditEncodingTest, HashGoldenVectors) {
  const std::string encoding = Legacy("hub-1", 7, GoldenRecord());
  EXPECT_EQ(encoding.size(), 188u);

  std::string counting(kAuditHashSize, '\0');
  for (size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<char>(i);
  struct Case {
    std::string prev_hash;
    const char* want_hex;
  } cases[] = {
      {std::string(kAuditHashSize, '\0'),
       "89a5371361eddc38e66d31c38e3a4c2a728b1132df3affa34e8369fd8eec850c"},
      {counting, "a6a64f355bb59903ac83e0327ead93c4660038c192636c7a9ce28bece5f6ed53"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::BytesToHexString(c.prev_hash));
    EXPECT_EQ(absl::BytesToHexString(AuditHash(c.prev_hash, encoding)), c.want_hex);
  }
}

// A refused call's row: the v2 tag, and its reason as a 15th field.
// A chained row's leaf hash is RFC 9162's of its encoding.
TEST(AuditEncodingTest, AChainedRowsLeafHashIsOfItsEncoding) {
  const std::string encoding = EncodeAuditRecord("hub-1", 1, TransactionRecord());
  const absl::StatusOr<ChainedRow> row =
      ChainRecord(ZeroAuditHash(), "hub-1", 1, TransactionRecord());
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->hash, AuditHash(ZeroAuditHash(), encoding));
  std::string prefixed(1, '\0');
  prefixed += encoding;
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(prefixed.data()), prefixed.size(), digest);
  EXPECT_EQ(absl::string_view(reinterpret_cast<const char*>(row->leaf_hash.data()), 32),
            absl::string_view(reinterpret_cast<const char*>(digest), 32));
}

// The x-ndxp-receipt value: written and read back, from the right (a
// replica name may hold ':'), and what is not a receipt is refused naming why.
TEST(AuditReceiptTest, FormatsAndParses) {
  AppendedRow row{42, {}};
  row.leaf_hash[0] = 0xab;
  row.leaf_hash[31] = 0x01;
  const std::string value = FormatAuditReceipt("hub:1", row);
  EXPECT_EQ(value, "hub:1:41:ab" + std::string(60, '0') + "01");
  const absl::StatusOr<AuditReceipt> parsed = ParseAuditReceipt(value);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->replica, "hub:1");
  EXPECT_EQ(parsed->leaf_index, 41);
  EXPECT_EQ(parsed->leaf_hash, row.leaf_hash);
  const std::string hash(64, 'a');
  for (const auto& [bad, why] : std::vector<std::pair<std::string, std::string>>{
           {"hub-1", "expected <replica>"},
           {":41:" + hash, "expected <replica>"},
           {"hub-1:-1:" + hash, "leaf index"},
           {"hub-1:+1:" + hash, "leaf index"},
           {"hub-1::" + hash, "leaf index"},
           {"hub-1:1:" + std::string(63, 'a'), "64 lowercase hex"},
           {"hub-1:1:" + std::string(64, 'A'), "64 lowercase hex"},
       }) {
    const absl::StatusOr<AuditReceipt> refused = ParseAuditReceipt(bad);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(why)) << bad;
  }
}

TEST(AuditEncodingTest, ARefusedCallIsTaggedV2WithItsReason) {
  TransactionRecord r;
  r.refusal = "no";
  const std::string v1 = Legacy("h", 1, TransactionRecord());
  const std::string v2 = Legacy("h", 1, r);
  EXPECT_EQ(absl::BytesToHexString(v2),
            absl::StrCat("0000000d", absl::BytesToHexString("ndxp-audit-v2"),
                         absl::BytesToHexString(v1.substr(4 + 13)), "00000002", "6e6f"));
}

// A call that came through a peer hub: the v3 tag, then the refusal ("" for
// a forwarded call) and the peer as the 15th and 16th fields.
TEST(AuditEncodingTest, ACallThroughAPeerHubIsTaggedV3WithRefusalAndVia) {
  const std::string v1 = Legacy("h", 1, TransactionRecord());
  const std::string common = absl::BytesToHexString(v1.substr(4 + 13));
  TransactionRecord forwarded;
  forwarded.via = "p";
  EXPECT_EQ(absl::BytesToHexString(Legacy("h", 1, forwarded)),
            absl::StrCat("0000000d", absl::BytesToHexString("ndxp-audit-v3"), common,
                         "00000000", "00000001", "70"));
  TransactionRecord refused = forwarded;
  refused.refusal = "no";
  EXPECT_EQ(absl::BytesToHexString(Legacy("h", 1, refused)),
            absl::StrCat("0000000d", absl::BytesToHexString("ndxp-audit-v3"), common,
                         "00000002", "6e6f", "00000001", "70"));
}

// Computed independently, as HashGoldenVectors (whose record, a direct
// call's, keeps the hash it had before via was recorded).
TEST(AuditEncodingTest, ViaHashGoldenVectors) {
  TransactionRecord r = GoldenRecord();
  const std::string zero(kAuditHashSize, '\0');
  r.via = "000.00.00.H11/lgsp";
  EXPECT_EQ(Legacy("hub-1", 7, r).size(), 214u);
  EXPECT_EQ(absl::BytesToHexString(AuditHash(zero, Legacy("hub-1", 7, r))),
            "772286da3517b3e5a7ea0f676fe4214b37242667e31aeb6972a5e6b7f9a32bb0");
  r.refusal = "not granted";
  EXPECT_EQ(absl::BytesToHexString(AuditHash(zero, Legacy("hub-1", 7, r))),
            "92d18d1c76e3b85dc1e02f76e047ee2cc7b263fa4a6eb4d4c8d37b21527999da");
}

// Every row written now: v4, every field present (a default record's).
TEST(AuditEncodingTest, V4LayoutIsPinned) {
  TransactionRecord r;
  r.status_code = -1;
  const std::string v1 = Legacy("h", 1, r);
  EXPECT_EQ(absl::BytesToHexString(EncodeAuditRecord("h", 1, r)),
            absl::StrCat("0000000d", absl::BytesToHexString("ndxp-audit-v4"),
                         absl::BytesToHexString(v1.substr(4 + 13)),  // fields 2-14 as v1
                         "00000000", "00000000",                     // refusal, via
                         "00000004", absl::BytesToHexString("call"),  // row_kind
                         "00000004", absl::BytesToHexString("grpc"),  // door
                         "00000000",                                 // refusal_kind
                         "0000000000000001",                         // repeat
                         "00000000", "00000000",                     // subject key, subjects
                         "0000000000000000"));                       // visible_after
}

// Computed independently (Python struct/hashlib from the header's text).
TEST(AuditEncodingTest, V4HashGoldenVector) {
  TransactionRecord r = GoldenRecord();
  r.status_code = 7;
  r.refusal = "not granted";
  r.row_kind = RowKind::kRefusalSummary;
  r.door = Door::kConnect;
  r.refusal_kind = Refusal::kPermissionDenied;
  r.repeat = 42;
  r.subject_key_id = "k1";
  r.subjects = {std::string(64, 'a'), std::string(64, 'c')};
  for (size_t i = 0; i < 64; i += 2) r.subjects[0][i + 1] = 'b', r.subjects[1][i + 1] = 'd';
  r.visible_after_micros = 1767225600000000;
  const std::string encoding = EncodeAuditRecord("hub-1", 7, r);
  EXPECT_EQ(encoding.size(), 413u);
  EXPECT_EQ(absl::BytesToHexString(AuditHash(std::string(kAuditHashSize, '\0'), encoding)),
            "77f41cb6dff79b58cde567e912b248e3fcbc2dc1d1aaa58522d03c2febfb3665");
}

}  // namespace
}  // namespace ndxp::gateway
