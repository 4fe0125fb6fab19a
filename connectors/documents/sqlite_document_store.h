// The reference DocumentStore: the axis's documents, deliveries, status
// histories and inboxes in one SQLite file.
//
// Schema (kSchema in the .cc): documents (the envelope as sent, unique by
// sender and message id), deliveries (one per recipient, current status),
// status_events (every status a delivery went through), inbox (agency,
// cursor = an AUTOINCREMENT key, so never reused; what the entry points at).
//
// Durability: WAL with synchronous=FULL, so every commit is fsynced before
// the call returns; a crash or power loss right after an acknowledgement
// loses nothing.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto store, SqliteDocumentStore::Open("documents.db"));
//   NDXP_ASSIGN_OR_RETURN(v1::SendDocumentResponse sent,
//                         store->SendDocument(request, absl::Now()));
//   NDXP_ASSIGN_OR_RETURN(auto items, store->ReadInbox("000.00.00.H49", 0, 100));
//
// Thread-safe: one connection serialised by a mutex (each call is a few
// indexed statements).
#ifndef NDXP_CONNECTORS_DOCUMENTS_SQLITE_DOCUMENT_STORE_H_
#define NDXP_CONNECTORS_DOCUMENTS_SQLITE_DOCUMENT_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connectors/documents/document_store.h"
#include "connectors/runtime/sqlite.h"

namespace ndxp::documents {

class SqliteDocumentStore final : public DocumentStore {
 public:
  // Opens or creates the database at `path` and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteDocumentStore>> Open(const std::string& path);

  absl::StatusOr<v1::SendDocumentResponse> SendDocument(const v1::SendDocumentRequest& request,
                                                        absl::Time now) override;
  absl::StatusOr<v1::GetDocumentResponse> GetDocument(absl::string_view document_id) override;
  absl::StatusOr<v1::Delivery> ReportStatus(absl::string_view document_id,
                                           absl::string_view recipient,
                                           v1::DeliveryStatus status, absl::string_view reason,
                                           absl::Time now) override;
  absl::StatusOr<std::vector<v1::InboxItem>> ReadInbox(absl::string_view agency,
                                                       int64_t after_cursor,
                                                       int limit) override;

 private:
  explicit SqliteDocumentStore(std::unique_ptr<ndxp::SqliteDatabase> db)
      : db_(std::move(db)) {}

  absl::StatusOr<v1::GetDocumentResponse> GetDocumentLocked(int64_t row)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The deliveries of document `row`, in recipient order, with histories.
  absl::StatusOr<std::vector<v1::Delivery>> DeliveriesLocked(int64_t row)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends a status event (and its inbox entry for `notify_agency`, unless
  // empty) and makes it the delivery's current status.
  absl::Status AppendEventLocked(int64_t row, absl::string_view recipient,
                                 v1::DeliveryStatus status, absl::string_view reason,
                                 absl::Time now, absl::string_view notify_agency)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  const std::unique_ptr<ndxp::SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::documents

#endif  // NDXP_CONNECTORS_DOCUMENTS_SQLITE_DOCUMENT_STORE_H_
