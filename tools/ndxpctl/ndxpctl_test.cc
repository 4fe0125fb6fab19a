// ndxpctl's commands in-process: flags, per-command help, --version, the
// NDXP_* environment defaults, exit codes, and what it prints for a hub's
// answers (a fake Statistics service over real mutual TLS).
#include "tools/ndxpctl/ndxpctl.h"

#include <sys/stat.h>

#include <stdlib.h>

#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/text_format.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/tls/credentials.h"
#include "gateway/subjects/subject_keys.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/log_key.h"
#include "gateway/transparency/merkle.h"
#include "gateway/transparency/receipt_proof.h"
#include "gateway/transparency/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ndxp/hub/v1/statistics.grpc.pb.h"
#include "tests/testing/test_pki.h"

namespace ndxp::ndxpctl {
namespace {

namespace v1 = ::ndxp::hub::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int code;
  std::string out;
  std::string err;
};

// ndxpctl `args`, with `input` as its standard input.
Result RunArgs(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), "ndxpctl");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = Run(static_cast<int>(argv.size()), argv.data(), in, out, err);
  return {code, out.str(), err.str()};
}

std::string Joined(const std::vector<std::string>& args) {
  std::string joined;
  for (const std::string& arg : args) absl::StrAppend(&joined, arg, " ");
  return joined;
}

// No NDXP_* variable leaks in from the shell running the tests.
class NdxpctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"NDXP_HUB", "NDXP_CA", "NDXP_CERT", "NDXP_KEY"}) unsetenv(name);
  }
  void TearDown() override { SetUp(); }
};

TEST_F(NdxpctlTest, EveryCommandHasItsOwnHelp) {
  struct Case {
    std::vector<std::string> args;
    std::string usage;
    std::vector<std::string> mentions;
  };
  const Case cases[] = {
      {{"--help"},
       "Usage: ndxpctl [OPTIONS] SUBCOMMAND",
       {"stats", "growth", "audit", "report", "backup", "restore", "openapi", "--version",
        "NDXP_HUB", "Exit status"}},
      {{"stats", "--help"},
       "Usage: ndxpctl stats",
       {"--period", "--anchor", "--group-by", "--door", "grpc, connect, rest", "--format", "--hub",
        "NDXP_HUB", "NDXP_KEY", "import"}},
      {{"growth", "--help"},
       "Usage: ndxpctl growth",
       {"--baseline", "year-on-year", "--period", "--door"}},
      {{"stats", "import", "--help"},
       "Usage: ndxpctl stats import",
       {"--database", "--postgres", "--csv", "--batch", "--replace", "SHA-256"}},
      {{"audit", "--help"}, "Usage: ndxpctl audit", {"verify", "prove", "verify-receipt"}},
      {{"audit", "prove", "--help"},
       "Usage: ndxpctl audit prove",
       {"REPLICA:INDEX", "--request-id", "--replica", "--min-cosignatures", "--format",
        "text|json", "--out", "--hub", "NDXP_HUB", "Example: ndxpctl audit prove hub-1:41",
        "Exit status"}},
      {{"audit", "verify-receipt", "--help"},
       "Usage: ndxpctl audit verify-receipt",
       {"--vkey", "--witness-vkey", "--quorum", "split view",
        "Example: ndxpctl audit verify-receipt receipt-41.json --vkey log.vkey", "Exit status"}},
      {{"audit", "verify", "--help"},
       "Usage: ndxpctl audit verify",
       {"--database", "--postgres", "--expect-head", "--ca", "--time-zone", "--witness-vkey"}},
      {{"audit", "verify", "-h"}, "Usage: ndxpctl audit verify", {"--postgres"}},
      {{"report", "--help"},
       "Usage: ndxpctl report",
       {"--period", "2024H1", "2024Q1", "--lang", "en|vi", "--format", "html|md|csv", "--out",
        "NDXP_HUB", "Exit status"}},
      {{"backup", "--help"}, "Usage: ndxpctl backup", {"--database", "--out", "pg_dump"}},
      {{"restore", "--help"}, "Usage: ndxpctl restore", {"--from", "--database", "--force"}},
      {{"openapi", "--help"},
       "Usage: ndxpctl openapi",
       {"--config", "--output", "/openapi.json", "x-ndxp-purpose", "Exit status"}},
      {{"subject-key", "generate", "--help"},
       "Usage: ndxpctl subject-key generate",
       {"--out", "--id", "--rotate", "mode 0600", "backups must not hold it"}},
      {{"log-key", "generate", "--help"},
       "Usage: ndxpctl log-key generate",
       {"--out", "--name", "--force", "mode 0600", "/audit", "never with the database"}},
      {{"log-key", "vkey", "--help"}, "Usage: ndxpctl log-key vkey", {"--key"}},
      {{"witness-key", "generate", "--help"},
       "Usage: ndxpctl witness-key generate",
       {"--out", "--name", "--force", "mode 0600", "/witness", "signature type 4",
        "transparency.witness_vkeys", "Example: ndxpctl witness-key generate"}},
      {{"witness-key", "vkey", "--help"},
       "Usage: ndxpctl witness-key vkey",
       {"--key", "Example: ndxpctl witness-key vkey"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Joined(c.args));
    Result result = RunArgs(c.args);
    EXPECT_EQ(result.code, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr(c.usage));
    for (const std::string& mention : c.mentions) EXPECT_THAT(result.out, HasSubstr(mention));
    EXPECT_EQ(result.err, "");
  }
}

TEST_F(NdxpctlTest, Version) {
  Result result = RunArgs({"--version"});
  EXPECT_EQ(result.code, 0);
  EXPECT_THAT(result.out, StartsWith("ndxpctl "));
}

TEST_F(NdxpctlTest, UsageErrorsExitTwoAndSayWhatIsWrong) {
  const std::vector<std::string> query = {"--period", "half-year", "--anchor", "2026-06-30"};
  const std::string not_a_vkey = ::testing::TempDir() + "/not-a.vkey";
  std::ofstream(not_a_vkey) << "not a vkey\n";
  auto with_query = [&](std::vector<std::string> args) {
    args.insert(args.begin() + 1, query.begin(), query.end());
    return args;
  };
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{}, "ndxpctl: A subcommand is required"},
      {{"chart"},
       "ndxpctl: unknown command \"chart\" (expected stats, growth, audit, report, agencies, "
       "backup, restore, openapi, subject-key, log-key, witness-key or subject)"},
      {{"audit", "check"},
       "ndxpctl audit: unknown command \"check\" (expected verify, prove or verify-receipt)"},
      {with_query({"stats", "--format", "yaml"}),
       "--format: unknown format \"yaml\" (expected table, csv or json)"},
      {with_query({"growth", "--format=yaml"}), "unknown format \"yaml\""},
      {{"stats", "--period", "fortnight"}, "--period: \"fortnight\" is not one of day, month"},
      {{"stats", "--period", "day", "--anchor", "30/06/2026"},
       "--anchor: \"30/06/2026\" is not YYYY-MM-DD"},
      {with_query({"stats", "--group-by", "consumer,agency"}), "unknown dimension \"agency\""},
      {with_query({"growth", "--baseline", "last-year"}), "--baseline: \"last-year\""},
      {{"stats", "--anchor", "2026-06-30"}, "ndxpctl stats: --period is required"},
      {with_query({"stats"}), "ndxpctl stats: --hub HOST:PORT is required (or set NDXP_HUB)"},
      {with_query({"stats", "--hub", "127.0.0.1:1", "--ca", "a", "--cert", "b"}),
       "--key FILE is required (or set NDXP_KEY)"},
      {with_query({"stats", "--colour"}), "--colour"},
      {{"stats", "--period"}, "--period"},
      {{"stats", "import", "--csv", "x.csv"},
       "ndxpctl stats import: needs --database FILE or --postgres CONNINFO"},
      {{"stats", "import", "--database", "a.db", "--postgres", "dbname=x", "--csv", "x.csv"},
       "excludes"},
      {{"stats", "import", "--database", "a.db"}, "--csv is required"},
      {{"stats", "import", "--database", "hub.db", "--csv", "x.csv", "--period", "day"},
       "--period"},
      {{"audit"}, "A subcommand is required"},
      {{"audit", "verify"}, "ndxpctl audit verify: needs --database FILE or --postgres CONNINFO"},
      {{"audit", "verify", "--database", "a.db", "--postgres", "dbname=x"}, "excludes"},
      {{"report", "--period", "2024-13"}, "--period: period \"2024-13\" is not one of"},
      {{"report", "--period", "2024H1", "--lang", "de"}, "--lang: unknown language \"de\""},
      {{"report", "--period", "2024H1"}, "ndxpctl report: --hub HOST:PORT is required"},
      {{"report", "--lang", "vi"}, "ndxpctl report: --period is required"},
      {{"backup", "--database", "hub.db"}, "--out is required"},
      {{"restore", "--from", "backup"}, "--database is required"},
      {{"openapi"}, "ndxpctl openapi: --config is required"},
      {{"audit", "verify", "--database", "a.db", "--expect-head", "12:abc"},
       "HASH must be 64 hex digits"},
      {{"audit", "verify", "--database", "a.db", "--witness-vkey", "/nonexistent/w.vkey"},
       "ndxpctl audit verify: cannot read /nonexistent/w.vkey"},
      {{"audit", "verify", "--database", "a.db", "--witness-vkey", not_a_vkey},
       "ndxpctl audit verify: --witness-vkey " + not_a_vkey + ": "},
      {{"audit", "prove"},
       "ndxpctl audit prove: name the call: REPLICA:INDEX (or its receipt), or --request-id ID"},
      {{"audit", "prove", "hub-1:41", "--request-id", "r-1"}, "name the call"},
      {{"audit", "prove", "hub-1:41", "--replica", "hub-2"}, "--replica goes with --request-id"},
      {{"audit", "prove", "hub-1"}, "\"hub-1\": expected REPLICA:INDEX (e.g. hub-1:41)"},
      {{"audit", "prove", "hub-1:-4"}, "expected REPLICA:INDEX"},
      {{"audit", "prove", "hub-1:41:abc"}, "expected REPLICA:INDEX"},
      {{"audit", "prove", std::string("hub-1:41:") + std::string(64, 'G')},
       "is not 64 lowercase hex digits"},
      {{"audit", "prove", "hub-1:41", "--format", "xml"}, "--format: \"xml\" is not one of"},
      {{"audit", "prove", "hub-1:41", "--min-cosignatures", "-1"}, "--min-cosignatures"},
      {{"audit", "prove", "hub-1:41"}, "ndxpctl audit prove: --hub HOST:PORT is required"},
      {{"audit", "verify-receipt", "proof.json"}, "--vkey is required"},
      {{"audit", "verify-receipt", "--vkey", "log.vkey"}, "proof is required"},
      {{"audit", "verify-receipt", "proof.json", "--vkey", "/nonexistent/log.vkey"},
       "ndxpctl audit verify-receipt: cannot read /nonexistent/log.vkey"},
      {{"audit", "verify-receipt", "proof.json", "--vkey", "log.vkey", "--quorum", "1"},
       "--quorum 1 is more than the 0 --witness-vkey given"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Joined(c.args));
    Result result = RunArgs(c.args);
    EXPECT_EQ(result.code, kExitUsage);
    EXPECT_THAT(result.err, HasSubstr(c.message));
    EXPECT_THAT(result.err, HasSubstr("--help\" for usage."));
    EXPECT_EQ(result.out, "");
  }
}

TEST_F(NdxpctlTest, HubFlagsDefaultToTheEnvironment) {
  const std::vector<std::string> stats = {"stats", "--period", "day", "--anchor", "2026-06-30"};
  setenv("NDXP_HUB", "127.0.0.1:1", 1);
  setenv("NDXP_CA", "/nonexistent/env-ca.pem", 1);
  setenv("NDXP_CERT", "/nonexistent/env-cert.pem", 1);
  setenv("NDXP_KEY", "/nonexistent/env-key.pem", 1);
  // Every flag found in the environment: the first file it reads is named.
  Result from_env = RunArgs(stats);
  EXPECT_EQ(from_env.code, kExitUsage);
  EXPECT_THAT(from_env.err, HasSubstr("/nonexistent/env-ca.pem"));
  EXPECT_THAT(from_env.err, Not(HasSubstr("is required")));

  // A flag on the command line wins over the environment.
  std::vector<std::string> with_flag = stats;
  with_flag.insert(with_flag.end(), {"--ca", "/nonexistent/flag-ca.pem"});
  Result from_flag = RunArgs(with_flag);
  EXPECT_EQ(from_flag.code, kExitUsage);
  EXPECT_THAT(from_flag.err, HasSubstr("/nonexistent/flag-ca.pem"));

  unsetenv("NDXP_KEY");
  EXPECT_THAT(RunArgs(stats).err, HasSubstr("--key FILE is required (or set NDXP_KEY)"));
}

TEST_F(NdxpctlTest, BackupAndRestoreSayWhatTheyDid) {
  ndxp::testing::TempDir dir;
  const std::string database = dir.path() + "/hub.db";
  std::ofstream(dir.path() + "/h.csv") << "day,consumer,provider,service,method,status,count\n";
  ASSERT_EQ(RunArgs({"stats", "import", "--database", database, "--csv", dir.path() + "/h.csv"})
                .code,
            0);
  Result backup = RunArgs({"backup", "--database", database, "--out", dir.path() + "/b"});
  ASSERT_EQ(backup.code, 0) << backup.err;
  EXPECT_THAT(backup.out, StartsWith("backed up " + database + " to " + dir.path() + "/b"));
  EXPECT_THAT(backup.out, HasSubstr("0 audit rows, chains intact"));
  EXPECT_THAT(backup.err, HasSubstr("backup: copied 100%"));

  Result again = RunArgs({"backup", "--database", database, "--out", dir.path() + "/b"});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_THAT(again.err, HasSubstr("ndxpctl: backup failed: " + dir.path() +
                                   "/b already holds a backup"));

  Result refused = RunArgs({"restore", "--from", dir.path() + "/b", "--database", database});
  EXPECT_EQ(refused.code, kExitFailure);
  EXPECT_THAT(refused.err, HasSubstr("ndxpctl: restore refused: " + database +
                                     " exists: pass --force"));
  Result restored =
      RunArgs({"restore", "--from", dir.path() + "/b", "--database", database, "--force"});
  ASSERT_EQ(restored.code, 0) << restored.err;
  EXPECT_THAT(restored.out, StartsWith("restored " + database + " from " + dir.path() + "/b"));
  EXPECT_THAT(restored.out, HasSubstr("checksum matches"));
}

TEST_F(NdxpctlTest, SubjectKeyGenerateWritesAndRotatesAKeyFile) {
  ndxp::testing::TempDir dir;
  const std::string keys = dir.path() + "/subject-keys";
  Result made = RunArgs({"subject-key", "generate", "--out", keys, "--id", "2026a"});
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_EQ(made.out, "wrote subject key 2026a to " + keys +
                          " (mode 0600): the current key from the hub's next start\n");
  Result again = RunArgs({"subject-key", "generate", "--out", keys, "--id", "2027a"});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_THAT(again.err, HasSubstr("ndxpctl: subject-key generate failed: subject keys " + keys +
                                   ": exists"));
  Result rotated =
      RunArgs({"subject-key", "generate", "--out", keys, "--id", "2027a", "--rotate"});
  ASSERT_EQ(rotated.code, 0) << rotated.err;
  EXPECT_THAT(rotated.out, HasSubstr("before the keys it held"));
  absl::StatusOr<ndxp::gateway::subjects::SubjectKeys> loaded =
      ndxp::gateway::subjects::SubjectKeys::Load(keys);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->Current(), "2027a");
  EXPECT_TRUE(loaded->Has("2026a"));
  EXPECT_EQ(RunArgs({"subject-key", "generate", "--out", keys}).code, kExitUsage);
}

TEST_F(NdxpctlTest, LogKeyGeneratePrintsTheVkeyAndRefusesToOverwrite) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/log.key";
  Result made = RunArgs({"log-key", "generate", "--out", path, "--name", "ndxp.test/audit"});
  ASSERT_EQ(made.code, 0) << made.err;
  absl::StatusOr<ndxp::transparency::Ed25519NoteKey> key = ndxp::transparency::LoadLogKey(path);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(made.out, key->verifier_key().Encode() + "\n");
  EXPECT_THAT(made.out, StartsWith("ndxp.test/audit+"));
  EXPECT_THAT(made.err, HasSubstr("wrote log key ndxp.test/audit to " + path + " (mode 0600)"));

  Result again = RunArgs({"log-key", "generate", "--out", path, "--name", "ndxp.test/audit"});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_THAT(again.err,
              HasSubstr("ndxpctl: log-key generate failed: log key " + path + ": exists"));
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(ndxp::transparency::LoadLogKey(path)->verifier_key().Encode(),
            key->verifier_key().Encode());

  Result forced =
      RunArgs({"log-key", "generate", "--out", path, "--name", "ndxp.test/audit", "--force"});
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_NE(forced.out, made.out);

  Result vkey = RunArgs({"log-key", "vkey", "--key", path});
  ASSERT_EQ(vkey.code, 0) << vkey.err;
  EXPECT_EQ(vkey.out, forced.out);

  Result bad_name =
      RunArgs({"log-key", "generate", "--out", dir.path() + "/other.key", "--name", "has space"});
  EXPECT_EQ(bad_name.code, kExitFailure);
  EXPECT_THAT(bad_name.err, HasSubstr("is not a note key name"));
  EXPECT_EQ(RunArgs({"log-key", "generate", "--out", path}).code, kExitUsage);
}

TEST_F(NdxpctlTest, LogKeyVkeyRefusesAKeyOthersMayRead) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/log.key";
  ASSERT_EQ(RunArgs({"log-key", "generate", "--out", path, "--name", "ndxp.test/audit"}).code, 0);
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  Result result = RunArgs({"log-key", "vkey", "--key", path});
  EXPECT_EQ(result.code, kExitFailure);
  EXPECT_THAT(result.err,
              HasSubstr("ndxpctl: log-key vkey failed: log key " + path + ": mode 0644"));
  EXPECT_EQ(result.out, "");
}

TEST_F(NdxpctlTest, WitnessKeyGeneratePrintsACosignatureVkeyAndRefusesToOverwrite) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/witness.key";
  Result made =
      RunArgs({"witness-key", "generate", "--out", path, "--name", "ndxp.test/witness"});
  ASSERT_EQ(made.code, 0) << made.err;
  absl::StatusOr<ndxp::transparency::Ed25519NoteKey> key =
      ndxp::transparency::LoadWitnessKey(path);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->verifier_key().type, ndxp::transparency::kCosignatureV1Type);
  EXPECT_EQ(made.out, key->verifier_key().Encode() + "\n");
  EXPECT_THAT(made.out, StartsWith("ndxp.test/witness+"));
  EXPECT_THAT(made.err,
              HasSubstr("wrote witness key ndxp.test/witness to " + path + " (mode 0600)"));

  Result again =
      RunArgs({"witness-key", "generate", "--out", path, "--name", "ndxp.test/witness"});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_THAT(again.err, HasSubstr("ndxpctl: witness-key generate failed: witness key " + path +
                                   ": exists"));
  EXPECT_EQ(again.out, "");
  Result forced = RunArgs(
      {"witness-key", "generate", "--out", path, "--name", "ndxp.test/witness", "--force"});
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_NE(forced.out, made.out);

  Result vkey = RunArgs({"witness-key", "vkey", "--key", path});
  ASSERT_EQ(vkey.code, 0) << vkey.err;
  EXPECT_EQ(vkey.out, forced.out);
  EXPECT_EQ(RunArgs({"witness-key", "generate", "--out", path}).code, kExitUsage);

  // A log key is not a witness key, nor the reverse.
  const std::string log_key = dir.path() + "/log.key";
  ASSERT_EQ(RunArgs({"log-key", "generate", "--out", log_key, "--name", "ndxp.test/audit"}).code,
            0);
  Result wrong = RunArgs({"witness-key", "vkey", "--key", log_key});
  EXPECT_EQ(wrong.code, kExitFailure);
  EXPECT_THAT(wrong.err, HasSubstr("ndxpctl: witness-key vkey failed: witness key " + log_key +
                                   ": key ndxp.test/audit is of signature type 1"));
  EXPECT_EQ(RunArgs({"log-key", "vkey", "--key", path}).code, kExitFailure);
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(RunArgs({"witness-key", "vkey", "--key", path}).err, HasSubstr(": mode 0644"));
}

// verify-receipt on proof files as `audit prove --format json` writes them:
// a checkpoint signed by the log key and cosigned by witnesses (C2SP
// tlog-cosignature), the quorum counted among the witnesses given.
class VerifyReceiptTest : public NdxpctlTest {
 protected:
  VerifyReceiptTest()
      : log_(*transparency::Ed25519NoteSigner::Create(
            *transparency::Ed25519NoteKey::Generate("ndxp.test/audit/hub-1"))),
        witness_a_(*transparency::CosignatureSigner::Create(
            *transparency::Ed25519NoteKey::Generate("a.test/witness",
                                                    transparency::kCosignatureV1Type),
            [] { return int64_t{1767225600}; })),
        witness_b_(*transparency::CosignatureSigner::Create(*transparency::Ed25519NoteKey::Generate(
            "b.test/witness", transparency::kCosignatureV1Type))),
        witness_c_(*transparency::CosignatureSigner::Create(*transparency::Ed25519NoteKey::Generate(
            "c.test/witness", transparency::kCosignatureV1Type))) {
    for (int i = 0; i < 50; ++i) leaves_.push_back(transparency::LeafHash(absl::StrCat("row ", i)));
    EXPECT_TRUE(tree_.Append(leaves_).ok());
    log_vkey_ = Write("log.vkey", log_.key().Encode() + "\n");
    a_vkey_ = Write("a.vkey", witness_a_.key().Encode() + "\n");
    b_vkey_ = Write("b.vkey", witness_b_.key().Encode() + "\n");
    c_vkey_ = Write("c.vkey", witness_c_.key().Encode() + "\n");
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // The proof file of leaf 7, its checkpoint cosigned by `cosigners`.
  std::string ProofFile(std::vector<const transparency::NoteSigner*> cosigners) {
    transparency::ReceiptProof proof;
    proof.replica = "hub-1";
    proof.leaf_index = 7;
    proof.leaf_hash = leaves_[7];
    proof.tree_size = tree_.size();
    proof.root_hash = *transparency::TreeRoot(tree_.size(), tree_);
    proof.hashes = *transparency::InclusionProof(7, tree_.size(), tree_);
    proof.checkpoint = *transparency::SignNote(
        *transparency::FormatCheckpoint({"ndxp.test/audit/hub-1", proof.tree_size,
                                         proof.root_hash}),
        {&log_});
    if (!cosigners.empty()) {
      proof.checkpoint = *transparency::AddNoteSignatures(proof.checkpoint, cosigners);
    }
    return Write(absl::StrCat("proof-", cosigners.size(), ".json"),
                 transparency::ReceiptProofToJson(proof));
  }

  ndxp::testing::TempDir dir_;
  transparency::Ed25519NoteSigner log_;
  transparency::CosignatureSigner witness_a_, witness_b_, witness_c_;
  std::vector<transparency::Hash> leaves_;
  transparency::MemoryTileStore tree_;
  std::string log_vkey_, a_vkey_, b_vkey_, c_vkey_;
};

TEST_F(VerifyReceiptTest, AQuorumOfTheWitnessesGivenMustHaveCosigned) {
  const std::string two = ProofFile({&witness_a_, &witness_b_});
  Result all = RunArgs({"audit", "verify-receipt", two, "--vkey", log_vkey_, "--witness-vkey",
                        a_vkey_, "--witness-vkey", b_vkey_});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_THAT(all.out, StartsWith("receipt verified: hub-1:7 (leaf " +
                                  transparency::HashHex(leaves_[7]) + ")"));
  EXPECT_THAT(all.out, HasSubstr("in the tree of 50 leaves"));
  EXPECT_THAT(all.out, HasSubstr("signed by log key ndxp.test/audit/hub-1"));
  EXPECT_THAT(all.out, HasSubstr("cosigned by witness a.test/witness at 2026-01-01T00:00:00Z"));
  EXPECT_THAT(all.out, HasSubstr("cosigned by witness b.test/witness at "));
  EXPECT_THAT(all.out, HasSubstr("quorum: 2 of the 2 witnesses given cosigned (2 needed)"));
  EXPECT_THAT(all.out, Not(HasSubstr("only the hub's word")));

  // By default every witness given must have cosigned; --quorum lowers it.
  Result short_of_all = RunArgs({"audit", "verify-receipt", two, "--vkey", log_vkey_,
                                 "--witness-vkey", a_vkey_, "--witness-vkey", c_vkey_});
  EXPECT_EQ(short_of_all.code, kExitFailure);
  EXPECT_THAT(short_of_all.err, HasSubstr("receipt NOT verified: 1 of the witnesses given "
                                          "cosigned the checkpoint, 2 needed"));
  EXPECT_EQ(short_of_all.out, "");
  Result one_of_two =
      RunArgs({"audit", "verify-receipt", two, "--vkey", log_vkey_, "--witness-vkey", a_vkey_,
               "--witness-vkey", c_vkey_, "--quorum", "1"});
  ASSERT_EQ(one_of_two.code, 0) << one_of_two.err;
  EXPECT_THAT(one_of_two.out, HasSubstr("quorum: 1 of the 2 witnesses given cosigned (1 needed)"));
  EXPECT_THAT(one_of_two.out, Not(HasSubstr("c.test/witness")));

  // A checkpoint no witness cosigned verifies only as the hub's word.
  const std::string none = ProofFile({});
  Result alone = RunArgs({"audit", "verify-receipt", none, "--vkey", log_vkey_});
  ASSERT_EQ(alone.code, 0) << alone.err;
  EXPECT_THAT(alone.out, HasSubstr("only the hub's word is proven"));
  EXPECT_THAT(alone.out, HasSubstr("split view"));
  EXPECT_EQ(RunArgs({"audit", "verify-receipt", none, "--vkey", log_vkey_, "--witness-vkey",
                     a_vkey_})
                .code,
            kExitFailure);

  // Another log key, a witness's key as the log's, a malformed vkey file.
  Result impostor =
      RunArgs({"audit", "verify-receipt", two, "--vkey", a_vkey_, "--witness-vkey", b_vkey_});
  EXPECT_EQ(impostor.code, kExitUsage) << "a witness key is no log key: " << impostor.err;
  const std::string other_log = Write(
      "other.vkey",
      transparency::Ed25519NoteKey::Generate("ndxp.test/audit/hub-1")->verifier_key().Encode());
  Result other = RunArgs({"audit", "verify-receipt", two, "--vkey", other_log});
  EXPECT_EQ(other.code, kExitFailure);
  EXPECT_THAT(other.err, HasSubstr("NOT verified: the checkpoint's signature by the log key: "
                                   "note is signed by no known key"));
  Result garbled = RunArgs({"audit", "verify-receipt", two, "--vkey", Write("bad.vkey", "x\n")});
  EXPECT_EQ(garbled.code, kExitUsage);
  EXPECT_THAT(garbled.err, HasSubstr("bad.vkey: not a log's verifier key"));
  Result swapped = RunArgs(
      {"audit", "verify-receipt", two, "--vkey", log_vkey_, "--witness-vkey", log_vkey_});
  EXPECT_EQ(swapped.code, kExitUsage);
  EXPECT_THAT(swapped.err, HasSubstr("log.vkey: not a witness's verifier key"));
}

TEST_F(VerifyReceiptTest, AnEditedProofNamesTheCheckThatFails) {
  const std::string path = ProofFile({&witness_a_});
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  const std::string json = text.str();
  auto edited = [&](const std::string& from, const std::string& to) {
    std::string copy = json;
    const size_t at = copy.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    copy.replace(at, from.size(), to);
    return Write("edited.json", copy);
  };
  auto verify = [&](const std::string& file) {
    return RunArgs({"audit", "verify-receipt", file, "--vkey", log_vkey_, "--witness-vkey",
                    a_vkey_});
  };
  // One hex digit of a proof hash changed.
  const std::string sibling =
      transparency::HashHex(transparency::InclusionProof(7, tree_.size(), tree_)->at(0));
  std::string flipped = sibling;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  Result hash = verify(edited(sibling, flipped));
  EXPECT_EQ(hash.code, kExitFailure);
  EXPECT_THAT(hash.err, HasSubstr("receipt NOT verified: leaf 7 ("));
  EXPECT_THAT(hash.err, HasSubstr("is not in the tree"));

  Result index = verify(edited("\"leaf_index\": 7", "\"leaf_index\": 8"));
  EXPECT_EQ(index.code, kExitFailure);
  EXPECT_THAT(index.err, HasSubstr("is not in the tree"));

  Result size = verify(edited("\"tree_size\": 50", "\"tree_size\": 49"));
  EXPECT_EQ(size.code, kExitFailure);
  EXPECT_THAT(size.err, HasSubstr("the checkpoint states size 50"));

  Result replica = verify(edited("\"replica\": \"hub-1\"", "\"replica\": \"hub-2\""));
  EXPECT_THAT(replica.err, HasSubstr("not of replica hub-2"));

  Result malformed = verify(edited("\"tree_size\": 50", "\"tree_size\": \"50\""));
  EXPECT_EQ(malformed.code, kExitFailure);
  EXPECT_THAT(malformed.err, HasSubstr("field tree_size"));

  Result missing = verify(dir_.path() + "/none.json");
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_THAT(missing.err, HasSubstr("cannot read " + dir_.path() + "/none.json"));
}

TEST_F(NdxpctlTest, ImportOfAMissingFileFails) {
  ndxp::testing::TempDir dir;
  Result result = RunArgs({"stats", "import", "--database", dir.path() + "/hub.db", "--csv",
                           dir.path() + "/missing.csv"});
  EXPECT_EQ(result.code, kExitFailure);
  EXPECT_THAT(result.err, HasSubstr("cannot read " + dir.path() + "/missing.csv"));
}

TEST_F(NdxpctlTest, ImportSaysHowManyWithSeparators) {
  ndxp::testing::TempDir dir;
  const std::string csv = dir.path() + "/history.csv";
  std::ofstream(csv) << "day,consumer,provider,service,method,status,count\n"
                     << "2025-01-15,000.00.00.G12,000.00.00.G04,ndxp.residents.v1."
                        "ResidentRegistry,VerifyCitizen,OK,1670\n";
  const std::vector<std::string> import = {"stats", "import", "--database",
                                            dir.path() + "/hub.db", "--csv", csv};
  Result result = RunArgs(import);
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "imported 1 rows, 1,670 transactions, 2025-01-15 .. 2025-01-15\n"
            "  batch sha256:d24c8e7e226a4d4773dabcb798f0e830d58a2d833ef8624497eec53be1745314 (sha256 d24c8e7e226a4d4773dabcb798f0e830d58a2d833ef8624497eec53be1745314)\n");
  EXPECT_EQ(result.err, "import: 100% (1 of 1 counters)\n");

  // Again: refused, naming the batch and when it was imported.
  Result again = RunArgs(import);
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_THAT(again.err, StartsWith("ndxpctl: nothing imported: batch \"sha256:d24c8e7e226a4d4773dabcb798f0e830d58a2d833ef8624497eec53be1745314\" was "
                                    "imported at 20"));
  EXPECT_THAT(again.err, HasSubstr("(--replace replaces its counts)"));
  EXPECT_EQ(again.out, "");

  // --replace swaps the counts.
  std::vector<std::string> replace = import;
  replace.push_back("--replace");
  Result replaced = RunArgs(replace);
  EXPECT_EQ(replaced.code, 0) << replaced.err;
  EXPECT_THAT(replaced.out, HasSubstr("\n  replaced the batch imported at 20"));
  EXPECT_THAT(replaced.out, HasSubstr(" from " + csv + " (1 rows, 1,670 transactions)\n"));
}

// The hub's Statistics API as a test double: fixed answers, or a refusal.
// The requests it saw are kept under a lock: gRPC's thread writes them and
// the test reads them, ordered by gRPC's own synchronization, which
// ThreadSanitizer cannot see in Debian's uninstrumented gRPC.
class FakeStatistics final : public v1::Statistics::Service {
 public:
  grpc::Status Count(grpc::ServerContext*, const v1::CountRequest* request,
                     v1::CountResponse* response) override {
    absl::MutexLock lock(&mu_);
    last_count_ = *request;
    if (!refusal_.ok()) return refusal_;
    *response = count_;
    return grpc::Status::OK;
  }
  grpc::Status Growth(grpc::ServerContext*, const v1::GrowthRequest* request,
                      v1::GrowthResponse* response) override {
    absl::MutexLock lock(&mu_);
    last_growth_ = *request;
    if (!refusal_.ok()) return refusal_;
    *response = growth_;
    return grpc::Status::OK;
  }
  grpc::Status ListAgencies(grpc::ServerContext*, const v1::ListAgenciesRequest*,
                            v1::ListAgenciesResponse* response) override {
    absl::MutexLock lock(&mu_);
    if (!names_) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "an older hub");
    *response = agencies_;
    return grpc::Status::OK;
  }
  v1::CountRequest last_count() {
    absl::MutexLock lock(&mu_);
    return last_count_;
  }
  v1::GrowthRequest last_growth() {
    absl::MutexLock lock(&mu_);
    return last_growth_;
  }

  // Set before the calls.
  v1::CountResponse count_;
  v1::GrowthResponse growth_;
  grpc::Status refusal_;
  bool names_ = false;  // false: ListAgencies is UNIMPLEMENTED, as from an older hub
  v1::ListAgenciesResponse agencies_;

 private:
  absl::Mutex mu_;
  v1::CountRequest last_count_ ABSL_GUARDED_BY(mu_);
  v1::GrowthRequest last_growth_ ABSL_GUARDED_BY(mu_);
};

class NdxpctlAgainstAHubTest : public NdxpctlTest {
 protected:
  static void SetUpTestSuite() { pki_ = new ndxp::testing::TestPki(); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    NdxpctlTest::SetUp();
    auto credentials = ndxp::tls::MutualTlsServerCredentials(
        pki_->Issue("hub", "000.00.00.A01", "hub", /*server=*/true));
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    const ndxp::config::v1::TlsFiles operator_files =
        pki_->Issue("operator", "000.00.00.A01", "operator");
    connection_ = {"--hub", absl::StrCat("127.0.0.1:", port), "--ca", operator_files.ca_cert(),
                   "--cert", operator_files.cert(), "--key", operator_files.key()};
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        "period { from { year: 2026 month: 1 day: 1 } to { year: 2026 month: 6 day: 30 } }"
        "rows { key: 'ndxp.residents.v1.ResidentRegistry/VerifyCitizen' count: 1500 }"
        "rows { key: 'ndxp.residents.v1.ResidentRegistry/GetCitizen' count: 170 }"
        "total: 1670",
        &service_.count_));
  }
  void TearDown() override {
    server_->Shutdown();
    NdxpctlTest::TearDown();
  }

  Result Stats(std::initializer_list<std::string> extra) {
    std::vector<std::string> args = {"stats", "--period", "half-year", "--anchor", "2026-06-30"};
    args.insert(args.end(), extra);
    args.insert(args.end(), connection_.begin(), connection_.end());
    return RunArgs(args);
  }

  static ndxp::testing::TestPki* pki_;
  FakeStatistics service_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::string> connection_;
};

ndxp::testing::TestPki* NdxpctlAgainstAHubTest::pki_ = nullptr;

TEST_F(NdxpctlAgainstAHubTest, SendsTheQueryAndPrintsTheTableWithSeparators) {
  Result result = Stats({"--group-by", "method"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_count().period().kind(), v1::Period::HALF_YEAR);
  EXPECT_EQ(service_.last_count().period().anchor().year(), 2026);
  EXPECT_EQ(service_.last_count().period().anchor().day(), 30);
  ASSERT_EQ(service_.last_count().group_by_size(), 1);
  EXPECT_EQ(service_.last_count().group_by(0), v1::METHOD);
  EXPECT_EQ(result.out,
            "Transactions 2026-01-01 .. 2026-06-30: 1,670\n"
            "\n"
            "METHOD                                            COUNT\n"
            "ndxp.residents.v1.ResidentRegistry/VerifyCitizen  1,500\n"
            "ndxp.residents.v1.ResidentRegistry/GetCitizen       170\n"
            "TOTAL                                             1,670\n");
}

// At the national hub: each province agency and the peer hub it came through.
TEST_F(NdxpctlAgainstAHubTest, GroupByConsumerAndViaShowsDirectCallsAsADash) {
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "period { from { year: 2026 month: 1 day: 1 } to { year: 2026 month: 6 day: 30 } }"
      "rows { key: '000.11.01.H11/commune-office' key: '000.00.00.H11/lgsp' count: 1200 }"
      "rows { key: '000.00.00.G12/tax-lookup' key: '' count: 300 }"
      "total: 1500",
      &service_.count_));
  Result result = Stats({"--group-by", "consumer,via"});
  ASSERT_EQ(result.code, 0) << result.err;
  ASSERT_EQ(service_.last_count().group_by_size(), 2);
  EXPECT_EQ(service_.last_count().group_by(0), v1::CONSUMER);
  EXPECT_EQ(service_.last_count().group_by(1), v1::VIA);
  EXPECT_EQ(result.out,
            "Transactions 2026-01-01 .. 2026-06-30: 1,500\n"
            "\n"
            "CONSUMER                      VIA                 COUNT\n"
            "000.11.01.H11/commune-office  000.00.00.H11/lgsp  1,200\n"
            "000.00.00.G12/tax-lookup      -                     300\n"
            "TOTAL                                             1,500\n");
}

// The names in the hub's configuration, beside the codes, in either language.
TEST_F(NdxpctlAgainstAHubTest, TablesShowTheAgenciesTheHubNames) {
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "period { from { year: 2026 month: 1 day: 1 } to { year: 2026 month: 6 day: 30 } }"
      "rows { key: '000.11.01.H11/commune-office' key: '000.00.00.H11/lgsp' count: 1200 }"
      "rows { key: '000.00.00.G12/tax-lookup' key: '' count: 300 }"
      "total: 1500",
      &service_.count_));
  service_.names_ = true;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "agencies { code: '000.11.01.H11' name_vi: 'UBND xã Đồng Phúc' name_en: 'Dong Phuc "
      "commune' }"
      "agencies { code: '000.00.00.G12' name_vi: 'Cục Thuế' }",
      &service_.agencies_));
  Result english = Stats({"--group-by", "consumer,via"});
  ASSERT_EQ(english.code, 0) << english.err;
  // VIA names no agency the hub names: no NAME column for it.
  EXPECT_EQ(english.out,
            "Transactions 2026-01-01 .. 2026-06-30: 1,500\n"
            "\n"
            "CONSUMER                      NAME               VIA                 COUNT\n"
            "000.11.01.H11/commune-office  Dong Phuc commune  000.00.00.H11/lgsp  1,200\n"
            "000.00.00.G12/tax-lookup      Cục Thuế           -                     300\n"
            "TOTAL                                                                1,500\n");
  Result vietnamese = Stats({"--group-by", "consumer,via", "--lang", "vi"});
  ASSERT_EQ(vietnamese.code, 0) << vietnamese.err;
  EXPECT_THAT(vietnamese.out,
              HasSubstr("000.11.01.H11/commune-office  UBND xã Đồng Phúc  000.00.00.H11/lgsp  1,200\n"
                        "000.00.00.G12/tax-lookup      Cục Thuế           -                     300\n"));
  // Programs' formats keep the API's columns.
  Result csv = Stats({"--group-by", "consumer,via", "--format", "csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_THAT(csv.out, StartsWith("CONSUMER,VIA,COUNT\n"));

  // A local file's names over the hub's.
  ndxp::testing::TempDir dir;
  const std::string file = dir.path() + "/names.csv";
  std::ofstream(file) << "code,en,vi\n000.00.00.G12,\"Tax, General Department\",\n";
  Result local = Stats({"--group-by", "consumer,via", "--agency-names", file});
  ASSERT_EQ(local.code, 0) << local.err;
  EXPECT_THAT(local.out,
              HasSubstr("000.00.00.G12/tax-lookup      Tax, General Department  -                     "
                        "300\n"));

  // The directory itself, and as the CSV --agency-names reads.
  std::vector<std::string> args = {"agencies"};
  args.insert(args.end(), connection_.begin(), connection_.end());
  Result table = RunArgs(args);
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out,
            "CODE           ENGLISH            VIETNAMESE\n"
            "000.11.01.H11  Dong Phuc commune  UBND xã Đồng Phúc\n"
            "000.00.00.G12                     Cục Thuế\n");
  args.push_back("--format=csv");
  Result names_csv = RunArgs(args);
  ASSERT_EQ(names_csv.code, 0) << names_csv.err;
  EXPECT_EQ(names_csv.out,
            "code,en,vi\n000.11.01.H11,Dong Phuc commune,UBND xã Đồng Phúc\n000.00.00.G12,,Cục Thuế\n");
}

TEST_F(NdxpctlAgainstAHubTest, AnOlderHubWithoutNamesShowsCodes) {
  Result result = Stats({"--group-by", "method"});  // ListAgencies is UNIMPLEMENTED
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("NAME")));
  Result missing = Stats({"--agency-names", "/nonexistent/names.csv"});
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_THAT(missing.err, HasSubstr("cannot read /nonexistent/names.csv"));
}

TEST_F(NdxpctlAgainstAHubTest, CsvAndJsonWithoutGroupByCarryTheTotal) {
  service_.count_.clear_rows();  // the hub sends no rows when nothing is grouped
  Result csv = Stats({"--format", "csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(csv.out, "COUNT\n1670\n");
  Result json = Stats({"--format=json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"total\":\"1670\""));
}

// The protocol calls came in by: a dimension, and a filter the hub must
// honour (a hub from before doors would count every door).
TEST_F(NdxpctlAgainstAHubTest, ByDoorAndOneDoorOnly) {
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "period { from { year: 2026 month: 1 day: 1 } to { year: 2026 month: 6 day: 30 } }"
      "rows { key: 'grpc' count: 1500 } rows { key: 'connect' count: 170 } total: 1670",
      &service_.count_));
  Result by_door = Stats({"--group-by", "door"});
  ASSERT_EQ(by_door.code, 0) << by_door.err;
  ASSERT_EQ(service_.last_count().group_by_size(), 1);
  EXPECT_EQ(service_.last_count().group_by(0), v1::DOOR);
  EXPECT_EQ(service_.last_count().door(), "");
  EXPECT_EQ(by_door.out,
            "Transactions 2026-01-01 .. 2026-06-30: 1,670\n"
            "\n"
            "DOOR     COUNT\n"
            "grpc     1,500\n"
            "connect    170\n"
            "TOTAL    1,670\n");

  service_.count_.set_door("connect");
  service_.count_.set_total(170);
  service_.count_.clear_rows();
  Result connect = Stats({"--door", "connect"});
  ASSERT_EQ(connect.code, 0) << connect.err;
  EXPECT_EQ(service_.last_count().door(), "connect");
  EXPECT_EQ(connect.out, "Transactions 2026-01-01 .. 2026-06-30 (door connect): 170\n");

  service_.count_.clear_door();  // as a hub from before doors answers
  Result old_hub = Stats({"--door", "connect"});
  EXPECT_EQ(old_hub.code, 1);
  EXPECT_THAT(old_hub.err, HasSubstr("the hub does not count by door"));
  EXPECT_EQ(old_hub.out, "");

  Result bad = Stats({"--door", "soap"});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_THAT(bad.err, HasSubstr("\"soap\" is not one of grpc, connect, rest"));
}

TEST_F(NdxpctlAgainstAHubTest, TheHubsOwnRefusalsOnRequest) {
  Result forwarded = Stats({});
  ASSERT_EQ(forwarded.code, 0) << forwarded.err;
  EXPECT_EQ(service_.last_count().calls(), v1::FORWARDED);
  Result refused = Stats({"--calls", "refused", "--group-by", "method"});
  ASSERT_EQ(refused.code, 0) << refused.err;
  EXPECT_EQ(service_.last_count().calls(), v1::REFUSED_BY_HUB);
  EXPECT_THAT(refused.out, ::testing::StartsWith("Refused by the hub 2026-01-01 .. 2026-06-30: "
                                                 "1,670\n"));
  std::vector<std::string> args = {"growth", "--period=quarter", "--anchor=2026-09-30",
                                   "--calls=refused"};
  args.insert(args.end(), connection_.begin(), connection_.end());
  Result growth = RunArgs(args);
  ASSERT_EQ(growth.code, 0) << growth.err;
  EXPECT_EQ(service_.last_growth().calls(), v1::REFUSED_BY_HUB);
  Result bad = Stats({"--calls", "all"});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_THAT(bad.err, HasSubstr("\"all\" is not one of forwarded, refused"));
}

TEST_F(NdxpctlAgainstAHubTest, AConfigStyleFlagFormWorksToo) {
  std::vector<std::string> args = {"growth", "--period=quarter", "--anchor=2026-09-30",
                                   "--baseline=previous"};
  args.insert(args.end(), connection_.begin(), connection_.end());
  Result result = RunArgs(args);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_growth().period().kind(), v1::Period::QUARTER);
  EXPECT_EQ(service_.last_growth().baseline(), v1::GrowthRequest::PREVIOUS_PERIOD);
}

TEST_F(NdxpctlAgainstAHubTest, RefusalsAreNamedNotNumbered) {
  service_.refusal_ = grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                   "spiffe://ndxp.gov.vn/agency/000.00.00.G12/x is not an operator");
  Result result = Stats({});
  EXPECT_EQ(result.code, kExitFailure);
  EXPECT_EQ(result.err,
            "ndxpctl: the hub answered PERMISSION_DENIED: "
            "spiffe://ndxp.gov.vn/agency/000.00.00.G12/x is not an operator\n");
  EXPECT_EQ(result.out, "");

  std::vector<std::string> report = {"report", "--period", "2024H1"};
  report.insert(report.end(), connection_.begin(), connection_.end());
  Result refused_report = RunArgs(report);
  EXPECT_EQ(refused_report.code, kExitFailure);
  EXPECT_EQ(refused_report.err,
            "ndxpctl: the hub answered PERMISSION_DENIED: "
            "spiffe://ndxp.gov.vn/agency/000.00.00.G12/x is not an operator\n");
  EXPECT_EQ(refused_report.out, "");
}

// subject accesses reads the personal ID from standard input, never argv,
// and wants a reason; both checked before anything is sent.
TEST_F(NdxpctlTest, SubjectAccessesTakesTheIdFromStandardInputAndNeedsAReason) {
  const std::vector<std::string> hub = {"--hub", "127.0.0.1:1", "--ca", "ca.pem",
                                        "--cert", "op.pem", "--key", "op.key"};
  std::vector<std::string> args = {"subject", "accesses"};
  args.insert(args.end(), hub.begin(), hub.end());
  Result result = RunArgs(args, "001099012345\n");
  EXPECT_EQ(result.code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("--reason"));

  args.insert(args.end(), {"--reason", "complaint 117"});
  result = RunArgs(args, "\n");
  EXPECT_EQ(result.code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("standard input"));

  std::vector<std::string> with_id = args;
  with_id.push_back("001099012345");
  result = RunArgs(with_id, "");
  EXPECT_EQ(result.code, kExitUsage) << "no argument takes the ID";

  std::vector<std::string> too_large = args;
  too_large.insert(too_large.end(), {"--page-size", "101"});
  EXPECT_EQ(RunArgs(too_large, "001099012345\n").code, kExitUsage);
}

}  // namespace
}  // namespace ndxp::ndxpctl
