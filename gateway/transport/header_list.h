// Header fields as the transport keeps them between the two legs, and their
// nghttp2 form for a submit call.
#ifndef NDXP_GATEWAY_TRANSPORT_HEADER_LIST_H_
#define NDXP_GATEWAY_TRANSPORT_HEADER_LIST_H_

#include <nghttp2/nghttp2.h>

#include <string>
#include <utility>
#include <vector>

namespace ndxp::gateway::transport {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Views into `headers` (which must outlive the submit call; nghttp2 copies).
inline std::vector<nghttp2_nv> ToNva(const HeaderList& headers) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nva;
}

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_HEADER_LIST_H_
