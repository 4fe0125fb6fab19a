// Checkpoint texts: C2SP's example, round trips, and each malformed line
// named.
#include "gateway/transparency/checkpoint.h"

#include <string>

#include "gateway/transparency/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::transparency {
namespace {

using ::testing::HasSubstr;

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

}  // namespace
}  // namespace ndxp::transparency
