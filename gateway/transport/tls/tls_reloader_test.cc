#include "gateway/transport/tls/tls_reloader.h"

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/transport/tls/peer_certificate.h"
#include "gateway/transport/tls/tls_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway::transport {
namespace {

using ::ndxp::config::v1::TlsFiles;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using tls_testing::AgencyClientContext;
using tls_testing::Handshake;
using tls_testing::HandshakeOutcome;
using tls_testing::OverwriteFile;
using tls_testing::ReadWholeFile;

// The hub reads its CRLs from a directory this fixture publishes into by
// rewriting the same file in place (same name, same inode, and the old
// modification time restored), as a CRL distribution job may.
class TlsReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = pki_.Issue("hub", "000.00.00.H49", "hub", /*server=*/true);
    agency_ = pki_.Issue("agency", "000.00.00.G12", "tax-lookup");
    pki_.Issue("retired", "000.00.00.G12", "retired");
    pki_.Revoke("retired");
    published_crl_ = pki_.dir() + "/published/federation.r0";
    std::filesystem::create_directory(pki_.dir() + "/published");
    PublishInPlace();
    hub_.set_crl_dir(pki_.dir() + "/published");

    absl::StatusOr<std::unique_ptr<TlsReloader>> reloader = TlsReloader::Create(hub_);
    ASSERT_TRUE(reloader.ok()) << reloader.status();
    reloader_ = *std::move(reloader);
  }

  // Copies the PKI's latest CRL over the published one, keeping its mtime.
  void PublishInPlace() {
    std::error_code no_file_yet;
    auto mtime = std::filesystem::last_write_time(published_crl_, no_file_yet);
    OverwriteFile(published_crl_, ReadWholeFile(pki_.dir() + "/ca.crl"));
    if (!no_file_yet) std::filesystem::last_write_time(published_crl_, mtime);
  }

  HandshakeOutcome AgencyHandshake() {
    return Handshake(reloader_->Current()->server_context(), AgencyClientContext(agency_).get());
  }

  ndxp::testing::TestPki pki_;
  TlsFiles hub_;
  TlsFiles agency_;
  std::string published_crl_;
  std::unique_ptr<TlsReloader> reloader_;
};

TEST_F(TlsReloaderTest, CrlRepublishedInPlaceIsPickedUpAndRevokesOpenConnections) {
  HandshakeOutcome before = AgencyHandshake();
  ASSERT_TRUE(before.ok());
  std::shared_ptr<const TlsMaterial> old_snapshot = reloader_->Current();
  absl::Time during = old_snapshot->earliest_crl_next_update() - absl::Hours(24);
  ASSERT_TRUE(old_snapshot->CheckStillValid(before.client_certificate.get(), during).ok());

  pki_.Revoke("agency");
  PublishInPlace();
  absl::StatusOr<bool> changed = reloader_->ReloadIfChanged();

  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(reloader_->generation(), 2u);
  HandshakeOutcome after = AgencyHandshake();
  EXPECT_FALSE(after.server_ok);
  EXPECT_EQ(after.server_failure, HandshakeFailureReason::kRevoked);
  // The connection opened before: revoked under the new snapshot, still
  // valid under the one it handshook with (snapshots never change).
  absl::Status recheck =
      reloader_->Current()->CheckStillValid(before.client_certificate.get(), during);
  EXPECT_EQ(recheck.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(recheck.message(), HasSubstr("revoked"));
  EXPECT_TRUE(old_snapshot->CheckStillValid(before.client_certificate.get(), during).ok());
}

TEST_F(TlsReloaderTest, ReloadIfChangedWithoutChangesKeepsTheSnapshot) {
  std::shared_ptr<const TlsMaterial> first = reloader_->Current();
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<bool> changed = reloader_->ReloadIfChanged();
    ASSERT_TRUE(changed.ok()) << changed.status();
    EXPECT_FALSE(*changed);
  }
  EXPECT_EQ(reloader_->Current(), first);
  EXPECT_EQ(reloader_->generation(), 1u);
}

TEST_F(TlsReloaderTest, RotatedHubCertificateIsPresentedAfterReload) {
  std::string old_serial = reloader_->Current()->certificate_serial_hex();
  pki_.Issue("hub", "000.00.00.H49", "hub", /*server=*/true);  // same files, new certificate

  ASSERT_TRUE(reloader_->Reload().ok());

  EXPECT_EQ(reloader_->generation(), 2u);
  HandshakeOutcome outcome = AgencyHandshake();
  ASSERT_TRUE(outcome.ok());
  std::string presented = SerialHex(outcome.server_certificate.get());
  EXPECT_NE(presented, old_serial);
  EXPECT_EQ(presented, reloader_->Current()->certificate_serial_hex());
}

TEST_F(TlsReloaderTest, ReloadIfChangedSeesARotatedCertificate) {
  std::string old_serial = reloader_->Current()->certificate_serial_hex();
  pki_.Issue("hub", "000.00.00.H49", "hub", /*server=*/true);

  absl::StatusOr<bool> changed = reloader_->ReloadIfChanged();

  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_NE(reloader_->Current()->certificate_serial_hex(), old_serial);
}

TEST_F(TlsReloaderTest, ExpiredCrlRefusesEveryClientAndIsWarned) {
  pki_.PublishExpiredCrl();
  PublishInPlace();
  absl::StatusOr<bool> changed = reloader_->ReloadIfChanged();
  ASSERT_TRUE(changed.ok()) << changed.status();
  ASSERT_TRUE(*changed);

  HandshakeOutcome outcome = AgencyHandshake();
  EXPECT_FALSE(outcome.server_ok);
  EXPECT_EQ(outcome.server_failure, HandshakeFailureReason::kCrlExpired);

  // Any moment well inside the hub certificate's validity (the CRL's next
  // update was 2020-01-02).
  absl::Time now = reloader_->Current()->certificate_not_after() - absl::Hours(24 * 100);
  std::vector<std::string> warnings = reloader_->ExpiryWarnings(now);
  EXPECT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings,
              Contains(AllOf(HasSubstr(published_crl_), HasSubstr("expired at 2020-01-02"),
                             HasSubstr("every peer is refused"))));
  EXPECT_LT(reloader_->SecondsUntil(now).crl, 0);
}

TEST_F(TlsReloaderTest, ExpiryWarningsWithinTheHorizon) {
  std::shared_ptr<const TlsMaterial> material = reloader_->Current();
  absl::Time crl_due = material->earliest_crl_next_update();
  absl::Time certificate_due = material->certificate_not_after();

  EXPECT_THAT(reloader_->ExpiryWarnings(crl_due - absl::Hours(24 * 10)), IsEmpty());
  EXPECT_THAT(reloader_->ExpiryWarnings(crl_due - absl::Hours(24 * 3)),
              ElementsAre(AllOf(HasSubstr(published_crl_), HasSubstr("expires at"))));
  EXPECT_THAT(reloader_->ExpiryWarnings(crl_due - absl::Hours(24 * 3), absl::Hours(24)), IsEmpty());
  EXPECT_THAT(
      reloader_->ExpiryWarnings(certificate_due - absl::Hours(24 * 3)),
      Contains(AllOf(HasSubstr("hub certificate " + hub_.cert()),
                     HasSubstr(material->certificate_serial_hex()), HasSubstr("expires at"))));

  absl::Time now = crl_due - absl::Hours(24 * 3);
  TlsReloader::SecondsUntilExpiry seconds = reloader_->SecondsUntil(now);
  EXPECT_DOUBLE_EQ(seconds.crl, 3 * 24 * 3600);
  EXPECT_DOUBLE_EQ(seconds.certificate, absl::ToDoubleSeconds(certificate_due - now));
}

TEST_F(TlsReloaderTest, BrokenKeyKeepsTheRunningSnapshot) {
  std::shared_ptr<const TlsMaterial> running = reloader_->Current();
  std::string good_key = ReadWholeFile(hub_.key());
  OverwriteFile(hub_.key(), "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");

  absl::Status reloaded = reloader_->Reload();

  EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(reloaded.message(), AllOf(HasSubstr(hub_.key()), HasSubstr("private key")));
  EXPECT_EQ(reloader_->Current(), running);
  EXPECT_EQ(reloader_->generation(), 1u);
  EXPECT_TRUE(AgencyHandshake().ok());

  // Reported once, not on every poll; a new mistake is reported again.
  EXPECT_EQ(reloader_->ReloadIfChanged().value_or(true), false);
  OverwriteFile(hub_.key(), ReadWholeFile(agency_.key()));
  absl::StatusOr<bool> mismatched = reloader_->ReloadIfChanged();
  ASSERT_FALSE(mismatched.ok());
  EXPECT_THAT(mismatched.status().message(), HasSubstr("does not match the certificate"));
  EXPECT_EQ(reloader_->Current(), running);

  OverwriteFile(hub_.key(), good_key);
  EXPECT_EQ(reloader_->ReloadIfChanged().value_or(false), true);
  EXPECT_EQ(reloader_->generation(), 2u);
}

TEST_F(TlsReloaderTest, CreateFailsNamingTheFile) {
  TlsFiles files = hub_;
  files.set_cert(pki_.dir() + "/missing.pem");
  absl::StatusOr<std::unique_ptr<TlsReloader>> reloader = TlsReloader::Create(files);
  ASSERT_FALSE(reloader.ok());
  EXPECT_THAT(reloader.status().message(), HasSubstr(pki_.dir() + "/missing.pem"));
}

TEST_F(TlsReloaderTest, CurrentIsSafeWhileReloading) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> loops;
  for (int i = 0; i < 2; ++i) {
    loops.emplace_back([&] {
      while (!stop.load()) ASSERT_NE(reloader_->Current()->server_context(), nullptr);
    });
  }
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(reloader_->Reload().ok());
  stop = true;
  for (std::thread& loop : loops) loop.join();
  EXPECT_EQ(reloader_->generation(), 6u);
}

}  // namespace
}  // namespace ndxp::gateway::transport
