#include "common/files/private_file.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::files {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0);
  return info.st_mode & 07777;
}

TEST(PrivateFileTest, WrittenMode0600AndReadBack) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/secret";
  ASSERT_TRUE(WritePrivateFile(path, "test key", "one\n", /*replace=*/false).ok());
  EXPECT_EQ(ModeOf(path), 0600);
  std::string bytes;
  ASSERT_TRUE(ReadPrivateFile(path, "test key", &bytes).ok());
  EXPECT_EQ(bytes, "one\n");
}

TEST(PrivateFileTest, ReplacesOnlyWhenAsked) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/secret";
  ASSERT_TRUE(WritePrivateFile(path, "test key", "one\n", false).ok());
  const absl::Status kept = WritePrivateFile(path, "test key", "two\n", false);
  EXPECT_EQ(kept.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(kept.message(), "test key " + path + ": exists");
  std::string bytes;
  ASSERT_TRUE(ReadPrivateFile(path, "test key", &bytes).ok());
  EXPECT_EQ(bytes, "one\n");

  ASSERT_TRUE(WritePrivateFile(path, "test key", "two\n", /*replace=*/true).ok());
  bytes.clear();
  ASSERT_TRUE(ReadPrivateFile(path, "test key", &bytes).ok());
  EXPECT_EQ(bytes, "two\n");
  EXPECT_EQ(ModeOf(path), 0600);
}

TEST(PrivateFileTest, RefusesAFileGroupOrOthersMayRead) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/secret";
  std::ofstream(path) << "one\n";
  for (mode_t mode : {0640, 0604, 0620}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    std::string bytes;
    const absl::Status status = ReadPrivateFile(path, "test key", &bytes);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << mode;
    EXPECT_THAT(status.message(), AllOf(HasSubstr("test key " + path), HasSubstr("chmod 600")));
    EXPECT_EQ(bytes, "");
  }
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  std::string bytes;
  EXPECT_TRUE(ReadPrivateFile(path, "test key", &bytes).ok());
}

TEST(PrivateFileTest, MissingFileIsNotFound) {
  ndxp::testing::TempDir dir;
  std::string bytes;
  const absl::Status status = ReadPrivateFile(dir.path() + "/missing", "test key", &bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("test key " + dir.path() + "/missing"));
}

}  // namespace
}  // namespace ndxp::files
