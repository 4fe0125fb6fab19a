// The call's header fields (gateway/call/header_list.h) in nghttp2's form
// for a submit call.
#ifndef NDXP_GATEWAY_TRANSPORT_HEADER_LIST_H_
#define NDXP_GATEWAY_TRANSPORT_HEADER_LIST_H_

#include <nghttp2/nghttp2.h>

#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "gateway/call/header_list.h"

namespace ndxp::gateway::transport {

using Nva = absl::InlinedVector<nghttp2_nv, 16>;

// Views into `list`, which must outlive the submit call (nghttp2 copies).
inline Nva ToNva(const HeaderList& list) {
  Nva nva;
  for (const HeaderList::Field& field : list) {
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(field.first.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(field.second.data())),
                   field.first.size(), field.second.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nva;
}

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_HEADER_LIST_H_
