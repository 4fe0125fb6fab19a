// ndxp.hub.v1.DataSubjectAccess/ListAccesses: the calls recorded about one
// person (docs/design.md "Data subjects", "The person asks"), read from the
// recording's store over a connection of its own on the hub's worker.
//
// Who may ask, beyond admission (granted, or an operator):
//  - a granted member, for the person: the identity provider's subject token
//    in the configured header, whose normalised `sub` is the personal_id
//    asked about. Rows whose notice is deferred stay hidden until then;
//  - an operator, with a reason: the lookup is recorded first, as an
//    operator_lookup audit row (the reason its purpose, the person's HMAC its
//    subject), and, when the hub holds answers until recorded, answered only
//    once that row is committed. Deferred rows are listed, with their
//    deferral.
#ifndef NDXP_GATEWAY_ADMIN_SUBJECT_ACCESS_METHOD_H_
#define NDXP_GATEWAY_ADMIN_SUBJECT_ACCESS_METHOD_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/time/clock.h"
#include "gateway/config/hub_config.h"
#include "gateway/identity/subject_token.h"
#include "gateway/local/local_services.h"
#include "gateway/recording/recorder.h"
#include "gateway/recording/transaction_store.h"
#include "gateway/statistics/agency_directory.h"
#include "gateway/subjects/subject_keys.h"

namespace ndxp::gateway {

inline constexpr char kListAccesses[] = "ListAccesses";
// An operator's reason is kept in the audit row, as a purpose is: bounded.
inline constexpr size_t kMaxLookupReasonBytes = 512;

class ListAccessesMethod final : public LocalMethod {
 public:
  struct Parts {
    // Both null without data_subjects: FAILED_PRECONDITION.
    std::unique_ptr<SubjectTokenVerifier> verifier;
    const subjects::SubjectKeys* keys = nullptr;  // the HubContext's; outlives this
    std::string token_header = kDefaultSubjectTokenHeader;
    // A store of its own, for reads (the recorder's belongs to its writer
    // thread); null with recording off: FAILED_PRECONDITION.
    std::unique_ptr<TransactionStore> store;
    std::shared_ptr<const statistics::AgencyDirectory> agencies;  // not null
    // Where an operator's lookup is recorded (the hub's), and whether it is
    // answered only once committed.
    Recorder* recorder = nullptr;
    bool hold_until_recorded = false;
    Clock* clock = Clock::Real();  // what "now" is for deferred notices
  };
  explicit ListAccessesMethod(Parts parts) : parts_(std::move(parts)) {}

  Shape shape() const override { return Shape::kUnary; }
  bool operators_need_no_grant() const override { return true; }
  bool blocking() const override { return true; }
  bool answers_json_door() const override { return true; }
  grpc::Status Answer(const LocalCall& call, grpc::ByteBuffer* request,
                      grpc::ByteBuffer* response) const override;

 private:
  // Records an operator's lookup of `subject_hmac_hex` (under the current
  // key) for `reason`; waits for the commit when answers wait for theirs.
  grpc::Status RecordLookup(const LocalCall& call, const std::string& subject_hmac_hex,
                            const std::string& reason) const;

  Parts parts_;
  // The store is not thread-safe; the worker is one thread, but a reload
  // may hand calls to a new worker task while one runs.
  mutable absl::Mutex store_mu_;
};

// Adds DataSubjectAccess/ListAccesses to `local` for `config`: its token
// verifier from data_subjects, a reading store of `recording` (null:
// recording off). An error if the store cannot be opened.
absl::Status AddDataSubjectAccess(const ndxp::config::v1::HubConfig& config,
                                  const ndxp::config::v1::Recording* recording,
                                  ListAccessesMethod::Parts parts, LocalServices* local);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMIN_SUBJECT_ACCESS_METHOD_H_
