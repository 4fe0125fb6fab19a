#include "gateway/local/open_api_method.h"

#include <grpcpp/support/slice.h>

namespace ndxp::gateway {

grpc::Status OpenApiDocumentMethod::Answer(const LocalCall&, grpc::ByteBuffer*,
                                           grpc::ByteBuffer* response) const {
  // GetOpenApiDocumentRequest has no fields: any request gets the document.
  grpc::Slice slice(document_);
  *response = grpc::ByteBuffer(&slice, 1);
  return grpc::Status::OK;
}

}  // namespace ndxp::gateway
