// The routed services' descriptor pool as the hub loads it (the build's
// NDXP_DESCRIPTOR_SET file), for the JSON door's tests: no generated class
// backs its types, as in the hub.
#ifndef NDXP_GATEWAY_JSON_TEST_POOL_H_
#define NDXP_GATEWAY_JSON_TEST_POOL_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace ndxp::gateway::json {

// The pool, or nullptr when the file is missing or does not build.
inline std::unique_ptr<google::protobuf::DescriptorPool> LoadTestPool(
    const std::string& path = NDXP_DESCRIPTOR_SET) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  google::protobuf::FileDescriptorSet set;
  if (!file || !set.ParseFromString(bytes.str())) return nullptr;
  auto pool = std::make_unique<google::protobuf::DescriptorPool>();
  for (const auto& proto : set.file()) {
    if (pool->BuildFile(proto) == nullptr) return nullptr;
  }
  return pool;
}

}  // namespace ndxp::gateway::json

#endif  // NDXP_GATEWAY_JSON_TEST_POOL_H_
