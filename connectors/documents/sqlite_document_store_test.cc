// SqliteDocumentStore against a real SQLite file in a temporary directory.
#include "connectors/documents/sqlite_document_store.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "connectors/documents/document_validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::documents {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr char kHanoi[] = "000.00.00.H26";
constexpr char kResidents[] = "000.00.00.G04";
constexpr char kInsurance[] = "000.00.00.G22";
const absl::Time kSent = absl::FromUnixSeconds(1735689600);  // 2025-01-01T00:00:00Z

v1::SendDocumentRequest Document(const std::string& message_id, const std::string& from,
                                 const std::vector<std::string>& to) {
  v1::SendDocumentRequest request;
  request.set_message_id(message_id);
  v1::Envelope* envelope = request.mutable_envelope();
  envelope->set_from_agency(from);
  for (const std::string& agency : to) envelope->add_to_agencies(agency);
  envelope->set_code_number("123");
  envelope->set_code_notation("QĐ-UBND");
  envelope->set_promulgation_place("Hà Nội");
  envelope->set_promulgation_date("2024-12-31");
  envelope->set_document_type(v1::DOCUMENT_TYPE_DECISION);
  envelope->set_subject(absl::StrCat("Subject of ", message_id));
  envelope->mutable_signer()->set_full_name("Trần Sỹ Thanh");
  envelope->mutable_signer()->set_position("Chủ tịch");
  v1::Attachment* attachment = envelope->add_attachments();
  attachment->set_file_name("a.pdf");
  attachment->set_content_type("application/pdf");
  attachment->set_content(std::string("%PDF-\0binary", 12));
  attachment->set_size_bytes(12);
  return request;
}

class SqliteDocumentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<SqliteDocumentStore>> store =
        SqliteDocumentStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  v1::SendDocumentResponse Send(const v1::SendDocumentRequest& request) {
    absl::StatusOr<v1::SendDocumentResponse> sent = store_->SendDocument(request, kSent);
    EXPECT_TRUE(sent.ok()) << sent.status();
    return sent.value_or(v1::SendDocumentResponse());
  }

  std::vector<v1::InboxItem> Inbox(const std::string& agency, int64_t after = 0,
                                   int limit = 100) {
    absl::StatusOr<std::vector<v1::InboxItem>> items = store_->ReadInbox(agency, after, limit);
    EXPECT_TRUE(items.ok()) << items.status();
    return items.value_or(std::vector<v1::InboxItem>());
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.path() + "/documents.db";
  std::unique_ptr<SqliteDocumentStore> store_;
};

TEST_F(SqliteDocumentStoreTest, SendCreatesAnArrivedDeliveryPerRecipient) {
  v1::SendDocumentResponse sent = Send(Document("m1", kHanoi, {kResidents, kInsurance}));
  EXPECT_EQ(sent.document_id(), "DOC-000000000001");
  ASSERT_EQ(sent.deliveries_size(), 2);
  EXPECT_EQ(sent.deliveries(0).recipient(), kResidents);
  EXPECT_EQ(sent.deliveries(1).recipient(), kInsurance);
  for (const v1::Delivery& delivery : sent.deliveries()) {
    EXPECT_EQ(delivery.status(), v1::DELIVERY_STATUS_ARRIVED);
    ASSERT_EQ(delivery.history_size(), 1);
    EXPECT_EQ(delivery.history(0).status(), v1::DELIVERY_STATUS_ARRIVED);
    EXPECT_EQ(delivery.history(0).time().seconds(), absl::ToUnixSeconds(kSent));
  }
}

TEST_F(SqliteDocumentStoreTest, InboxesHoldTheirDocumentsInCursorOrder) {
  const v1::SendDocumentRequest first = Document("m1", kHanoi, {kResidents, kInsurance});
  Send(first);
  Send(Document("m2", kHanoi, {kInsurance}));
  Send(Document("m3", kResidents, {kInsurance}));

  std::vector<v1::InboxItem> insurance = Inbox(kInsurance);
  ASSERT_EQ(insurance.size(), 3u);
  std::vector<std::string> subjects;
  for (size_t i = 0; i < insurance.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(insurance[i].cursor(), insurance[i - 1].cursor());
    }
    ASSERT_TRUE(insurance[i].has_document());
    subjects.push_back(insurance[i].document().envelope().subject());
  }
  EXPECT_EQ(subjects, (std::vector<std::string>{"Subject of m1", "Subject of m2",
                                                "Subject of m3"}));
  // The envelope comes back exactly as sent, binary content included.
  EXPECT_TRUE(MessageDifferencer::Equals(insurance[0].document().envelope(), first.envelope()));
  EXPECT_EQ(insurance[0].document().message_id(), "m1");
  EXPECT_EQ(insurance[0].document().document_id(), "DOC-000000000001");

  EXPECT_EQ(Inbox(kResidents).size(), 1u);
  EXPECT_TRUE(Inbox(kHanoi).empty());
  EXPECT_TRUE(Inbox("000.00.00.Z99").empty());
}

TEST_F(SqliteDocumentStoreTest, ResumesAfterACursorAndPagesWithoutLossOrDuplicates) {
  for (int i = 0; i < 7; ++i) Send(Document(absl::StrCat("m", i), kHanoi, {kResidents}));
  const std::vector<v1::InboxItem> all = Inbox(kResidents);
  ASSERT_EQ(all.size(), 7u);

  std::vector<int64_t> paged;
  int64_t cursor = 0;
  for (;;) {
    std::vector<v1::InboxItem> page = Inbox(kResidents, cursor, 3);
    if (page.empty()) break;
    for (const v1::InboxItem& item : page) paged.push_back(item.cursor());
    cursor = page.back().cursor();
  }
  std::vector<int64_t> expected;
  for (const v1::InboxItem& item : all) expected.push_back(item.cursor());
  EXPECT_EQ(paged, expected);
  // Reading removes nothing.
  EXPECT_EQ(Inbox(kResidents).size(), 7u);
  EXPECT_EQ(Inbox(kResidents, all[4].cursor()).size(), 2u);
}

TEST_F(SqliteDocumentStoreTest, EverythingIsThereAfterReopeningTheFile) {
  v1::SendDocumentResponse sent = Send(Document("m1", kHanoi, {kResidents, kInsurance}));
  ASSERT_TRUE(store_
                  ->ReportStatus(sent.document_id(), kResidents, v1::DELIVERY_STATUS_ACCEPTED,
                                 "", kSent + absl::Minutes(5))
                  .ok());
  const std::vector<v1::InboxItem> residents_before = Inbox(kResidents);
  const std::vector<v1::InboxItem> hanoi_before = Inbox(kHanoi);
  absl::StatusOr<v1::GetDocumentResponse> before = store_->GetDocument(sent.document_id());
  ASSERT_TRUE(before.ok()) << before.status();

  Reopen();
  absl::StatusOr<v1::GetDocumentResponse> after = store_->GetDocument(sent.document_id());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*before, *after));
  const std::vector<v1::InboxItem> residents_after = Inbox(kResidents);
  const std::vector<v1::InboxItem> hanoi_after = Inbox(kHanoi);
  ASSERT_EQ(residents_after.size(), residents_before.size());
  ASSERT_EQ(hanoi_after.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(hanoi_after[0], hanoi_before[0]));
  // New items keep increasing after the reopen.
  Send(Document("m2", kHanoi, {kResidents}));
  std::vector<v1::InboxItem> newer = Inbox(kResidents, residents_after.back().cursor());
  ASSERT_EQ(newer.size(), 1u);
  EXPECT_GT(newer[0].cursor(), hanoi_after[0].cursor());
}

TEST_F(SqliteDocumentStoreTest, SameMessageIdIsIdempotentOrAlreadyExists) {
  const v1::SendDocumentRequest request = Document("m1", kHanoi, {kResidents});
  v1::SendDocumentResponse first = Send(request);
  v1::SendDocumentResponse again = Send(request);
  EXPECT_TRUE(MessageDifferencer::Equals(first, again));
  EXPECT_EQ(Inbox(kResidents).size(), 1u);

  v1::SendDocumentRequest changed = request;
  changed.mutable_envelope()->set_subject("another subject");
  absl::StatusOr<v1::SendDocumentResponse> conflict = store_->SendDocument(changed, kSent);
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(conflict.status().message().find("m1"), std::string::npos);

  // Message ids are per sender.
  v1::SendDocumentResponse other = Send(Document("m1", kInsurance, {kResidents}));
  EXPECT_NE(other.document_id(), first.document_id());
}

TEST_F(SqliteDocumentStoreTest, StatusReportsFollowTheChainAndReachTheSender) {
  v1::SendDocumentResponse sent = Send(Document("m1", kHanoi, {kResidents, kInsurance}));
  const std::string id = sent.document_id();
  struct Step {
    std::string recipient;
    v1::DeliveryStatus status;
    std::string reason;
    absl::StatusCode code;
  };
  const std::vector<Step> steps = {
      {kResidents, v1::DELIVERY_STATUS_FINISHED, "", absl::StatusCode::kFailedPrecondition},
      {kResidents, v1::DELIVERY_STATUS_ACCEPTED, "", absl::StatusCode::kOk},
      {kResidents, v1::DELIVERY_STATUS_ACCEPTED, "", absl::StatusCode::kOk},  // a retry
      {kResidents, v1::DELIVERY_STATUS_ACCEPTED, "again?", absl::StatusCode::kFailedPrecondition},
      {kResidents, v1::DELIVERY_STATUS_REJECTED, "no", absl::StatusCode::kFailedPrecondition},
      {kResidents, v1::DELIVERY_STATUS_ASSIGNED, "", absl::StatusCode::kOk},
      {kResidents, v1::DELIVERY_STATUS_PROCESSING, "", absl::StatusCode::kOk},
      {kResidents, v1::DELIVERY_STATUS_FINISHED, "done", absl::StatusCode::kOk},
      {kResidents, v1::DELIVERY_STATUS_PROCESSING, "", absl::StatusCode::kFailedPrecondition},
      {kInsurance, v1::DELIVERY_STATUS_REJECTED, "not ours", absl::StatusCode::kOk},
      {kInsurance, v1::DELIVERY_STATUS_ACCEPTED, "", absl::StatusCode::kFailedPrecondition},
      {kHanoi, v1::DELIVERY_STATUS_ACCEPTED, "", absl::StatusCode::kNotFound},
  };
  int minute = 0;
  for (const Step& step : steps) {
    SCOPED_TRACE(absl::StrCat(step.recipient, " ", DeliveryStatusName(step.status)));
    absl::StatusOr<v1::Delivery> delivery = store_->ReportStatus(
        id, step.recipient, step.status, step.reason, kSent + absl::Minutes(++minute));
    EXPECT_EQ(delivery.status().code(), step.code) << delivery.status();
    if (delivery.ok()) {
      EXPECT_EQ(delivery->status(), step.status);
    }
  }

  absl::StatusOr<v1::GetDocumentResponse> document = store_->GetDocument(id);
  ASSERT_TRUE(document.ok()) << document.status();
  ASSERT_EQ(document->deliveries_size(), 2);
  std::vector<v1::DeliveryStatus> residents_history;
  for (const auto& event : document->deliveries(0).history()) {
    residents_history.push_back(event.status());
  }
  EXPECT_EQ(residents_history,
            (std::vector<v1::DeliveryStatus>{
                v1::DELIVERY_STATUS_ARRIVED, v1::DELIVERY_STATUS_ACCEPTED,
                v1::DELIVERY_STATUS_ASSIGNED, v1::DELIVERY_STATUS_PROCESSING,
                v1::DELIVERY_STATUS_FINISHED}));
  EXPECT_EQ(document->deliveries(1).status(), v1::DELIVERY_STATUS_REJECTED);
  EXPECT_EQ(document->deliveries(1).history(1).reason(), "not ours");

  // The sender's inbox has one report per recorded change, in order.
  std::vector<v1::InboxItem> hanoi = Inbox(kHanoi);
  ASSERT_EQ(hanoi.size(), 5u);
  for (const v1::InboxItem& item : hanoi) {
    ASSERT_TRUE(item.has_status_report());
    EXPECT_EQ(item.status_report().document_id(), id);
    EXPECT_EQ(item.status_report().message_id(), "m1");
  }
  EXPECT_EQ(hanoi[0].status_report().recipient(), kResidents);
  EXPECT_EQ(hanoi[0].status_report().event().status(), v1::DELIVERY_STATUS_ACCEPTED);
  EXPECT_EQ(hanoi[4].status_report().recipient(), kInsurance);
  EXPECT_EQ(hanoi[4].status_report().event().status(), v1::DELIVERY_STATUS_REJECTED);
  EXPECT_EQ(hanoi[4].status_report().event().reason(), "not ours");
}

TEST_F(SqliteDocumentStoreTest, UnknownDocumentsAreNotFound) {
  EXPECT_EQ(store_->GetDocument("DOC-000000000009").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_
                ->ReportStatus("DOC-000000000009", kResidents, v1::DELIVERY_STATUS_ACCEPTED,
                               "", kSent)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ndxp::documents
