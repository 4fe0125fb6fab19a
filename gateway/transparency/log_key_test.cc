// The log key file: written private, read back, and every refusal naming
// the file and its reason.
#include "gateway/transparency/log_key.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gateway/transparency/cosignature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::transparency {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::trunc) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

TEST(LogKeyTest, DefaultNameIsTheTrustDomainsAudit) {
  EXPECT_EQ(DefaultLogKeyName("ndxp.gov.vn"), "ndxp.gov.vn/audit");
}

TEST(LogKeyTest, GeneratedKeyLoadsBackAndIsPrivate) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/log.key";
  absl::StatusOr<Ed25519NoteKey> made = GenerateLogKey(path, "ndxp.test/audit", false);
  ASSERT_TRUE(made.ok()) << made.status();
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600);
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, made->EncodePrivate());

  absl::StatusOr<Ed25519NoteKey> loaded = LoadLogKey(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->verifier_key().Encode(), made->verifier_key().Encode());
  EXPECT_EQ(loaded->verifier_key().name, "ndxp.test/audit");
  EXPECT_EQ(loaded->verifier_key().type, kEd25519NoteType);
}

TEST(LogKeyTest, GenerateRefusesAnExistingFileUnlessReplacing) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/log.key";
  absl::StatusOr<Ed25519NoteKey> first = GenerateLogKey(path, "ndxp.test/audit", false);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<Ed25519NoteKey> again = GenerateLogKey(path, "ndxp.test/audit", false);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(LoadLogKey(path)->verifier_key().Encode(), first->verifier_key().Encode());

  absl::StatusOr<Ed25519NoteKey> replaced = GenerateLogKey(path, "ndxp.test/audit", true);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(LoadLogKey(path)->verifier_key().Encode(), replaced->verifier_key().Encode());
  EXPECT_NE(replaced->verifier_key().Encode(), first->verifier_key().Encode());
}

TEST(LogKeyTest, GenerateRefusesANameNoteKeysCannotHave) {
  ndxp::testing::TempDir dir;
  for (const char* name : {"", "has space", "a+b"}) {
    absl::StatusOr<Ed25519NoteKey> made = GenerateLogKey(dir.path() + "/log.key", name, false);
    EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST(LogKeyTest, RefusesAFileGroupOrOthersMayRead) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/log.key";
  const Ed25519NoteKey key = *Ed25519NoteKey::Generate("ndxp.test/audit");
  WriteFile(path, key.EncodePrivate() + "\n", 0640);
  absl::StatusOr<Ed25519NoteKey> loaded = LoadLogKey(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(loaded.status().message(),
              AllOf(HasSubstr("log key " + path), HasSubstr("mode 0640"), HasSubstr("chmod 600")));
}

TEST(LogKeyTest, RefusesAMalformedKeyWithoutPrintingIt) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/log.key";
  const std::string good = Ed25519NoteKey::Generate("ndxp.test/audit")->EncodePrivate();
  // The base64 after the key ID (it may hold '+' itself).
  const size_t key_id = std::string("PRIVATE+KEY+ndxp.test/audit+").size();
  const std::string seed = good.substr(key_id + 9);
  for (const std::string& text :
       {std::string(""), good.substr(std::string("PRIVATE+KEY+").size()),  // no prefix
        good.substr(0, good.size() - 4),                                   // truncated seed
        good.substr(0, key_id) + "00000000+" + seed}) {                    // wrong key ID
    WriteFile(path, text + "\n", 0600);
    absl::StatusOr<Ed25519NoteKey> loaded = LoadLogKey(path);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(loaded.status().message(),
                AllOf(HasSubstr("log key " + path + ": "), Not(HasSubstr(seed))))
        << text;
  }
}

TEST(LogKeyTest, RefusesAWitnessCosignatureKey) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/log.key";
  const Ed25519NoteKey witness =
      *Ed25519NoteKey::Generate("province.ndxp.test/witness", kCosignatureV1Type);
  WriteFile(path, witness.EncodePrivate() + "\n", 0600);
  absl::StatusOr<Ed25519NoteKey> loaded = LoadLogKey(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(),
              AllOf(HasSubstr("log key " + path), HasSubstr("signature type 4"),
                    HasSubstr("not an Ed25519 note key")));
}

TEST(WitnessKeyTest, DefaultNameIsTheTrustDomainsWitness) {
  EXPECT_EQ(DefaultWitnessKeyName("province.ndxp.test"), "province.ndxp.test/witness");
}

TEST(WitnessKeyTest, GeneratedKeyIsACosignatureKeyThatLoadsBackAndIsPrivate) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/witness.key";
  absl::StatusOr<Ed25519NoteKey> made = GenerateWitnessKey(path, "ndxp.test/witness", false);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->verifier_key().type, kCosignatureV1Type);
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600);

  absl::StatusOr<Ed25519NoteKey> loaded = LoadWitnessKey(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->verifier_key().Encode(), made->verifier_key().Encode());
  EXPECT_EQ(loaded->verifier_key().type, kCosignatureV1Type);
  // What a witness is opened with.
  EXPECT_TRUE(CosignatureSigner::Create(*loaded).ok());
  // Not a log key: the other kind's loader refuses it, and the reverse.
  EXPECT_EQ(LoadLogKey(path).status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(GenerateWitnessKey(path, "ndxp.test/witness", false).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(GenerateWitnessKey(path, "ndxp.test/witness", true).ok());
  EXPECT_EQ(GenerateWitnessKey(dir.path() + "/w2", "a b", false).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WitnessKeyTest, RefusesALogKeyAndAPublicFile) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/witness.key";
  ASSERT_TRUE(GenerateLogKey(path, "ndxp.test/audit", false).ok());
  absl::StatusOr<Ed25519NoteKey> loaded = LoadWitnessKey(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(),
              AllOf(HasSubstr("witness key " + path), HasSubstr("signature type 1"),
                    HasSubstr("not a witness's cosignature key (4)")));

  const Ed25519NoteKey key = *Ed25519NoteKey::Generate("ndxp.test/witness", kCosignatureV1Type);
  WriteFile(path, key.EncodePrivate() + "\n", 0644);
  EXPECT_EQ(LoadWitnessKey(path).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(LogKeyTest, MissingFileIsNotFound) {
  ndxp::testing::TempDir dir;
  EXPECT_EQ(LoadLogKey(dir.path() + "/missing").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ndxp::transparency
