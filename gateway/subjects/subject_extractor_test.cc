#include "gateway/subjects/subject_extractor.h"

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/json/test_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::subjects {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The wire form by hand, to write what no generated class would.
std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}
enum WireType { kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };
std::string Tag(int field_number, int wire_type) {
  return Varint(static_cast<uint64_t>(field_number) << 3 | static_cast<uint64_t>(wire_type));
}
std::string Len(int field_number, const std::string& bytes) {
  return absl::StrCat(Tag(field_number, kLen), Varint(bytes.size()), bytes);
}
std::string Group(int field_number, const std::string& fields) {
  return absl::StrCat(Tag(field_number, kStartGroup), fields, Tag(field_number, kEndGroup));
}
// One unknown field of each wire type, the group holding one of each and a
// nested group; numbers from 100 up (on no path).
std::vector<std::string> UnknownFieldList() {
  std::vector<std::string> fields = {
      Tag(100, kVarint) + Varint(UINT64_MAX), Tag(101, kFixed64) + std::string(8, '\xff'),
      Len(102, "not an id"), Tag(103, kFixed32) + std::string(4, '\x01')};
  const std::string plain = absl::StrJoin(fields, "");
  fields.push_back(Group(104, absl::StrCat(plain, Group(105, plain))));
  return fields;
}
std::string UnknownFields() { return absl::StrJoin(UnknownFieldList(), ""); }

// What a SubjectScan reports.
struct Scanned {
  ExtractStatus status;
  std::vector<std::string> values;
  bool operator==(const Scanned& other) const {
    return status == other.status && values == other.values;
  }
};
std::ostream& operator<<(std::ostream& out, const Scanned& scanned) {
  return out << static_cast<int>(scanned.status) << " ["
             << absl::StrJoin(scanned.values, ", ",
                              [](std::string* s, const std::string& v) {
                                absl::StrAppend(s, absl::CEscape(v));
                              })
             << "]";
}

// `message` fed in chunks cut at `cuts` (ascending), with an empty chunk
// before each.
Scanned ScanInChunks(const SubjectExtractor& extractor, absl::string_view message,
                     const std::vector<size_t>& cuts) {
  SubjectScan scan(extractor);
  size_t from = 0;
  for (size_t cut : cuts) {
    scan.Feed(message.substr(from, cut - from));
    scan.Feed(absl::string_view());
    from = cut;
  }
  scan.Feed(message.substr(from));
  SubjectIds ids = {"left over from the call before"};
  Scanned scanned{scan.Finish(&ids), {}};
  for (const std::string& id : ids) scanned.values.push_back(id);
  return scanned;
}

// Every way `message` can arrive gives what it gives whole: in two chunks
// cut at each offset, and byte by byte.
void ExpectSameInEveryChunking(const SubjectExtractor& extractor, absl::string_view message,
                               const Scanned& whole) {
  for (size_t cut = 0; cut <= message.size(); ++cut) {
    const Scanned split = ScanInChunks(extractor, message, {cut});
    if (split == whole) continue;
    ADD_FAILURE() << "cut at " << cut << " of " << absl::CEscape(message) << ": " << split
                  << ", whole: " << whole;
    break;
  }
  std::vector<size_t> every_byte;
  for (size_t cut = 1; cut < message.size(); ++cut) every_byte.push_back(cut);
  EXPECT_EQ(ScanInChunks(extractor, message, every_byte), whole)
      << "byte by byte: " << absl::CEscape(message);
}

// Copies `message` to the heap at its exact size, so that a read past its end
// is one past an allocation (AddressSanitizer reports it). Every case is a
// SubjectScan's too: Extract's values are what it reports fed whole, and in
// any chunking.
std::vector<std::string> Extract(const SubjectExtractor& extractor, const std::string& message,
                                 ExtractStatus expected = ExtractStatus::kOk) {
  const std::unique_ptr<char[]> copy(new char[message.size() + 1]);
  std::copy(message.begin(), message.end(), copy.get());
  const absl::string_view bytes(copy.get(), message.size());
  SubjectValues values = {"left over from the call before"};
  const ExtractStatus status = extractor.Extract(bytes, &values);
  EXPECT_EQ(status, expected);
  std::vector<std::string> found;
  for (absl::string_view value : values) {
    EXPECT_TRUE(value.data() >= copy.get() && value.data() + value.size() <= copy.get() + message.size())
        << "not a view into the message";
    found.emplace_back(value);
  }
  const Scanned whole = ScanInChunks(extractor, bytes, {});
  EXPECT_EQ(whole, (Scanned{status, found}));
  ExpectSameInEveryChunking(extractor, bytes, whole);
  return found;
}

TEST(SubjectExtractorTest, TopLevelStringsInWireOrder) {
  const SubjectExtractor extractor({{6}, {7}});
  EXPECT_THAT(Extract(extractor, absl::StrCat(Len(1, "request-1"), Len(7, "mother"),
                                              Len(2, "name"), Len(6, "father"))),
              ElementsAre("mother", "father"));
  EXPECT_THAT(Extract(extractor, ""), IsEmpty());
  EXPECT_THAT(Extract(extractor, Len(1, "no subject")), IsEmpty());
}

TEST(SubjectExtractorTest, RepeatedAndNestedValuesAllCount) {
  const SubjectExtractor extractor({{3, 1}, {4, 1}, {5}});
  const std::string party_a = absl::StrCat(Len(1, "A"), Len(3, "name a"));
  const std::string party_b = Len(1, "B");
  const std::string company = Len(2, "0101234567");  // enterprise_code: not on a path
  EXPECT_THAT(Extract(extractor, absl::StrCat(Len(3, party_a), Len(4, party_b), Len(3, company),
                                              Len(5, "x"), Len(5, "y"), Len(3, party_b))),
              ElementsAre("A", "B", "x", "y", "B"));
}

TEST(SubjectExtractorTest, EveryOccurrenceOfASingularMessageCounts) {
  // Protobuf merges the occurrences; a parser keeps the last string, but
  // which one it reads is the connector's, so all are reported.
  const SubjectExtractor extractor({{2, 1}});
  EXPECT_THAT(Extract(extractor, absl::StrCat(Len(2, Len(1, "first")), Len(2, Len(1, "second")),
                                              Len(2, absl::StrCat(Len(1, "third"), Len(1, "fourth"))))),
              ElementsAre("first", "second", "third", "fourth"));
}

TEST(SubjectExtractorTest, UnknownFieldsOfEveryWireTypeAreSkipped) {
  const SubjectExtractor extractor({{1}, {2, 1}});
  const std::string nested = absl::StrCat(UnknownFields(), Len(1, "nested"), UnknownFields());
  EXPECT_THAT(Extract(extractor, absl::StrCat(UnknownFields(), Len(1, "top"), UnknownFields(),
                                              Len(2, nested), UnknownFields())),
              ElementsAre("top", "nested"));
}

TEST(SubjectExtractorTest, AMarkedFieldInsideAnUnknownGroupIsNotRead) {
  // Field 1 inside group 9 belongs to the group, not to the request.
  const SubjectExtractor extractor({{1}});
  EXPECT_THAT(Extract(extractor, Group(9, Len(1, "inside"))), IsEmpty());
}

TEST(SubjectExtractorTest, MalformedGroups) {
  const SubjectExtractor extractor({{1}});
  const std::string value = Len(1, "001090001234");
  for (const std::string& bad : {
           Tag(9, kStartGroup),                                   // never ends
           absl::StrCat(Tag(9, kStartGroup), Tag(8, kEndGroup)),  // another number ends it
           Tag(9, kEndGroup),                                     // ends what did not start
           absl::StrCat(Group(9, Tag(10, kStartGroup))),          // nested one never ends
       }) {
    EXPECT_THAT(Extract(extractor, absl::StrCat(value, bad), ExtractStatus::kMalformed), IsEmpty());
  }
}

TEST(SubjectExtractorTest, GroupsNestDeepAsProtobufAllows) {
  const SubjectExtractor extractor({{1}});
  std::string groups;
  for (int i = 0; i < kMaxGroupDepth; ++i) groups = Group(9, groups);
  EXPECT_THAT(Extract(extractor, absl::StrCat(Len(1, "id"), groups)), ElementsAre("id"));
  EXPECT_THAT(Extract(extractor, absl::StrCat(Len(1, "id"), Group(9, groups)),
                      ExtractStatus::kMalformed),
              IsEmpty());
}

TEST(SubjectExtractorTest, BadTagsAndWireTypes) {
  const SubjectExtractor extractor({{1}});
  const std::string value = Len(1, "001090001234");
  for (const std::string& bad : {
           std::string(1, '\0'),                         // tag 0
           Tag(0, kLen) + Varint(0),                     // field number 0
           Tag(9, 6), Tag(9, 7),                         // no such wire types
           Tag(9, kVarint) + std::string(10, '\x80') + '\x01',  // an 11-byte varint
           std::string(6, '\xff'),                       // a tag longer than 5 bytes, unended
       }) {
    EXPECT_THAT(Extract(extractor, absl::StrCat(value, bad), ExtractStatus::kMalformed), IsEmpty())
        << absl::CEscape(bad);
  }
}

TEST(SubjectExtractorTest, AnotherWireTypeOnAPathIsMalformed) {
  const SubjectExtractor extractor({{1}, {2, 1}});
  for (const std::string& bad : {
           Tag(1, kVarint) + Varint(1234),
           Tag(1, kFixed32) + std::string(4, '1'),
           Tag(1, kFixed64) + std::string(8, '1'),
           Group(1, ""),
           Tag(2, kVarint) + Varint(1),          // a message expected
           Len(2, Tag(1, kVarint) + Varint(1)),  // the string in it as a varint
           Group(2, Len(1, "in a group")),
       }) {
    EXPECT_THAT(Extract(extractor, absl::StrCat(Len(1, "ok"), bad), ExtractStatus::kMalformed),
                IsEmpty())
        << absl::CEscape(bad);
  }
}

TEST(SubjectExtractorTest, ALengthDelimitedFieldOnAPathIsLookedIntoAsAMessage) {
  // Whatever made it (a packed encoding, bytes): parsed as the message.
  const SubjectExtractor extractor({{2, 1}});
  EXPECT_THAT(Extract(extractor, Len(2, Len(1, "id"))), ElementsAre("id"));
  EXPECT_THAT(Extract(extractor, Len(2, Tag(3, kVarint) + Varint(5))), IsEmpty());
  EXPECT_THAT(Extract(extractor, Len(2, "\xff"), ExtractStatus::kMalformed), IsEmpty());
}

TEST(SubjectExtractorTest, LengthsBeyondTheMessage) {
  const SubjectExtractor extractor({{1}, {2, 1}});
  for (const std::string& bad : {
           Tag(1, kLen) + Varint(5) + "1234",                            // one short
           Tag(9, kLen) + Varint(5) + "1234",                            // unknown, one short
           Tag(1, kLen) + Varint(uint64_t{1} << 32 | 2) + "ab",          // low 32 bits fit
           Tag(9, kLen) + Varint(uint64_t{1} << 32 | 2) + "ab",
           Tag(1, kLen) + Varint(uint64_t{1} << 31),                     // over 2 GiB
           Len(2, Tag(1, kLen) + Varint(3) + "ab") + Len(9, "c"),  // beyond the nested message
       }) {
    EXPECT_THAT(Extract(extractor, bad, ExtractStatus::kMalformed), IsEmpty())
        << absl::CEscape(bad);
  }
}

TEST(SubjectExtractorTest, TruncatedAtEveryByte) {
  const SubjectExtractor extractor({{1}, {2, 1}});
  // The message's fields: a cut between two is a message with fewer fields.
  std::vector<std::string> fields = UnknownFieldList();
  fields.insert(fields.begin(), Len(1, "001090001234"));
  fields.push_back(Len(2, absl::StrCat(Len(3, "name"), Len(1, "079190000001"), UnknownFields())));
  fields.push_back(Len(1, "012345678"));
  std::string message;
  std::set<size_t> field_ends = {0};
  for (const std::string& field : fields) {
    message += field;
    field_ends.insert(message.size());
  }
  EXPECT_THAT(Extract(extractor, message),
              ElementsAre("001090001234", "079190000001", "012345678"));
  for (size_t size = 0; size < message.size(); ++size) {
    SCOPED_TRACE(size);
    // Cut anywhere else it is malformed, with no subjects.
    const bool whole_fields = field_ends.count(size) > 0;
    const std::vector<std::string> found = Extract(
        extractor, message.substr(0, size),
        whole_fields ? ExtractStatus::kOk : ExtractStatus::kMalformed);
    if (!whole_fields) {
      EXPECT_THAT(found, IsEmpty());
    }
  }
}

TEST(SubjectExtractorTest, AtMostSixteenSubjects) {
  const SubjectExtractor extractor({{1}});
  std::string sixteen;
  for (size_t i = 0; i < kMaxSubjects; ++i) sixteen += Len(1, absl::StrCat(i));
  EXPECT_EQ(Extract(extractor, sixteen).size(), kMaxSubjects);
  const std::vector<std::string> found =
      Extract(extractor, sixteen + Len(1, "one more"), ExtractStatus::kTooManySubjects);
  EXPECT_EQ(found.size(), kMaxSubjects);
  EXPECT_EQ(found.back(), absl::StrCat(kMaxSubjects - 1));
}

TEST(SubjectExtractorTest, TheSubjectPastTheLimitCountsOnceItsMessagesAreWhole) {
  // Extract stops at the 17th subject once the request holds the bytes of
  // the messages around it: cut before their end it is malformed.
  const SubjectExtractor extractor({{1}, {2, 1}});
  std::string sixteen;
  for (size_t i = 0; i < kMaxSubjects; ++i) sixteen += Len(1, absl::StrCat(i));
  const std::string around = Len(2, absl::StrCat(Len(1, "17th"), Len(9, "after it"), "\xff"));
  EXPECT_EQ(Extract(extractor, sixteen + around, ExtractStatus::kTooManySubjects).size(),
            kMaxSubjects);
  for (size_t size = sixteen.size() + 1; size < sixteen.size() + around.size(); ++size) {
    SCOPED_TRACE(size);
    EXPECT_THAT(Extract(extractor, (sixteen + around).substr(0, size), ExtractStatus::kMalformed),
                IsEmpty());
  }
}

TEST(SubjectExtractorTest, FieldsRunningPastTheirNestedMessageAreMalformed) {
  const SubjectExtractor extractor({{2, 2, 1}});
  const std::string after = Len(9, "12345678");  // bytes the field could run into
  for (const std::string& nested : {
           Tag(1, kLen) + Varint(3) + "ab",           // the marked string
           Len(2, Tag(1, kLen) + Varint(2) + "a"),     // in a message two deep
           Tag(2, kLen) + Varint(5) + Len(1, "a"),     // a message on the path
           Tag(9, kFixed32) + "ab", Tag(9, kFixed64) + "abcd",
           Tag(9, kVarint) + "\x80", Tag(9, kStartGroup),
           std::string("\x88"),  // a tag
       }) {
    EXPECT_THAT(Extract(extractor, absl::StrCat(Len(2, nested), after), ExtractStatus::kMalformed),
                IsEmpty())
        << absl::CEscape(nested);
  }
}

TEST(SubjectExtractorTest, AValueLongerThanTheCapIsReportedEmpty) {
  const SubjectExtractor extractor({{1}, {2, 1}});
  const std::string longest(kMaxSubjectValueBytes, '7');
  // An ID padded with whitespace (allowed in one) past the cap: an invalid
  // ID, to refuse, not a request naming nobody.
  const std::string padded = "001090001234" + std::string(kMaxSubjectValueBytes, ' ');
  EXPECT_THAT(Extract(extractor, absl::StrCat(Len(1, longest), Len(2, Len(1, padded)),
                                              Len(1, "001090001234"))),
              ElementsAre(longest, "", "001090001234"));

  // 4 MiB of it in 16 KiB frames: the scan holds none of it.
  static_assert(sizeof(SubjectScan) < 2048, "a scan's state is bounded");
  const std::string huge = Len(1, std::string(4 << 20, ' '));
  SubjectScan scan(extractor);
  for (size_t at = 0; at < huge.size(); at += 16384) scan.Feed(absl::string_view(huge).substr(at, 16384));
  SubjectIds ids;
  EXPECT_EQ(scan.Finish(&ids), ExtractStatus::kOk);
  EXPECT_THAT(ids, ElementsAre(""));
}

TEST(SubjectExtractorTest, AMessageOver2GiBIsMalformed) {
  // Two unknown fields of 1 GiB each, fed in 1 MiB chunks (none held): the
  // message is 2^31-1 bytes (CodedInputStream's limit) or one more.
  const SubjectExtractor extractor({{1}});
  const std::string zeros(1 << 20, '\0');
  const auto scan_of_size = [&](uint64_t size) {
    SubjectScan scan(extractor);
    const uint64_t first = uint64_t{1} << 30;
    for (const uint64_t length : {first, size - first - 12}) {
      scan.Feed(Tag(9, kLen) + Varint(length));
      for (uint64_t left = length; left > 0; left -= std::min<uint64_t>(left, zeros.size())) {
        scan.Feed(absl::string_view(zeros).substr(0, std::min<uint64_t>(left, zeros.size())));
      }
    }
    SubjectIds ids;
    return scan.Finish(&ids);
  };
  EXPECT_EQ(scan_of_size(INT32_MAX), ExtractStatus::kOk);
  EXPECT_EQ(scan_of_size(uint64_t{INT32_MAX} + 1), ExtractStatus::kMalformed);
}

TEST(SubjectExtractorTest, AScanWithoutPathsReadsNothing) {
  SubjectScan scan(SubjectExtractor({}));
  scan.Feed("\xff\xff");  // not a message: not looked at
  SubjectIds ids = {"left over"};
  EXPECT_EQ(scan.Finish(&ids), ExtractStatus::kOk);
  EXPECT_THAT(ids, IsEmpty());
}

TEST(SubjectExtractorTest, PathsEightDeepAreFollowedLongerOnesLeftOut) {
  const FieldPath eight = {2, 2, 2, 2, 2, 2, 2, 1};
  std::string message = Len(1, "deep");
  for (int i = 0; i < 7; ++i) message = Len(2, message);
  EXPECT_THAT(Extract(SubjectExtractor({eight}), message), ElementsAre("deep"));
  const SubjectExtractor nine({{2, 2, 2, 2, 2, 2, 2, 2, 1}});
  EXPECT_TRUE(nine.empty());
  EXPECT_THAT(Extract(nine, Len(2, message)), IsEmpty());
}

TEST(SubjectExtractorTest, InvalidAndConflictingPathsAreLeftOut) {
  EXPECT_TRUE(SubjectExtractor({{}, {0}, {1 << 29}, {-1, 1}}).empty());
  // Field 1 is a string for the first path, a message for the second: the
  // second is left out.
  const SubjectExtractor extractor({{1}, {1, 2}, {3}});
  EXPECT_THAT(Extract(extractor, absl::StrCat(Len(1, Len(2, "x")), Len(3, "y"))),
              ElementsAre(Len(2, "x"), "y"));
  const SubjectExtractor reverse({{1, 2}, {1}});
  EXPECT_THAT(Extract(reverse, Len(1, Len(2, "x"))), ElementsAre("x"));
}

// The routed services' pool as the hub loads it, and a request as a caller
// (or the JSON door) serializes it.
TEST(SubjectExtractorTest, ALandTransferRequestFromTheServicesDescriptors) {
  const std::unique_ptr<google::protobuf::DescriptorPool> pool = json::LoadTestPool();
  ASSERT_NE(pool, nullptr) << NDXP_DESCRIPTOR_SET;
  const auto* request =
      pool->FindMessageTypeByName("ndxp.land.v1.AssessTransferObligationsRequest");
  ASSERT_NE(request, nullptr);
  google::protobuf::DynamicMessageFactory factory(pool.get());
  std::unique_ptr<google::protobuf::Message> message(factory.GetPrototype(request)->New());
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"(
      certificate_serial: "CS 123456"
      parcel { number { commune_code: "00004" map_sheet: 12 parcel_number: 345 } }
      transferors { personal_id: "001090001234" name: "Nguyễn Văn A" }
      transferors { enterprise_code: "0101234567" }
      transferees { personal_id: "079190000001" }
      transferees { personal_id: "001185000002" }
      declared_price_vnd: 1500000000
  )", message.get()));
  const SubjectExtractor extractor = SubjectExtractor::ForRequest(*request);
  EXPECT_FALSE(extractor.incomplete());
  EXPECT_THAT(Extract(extractor, message->SerializeAsString()),
              ElementsAre("001090001234", "079190000001", "001185000002"));
}

}  // namespace
}  // namespace ndxp::gateway::subjects
