// Witness cosignatures: the signed message and the spec example's time, a
// log-signed checkpoint cosigned and opened, tampering caught.
#include "gateway/transparency/cosignature.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gateway/transparency/checkpoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::transparency {
namespace {

using ::testing::HasSubstr;

constexpr absl::string_view kSpecCheckpoint =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr int64_t kTime = 1679315147;

struct CosignedCheckpoint {
  Ed25519NoteSigner log;
  CosignatureSigner witness;
  std::string note;  // signed by the log, then cosigned
};

CosignedCheckpoint MakeCosigned() {
  Ed25519NoteSigner log =
      *Ed25519NoteSigner::Create(*Ed25519NoteKey::Generate("ndxp.example/audit/hub-1"));
  CosignatureSigner witness = *CosignatureSigner::Create(
      *Ed25519NoteKey::Generate("province.example/witness", kCosignatureV1Type),
      [] { return kTime; });
  const std::string text = *FormatCheckpoint({"ndxp.example/audit/hub-1", 1000, LeafHash("x")});
  const std::string signed_note = *SignNote(text, {&log});
  std::string note = *AddNoteSignatures(signed_note, {&witness});
  return {std::move(log), std::move(witness), std::move(note)};
}

TEST(CosignatureTest, SignedMessageIsTheSpecs) {
  EXPECT_EQ(CosignedMessage(kSpecCheckpoint, kTime),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  // The spec example's witness line: key ID, then its time, then 64 bytes.
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(
      "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
      "qhf5nNo0xUe+mbIUBkBIfZ+qnA==",
      &bytes));
  EXPECT_EQ(*CosignatureTime(bytes.substr(4)), kTime);
}

TEST(CosignatureTest, WitnessKeyIdUsesType4) {
  Ed25519NoteKey key = *Ed25519NoteKey::Generate("province.example/witness", kCosignatureV1Type);
  NoteVerifierKey as_log_key = key.verifier_key();
  as_log_key.type = kEd25519NoteType;
  EXPECT_NE(key.verifier_key().KeyId(), as_log_key.KeyId());
  std::string typed;
  const std::string vkey = key.verifier_key().Encode();
  // <name>+<key ID>+<base64>, the base64 possibly holding "+" too.
  ASSERT_TRUE(absl::Base64Unescape(vkey.substr(vkey.find('+', vkey.find('+') + 1) + 1), &typed));
  EXPECT_EQ(typed[0], '\x04');
  EXPECT_TRUE(CosignatureVerifier::FromVkey(vkey).ok());
}

TEST(CosignatureTest, CosignedCheckpointOpensWithLogAndWitnessKeys) {
  CosignedCheckpoint c = MakeCosigned();
  Ed25519NoteVerifier log = *Ed25519NoteVerifier::FromVkey(c.log.key().Encode());
  CosignatureVerifier witness = *CosignatureVerifier::FromVkey(c.witness.key().Encode());
  absl::StatusOr<OpenedNote> opened = OpenNote(c.note, {&log, &witness});
  ASSERT_TRUE(opened.ok()) << opened.status();
  ASSERT_EQ(opened->verified.size(), 2u);
  EXPECT_EQ(opened->verified[1].name, "province.example/witness");
  EXPECT_EQ(*CosignatureTime(opened->verified[1].signature), kTime);
  // The log's own signature is no cosignature.
  absl::StatusOr<std::vector<Cosignature>> cosignatures = WitnessCosignatures(*opened, {&witness});
  ASSERT_TRUE(cosignatures.ok()) << cosignatures.status();
  ASSERT_EQ(cosignatures->size(), 1u);
  EXPECT_EQ((*cosignatures)[0].witness, "province.example/witness");
  EXPECT_EQ((*cosignatures)[0].time_seconds, kTime);
  EXPECT_TRUE(WitnessCosignatures(*opened, {})->empty());
  EXPECT_EQ(ParseCheckpoint(opened->text)->tree_size, 1000);

  // The witness alone opens it too; the log's line is then unknown.
  absl::StatusOr<OpenedNote> witness_only = OpenNote(c.note, {&witness});
  ASSERT_TRUE(witness_only.ok()) << witness_only.status();
  EXPECT_EQ(witness_only->unknown.size(), 1u);
}

// The cosignature line of `note` with its signature bytes changed by `edit`.
std::string EditCosignature(const std::string& note, void (*edit)(std::string&)) {
  const size_t line = note.rfind("\xE2\x80\x94 ");
  const size_t sig_start = note.find(' ', line + 4) + 1;
  std::string bytes;
  absl::Base64Unescape(note.substr(sig_start, note.size() - sig_start - 1), &bytes);
  std::string signature = bytes.substr(4);
  edit(signature);
  return absl::StrCat(note.substr(0, sig_start),
                      absl::Base64Escape(absl::StrCat(bytes.substr(0, 4), signature)), "\n");
}

TEST(CosignatureTest, TamperedTimestampOrCheckpointFails) {
  CosignedCheckpoint c = MakeCosigned();
  CosignatureVerifier witness = *CosignatureVerifier::FromVkey(c.witness.key().Encode());
  ASSERT_TRUE(OpenNote(c.note, {&witness}).ok());

  const std::string later = EditCosignature(c.note, [](std::string& s) { s[7] ^= 1; });
  absl::StatusOr<OpenedNote> opened = OpenNote(later, {&witness});
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened.status().message(), HasSubstr("province.example/witness"));

  const std::string short_one =
      EditCosignature(c.note, [](std::string& s) { s.resize(s.size() - 1); });
  EXPECT_EQ(OpenNote(short_one, {&witness}).status().code(), absl::StatusCode::kDataLoss);

  const std::string other_tree = absl::StrReplaceAll(c.note, {{"\n1000\n", "\n1001\n"}});
  EXPECT_EQ(OpenNote(other_tree, {&witness}).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CosignatureTest, KeysOfTheWrongTypeAreRefused) {
  EXPECT_FALSE(CosignatureSigner::Create(*Ed25519NoteKey::Generate("log.example")).ok());
  Ed25519NoteKey log_key = *Ed25519NoteKey::Generate("log.example");
  EXPECT_THAT(CosignatureVerifier::FromVkey(log_key.verifier_key().Encode()).status().message(),
              HasSubstr("not a witness's cosignature key"));
  EXPECT_FALSE(CosignatureTime(std::string(71, 'x')).ok());
  EXPECT_FALSE(CosignatureTime(std::string(1, '\x80') + std::string(71, '\0')).ok());
}

}  // namespace
}  // namespace ndxp::transparency
