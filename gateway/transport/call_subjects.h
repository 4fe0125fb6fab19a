// The data subjects of one call: the personal IDs its first request message
// names in the fields its method marks (ndxp.v1.data_subject), read off the
// message as it passes the stream's scanner (gateway/subjects), normalised,
// and kept in the call's record only as HMACs under the hub's current subject
// key: never the IDs.
//
// A message the hub cannot read whole (compressed in an encoding it does not
// inflate), a malformed one, or a value that is not a personal ID leaves the
// call without those subjects: the connector answers the caller's mistake
// (INVALID_ARGUMENT) and the record says whom else it was about. Only the
// first message is read: a client-streaming call is about the people its
// first message names.
#ifndef NDXP_GATEWAY_TRANSPORT_CALL_SUBJECTS_H_
#define NDXP_GATEWAY_TRANSPORT_CALL_SUBJECTS_H_

#include <memory>

#include "gateway/call/transaction_record.h"
#include "gateway/subjects/subject_extractor.h"
#include "gateway/subjects/subject_keys.h"
#include "gateway/transport/grpc_wire.h"

namespace ndxp::gateway::transport {

class CallSubjects : public FirstMessageReader {
 public:
  // `fields`, `keys` and `record` outlive this (the call's route, its
  // context and its record).
  CallSubjects(const subjects::SubjectExtractor& fields, const subjects::SubjectKeys& keys,
               TransactionRecord* record);

  void OnPayload(absl::string_view bytes) override;
  // Sets the record's subjects (lower-case hex HMACs, each person once, in
  // the order the message names them) and their key id.
  void OnMessageEnd(bool readable) override;

 private:
  const subjects::SubjectKeys& keys_;
  TransactionRecord* const record_;
  // While the message passes: the scan's state (a few KiB), dropped at its end.
  std::unique_ptr<subjects::SubjectScan> scan_;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_CALL_SUBJECTS_H_
