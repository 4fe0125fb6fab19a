// The receipt the hub gives a caller whose call it recorded durably: which
// row of which replica's audit log is the call's, and that row's leaf hash in
// the replica's Merkle tree (RFC 9162 2.1.1), in one header value:
//   <replica>:<leaf index>:<leaf hash, 64 lowercase hex digits>
// e.g. "hub-1:41:9f86d081884c7d65...". The leaf index is the row's seq - 1;
// `<replica>:<leaf index>` is what `ndxpctl audit prove` takes. A receipt
// alone proves nothing: a checkpoint that covers it and an inclusion proof
// do (docs/design.md "Transparency").
#ifndef NDXP_GATEWAY_RECORDING_AUDIT_RECEIPT_H_
#define NDXP_GATEWAY_RECORDING_AUDIT_RECEIPT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/recording/transaction_store.h"

namespace ndxp::gateway {

struct AuditReceipt {
  std::string replica;
  int64_t leaf_index = 0;
  AuditLeafHash leaf_hash{};
};

// The header value of `row` of `replica`'s chain.
std::string FormatAuditReceipt(absl::string_view replica, const AppendedRow& row);

// Reads a header value; INVALID_ARGUMENT naming what is wrong.
absl::StatusOr<AuditReceipt> ParseAuditReceipt(absl::string_view value);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_RECORDING_AUDIT_RECEIPT_H_
