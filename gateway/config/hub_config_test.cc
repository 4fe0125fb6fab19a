#include "gateway/config/hub_config.h"

#include <openssl/pem.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/tls/openssl_ptr.h"
#include "gateway/transparency/log_key.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A valid configuration; cases replace one line of it. Line numbers below
// count from the first line of this text.
constexpr char kValid[] = R"(listen: "127.0.0.1:0"
trust_domain: "ndxp.gov.vn"
tls { ca_cert: "ca.pem" cert: "hub.pem" key: "hub.key" }
descriptor_set: "@DESCRIPTORS@"
routes {
  service: "ndxp.residents.v1.ResidentRegistry"
  provider: "000.00.00.H49"
  endpoint: "127.0.0.1:50051"
  personal_data_methods: "GetCitizen"
}
grants { consumer: "000.00.00.G12" service: "ndxp.residents.v1.ResidentRegistry" }
grants { consumer: "000.00.18.H49/claims" service: "ndxp.residents.v1.ResidentRegistry" method: "VerifyCitizen" }
operators: "000.00.00.A01/ops"
quotas { consumer: "000.00.00.G12" calls_per_second: 100 burst: 200 max_concurrent: 50 }
quotas { consumer: "000.00.18.H49/claims" service: "ndxp.residents.v1.ResidentRegistry" method: "VerifyCitizen" max_concurrent: 4 }
agencies { code: "000.00.00.H49" name_vi: "Cơ sở dữ liệu quốc gia về dân cư" name_en: "Population registry" }
agencies { code: "000.00.00.G12" name_en: "Tax office" }
grants { consumer: "*" service: "grpc.health.v1.Health" }
grants { consumer: "000.00.00.G12" service: "grpc.reflection.v1.ServerReflection" method: "ServerReflectionInfo" }
)";

class HubConfigTest : public ::testing::Test {
 protected:
  HubConfigTest() {
    for (const char* name : {"ca.pem", "hub.pem", "hub.key"}) {
      std::ofstream(dir_.path() + "/" + name) << "pem";
    }
  }

  absl::StatusOr<HubSettings> Load(const std::string& text) {
    std::ofstream(path_) << absl::StrReplaceAll(text, {{"@DESCRIPTORS@", NDXP_DESCRIPTOR_SET}});
    return LoadHubConfig(path_);
  }

  testing::TempDir dir_;
  std::string path_ = dir_.path() + "/hub.textproto";
};

TEST_F(HubConfigTest, ValidConfigLoadsWithPathsResolvedBesideTheFile) {
  auto settings = Load(kValid);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->config.tls().cert(), dir_.path() + "/hub.pem");
  EXPECT_NE(settings->services->FindServiceByName("ndxp.residents.v1.ResidentRegistry"),
            nullptr);
  ASSERT_EQ(settings->config.agencies_size(), 2);
  EXPECT_EQ(settings->config.agencies(0).name_vi(), "Cơ sở dữ liệu quốc gia về dân cư");
  EXPECT_EQ(settings->config.agencies(1).name_en(), "Tax office");
}

struct BadCase {
  const char* name;
  const char* from;  // text replaced in kValid
  const char* to;
  const char* where;  // "hub.textproto:<line>" expected in the message
  const char* reason;
};

TEST_F(HubConfigTest, InvalidConfigNamesFileLineAndReason) {
  const BadCase cases[] = {
      {"syntax error", "trust_domain: \"ndxp.gov.vn\"", "trust_domain \"ndxp.gov.vn\"",
       "hub.textproto:2:", "Expected \":\""},
      {"unknown field", "listen: \"127.0.0.1:0\"", "listne: \"127.0.0.1:0\"",
       "hub.textproto:1:", "listne"},
      {"missing listen", "listen: \"127.0.0.1:0\"", "", "hub.textproto", "listen is required"},
      // Found by tests/fuzz/hub_config_fuzzer: the transport read "8<US>43" as
      // port 8, "http" as port 0 (any free port).
      {"listen port with a control byte", "listen: \"127.0.0.1:0\"",
       "listen: \"127.0.0.1:8\x1f" "43\"", "hub.textproto:1:",
       "listen \"127.0.0.1:8\x1f" "43\" has no port 0-65535 after the last ':'"},
      {"listen port by name", "listen: \"127.0.0.1:0\"", "listen: \"127.0.0.1:https\"",
       "hub.textproto:1:", "listen \"127.0.0.1:https\" has no port 0-65535"},
      {"listen without a port", "listen: \"127.0.0.1:0\"", "listen: \"localhost\"",
       "hub.textproto:1:", "listen \"localhost\" is not host:port"},
      // Found by tests/fuzz/hub_config_fuzzer: any bytes were taken, "/" and line
      // breaks included, though the name is part of the checkpoint's file name
      // and a line of the text it signs.
      {"replica with a slash", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" recording { replica: \"../hub-1\" }",
       "hub.textproto:13:", "recording.replica \"../hub-1\" must be 1-253 letters, digits"},
      {"replica with a line break", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" recording { replica: \"hub-1\\nseq 9\" }",
       "hub.textproto:13:", "recording.replica \"hub-1\nseq 9\" must be"},
      {"admin port with a sign", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" admin { listen: \"127.0.0.1:+90\" }",
       "hub.textproto:13:", "admin.listen \"127.0.0.1:+90\" is not host:port"},
      {"trust domain with a path", "\"ndxp.gov.vn\"", "\"ndxp.gov.vn/x\"", "hub.textproto:2:",
       "trust_domain must be a bare domain"},
      {"unreadable key", "key: \"hub.key\"", "key: \"missing.key\"", "hub.textproto:3:",
       "tls.key cannot read"},
      {"CRL directory that is not one", "key: \"hub.key\" }", "key: \"hub.key\" crl_dir: \"nope\" }",
       "hub.textproto:3:", "tls.crl_dir"},
      {"missing descriptors", "descriptor_set: \"@DESCRIPTORS@\"",
       "descriptor_set: \"nothing.binpb\"", "hub.textproto:4:", "cannot read"},
      {"unknown service", "service: \"ndxp.residents.v1.ResidentRegistry\"\n",
       "service: \"ndxp.residents.v1.Nope\"\n", "hub.textproto:6:",
       "routes[0].service \"ndxp.residents.v1.Nope\" is not a service"},
      {"bad provider", "provider: \"000.00.00.H49\"", "provider: \"h49\"", "hub.textproto:7:",
       "routes[0].provider"},
      {"empty endpoint", "endpoint: \"127.0.0.1:50051\"", "endpoint: \"\"", "hub.textproto:8:",
       "routes[0].endpoint is required"},
      // Found by tests/fuzz/hub_config_fuzzer: an endpoint the transport cannot
      // connect to loaded, and every call of the route was UNAVAILABLE.
      {"endpoint without a port", "endpoint: \"127.0.0.1:50051\"", "endpoint: \"127.0.0.1\"",
       "hub.textproto:8:", "routes[0].endpoint \"127.0.0.1\" is not host:port (port 1-65535)"},
      {"endpoint port 0", "endpoint: \"127.0.0.1:50051\"", "endpoint: \"127.0.0.1:0\"",
       "hub.textproto:8:", "routes[0].endpoint \"127.0.0.1:0\" is not host:port"},
      {"endpoint without a host", "endpoint: \"127.0.0.1:50051\"", "endpoint: \":50051\"",
       "hub.textproto:8:", "routes[0].endpoint \":50051\" is not host:port"},
      {"unix endpoint without a path", "endpoint: \"127.0.0.1:50051\"", "endpoint: \"unix:\"",
       "hub.textproto:8:", "routes[0].endpoint \"unix:\" names no socket file"},
      {"replica that is not host:port", "endpoint: \"127.0.0.1:50051\"",
       "endpoint: \"127.0.0.1:50051\" replicas: \"unix:/run/r.sock\" replicas: \"r2:x\"",
       "hub.textproto:8:", "routes[0].replicas[1] \"r2:x\" is not host:port"},
      {"unknown personal-data method", "personal_data_methods: \"GetCitizen\"",
       "personal_data_methods: \"GetCitizens\"", "hub.textproto:9:",
       "\"GetCitizens\" is not a method"},
      {"bad consumer", "consumer: \"000.00.00.G12\"", "consumer: \"G12/\"", "hub.textproto:11:",
       "grants[0].consumer"},
      {"grant of an unrouted service",
       "grants { consumer: \"000.00.00.G12\" service: \"ndxp.residents.v1.ResidentRegistry\" }",
       "grants { consumer: \"000.00.00.G12\" service: \"ndxp.land.v1.Land\" }",
       "hub.textproto:11:", "is not a routed service"},
      {"grant of an unknown method", "method: \"VerifyCitizen\"", "method: \"Verify\"",
       "hub.textproto:12:", "grants[1].method \"Verify\" is not a method"},
      {"grant of an unknown method of the hub's own",
       "grants { consumer: \"000.00.00.G12\" service: \"ndxp.residents.v1.ResidentRegistry\" }",
       "grants { consumer: \"*\" service: \"grpc.health.v1.Health\" method: \"List\" }",
       "hub.textproto:11:", "\"List\" is not a method of grpc.health.v1.Health"},
      {"grant to a wildcard other than every member",
       "grants { consumer: \"000.00.00.G12\" service: \"ndxp.residents.v1.ResidentRegistry\" }",
       "grants { consumer: \"000.*\" service: \"ndxp.residents.v1.ResidentRegistry\" }",
       "hub.textproto:11:", "nor \"*\" (every member)"},
      {"bad operator", "operators: \"000.00.00.A01/ops\"", "operators: \"ops\"",
       "hub.textproto:13:", "operators[0]"},
      {"quota of a bad consumer", "quotas { consumer: \"000.00.00.G12\"",
       "quotas { consumer: \"g12!\"", "hub.textproto:14:", "quotas[0].consumer \"g12!\" is not"},
      {"quota that limits nothing", "calls_per_second: 100 burst: 200 max_concurrent: 50",
       "burst: 200", "hub.textproto:14:", "quotas[0] limits nothing"},
      {"negative rate", "calls_per_second: 100", "calls_per_second: -1", "hub.textproto:14:",
       "quotas[0].calls_per_second must be 0 (no rate limit) or between 1e-6 and 1e9"},
      {"rate too slow to hold", "calls_per_second: 100", "calls_per_second: 1e-9",
       "hub.textproto:14:", "quotas[0].calls_per_second must be 0 (no rate limit) or between"},
      {"quota method without its service",
       "service: \"ndxp.residents.v1.ResidentRegistry\" method: \"VerifyCitizen\" max_concurrent",
       "method: \"VerifyCitizen\" max_concurrent", "hub.textproto:15:",
       "quotas[1].method needs the service"},
      {"quota of an unknown method", "method: \"VerifyCitizen\" max_concurrent",
       "method: \"Verify\" max_concurrent", "hub.textproto:15:",
       "quotas[1].method \"Verify\" is not a method"},
      {"health checks every millisecond", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" health_checks { interval_ms: 1 }", "hub.textproto:13:",
       "health_checks.interval_ms must be 0 (every 5 s) or at least 100"},
      {"held bytes below a stream window", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" limits { max_held_bytes_per_connection: 4096 }",
       "hub.textproto:13:",
       "limits.max_held_bytes_per_connection must be 0 (1048576) or at least 65536"},
      {"all callers' held bytes below one connection's", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" limits { max_held_bytes: 65536 }", "hub.textproto:13:",
       "limits.max_held_bytes must be 0 (268435456) or at least 1048576"},
      {"stalled reader after a millisecond", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" limits { stalled_reader_ms: 1 }", "hub.textproto:13:",
       "limits.stalled_reader_ms must be 0 (30000) or at least 100"},
      {"HTTP/1.1 header timeout of a millisecond", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" limits { http1_header_timeout_ms: 1 }",
       "hub.textproto:13:", "limits.http1_header_timeout_ms must be 0 (10000) or at least 100"},
      {"HTTP/1.1 idle timeout of a millisecond", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" limits { http1_idle_timeout_ms: 1 }",
       "hub.textproto:13:", "limits.http1_idle_timeout_ms must be 0 (60000) or at least 100"},
      {"admin address without a port", "operators: \"000.00.00.A01/ops\"",
       "operators: \"000.00.00.A01/ops\" admin { listen: \"127.0.0.1\" }", "hub.textproto:13:",
       "admin.listen \"127.0.0.1\" is not host:port"},
      {"agency with a bad code", "code: \"000.00.00.G12\"", "code: \"tax\"", "hub.textproto:17:",
       "agencies[1].code"},
      {"agency named twice", "code: \"000.00.00.G12\"", "code: \"000.00.00.H49\"",
       "hub.textproto:17:", "agencies[1].code \"000.00.00.H49\" is named twice"},
      {"agency without a name", " name_en: \"Tax office\"", "", "hub.textproto:17:",
       "agencies[1] names 000.00.00.G12 by neither name_vi nor name_en"},
      {"agency name with a control character", "\"Tax office\"", "\"Tax\\toffice\"",
       "hub.textproto:17:", "agencies[1].name_en has a control character"},
      {"agency name with a space around", "\"Tax office\"", "\" Tax office\"",
       "hub.textproto:17:", "agencies[1].name_en starts or ends with a space"},
      {"agency name too long", "\"Tax office\"", "\"Tax office Tax office Tax office Tax "
       "office Tax office Tax office Tax office Tax office Tax office Tax office Tax office Tax "
       "office Tax office Tax office Tax office Tax office Tax office Tax office Tax office\"",
       "hub.textproto:17:", "agencies[1].name_en is 208 bytes, over 200"},
      {"admin off loopback with nobody to let in", "operators: \"000.00.00.A01/ops\"",
       "admin { listen: \"0.0.0.0:9090\" }", "hub.textproto:13:",
       "is not a loopback address: the admin listener then requires an operator's client "
       "certificate"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::string text = absl::StrReplaceAll(kValid, {{c.from, c.to}});
    ASSERT_NE(text, kValid) << "the case must change the config";
    auto settings = Load(text);
    if (settings.ok()) {  // every case that loads is reported, not only the first
      ADD_FAILURE() << "loaded";
      continue;
    }
    EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(settings.status().message()), StartsWith(path_.substr(0, path_.rfind('/'))));
    EXPECT_THAT(std::string(settings.status().message()), HasSubstr(c.where));
    EXPECT_THAT(std::string(settings.status().message()), HasSubstr(c.reason));
  }
}

// A public key of `type` ("EC" on `curve`, or "RSA") as PEM.
std::string PublicKeyPem(const char* type, const char* curve = nullptr) {
  KeyPtr key(curve ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve)
                   : EVP_PKEY_Q_keygen(nullptr, nullptr, type, size_t{2048}));
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key.get());
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

TEST_F(HubConfigTest, DataSubjectsNeedTheIdentityProvidersP256Key) {
  std::ofstream(dir_.path() + "/idp.pem") << PublicKeyPem("EC", "P-256");
  std::ofstream(dir_.path() + "/rsa.pem") << PublicKeyPem("RSA");
  std::ofstream(dir_.path() + "/p384.pem") << PublicKeyPem("EC", "P-384");
  // Subject keys: private, and one readable by others.
  for (const char* name : {"subject-keys", "open-subject-keys"}) {
    std::ofstream(dir_.path() + "/" + name) << "k1 " << std::string(43, 'A') << "=\n";
  }
  std::filesystem::permissions(dir_.path() + "/subject-keys", std::filesystem::perms::owner_read |
                                                                 std::filesystem::perms::owner_write);
  std::filesystem::permissions(dir_.path() + "/open-subject-keys",
                               std::filesystem::perms::owner_read |
                                   std::filesystem::perms::owner_write |
                                   std::filesystem::perms::others_read);
  const std::string block =
      "data_subjects { provider_public_key: \"idp.pem\" issuer: \"https://id.gov.vn\" "
      "audience: \"ndxp-hub\" subject_keys: \"subject-keys\" }\n";
  const std::string with_block = absl::StrCat(kValid, block);
  auto settings = Load(with_block);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->config.data_subjects().provider_public_key(), dir_.path() + "/idp.pem");
  EXPECT_EQ(settings->config.data_subjects().subject_keys(), dir_.path() + "/subject-keys");
  EXPECT_EQ(settings->config.data_subjects().token_header(), "");  // kDefaultSubjectTokenHeader
  EXPECT_TRUE(Load(absl::StrReplaceAll(with_block, {{"issuer:", "token_header: "
                                                     "\"x-portal-token\" issuer:"}}))
                  .ok());

  const BadCase cases[] = {
      {"an RSA key", "idp.pem", "rsa.pem", "hub.textproto:20:",
       "data_subjects.provider_public_key " /* path */},
      {"a P-384 key", "idp.pem", "p384.pem", "hub.textproto:20:",
       "p384.pem is an EC key on secp384r1, not P-256"},
      {"no key file", "idp.pem", "absent.pem", "hub.textproto:20:",
       "data_subjects.provider_public_key cannot read"},
      {"not a key", "idp.pem", "hub.key", "hub.textproto:20:", "is not a PEM public key"},
      {"no key", "provider_public_key: \"idp.pem\" ", "", "hub.textproto:20:",
       "data_subjects.provider_public_key is required"},
      {"no issuer", "issuer: \"https://id.gov.vn\" ", "", "hub.textproto:20:",
       "data_subjects.issuer is required"},
      {"no audience", "audience: \"ndxp-hub\" ", "", "hub.textproto:20:",
       "data_subjects.audience is required"},
      {"an upper-case header", "issuer:", "token_header: \"X-Token\" issuer:",
       "hub.textproto:20:", "data_subjects.token_header \"X-Token\" is not a header name"},
      {"a gRPC header", "issuer:", "token_header: \"grpc-token\" issuer:", "hub.textproto:20:",
       "data_subjects.token_header \"grpc-token\""},
      {"no subject keys", "subject_keys: \"subject-keys\" ", "", "hub.textproto:20:",
       "data_subjects.subject_keys is required"},
      {"subject keys others may read", "\"subject-keys\"", "\"open-subject-keys\"",
       "hub.textproto:20:", "data_subjects.subject_keys"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::string text = absl::StrReplaceAll(with_block, {{c.from, c.to}});
    ASSERT_NE(text, with_block) << "the case must change the config";
    auto bad = Load(text);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.where));
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.reason));
  }
  auto rsa = Load(absl::StrReplaceAll(with_block, {{"idp.pem", "rsa.pem"}}));
  EXPECT_THAT(std::string(rsa.status().message()), HasSubstr("is a key of type RSA"));
}

TEST_F(HubConfigTest, TransparencyNeedsAPrivateEd25519LogKeyAndAValidOrigin) {
  ASSERT_TRUE(
      transparency::GenerateLogKey(dir_.path() + "/log.key", "ndxp.gov.vn/audit", false).ok());
  ASSERT_TRUE(
      transparency::GenerateLogKey(dir_.path() + "/open-log.key", "ndxp.gov.vn/audit", false).ok());
  std::filesystem::permissions(dir_.path() + "/open-log.key", std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  // A witness's cosignature key (type 0x04) in the log key's place.
  std::ofstream(dir_.path() + "/witness.key")
      << transparency::Ed25519NoteKey::Generate("w", transparency::kCosignatureV1Type)
             ->EncodePrivate()
      << "\n";
  std::ofstream(dir_.path() + "/not-a-log.key") << "pem\n";
  for (const char* name : {"witness.key", "not-a-log.key"}) {
    std::filesystem::permissions(dir_.path() + "/" + name, std::filesystem::perms::owner_read);
  }
  const std::string with_block = absl::StrCat(kValid, "transparency { log_key: \"log.key\" }\n");
  auto settings = Load(with_block);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->config.transparency().log_key(), dir_.path() + "/log.key");

  const BadCase cases[] = {
      {"no log key", "log_key: \"log.key\" ", "", "hub.textproto:20:",
       "transparency.log_key is required"},
      {"a missing log key", "\"log.key\"", "\"absent.key\"", "hub.textproto:20:",
       "transparency.log_key log key " /* path */},
      {"a log key others may read", "\"log.key\"", "\"open-log.key\"", "hub.textproto:20:",
       "chmod 600"},
      {"a witness key", "\"log.key\"", "\"witness.key\"", "hub.textproto:20:",
       "is of signature type 4"},
      {"not a key", "\"log.key\"", "\"not-a-log.key\"", "hub.textproto:20:",
       "does not start with PRIVATE+KEY+"},
      {"a trust domain no origin may hold", "trust_domain: \"ndxp.gov.vn\"",
       "trust_domain: \"ndxp+gov.vn\"", "hub.textproto:2:",
       "trust_domain checkpoint origin \"ndxp+gov.vn/audit/hub-1\" is not valid"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::string text = absl::StrReplaceAll(with_block, {{c.from, c.to}});
    ASSERT_NE(text, with_block) << "the case must change the config";
    auto bad = Load(text);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.where));
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.reason));
  }
  // Without the block, the trust domain needs no origin.
  EXPECT_TRUE(Load(absl::StrReplaceAll(kValid, {{"\"ndxp.gov.vn\"", "\"ndxp+gov.vn\""}})).ok());
}

TEST_F(HubConfigTest, WitnessNeedsAPrivateWitnessKeyAStateDirAndLogsItCanCheck) {
  ASSERT_TRUE(transparency::GenerateWitnessKey(dir_.path() + "/witness.key",
                                               "ndxp.gov.vn/witness", false)
                  .ok());
  absl::StatusOr<transparency::Ed25519NoteKey> log_key = transparency::GenerateLogKey(
      dir_.path() + "/log.key", "national.ndxp.gov.vn/audit", false);
  ASSERT_TRUE(log_key.ok());
  const std::string log_vkey = log_key->verifier_key().Encode();
  absl::StatusOr<transparency::Ed25519NoteKey> witness_key =
      transparency::LoadWitnessKey(dir_.path() + "/witness.key");
  const std::string witness_vkey = witness_key->verifier_key().Encode();
  // Lines 20-29 of the text.
  const std::string with_block = absl::StrCat(kValid, R"(witness {
  key: "witness.key"
  state_dir: "witness-state"
  poll_interval_ms: 1000
  logs {
    endpoint: "127.0.0.1:9443"
    spiffe_id: "spiffe://national.ndxp.gov.vn/agency/000.00.00.A00/hub"
    replica: "hub-1"
    origin: "national.ndxp.gov.vn/audit/hub-1"
    log_vkeys: ")", log_vkey, "\"\n  }\n}\n");
  auto settings = Load(with_block);
  ASSERT_TRUE(settings.ok()) << settings.status();
  const std::string state_dir = dir_.path() + "/witness-state";
  EXPECT_EQ(settings->config.witness().key(), dir_.path() + "/witness.key");
  EXPECT_EQ(settings->config.witness().state_dir(), state_dir);
  // Made, private.
  ASSERT_TRUE(std::filesystem::is_directory(state_dir));
  EXPECT_EQ(std::filesystem::status(state_dir).permissions(), std::filesystem::perms::owner_all);

  std::ofstream(dir_.path() + "/a-file") << "x";
  const std::string vkey_line = absl::StrCat("    log_vkeys: \"", log_vkey, "\"\n");
  const BadCase cases[] = {
      {"no key", "key: \"witness.key\"\n", "", "hub.textproto:20:", "witness.key is required"},
      {"a log key", "\"witness.key\"", "\"log.key\"", "hub.textproto:21:",
       "witness.key witness key " /* path */},
      {"a missing key", "\"witness.key\"", "\"absent.key\"", "hub.textproto:21:", "absent.key"},
      {"no state_dir", "state_dir: \"witness-state\"\n", "", "hub.textproto:20:",
       "witness.state_dir is required"},
      {"a state_dir that is a file", "\"witness-state\"", "\"a-file\"", "hub.textproto:22:",
       "is not a directory"},
      {"no endpoint", "\"127.0.0.1:9443\"", "\"127.0.0.1\"", "hub.textproto:25:",
       "witness.logs[0].endpoint \"127.0.0.1\" is not host:port"},
      {"not a SPIFFE ID", "spiffe://national.ndxp.gov.vn/agency/000.00.00.A00/hub",
       "https://national.ndxp.gov.vn", "hub.textproto:26:",
       "witness.logs[0].spiffe_id \"https://national.ndxp.gov.vn\" is not spiffe://"},
      {"no replica", "replica: \"hub-1\"\n", "", "hub.textproto:24:",
       "witness.logs[0].replica \"\" must be"},
      {"an origin of another replica", "/audit/hub-1\"", "/audit/hub-2\"", "hub.textproto:28:",
       "witness.logs[0].origin \"national.ndxp.gov.vn/audit/hub-2\" is not <trust "
       "domain>/audit/hub-1"},
      {"an origin not of a hub's form", "national.ndxp.gov.vn/audit/hub-1",
       "national.ndxp.gov.vn/log", "hub.textproto:28:", "witness.logs[0].origin"},
      {"no log vkey", vkey_line.c_str(), "",
       "hub.textproto:24:", "witness.logs[0].log_vkeys is required"},
      {"a witness's vkey as the log's", log_vkey.c_str(), witness_vkey.c_str(),
       "hub.textproto:29:", "witness.logs[0].log_vkeys[0] key ndxp.gov.vn/witness is of "
                            "signature type 4, not a log's Ed25519 note key (1)"},
      {"a malformed vkey", log_vkey.c_str(), "national+1234+AAAA", "hub.textproto:29:",
       "witness.logs[0].log_vkeys[0]"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::string text = absl::StrReplaceAll(with_block, {{c.from, c.to}});
    ASSERT_NE(text, with_block) << "the case must change the config";
    auto bad = Load(text);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.where));
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.reason));
  }
  // A block without logs witnesses nothing: refused.
  auto no_logs = Load(absl::StrCat(
      kValid, "witness { key: \"witness.key\" state_dir: \"witness-state\" }\n"));
  EXPECT_THAT(std::string(no_logs.status().message()),
              HasSubstr("hub.textproto:20: witness.logs is required"));
  // Two entries for one log.
  const std::string log_block = with_block.substr(with_block.find("  logs {"));
  auto twice = Load(absl::StrCat(with_block.substr(0, with_block.rfind("}")), log_block));
  EXPECT_THAT(std::string(twice.status().message()),
              HasSubstr("witness.logs[1].origin names a log listed before"));
}

// transparency.witness_vkeys: each a witness's cosignature vkey (type
// 0x04), none twice; an error names the index.
TEST_F(HubConfigTest, WitnessVkeysAreCosignatureKeysListedOnce) {
  ASSERT_TRUE(
      transparency::GenerateLogKey(dir_.path() + "/log.key", "ndxp.gov.vn/audit", false).ok());
  const std::string witness_a =
      transparency::Ed25519NoteKey::Generate("ndxp.gov.vn/witness-a",
                                             transparency::kCosignatureV1Type)
          ->verifier_key()
          .Encode();
  const std::string witness_b =
      transparency::Ed25519NoteKey::Generate("ndxp.gov.vn/witness-b",
                                             transparency::kCosignatureV1Type)
          ->verifier_key()
          .Encode();
  const std::string log_vkey =
      transparency::Ed25519NoteKey::Generate("ndxp.gov.vn/audit")->verifier_key().Encode();
  auto with_witnesses = [&](const std::vector<std::string>& vkeys) {
    std::string block = "transparency {\n  log_key: \"log.key\"\n";
    for (const std::string& vkey : vkeys) {
      absl::StrAppend(&block, "  witness_vkeys: \"", vkey, "\"\n");
    }
    return absl::StrCat(kValid, block, "}\n");
  };
  auto settings = Load(with_witnesses({witness_a, witness_b}));
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->config.transparency().witness_vkeys(), ElementsAre(witness_a, witness_b));

  const struct {
    const char* name;
    std::vector<std::string> vkeys;
    const char* reason;
  } cases[] = {
      {"a log key", {witness_a, log_vkey},
       "transparency.witness_vkeys[1] verifier key ndxp.gov.vn/audit is of signature type 1"},
      {"not a vkey", {"witness+0000"}, "transparency.witness_vkeys[0] "},
      {"a repeat", {witness_a, witness_b, witness_a},
       "transparency.witness_vkeys[2] repeats witness_vkeys[0] (ndxp.gov.vn/witness-a+"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bad = Load(with_witnesses(c.vkeys));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr("hub.textproto:"));
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.reason));
  }
}

TEST(IsLoopbackListenTest, OnlyThisMachinesAddresses) {
  EXPECT_TRUE(IsLoopbackListen("127.0.0.1:9090"));
  EXPECT_TRUE(IsLoopbackListen("127.3.2.1:0"));
  EXPECT_TRUE(IsLoopbackListen("localhost:9090"));
  EXPECT_TRUE(IsLoopbackListen("[::1]:9090"));
  EXPECT_FALSE(IsLoopbackListen("0.0.0.0:9090"));
  EXPECT_FALSE(IsLoopbackListen(":9090"));
  EXPECT_FALSE(IsLoopbackListen("10.0.0.7:9090"));
  EXPECT_FALSE(IsLoopbackListen("[::]:9090"));
  EXPECT_FALSE(IsLoopbackListen("hub.example:9090"));
}

TEST_F(HubConfigTest, MissingFileIsNamed) {
  auto settings = LoadHubConfig(dir_.path() + "/absent.textproto");
  ASSERT_FALSE(settings.ok());
  EXPECT_THAT(std::string(settings.status().message()), HasSubstr("absent.textproto: cannot open"));
}

}  // namespace
}  // namespace ndxp::gateway
