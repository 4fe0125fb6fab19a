#include "gateway/config/hub_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <google/protobuf/descriptor.pb.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/config/host_port.h"
#include "common/config/text_proto.h"
#include "common/identifiers/agency_code.h"
#include "common/protocol/hub_services.h"
#include "common/tls/credentials.h"
#include "common/identity/spiffe_id.h"
#include "gateway/identity/subject_token.h"
#include "gateway/subjects/subject_keys.h"
#include "gateway/transparency/checkpoint.h"
#include "gateway/transparency/cosignature.h"
#include "gateway/transparency/log_key.h"
#include "gateway/peering/peers.h"

namespace ndxp::gateway {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptorSet;
using google::protobuf::ServiceDescriptor;
using ndxp::config::TextProtoFile;

void ResolveRelative(const std::filesystem::path& base, std::string* path) {
  if (path->empty() || std::filesystem::path(*path).is_absolute()) return;
  *path = (base / *path).lexically_normal().string();
}

absl::StatusOr<std::unique_ptr<DescriptorPool>> LoadDescriptorSet(const std::string& path) {
  absl::StatusOr<std::string> bytes = tls::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  FileDescriptorSet set;
  if (!set.ParseFromString(*bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a FileDescriptorSet (protoc --descriptor_set_out)"));
  }
  auto pool = std::make_unique<DescriptorPool>();
  for (const auto& file : set.file()) {
    if (pool->BuildFile(file) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": cannot build ", file.name(),
          " (was it written with --include_imports?)"));
    }
  }
  return pool;
}

absl::Status CheckTlsFiles(const TextProtoFile& file,
                           const ndxp::config::v1::TlsFiles& tls) {
  if (tls.ca_cert().empty()) return file.ErrorAt({"tls", "ca_cert"}, "is required");
  if (tls.cert().empty()) return file.ErrorAt({"tls", "cert"}, "is required");
  if (tls.key().empty()) return file.ErrorAt({"tls", "key"}, "is required");
  for (auto [name, path] : {std::pair{"ca_cert", &tls.ca_cert()},
                            std::pair{"cert", &tls.cert()}, std::pair{"key", &tls.key()}}) {
    if (!tls::ReadFile(*path).ok()) {
      return file.ErrorAt({"tls", name}, absl::StrCat("cannot read ", *path));
    }
  }
  if (!tls.crl_dir().empty() && !std::filesystem::is_directory(tls.crl_dir())) {
    return file.ErrorAt({"tls", "crl_dir"}, absl::StrCat(tls.crl_dir(), " is not a directory"));
  }
  return absl::OkStatus();
}

// A connector's address as the transport and the admin listener's probe
// connect to it: "unix:PATH", or "host:port" with a host and a port 1-65535.
// The reason when it is not one.
std::string EndpointProblem(absl::string_view endpoint) {
  if (endpoint.empty()) return "is required";
  if (absl::StartsWith(endpoint, "unix:")) {
    return endpoint.size() > 5 ? "" : "\"unix:\" names no socket file";
  }
  std::string host;
  int port = 0;
  if (!ndxp::config::SplitHostPort(endpoint, &host, &port).ok() || host.empty() || port == 0) {
    return absl::StrCat("\"", endpoint, "\" is not host:port (port 1-65535) or unix:PATH");
  }
  return "";
}

absl::Status CheckRoutes(const TextProtoFile& file, const HubSettings& settings) {
  absl::flat_hash_set<std::string> seen;
  const auto& routes = settings.config.routes();
  for (int i = 0; i < routes.size(); ++i) {
    const auto& route = routes[i];
    if (route.service().empty()) return file.ErrorAt({{"routes", i}, "service"}, "is required");
    const ServiceDescriptor* service =
        settings.services->FindServiceByName(route.service());
    if (service == nullptr) {
      return file.ErrorAt({{"routes", i}, "service"},
                          absl::StrCat("\"", route.service(),
                                       "\" is not a service of the descriptor set"));
    }
    if (!seen.insert(route.service()).second) {
      return file.ErrorAt({{"routes", i}, "service"},
                          absl::StrCat("\"", route.service(), "\" is routed twice"));
    }
    if (!identifiers::IsValidAgencyCode(route.provider())) {
      return file.ErrorAt({{"routes", i}, "provider"},
                          identifiers::ValidateAgencyCode(route.provider(), "provider").message());
    }
    if (std::string problem = EndpointProblem(route.endpoint()); !problem.empty()) {
      return file.ErrorAt({{"routes", i}, "endpoint"}, problem);
    }
    for (int r = 0; r < route.replicas_size(); ++r) {
      if (std::string problem = EndpointProblem(route.replicas(r)); !problem.empty()) {
        return file.ErrorAt({{"routes", i}, {"replicas", r}},
                            route.replicas(r).empty() ? "is empty" : problem);
      }
    }
    if (!route.peer_hub().empty()) {
      absl::string_view domain = route.peer_hub();
      absl::ConsumePrefix(&domain, "spiffe://");
      if (!ParseSpiffeId(route.peer_hub(), domain.substr(0, domain.find('/'))).ok()) {
        return file.ErrorAt({{"routes", i}, "peer_hub"},
                            absl::StrCat("\"", route.peer_hub(),
                                         "\" is not spiffe://<trust-domain>/agency/<code>/<subsystem>"));
      }
      if (absl::StartsWith(route.endpoint(), "unix:")) {
        return file.ErrorAt({{"routes", i}, "endpoint"},
                            "a peer hub is reached over TLS (its certificate is checked and the "
                            "assertion proven with this connection's keys), not over unix:");
      }
    }
    for (int m = 0; m < route.personal_data_methods_size(); ++m) {
      if (service->FindMethodByName(route.personal_data_methods(m)) == nullptr) {
        return file.ErrorAt({{"routes", i}, {"personal_data_methods", m}},
                            absl::StrCat("\"", route.personal_data_methods(m),
                                         "\" is not a method of ", route.service()));
      }
    }
  }
  return absl::OkStatus();
}

// A replica's name becomes part of a file name beside the database
// (CheckpointFilePath) and a line of the checkpoint it signs: no '/', no
// line break, nothing a shell or a reader must quote. 253: a DNS name, as a
// Kubernetes pod's.
constexpr size_t kMaxReplicaNameBytes = 253;

bool IsValidReplicaName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxReplicaNameBytes &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                  c == '-';
         });
}

std::string NotAConsumer(const std::string& name) {
  return absl::StrCat("\"", name, "\" is not <agency-code> or <agency-code>/<subsystem>");
}

// A consumer and the service and method it is given (a grant: a routed
// service or one the hub answers itself, to a consumer or to every member,
// "*") or limited on (a quota: a routed service): entry `index` of the
// repeated field `list`.
absl::Status CheckConsumerScope(const TextProtoFile& file, const HubSettings& settings,
                                const absl::flat_hash_set<std::string>& routed, const char* list,
                                int index, const std::string& consumer,
                                const std::string& service, const std::string& method) {
  const bool grant = absl::string_view(list) == "grants";
  if (!IsValidConsumerName(consumer) && !(grant && consumer == protocol::kEveryMember)) {
    return file.ErrorAt({{list, index}, "consumer"},
                        grant ? absl::StrCat(NotAConsumer(consumer), ", nor \"*\" (every member)")
                              : NotAConsumer(consumer));
  }
  if (const protocol::HubService* own = grant ? protocol::FindHubService(service) : nullptr) {
    if (!method.empty() && !own->HasMethod(method)) {
      return file.ErrorAt({{list, index}, "method"},
                          absl::StrCat("\"", method, "\" is not a method of ", service));
    }
    return absl::OkStatus();
  }
  if (!routed.contains(service)) {
    return file.ErrorAt(
        {{list, index}, "service"},
        absl::StrCat("\"", service, "\" is not a routed service",
                     grant ? absl::StrCat(" nor one the hub answers itself (",
                                          absl::StrJoin(protocol::kHubServices, ", ",
                                                        [](std::string* out, const auto& s) {
                                                          out->append(s.service);
                                                        }),
                                          ")")
                           : ""));
  }
  if (!method.empty() &&
      settings.services->FindServiceByName(service)->FindMethodByName(method) == nullptr) {
    return file.ErrorAt({{list, index}, "method"},
                        absl::StrCat("\"", method, "\" is not a method of ", service));
  }
  return absl::OkStatus();
}

absl::Status CheckGrants(const TextProtoFile& file, const HubSettings& settings) {
  absl::flat_hash_set<std::string> routed;
  for (const auto& route : settings.config.routes()) routed.insert(route.service());
  const auto& grants = settings.config.grants();
  for (int i = 0; i < grants.size(); ++i) {
    const auto& grant = grants[i];
    if (absl::Status s = CheckConsumerScope(file, settings, routed, "grants", i,
                                            grant.consumer(), grant.service(), grant.method());
        !s.ok()) {
      return s;
    }
  }
  const auto& quotas = settings.config.quotas();
  for (int i = 0; i < quotas.size(); ++i) {
    const auto& quota = quotas[i];
    if (quota.service().empty() && !quota.method().empty()) {
      return file.ErrorAt({{"quotas", i}, "method"}, "needs the service it belongs to");
    }
    if (quota.service().empty() && !IsValidConsumerName(quota.consumer())) {
      return file.ErrorAt({{"quotas", i}, "consumer"},
                          NotAConsumer(quota.consumer()));
    }
    if (!quota.service().empty()) {
      if (absl::Status s = CheckConsumerScope(file, settings, routed, "quotas", i,
                                              quota.consumer(), quota.service(), quota.method());
          !s.ok()) {
        return s;
      }
    }
    // The slowest rate is one call per 1e6 s (11.6 days); 0 is no rate limit.
    if (!(quota.calls_per_second() >= 0) || quota.calls_per_second() > 1e9 ||
        (quota.calls_per_second() > 0 && quota.calls_per_second() < 1e-6)) {
      return file.ErrorAt({{"quotas", i}, "calls_per_second"},
                          "must be 0 (no rate limit) or between 1e-6 and 1e9 calls per second");
    }
    if (quota.calls_per_second() == 0 && quota.max_concurrent() == 0) {
      return file.ErrorAt({{"quotas", i}},
                          "limits nothing: set calls_per_second, max_concurrent or both");
    }
  }
  const auto& peers = settings.config.peers();
  absl::flat_hash_set<std::string> peer_ids;
  for (int i = 0; i < peers.size(); ++i) {
    absl::string_view domain = peers[i].spiffe_id();
    absl::ConsumePrefix(&domain, "spiffe://");
    if (!ParseSpiffeId(peers[i].spiffe_id(), domain.substr(0, domain.find('/'))).ok()) {
      return file.ErrorAt({{"peers", i}, "spiffe_id"},
                          absl::StrCat("\"", peers[i].spiffe_id(),
                                       "\" is not spiffe://<trust-domain>/agency/<code>/<subsystem>"));
    }
    if (!peer_ids.insert(peers[i].spiffe_id()).second) {
      return file.ErrorAt({{"peers", i}, "spiffe_id"}, "names a peer listed before");
    }
    if (peers[i].may_assert().empty()) {
      return file.ErrorAt({{"peers", i}, "may_assert"},
                          "is required: whose calls the peer may assert (a trust domain or an "
                          "agency-code pattern)");
    }
    for (int m = 0; m < peers[i].may_assert_size(); ++m) {
      if (absl::Status s = CheckAssertionScope(peers[i].may_assert(m)); !s.ok()) {
        return file.ErrorAt({{"peers", i}, {"may_assert", m}}, s.message());
      }
    }
  }
  if (settings.config.limits().assertion_lifetime_ms() >
      absl::ToInt64Milliseconds(kMaxAssertionLifetime)) {
    return file.ErrorAt({"limits", "assertion_lifetime_ms"},
                        absl::StrCat("must be at most ",
                                     absl::ToInt64Milliseconds(kMaxAssertionLifetime)));
  }
  const auto& limits = settings.config.limits();
  if (limits.max_held_bytes_per_connection() != 0 &&
      limits.max_held_bytes_per_connection() < kMinHeldBytesPerConnection) {
    return file.ErrorAt({"limits", "max_held_bytes_per_connection"},
                        absl::StrCat("must be 0 (", kDefaultMaxHeldBytesPerConnection,
                                     ") or at least ", kMinHeldBytesPerConnection,
                                     " (one stream's window)"));
  }
  const uint64_t per_connection = limits.max_held_bytes_per_connection() != 0
                                      ? limits.max_held_bytes_per_connection()
                                      : kDefaultMaxHeldBytesPerConnection;
  if (limits.max_held_bytes() != 0 && limits.max_held_bytes() < per_connection) {
    return file.ErrorAt({"limits", "max_held_bytes"},
                        absl::StrCat("must be 0 (", kDefaultMaxHeldBytes, ") or at least ",
                                     per_connection,
                                     " (limits.max_held_bytes_per_connection)"));
  }
  if (limits.stalled_reader_ms() != 0 && limits.stalled_reader_ms() < kMinStalledReaderMs) {
    return file.ErrorAt({"limits", "stalled_reader_ms"},
                        absl::StrCat("must be 0 (", kDefaultStalledReaderMs, ") or at least ",
                                     kMinStalledReaderMs));
  }
  if (limits.http1_header_timeout_ms() != 0 &&
      limits.http1_header_timeout_ms() < kMinHttp1TimeoutMs) {
    return file.ErrorAt({"limits", "http1_header_timeout_ms"},
                        absl::StrCat("must be 0 (", kDefaultHttp1HeaderTimeoutMs,
                                     ") or at least ", kMinHttp1TimeoutMs));
  }
  if (limits.http1_idle_timeout_ms() != 0 && limits.http1_idle_timeout_ms() < kMinHttp1TimeoutMs) {
    return file.ErrorAt({"limits", "http1_idle_timeout_ms"},
                        absl::StrCat("must be 0 (", kDefaultHttp1IdleTimeoutMs, ") or at least ",
                                     kMinHttp1TimeoutMs));
  }
  const auto& operators = settings.config.operators();
  for (int i = 0; i < operators.size(); ++i) {
    if (!IsValidConsumerName(operators[i])) {
      return file.ErrorAt({{"operators", i}},
                          NotAConsumer(operators[i]));
    }
  }
  return absl::OkStatus();
}

// A name people read: UTF-8 (the text format has checked it) without ASCII
// control characters or spaces around, 1..kMaxAgencyNameBytes bytes.
std::string AgencyNameProblem(absl::string_view name) {
  if (name.size() > kMaxAgencyNameBytes) {
    return absl::StrCat("is ", name.size(), " bytes, over ", kMaxAgencyNameBytes);
  }
  for (char c : name) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return "has a control character";
  }
  if (absl::StripAsciiWhitespace(name) != name) return "starts or ends with a space";
  return "";
}

absl::Status CheckAgencies(const TextProtoFile& file, const HubSettings& settings) {
  absl::flat_hash_set<std::string> codes;
  const auto& agencies = settings.config.agencies();
  for (int i = 0; i < agencies.size(); ++i) {
    const auto& agency = agencies[i];
    if (!identifiers::IsValidAgencyCode(agency.code())) {
      return file.ErrorAt({{"agencies", i}, "code"},
                          identifiers::ValidateAgencyCode(agency.code(), "code").message());
    }
    if (!codes.insert(agency.code()).second) {
      return file.ErrorAt({{"agencies", i}, "code"},
                          absl::StrCat("\"", agency.code(), "\" is named twice"));
    }
    if (agency.name_vi().empty() && agency.name_en().empty()) {
      return file.ErrorAt({{"agencies", i}},
                          absl::StrCat("names ", agency.code(), " by neither name_vi nor name_en"));
    }
    for (auto [field, name] : {std::pair{"name_vi", &agency.name_vi()},
                               std::pair{"name_en", &agency.name_en()}}) {
      if (name->empty()) continue;
      if (std::string problem = AgencyNameProblem(*name); !problem.empty()) {
        return file.ErrorAt({{"agencies", i}, field}, problem);
      }
    }
  }
  return absl::OkStatus();
}

// A request header the portal may set: HTTP/2 header names are lower-case,
// and grpc-* are gRPC's own.
bool IsPortalHeaderName(absl::string_view name) {
  return !name.empty() && !absl::StartsWith(name, "grpc-") &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_islower(static_cast<unsigned char>(c)) ||
                  absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-';
         });
}

// The identity provider's settings, its key loaded and checked as the
// verifier will take it: a configuration that loads can verify tokens.
absl::Status CheckDataSubjects(const TextProtoFile& file,
                               const ndxp::config::v1::DataSubjects& subjects) {
  const std::string& header = subjects.token_header();
  if (!header.empty() && !IsPortalHeaderName(header)) {
    return file.ErrorAt({"data_subjects", "token_header"},
                        absl::StrCat("\"", header, "\" is not a header name of lower-case letters, "
                                     "digits and '-' (nor one of gRPC's grpc-*)"));
  }
  if (subjects.issuer().empty()) {
    return file.ErrorAt({"data_subjects", "issuer"},
                        "is required: the identity provider's iss (e.g. \"https://id.gov.vn\")");
  }
  if (subjects.audience().empty()) {
    return file.ErrorAt({"data_subjects", "audience"},
                        "is required: the aud the identity provider writes for this hub");
  }
  const std::string& key_path = subjects.provider_public_key();
  if (key_path.empty()) {
    return file.ErrorAt({"data_subjects", "provider_public_key"},
                        "is required: the identity provider's public key (PEM)");
  }
  absl::StatusOr<std::string> pem = tls::ReadFile(key_path);
  if (!pem.ok()) {
    return file.ErrorAt({"data_subjects", "provider_public_key"},
                        absl::StrCat("cannot read ", key_path));
  }
  SubjectTokenOptions options;
  options.issuer = subjects.issuer();
  options.audience = subjects.audience();
  if (auto verifier = SubjectTokenVerifier::Create(*pem, options); !verifier.ok()) {
    return file.ErrorAt({"data_subjects", "provider_public_key"},
                        absl::StrCat(key_path, " ", verifier.status().message()));
  }
  if (subjects.subject_keys().empty()) {
    return file.ErrorAt({"data_subjects", "subject_keys"},
                        "is required: the key file the hub keeps persons' identifiers under "
                        "(ndxpctl subject-key generate)");
  }
  if (auto keys = subjects::SubjectKeys::Load(subjects.subject_keys()); !keys.ok()) {
    return file.ErrorAt({"data_subjects", "subject_keys"}, keys.status().message());
  }
  return absl::OkStatus();
}

// The log key loads as the hub will sign with it, and the origins it will
// sign under are valid.
absl::Status CheckTransparency(const TextProtoFile& file,
                               const ndxp::config::v1::HubConfig& config) {
  const std::string& log_key = config.transparency().log_key();
  if (log_key.empty()) {
    return file.ErrorAt({"transparency", "log_key"},
                        "is required: the key the hub signs its audit log's checkpoints with "
                        "(ndxpctl log-key generate)");
  }
  if (auto key = transparency::LoadLogKey(log_key); !key.ok()) {
    return file.ErrorAt({"transparency", "log_key"}, key.status().message());
  }
  const std::string& replica = config.recording().replica();
  if (auto origin = transparency::CheckpointOrigin(config.trust_domain(),
                                                   replica.empty() ? kDefaultReplica : replica);
      !origin.ok()) {
    return file.ErrorAt({"trust_domain"},
                        absl::StrCat(origin.status().message(),
                                     ": the trust domain names every replica's audit log"));
  }
  // Each witness a cosignature key, once: a witness is counted once
  // towards a quorum (GetCheckpoint's min_cosignatures).
  std::map<std::string, int> witness_at;  // "<name>+<key ID>" -> index
  for (int i = 0; i < config.transparency().witness_vkeys_size(); ++i) {
    absl::StatusOr<transparency::CosignatureVerifier> witness =
        transparency::CosignatureVerifier::FromVkey(config.transparency().witness_vkeys(i));
    if (!witness.ok()) {
      return file.ErrorAt({{"transparency"}, {"witness_vkeys", i}},
                          absl::StrCat(witness.status().message(),
                                       " (expected a witness's vkey, as `ndxpctl witness-key "
                                       "vkey` prints it)"));
    }
    const std::string key = transparency::WitnessKeyOf(witness->key());
    if (auto [at, added] = witness_at.emplace(key, i); !added) {
      return file.ErrorAt({{"transparency"}, {"witness_vkeys", i}},
                          absl::StrCat("repeats witness_vkeys[", at->second, "] (", key, ")"));
    }
  }
  return absl::OkStatus();
}

// The witness block (this hub cosigns other hubs' checkpoints): its key
// loads as a witness key, its state directory exists (made private if
// missing), and each log it follows is one it can call and check. Its own
// function: transparency's own checks are CheckTransparency's.
absl::Status CheckWitness(const TextProtoFile& file, const ndxp::config::v1::Witness& witness) {
  if (witness.key().empty()) {
    return file.ErrorAt({"witness", "key"},
                        "is required: the key the hub cosigns checkpoints with (ndxpctl "
                        "witness-key generate)");
  }
  if (auto key = transparency::LoadWitnessKey(witness.key()); !key.ok()) {
    return file.ErrorAt({"witness", "key"}, key.status().message());
  }
  const std::string& state_dir = witness.state_dir();
  if (state_dir.empty()) {
    return file.ErrorAt({"witness", "state_dir"},
                        "is required: where the last checkpoint cosigned of each log is kept");
  }
  std::error_code error;
  if (!std::filesystem::exists(state_dir, error)) {
    // Private: what it holds decides what the witness will cosign.
    if (!std::filesystem::create_directories(state_dir, error) || error) {
      return file.ErrorAt({"witness", "state_dir"},
                          absl::StrCat("cannot make ", state_dir, ": ", error.message()));
    }
    std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
  }
  if (!std::filesystem::is_directory(state_dir, error)) {
    return file.ErrorAt({"witness", "state_dir"}, absl::StrCat(state_dir, " is not a directory"));
  }
  if (witness.logs().empty()) {
    return file.ErrorAt({"witness", "logs"}, "is required: the logs this hub witnesses");
  }
  absl::flat_hash_set<std::string> origins;
  for (int i = 0; i < witness.logs_size(); ++i) {
    const ndxp::config::v1::WitnessedLog& log = witness.logs(i);
    std::string host;
    int port = 0;
    if (!ndxp::config::SplitHostPort(log.endpoint(), &host, &port).ok() || host.empty() ||
        port == 0) {
      return file.ErrorAt({"witness", {"logs", i}, "endpoint"},
                          absl::StrCat("\"", log.endpoint(),
                                       "\" is not host:port (port 1-65535): the log's hub's gRPC "
                                       "listener"));
    }
    absl::string_view domain = log.spiffe_id();
    absl::ConsumePrefix(&domain, "spiffe://");
    if (!ParseSpiffeId(log.spiffe_id(), domain.substr(0, domain.find('/'))).ok()) {
      return file.ErrorAt({"witness", {"logs", i}, "spiffe_id"},
                          absl::StrCat("\"", log.spiffe_id(),
                                       "\" is not spiffe://<trust-domain>/agency/<code>/<subsystem>"));
    }
    if (!IsValidReplicaName(log.replica())) {
      return file.ErrorAt({"witness", {"logs", i}, "replica"},
                          absl::StrCat("\"", log.replica(), "\" must be 1-", kMaxReplicaNameBytes,
                                       " letters, digits, '.', '_' or '-' (the log's "
                                       "recording.replica)"));
    }
    // The form the log's hub signs under: "<its trust domain>/audit/<replica>".
    const size_t audit = log.origin().rfind("/audit/");
    absl::StatusOr<std::string> expected =
        audit == std::string::npos
            ? absl::InvalidArgumentError("")
            : transparency::CheckpointOrigin(log.origin().substr(0, audit), log.replica());
    if (!expected.ok() || *expected != log.origin()) {
      return file.ErrorAt({"witness", {"logs", i}, "origin"},
                          absl::StrCat("\"", log.origin(), "\" is not <trust domain>/audit/",
                                       log.replica(), ", the origin the log's hub signs replica ",
                                       log.replica(), "'s checkpoints under"));
    }
    if (!origins.insert(log.origin()).second) {
      return file.ErrorAt({"witness", {"logs", i}, "origin"}, "names a log listed before");
    }
    if (log.log_vkeys().empty()) {
      return file.ErrorAt({"witness", {"logs", i}, "log_vkeys"},
                          "is required: the log key's vkey (ndxpctl log-key vkey)");
    }
    for (int k = 0; k < log.log_vkeys_size(); ++k) {
      absl::StatusOr<transparency::NoteVerifierKey> vkey =
          transparency::ParseVerifierKey(log.log_vkeys(k));
      if (!vkey.ok() || vkey->type != transparency::kEd25519NoteType) {
        return file.ErrorAt(
            {"witness", {"logs", i}, {"log_vkeys", k}},
            vkey.ok() ? absl::StrCat("key ", vkey->name, " is of signature type ",
                                     static_cast<int>(vkey->type),
                                     ", not a log's Ed25519 note key (1)")
                      : absl::StrCat(vkey.status().message(),
                                     " (want <name>+<key ID>+<base64>, as ndxpctl log-key vkey "
                                     "prints it)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

ndxp::config::v1::Recording::Mode EffectiveRecordingMode(
    const ndxp::config::v1::Recording& recording) {
  using Recording = ndxp::config::v1::Recording;
  if (recording.mode() != Recording::MODE_UNSPECIFIED) return recording.mode();
  return recording.database().empty() && recording.postgres().empty() ? Recording::OFF
                                                                      : Recording::DURABLE;
}

bool IsLoopbackListen(absl::string_view listen) {
  absl::string_view host = listen.substr(0, listen.rfind(':'));
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, std::string(host).c_str(), &v4) == 1 &&
         (ntohl(v4.s_addr) >> 24) == 127;
}

bool IsValidConsumerName(absl::string_view consumer) {
  size_t slash = consumer.find('/');
  if (slash == absl::string_view::npos) return identifiers::IsValidAgencyCode(consumer);
  return identifiers::IsValidAgencyCode(consumer.substr(0, slash)) &&
         IsValidSubsystemName(consumer.substr(slash + 1));
}

absl::StatusOr<HubSettings> LoadHubConfig(const std::string& path) {
  HubSettings settings;
  settings.path = path;
  TextProtoFile file;
  if (absl::Status s = file.Load(path, &settings.config); !s.ok()) return s;
  auto& config = settings.config;

  std::filesystem::path base = std::filesystem::path(path).parent_path();
  ResolveRelative(base, config.mutable_tls()->mutable_ca_cert());
  ResolveRelative(base, config.mutable_tls()->mutable_cert());
  ResolveRelative(base, config.mutable_tls()->mutable_key());
  ResolveRelative(base, config.mutable_tls()->mutable_crl_dir());
  ResolveRelative(base, config.mutable_descriptor_set());

  if (config.listen().empty()) return file.ErrorAt({"listen"}, "is required (host:port)");
  // The transport takes the port as written: one it cannot read must not
  // become another port.
  std::string host;
  int port = 0;
  if (absl::Status s = ndxp::config::SplitHostPort(config.listen(), &host, &port); !s.ok()) {
    return file.ErrorAt({"listen"}, s.message());
  }
  if (config.trust_domain().empty()) {
    return file.ErrorAt({"trust_domain"}, "is required (e.g. \"ndxp.gov.vn\")");
  }
  if (config.trust_domain().find('/') != std::string::npos) {
    return file.ErrorAt({"trust_domain"}, "must be a bare domain, without '/'");
  }
  if (!config.has_tls()) return file.ErrorAt({"tls"}, "is required");
  if (absl::Status s = CheckTlsFiles(file, config.tls()); !s.ok()) return s;

  if (config.descriptor_set().empty()) {
    if (config.routes_size() > 0) {
      return file.ErrorAt({"descriptor_set"},
                          "is required: the hub must know the methods it routes");
    }
    settings.services = std::make_unique<DescriptorPool>();
  } else {
    absl::StatusOr<std::unique_ptr<DescriptorPool>> pool =
        LoadDescriptorSet(config.descriptor_set());
    if (!pool.ok()) return file.ErrorAt({"descriptor_set"}, pool.status().message());
    settings.services = *std::move(pool);
  }
  ResolveRelative(base, config.mutable_recording()->mutable_database());
  if (EffectiveRecordingMode(config.recording()) != ndxp::config::v1::Recording::OFF) {
    if (config.recording().database().empty() == config.recording().postgres().empty()) {
      return file.ErrorAt({"recording"},
                          "needs exactly one of database (SQLite) or postgres to record");
    }
    absl::TimeZone zone;
    if (!config.recording().time_zone().empty() &&
        !absl::LoadTimeZone(config.recording().time_zone(), &zone)) {
      return file.ErrorAt({"recording", "time_zone"},
                          absl::StrCat("\"", config.recording().time_zone(),
                                       "\" is not a known time zone"));
    }
  }
  if (const std::string& replica = config.recording().replica();
      !replica.empty() && !IsValidReplicaName(replica)) {
    return file.ErrorAt({"recording", "replica"},
                        absl::StrCat("\"", replica, "\" must be 1-", kMaxReplicaNameBytes,
                                     " letters, digits, '.', '_' or '-' (it names the replica's "
                                     "checkpoint file and is a line of its signed text)"));
  }
  if (absl::Status s = CheckRoutes(file, settings); !s.ok()) return s;
  if (absl::Status s = CheckGrants(file, settings); !s.ok()) return s;
  if (absl::Status s = CheckAgencies(file, settings); !s.ok()) return s;
  if (config.has_data_subjects()) {
    ResolveRelative(base, config.mutable_data_subjects()->mutable_provider_public_key());
    ResolveRelative(base, config.mutable_data_subjects()->mutable_subject_keys());
    if (absl::Status s = CheckDataSubjects(file, config.data_subjects()); !s.ok()) return s;
  }
  if (config.has_transparency()) {
    ResolveRelative(base, config.mutable_transparency()->mutable_log_key());
    if (absl::Status s = CheckTransparency(file, config); !s.ok()) return s;
  }
  if (config.has_witness()) {
    ResolveRelative(base, config.mutable_witness()->mutable_key());
    ResolveRelative(base, config.mutable_witness()->mutable_state_dir());
    if (absl::Status s = CheckWitness(file, config.witness()); !s.ok()) return s;
  }
  if (uint32_t interval = config.health_checks().interval_ms(); interval != 0 && interval < 100) {
    return file.ErrorAt({"health_checks", "interval_ms"},
                        "must be 0 (every 5 s) or at least 100 (every endpoint is asked each time)");
  }
  if (config.has_admin()) {
    const std::string& admin = config.admin().listen();
    if (!ndxp::config::SplitHostPort(admin, &host, &port).ok() || host.empty()) {
      return file.ErrorAt({"admin", "listen"},
                          absl::StrCat("\"", admin, "\" is not host:port (port 0 picks one)"));
    }
    if (!IsLoopbackListen(admin) && config.operators().empty()) {
      return file.ErrorAt(
          {"admin", "listen"},
          absl::StrCat("\"", admin, "\" is not a loopback address: the admin listener then "
                       "requires an operator's client certificate, and no operators are listed"));
    }
  }
  return settings;
}

}  // namespace ndxp::gateway
