// The data store behind the document axis: documents, their deliveries with
// status histories, and every agency's inbox. The service talks only to this
// interface; the reference implementation is SQLite
// (sqlite_document_store.h).
//
// Inbox: an append-only log per agency. Each entry has a cursor, unique and
// strictly increasing across the whole store (so within each inbox too), and
// is either a document addressed to the agency or a status report about a
// document the agency sent. Reading never removes anything.
#ifndef NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_STORE_H_
#define NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ndxp/documents/v1/documents.pb.h"

namespace ndxp::documents {

// Implementations are thread-safe. Arguments are assumed already validated
// (document_validation.h); the store checks what needs its data: message-id
// reuse, existence, status transitions. Every write is durable when it
// returns OK: an acknowledged document or report is never lost.
class DocumentStore {
 public:
  virtual ~DocumentStore() = default;

  // Stores `request` as a document from envelope.from_agency, sent at
  // `now`, with an ARRIVED delivery and an inbox entry for each recipient,
  // all in one transaction. When the sender already used this message_id:
  // the same envelope returns the stored document (its deliveries as they
  // stand now, nothing new written); another envelope is ALREADY_EXISTS.
  virtual absl::StatusOr<v1::SendDocumentResponse> SendDocument(
      const v1::SendDocumentRequest& request, absl::Time now) = 0;

  // Envelope, message id, send time and deliveries (in recipient order) with
  // their histories. NOT_FOUND naming the document.
  virtual absl::StatusOr<v1::GetDocumentResponse> GetDocument(
      absl::string_view document_id) = 0;

  // Moves `recipient`'s delivery of the document to `status` (with
  // `reason`) at `now`, and appends a status report to the sender's inbox,
  // in one transaction; returns the delivery after it. Reporting the
  // current status again with the same reason changes nothing and returns
  // the delivery. NOT_FOUND when the document is unknown or `recipient` is
  // not one of its recipients; FAILED_PRECONDITION naming both states for a
  // transition CheckStatusTransition refuses.
  virtual absl::StatusOr<v1::Delivery> ReportStatus(absl::string_view document_id,
                                                   absl::string_view recipient,
                                                   v1::DeliveryStatus status,
                                                   absl::string_view reason, absl::Time now) = 0;

  // Up to `limit` (> 0) entries of `agency`'s inbox with a cursor greater
  // than `after_cursor`, in cursor order.
  virtual absl::StatusOr<std::vector<v1::InboxItem>> ReadInbox(absl::string_view agency,
                                                               int64_t after_cursor,
                                                               int limit) = 0;
};

}  // namespace ndxp::documents

#endif  // NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_STORE_H_
