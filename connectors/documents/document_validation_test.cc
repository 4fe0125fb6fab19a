#include "connectors/documents/document_validation.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace ndxp::documents {
namespace {

using ndxp::connectors::FieldViolations;

v1::SendDocumentRequest ValidRequest() {
  v1::SendDocumentRequest request;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(message_id: "ubnd-hn-2025-0001"
           envelope {
             from_agency: "000.00.00.H26"
             to_agencies: "000.00.00.G04"
             to_agencies: "000.00.00.G22"
             code_number: "123"
             code_notation: "QĐ-UBND"
             promulgation_place: "Hà Nội"
             promulgation_date: "2024-12-31"
             document_type: DOCUMENT_TYPE_DECISION
             subject: "Về việc phê duyệt kế hoạch chuyển đổi số năm 2025"
             signer { full_name: "Trần Sỹ Thanh" position: "Chủ tịch" }
             priority: 1
             attachments {
               file_name: "123-QD-UBND.pdf"
               content_type: "application/pdf"
               size_bytes: 5
               content: "%PDF-"
             }
             attachments {
               file_name: "phu-luc.docx"
               content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
               size_bytes: 1048576
             }
           })pb",
      &request));
  return request;
}

std::vector<std::string> ViolatedFields(const v1::SendDocumentRequest& request) {
  FieldViolations violations;
  ValidateSendDocumentRequest(request, &violations);
  std::vector<std::string> fields;
  for (const auto& violation : violations.bad_request().field_violations()) {
    fields.push_back(violation.field());
  }
  return fields;
}

TEST(ValidateSendDocumentRequestTest, AcceptsAValidRequest) {
  EXPECT_TRUE(ViolatedFields(ValidRequest()).empty());
}

TEST(ValidateSendDocumentRequestTest, NamesEveryBadField) {
  struct Case {
    std::string name;
    std::function<void(v1::SendDocumentRequest&)> mutate;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"no message id", [](auto& r) { r.clear_message_id(); }, {"message_id"}},
      {"message id with a space", [](auto& r) { r.set_message_id("a b"); }, {"message_id"}},
      {"message id too long", [](auto& r) { r.set_message_id(std::string(129, 'x')); },
       {"message_id"}},
      {"no envelope", [](auto& r) { r.clear_envelope(); }, {"envelope"}},
      {"lower-case sender", [](auto& r) { r.mutable_envelope()->set_from_agency("000.00.00.h26"); },
       {"envelope.from_agency"}},
      {"empty sender", [](auto& r) { r.mutable_envelope()->clear_from_agency(); },
       {"envelope.from_agency"}},
      {"no recipient", [](auto& r) { r.mutable_envelope()->clear_to_agencies(); },
       {"envelope.to_agencies"}},
      {"malformed second recipient",
       [](auto& r) { r.mutable_envelope()->set_to_agencies(1, "000..00.G22"); },
       {"envelope.to_agencies[1]"}},
      {"recipient with a space",
       [](auto& r) { r.mutable_envelope()->set_to_agencies(0, "000.00.00 G04"); },
       {"envelope.to_agencies[0]"}},
      {"recipient too long",
       [](auto& r) { r.mutable_envelope()->set_to_agencies(0, std::string(36, '1')); },
       {"envelope.to_agencies[0]"}},
      {"duplicate recipient",
       [](auto& r) { r.mutable_envelope()->add_to_agencies("000.00.00.G04"); },
       {"envelope.to_agencies[2]"}},
      {"sender among recipients",
       [](auto& r) { r.mutable_envelope()->add_to_agencies("000.00.00.H26"); },
       {"envelope.to_agencies[2]"}},
      {"no code number", [](auto& r) { r.mutable_envelope()->clear_code_number(); },
       {"envelope.code_number"}},
      {"code number with letters", [](auto& r) { r.mutable_envelope()->set_code_number("12a"); },
       {"envelope.code_number"}},
      {"code number zero", [](auto& r) { r.mutable_envelope()->set_code_number("000"); },
       {"envelope.code_number"}},
      {"code number too long",
       [](auto& r) { r.mutable_envelope()->set_code_number("12345678901"); },
       {"envelope.code_number"}},
      {"no notation", [](auto& r) { r.mutable_envelope()->clear_code_notation(); },
       {"envelope.code_notation"}},
      {"lower-case notation", [](auto& r) { r.mutable_envelope()->set_code_notation("qđ-ubnd"); },
       {"envelope.code_notation"}},
      {"notation with an empty group",
       [](auto& r) { r.mutable_envelope()->set_code_notation("QĐ--UBND"); },
       {"envelope.code_notation"}},
      {"notation with a trailing dash",
       [](auto& r) { r.mutable_envelope()->set_code_notation("QĐ-"); },
       {"envelope.code_notation"}},
      {"notation of digits only", [](auto& r) { r.mutable_envelope()->set_code_notation("2024"); },
       {"envelope.code_notation"}},
      {"notation with a space", [](auto& r) { r.mutable_envelope()->set_code_notation("QĐ UBND"); },
       {"envelope.code_notation"}},
      {"no place", [](auto& r) { r.mutable_envelope()->clear_promulgation_place(); },
       {"envelope.promulgation_place"}},
      {"no date", [](auto& r) { r.mutable_envelope()->clear_promulgation_date(); },
       {"envelope.promulgation_date"}},
      {"date in another format",
       [](auto& r) { r.mutable_envelope()->set_promulgation_date("31/12/2024"); },
       {"envelope.promulgation_date"}},
      {"impossible date",
       [](auto& r) { r.mutable_envelope()->set_promulgation_date("2023-02-29"); },
       {"envelope.promulgation_date"}},
      {"date before 1945",
       [](auto& r) { r.mutable_envelope()->set_promulgation_date("1944-12-31"); },
       {"envelope.promulgation_date"}},
      {"date with a sign",
       [](auto& r) { r.mutable_envelope()->set_promulgation_date("+024-01-01"); },
       {"envelope.promulgation_date"}},
      {"no document type", [](auto& r) { r.mutable_envelope()->clear_document_type(); },
       {"envelope.document_type"}},
      {"unknown document type",
       [](auto& r) { r.mutable_envelope()->set_document_type(static_cast<v1::DocumentType>(99)); },
       {"envelope.document_type"}},
      {"no subject", [](auto& r) { r.mutable_envelope()->clear_subject(); },
       {"envelope.subject"}},
      {"subject too long",
       [](auto& r) { r.mutable_envelope()->set_subject(std::string(2001, 'x')); },
       {"envelope.subject"}},
      {"no signer", [](auto& r) { r.mutable_envelope()->clear_signer(); },
       {"envelope.signer.full_name", "envelope.signer.position"}},
      {"priority 5", [](auto& r) { r.mutable_envelope()->set_priority(5); },
       {"envelope.priority"}},
      {"attachment without name",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(0)->clear_file_name(); },
       {"envelope.attachments[0].file_name"}},
      {"attachment name with a path",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(1)->set_file_name("../etc/passwd"); },
       {"envelope.attachments[1].file_name"}},
      {"attachment named ..",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(1)->set_file_name(".."); },
       {"envelope.attachments[1].file_name"}},
      {"content type without subtype",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(0)->set_content_type("application"); },
       {"envelope.attachments[0].content_type"}},
      {"content type of unknown top level",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(0)->set_content_type("foo/pdf"); },
       {"envelope.attachments[0].content_type"}},
      {"content type with parameters",
       [](auto& r) {
         r.mutable_envelope()->mutable_attachments(0)->set_content_type("text/plain; charset=utf-8");
       },
       {"envelope.attachments[0].content_type"}},
      {"no content type",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(0)->clear_content_type(); },
       {"envelope.attachments[0].content_type"}},
      {"size zero",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(1)->set_size_bytes(0); },
       {"envelope.attachments[1].size_bytes"}},
      {"negative size",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(1)->set_size_bytes(-1); },
       {"envelope.attachments[1].size_bytes"}},
      {"size over 50 MiB",
       [](auto& r) {
         r.mutable_envelope()->mutable_attachments(1)->set_size_bytes(kMaxAttachmentBytes + 1);
       },
       {"envelope.attachments[1].size_bytes"}},
      {"inline content of another size",
       [](auto& r) { r.mutable_envelope()->mutable_attachments(0)->set_size_bytes(6); },
       {"envelope.attachments[0].content"}},
      {"inline content over 3 MiB in all",
       [](auto& r) {
         v1::Attachment* big = r.mutable_envelope()->mutable_attachments(1);
         big->set_content(std::string(kMaxInlineContentBytes, 'x'));
         big->set_size_bytes(kMaxInlineContentBytes);
       },
       {"envelope.attachments"}},
      {"several problems at once",
       [](auto& r) {
         r.clear_message_id();
         r.mutable_envelope()->set_to_agencies(1, "x");
         r.mutable_envelope()->set_priority(9);
       },
       {"message_id", "envelope.to_agencies[1]", "envelope.priority"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::SendDocumentRequest request = ValidRequest();
    c.mutate(request);
    EXPECT_EQ(ViolatedFields(request), c.fields);
  }
}

TEST(ValidateCodeNotationTest, AcceptsRealNotations) {
  for (const char* notation : {"QĐ-UBND", "NĐ-CP", "QĐ-TTg", "2024/TT-BTC", "CV", "TTr-BYT",
                               "BC-UBND", "KH-SYT", "NQ-HĐND", "CT-TƯ"}) {
    SCOPED_TRACE(notation);
    EXPECT_TRUE(ValidateCodeNotation(notation, "n").ok());
  }
}

TEST(DocumentIdTest, RoundTripsAndRejectsOtherShapes) {
  EXPECT_EQ(DocumentIdFromRow(42), "DOC-000000000042");
  absl::StatusOr<int64_t> row = RowFromDocumentId("DOC-000000000042");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(*row, 42);
  for (const char* bad : {"", "DOC-42", "doc-000000000042", "DOC-00000000004x",
                          "DOC-000000000000", "DOC--00000000042", "DOC-0000000000420"}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<int64_t> parsed = RowFromDocumentId(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(CheckStatusTransitionTest, FollowsTheDocumentedChain) {
  using S = v1::DeliveryStatus;
  const std::vector<std::pair<S, S>> allowed = {
      {v1::DELIVERY_STATUS_ARRIVED, v1::DELIVERY_STATUS_REJECTED},
      {v1::DELIVERY_STATUS_ARRIVED, v1::DELIVERY_STATUS_ACCEPTED},
      {v1::DELIVERY_STATUS_ACCEPTED, v1::DELIVERY_STATUS_ASSIGNED},
      {v1::DELIVERY_STATUS_ASSIGNED, v1::DELIVERY_STATUS_PROCESSING},
      {v1::DELIVERY_STATUS_PROCESSING, v1::DELIVERY_STATUS_FINISHED},
  };
  for (int from = v1::DELIVERY_STATUS_ARRIVED; from <= v1::DELIVERY_STATUS_FINISHED; ++from) {
    for (int to = v1::DELIVERY_STATUS_UNSPECIFIED; to <= v1::DELIVERY_STATUS_FINISHED; ++to) {
      const std::pair<S, S> transition(static_cast<S>(from), static_cast<S>(to));
      SCOPED_TRACE(absl::StrCat(DeliveryStatusName(transition.first), " -> ",
                                DeliveryStatusName(transition.second)));
      const bool expected =
          std::find(allowed.begin(), allowed.end(), transition) != allowed.end();
      absl::Status status = CheckStatusTransition(transition.first, transition.second);
      EXPECT_EQ(status.ok(), expected) << status;
      if (!expected) {
        EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_NE(status.message().find(DeliveryStatusName(transition.first)), std::string::npos);
        EXPECT_NE(status.message().find(DeliveryStatusName(transition.second)),
                  std::string::npos);
      }
    }
  }
}

TEST(ValidateReportStatusRequestTest, NamesEveryBadField) {
  struct Case {
    std::string name;
    std::string text;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"valid", R"pb(document_id: "DOC-000000000001" status: DELIVERY_STATUS_ACCEPTED)pb", {}},
      {"valid rejection",
       R"pb(document_id: "DOC-000000000001" status: DELIVERY_STATUS_REJECTED
            reason: "wrong addressee")pb",
       {}},
      {"no document id", R"pb(status: DELIVERY_STATUS_ACCEPTED)pb", {"document_id"}},
      {"bad document id", R"pb(document_id: "7" status: DELIVERY_STATUS_ACCEPTED)pb",
       {"document_id"}},
      {"no status", R"pb(document_id: "DOC-000000000001")pb", {"status"}},
      {"ARRIVED is never reported",
       R"pb(document_id: "DOC-000000000001" status: DELIVERY_STATUS_ARRIVED)pb", {"status"}},
      {"unknown status", R"pb(document_id: "DOC-000000000001" status: 42)pb", {"status"}},
      {"rejection without reason",
       R"pb(document_id: "DOC-000000000001" status: DELIVERY_STATUS_REJECTED)pb", {"reason"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ReportStatusRequest request;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(c.text, &request));
    FieldViolations violations;
    ValidateReportStatusRequest(request, &violations);
    std::vector<std::string> fields;
    for (const auto& v : violations.bad_request().field_violations()) fields.push_back(v.field());
    EXPECT_EQ(fields, c.fields);
  }
}

}  // namespace
}  // namespace ndxp::documents
