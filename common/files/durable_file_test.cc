#include "common/files/durable_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp {
namespace {

namespace fs = std::filesystem;

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ndxp-durable-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  fs::path dir_;
};

TEST_F(DurableFileTest, ReplacesTheFileWithItsModeAndLeavesNothingBeside) {
  const std::string path = (dir_ / "state").string();
  ASSERT_TRUE(WriteFileDurably(path, "first\n", 0600).ok());
  ASSERT_TRUE(WriteFileDurably(path, "second\n", 0600).ok());
  EXPECT_EQ(Read(path), "second\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "no temporary file left";
}

TEST_F(DurableFileTest, AFailureNamesThePathAndKeepsTheOldFile) {
  const std::string path = (dir_ / "state").string();
  ASSERT_TRUE(WriteFileDurably(path, "kept\n", 0644).ok());
  const absl::Status missing = WriteFileDurably((dir_ / "no-such-dir" / "x").string(), "y", 0600);
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(missing.message()), ::testing::HasSubstr("no-such-dir/x"));
  // A directory in the way: the rename fails, the old contents stay.
  fs::create_directories(dir_ / "taken" / "inside");
  EXPECT_FALSE(WriteFileDurably((dir_ / "taken").string(), "z", 0600).ok());
  EXPECT_EQ(Read(path), "kept\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2)
      << "the state file and the directory in the way, no temporary file";
}

}  // namespace
}  // namespace ndxp
