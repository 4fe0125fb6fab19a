#include "gateway/recording/subject_access.h"

#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway {
namespace {

SubjectQuery AboutX() {
  SubjectQuery query;
  query.subjects = {{"k1", std::string(64, 'a')}};
  return query;
}

TEST(SubjectAccessTest, PageSizeDefaultsTo20AndIsCappedAt100) {
  SubjectQuery query = AboutX();
  absl::StatusOr<SubjectScan> scan = PrepareSubjectScan(query);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_EQ(scan->page_size, 20);
  EXPECT_EQ(scan->limit, 21);
  query.page_size = 1000;
  scan = PrepareSubjectScan(query);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_EQ(scan->page_size, 100);
  query.page_size = -1;
  EXPECT_EQ(PrepareSubjectScan(query).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SubjectAccessTest, APageTokenCarriesItsCursor) {
  const SubjectCursor cursor{-5, "hub 1|eu", 7};
  const std::string token = EncodePageToken(cursor);
  EXPECT_THAT(token, ::testing::Not(::testing::HasSubstr("hub")));
  absl::StatusOr<SubjectCursor> decoded = DecodePageToken(token);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->time_micros, -5);
  EXPECT_EQ(decoded->replica, "hub 1|eu");
  EXPECT_EQ(decoded->seq, 7);

  SubjectQuery query = AboutX();
  query.to_micros = 100;
  query.page_token = token;
  absl::StatusOr<SubjectScan> scan = PrepareSubjectScan(query);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_EQ(scan->below.replica, "hub 1|eu");
  // A cursor past the period's end does not widen the period.
  query.page_token = EncodePageToken({100, "hub-1", 3});
  scan = PrepareSubjectScan(query);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_EQ(scan->below.time_micros, 100);
  EXPECT_EQ(scan->below.replica, "");
  EXPECT_EQ(scan->below.seq, 0);
}

TEST(SubjectAccessTest, DeferredRowsCountOnlyWhenAsked) {
  SubjectQuery query = AboutX();
  query.visible_at_micros = 50;
  EXPECT_EQ(PrepareSubjectScan(query)->max_visible_after, 50);
  query.include_deferred = true;
  EXPECT_EQ(PrepareSubjectScan(query)->max_visible_after, std::numeric_limits<int64_t>::max());
}

TEST(SubjectAccessTest, APageOfMoreRowsThanItsSizeEndsInAToken) {
  SubjectQuery query = AboutX();
  query.page_size = 2;
  absl::StatusOr<SubjectScan> scan = PrepareSubjectScan(query);
  ASSERT_TRUE(scan.ok()) << scan.status();
  std::vector<SubjectAccess> rows(3);
  rows[1].time_micros = 9;
  rows[1].replica = "hub-2";
  rows[1].seq = 4;
  SubjectAccessPage page = MakeSubjectAccessPage(rows, *scan);
  EXPECT_EQ(page.accesses.size(), 2u);
  absl::StatusOr<SubjectCursor> next = DecodePageToken(page.next_page_token);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->time_micros, 9);
  EXPECT_EQ(next->replica, "hub-2");
  EXPECT_EQ(next->seq, 4);
  rows.resize(2);
  EXPECT_EQ(MakeSubjectAccessPage(rows, *scan).next_page_token, "");
}

}  // namespace
}  // namespace ndxp::gateway
