// Test-only: writes a transparency log fixture for the Go verifier
// (sumdb_verify/main.go, Go's sumdb/note and sumdb/tlog), and opens what the
// Go side signed, so proofs and key strings are checked by code nobody here
// wrote, both ways.
//
//   transparency_sumdb_fixture write DIR [--flip=inclusion|consistency|leaf|checkpoint|cosignature]
//     DIR/fixture.txt, one item a line (hashes and data base64):
//       origin <origin>          vkey <log verifier key>
//       witness <witness vkey>   cosigned <size> <note file> <witness name> <unix time>
//       checkpoint <size> <note file>
//       leaf <index> <data> <leaf hash>
//       inclusion <index> <tree size> <hash,hash,...|->
//       consistency <old size> <new size> <hash,...|->
//     DIR/log.key (written by GenerateLogKey, sumdb's private key form, for
//     Go's note.NewSigner) and the checkpoint notes SignTreeCheckpoint signs. --flip changes one
//     bit of the first such item (a proof hash, a leaf's data, a signed checkpoint's tree size, the
//     time in a cosignature): the Go verifier must then fail.
//   transparency_sumdb_fixture open-go-notes DIR
//     Opens DIR/go-signed.note (Go signed with DIR/log.key) with the log's
//     vkey, DIR/go-checkpoint.note (the largest checkpoint, Go signed with
//     DIR/log.key) with OpenTreeCheckpoint, which must be SignTreeCheckpoint's
//     bytes, DIR/go-own.note with Go's DIR/go.vkey, and reads Go's private key
//     DIR/go.key, whose verifier key must be DIR/go.vkey.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status/status_util.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/log_key.h"
#include "gateway/transparency/merkle.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::transparency {
namespace {

// CheckpointOrigin(kTrustDomain, "hub-1"), signed under DefaultLogKeyName.
constexpr absl::string_view kTrustDomain = "ndxp.test";
constexpr absl::string_view kOrigin = "ndxp.test/audit/hub-1";
constexpr absl::string_view kWitnessName = "province.ndxp.test/witness";
constexpr int64_t kCosignatureTime = 1796601600;
constexpr int kLeaves = 1000;

std::string Base64(const Hash& hash) {
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

std::string ProofText(const std::vector<Hash>& proof) {
  if (proof.empty()) return "-";
  std::vector<std::string> parts;
  for (const Hash& hash : proof) parts.push_back(Base64(hash));
  return absl::StrJoin(parts, ",");
}

absl::Status WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Flips one bit of the first item of the kind --flip names, once.
class Flipper {
 public:
  explicit Flipper(std::string what) : what_(std::move(what)) {}
  bool Take(absl::string_view kind) {
    if (done_ || kind != what_) return false;
    done_ = true;
    return true;
  }
  bool done() const { return done_ || what_.empty(); }

 private:
  const std::string what_;
  bool done_ = false;
};

// A witness whose cosignature's time is changed after signing (--flip=cosignature).
class TimeFlippingSigner : public NoteSigner {
 public:
  explicit TimeFlippingSigner(const NoteSigner& inner) : inner_(inner) {}
  const NoteVerifierKey& key() const override { return inner_.key(); }
  absl::StatusOr<std::string> Sign(absl::string_view text) const override {
    NDXP_ASSIGN_OR_RETURN(std::string signature, inner_.Sign(text));
    signature[7] ^= 1;  // the time's lowest bit
    return signature;
  }

 private:
  const NoteSigner& inner_;
};

absl::Status Write(const std::string& dir, const std::string& flip) {
  Flipper flipper(flip);
  NDXP_ASSIGN_OR_RETURN(std::string origin, CheckpointOrigin(kTrustDomain, "hub-1"));
  if (origin != kOrigin) return absl::InternalError(absl::StrCat("origin ", origin));
  // The log key as ndxpctl log-key generate writes it: Go's note.NewSigner reads the file.
  NDXP_ASSIGN_OR_RETURN(
      Ed25519NoteKey log_key,
      GenerateLogKey(dir + "/log.key", DefaultLogKeyName(kTrustDomain), /*replace=*/false));
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteKey witness_key,
                        Ed25519NoteKey::Generate(kWitnessName, kCosignatureV1Type));
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteSigner log, Ed25519NoteSigner::Create(log_key));
  NDXP_ASSIGN_OR_RETURN(CosignatureSigner witness,
                        CosignatureSigner::Create(witness_key, [] { return kCosignatureTime; }));
  std::string fixture = absl::StrCat("origin ", kOrigin, "\nvkey ", log.key().Encode(),
                                     "\nwitness ", witness.key().Encode(), "\n");

  // The leaves, appended in batches of 7 as a store commits them.
  std::vector<std::string> data;
  std::vector<Hash> leaves;
  MemoryTileStore tree;
  for (int i = 0; i < kLeaves; ++i) {
    data.push_back(absl::StrCat("ndxp fixture row ", i + 1, std::string(i % 7, '.')));
    leaves.push_back(LeafHash(data.back()));
    if (leaves.size() % 7 == 0 || i + 1 == kLeaves) {
      const auto batch = absl::MakeConstSpan(leaves).subspan(tree.size());
      NDXP_RETURN_IF_ERROR(tree.Append(batch).status());
    }
  }
  for (int i = 0; i < kLeaves; ++i) {
    std::string leaf_data = data[i];
    if (flipper.Take("leaf")) leaf_data[0] ^= 1;
    absl::StrAppend(&fixture, "leaf ", i, " ", absl::Base64Escape(leaf_data), " ",
                    Base64(leaves[i]), "\n");
  }

  const std::vector<int64_t> sizes = {1, 2, 3, 7, 8, 255, 256, 257, 511, 512, 513, 999, 1000};
  for (int64_t size : sizes) {
    NDXP_ASSIGN_OR_RETURN(Hash root, TreeRoot(size, tree));
    NDXP_ASSIGN_OR_RETURN(std::string note, SignTreeCheckpoint(kOrigin, size, root, log_key));
    if (size == kLeaves) {
      // The newest checkpoint as published: with the witness's cosignature.
      TimeFlippingSigner later_witness(witness);
      const NoteSigner* cosigner = &witness;
      if (flipper.Take("cosignature")) cosigner = &later_witness;
      NDXP_ASSIGN_OR_RETURN(std::string cosigned, AddNoteSignatures(note, {cosigner}));
      const std::string file = absl::StrCat("cosigned-", size, ".note");
      NDXP_RETURN_IF_ERROR(WriteFile(dir + "/" + file, cosigned));
      absl::StrAppend(&fixture, "cosigned ", size, " ", file, " ", kWitnessName, " ",
                      kCosignatureTime, "\n");
    }
    if (flipper.Take("checkpoint")) {
      // The size line's last digit, after signing: a rewritten checkpoint.
      note[note.find('\n', kOrigin.size() + 1) - 1] ^= 1;
    }
    const std::string file = absl::StrCat("checkpoint-", size, ".note");
    NDXP_RETURN_IF_ERROR(WriteFile(dir + "/" + file, note));
    absl::StrAppend(&fixture, "checkpoint ", size, " ", file, "\n");
  }

  for (int64_t size : sizes) {
    std::vector<int64_t> indexes;
    if (size == kLeaves) {
      for (int64_t i = 0; i < size; ++i) indexes.push_back(i);
    } else {
      for (int64_t i : {int64_t{0}, int64_t{1}, size / 2, size - 2, size - 1}) {
        if (i >= 0 && i < size && (indexes.empty() || indexes.back() < i)) indexes.push_back(i);
      }
    }
    for (int64_t index : indexes) {
      NDXP_ASSIGN_OR_RETURN(std::vector<Hash> proof, InclusionProof(index, size, tree));
      if (!proof.empty() && flipper.Take("inclusion")) proof[0][5] ^= 0x10;
      absl::StrAppend(&fixture, "inclusion ", index, " ", size, " ", ProofText(proof), "\n");
    }
  }
  for (int64_t old_size : sizes) {
    for (int64_t new_size : sizes) {
      if (new_size < old_size) continue;
      NDXP_ASSIGN_OR_RETURN(std::vector<Hash> proof, ConsistencyProof(old_size, new_size, tree));
      if (!proof.empty() && flipper.Take("consistency")) proof[0][31] ^= 0x01;
      absl::StrAppend(&fixture, "consistency ", old_size, " ", new_size, " ", ProofText(proof),
                      "\n");
    }
  }
  if (!flipper.done()) return absl::InvalidArgumentError(absl::StrCat("cannot flip ", flip));
  return WriteFile(dir + "/fixture.txt", fixture);
}

absl::StatusOr<std::string> ReadLine(const std::string& path) {
  NDXP_ASSIGN_OR_RETURN(std::string contents, ReadFile(path));
  return std::string(absl::StripAsciiWhitespace(contents));
}

absl::Status OpenGoNotes(const std::string& dir) {
  // Go signed with the log's key string.
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteKey log_key, LoadLogKey(dir + "/log.key"));
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteVerifier log,
                        Ed25519NoteVerifier::FromVkey(log_key.verifier_key().Encode()));
  NDXP_ASSIGN_OR_RETURN(std::string signed_by_go, ReadFile(dir + "/go-signed.note"));
  NDXP_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(signed_by_go, {&log}));
  std::cout << "opened go-signed.note, signed by Go with log.key: " << opened.text;

  // A checkpoint Go signed with the log key: a verifier's OpenTreeCheckpoint
  // opens it, and SignTreeCheckpoint gives Go's bytes (Ed25519 is
  // deterministic).
  NDXP_ASSIGN_OR_RETURN(std::string go_checkpoint, ReadFile(dir + "/go-checkpoint.note"));
  NDXP_ASSIGN_OR_RETURN(
      Checkpoint checkpoint,
      OpenTreeCheckpoint(go_checkpoint, kOrigin, {log_key.verifier_key().Encode()}));
  NDXP_ASSIGN_OR_RETURN(
      std::string own_checkpoint,
      SignTreeCheckpoint(kOrigin, checkpoint.tree_size, checkpoint.root, log_key));
  if (own_checkpoint != go_checkpoint) {
    return absl::DataLossError(absl::StrCat("SignTreeCheckpoint gives\n", own_checkpoint,
                                            "Go's note.Sign gave\n", go_checkpoint));
  }
  std::cout << "opened go-checkpoint.note of tree size " << checkpoint.tree_size
            << ", byte for byte SignTreeCheckpoint's\n";

  // Go's own key, generated by note.GenerateKey: its strings read here.
  NDXP_ASSIGN_OR_RETURN(std::string go_vkey, ReadLine(dir + "/go.vkey"));
  NDXP_ASSIGN_OR_RETURN(std::string go_skey, ReadLine(dir + "/go.key"));
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteKey go_key, Ed25519NoteKey::Parse(go_skey));
  if (go_key.verifier_key().Encode() != go_vkey) {
    return absl::DataLossError(absl::StrCat("Go's private key gives verifier key ",
                                            go_key.verifier_key().Encode(), ", Go said ", go_vkey));
  }
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteVerifier go_verifier, Ed25519NoteVerifier::FromVkey(go_vkey));
  NDXP_ASSIGN_OR_RETURN(std::string go_own, ReadFile(dir + "/go-own.note"));
  NDXP_ASSIGN_OR_RETURN(opened, OpenNote(go_own, {&go_verifier}));
  std::cout << "opened go-own.note with Go's generated key " << go_vkey << ": " << opened.text;
  // Ed25519 is deterministic: Go's key signing here gives Go's bytes.
  NDXP_ASSIGN_OR_RETURN(Ed25519NoteSigner resigner, Ed25519NoteSigner::Create(go_key));
  NDXP_ASSIGN_OR_RETURN(std::string resigned, SignNote(opened.text, {&resigner}));
  if (resigned != go_own) {
    return absl::DataLossError("signing Go's note text with Go's key gives other bytes than Go's");
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace ndxp::transparency

int main(int argc, char** argv) {
  const std::string usage =
      "usage: transparency_sumdb_fixture write DIR "
      "[--flip=inclusion|consistency|leaf|checkpoint|cosignature]"
      "\n       transparency_sumdb_fixture open-go-notes DIR\n";
  if (argc < 3) {
    std::cerr << usage;
    return 2;
  }
  const std::string mode = argv[1];
  const std::string dir = argv[2];
  absl::Status status;
  if (mode == "write" && argc <= 4) {
    std::string flip;
    if (argc == 4) {
      absl::string_view arg = argv[3];
      if (!absl::ConsumePrefix(&arg, "--flip=")) {
        std::cerr << usage;
        return 2;
      }
      flip = std::string(arg);
    }
    status = ndxp::transparency::Write(dir, flip);
  } else if (mode == "open-go-notes" && argc == 3) {
    status = ndxp::transparency::OpenGoNotes(dir);
  } else {
    std::cerr << usage;
    return 2;
  }
  if (!status.ok()) {
    std::cerr << "transparency_sumdb_fixture: " << status << "\n";
    return 1;
  }
  return 0;
}
