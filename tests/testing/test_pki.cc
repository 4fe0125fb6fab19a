#include "tests/testing/test_pki.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"

namespace ndxp::testing {
namespace {

// Runs a shell command and returns its output; aborts with the output if
// it fails (a broken PKI makes every later assertion meaningless).
std::string OutputOrDie(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe != nullptr) {
    char buffer[512];
    while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  }
  int rc = pipe == nullptr ? -1 : pclose(pipe);
  if (rc != 0) {
    std::cerr << "command failed (" << rc << "): " << command << "\n" << output;
    std::abort();
  }
  return output;
}

void RunOrDie(const std::string& command) { OutputOrDie(command + " 2>&1"); }

std::string MakeTempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "ndxp-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  return pattern;
}

}  // namespace

TempDir::TempDir() : path_(MakeTempDir()) {}
TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

TestPki::TestPki() : dir_(MakeTempDir()) {
  RunOrDie(absl::StrCat(NDXP_PKI_SCRIPT, " init-ca --force --dir ", dir_,
                        " --trust-domain ", kTrustDomain));
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

ndxp::config::v1::TlsFiles TestPki::Files(const std::string& name) const {
  ndxp::config::v1::TlsFiles files;
  files.set_ca_cert(ca_cert());
  files.set_cert(absl::StrCat(dir_, "/", name, ".pem"));
  files.set_key(absl::StrCat(dir_, "/", name, ".key"));
  return files;
}

ndxp::config::v1::TlsFiles TestPki::Issue(const std::string& name, const std::string& agency,
                                          const std::string& subsystem, bool server) {
  RunOrDie(absl::StrCat(NDXP_PKI_SCRIPT, " issue --dir ", dir_, " --agency ", agency,
                        " --subsystem ", subsystem, " --out ", dir_, "/", name,
                        server ? " --server" : ""));
  return Files(name);
}

void TestPki::Revoke(const std::string& name) {
  RunOrDie(absl::StrCat(NDXP_PKI_SCRIPT, " revoke --dir ", dir_, " --cert ", dir_, "/", name,
                        ".pem"));
  RunOrDie(absl::StrCat(NDXP_PKI_SCRIPT, " crl --dir ", dir_, " --out ", dir_, "/ca.crl"));
}

void TestPki::PublishExpiredCrl() {
  RunOrDie(absl::StrCat(NDXP_PKI_SCRIPT, " crl --expired --dir ", dir_, " --out ", dir_,
                        "/ca.crl"));
}

ndxp::config::v1::TlsFiles TestPki::IssueBad(const std::string& kind) {
  RunOrDie(absl::StrCat(NDXP_PKI_SCRIPT, " bad --dir ", dir_, " --kind ", kind, " --out ",
                        dir_, "/bad-", kind));
  return Files("bad-" + kind);
}

TestIdentityProvider::TestIdentityProvider() {
  RunOrDie(absl::StrCat(NDXP_PKI_SCRIPT, " init-idp --dir ", dir_.path(), "/idp"));
}

std::string TestIdentityProvider::Token(const std::string& sub, const std::string& issuer,
                                        const std::string& audience, int64_t now,
                                        int ttl_seconds) const {
  // The sub through a file: never on a command line.
  const std::string sub_file = dir_.path() + "/sub";
  {
    std::ofstream out(sub_file);
    out << sub << "\n";
  }
  std::string token = OutputOrDie(absl::StrCat(
      NDXP_PKI_SCRIPT, " subject-token --dir ", dir_.path(), "/idp --sub-file ", sub_file,
      " --iss ", issuer, " --aud ", audience, " --ttl ", ttl_seconds, " --now ", now));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

}  // namespace ndxp::testing
