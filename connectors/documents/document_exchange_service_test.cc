// The DocumentExchange service driven through a real in-process gRPC server
// on port 0 over a real SQLite store (insecure credentials: callers are
// named by x-ndxp-consumer, as the hub sets it; the mutual-TLS path is
// tested through the hub in documents_federation_test.cc).
#include "connectors/documents/document_exchange_service.h"

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/strings/str_cat.h"
#include "common/protocol/metadata.h"
#include "connectors/documents/sqlite_document_store.h"
#include "connectors/runtime/connector_server.h"
#include "connectors/runtime/field_violations.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::documents {
namespace {

constexpr char kHanoi[] = "000.00.00.H26";
constexpr char kResidents[] = "000.00.00.G04";
constexpr char kInsurance[] = "000.00.00.G22";
constexpr char kStranger[] = "000.00.00.G12";
const absl::Time kNow = absl::FromUnixSeconds(1735689600);  // 2025-01-01T00:00:00Z

std::string SpiffeId(const std::string& agency) {
  return absl::StrCat("spiffe://ndxp.gov.vn/agency/", agency, "/edoc");
}

v1::SendDocumentRequest Document(const std::string& message_id, const std::string& from,
                                 const std::vector<std::string>& to) {
  v1::SendDocumentRequest request;
  request.set_message_id(message_id);
  v1::Envelope* envelope = request.mutable_envelope();
  envelope->set_from_agency(from);
  for (const std::string& agency : to) envelope->add_to_agencies(agency);
  envelope->set_code_number("45");
  envelope->set_code_notation("CV-UBND");
  envelope->set_promulgation_place("Hà Nội");
  envelope->set_promulgation_date("2024-12-30");
  envelope->set_document_type(v1::DOCUMENT_TYPE_OFFICIAL_LETTER);
  envelope->set_subject(absl::StrCat("Letter ", message_id));
  envelope->mutable_signer()->set_full_name("Nguyễn Văn A");
  envelope->mutable_signer()->set_position("Chánh Văn phòng");
  envelope->set_priority(0);
  return request;
}

std::vector<std::string> BadFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  std::optional<google::rpc::BadRequest> bad_request = ndxp::connectors::BadRequestOf(status);
  if (!bad_request.has_value()) return fields;
  for (const auto& violation : bad_request->field_violations()) {
    fields.push_back(violation.field());
  }
  return fields;
}

class DocumentExchangeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteDocumentStore>> store =
        SqliteDocumentStore::Open(dir_.path() + "/documents.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    DocumentExchangeService::Options options;
    options.trust_domain = "ndxp.gov.vn";
    options.clock = [] { return kNow; };
    options.inbox_page_size = 2;  // several pages in every stream test
    service_ = std::make_unique<DocumentExchangeService>(store_.get(), options);
    absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServer>> server =
        ndxp::connectors::ConnectorServer::Start(
            {"127.0.0.1:0", grpc::InsecureServerCredentials(), {service_.get()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::DocumentExchange::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
  }

  // A context for a call made by `agency` (empty: no identity at all).
  std::unique_ptr<grpc::ClientContext> As(const std::string& agency) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!agency.empty()) context->AddMetadata(ndxp::protocol::kConsumerHeader, SpiffeId(agency));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  grpc::Status Send(const std::string& caller, const v1::SendDocumentRequest& request,
                    v1::SendDocumentResponse* response) {
    return stub_->SendDocument(As(caller).get(), request, response);
  }

  std::string SendOk(const v1::SendDocumentRequest& request) {
    v1::SendDocumentResponse response;
    grpc::Status status = Send(request.envelope().from_agency(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.document_id();
  }

  grpc::Status Report(const std::string& caller, const std::string& document_id,
                      v1::DeliveryStatus status, const std::string& reason = "") {
    v1::ReportStatusRequest request;
    request.set_document_id(document_id);
    request.set_status(status);
    request.set_reason(reason);
    v1::ReportStatusResponse response;
    return stub_->ReportStatus(As(caller).get(), request, &response);
  }

  // The whole inbox of `agency` after `after`, without following.
  std::vector<v1::InboxItem> Inbox(const std::string& agency, int64_t after = 0) {
    v1::ReceiveInboxRequest request;
    request.set_after_cursor(after);
    std::unique_ptr<grpc::ClientContext> context = As(agency);
    auto reader = stub_->ReceiveInbox(context.get(), request);
    std::vector<v1::InboxItem> items;
    v1::InboxItem item;
    while (reader->Read(&item)) items.push_back(item);
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return items;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteDocumentStore> store_;
  std::unique_ptr<DocumentExchangeService> service_;
  std::unique_ptr<ndxp::connectors::ConnectorServer> server_;
  std::unique_ptr<v1::DocumentExchange::Stub> stub_;
};

TEST_F(DocumentExchangeServiceTest, SendsToEveryRecipient) {
  v1::SendDocumentResponse response;
  grpc::Status status =
      Send(kHanoi, Document("m1", kHanoi, {kResidents, kInsurance}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.deliveries_size(), 2);
  EXPECT_EQ(response.deliveries(0).status(), v1::DELIVERY_STATUS_ARRIVED);
  EXPECT_EQ(response.deliveries(1).status(), v1::DELIVERY_STATUS_ARRIVED);
  EXPECT_EQ(response.deliveries(0).history(0).time().seconds(), absl::ToUnixSeconds(kNow));

  for (const char* agency : {kResidents, kInsurance}) {
    SCOPED_TRACE(agency);
    std::vector<v1::InboxItem> items = Inbox(agency);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].document().document_id(), response.document_id());
    EXPECT_EQ(items[0].document().envelope().from_agency(), kHanoi);
  }
  EXPECT_TRUE(Inbox(kHanoi).empty());
}

TEST_F(DocumentExchangeServiceTest, RefusesASenderOtherThanTheCaller) {
  v1::SendDocumentResponse response;
  grpc::Status status = Send(kStranger, Document("m1", kHanoi, {kResidents}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find(kStranger), std::string::npos);
  EXPECT_TRUE(Inbox(kResidents).empty());
}

TEST_F(DocumentExchangeServiceTest, RefusesCallsWithoutAValidIdentity) {
  v1::SendDocumentResponse response;
  EXPECT_EQ(Send("", Document("m1", kHanoi, {kResidents}), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext other_domain;
  other_domain.AddMetadata(ndxp::protocol::kConsumerHeader,
                           "spiffe://example.org/agency/000.00.00.H26/edoc");
  EXPECT_EQ(stub_->SendDocument(&other_domain, Document("m1", kHanoi, {kResidents}), &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext no_identity;
  auto reader = stub_->ReceiveInbox(&no_identity, v1::ReceiveInboxRequest());
  v1::InboxItem item;
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(DocumentExchangeServiceTest, InvalidRequestsNameEveryBadField) {
  struct Case {
    std::string name;
    v1::SendDocumentRequest request;
    std::vector<std::string> fields;
  };
  std::vector<Case> cases;
  {
    Case& c = cases.emplace_back();
    c.name = "bad recipient and priority";
    c.request = Document("m1", kHanoi, {kResidents, "000.00.00.g22"});
    c.request.mutable_envelope()->set_priority(7);
    c.fields = {"envelope.to_agencies[1]", "envelope.priority"};
  }
  {
    Case& c = cases.emplace_back();
    c.name = "attachment size";
    c.request = Document("m1", kHanoi, {kResidents});
    v1::Attachment* attachment = c.request.mutable_envelope()->add_attachments();
    attachment->set_file_name("a.pdf");
    attachment->set_content_type("application/pdf");
    c.fields = {"envelope.attachments[0].size_bytes"};
  }
  {
    Case& c = cases.emplace_back();
    c.name = "malformed sender";
    c.request = Document("m1", "000.00.00.h26", {kResidents});
    c.fields = {"envelope.from_agency"};
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::SendDocumentResponse response;
    grpc::Status status = Send(kHanoi, c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(BadFields(status), c.fields);
  }
}

TEST_F(DocumentExchangeServiceTest, MessageIdMakesSendingIdempotent) {
  const v1::SendDocumentRequest request = Document("m1", kHanoi, {kResidents});
  const std::string first = SendOk(request);
  EXPECT_EQ(SendOk(request), first);
  EXPECT_EQ(Inbox(kResidents).size(), 1u);
  v1::SendDocumentRequest changed = request;
  changed.mutable_envelope()->set_code_number("46");
  v1::SendDocumentResponse response;
  EXPECT_EQ(Send(kHanoi, changed, &response).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(DocumentExchangeServiceTest, OnlyTheSenderAndRecipientsSeeADocument) {
  const std::string id = SendOk(Document("m1", kHanoi, {kResidents}));
  struct Case {
    std::string caller;
    std::string document_id;
    grpc::StatusCode code;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {kHanoi, id, grpc::StatusCode::OK, {}},
      {kResidents, id, grpc::StatusCode::OK, {}},
      {kStranger, id, grpc::StatusCode::PERMISSION_DENIED, {}},
      {kHanoi, "DOC-000000000777", grpc::StatusCode::NOT_FOUND, {}},
      {kHanoi, "777", grpc::StatusCode::INVALID_ARGUMENT, {"document_id"}},
      {kHanoi, "", grpc::StatusCode::INVALID_ARGUMENT, {"document_id"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.caller, " ", c.document_id));
    v1::GetDocumentRequest request;
    request.set_document_id(c.document_id);
    v1::GetDocumentResponse response;
    grpc::Status status = stub_->GetDocument(As(c.caller).get(), request, &response);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_EQ(BadFields(status), c.fields);
    if (status.ok()) {
      EXPECT_EQ(response.envelope().subject(), "Letter m1");
      EXPECT_EQ(response.deliveries_size(), 1);
    }
  }
}

TEST_F(DocumentExchangeServiceTest, OnlyARecipientReportsAndTheSenderHearsOfIt) {
  const std::string id = SendOk(Document("m1", kHanoi, {kResidents, kInsurance}));
  struct Case {
    std::string name;
    std::string caller;
    std::string document_id;
    v1::DeliveryStatus status;
    std::string reason;
    grpc::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"stranger", kStranger, id, v1::DELIVERY_STATUS_ACCEPTED, "",
       grpc::StatusCode::PERMISSION_DENIED},
      {"sender", kHanoi, id, v1::DELIVERY_STATUS_ACCEPTED, "",
       grpc::StatusCode::PERMISSION_DENIED},
      {"unknown document", kResidents, "DOC-000000000777", v1::DELIVERY_STATUS_ACCEPTED, "",
       grpc::StatusCode::NOT_FOUND},
      {"skipping steps", kResidents, id, v1::DELIVERY_STATUS_FINISHED, "",
       grpc::StatusCode::FAILED_PRECONDITION},
      {"rejection without reason", kInsurance, id, v1::DELIVERY_STATUS_REJECTED, "",
       grpc::StatusCode::INVALID_ARGUMENT},
      {"accepted", kResidents, id, v1::DELIVERY_STATUS_ACCEPTED, "", grpc::StatusCode::OK},
      {"rejected", kInsurance, id, v1::DELIVERY_STATUS_REJECTED, "not our competence",
       grpc::StatusCode::OK},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status status = Report(c.caller, c.document_id, c.status, c.reason);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
  }
  grpc::Status skipping = Report(kResidents, id, v1::DELIVERY_STATUS_FINISHED);
  EXPECT_NE(skipping.error_message().find("ACCEPTED"), std::string::npos);
  EXPECT_NE(skipping.error_message().find("FINISHED"), std::string::npos);

  std::vector<v1::InboxItem> hanoi = Inbox(kHanoi);
  ASSERT_EQ(hanoi.size(), 2u);
  EXPECT_EQ(hanoi[0].status_report().recipient(), kResidents);
  EXPECT_EQ(hanoi[0].status_report().event().status(), v1::DELIVERY_STATUS_ACCEPTED);
  EXPECT_EQ(hanoi[1].status_report().recipient(), kInsurance);
  EXPECT_EQ(hanoi[1].status_report().event().reason(), "not our competence");
}

TEST_F(DocumentExchangeServiceTest, InboxResumesAfterACursor) {
  for (int i = 0; i < 5; ++i) SendOk(Document(absl::StrCat("m", i), kHanoi, {kResidents}));
  std::vector<v1::InboxItem> all = Inbox(kResidents);
  ASSERT_EQ(all.size(), 5u);  // three pages of two
  std::vector<v1::InboxItem> rest = Inbox(kResidents, all[1].cursor());
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].cursor(), all[2].cursor());
  EXPECT_TRUE(Inbox(kResidents, all[4].cursor()).empty());

  v1::ReceiveInboxRequest negative;
  negative.set_after_cursor(-1);
  std::unique_ptr<grpc::ClientContext> context = As(kResidents);
  auto reader = stub_->ReceiveInbox(context.get(), negative);
  v1::InboxItem item;
  EXPECT_FALSE(reader->Read(&item));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadFields(status), std::vector<std::string>{"after_cursor"});
}

TEST_F(DocumentExchangeServiceTest, FollowerReceivesDocumentsSentAfterItOpened) {
  SendOk(Document("before", kHanoi, {kResidents}));
  v1::ReceiveInboxRequest request;
  request.set_follow(true);
  std::unique_ptr<grpc::ClientContext> context = As(kResidents);
  auto reader = stub_->ReceiveInbox(context.get(), request);
  v1::InboxItem item;
  ASSERT_TRUE(reader->Read(&item));  // the backlog: the stream is registered
  EXPECT_EQ(item.document().message_id(), "before");
  EXPECT_EQ(service_->followers(), 1);

  for (int i = 0; i < 3; ++i) SendOk(Document(absl::StrCat("after", i), kHanoi, {kResidents}));
  SendOk(Document("elsewhere", kHanoi, {kInsurance}));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(reader->Read(&item));
    EXPECT_EQ(item.document().message_id(), absl::StrCat("after", i));
  }
  context->TryCancel();
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(DocumentExchangeServiceTest, FollowerOfAnEmptyInboxGetsStatusReports) {
  v1::ReceiveInboxRequest request;
  request.set_follow(true);
  std::unique_ptr<grpc::ClientContext> context = As(kHanoi);
  auto reader = stub_->ReceiveInbox(context.get(), request);
  reader->WaitForInitialMetadata();  // sent once the stream is registered
  const std::string id = SendOk(Document("m1", kHanoi, {kResidents}));
  ASSERT_TRUE(Report(kResidents, id, v1::DELIVERY_STATUS_ACCEPTED).ok());
  v1::InboxItem item;
  ASSERT_TRUE(reader->Read(&item));
  EXPECT_EQ(item.status_report().document_id(), id);
  EXPECT_EQ(item.status_report().event().status(), v1::DELIVERY_STATUS_ACCEPTED);
  context->TryCancel();
  EXPECT_FALSE(reader->Read(&item));
  reader->Finish();
}

TEST_F(DocumentExchangeServiceTest, FollowerEndsAtItsDeadline) {
  v1::ReceiveInboxRequest request;
  request.set_follow(true);
  std::unique_ptr<grpc::ClientContext> context = As(kResidents);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  auto reader = stub_->ReceiveInbox(context.get(), request);
  v1::InboxItem item;
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(DocumentExchangeServiceTest, ServerShutdownEndsOpenFollowers) {
  v1::ReceiveInboxRequest request;
  request.set_follow(true);
  std::unique_ptr<grpc::ClientContext> context = As(kResidents);
  auto reader = stub_->ReceiveInbox(context.get(), request);
  reader->WaitForInitialMetadata();
  ASSERT_EQ(service_->followers(), 1);
  server_->Shutdown(absl::ZeroDuration());  // returns once every call is done
  EXPECT_EQ(service_->followers(), 0);
  v1::InboxItem item;
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_FALSE(reader->Finish().ok());
}

}  // namespace
}  // namespace ndxp::documents
