#include "gateway/admin/subject_access_method.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/protocol/hub_services.h"
#include "common/tls/credentials.h"
#include "gateway/admin/recording_store.h"
#include "gateway/recording/subject_access.h"
#include "gateway/statistics/status_codes.h"
#include "gateway/subjects/personal_id.h"
#include "ndxp/hub/v1/data_subject_access.pb.h"

namespace ndxp::gateway {
namespace {

using grpc::ByteBuffer;
using grpc::StatusCode;
using hub::v1::Access;
using hub::v1::ListAccessesRequest;
using hub::v1::ListAccessesResponse;
using statistics::NameLanguage;

// An operator's lookup that the writer has not committed by then is
// answered UNAVAILABLE rather than holding the worker.
constexpr absl::Duration kLookupCommitTimeout = absl::Seconds(30);

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<StatusCode>(status.code()), std::string(status.message()));
}

int64_t MicrosOf(const google::protobuf::Timestamp& time) {
  return time.seconds() * 1000000 + time.nanos() / 1000;
}

void SetTime(int64_t micros, google::protobuf::Timestamp* time) {
  const absl::Time t = absl::FromUnixMicros(micros);
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down, before 1970 too
  time->set_seconds(seconds);
  time->set_nanos(static_cast<int32_t>((micros - seconds * 1000000) * 1000));
}

// A row as the person (or an operator) reads it: names beside the codes.
Access AccessOf(const SubjectAccess& row, const statistics::AgencyDirectory& agencies,
                bool from_operator) {
  Access access;
  SetTime(row.time_micros, access.mutable_time());
  access.set_consumer(row.consumer);
  access.set_consumer_name(agencies.Name(row.consumer, NameLanguage::kVietnamese));
  access.set_provider(row.provider);
  access.set_provider_name(agencies.Name(row.provider, NameLanguage::kVietnamese));
  access.set_method(absl::StrCat("/", row.service, "/", row.method));
  access.set_purpose(row.purpose);
  access.set_status(statistics::StatusCodeName(row.status_code));
  access.set_door(row.door);
  access.set_via(row.via);
  access.set_request_id(row.request_id);
  if (from_operator && row.visible_after_micros > row.time_micros) {
    SetTime(row.visible_after_micros, access.mutable_notice_deferred_until());
  }
  return access;
}

}  // namespace

grpc::Status ListAccessesMethod::Answer(const LocalCall& call, ByteBuffer* request_bytes,
                                        ByteBuffer* response_bytes) const {
  if (parts_.keys == nullptr || parts_.verifier == nullptr) {
    return grpc::Status(StatusCode::FAILED_PRECONDITION, "data subjects are not configured");
  }
  if (parts_.store == nullptr || parts_.recorder == nullptr) {
    return grpc::Status(StatusCode::FAILED_PRECONDITION,
                        "recording is off on this hub: no accesses are kept");
  }
  ListAccessesRequest request;
  if (!grpc::SerializationTraits<ListAccessesRequest>::Deserialize(request_bytes, &request)
           .ok()) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT, "malformed ListAccessesRequest");
  }
  if (request.page_size() < 0 || request.page_size() > kMaxSubjectPageSize) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("page_size must be 1..", kMaxSubjectPageSize, " (0: ",
                                     kDefaultSubjectPageSize, ")"));
  }

  // Who asks. Messages never name the personal ID nor the token's sub.
  const std::string reason(absl::StripAsciiWhitespace(request.reason()));
  std::optional<std::string> token_sub;
  if (call.from_operator) {
    if (reason.empty()) {
      return grpc::Status(StatusCode::INVALID_ARGUMENT,
                          "reason is required: an operator's lookup is recorded with it");
    }
    if (reason.size() > kMaxLookupReasonBytes) {
      return grpc::Status(StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("reason is at most ", kMaxLookupReasonBytes, " bytes"));
    }
  } else {
    std::optional<absl::string_view> token = call.Header(parts_.token_header);
    if (!token.has_value()) {
      return grpc::Status(StatusCode::UNAUTHENTICATED,
                          absl::StrCat("subject token: the ", parts_.token_header,
                                       " header is required (the identity provider's token of "
                                       "the person asking)"));
    }
    absl::StatusOr<VerifiedSubject> subject = parts_.verifier->Verify(*token);
    if (!subject.ok()) return ToGrpc(subject.status());
    token_sub = subjects::NormalizePersonalId(subject->sub);
    if (!token_sub.has_value()) {
      return grpc::Status(StatusCode::UNAUTHENTICATED,
                          "subject token: its sub is not a personal ID");
    }
  }
  const std::optional<std::string> personal_id =
      subjects::NormalizePersonalId(request.personal_id());
  if (!personal_id.has_value()) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT,
                        "personal_id is not a personal ID (12 digits, or 9 of an old ID card)");
  }
  if (token_sub.has_value() && *token_sub != *personal_id) {
    return grpc::Status(StatusCode::PERMISSION_DENIED, "the token is for another person");
  }

  SubjectQuery query;
  for (subjects::KeyedSubjectHmac& keyed : parts_.keys->AllHmacs(*personal_id)) {
    query.subjects.push_back({std::move(keyed.key_id), absl::BytesToHexString(keyed.hmac)});
  }
  if (request.has_start_time()) query.from_micros = MicrosOf(request.start_time());
  if (request.has_end_time()) query.to_micros = MicrosOf(request.end_time());
  query.visible_at_micros = absl::ToUnixMicros(parts_.clock->Now());
  query.include_deferred = call.from_operator;
  query.page_size = request.page_size();
  query.page_token = request.page_token();
  // A malformed query is refused before an operator's lookup is recorded.
  if (absl::StatusOr<SubjectScan> scan = PrepareSubjectScan(query); !scan.ok()) {
    return ToGrpc(scan.status());
  }
  if (call.from_operator) {
    // AllHmacs lists the current key's first.
    grpc::Status recorded = RecordLookup(call, query.subjects.front().hmac_hex, reason);
    if (!recorded.ok()) return recorded;
  }

  absl::StatusOr<SubjectAccessPage> page;
  {
    absl::MutexLock lock(&store_mu_);
    page = parts_.store->ListSubjectAccesses(query);
  }
  if (!page.ok()) return ToGrpc(page.status());
  ListAccessesResponse response;
  for (const SubjectAccess& row : page->accesses) {
    *response.add_accesses() = AccessOf(row, *parts_.agencies, call.from_operator);
  }
  response.set_next_page_token(page->next_page_token);
  response_bytes->Clear();
  bool own_buffer;
  return grpc::SerializationTraits<ListAccessesResponse>::Serialize(response, response_bytes,
                                                                   &own_buffer);
}

grpc::Status ListAccessesMethod::RecordLookup(const LocalCall& call,
                                              const std::string& subject_hmac_hex,
                                              const std::string& reason) const {
  TransactionRecord record;
  record.row_kind = RowKind::kOperatorLookup;
  record.time_micros = absl::ToUnixMicros(call.started);
  record.latency_micros = absl::ToInt64Microseconds(absl::Now() - call.started);
  record.request_id = call.request_id;
  record.consumer = call.consumer;
  record.via = call.via;
  record.door = call.door;
  record.service = protocol::kDataSubjectAccessService;
  record.method = kListAccesses;
  record.status_code = static_cast<int>(StatusCode::OK);
  record.purpose = reason;
  record.subject_key_id = parts_.keys->Current();
  record.subjects = {subject_hmac_hex};
  if (!parts_.hold_until_recorded) {  // FAST: recorded within milliseconds
    parts_.recorder->Record(call.shard, std::move(record));
    return grpc::Status::OK;
  }
  // DURABLE: nothing is shown before the lookup is on record. Shared with
  // the writer's callback, which may outlive a wait that timed out.
  struct Outcome {
    absl::Notification committed;
    absl::Status status;
  };
  auto outcome = std::make_shared<Outcome>();
  parts_.recorder->Record(call.shard, std::move(record), [outcome](const absl::Status& status) {
    outcome->status = status;
    outcome->committed.Notify();
  });
  if (!outcome->committed.WaitForNotificationWithTimeout(kLookupCommitTimeout)) {
    return grpc::Status(StatusCode::UNAVAILABLE, "the lookup could not be recorded in time");
  }
  if (!outcome->status.ok()) {
    return grpc::Status(StatusCode::UNAVAILABLE, "the lookup could not be recorded");
  }
  return grpc::Status::OK;
}

absl::Status AddDataSubjectAccess(const ndxp::config::v1::HubConfig& config,
                                  const ndxp::config::v1::Recording* recording,
                                  ListAccessesMethod::Parts parts, LocalServices* local) {
  if (config.has_data_subjects()) {
    const ndxp::config::v1::DataSubjects& subjects = config.data_subjects();
    if (!subjects.token_header().empty()) parts.token_header = subjects.token_header();
    // Checked when the configuration loaded (CheckDataSubjects).
    absl::StatusOr<std::string> pem = tls::ReadFile(subjects.provider_public_key());
    if (!pem.ok()) return pem.status();
    SubjectTokenOptions options;
    options.issuer = subjects.issuer();
    options.audience = subjects.audience();
    options.clock = parts.clock;
    absl::StatusOr<std::unique_ptr<SubjectTokenVerifier>> verifier =
        SubjectTokenVerifier::Create(*pem, options);
    if (!verifier.ok()) return verifier.status();
    parts.verifier = *std::move(verifier);
    if (recording != nullptr) {
      // A replica name of its own: it reads every replica's rows and never
      // writes a chain.
      absl::StatusOr<std::unique_ptr<TransactionStore>> store = OpenRecordingStore(
          *recording, EffectiveRecordingMode(*recording), ReplicaOf(*recording) + "-reader");
      if (!store.ok()) return store.status();
      parts.store = *std::move(store);
    }
  }
  local->Add(protocol::kDataSubjectAccessService, kListAccesses,
             std::make_unique<ListAccessesMethod>(std::move(parts)));
  return absl::OkStatus();
}

}  // namespace ndxp::gateway
