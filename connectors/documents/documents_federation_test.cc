// The document axis through a real hub with real mutual TLS: three agencies'
// clients, each with its own certificate, exchange a document, survive a
// restart of the axis, report statuses back, and follow their inboxes.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "connectors/documents/documents_connector.h"
#include "gtest/gtest.h"
#include "ndxp/documents/v1/documents.grpc.pb.h"
#include "tests/testing/test_federation.h"

namespace ndxp::documents {
namespace {

using ndxp::testing::TestFederation;

constexpr char kService[] = "ndxp.documents.v1.DocumentExchange";
constexpr char kAxis[] = "000.00.00.A02";
constexpr char kHanoi[] = "000.00.00.H26";      // X, the sender
constexpr char kResidents[] = "000.00.00.G04";  // Y
constexpr char kInsurance[] = "000.00.00.G22";  // Z

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

v1::SendDocumentRequest Document(const std::string& message_id, const std::string& from,
                                 const std::vector<std::string>& to) {
  v1::SendDocumentRequest request;
  request.set_message_id(message_id);
  v1::Envelope* envelope = request.mutable_envelope();
  envelope->set_from_agency(from);
  for (const std::string& agency : to) envelope->add_to_agencies(agency);
  envelope->set_code_number("17");
  envelope->set_code_notation("KH-UBND");
  envelope->set_promulgation_place("Hà Nội");
  envelope->set_promulgation_date("2024-12-20");
  envelope->set_document_type(v1::DOCUMENT_TYPE_PLAN);
  envelope->set_subject(absl::StrCat("Kế hoạch ", message_id));
  envelope->mutable_signer()->set_full_name("Nguyễn Thị B");
  envelope->mutable_signer()->set_position("Phó Chủ tịch");
  envelope->set_priority(2);
  v1::Attachment* attachment = envelope->add_attachments();
  attachment->set_file_name("ke-hoach.pdf");
  attachment->set_content_type("application/pdf");
  attachment->set_content("%PDF-1.7 signed");
  attachment->set_size_bytes(static_cast<int64_t>(attachment->content().size()));
  return request;
}

class DocumentsFederationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestFederation::ConnectorOptions documents;
    documents.name = "documents";
    documents.agency = kAxis;
    documents.routes = {{kService, {}}};
    documents.factory = &CreateDocumentsConnector;
    absl::Status started = federation_.StartConnector(documents);
    ASSERT_TRUE(started.ok()) << started;
    for (const char* agency : {kHanoi, kResidents, kInsurance}) {
      federation_.Grant(agency, kService);
    }
    absl::Status applied = federation_.ApplyHubConfig();
    ASSERT_TRUE(applied.ok()) << applied;
    hanoi_ = Stub("hanoi-edoc", kHanoi);
    residents_ = Stub("residents-edoc", kResidents);
    insurance_ = Stub("insurance-edoc", kInsurance);
  }

  std::unique_ptr<v1::DocumentExchange::Stub> Stub(const std::string& name,
                                                   const std::string& agency) {
    return v1::DocumentExchange::NewStub(
        federation_.ChannelAs(federation_.Client(name, agency, "edoc")));
  }

  std::string Send(v1::DocumentExchange::Stub& stub, const v1::SendDocumentRequest& request) {
    v1::SendDocumentResponse response;
    grpc::Status status = stub.SendDocument(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.document_id();
  }

  std::vector<v1::InboxItem> Inbox(v1::DocumentExchange::Stub& stub, int64_t after = 0) {
    v1::ReceiveInboxRequest request;
    request.set_after_cursor(after);
    std::unique_ptr<grpc::ClientContext> context = Context();
    auto reader = stub.ReceiveInbox(context.get(), request);
    std::vector<v1::InboxItem> items;
    v1::InboxItem item;
    while (reader->Read(&item)) items.push_back(item);
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return items;
  }

  static std::vector<std::string> MessageIds(const std::vector<v1::InboxItem>& items) {
    std::vector<std::string> ids;
    for (const v1::InboxItem& item : items) ids.push_back(item.document().message_id());
    return ids;
  }

  TestFederation federation_;
  std::unique_ptr<v1::DocumentExchange::Stub> hanoi_, residents_, insurance_;
};

TEST_F(DocumentsFederationTest, DocumentReachesBothInboxesAndSurvivesARestart) {
  const std::string first = Send(*hanoi_, Document("kh-1", kHanoi, {kResidents, kInsurance}));
  ASSERT_FALSE(first.empty());
  std::vector<v1::InboxItem> residents = Inbox(*residents_);
  ASSERT_EQ(MessageIds(residents), std::vector<std::string>{"kh-1"});
  EXPECT_EQ(residents[0].document().document_id(), first);
  EXPECT_EQ(residents[0].document().envelope().attachments(0).content(), "%PDF-1.7 signed");
  EXPECT_EQ(MessageIds(Inbox(*insurance_)), std::vector<std::string>{"kh-1"});
  const int64_t processed = residents[0].cursor();  // residents has processed kh-1

  Send(*hanoi_, Document("kh-2", kHanoi, {kResidents, kInsurance}));
  absl::Status restarted = federation_.RestartConnector("documents");
  ASSERT_TRUE(restarted.ok()) << restarted;

  // Residents resumes after what it processed: kh-2 once, nothing lost.
  EXPECT_EQ(MessageIds(Inbox(*residents_, processed)), std::vector<std::string>{"kh-2"});
  // Insurance reads from the start: both, in order, once each.
  EXPECT_EQ(MessageIds(Inbox(*insurance_)), (std::vector<std::string>{"kh-1", "kh-2"}));
  // Retrying the first send after the restart is answered from the store.
  EXPECT_EQ(Send(*hanoi_, Document("kh-1", kHanoi, {kResidents, kInsurance})), first);
  EXPECT_EQ(Inbox(*residents_).size(), 2u);
}

TEST_F(DocumentsFederationTest, RecipientsStatusReportsReachTheSender) {
  const std::string id = Send(*hanoi_, Document("kh-1", kHanoi, {kResidents, kInsurance}));
  auto report = [&](v1::DocumentExchange::Stub& stub, v1::DeliveryStatus status,
                    const std::string& reason) {
    v1::ReportStatusRequest request;
    request.set_document_id(id);
    request.set_status(status);
    request.set_reason(reason);
    v1::ReportStatusResponse response;
    return stub.ReportStatus(Context().get(), request, &response);
  };
  ASSERT_TRUE(report(*residents_, v1::DELIVERY_STATUS_ACCEPTED, "").ok());
  ASSERT_TRUE(report(*insurance_, v1::DELIVERY_STATUS_REJECTED, "sai thẩm quyền").ok());
  // Hanoi is the sender, not a recipient.
  EXPECT_EQ(report(*hanoi_, v1::DELIVERY_STATUS_ACCEPTED, "").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(report(*insurance_, v1::DELIVERY_STATUS_ACCEPTED, "").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  std::vector<v1::InboxItem> hanoi = Inbox(*hanoi_);
  ASSERT_EQ(hanoi.size(), 2u);
  EXPECT_EQ(hanoi[0].status_report().recipient(), kResidents);
  EXPECT_EQ(hanoi[0].status_report().event().status(), v1::DELIVERY_STATUS_ACCEPTED);
  EXPECT_EQ(hanoi[1].status_report().recipient(), kInsurance);
  EXPECT_EQ(hanoi[1].status_report().event().status(), v1::DELIVERY_STATUS_REJECTED);
  EXPECT_EQ(hanoi[1].status_report().event().reason(), "sai thẩm quyền");

  v1::GetDocumentRequest get;
  get.set_document_id(id);
  v1::GetDocumentResponse document;
  grpc::Status status = hanoi_->GetDocument(Context().get(), get, &document);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(document.deliveries_size(), 2);
  EXPECT_EQ(document.deliveries(0).status(), v1::DELIVERY_STATUS_ACCEPTED);
  EXPECT_EQ(document.deliveries(0).history_size(), 2);
  EXPECT_EQ(document.deliveries(1).status(), v1::DELIVERY_STATUS_REJECTED);
}

TEST_F(DocumentsFederationTest, SenderSpoofingIsRefused) {
  v1::SendDocumentResponse response;
  grpc::Status status = hanoi_->SendDocument(
      Context().get(), Document("fake", kResidents, {kInsurance}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find(kHanoi), std::string::npos);
  EXPECT_TRUE(Inbox(*insurance_).empty());
}

TEST_F(DocumentsFederationTest, FollowerReceivesADocumentSentAfterItOpened) {
  Send(*hanoi_, Document("kh-1", kHanoi, {kResidents}));
  v1::ReceiveInboxRequest request;
  request.set_follow(true);
  std::unique_ptr<grpc::ClientContext> context = Context();
  auto reader = residents_->ReceiveInbox(context.get(), request);
  v1::InboxItem item;
  ASSERT_TRUE(reader->Read(&item));  // the stream is open and registered
  EXPECT_EQ(item.document().message_id(), "kh-1");

  Send(*hanoi_, Document("kh-2", kHanoi, {kResidents}));
  ASSERT_TRUE(reader->Read(&item));
  EXPECT_EQ(item.document().message_id(), "kh-2");

  context->TryCancel();
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(DocumentsFederationTest, ConnectorStopsPromptlyWithAFollowerOpen) {
  v1::ReceiveInboxRequest request;
  request.set_follow(true);
  std::unique_ptr<grpc::ClientContext> context = Context();
  auto reader = residents_->ReceiveInbox(context.get(), request);
  reader->WaitForInitialMetadata();  // through the hub: the follower is registered
  federation_.StopConnector("documents");  // returns once every call has ended
  v1::InboxItem item;
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_FALSE(reader->Finish().ok());
}

}  // namespace
}  // namespace ndxp::documents
