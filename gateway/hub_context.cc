#include "gateway/hub_context.h"

#include <openssl/rand.h>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "common/version/version.h"
#include "gateway/admin/recording_store.h"
#include "gateway/admin/statistics_methods.h"
#include "gateway/admin/subject_access_method.h"
#include "gateway/admin/transparency_methods.h"
#include "gateway/json/openapi.h"
#include "gateway/local/open_api_method.h"

namespace ndxp::gateway {
namespace {

// 128 random bits in hex; per-thread generator, no lock. Formatted by hand:
// it runs for every call that brings no id (StrFormat showed in profiles).
std::string NewRequestId() {
  static thread_local absl::BitGen bits;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t value = absl::Uniform<uint64_t>(bits);
    for (int i = 15; i >= 0; --i, value >>= 4) id[half * 16 + i] = kHex[value & 0xF];
  }
  return id;
}

// An assertion's nonce: from OpenSSL's generator, since a guessed nonce
// would let a replay through; empty if it fails.
std::string NewAssertionNonce() {
  std::string nonce(kAssertionNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), nonce.size()) != 1) return {};
  return nonce;
}

// The routed services as the OpenAPI document shows them: each with its
// provider, the provider's name and the methods that carry personal data.
std::string OpenApiDocumentOf(const HubContext& context) {
  std::vector<json::OpenApiService> services;
  for (const auto& route : context.routes->services()) {
    json::OpenApiService service;
    service.descriptor = context.settings.services->FindServiceByName(route->service);
    if (service.descriptor == nullptr) continue;  // checked by LoadHubConfig
    service.provider = route->provider;
    service.provider_name =
        context.agencies->Name(route->provider, statistics::NameLanguage::kEnglish);
    services.push_back(std::move(service));
  }
  for (const auto& method : context.routes->methods()) {
    if (!method->personal_data) continue;
    for (auto& service : services) {
      if (service.descriptor->full_name() == method->service->service) {
        service.personal_data_methods.push_back(std::string(method->method));
      }
    }
  }
  json::OpenApiInfo info;
  info.version = std::string(Version());
  return json::BuildOpenApiDocument(services, info);
}

}  // namespace

TransactionRecord RefusedCallRecord(const HubContext& context, absl::string_view path,
                                    const absl::StatusOr<ConsumerIdentity>& identity,
                                    const absl::Status& status, std::string request_id,
                                    absl::Time started) {
  TransactionRecord record;
  record.time_micros = absl::ToUnixMicros(started);
  record.latency_micros = absl::ToInt64Microseconds(absl::Now() - started);
  record.request_id = std::move(request_id);
  record.status_code = static_cast<int>(status.code());
  if (identity.ok()) record.consumer = std::string(identity->agency_subsystem);
  if (const MethodRoute* route = context.routes->Find(path)) {
    record.provider = route->service->provider;
    record.service = route->service->service;
    record.method = std::string(route->method);
  } else if (context.local != nullptr && context.local->Find(path) != nullptr) {
    // "/package.Service/Method", checked by the lookup.
    const size_t slash = path.rfind('/');
    record.service = std::string(path.substr(1, slash - 1));
    record.method = std::string(path.substr(slash + 1));
  }
  absl::string_view reason = status.message();
  record.refusal = reason.empty() ? absl::StatusCodeToString(status.code())
                                  : std::string(reason.substr(0, kMaxRefusalBytes));
  return record;
}

uint32_t MaxMessageBytes(const ndxp::config::v1::HubConfig& config) {
  return config.limits().max_message_bytes() == 0 ? kDefaultMaxMessageBytes
                                                  : config.limits().max_message_bytes();
}

absl::StatusOr<std::shared_ptr<const HubContext>> BuildHubContext(HubSettings settings,
                                                                  const HubParts& parts) {
  auto context = std::make_shared<HubContext>();
  context->settings = std::move(settings);
  const auto& config = context->settings.config;

  absl::StatusOr<std::unique_ptr<RouteTable>> routes =
      RouteTable::Build(config, *context->settings.services);
  if (!routes.ok()) return routes.status();
  context->routes = *std::move(routes);
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::Build(config, *context->routes);
  if (!policy.ok()) return policy.status();
  context->policy = *std::move(policy);
  context->quotas = QuotaTable::Build(config, *context->routes);
  absl::StatusOr<std::unique_ptr<PeerTable>> peers = PeerTable::Build(config);
  if (!peers.ok()) return peers.status();
  context->peers = *std::move(peers);

  std::vector<std::string> routed;
  for (const auto& service : context->routes->services()) routed.push_back(service->service);
  context->local =
      std::make_unique<LocalServices>(context->settings.services.get(), std::move(routed));
  context->json = std::make_unique<json::JsonTranscoder>(context->settings.services.get());
  std::vector<const google::protobuf::ServiceDescriptor*> rest_services;
  for (const auto& service : context->routes->services()) {
    if (const auto* descriptor = context->settings.services->FindServiceByName(service->service)) {
      rest_services.push_back(descriptor);
    }
  }
  // The hub's catalogue (GET /openapi.json) and a data subject's accesses,
  // when the descriptor set has them.
  const auto* catalogue = context->settings.services->FindServiceByName(kCatalogueService);
  if (catalogue != nullptr) rest_services.push_back(catalogue);
  for (const char* hub_service : {protocol::kDataSubjectAccessService, kTransparencyService}) {
    if (const auto* descriptor = context->settings.services->FindServiceByName(hub_service)) {
      rest_services.push_back(descriptor);
    }
  }
  absl::StatusOr<std::unique_ptr<json::RestMapping>> rest =
      json::RestMapping::Compile(rest_services, context->json.get());
  if (!rest.ok()) {
    return absl::Status(rest.status().code(),
                        absl::StrCat("google.api.http rules (the REST door): ",
                                     rest.status().message()));
  }
  context->rest = *std::move(rest);
  // The operators' statistics, from the recording's store, and the
  // agencies' names.
  context->agencies = AgencyDirectoryOf(config);
  context->openapi = OpenApiDocumentOf(*context);
  if (config.has_data_subjects()) {
    absl::StatusOr<subjects::SubjectKeys> keys =
        subjects::SubjectKeys::Load(config.data_subjects().subject_keys());
    if (!keys.ok()) {
      return absl::Status(keys.status().code(), absl::StrCat("data_subjects.subject_keys: ",
                                                             keys.status().message()));
    }
    context->subject_keys = std::make_unique<const subjects::SubjectKeys>(*std::move(keys));
  }
  if (catalogue != nullptr) {
    // Its answer, made once: the document as a google.protobuf.Struct.
    const auto* structure =
        context->settings.services->FindMessageTypeByName("google.protobuf.Struct");
    absl::StatusOr<std::string> document =
        structure != nullptr ? context->json->JsonToBinary(*structure, context->openapi)
                             : absl::NotFoundError("google.protobuf.Struct is not described");
    if (!document.ok()) {
      return absl::InternalError(
          absl::StrCat("the OpenAPI document as ndxp.hub.v1.Catalogue's answer: ",
                       document.status().message()));
    }
    context->local->Add(kCatalogueService, kGetOpenApiDocument,
                        std::make_unique<OpenApiDocumentMethod>(*std::move(document)));
  }
  if (absl::Status s = AddStatisticsMethods(
          parts.recorder != nullptr ? &config.recording() : nullptr, context->agencies,
          context->local.get());
      !s.ok()) {
    return s;
  }
  ListAccessesMethod::Parts accesses;
  accesses.keys = context->subject_keys.get();
  accesses.agencies = context->agencies;
  accesses.recorder = parts.recorder;
  accesses.hold_until_recorded = parts.hold_until_recorded;
  if (absl::Status s = AddDataSubjectAccess(
          config, parts.recorder != nullptr ? &config.recording() : nullptr, std::move(accesses),
          context->local.get());
      !s.ok()) {
    return s;
  }
  // The audit log's checkpoints and proofs, where the hub signs its tree.
  if (parts.recorder != nullptr && config.has_transparency()) {
    // A replica name of its own: it reads every replica's tree, writes none.
    absl::StatusOr<std::unique_ptr<TransactionStore>> store =
        OpenRecordingStore(config.recording(), EffectiveRecordingMode(config.recording()),
                           ReplicaOf(config.recording()) + "-proofs");
    if (!store.ok()) return store.status();
    // The witnesses whose cosignatures it keeps: a reload builds a new
    // context, so a witness added or removed takes effect then.
    std::vector<transparency::CosignatureVerifier> witnesses;
    for (const std::string& vkey : config.transparency().witness_vkeys()) {
      absl::StatusOr<transparency::CosignatureVerifier> witness =
          transparency::CosignatureVerifier::FromVkey(vkey);
      if (!witness.ok()) return witness.status();  // checked by LoadHubConfig
      witnesses.push_back(*std::move(witness));
    }
    AddTransparencyMethods(
        std::make_shared<TransparencyMethods>(TransparencyLogOf(*std::move(store)),
                                              ReplicaOf(config.recording()), std::move(witnesses)),
        context->local.get());
  }
  context->stats = parts.stats;
  context->metrics = parts.metrics;
  context->recorder = parts.recorder;
  context->hold_until_recorded = parts.hold_until_recorded;
  context->worker = parts.worker;
  if (parts.replays == nullptr) context->own_replays = std::make_unique<ReplayGuard>();
  context->replays = parts.replays != nullptr ? parts.replays : context->own_replays.get();

  AdmissionContext& admission = context->admission;
  admission.tables = {context->routes.get(), context->policy.get(), context->local.get(),
                      &NewRequestId};
  admission.peers = context->peers.get();
  admission.replays = context->replays;
  admission.quotas = context->quotas.get();
  const auto& limits = config.limits();
  admission.default_deadline = absl::Milliseconds(
      limits.default_deadline_ms() != 0 ? limits.default_deadline_ms() : kDefaultDeadlineMs);
  admission.max_deadline = absl::Milliseconds(
      limits.max_deadline_ms() != 0 ? limits.max_deadline_ms() : kDefaultMaxDeadlineMs);
  admission.assertion_lifetime = limits.assertion_lifetime_ms() > 0
                                     ? absl::Milliseconds(limits.assertion_lifetime_ms())
                                     : kDefaultAssertionLifetime;
  admission.json = context->json.get();
  admission.rest = context->rest.get();
  admission.new_nonce = &NewAssertionNonce;
  return std::shared_ptr<const HubContext>(std::move(context));
}

}  // namespace ndxp::gateway
