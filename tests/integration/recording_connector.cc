#include "tests/integration/recording_connector.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "common/protocol/metadata.h"
#include "common/tls/credentials.h"
#include "common/tls/peer_identity.h"

namespace ndxp::testing {

using ndxp::residents::v1::Relative;
using ndxp::residents::v1::VerifyCitizenRequest;
using ndxp::residents::v1::VerifyCitizenResponse;

RecordingConnector::RecordingConnector(const ndxp::config::v1::TlsFiles& tls,
                                       bool health_service) {
  // Read when the server is built: set for this one.
  grpc::EnableDefaultHealthCheckService(health_service);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", *tls::MutualTlsServerCredentials(tls), &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
}

RecordingConnector::~RecordingConnector() { server_->Shutdown(); }

void RecordingConnector::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

SeenCall RecordingConnector::last_call() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

void RecordingConnector::Record(const grpc::ServerContext& context) {
  SeenCall seen;
  auto values = [&](const char* key) {
    std::string joined;
    auto range = context.client_metadata().equal_range(key);
    for (auto it = range.first; it != range.second; ++it) {
      absl::StrAppend(&joined, joined.empty() ? "" : ",",
                      std::string(it->second.data(), it->second.size()));
    }
    return joined;
  };
  seen.consumer = values(protocol::kConsumerHeader);
  seen.purpose = values(protocol::kPurposeHeader);
  seen.request_id = values(protocol::kRequestIdHeader);
  seen.deadline = context.deadline();
  auto peer = tls::PeerSpiffeId(*context.auth_context());
  if (peer.ok()) seen.peer_spiffe_id = std::string(*peer);
  absl::MutexLock lock(&mu_);
  last_ = std::move(seen);
  ++calls_;
}

int64_t RecordingConnector::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

grpc::Status RecordingConnector::GetCitizen(
    grpc::ServerContext* context, const ndxp::residents::v1::GetCitizenRequest* request,
    ndxp::residents::v1::GetCitizenResponse* response) {
  Record(*context);
  if (request->personal_id() == "001099000000") {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no citizen 001099000000",
                        "opaque-details");
  }
  if (request->personal_id().size() != 12) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "personal_id: must be exactly 12 digits");
  }
  context->AddInitialMetadata("x-connector-header", "h");
  context->AddTrailingMetadata("x-connector-trailer", "t");
  response->mutable_citizen()->set_personal_id(request->personal_id());
  response->mutable_citizen()->set_full_name("Nguyễn Văn An");
  return grpc::Status::OK;
}

grpc::Status RecordingConnector::VerifyCitizen(grpc::ServerContext* context,
                                               const VerifyCitizenRequest* request,
                                               VerifyCitizenResponse* response) {
  Record(*context);
  response->set_personal_id(request->personal_id());
  response->set_found(true);
  response->set_full_name_match(request->full_name() == "Nguyễn Văn An");
  return grpc::Status::OK;
}

grpc::Status RecordingConnector::ListRelatives(
    grpc::ServerContext* context, const ndxp::residents::v1::ListRelativesRequest* request,
    grpc::ServerWriter<Relative>* writer) {
  Record(*context);
  for (int i = 0; i < 3; ++i) {
    Relative relative;
    relative.set_relation(i == 0   ? ndxp::residents::v1::RELATION_FATHER
                          : i == 1 ? ndxp::residents::v1::RELATION_MOTHER
                                   : ndxp::residents::v1::RELATION_CHILD);
    relative.set_personal_id(absl::StrCat("00108000000", i));
    if (!writer->Write(relative)) break;
  }
  return grpc::Status::OK;
}

grpc::Status RecordingConnector::BatchVerifyCitizens(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<VerifyCitizenResponse, VerifyCitizenRequest>* stream) {
  Record(*context);
  VerifyCitizenRequest request;
  while (stream->Read(&request)) {
    if (request.personal_id() == "stop") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "item: stop");
    }
    VerifyCitizenResponse response;
    response.set_personal_id(request.personal_id());
    response.set_found(true);
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

std::string HubConfigHead(const ndxp::config::v1::TlsFiles& hub_tls) {
  return absl::StrCat(R"(
      listen: "127.0.0.1:0"
      trust_domain: "ndxp.gov.vn"
      tls { ca_cert: ")", hub_tls.ca_cert(), R"(" cert: ")", hub_tls.cert(), R"(" key: ")",
                      hub_tls.key(), R"(" }
      descriptor_set: ")", NDXP_DESCRIPTOR_SET, R"("
  )");
}

}  // namespace ndxp::testing
