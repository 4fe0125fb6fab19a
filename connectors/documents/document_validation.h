// The rules of the document axis's requests, in one place: the envelope's
// fields (agency codes, code number and notation, dates, priority,
// attachments), document ids, and the delivery status transitions. The
// service checks requests with these before touching the store; the store
// checks transitions again inside its transaction.
//
// Example:
//   FieldViolations violations;
//   ValidateSendDocumentRequest(request, &violations);
//   NDXP_RETURN_IF_ERROR(violations.ToStatus());  // "envelope.to_agencies[1]: ..."
//
// Everything here is a pure function: thread-safe.
#ifndef NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_VALIDATION_H_
#define NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "connectors/runtime/field_violations.h"
#include "ndxp/documents/v1/documents.pb.h"

namespace ndxp::documents {

// Limits (documented in documents.proto).
inline constexpr int kMaxRecipients = 100;
inline constexpr int kMaxAttachments = 50;
inline constexpr int64_t kMaxAttachmentBytes = int64_t{50} * 1024 * 1024;
// Inline content of one document together: under the hub's 4 MiB message
// limit, leaving room for the envelope.
inline constexpr int64_t kMaxInlineContentBytes = int64_t{3} * 1024 * 1024;
inline constexpr size_t kMaxMessageIdLength = 128;
inline constexpr size_t kMaxNameLength = 200;         // signer, place
inline constexpr size_t kMaxFileNameLength = 255;
inline constexpr size_t kMaxTextLength = 2000;        // subject, reason
inline constexpr size_t kMaxCodeNotationLength = 100;
inline constexpr uint32_t kMaxPriority = 4;
// Official documents of the Democratic Republic of Vietnam start in 1945.
inline constexpr int kMinPromulgationYear = 1945;

// Records every violation of `request` (message_id and the envelope, fields
// named "message_id", "envelope.to_agencies[1]",
// "envelope.attachments[0].size_bytes", ...) into `violations`. Whether the
// sender is the caller is not checked here (that is PERMISSION_DENIED).
void ValidateSendDocumentRequest(const v1::SendDocumentRequest& request,
                                 ndxp::connectors::FieldViolations* violations);

// Each returns OK or INVALID_ARGUMENT "<field>: <what is wrong>".
absl::Status ValidateCodeNumber(absl::string_view number, absl::string_view field);
absl::Status ValidateCodeNotation(absl::string_view notation, absl::string_view field);
absl::Status ValidateDocumentDate(absl::string_view date, absl::string_view field);
absl::Status ValidateContentType(absl::string_view content_type, absl::string_view field);
absl::Status ValidateFileName(absl::string_view file_name, absl::string_view field);
absl::Status ValidateMessageId(absl::string_view message_id, absl::string_view field);

// "123/QĐ-UBND" from the envelope's code number and notation.
std::string DocumentCode(const v1::Envelope& envelope);

// Document ids: "DOC-" and 12 digits, from the store's row number.
std::string DocumentIdFromRow(int64_t row);
// The row number of a document id; INVALID_ARGUMENT "<field>: ..." if it
// is not one.
absl::StatusOr<int64_t> RowFromDocumentId(absl::string_view document_id,
                                          absl::string_view field = "document_id");

// "ACCEPTED" for DELIVERY_STATUS_ACCEPTED, for messages.
absl::string_view DeliveryStatusName(v1::DeliveryStatus status);

// OK when a delivery in `from` may move to `to` (see DeliveryStatus in
// documents.proto); FAILED_PRECONDITION "cannot go from ARRIVED to FINISHED"
// otherwise.
absl::Status CheckStatusTransition(v1::DeliveryStatus from, v1::DeliveryStatus to);

// The violations of a ReportStatus request's own fields (document_id,
// status, reason), before any delivery is looked at.
void ValidateReportStatusRequest(const v1::ReportStatusRequest& request,
                                 ndxp::connectors::FieldViolations* violations);

}  // namespace ndxp::documents

#endif  // NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_VALIDATION_H_
