#include "gateway/recording/counter_reconciler.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gateway/call/call_kinds.h"

namespace ndxp::gateway {
namespace {

std::string CodeName(int64_t code) {
  std::string name = code >= 0 && code <= 16
                         ? absl::StatusCodeToString(static_cast<absl::StatusCode>(code))
                         : "";
  return name.empty() ? absl::StrCat(code) : name;
}

}  // namespace

void CounterReconciler::AddAuditRow(int64_t time_micros, const CounterKey& key,
                                    int64_t calls) {
  std::string day = local_day_.Of(time_micros);
  audit_days_.insert(day);
  counts_[Key(std::move(day), key.consumer, key.via, key.door, key.provider, key.service,
              key.method, key.status_code, key.refused)]
      .audit_rows += calls;
}

void CounterReconciler::AddCounter(absl::string_view day, const CounterKey& key, int64_t count) {
  counter_days_.insert(std::string(day));
  counts_[Key(std::string(day), key.consumer, key.via, key.door, key.provider, key.service,
              key.method, key.status_code, key.refused)]
      .counter += count;
}

absl::Status CounterReconciler::Check(absl::string_view database) const {
  std::string listed;
  int disagreements = 0;
  for (const auto& [key, counts] : counts_) {
    const auto& [day, consumer, via, door, provider, service, method, status_code, refused] = key;
    if (counts.audit_rows == counts.counter || audit_days_.count(day) == 0) continue;
    if (++disagreements > 10) continue;
    absl::StrAppend(&listed, "\n  day ", day, ", consumer ", consumer.empty() ? "(none)" : consumer,
                    via.empty() ? "" : absl::StrCat(" via ", via),
                    door == DoorName(Door::kGrpc) ? "" : absl::StrCat(" door ", door), ", method ",
                    service.empty() ? "(unknown)" : service, "/", method,
                    ", status ", CodeName(status_code), refused ? " (refused)" : "",
                    ": counters say ", counts.counter, ", audit rows ", counts.audit_rows);
  }
  if (disagreements == 0) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("counters in ", database, " disagree with the audit log (",
                                          disagreements, " count", disagreements == 1 ? "" : "s",
                                          disagreements > 10 ? ", the first 10" : "", "):",
                                          listed));
}

std::string CounterReconciler::Report() const {
  int64_t imported_days = 0;
  for (const std::string& day : counter_days_) imported_days += audit_days_.count(day) == 0;
  std::string report = absl::StrCat("counters reconciled with the audit log over ",
                                    audit_days_.size(), " day(s)");
  if (imported_days > 0) {
    absl::StrAppend(&report, "; ", imported_days,
                    " day(s) of counters without audit rows (imported history) not checked");
  }
  return report + "\n";
}

}  // namespace ndxp::gateway
