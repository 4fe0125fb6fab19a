#include "gateway/hub_context.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/test_config.h"

namespace ndxp::gateway {
namespace {

// The configuration's OpenAPI document is built with the context: the
// routed services only, their provider by name, the purpose on personal data.
TEST(HubContextTest, BuildsTheRoutedServicesOpenApiDocument) {
  TestHubConfig hub;
  auto* agency = hub.config.add_agencies();
  agency->set_code("000.00.00.H49");
  agency->set_name_en("Population registry");
  HubSettings settings;
  settings.config = hub.config;
  settings.services = std::move(hub.pool);
  absl::StatusOr<std::shared_ptr<const HubContext>> context =
      BuildHubContext(std::move(settings), HubParts());
  ASSERT_TRUE(context.ok()) << context.status();
  google::protobuf::Struct document;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage((*context)->openapi, &document).ok());
  const auto& paths = document.fields().at("paths").struct_value().fields();
  ASSERT_TRUE(paths.count("/v1/citizens/{personal_id}"));
  EXPECT_TRUE(paths.count("/ndxp.residents.v1.ResidentRegistry/GetCitizen"));
  for (const auto& [path, item] : paths) {
    EXPECT_THAT(path, ::testing::Not(::testing::HasSubstr("grpc.health")));
    EXPECT_THAT(path, ::testing::Not(::testing::HasSubstr("Statistics")));
  }
  const auto& get = paths.at("/v1/citizens/{personal_id}").struct_value().fields().at("get");
  EXPECT_EQ(get.struct_value().fields().at("x-ndxp-provider").string_value(), "000.00.00.H49");
  std::string parameters;
  for (const auto& parameter :
       get.struct_value().fields().at("parameters").list_value().values()) {
    const auto& fields = parameter.struct_value().fields();
    if (fields.count("name")) parameters += fields.at("name").string_value() + " ";
  }
  EXPECT_EQ(parameters, "personal_id readMask x-ndxp-purpose ");
  const auto& tag = document.fields().at("tags").list_value().values(0).struct_value().fields();
  EXPECT_THAT(tag.at("description").string_value(),
              ::testing::HasSubstr("Population registry (000.00.00.H49)"));
}

}  // namespace
}  // namespace ndxp::gateway
