#include "gateway/subjects/subject_keys.h"

#include <sys/stat.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway::subjects {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

// A secret of `size` bytes of `byte`, in base64 as the file holds it.
std::string Secret(size_t size, char byte) { return absl::Base64Escape(std::string(size, byte)); }

std::string Hex(const absl::StatusOr<std::string>& hmac) {
  EXPECT_TRUE(hmac.ok()) << hmac.status();
  return hmac.ok() ? absl::BytesToHexString(*hmac) : "";
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::trunc) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

// RFC 4231 test cases 6 and 7: the only ones whose key is long enough for a
// subject key (131 bytes of 0xaa).
TEST(SubjectKeysTest, HmacIsHmacSha256) {
  absl::StatusOr<SubjectKeys> keys =
      SubjectKeys::Parse(absl::StrCat("rfc4231 ", Secret(131, '\xaa'), "\n"), "test");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(Hex(keys->Hmac("rfc4231", "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Hex(keys->Hmac("rfc4231",
                           "This is a test using a larger than block-size key and a larger "
                           "than block-size data. The key needs to be hashed before being "
                           "used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  EXPECT_EQ(keys->Hmac("other", "x").status().code(), absl::StatusCode::kNotFound);
}

TEST(SubjectKeysTest, TheFirstKeyIsCurrentAndEveryKeyHashes) {
  absl::StatusOr<SubjectKeys> keys = SubjectKeys::Parse(
      absl::StrCat("# comment\n\n  k2\t", Secret(32, 'b'), "  \r\nk1 ", Secret(40, 'a'), "\n"),
      "test");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->Current(), "k2");
  const std::vector<KeyedSubjectHmac> all = keys->AllHmacs("001099012345");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key_id, "k2");
  EXPECT_EQ(all[0].hmac, *keys->Hmac("k2", "001099012345"));
  EXPECT_EQ(all[1].key_id, "k1");
  EXPECT_EQ(all[1].hmac, *keys->Hmac("k1", "001099012345"));
  EXPECT_EQ(all[0].hmac.size(), kSubjectHmacBytes);
  EXPECT_NE(all[0].hmac, all[1].hmac);
  EXPECT_NE(*keys->Hmac("k2", "001099012346"), all[0].hmac);
}

TEST(SubjectKeysTest, MalformedFilesNameTheLineButNeverTheSecret) {
  const std::string short_secret = Secret(31, 's');
  const std::string good = absl::StrCat("k1 ", Secret(32, 'g'), "\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"# only comments\n\n", "subject keys f.keys: no key"},
      {absl::StrCat(good, "k2\n"), "f.keys line 2: expected \"<key_id> <secret in base64>\""},
      {absl::StrCat(good, "k2 ", Secret(32, 'x'), " extra\n"), "line 2: expected"},
      {absl::StrCat("k,1 ", Secret(32, 'x'), "\n"), "line 1: key id is not"},
      {absl::StrCat(good, "k2 not*base64\n"), "line 2: key k2's secret is not base64"},
      {absl::StrCat("# c\nk1 ", short_secret, "\n"), "line 2: key k1 is 31 bytes, fewer than 32"},
      {absl::StrCat(good, "\nk1 ", Secret(32, 'h'), "\n"),
       "line 3: key id k1 is already on line 1"},
  };
  for (const auto& [text, want] : cases) {
    SCOPED_TRACE(text);
    absl::StatusOr<SubjectKeys> keys = SubjectKeys::Parse(text, "f.keys");
    EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument) << keys.status();
    EXPECT_THAT(keys.status().message(),
                AllOf(HasSubstr(want), Not(HasSubstr(short_secret)),
                      Not(HasSubstr(Secret(32, 'g'))), Not(HasSubstr(Secret(32, 'h')))));
  }
}

TEST(SubjectKeysTest, LoadRefusesAFileOthersCanRead) {
  ::ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/subject-keys";
  EXPECT_EQ(SubjectKeys::Load(path).status().code(), absl::StatusCode::kNotFound);
  WriteFile(path, absl::StrCat("k1 ", Secret(32, 'a'), "\n"), 0640);
  absl::StatusOr<SubjectKeys> keys = SubjectKeys::Load(path);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition) << keys.status();
  EXPECT_THAT(keys.status().message(),
              AllOf(HasSubstr(path), HasSubstr("mode 0640"), HasSubstr("chmod 600")));
  ASSERT_EQ(chmod(path.c_str(), 0604), 0);
  EXPECT_EQ(SubjectKeys::Load(path).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  keys = SubjectKeys::Load(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->Current(), "k1");
}

// A rotation puts a new key first; the old one stays, hashing as before, so
// rows written under it are still found.
TEST(SubjectKeysTest, GenerateMakesAPrivateFileAndRotatesIt) {
  ::ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/subject-keys";
  EXPECT_EQ(GenerateSubjectKey(path, "k1", /*rotate=*/true).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(GenerateSubjectKey(path, "k1", /*rotate=*/false).ok());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  absl::StatusOr<SubjectKeys> before = SubjectKeys::Load(path);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->Current(), "k1");
  const std::string old_hmac = Hex(before->Hmac("k1", "001099012345"));

  EXPECT_EQ(GenerateSubjectKey(path, "k2", /*rotate=*/false).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(GenerateSubjectKey(path, "k1", /*rotate=*/true).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(GenerateSubjectKey(path, "k 2", /*rotate=*/true).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(GenerateSubjectKey(path, "k2", /*rotate=*/true).ok());
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  absl::StatusOr<SubjectKeys> after = SubjectKeys::Load(path);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->Current(), "k2");
  EXPECT_THAT(after->AllHmacs("001099012345"),
              ElementsAre(Field(&KeyedSubjectHmac::key_id, "k2"),
                          Field(&KeyedSubjectHmac::key_id, "k1")));
  EXPECT_EQ(Hex(after->Hmac("k1", "001099012345")), old_hmac);
  EXPECT_NE(Hex(after->Hmac("k2", "001099012345")), old_hmac);
  std::ifstream file(path);
  std::string first_line;
  std::getline(file, first_line);
  EXPECT_EQ(first_line.rfind("# ndxp subject keys", 0), 0u) << first_line;
}

}  // namespace
}  // namespace ndxp::gateway::subjects
