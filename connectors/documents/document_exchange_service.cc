#include "connectors/documents/document_exchange_service.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/identifiers/agency_code.h"
#include "connectors/documents/document_validation.h"
#include "connectors/runtime/caller_info.h"
#include "connectors/runtime/field_violations.h"
#include "common/status/status_util.h"
#include "common/identity/spiffe_id.h"

namespace ndxp::documents {
namespace {

using ndxp::connectors::FieldViolations;
using ndxp::ToGrpcStatus;

// One ReceiveInbox stream: sends the caller's inbox after a cursor, a page at
// a time, one write in flight; in follow mode it then waits, holding no
// thread, until the notifier says the inbox grew, the caller cancels, its
// deadline passes or the server shuts down. Owns itself: deleted in OnDone,
// after which gRPC calls nothing on it, and the notifier neither (it is
// removed first).
class InboxReactor final : public grpc::ServerWriteReactor<v1::InboxItem>,
                           public InboxNotifier::Watcher {
 public:
  InboxReactor(DocumentStore* store, InboxNotifier* notifier, std::string agency,
               int64_t after_cursor, bool follow, int page_size)
      : store_(store),
        notifier_(notifier),
        agency_(std::move(agency)),
        follow_(follow),
        page_size_(page_size),
        cursor_(after_cursor) {}

  void Start() {
    if (!follow_) {
      absl::MutexLock lock(&mu_);
      PumpLocked();
      return;
    }
    // Headers first, so a follower with an empty inbox knows it is
    // connected; busy_ holds back any wake-up until they are sent.
    {
      absl::MutexLock lock(&mu_);
      busy_ = true;
    }
    // Registered before the backlog is read: an item committed from now on
    // either is in the first page or wakes us. Not under mu_: the notifier
    // calls us under its own lock.
    notifier_->Add(agency_, this);
    StartSendInitialMetadata();
  }

  void OnSendInitialMetadataDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    busy_ = false;
    if (!ok) return FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
    PumpLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    busy_ = false;
    if (!ok) return FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
    cursor_ = pending_.front().cursor();
    pending_.pop_front();
    PumpLocked();
  }

  void OnInboxChanged() override {
    absl::MutexLock lock(&mu_);
    PumpLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "inbox stream cancelled"));
  }

  void OnDone() override {
    if (follow_) notifier_->Remove(agency_, this);
    delete this;
  }

 private:
  // Starts the next write if none is in flight: from the page in hand, else
  // from a fresh page after the cursor; with nothing left, finishes (or, when
  // following, waits for OnInboxChanged).
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || busy_) return;
    if (pending_.empty()) {
      absl::StatusOr<std::vector<v1::InboxItem>> page =
          store_->ReadInbox(agency_, cursor_, page_size_);
      if (!page.ok()) return FinishLocked(ToGrpcStatus(page.status()));
      for (v1::InboxItem& item : *page) pending_.push_back(std::move(item));
    }
    if (!pending_.empty()) {
      busy_ = true;
      StartWrite(&pending_.front());
    } else if (!follow_) {
      FinishLocked(grpc::Status::OK);
    }
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  // Constant after construction.
  DocumentStore* const store_;
  InboxNotifier* const notifier_;
  const std::string agency_;
  const bool follow_;
  const int page_size_;

  absl::Mutex mu_;
  int64_t cursor_ ABSL_GUARDED_BY(mu_);  // the last item written (or asked after)
  // Read, not yet written; the front is being written when busy_.
  std::deque<v1::InboxItem> pending_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // an operation is in flight
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// A stream refused before it started.
class RefusedInboxReactor final : public grpc::ServerWriteReactor<v1::InboxItem> {
 public:
  explicit RefusedInboxReactor(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

bool IsRecipient(const v1::Envelope& envelope, absl::string_view agency) {
  return std::find(envelope.to_agencies().begin(), envelope.to_agencies().end(), agency) !=
         envelope.to_agencies().end();
}

}  // namespace

DocumentExchangeService::DocumentExchangeService(DocumentStore* store, Options options)
    : store_(store), options_([&options] {
        if (!options.clock) options.clock = [] { return absl::Now(); };
        options.inbox_page_size = std::max(options.inbox_page_size, 1);
        return std::move(options);
      }()) {}

absl::StatusOr<std::string> DocumentExchangeService::CallerAgency(
    const grpc::ServerContextBase& context) const {
  const ndxp::connectors::CallerInfo caller = ndxp::connectors::CallerInfoFromContext(context);
  if (caller.consumer.empty()) {
    return absl::UnauthenticatedError("the call carries no caller identity");
  }
  absl::StatusOr<::ndxp::ConsumerIdentity> identity =
      ::ndxp::ParseSpiffeId(caller.consumer, options_.trust_domain);
  if (!identity.ok()) return identity.status();
  return std::string(identity->agency);
}

grpc::Status DocumentExchangeService::SendDocument(grpc::ServerContext* context,
                                                   const v1::SendDocumentRequest* request,
                                                   v1::SendDocumentResponse* response) {
  absl::StatusOr<std::string> caller = CallerAgency(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<v1::SendDocumentResponse> sent = Send(*caller, *request);
  if (!sent.ok()) return ToGrpcStatus(sent.status());
  *response = *std::move(sent);
  return grpc::Status::OK;
}

absl::StatusOr<v1::SendDocumentResponse> DocumentExchangeService::Send(
    const std::string& caller, const v1::SendDocumentRequest& request) {
  const std::string& sender = request.envelope().from_agency();
  // Spoofing first: a well-formed sender that is not the caller is refused
  // whatever else the request says.
  if (identifiers::IsValidAgencyCode(sender) && sender != caller) {
    return absl::PermissionDeniedError(
        absl::StrCat("agency ", caller, " may send documents only in its own name, not as ",
                     sender));
  }
  FieldViolations violations;
  ValidateSendDocumentRequest(request, &violations);
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  NDXP_ASSIGN_OR_RETURN(v1::SendDocumentResponse sent,
                        store_->SendDocument(request, options_.clock()));
  for (const std::string& recipient : request.envelope().to_agencies()) {
    notifier_.Notify(recipient);
  }
  return sent;
}

grpc::Status DocumentExchangeService::ReportStatus(grpc::ServerContext* context,
                                                   const v1::ReportStatusRequest* request,
                                                   v1::ReportStatusResponse* response) {
  absl::StatusOr<std::string> caller = CallerAgency(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<v1::Delivery> delivery = Report(*caller, *request);
  if (!delivery.ok()) return ToGrpcStatus(delivery.status());
  *response->mutable_delivery() = *std::move(delivery);
  return grpc::Status::OK;
}

absl::StatusOr<v1::Delivery> DocumentExchangeService::Report(
    const std::string& caller, const v1::ReportStatusRequest& request) {
  FieldViolations violations;
  ValidateReportStatusRequest(request, &violations);
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  NDXP_ASSIGN_OR_RETURN(v1::GetDocumentResponse document,
                        store_->GetDocument(request.document_id()));
  if (!IsRecipient(document.envelope(), caller)) {
    return absl::PermissionDeniedError(
        absl::StrCat("agency ", caller, " is not a recipient of document ",
                     request.document_id(), ": only a recipient reports on its delivery"));
  }
  NDXP_ASSIGN_OR_RETURN(v1::Delivery delivery,
                        store_->ReportStatus(request.document_id(), caller, request.status(),
                                             request.reason(), options_.clock()));
  notifier_.Notify(document.envelope().from_agency());
  return delivery;
}

grpc::Status DocumentExchangeService::GetDocument(grpc::ServerContext* context,
                                                  const v1::GetDocumentRequest* request,
                                                  v1::GetDocumentResponse* response) {
  absl::StatusOr<std::string> caller = CallerAgency(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<v1::GetDocumentResponse> document = Get(*caller, *request);
  if (!document.ok()) return ToGrpcStatus(document.status());
  *response = *std::move(document);
  return grpc::Status::OK;
}

absl::StatusOr<v1::GetDocumentResponse> DocumentExchangeService::Get(
    const std::string& caller, const v1::GetDocumentRequest& request) {
  FieldViolations violations;
  violations.Check("document_id", RowFromDocumentId(request.document_id()).status());
  NDXP_RETURN_IF_ERROR(violations.ToStatus());
  NDXP_ASSIGN_OR_RETURN(v1::GetDocumentResponse document,
                        store_->GetDocument(request.document_id()));
  if (document.envelope().from_agency() != caller && !IsRecipient(document.envelope(), caller)) {
    return absl::PermissionDeniedError(
        absl::StrCat("agency ", caller, " is neither the sender nor a recipient of document ",
                     request.document_id()));
  }
  return document;
}

grpc::ServerWriteReactor<v1::InboxItem>* DocumentExchangeService::ReceiveInbox(
    grpc::CallbackServerContext* context, const v1::ReceiveInboxRequest* request) {
  absl::StatusOr<std::string> caller = CallerAgency(*context);
  if (!caller.ok()) return new RefusedInboxReactor(caller.status());
  if (request->after_cursor() < 0) {
    return new RefusedInboxReactor(ndxp::connectors::InvalidField(
        "after_cursor", absl::StrCat("must not be negative, got ", request->after_cursor())));
  }
  auto* reactor = new InboxReactor(store_, &notifier_, *std::move(caller),
                                   request->after_cursor(), request->follow(),
                                   options_.inbox_page_size);
  reactor->Start();
  return reactor;
}

}  // namespace ndxp::documents
