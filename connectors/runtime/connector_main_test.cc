#include "connectors/runtime/connector_main.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ndxp::connectors {
namespace {

TEST(ParseConnectorFlagsTest, Cases) {
  struct Expected {
    std::string config_path;
    std::string ready_file;
    bool help = false;
    bool version = false;
  };
  struct Case {
    std::vector<const char*> args;
    std::string error;  // empty: OK
    Expected expected;
  };
  const Case cases[] = {
      {{"--config", "c.textproto"}, "", {"c.textproto", "", false}},
      {{"--config=c.textproto"}, "", {"c.textproto", "", false}},
      {{"--config", "c", "--ready-file", "r"}, "", {"c", "r", false}},
      {{"--ready-file=r", "--config=c"}, "", {"c", "r", false}},
      {{"--help"}, "", {"", "", true}},
      {{"-h"}, "", {"", "", true}},
      {{"--config", "c", "--help"}, "", {"c", "", true}},
      {{"--version"}, "", {"", "", false, true}},
      {{"--config", "c", "--version"}, "", {"c", "", false, true}},
      {{}, "--config FILE is required", {}},
      {{"--ready-file", "r"}, "--config FILE is required", {}},
      {{"--config"}, "--config needs a value", {}},
      {{"--config="}, "--config needs a non-empty value", {}},
      {{"--config", "c", "--ready-file"}, "--ready-file needs a value", {}},
      {{"--config", "c", "extra"}, "unknown argument \"extra\"", {}},
      {{"--port=1", "--config", "c"}, "unknown argument \"--port=1\"", {}},
      {{"--config", "c", "--config=d"}, "", {"d", "", false}},
      {{"--config", ""}, "--config needs a non-empty value", {}},
      {{"--config=", "--ready-file", "r"}, "--config needs a non-empty value", {}},
      {{"--config", "c", "--ready-file="}, "--ready-file needs a non-empty value", {}},
      {{"--ready-file", "r", "--config"}, "--config needs a value", {}},
  };
  for (const Case& c : cases) {
    std::string trace;
    for (const char* arg : c.args) trace += std::string(arg) + " ";
    SCOPED_TRACE(trace);
    absl::StatusOr<ConnectorFlags> flags = ParseConnectorFlags(c.args);
    if (!c.error.empty()) {
      ASSERT_FALSE(flags.ok());
      EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(flags.status().message(), c.error);
      continue;
    }
    ASSERT_TRUE(flags.ok()) << flags.status();
    EXPECT_EQ(flags->config_path, c.expected.config_path);
    EXPECT_EQ(flags->ready_file, c.expected.ready_file);
    EXPECT_EQ(flags->help, c.expected.help);
    EXPECT_EQ(flags->version, c.expected.version);
  }
}

TEST(ParseConnectorFlagsTest, LogFlags) {
  absl::StatusOr<ConnectorFlags> flags =
      ParseConnectorFlags({"--log-format=json", "--config", "c", "--log-level", "warn"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->log.format, "json");
  EXPECT_EQ(flags->log.level, "warn");
  absl::StatusOr<ConnectorFlags> refused =
      ParseConnectorFlags({"--config", "c", "--log-format", "xml"});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--log-format"), std::string::npos)
      << refused.status();
}

TEST(ConnectorUsageTest, NamesBinaryAndFlags) {
  std::string usage = ConnectorUsage("residents");
  EXPECT_NE(usage.find("usage: ndxp-residents --config FILE [--ready-file FILE]"),
            std::string::npos);
  EXPECT_NE(usage.find("--help"), std::string::npos);
  EXPECT_NE(usage.find("--version"), std::string::npos);
  EXPECT_NE(usage.find("--log-format text|json"), std::string::npos);
}

TEST(ReadyAddressTest, LocalHostsBecomeLoopback) {
  struct Case {
    std::string host;
    std::string expected;
  };
  const Case cases[] = {
      {"0.0.0.0", "127.0.0.1:5"}, {"[::]", "127.0.0.1:5"},     {"", "127.0.0.1:5"},
      {"localhost", "127.0.0.1:5"}, {"127.0.0.1", "127.0.0.1:5"}, {"[::1]", "127.0.0.1:5"},
      {"10.1.2.3", "10.1.2.3:5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.host);
    EXPECT_EQ(ReadyAddress(c.host, 5), c.expected);
  }
}

}  // namespace
}  // namespace ndxp::connectors
