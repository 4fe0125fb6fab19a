#include "connectors/runtime/caller_info.h"

#include "common/protocol/metadata.h"
#include "common/tls/peer_identity.h"

namespace ndxp::connectors {
namespace {

std::string FirstValue(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                       const char* key) {
  auto it = metadata.find(key);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

CallerInfo CallerInfoFromContext(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  CallerInfo info;
  info.consumer = FirstValue(metadata, ndxp::protocol::kConsumerHeader);
  info.purpose = FirstValue(metadata, ndxp::protocol::kPurposeHeader);
  info.request_id = FirstValue(metadata, ndxp::protocol::kRequestIdHeader);
  // Null outside a real call (e.g. a test's bare context).
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr) {
    absl::StatusOr<absl::string_view> peer = ndxp::tls::PeerSpiffeId(*auth);
    if (peer.ok()) info.peer = std::string(*peer);
  }
  if (info.consumer.empty()) info.consumer = info.peer;
  return info;
}

}  // namespace ndxp::connectors
