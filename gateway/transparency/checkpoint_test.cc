// Checkpoint texts: C2SP's example, round trips, and each malformed line
// named; replicas' origins; checkpoints signed with a log key and opened as
// a verifier does (Go's sumdb/note checks the same notes:
// tests/transparency/sumdb_interop_test.sh).
#include "gateway/transparency/checkpoint.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "gateway/transparency/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::transparency {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The example of C2SP tlog-checkpoint.
constexpr absl::string_view kSpecExample =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

TEST(CheckpointTest, ParsesTheSpecExampleAndFormatsItBack) {
  absl::StatusOr<Checkpoint> checkpoint = ParseCheckpoint(kSpecExample);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(checkpoint->tree_size, 20852163);
  EXPECT_EQ(HashHex(checkpoint->root),
            "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62");
  EXPECT_EQ(*FormatCheckpoint(*checkpoint), kSpecExample);
}

TEST(CheckpointTest, EmptyTreeAndSignedRoundTrip) {
  const Checkpoint empty{"ndxp.example/audit/hub-1", 0, EmptyTreeRoot()};
  const std::string text = *FormatCheckpoint(empty);
  EXPECT_EQ(text, "ndxp.example/audit/hub-1\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
  Ed25519NoteSigner log =
      *Ed25519NoteSigner::Create(*Ed25519NoteKey::Generate("ndxp.example/audit/hub-1"));
  Ed25519NoteVerifier verifier = *Ed25519NoteVerifier::FromVkey(log.key().Encode());
  absl::StatusOr<OpenedNote> opened = OpenNote(*SignNote(text, {&log}), {&verifier});
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*ParseCheckpoint(opened->text), empty);
}

TEST(CheckpointTest, MalformedLinesAreNamed) {
  const auto message = [](absl::string_view text) {
    absl::StatusOr<Checkpoint> checkpoint = ParseCheckpoint(text);
    EXPECT_EQ(checkpoint.status().code(), absl::StatusCode::kInvalidArgument) << text;
    return std::string(checkpoint.status().message());
  };
  const std::string root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  EXPECT_THAT(message("log\n5\n" + root), HasSubstr("newline"));
  EXPECT_THAT(message("log\n5\n"), HasSubstr("2 lines, want 3"));
  EXPECT_THAT(message("log\n5\n" + root + "\ntime 12\n"),
              HasSubstr("line 4 \"time 12\": extension lines are not accepted"));
  EXPECT_THAT(message("\n5\n" + root + "\n"), HasSubstr("line 1 (origin) is empty"));
  for (const char* size : {"", "05", "-5", "+5", "5 ", "0x5", "9223372036854775808"}) {
    EXPECT_THAT(message(std::string("log\n") + size + "\n" + root + "\n"),
                HasSubstr("line 2 (tree size)"))
        << size;
  }
  EXPECT_TRUE(ParseCheckpoint("log\n9223372036854775807\n" + root + "\n").ok());
  for (const std::string& bad_root :
       {std::string("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I"),   // no padding
        std::string("CsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I="),  // URL alphabet
        std::string("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J="),  // non-canonical bits
        std::string("AAAA"), std::string("")}) {
    EXPECT_THAT(message("log\n5\n" + bad_root + "\n"), HasSubstr("line 3 (root hash)")) << bad_root;
  }
  EXPECT_FALSE(FormatCheckpoint({"has space", 1, EmptyTreeRoot()}).ok());
  EXPECT_FALSE(FormatCheckpoint({"log", -1, EmptyTreeRoot()}).ok());
}

TEST(CheckpointTest, OriginIsTheTrustDomainsAuditReplica) {
  EXPECT_EQ(*CheckpointOrigin("ndxp.gov.vn", "hub-1"), "ndxp.gov.vn/audit/hub-1");
  for (const auto& [trust_domain, replica] :
       std::vector<std::pair<std::string, std::string>>{{"", "hub-1"},
                                                        {"ndxp.gov.vn", ""},
                                                        {"ndxp gov.vn", "hub-1"},
                                                        {"ndxp.gov.vn", "hub+1"},
                                                        {"ndxp.gov.vn", "hub\x01"},
                                                        {"ndxp.gov.vn", "hub\n1"},
                                                        {"ndxp.gov.vn\xc2\xa0", "hub-1"}}) {
    absl::StatusOr<std::string> origin = CheckpointOrigin(trust_domain, replica);
    EXPECT_EQ(origin.status().code(), absl::StatusCode::kInvalidArgument)
        << trust_domain << " " << replica;
  }
  EXPECT_THAT(CheckpointOrigin("ndxp.gov.vn", "hub+1").status().message(),
              HasSubstr("\"ndxp.gov.vn/audit/hub+1\" is not valid"));
}

TEST(CheckpointTest, SignedTreeCheckpointIsTheCheckpointTextAndOneSignatureLine) {
  const Ed25519NoteKey key = *Ed25519NoteKey::Generate("ndxp.test/audit");
  const Checkpoint checkpoint = *ParseCheckpoint(kSpecExample);
  absl::StatusOr<std::string> note =
      SignTreeCheckpoint("ndxp.test/audit/hub-1", checkpoint.tree_size, checkpoint.root, key);
  ASSERT_TRUE(note.ok()) << note.status();
  const std::string text =
      "ndxp.test/audit/hub-1\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  ASSERT_EQ(note->substr(0, text.size() + 1), text + "\n");
  EXPECT_THAT(note->substr(text.size() + 1), StartsWith("\xE2\x80\x94 ndxp.test/audit "));
  EXPECT_EQ(std::count(note->begin(), note->end(), '\n'), 5);

  absl::StatusOr<Checkpoint> opened =
      OpenTreeCheckpoint(*note, "ndxp.test/audit/hub-1", {key.verifier_key().Encode()});
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, (Checkpoint{"ndxp.test/audit/hub-1", checkpoint.tree_size, checkpoint.root}));
}

TEST(CheckpointTest, SigningRefusesAWitnessKeyAndABadOrigin) {
  const Ed25519NoteKey witness = *Ed25519NoteKey::Generate("ndxp.test/witness", kCosignatureV1Type);
  EXPECT_EQ(
      SignTreeCheckpoint("ndxp.test/audit/hub-1", 1, EmptyTreeRoot(), witness).status().code(),
      absl::StatusCode::kInvalidArgument);
  const Ed25519NoteKey key = *Ed25519NoteKey::Generate("ndxp.test/audit");
  EXPECT_EQ(SignTreeCheckpoint("has space", 1, EmptyTreeRoot(), key).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CheckpointTest, OpenRefusesAnotherOriginAnotherKeyAndAnEditedTree) {
  const Ed25519NoteKey key = *Ed25519NoteKey::Generate("ndxp.test/audit");
  const std::string vkey = key.verifier_key().Encode();
  const std::string note = *SignTreeCheckpoint("ndxp.test/audit/hub-2", 5, EmptyTreeRoot(), key);

  absl::StatusOr<Checkpoint> other_origin =
      OpenTreeCheckpoint(note, "ndxp.test/audit/hub-1", {vkey});
  EXPECT_EQ(other_origin.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other_origin.status().message(),
              HasSubstr("origin \"ndxp.test/audit/hub-2\", not the expected "
                        "\"ndxp.test/audit/hub-1\""));

  const std::string other_vkey =
      Ed25519NoteKey::Generate("ndxp.test/audit")->verifier_key().Encode();
  EXPECT_EQ(OpenTreeCheckpoint(note, "ndxp.test/audit/hub-2", {other_vkey}).status().code(),
            absl::StatusCode::kUnauthenticated);

  std::string edited = note;
  edited[edited.find("\n5\n") + 1] = '6';
  EXPECT_EQ(OpenTreeCheckpoint(edited, "ndxp.test/audit/hub-2", {vkey}).status().code(),
            absl::StatusCode::kDataLoss);

  EXPECT_EQ(OpenTreeCheckpoint(note, "ndxp.test/audit/hub-2", {"not a vkey"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A rotation's overlap: verifiers hold the old and the new vkey; checkpoints
// signed by either open, and one signed by both.
TEST(CheckpointTest, OpensWithAnyOfTheLogsVkeys) {
  const Ed25519NoteKey old_key = *Ed25519NoteKey::Generate("ndxp.test/audit");
  const Ed25519NoteKey new_key = *Ed25519NoteKey::Generate("ndxp.test/audit");
  const std::vector<std::string> vkeys = {old_key.verifier_key().Encode(),
                                          new_key.verifier_key().Encode()};
  const std::string by_old =
      *SignTreeCheckpoint("ndxp.test/audit/hub-1", 7, EmptyTreeRoot(), old_key);
  const std::string by_new =
      *SignTreeCheckpoint("ndxp.test/audit/hub-1", 9, EmptyTreeRoot(), new_key);
  EXPECT_EQ(OpenTreeCheckpoint(by_old, "ndxp.test/audit/hub-1", vkeys)->tree_size, 7);
  EXPECT_EQ(OpenTreeCheckpoint(by_new, "ndxp.test/audit/hub-1", vkeys)->tree_size, 9);
  EXPECT_EQ(OpenTreeCheckpoint(by_new, "ndxp.test/audit/hub-1", {vkeys[0]}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace ndxp::transparency
