// The ndxp-residents binary as a launcher runs it: a real process, real mTLS,
// a real SQLite file. Waits on the process's own output (no sleeps): the
// "listening" line is printed only after the ready file is written.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/tls/credentials.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"
#include "tests/testing/test_pki.h"

extern char** environ;

namespace ndxp::residents {
namespace {

// A child process with its stdout and stderr piped to us.
struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
  FILE* err = nullptr;

  // Waits for the exit; the raw wait status.
  int Wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  }
};

Child Spawn(const std::vector<std::string>& args) {
  int out[2], err[2];
  EXPECT_EQ(pipe(out), 0);
  EXPECT_EQ(pipe(err), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(NDXP_RESIDENTS_BINARY));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child child;
  EXPECT_EQ(posix_spawn(&child.pid, NDXP_RESIDENTS_BINARY, &actions, nullptr, argv.data(),
                        environ),
            0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  child.out = fdopen(out[0], "r");
  child.err = fdopen(err[0], "r");
  return child;
}

std::string ReadLine(FILE* f) {
  char buffer[1024];
  if (fgets(buffer, sizeof(buffer), f) == nullptr) return "";
  return buffer;
}

std::string ReadAll(FILE* f) {
  std::string all;
  char buffer[1024];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), f)) > 0) all.append(buffer, n);
  return all;
}

std::string ReadFile(const std::string& path) {
  std::stringstream content;
  content << std::ifstream(path).rdbuf();
  return content.str();
}

class ResidentsMainTest : public ::testing::Test {
 protected:
  std::string WriteConfig(const std::string& agency) {
    const ndxp::config::v1::TlsFiles tls =
        pki_.Issue("residents", "000.00.00.H49", "residents", /*server=*/true);
    std::string path = dir_.path() + "/residents.textproto";
    std::ofstream(path) << "listen: \"127.0.0.1:0\"\n"
                        << "trust_domain: \"ndxp.gov.vn\"\n"
                        << "agency: \"" << agency << "\"\n"
                        << "tls { ca_cert: \"" << tls.ca_cert() << "\" cert: \"" << tls.cert()
                        << "\" key: \"" << tls.key() << "\" }\n"
                        << "allowed_callers: \"spiffe://ndxp.gov.vn/agency/000.00.00.A01/hub\"\n"
                        << "database: \"" << dir_.path() << "/residents.db\"\n"
                        << "synthetic { seed: 3 size: 300 }\n";
    return path;
  }

  // Reads the child's log (stderr) up to the first line containing `text`
  // into *log; that line, or "" at the end of the log.
  static std::string ReadLogUntil(const Child& child, const std::string& text, std::string* log) {
    std::string line;
    do {
      line = ReadLine(child.err);
      *log += line;
    } while (!line.empty() && !absl::StrContains(line, text));
    return line;
  }

  // A channel to the connector at `address` with the hub's identity.
  std::shared_ptr<grpc::Channel> ChannelAsHub(const std::string& address) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        ndxp::tls::MutualTlsChannelCredentials(pki_.Issue("hub", "000.00.00.A01", "hub"));
    EXPECT_TRUE(credentials.ok());
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(address, *credentials, args);
  }

  ndxp::testing::TestPki pki_;
  ndxp::testing::TempDir dir_;
};

grpc::health::v1::HealthCheckResponse::ServingStatus HealthOf(
    const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse health;
  grpc::Status status = grpc::health::v1::Health::NewStub(channel)->Check(&context, {}, &health);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return health.status();
}

TEST_F(ResidentsMainTest, ServesUntilSigtermThenExitsCleanly) {
  const std::string config = WriteConfig("000.00.00.H49");
  const std::string ready = dir_.path() + "/residents.ready";
  Child child = Spawn({"--config", config, "--ready-file", ready});
  // The log (stderr) says where it listens, once the ready file is written.
  const std::string kListening = "ndxp-residents connector: listening on 127.0.0.1:";
  std::string err;
  std::string line = ReadLogUntil(child, kListening, &err);
  ASSERT_TRUE(absl::StrContains(line, kListening)) << err;
  ASSERT_TRUE(absl::EndsWith(line, " (agency 000.00.00.H49)\n")) << line;
  const std::string port = line.substr(line.find(kListening) + kListening.size());
  const std::string address = ReadFile(ready);
  EXPECT_EQ(address, "127.0.0.1:" + port.substr(0, port.find(' ')) + "\n");

  // The hub gets in; the connector's own service answers over mTLS.
  auto channel = ChannelAsHub(address.substr(0, address.size() - 1));
  EXPECT_EQ(HealthOf(channel), grpc::health::v1::HealthCheckResponse::SERVING);
  grpc::ClientContext verify_context;
  v1::VerifyCitizenRequest request;
  request.set_personal_id("001090999999");
  v1::VerifyCitizenResponse response;
  grpc::Status status =
      v1::ResidentRegistry::NewStub(channel)->VerifyCitizen(&verify_context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.found());

  // The channel stays open, as the hub's does: an idle connection must not
  // hold the shutdown for the grace period (this test would take 5 s).
  ASSERT_EQ(kill(child.pid, SIGTERM), 0);
  const int exit_status = child.Wait();
  ASSERT_TRUE(WIFEXITED(exit_status));
  EXPECT_EQ(WEXITSTATUS(exit_status), 0);
  err += ReadAll(child.err);
  EXPECT_EQ(ReadAll(child.out), "") << "every line is a log line, on stderr";
  EXPECT_TRUE(absl::StrContains(err, "generated 300 citizens in")) << err;
  EXPECT_TRUE(absl::StrContains(err, "shutting down")) << err;
  EXPECT_FALSE(std::ifstream(ready).good()) << "ready file left behind";
  fclose(child.out);
  fclose(child.err);
}

TEST_F(ResidentsMainTest, SigusrOneDrainsItAndSigusrTwoEndsTheDrain) {
  const std::string ready = dir_.path() + "/residents.ready";
  Child child = Spawn({"--config", WriteConfig("000.00.00.H49"), "--ready-file", ready});
  std::string err;
  ASSERT_NE(ReadLogUntil(child, "listening on", &err), "") << err;
  auto channel = ChannelAsHub(std::string(absl::StripAsciiWhitespace(ReadFile(ready))));
  using grpc::health::v1::HealthCheckResponse;
  EXPECT_EQ(HealthOf(channel), HealthCheckResponse::SERVING);

  // Each signal is handled when its log line is written.
  ASSERT_EQ(kill(child.pid, SIGUSR1), 0);
  ASSERT_NE(ReadLogUntil(child, "draining: health NOT_SERVING", &err), "") << err;
  EXPECT_EQ(HealthOf(channel), HealthCheckResponse::NOT_SERVING);
  ASSERT_EQ(kill(child.pid, SIGUSR2), 0);
  ASSERT_NE(ReadLogUntil(child, "serving: health SERVING", &err), "") << err;
  EXPECT_EQ(HealthOf(channel), HealthCheckResponse::SERVING);

  ASSERT_EQ(kill(child.pid, SIGTERM), 0);
  const int exit_status = child.Wait();
  ASSERT_TRUE(WIFEXITED(exit_status));
  EXPECT_EQ(WEXITSTATUS(exit_status), 0);
  fclose(child.out);
  fclose(child.err);
}

TEST_F(ResidentsMainTest, BadFlagsOrConfigExitTwoWithTheReason) {
  const std::string no_database = dir_.path() + "/no-database.textproto";
  {
    std::ifstream in(WriteConfig("000.00.00.H49"));
    std::string line;
    std::ofstream out(no_database);
    while (std::getline(in, line)) {
      if (!absl::StartsWith(line, "database:")) out << line << "\n";
    }
  }
  // Written last: WriteConfig reuses one path.
  const std::string bad_config = WriteConfig("000..H49");
  struct Case {
    std::vector<std::string> args;
    std::string error;  // in stderr
  };
  const Case cases[] = {
      {{}, "ndxp-residents: --config FILE is required"},
      {{"--config"}, "ndxp-residents: --config needs a value"},
      {{"--config", bad_config},
       bad_config + ":3: agency \"000..H49\" has an empty group"},
      {{"--config", no_database}, "ndxp-residents connector: cannot start: database is required"},
      {{"--config", dir_.path() + "/missing.textproto"},
       dir_.path() + "/missing.textproto: cannot open configuration file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    Child child = Spawn(c.args);
    const std::string err = ReadAll(child.err);
    const int exit_status = child.Wait();
    ASSERT_TRUE(WIFEXITED(exit_status));
    EXPECT_EQ(WEXITSTATUS(exit_status), 2);
    EXPECT_TRUE(absl::StrContains(err, c.error)) << err;
    EXPECT_EQ(ReadAll(child.out), "");
    fclose(child.out);
    fclose(child.err);
  }
}

TEST_F(ResidentsMainTest, HelpExitsZero) {
  Child child = Spawn({"--help"});
  const std::string out = ReadAll(child.out);
  const int exit_status = child.Wait();
  ASSERT_TRUE(WIFEXITED(exit_status));
  EXPECT_EQ(WEXITSTATUS(exit_status), 0);
  EXPECT_TRUE(absl::StartsWith(out, "usage: ndxp-residents --config FILE")) << out;
  fclose(child.out);
  fclose(child.err);
}

}  // namespace
}  // namespace ndxp::residents
