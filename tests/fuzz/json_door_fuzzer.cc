// Fuzzes the JSON door's parsers (gateway/json) over the build's descriptor
// set. The first byte chooses what the rest feeds:
//   0: a JSON request body, transcoded to binary for one of three request types;
//   1: a REST request, "METHOD\npath\nquery\nbody", matched and built;
//   2: a Connect request: "content-type\nenvelope bytes", and the same bytes
//      as a connector's grpc-message and grpc-status-details-bin.
// What must hold: what is accepted parses as the method's request type
// (and JSON survives a round trip through binary); no error message quotes a
// run of 7 or more digits from the input (a personal ID has 12); the Connect
// error JSON is UTF-8 whatever the trailers held.
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fuzz_check.h"
#include "gateway/json/connect_protocol.h"
#include "gateway/json/json_text.h"
#include "gateway/json/rest_mapping.h"
#include "gateway/json/test_pool.h"
#include "gateway/json/transcoder.h"

namespace {

using ndxp::fuzz::Check;
using namespace ndxp::gateway::json;

struct Door {
  Door() : pool(LoadTestPool()), transcoder(pool.get()) {
    std::vector<const google::protobuf::ServiceDescriptor*> services;
    for (const char* name :
         {"ndxp.residents.v1.ResidentRegistry", "ndxp.insurance.v1.InsuranceRegistry",
          "ndxp.business.v1.BusinessRegistry", "ndxp.land.v1.LandRegistry",
          "ndxp.civil_status.v1.CivilStatusRegistry", "ndxp.documents.v1.DocumentExchange",
          "ndxp.bench.v1.Echo"}) {
      services.push_back(pool->FindServiceByName(name));
    }
    mapping = *RestMapping::Compile(services, &transcoder);
  }
  std::unique_ptr<google::protobuf::DescriptorPool> pool;
  JsonTranscoder transcoder;
  std::unique_ptr<RestMapping> mapping;
  google::protobuf::DynamicMessageFactory factory;
};

// No run of 7+ digits of `input` appears in `message`.
void CheckQuotesNoDigits(absl::string_view message, absl::string_view input) {
  size_t i = 0;
  while (i < input.size()) {
    if (!absl::ascii_isdigit(input[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < input.size() && absl::ascii_isdigit(input[i])) ++i;
    if (i - start >= 7) Check(!absl::StrContains(message, input.substr(start, 7)));
  }
}

std::unique_ptr<google::protobuf::Message> Parse(Door& door,
                                                 const google::protobuf::Descriptor& type,
                                                 const std::string& binary) {
  std::unique_ptr<google::protobuf::Message> message(door.factory.GetPrototype(&type)->New());
  Check(message->ParseFromString(binary));
  return message;
}

void FuzzJson(Door& door, absl::string_view json, uint8_t selector) {
  static const char* const kTypes[] = {"ndxp.residents.v1.VerifyCitizenRequest",
                                       "ndxp.land.v1.GetParcelRequest",
                                       "ndxp.documents.v1.SendDocumentRequest"};
  const google::protobuf::Descriptor& type =
      *door.pool->FindMessageTypeByName(kTypes[selector % 3]);
  absl::StatusOr<std::string> binary = door.transcoder.JsonToBinary(type, json);
  if (!binary.ok()) {
    CheckQuotesNoDigits(binary.status().message(), json);
    return;
  }
  std::unique_ptr<google::protobuf::Message> first = Parse(door, type, *binary);
  absl::StatusOr<std::string> again = door.transcoder.BinaryToJson(type, *binary);
  Check(again.ok());
  absl::StatusOr<std::string> second = door.transcoder.JsonToBinary(type, *again);
  Check(second.ok());
  Check(google::protobuf::util::MessageDifferencer::Equals(*first, *Parse(door, type, *second)));
}

void FuzzRest(Door& door, absl::string_view input) {
  std::vector<absl::string_view> parts = absl::StrSplit(input, absl::MaxSplits('\n', 3));
  parts.resize(4);
  absl::StatusOr<RestMapping::Request> request =
      door.mapping->Match(parts[0], parts[1], parts[2], parts[3]);
  if (!request.ok()) {
    CheckQuotesNoDigits(request.status().message(), input);
    return;
  }
  Parse(door, *request->method->input_type(), request->binary);
}

void FuzzConnect(absl::string_view input) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(input, absl::MaxSplits('\n', 1));
  std::optional<connect::ContentType> type = connect::ParseContentType(parts.first);
  if (type.has_value()) {
    std::vector<connect::Header> headers = {{"connect-timeout-ms", parts.first},
                                            {"connect-protocol-version", parts.first}};
    absl::StatusOr<connect::RequestOptions> options = connect::ParseRequestHeaders(headers, *type);
    if (!options.ok()) CheckQuotesNoDigits(options.status().message(), input);
  }
  absl::StatusOr<absl::string_view> message = connect::DecodeSingleEnvelope(parts.second, 4096);
  if (message.ok()) Check(message->size() + connect::kEnvelopeHeaderBytes == parts.second.size());
  std::vector<connect::Header> trailers = {{"grpc-status", parts.first},
                                           {"grpc-message", parts.second},
                                           {"grpc-status-details-bin", parts.second},
                                           {parts.first, parts.second}};
  if (std::optional<connect::ConnectError> error = connect::ErrorFromGrpcTrailers(trailers)) {
    Check(FirstInvalidUtf8(connect::ErrorJson(*error)) == absl::string_view::npos);
    std::string end = connect::EncodeEndStream(&*error, trailers);
    Check(FirstInvalidUtf8(absl::string_view(end).substr(connect::kEnvelopeHeaderBytes)) ==
          absl::string_view::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Door* const kDoor = new Door();
  if (size == 0) return 0;
  absl::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      FuzzJson(*kDoor, input, data[0] / 3);
      break;
    case 1:
      FuzzRest(*kDoor, input);
      break;
    case 2:
      FuzzConnect(input);
      break;
  }
  return 0;
}
