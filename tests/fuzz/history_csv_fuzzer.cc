// Fuzzes the history CSV parser (operators import files from other systems):
// it never crashes, and whatever it accepts survives a round trip through
// CSV with every field quoted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gateway/statistics/history_import.h"
#include "gateway/statistics/periods.h"

namespace {

using ndxp::gateway::statistics::HistoryCounter;
using ndxp::gateway::statistics::HistoryCsv;

std::string Quoted(const std::string& field) {
  return absl::StrCat("\"", absl::StrReplaceAll(field, {{"\"", "\"\""}}), "\"");
}

bool SameCounter(const HistoryCounter& a, const HistoryCounter& b) {
  return a.day == b.day && a.consumer == b.consumer && a.provider == b.provider &&
         a.service == b.service && a.method == b.method && a.status_code == b.status_code &&
         a.count == b.count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  absl::StatusOr<HistoryCsv> parsed = ndxp::gateway::statistics::ParseHistoryCsv(in, "fuzz");
  if (!parsed.ok()) return 0;

  int64_t total = 0;
  std::string csv = "day,consumer,provider,service,method,status,count\n";
  for (const HistoryCounter& c : parsed->counters) {
    if (c.count < 0 || !parsed->summary.first_day.has_value() ||
        c.day < *parsed->summary.first_day || c.day > *parsed->summary.last_day) {
      std::abort();
    }
    total += c.count;
    absl::StrAppend(&csv, ndxp::gateway::statistics::FormatDay(c.day), ",", Quoted(c.consumer),
                    ",", Quoted(c.provider), ",", Quoted(c.service), ",", Quoted(c.method), ",",
                    c.status_code, ",", c.count, "\n");
  }
  if (total != parsed->summary.total_count ||
      static_cast<int64_t>(parsed->counters.size()) > parsed->summary.rows) {
    std::abort();
  }

  std::istringstream again(csv);
  absl::StatusOr<HistoryCsv> reparsed = ndxp::gateway::statistics::ParseHistoryCsv(again, "again");
  if (!reparsed.ok() || reparsed->counters.size() != parsed->counters.size()) std::abort();
  for (size_t i = 0; i < parsed->counters.size(); ++i) {
    if (!SameCounter(parsed->counters[i], reparsed->counters[i])) std::abort();
  }
  return 0;
}
