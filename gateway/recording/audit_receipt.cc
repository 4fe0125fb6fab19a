#include "gateway/recording/audit_receipt.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ndxp::gateway {

std::string FormatAuditReceipt(absl::string_view replica, const AppendedRow& row) {
  return absl::StrCat(
      replica, ":", row.seq - 1, ":",
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(row.leaf_hash.data()), row.leaf_hash.size())));
}

absl::StatusOr<AuditReceipt> ParseAuditReceipt(absl::string_view value) {
  // From the right: a replica name may hold ':'.
  const size_t hash_colon = value.rfind(':');
  const size_t index_colon =
      hash_colon == absl::string_view::npos || hash_colon == 0
          ? absl::string_view::npos
          : value.rfind(':', hash_colon - 1);
  if (index_colon == absl::string_view::npos || index_colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "receipt \"", value, "\": expected <replica>:<leaf index>:<leaf hash in hex>"));
  }
  AuditReceipt receipt;
  receipt.replica = std::string(value.substr(0, index_colon));
  const absl::string_view index = value.substr(index_colon + 1, hash_colon - index_colon - 1);
  if (!absl::SimpleAtoi(index, &receipt.leaf_index) || receipt.leaf_index < 0 ||
      !std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(
        absl::StrCat("receipt: leaf index \"", index, "\" is not a non-negative integer"));
  }
  const absl::string_view hex = value.substr(hash_colon + 1);
  const bool is_hex = std::all_of(hex.begin(), hex.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (hex.size() != 2 * receipt.leaf_hash.size() || !is_hex) {
    return absl::InvalidArgumentError(absl::StrCat(
        "receipt: leaf hash \"", hex, "\" is not 64 lowercase hex digits (SHA-256)"));
  }
  const std::string bytes = absl::HexStringToBytes(hex);
  std::copy(bytes.begin(), bytes.end(), receipt.leaf_hash.begin());
  return receipt;
}

}  // namespace ndxp::gateway
