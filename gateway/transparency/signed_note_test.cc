// Signed notes: Go's sumdb/note documented key and note byte for byte, round
// trips, and what opening rejects or ignores.
#include "gateway/transparency/signed_note.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::transparency {
namespace {

using ::testing::HasSubstr;

// From the package documentation of golang.org/x/mod/sumdb/note (note.go).
constexpr absl::string_view kGoPrivateKey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr absl::string_view kGoVerifierKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr absl::string_view kGoText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr absl::string_view kGoSignatureLine =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr absl::string_view kGoSecondSignatureLine =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

Ed25519NoteSigner SignerFor(absl::string_view name) {
  return *Ed25519NoteSigner::Create(*Ed25519NoteKey::Generate(name));
}

Ed25519NoteVerifier VerifierFor(const NoteSigner& signer) {
  return *Ed25519NoteVerifier::FromVkey(signer.key().Encode());
}

TEST(SignedNoteTest, GoDocumentedKeyAndNoteByteForByte) {
  absl::StatusOr<Ed25519NoteKey> key = Ed25519NoteKey::Parse(kGoPrivateKey);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->verifier_key().Encode(), kGoVerifierKey);
  EXPECT_EQ(key->EncodePrivate(), kGoPrivateKey);
  EXPECT_EQ(key->verifier_key().KeyId(), 0xc74f20a3u);

  absl::StatusOr<Ed25519NoteSigner> signer = Ed25519NoteSigner::Create(*key);
  ASSERT_TRUE(signer.ok());
  absl::StatusOr<std::string> note = SignNote(kGoText, {&*signer});
  ASSERT_TRUE(note.ok()) << note.status();
  // Ed25519 is deterministic: the same bytes as Go's.
  EXPECT_EQ(*note, absl::StrCat(kGoText, "\n", kGoSignatureLine));

  absl::StatusOr<Ed25519NoteVerifier> verifier = Ed25519NoteVerifier::FromVkey(kGoVerifierKey);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  // Signed by Go's documented second key too, which is not known here.
  absl::StatusOr<OpenedNote> opened =
      OpenNote(absl::StrCat(*note, kGoSecondSignatureLine), {&*verifier});
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->text, kGoText);
  ASSERT_EQ(opened->verified.size(), 1u);
  EXPECT_EQ(opened->verified[0].name, "PeterNeumann");
  EXPECT_EQ(opened->verified[0].key_id, 0xc74f20a3u);
  ASSERT_EQ(opened->unknown.size(), 1u);
  EXPECT_EQ(opened->unknown[0].name, "EnochRoot");
}

TEST(SignedNoteTest, GeneratedKeyRoundTripsThroughItsStrings) {
  Ed25519NoteKey key = *Ed25519NoteKey::Generate("ndxp.example/log/hub-1");
  absl::StatusOr<Ed25519NoteKey> parsed = Ed25519NoteKey::Parse(key.EncodePrivate());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->verifier_key().Encode(), key.verifier_key().Encode());
  absl::StatusOr<NoteVerifierKey> vkey = ParseVerifierKey(key.verifier_key().Encode());
  ASSERT_TRUE(vkey.ok());
  EXPECT_EQ(vkey->public_key, key.verifier_key().public_key);
  EXPECT_EQ(vkey->type, kEd25519NoteType);
}

TEST(SignedNoteTest, SignAndOpenRoundTripWithSeveralSigners) {
  Ed25519NoteSigner log = SignerFor("ndxp.example/log");
  Ed25519NoteSigner other = SignerFor("other.example/log");
  absl::StatusOr<std::string> note = SignNote("ndxp.example/log\n3\nabc\n", {&log, &other});
  ASSERT_TRUE(note.ok()) << note.status();
  Ed25519NoteVerifier log_verifier = VerifierFor(log);
  Ed25519NoteVerifier other_verifier = VerifierFor(other);
  absl::StatusOr<OpenedNote> both = OpenNote(*note, {&log_verifier, &other_verifier});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->text, "ndxp.example/log\n3\nabc\n");
  EXPECT_EQ(both->verified.size(), 2u);
  EXPECT_TRUE(both->unknown.empty());

  // A signer added later (a witness) keeps the first signatures.
  Ed25519NoteSigner third = SignerFor("third.example");
  absl::StatusOr<std::string> more = AddNoteSignatures(*note, {&third});
  ASSERT_TRUE(more.ok()) << more.status();
  Ed25519NoteVerifier third_verifier = VerifierFor(third);
  absl::StatusOr<OpenedNote> all = OpenNote(*more, {&log_verifier, &third_verifier});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->verified.size(), 2u);
  EXPECT_EQ(all->unknown.size(), 1u);
}

TEST(SignedNoteTest, TamperedTextOrSignatureIsRejected) {
  Ed25519NoteSigner log = SignerFor("ndxp.example/log");
  Ed25519NoteVerifier verifier = VerifierFor(log);
  const std::string note = *SignNote("ndxp.example/log\n3\nabc\n", {&log});

  absl::StatusOr<OpenedNote> tampered =
      OpenNote(absl::StrReplaceAll(note, {{"\n3\n", "\n4\n"}}), {&verifier});
  EXPECT_EQ(tampered.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(tampered.status().message(), HasSubstr("does not verify"));

  // One bit of the signature itself (the key ID kept).
  const size_t sig_start = note.rfind(' ') + 1;
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(note.substr(sig_start, note.size() - sig_start - 1), &bytes));
  bytes[10] ^= 1;
  const std::string forged =
      absl::StrCat(note.substr(0, sig_start), absl::Base64Escape(bytes), "\n");
  EXPECT_EQ(OpenNote(forged, {&verifier}).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SignedNoteTest, UnknownKeysAreIgnoredButOneKnownMustSign) {
  Ed25519NoteSigner log = SignerFor("ndxp.example/log");
  Ed25519NoteSigner stranger = SignerFor("ndxp.example/log");  // same name, other key
  Ed25519NoteVerifier verifier = VerifierFor(log);
  const std::string note = *SignNote("text\n", {&stranger});
  absl::StatusOr<OpenedNote> opened = OpenNote(note, {&verifier});
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(opened.status().message(), HasSubstr("signed by no known key"));
  EXPECT_EQ(OpenNote(note, {}).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(SignedNoteTest, WrongKeyIdIsNotTheKey) {
  Ed25519NoteSigner log = SignerFor("ndxp.example/log");
  Ed25519NoteVerifier verifier = VerifierFor(log);
  const std::string note = *SignNote("text\n", {&log});
  // The key's own signature under another key ID: an unknown key.
  const size_t sig_start = note.rfind(' ') + 1;
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(note.substr(sig_start, note.size() - sig_start - 1), &bytes));
  bytes[0] ^= 0x80;
  const std::string other_id =
      absl::StrCat(note.substr(0, sig_start), absl::Base64Escape(bytes), "\n");
  EXPECT_EQ(OpenNote(other_id, {&verifier}).status().code(), absl::StatusCode::kUnauthenticated);

  // A verifier key whose ID is not its key's.
  std::string vkey = log.key().Encode();
  const size_t id_at = vkey.find('+') + 1;
  vkey[id_at] = vkey[id_at] == '0' ? '1' : '0';
  absl::StatusOr<NoteVerifierKey> bad = ParseVerifierKey(vkey);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("is not the key's"));
}

TEST(SignedNoteTest, MalformedNotesAndKeysAreNamed) {
  Ed25519NoteSigner log = SignerFor("ndxp.example/log");
  Ed25519NoteVerifier verifier = VerifierFor(log);
  const std::string note = *SignNote("text\n", {&log});
  const auto message = [&](absl::string_view bad) {
    absl::StatusOr<OpenedNote> opened = OpenNote(bad, {&verifier});
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    return std::string(opened.status().message());
  };
  EXPECT_THAT(message("text\n"), HasSubstr("no blank line"));
  EXPECT_THAT(message(note.substr(0, note.size() - 1)), HasSubstr("newline"));
  EXPECT_THAT(message(absl::StrReplaceAll(note, {{"\xE2\x80\x94 ", "- "}})),
              HasSubstr("does not start with"));
  EXPECT_THAT(message(absl::StrCat("te\txt\n", note.substr(5))), HasSubstr("control character"));
  EXPECT_THAT(message(absl::StrCat("te\xff", note.substr(3))), HasSubstr("not UTF-8"));
  EXPECT_THAT(message(absl::StrCat(note.substr(0, note.size() - 2), "!\n")), HasSubstr("base64"));

  EXPECT_FALSE(SignNote("no newline", {&log}).ok());
  EXPECT_FALSE(Ed25519NoteKey::Generate("two words").ok());
  EXPECT_FALSE(Ed25519NoteKey::Generate("a+b").ok());
  EXPECT_FALSE(Ed25519NoteKey::Generate("").ok());
  EXPECT_FALSE(
      IsValidKeyName("no\xC2\xA0"
                     "break"));  // U+00A0 is a space
  EXPECT_TRUE(IsValidKeyName("ndxp.example/log"));
  EXPECT_THAT(ParseVerifierKey("name+c74f20a3").status().message(), HasSubstr("want <name>"));
  EXPECT_THAT(Ed25519NoteKey::Parse(kGoVerifierKey).status().message(), HasSubstr("PRIVATE+KEY"));
  // A witness key (type 4) cannot sign plain notes or verify them.
  Ed25519NoteKey witness = *Ed25519NoteKey::Generate("witness.example", kCosignatureV1Type);
  EXPECT_FALSE(Ed25519NoteSigner::Create(witness).ok());
  EXPECT_FALSE(Ed25519NoteVerifier::FromVkey(witness.verifier_key().Encode()).ok());
}

}  // namespace
}  // namespace ndxp::transparency
