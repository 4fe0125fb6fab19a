// What the configuration fuzzers share: a private directory per process
// holding the file under test, and the checks on a refusal's message.
#ifndef NDXP_TESTS_FUZZ_CONFIG_FILE_H_
#define NDXP_TESTS_FUZZ_CONFIG_FILE_H_

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "tests/fuzz/fuzz_check.h"

namespace ndxp::fuzz {

// A directory of its own (removed at exit) where each input is written as
// `name`, since the loaders read files and resolve relative paths against
// the file's directory.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& name) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ndxp-config-fuzz-XXXXXX").string();
    Check(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    path_ = (dir_ / name).string();
  }
  ~ConfigFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& path() const { return path_; }

  void Write(absl::string_view text) const { WriteAt(path_, text); }

  static void WriteAt(const std::filesystem::path& path, absl::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    Check(out.good());
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

// A refusal is INVALID_ARGUMENT "FILE:LINE: reason", "FILE:LINE:COLUMN:
// reason" (syntax) or "FILE: reason" (nothing to point at), with a line of
// the file and a reason.
inline void CheckRefusal(const absl::Status& status, const std::string& path,
                         absl::string_view text) {
  Check(status.code() == absl::StatusCode::kInvalidArgument);
  absl::string_view message = status.message();
  Check(absl::ConsumePrefix(&message, path));
  Check(absl::ConsumePrefix(&message, ":"));
  if (!absl::ConsumePrefix(&message, " ")) {
    size_t colon = message.find(':');
    Check(colon != absl::string_view::npos);
    int line = 0;
    Check(absl::SimpleAtoi(message.substr(0, colon), &line));
    // The parser may report the end of the input, one past its last line.
    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    Check(line >= 1 && line <= lines);
  }
  Check(message.find_first_not_of(' ') != absl::string_view::npos);  // a reason
}

}  // namespace ndxp::fuzz

#endif  // NDXP_TESTS_FUZZ_CONFIG_FILE_H_
