#include "common/status/status_util.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"

namespace ndxp {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  google::rpc::Status rich;
  status.ForEachPayload([&rich](absl::string_view type_url, const absl::Cord& payload) {
    google::protobuf::Any* detail = rich.add_details();
    detail->set_type_url(std::string(type_url));
    detail->set_value(std::string(payload));
  });
  if (rich.details().empty()) return grpc::Status(code, std::string(status.message()));
  rich.set_code(static_cast<int32_t>(status.code()));
  rich.set_message(std::string(status.message()));
  return grpc::Status(code, std::string(status.message()), rich.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         context.empty() ? status.error_message()
                                         : absl::StrCat(context, ": ", status.error_message()));
  google::rpc::Status rich;
  if (!status.error_details().empty() && rich.ParseFromString(status.error_details())) {
    for (const auto& detail : rich.details()) {
      converted.SetPayload(detail.type_url(), absl::Cord(detail.value()));
    }
  }
  return converted;
}

}  // namespace ndxp
