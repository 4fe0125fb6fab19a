// ndxp.documents.v1.DocumentExchange over a DocumentStore: the electronic
// document axis between agencies.
//
// Who calls: the caller's agency is read from x-ndxp-consumer (set by the hub
// from the verified certificate) and parsed as a SPIFFE ID of the
// federation's trust domain; a call without a valid identity is
// UNAUTHENTICATED. An agency sends only in its own name (PERMISSION_DENIED
// otherwise), reads only its own inbox, reports only on its own deliveries,
// and sees only documents it sent or received.
//
// Threading: SendDocument, ReportStatus and GetDocument are synchronous
// handlers (they block on the store's fsync, which is what a sync server's
// thread pool is for). ReceiveInbox uses the callback API: a follow-mode
// stream holds no thread while it waits; InboxNotifier wakes it when the
// agency's inbox grows, and cancellation (client, deadline, server shutdown)
// ends it through OnCancel. Reading a page of the inbox from the local
// SQLite store happens inside the reactions (a few milliseconds at most).
//
// Thread-safe. The store is not owned and must outlive the service, and the
// service must outlive the server it is registered with (every stream has
// ended once the server has shut down).
#ifndef NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_EXCHANGE_SERVICE_H_
#define NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_EXCHANGE_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/documents/document_store.h"
#include "connectors/documents/inbox_notifier.h"
#include "ndxp/documents/v1/documents.grpc.pb.h"

namespace ndxp::documents {

class DocumentExchangeService final
    : public v1::DocumentExchange::WithCallbackMethod_ReceiveInbox<
          v1::DocumentExchange::Service> {
 public:
  struct Options {
    // The federation's trust domain: callers' SPIFFE IDs must be in it.
    std::string trust_domain;
    // Stamps documents and status events. Default: absl::Now.
    std::function<absl::Time()> clock;
    // Inbox items read from the store at a time by a stream.
    int inbox_page_size = 64;
  };

  DocumentExchangeService(DocumentStore* store, Options options);

  grpc::Status SendDocument(grpc::ServerContext* context, const v1::SendDocumentRequest* request,
                            v1::SendDocumentResponse* response) override;
  grpc::Status ReportStatus(grpc::ServerContext* context, const v1::ReportStatusRequest* request,
                            v1::ReportStatusResponse* response) override;
  grpc::Status GetDocument(grpc::ServerContext* context, const v1::GetDocumentRequest* request,
                           v1::GetDocumentResponse* response) override;
  grpc::ServerWriteReactor<v1::InboxItem>* ReceiveInbox(
      grpc::CallbackServerContext* context, const v1::ReceiveInboxRequest* request) override;

  // Follow-mode streams open now.
  int followers() const { return notifier_.watcher_count(); }

 private:
  // The agency code of the call's consumer; UNAUTHENTICATED if it has none.
  absl::StatusOr<std::string> CallerAgency(const grpc::ServerContextBase& context) const;

  absl::StatusOr<v1::SendDocumentResponse> Send(const std::string& caller,
                                                const v1::SendDocumentRequest& request);
  absl::StatusOr<v1::Delivery> Report(const std::string& caller,
                                      const v1::ReportStatusRequest& request);
  absl::StatusOr<v1::GetDocumentResponse> Get(const std::string& caller,
                                              const v1::GetDocumentRequest& request);

  // Constant after construction.
  DocumentStore* const store_;
  const Options options_;

  InboxNotifier notifier_;  // thread-safe
};

}  // namespace ndxp::documents

#endif  // NDXP_CONNECTORS_DOCUMENTS_DOCUMENT_EXCHANGE_SERVICE_H_
