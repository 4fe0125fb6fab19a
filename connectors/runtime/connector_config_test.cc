#include "connectors/runtime/connector_config.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::connectors {
namespace {

class ConnectorConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& content) {
    std::string path = dir_.path() + "/connector.textproto";
    std::ofstream(path) << content;
    return path;
  }

  ndxp::testing::TempDir dir_;
};

constexpr char kValid[] = R"pb(listen: "127.0.0.1:0"
trust_domain: "ndxp.gov.vn"
agency: "000.00.00.H49"
tls {
  ca_cert: "ca.pem"
  cert: "residents.pem"
  key: "residents.key"
}
allowed_callers: "spiffe://ndxp.gov.vn/hub"
allowed_callers: "spiffe://ndxp.gov.vn/agency/000.00.00.H49/admin"
database: "residents.db"
synthetic { seed: 42 size: 1000 }
)pb";

TEST_F(ConnectorConfigTest, LoadsValidConfig) {
  absl::StatusOr<ndxp::config::v1::ConnectorConfig> config = LoadConnectorConfig(Write(kValid));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen(), "127.0.0.1:0");
  EXPECT_EQ(config->agency(), "000.00.00.H49");
  EXPECT_EQ(config->allowed_callers_size(), 2);
  EXPECT_EQ(config->synthetic().seed(), 42u);
}

TEST_F(ConnectorConfigTest, RejectsInvalidConfigNamingFileLineAndReason) {
  struct Case {
    std::string from;  // replaced in kValid
    std::string to;
    std::string error;  // after "<path>"
  };
  const Case cases[] = {
      {"listen: \"127.0.0.1:0\"", "", ": listen is required (host:port; port 0 picks a free port)"},
      {"127.0.0.1:0", "127.0.0.1", ":1: listen \"127.0.0.1\" is not host:port"},
      {"127.0.0.1:0", "127.0.0.1:99999",
       ":1: listen \"127.0.0.1:99999\" has no port 0-65535 after the last ':'"},
      {"127.0.0.1:0", "127.0.0.1:http",
       ":1: listen \"127.0.0.1:http\" has no port 0-65535 after the last ':'"},
      {"trust_domain: \"ndxp.gov.vn\"", "trust_domain: \"\"",
       ":2: trust_domain is required (e.g. \"ndxp.gov.vn\")"},
      {"000.00.00.H49\"\ntls", "000..00.H49\"\ntls",
       ":3: agency \"000..00.H49\" has an empty group (leading, trailing or "
       "doubled '.')"},
      {"agency: \"000.00.00.H49\"", "", ": agency is required (e.g. \"000.00.00.H49\")"},
      {"agency: \"000.00.00.H49\"", "agency: \"000.00.00.h49\"",
       ":3: agency \"000.00.00.h49\" may contain only digits, upper-case "
       "letters and '.'"},
      {"ca_cert: \"ca.pem\"", "", ":4: tls.ca_cert is required (PEM file of the federation CA)"},
      {"cert: \"residents.pem\"", "cert: \"\"",
       ":6: tls.cert is required (PEM file of this connector's certificate)"},
      {"key: \"residents.key\"", "",
       ":4: tls.key is required (PEM file of this connector's private key)"},
      {"allowed_callers: \"spiffe://ndxp.gov.vn/hub\"\n"
       "allowed_callers: \"spiffe://ndxp.gov.vn/agency/000.00.00.H49/admin\"\n",
       "", ": allowed_callers needs at least one caller's SPIFFE ID (the hub's)"},
      {"\"spiffe://ndxp.gov.vn/agency/000.00.00.H49/admin\"", "\"hub\"",
       ":10: allowed_callers[1] \"hub\" is not a spiffe:// ID"},
      {"\"spiffe://ndxp.gov.vn/hub\"", "\"spiffe://\"",
       ":9: allowed_callers[0] \"spiffe://\" is not a spiffe:// ID"},
      {"database: \"residents.db\"", "databse: \"residents.db\"",
       ":11:8: Message type \"ndxp.config.v1.ConnectorConfig\" has no field named "
       "\"databse\"."},
      {"seed: 42", "seed: -1", ":12:19: Expected integer, got: -"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    std::string content = absl::StrReplaceAll(kValid, {{c.from, c.to}});
    ASSERT_NE(content, kValid) << "case does not apply";
    std::string path = Write(content);
    absl::StatusOr<ndxp::config::v1::ConnectorConfig> config = LoadConnectorConfig(path);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(config.status().message()), path + c.error);
  }
}

TEST_F(ConnectorConfigTest, MissingFileIsAnError) {
  absl::StatusOr<ndxp::config::v1::ConnectorConfig> config =
      LoadConnectorConfig(dir_.path() + "/absent.textproto");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            dir_.path() + "/absent.textproto: cannot open configuration file");
}

TEST(SplitHostPortTest, Cases) {
  struct Case {
    std::string address;
    bool ok;
    std::string host;
    int port;
  };
  const Case cases[] = {
      {"127.0.0.1:0", true, "127.0.0.1", 0},   {"0.0.0.0:50051", true, "0.0.0.0", 50051},
      {"[::]:443", true, "[::]", 443},         {"localhost:65535", true, "localhost", 65535},
      {":8080", true, "", 8080},               {"host", false, "", 0},
      {"host:", false, "", 0},                 {"host:65536", false, "", 0},
      {"host:-1", false, "", 0},               {"host:+1", false, "", 0},
      {"host:123456", false, "", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.address);
    std::string host;
    int port = -1;
    absl::Status status = SplitHostPort(c.address, &host, &port);
    EXPECT_EQ(status.ok(), c.ok) << status;
    if (c.ok) {
      EXPECT_EQ(host, c.host);
      EXPECT_EQ(port, c.port);
    }
  }
}

}  // namespace
}  // namespace ndxp::connectors
