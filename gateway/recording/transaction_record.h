// One transaction: a call the hub routed, whatever its outcome, or a call it
// refused after the handshake (docs/design.md "A transaction").
#ifndef NDXP_GATEWAY_RECORDING_TRANSACTION_RECORD_H_
#define NDXP_GATEWAY_RECORDING_TRANSACTION_RECORD_H_

#include <cstdint>
#include <string>

namespace ndxp::gateway {

struct TransactionRecord {
  int64_t time_micros = 0;     // when the call arrived, Unix time in microseconds
  std::string request_id;      // x-ndxp-request-id (caller's or generated)
  std::string consumer;        // "agency/subsystem" of the verified caller
  std::string provider;        // agency code of the data owner
  std::string service;         // "ndxp.residents.v1.ResidentRegistry"
  std::string method;          // "GetCitizen"
  int status_code = 0;         // canonical gRPC status code
  int64_t latency_micros = 0;  // arrival to answer
  int64_t request_bytes = 0;   // message payload bytes, caller -> connector
  int64_t response_bytes = 0;  // message payload bytes, connector -> caller
  std::string purpose;         // x-ndxp-purpose, "" when none
  // Why the hub refused the call (the message it answered with), "" for a
  // call it forwarded. A refused call's service and method are "" unless
  // the path named a route or a hub-local method, so that unknown paths
  // cannot grow the counters.
  std::string refusal;
  // The peer hub the call came through ("agency/subsystem"), "" for a call
  // from a direct member.
  std::string via;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_TRANSACTION_RECORD_H_
