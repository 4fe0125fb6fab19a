// One transaction: a call the hub routed, whatever its outcome, or a call it
// refused after the handshake (docs/design.md "A transaction").
#ifndef NDXP_GATEWAY_CALL_TRANSACTION_RECORD_H_
#define NDXP_GATEWAY_CALL_TRANSACTION_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/call/call_kinds.h"

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
  // "agency/subsystem" of the peer hub the call came through, whose signed
  // assertion named `consumer` (docs/design.md "The transaction"); "" for a
  // call from a direct member.
  std::string via;

  // Since ndxp-audit-v4 (audit_chain.h): what the row stands for, the door
  // the call came in by, and the refusal's kind (kNone for a forwarded call).
  RowKind row_kind = RowKind::kCall;
  Door door = Door::kGrpc;
  Refusal refusal_kind = Refusal::kNone;
  // How many calls the row stands for: 1, but for a refusal summary (the
  // repeats of one refusal within a second, whose request ids are not kept).
  int64_t repeat = 1;
  // The data subjects the call was about: HMACs of their normalised
  // personal IDs under the key `subject_key_id` (never the IDs), and when
  // they may see it (Unix microseconds; 0: at once).
  std::string subject_key_id;
  std::vector<std::string> subjects;
  int64_t visible_after_micros = 0;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_CALL_TRANSACTION_RECORD_H_
