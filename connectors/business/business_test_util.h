// Test support: the synthetic records a business connector generated for
// (seed, size), and what a search over them must return, computed
// independently of the SQLite query.
#ifndef NDXP_CONNECTORS_BUSINESS_BUSINESS_TEST_UTIL_H_
#define NDXP_CONNECTORS_BUSINESS_BUSINESS_TEST_UTIL_H_

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "connectors/business/enterprise_name.h"
#include "connectors/business/synthetic_enterprises.h"
#include "gtest/gtest.h"

namespace ndxp::business::testing {

inline std::vector<v1::Enterprise> GeneratedRecords(uint64_t seed, uint32_t size) {
  std::vector<v1::Enterprise> records;
  absl::StatusOr<std::vector<ndxp::residents::v1::Citizen>> people =
      CollectSyntheticPopulation(seed, size);
  EXPECT_TRUE(people.ok()) << people.status();
  if (!people.ok()) return records;
  absl::Status status = GenerateSyntheticEnterprises(seed, *people, [&](const v1::Enterprise& e) {
    records.push_back(e);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return records;
}

// Codes of the records SearchEnterprises must return, in order.
inline std::vector<std::string> ExpectedSearch(const std::vector<v1::Enterprise>& records,
                                               const std::string& name_prefix,
                                               const std::string& province_code, size_t limit) {
  const std::string prefix = SearchKey(name_prefix);
  std::vector<std::tuple<std::string, std::string>> hits;
  for (const v1::Enterprise& e : records) {
    const std::string key = SearchKey(e.name());
    if (!absl::StartsWith(key, prefix)) continue;
    if (!province_code.empty() && e.province_code() != province_code) continue;
    hits.emplace_back(key, e.enterprise_code());
  }
  std::sort(hits.begin(), hits.end());
  std::vector<std::string> codes;
  for (size_t i = 0; i < hits.size() && i < limit; ++i) codes.push_back(std::get<1>(hits[i]));
  return codes;
}

// A name prefix (two words of a generated name) that at least `at_least`
// records match.
inline std::string PopularPrefix(const std::vector<v1::Enterprise>& records, size_t at_least) {
  for (const v1::Enterprise& e : records) {
    const std::string key = SearchKey(e.name());
    const std::string prefix = key.substr(0, key.find(' ', key.find(' ') + 1));
    if (ExpectedSearch(records, prefix, "", at_least).size() >= at_least) return prefix;
  }
  return "";
}

}  // namespace ndxp::business::testing

#endif  // NDXP_CONNECTORS_BUSINESS_BUSINESS_TEST_UTIL_H_
