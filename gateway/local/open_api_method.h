// ndxp.hub.v1.Catalogue/GetOpenApiDocument: the OpenAPI document of the
// services the hub routes (gateway/json/openapi.h), as a
// google.protobuf.Struct whose JSON mapping is the document itself, so that
// the JSON door's GET /openapi.json answers it as the admin listener does.
// Granted like any service; answered on the gRPC and the JSON door.
#ifndef NDXP_GATEWAY_LOCAL_OPEN_API_METHOD_H_
#define NDXP_GATEWAY_LOCAL_OPEN_API_METHOD_H_

#include <string>
#include <utility>

#include "common/protocol/hub_services.h"
#include "gateway/local/local_services.h"

namespace ndxp::gateway {

using protocol::kCatalogueService;
inline constexpr char kGetOpenApiDocument[] = "GetOpenApiDocument";

class OpenApiDocumentMethod final : public LocalMethod {
 public:
  // `document`: the Struct, serialized (made once per configuration).
  explicit OpenApiDocumentMethod(std::string document) : document_(std::move(document)) {}

  Shape shape() const override { return Shape::kUnary; }
  bool answers_json_door() const override { return true; }
  grpc::Status Answer(const LocalCall& call, grpc::ByteBuffer* request,
                      grpc::ByteBuffer* response) const override;

 private:
  const std::string document_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_LOCAL_OPEN_API_METHOD_H_
