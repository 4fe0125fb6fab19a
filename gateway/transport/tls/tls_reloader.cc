#include "gateway/transport/tls/tls_reloader.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace ndxp::gateway::transport {
namespace {

std::string When(absl::Time time) { return absl::FormatTime(time, absl::UTCTimeZone()); }

// Appends a warning when `deadline` is within `horizon` of `now` or past.
void WarnIfDue(absl::string_view what, absl::Time deadline, absl::string_view consequence,
               absl::Time now, absl::Duration horizon, std::vector<std::string>* warnings) {
  if (deadline == absl::InfiniteFuture() || deadline > now + horizon) return;
  if (deadline <= now) {
    warnings->push_back(absl::StrCat(what, " expired at ", When(deadline), ": ", consequence));
  } else {
    warnings->push_back(
        absl::StrCat(what, " expires at ", When(deadline), " (in ",
                     absl::FormatDuration(absl::Trunc(deadline - now, absl::Minutes(1))), ")"));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsReloader>> TlsReloader::Create(ndxp::config::v1::TlsFiles files) {
  absl::StatusOr<TlsSources> sources = TlsSources::Read(files);
  if (!sources.ok()) return sources.status();
  absl::StatusOr<std::shared_ptr<const TlsMaterial>> first = TlsMaterial::FromSources(*sources);
  if (!first.ok()) return first.status();
  std::unique_ptr<TlsReloader> reloader(new TlsReloader(std::move(files), *std::move(first)));
  absl::MutexLock lock(&reloader->reload_mu_);
  reloader->last_attempted_fingerprint_ = sources->Fingerprint();
  return reloader;
}

TlsReloader::TlsReloader(ndxp::config::v1::TlsFiles files, std::shared_ptr<const TlsMaterial> first)
    : files_(std::move(files)), current_(std::move(first)) {}

std::shared_ptr<const TlsMaterial> TlsReloader::Current() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_;
}

uint64_t TlsReloader::generation() const {
  absl::ReaderMutexLock lock(&mu_);
  return generation_;
}

absl::Status TlsReloader::Install(const TlsSources& sources) {
  last_attempted_fingerprint_ = sources.Fingerprint();
  absl::StatusOr<std::shared_ptr<const TlsMaterial>> material = TlsMaterial::FromSources(sources);
  if (!material.ok()) return material.status();
  std::shared_ptr<const TlsMaterial> previous;  // released outside the lock
  absl::MutexLock lock(&mu_);
  previous = std::exchange(current_, *std::move(material));
  ++generation_;
  return absl::OkStatus();
}

absl::Status TlsReloader::Reload() {
  absl::MutexLock reload_lock(&reload_mu_);
  absl::StatusOr<TlsSources> sources = TlsSources::Read(files_);
  if (!sources.ok()) return sources.status();
  return Install(*sources);
}

absl::StatusOr<bool> TlsReloader::ReloadIfChanged() {
  absl::MutexLock reload_lock(&reload_mu_);
  absl::StatusOr<TlsSources> sources = TlsSources::Read(files_);
  if (!sources.ok()) return sources.status();
  if (sources->Fingerprint() == last_attempted_fingerprint_) return false;
  absl::Status installed = Install(*sources);
  if (!installed.ok()) return installed;
  return true;
}

std::vector<std::string> TlsReloader::ExpiryWarnings(absl::Time now, absl::Duration horizon) const {
  std::shared_ptr<const TlsMaterial> material = Current();
  std::vector<std::string> warnings;
  WarnIfDue(absl::StrCat("hub certificate ", material->certificate_path(), " (serial ",
                         material->certificate_serial_hex(), ")"),
            material->certificate_not_after(), "peers refuse the hub until it is re-issued", now,
            horizon, &warnings);
  WarnIfDue(absl::StrCat("CA certificate ", files_.ca_cert()), material->ca_not_after(),
            "no certificate it issued verifies", now, horizon, &warnings);
  for (const TlsMaterial::Crl& crl : material->crls()) {
    WarnIfDue(absl::StrCat("CRL ", crl.path, " (next update)"), crl.next_update,
              "every peer is refused until a new CRL is published", now, horizon, &warnings);
  }
  return warnings;
}

TlsReloader::SecondsUntilExpiry TlsReloader::SecondsUntil(absl::Time now) const {
  std::shared_ptr<const TlsMaterial> material = Current();
  return SecondsUntilExpiry{
      absl::ToDoubleSeconds(material->certificate_not_after() - now),
      absl::ToDoubleSeconds(material->earliest_crl_next_update() - now),
  };
}

}  // namespace ndxp::gateway::transport
