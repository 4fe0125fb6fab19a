#include "common/logging/logging.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ndxp::logging {
namespace {

using ::testing::MatchesRegex;

std::string Line(LogFormat format, absl::string_view message,
                 spdlog::level::level_enum level = spdlog::level::warn) {
  spdlog::details::log_msg msg("transport", level,
                               spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t out;
  MakeLineFormatter("ndxp-hub", format)->format(msg, out);
  return std::string(out.data(), out.size());
}

TEST(LineFormatterTest, TextHasTimeLevelProgramComponentAndMessage) {
  EXPECT_THAT(Line(LogFormat::kText, "TLS handshake refused"),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z "
                           "WARN ndxp-hub transport: TLS handshake refused\n"));
}

TEST(LineFormatterTest, TextKeepsOneEventOnOneLine) {
  std::string line = Line(LogFormat::kText, "first\nsecond\r");
  EXPECT_THAT(line, ::testing::EndsWith(" transport: first\\nsecond\\r\n"));
}

TEST(LineFormatterTest, JsonIsOneObjectPerLine) {
  EXPECT_THAT(Line(LogFormat::kJson, "reloaded", spdlog::level::info),
              MatchesRegex("\\{\"time\":\"[0-9-]{10}T[0-9:]{8}\\.[0-9]{6}Z\",\"level\":\"info\","
                           "\"program\":\"ndxp-hub\",\"component\":\"transport\","
                           "\"message\":\"reloaded\"\\}\n"));
}

TEST(LineFormatterTest, JsonEscapesQuotesControlsAndBytesThatAreNotUtf8) {
  struct Case {
    std::string message;
    std::string json;
  } cases[] = {
      {"say \"hi\" \\ now", R"("say \"hi\" \\ now")"},
      {"two\nlines\tand\x01", R"("two\nlines\tand\u0001")"},
      {"Hồ Chí Minh", "\"Hồ Chí Minh\""},
      {"raw \xff\xfe bytes", R"("raw \ufffd\ufffd bytes")"},
      {"cut \xe1\xbb", R"("cut \ufffd\ufffd")"},
      {"surrogate \xed\xa0\x80", R"("surrogate \ufffd\ufffd\ufffd")"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    std::string line = Line(LogFormat::kJson, c.message);
    EXPECT_NE(line.find(",\"message\":" + c.json + "}\n"), std::string::npos) << line;
  }
}

TEST(LogFlagsTest, AcceptsTheFormatsAndLevelsAndRefusesOthers) {
  LogFlags flags;
  CLI::App app;
  AddLogFlags(app, flags);
  app.parse("--log-level=warn --log-format json", /*program_name_included=*/false);
  EXPECT_EQ(flags.format, "json");
  EXPECT_EQ(flags.level, "warn");
  for (std::string flag : {"--log-format", "--log-level"}) {
    SCOPED_TRACE(flag);
    LogFlags other;
    CLI::App refusing;
    AddLogFlags(refusing, other);
    try {
      refusing.parse(flag + " loud", /*program_name_included=*/false);
      ADD_FAILURE() << "accepted";
    } catch (const CLI::ParseError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(flag + ": loud not in"));
    }
  }
}

}  // namespace
}  // namespace ndxp::logging
