// Transactions for the recording tests: a UTC instant, and a routed call's
// record with every field set.
#ifndef NDXP_GATEWAY_RECORDING_TEST_RECORDS_H_
#define NDXP_GATEWAY_RECORDING_TEST_RECORDS_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gateway/call/transaction_record.h"

namespace ndxp::gateway::testing {

inline int64_t UtcMicros(int year, int month, int day, int hour, int minute, int second) {
  return absl::ToUnixMicros(absl::FromCivil(
      absl::CivilSecond(year, month, day, hour, minute, second), absl::UTCTimeZone()));
}

inline TransactionRecord MakeRecord(int64_t time_micros, std::string request_id,
                                    std::string consumer = "000.00.00.G12/tax-lookup",
                                    int status_code = 0) {
  TransactionRecord r;
  r.time_micros = time_micros;
  r.request_id = std::move(request_id);
  r.consumer = std::move(consumer);
  r.provider = "000.00.00.H49";
  r.service = "ndxp.residents.v1.ResidentRegistry";
  r.method = "GetCitizen";
  r.status_code = status_code;
  r.latency_micros = 1500;
  r.request_bytes = 42;
  r.response_bytes = 512;
  r.purpose = "tax audit";
  return r;
}

}  // namespace ndxp::gateway::testing

#endif  // NDXP_GATEWAY_RECORDING_TEST_RECORDS_H_
