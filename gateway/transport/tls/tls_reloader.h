// Keeps the hub's current TLS snapshot and replaces it when the files change
// (certificate rotation, a CRL republished in place) or on SIGHUP, without
// touching connections that are already open.
//
// Example:
//   absl::StatusOr<std::unique_ptr<TlsReloader>> tls = TlsReloader::Create(config.tls());
//   if (!tls.ok()) return tls.status();
//   // Each event loop, on accept:
//   std::shared_ptr<const TlsMaterial> material = (*tls)->Current();
//   SSL* ssl = SSL_new(material->server_context());
//   // A timer, every few seconds:
//   absl::StatusOr<bool> changed = (*tls)->ReloadIfChanged();
//   if (!changed.ok()) LOG(ERROR) << changed.status();       // still serving the old one
//   else if (*changed) RecheckOpenConnections((*tls)->Current());  // CheckStillValid
#ifndef NDXP_GATEWAY_TRANSPORT_TLS_TLS_RELOADER_H_
#define NDXP_GATEWAY_TRANSPORT_TLS_TLS_RELOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/transport/tls/tls_material.h"
#include "ndxp/config/v1/common.pb.h"

namespace ndxp::gateway::transport {

// Thread-safe: Current() is cheap (a reader lock and a shared_ptr copy) and
// may be called from every event loop; reloads may come from any thread and
// are serialised. A failed reload never replaces the running snapshot.
class TlsReloader {
 public:
  // Builds the first snapshot; fails (naming the file) if it cannot.
  static absl::StatusOr<std::unique_ptr<TlsReloader>> Create(ndxp::config::v1::TlsFiles files);

  TlsReloader(const TlsReloader&) = delete;
  TlsReloader& operator=(const TlsReloader&) = delete;

  // The snapshot new connections should use; keep the returned pointer for
  // the connection's lifetime. Never null.
  std::shared_ptr<const TlsMaterial> Current() const ABSL_LOCKS_EXCLUDED(mu_);

  // 1 after Create; +1 on every successful rebuild.
  uint64_t generation() const ABSL_LOCKS_EXCLUDED(mu_);

  // Rebuilds from the files unconditionally (SIGHUP). On error keeps the
  // running snapshot and returns why, naming the file.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(reload_mu_, mu_);

  // Rereads every file (including each one in crl_dir) and rebuilds only when
  // their content fingerprint differs from the last attempt. true: a new
  // snapshot is current; false: nothing changed since the last attempt
  // (a broken set of files is reported once, not on every poll); error: the
  // files cannot be read or do not build (the running snapshot stays).
  absl::StatusOr<bool> ReloadIfChanged() ABSL_LOCKS_EXCLUDED(reload_mu_, mu_);

  // Messages for logs and metrics: the hub certificate, a CA certificate or a
  // CRL (whose next update is due; past it every peer is refused) expiring
  // within `horizon` of `now`, or already expired. Empty when all is well.
  std::vector<std::string> ExpiryWarnings(absl::Time now,
                                          absl::Duration horizon = absl::Hours(7 * 24)) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // For gauges: seconds from `now` until the current hub certificate's
  // not-after and the earliest CRL next-update (negative once passed;
  // +infinity for the CRL without a crl_dir).
  struct SecondsUntilExpiry {
    double certificate;
    double crl;
  };
  SecondsUntilExpiry SecondsUntil(absl::Time now) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  TlsReloader(ndxp::config::v1::TlsFiles files, std::shared_ptr<const TlsMaterial> first);

  // Builds from `sources` and makes it current on success.
  absl::Status Install(const TlsSources& sources) ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after construction.
  const ndxp::config::v1::TlsFiles files_;

  // Serialises reloads (held while reading files and building; never taken
  // by Current()).
  absl::Mutex reload_mu_;
  std::string last_attempted_fingerprint_ ABSL_GUARDED_BY(reload_mu_);

  // Protected by mu_.
  mutable absl::Mutex mu_;
  std::shared_ptr<const TlsMaterial> current_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_TLS_TLS_RELOADER_H_
