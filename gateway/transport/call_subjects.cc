#include "gateway/transport/call_subjects.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "gateway/subjects/personal_id.h"

namespace ndxp::gateway::transport {

CallSubjects::CallSubjects(const subjects::SubjectExtractor& fields,
                           const subjects::SubjectKeys& keys, TransactionRecord* record)
    : keys_(keys), record_(record), scan_(std::make_unique<subjects::SubjectScan>(fields)) {}

void CallSubjects::OnPayload(absl::string_view bytes) {
  if (scan_ != nullptr) scan_->Feed(bytes);
}

void CallSubjects::OnMessageEnd(bool readable) {
  std::unique_ptr<subjects::SubjectScan> scan = std::move(scan_);
  if (scan == nullptr || !readable) return;
  subjects::SubjectIds ids;
  if (scan->Finish(&ids) == subjects::ExtractStatus::kMalformed) return;
  const std::string& key_id = keys_.Current();
  for (const std::string& id : ids) {
    std::optional<std::string> normalised = subjects::NormalizePersonalId(id);
    if (!normalised.has_value()) continue;
    absl::StatusOr<std::string> hmac = keys_.Hmac(key_id, *normalised);
    if (!hmac.ok()) continue;  // the current key is always held
    std::string hex = absl::BytesToHexString(*hmac);
    if (std::find(record_->subjects.begin(), record_->subjects.end(), hex) ==
        record_->subjects.end()) {
      record_->subjects.push_back(std::move(hex));
    }
  }
  if (!record_->subjects.empty()) record_->subject_key_id = key_id;
}

}  // namespace ndxp::gateway::transport
