// A hub configuration over the real descriptor set, for unit tests.
#ifndef NDXP_GATEWAY_TEST_CONFIG_H_
#define NDXP_GATEWAY_TEST_CONFIG_H_

#include <fstream>
#include <memory>
#include <sstream>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include "ndxp/config/v1/hub.pb.h"

namespace ndxp::gateway {

// One route: residents, with GetCitizen and ListRelatives as personal data.
struct TestHubConfig {
  TestHubConfig() {
    std::ifstream in(NDXP_DESCRIPTOR_SET, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    google::protobuf::FileDescriptorSet set;
    set.ParseFromString(bytes.str());
    for (const auto& file : set.file()) pool->BuildFile(file);

    config.set_trust_domain("ndxp.gov.vn");
    auto* route = config.add_routes();
    route->set_service("ndxp.residents.v1.ResidentRegistry");
    route->set_provider("000.00.00.H49");
    route->set_endpoint("127.0.0.1:1");
    route->add_personal_data_methods("GetCitizen");
    route->add_personal_data_methods("ListRelatives");
  }

  ndxp::config::v1::HubConfig config;
  std::unique_ptr<google::protobuf::DescriptorPool> pool =
      std::make_unique<google::protobuf::DescriptorPool>();
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_TEST_CONFIG_H_
