// How the hub connects to a connector endpoint, for every connection it
// makes there (the calls' connections and the health checks'): a
// non-blocking socket to "host:port" with TLS and the hub's client
// certificate, or plain to "unix:/path"; after the TLS handshake, the
// connector's certificate must name the route's provider agency.
//
// Example:
//   std::optional<ConnectorSocket> socket = ConnectToConnector(*tls->Current(), address);
//   ... once SSL_do_handshake succeeded:
//   if (!PresentsProvider(socket->ssl, trust_domain, provider, peer_hub)) Close();
#ifndef NDXP_GATEWAY_TRANSPORT_CONNECTOR_SOCKET_H_
#define NDXP_GATEWAY_TRANSPORT_CONNECTOR_SOCKET_H_

#include <openssl/ssl.h>

#include <optional>
#include <string>

#include "gateway/transport/tls/tls_material.h"

namespace ndxp::gateway::transport {

struct ConnectorSocket {
  int fd = -1;         // non-blocking, connecting
  SSL* ssl = nullptr;  // in the connect state; nullptr on a Unix-domain socket
};

// Starts connecting to `address` ("host:port" or "unix:/path"; names are
// looked up, numeric addresses need no lookup). The caller owns both
// halves. nullopt if no socket could be made (no such host, refused at once).
std::optional<ConnectorSocket> ConnectToConnector(const TlsMaterial& tls,
                                                  const std::string& address);

// Whether the certificate the connector presented on `ssl` carries a SPIFFE
// ID of `trust_domain` whose agency is `provider` (a port squatter or a
// mis-pointed route fails); when `peer_hub` is set, whether it is exactly
// that peer hub's SPIFFE ID instead. True for a plain connection (nullptr).
bool PresentsProvider(SSL* ssl, const std::string& trust_domain, const std::string& provider,
                      const std::string& peer_hub = "");

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_CONNECTOR_SOCKET_H_
