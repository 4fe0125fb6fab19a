#include "connectors/land/land_prices.h"

#include <iterator>

namespace ndxp::land {
namespace {

constexpr LandPurpose kPurposes[] = {
    {"ODT", "Đất ở tại đô thị", 20000000, true, false},
    {"ONT", "Đất ở tại nông thôn", 3000000, true, false},
    {"TMD", "Đất thương mại, dịch vụ", 12000000, false, false},
    {"SKC", "Đất cơ sở sản xuất phi nông nghiệp", 5000000, false, false},
    {"CLN", "Đất trồng cây lâu năm", 400000, false, true},
    {"HNK", "Đất trồng cây hằng năm khác", 300000, false, true},
    {"LUC", "Đất chuyên trồng lúa", 250000, false, true},
};

struct ProvinceFactor {
  absl::string_view province_code;
  int percent;
};
constexpr ProvinceFactor kFactors[] = {
    {"079", 320}, {"001", 300}, {"048", 180}, {"031", 150}, {"074", 140},
    {"075", 130}, {"092", 120}, {"022", 110}, {"056", 110}};
constexpr int kDefaultFactor = 70;

}  // namespace

absl::Span<const LandPurpose> AllLandPurposes() { return kPurposes; }

const LandPurpose* FindLandPurpose(absl::string_view code) {
  for (const LandPurpose& p : kPurposes) {
    if (p.code == code) return &p;
  }
  return nullptr;
}

int ProvincePriceFactor(absl::string_view province_code) {
  for (const ProvinceFactor& f : kFactors) {
    if (f.province_code == province_code) return f.percent;
  }
  return kDefaultFactor;
}

int64_t ReferenceLandPrice(absl::string_view province_code, const LandPurpose& purpose) {
  const int64_t price = purpose.base_vnd_per_m2 * ProvincePriceFactor(province_code) / 100;
  return price / 1000 * 1000;
}

}  // namespace ndxp::land
