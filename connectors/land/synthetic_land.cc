#include "connectors/land/synthetic_land.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/identifiers/province.h"
#include "connectors/land/land_identifiers.h"
#include "connectors/runtime/deterministic_rng.h"

namespace ndxp::land {
namespace {

using ndxp::connectors::DeterministicRng;
using ndxp::residents::v1::Citizen;

// Independent of the population's and the enterprises' draws.
constexpr uint64_t kSeedSalt = 0xC2B2AE3D27D4EB4FULL;
constexpr absl::CivilDay kFirstIssue(1994, 1, 1);
constexpr absl::CivilDay kLastIssue(2024, 12, 31);
constexpr int kCommunesPerProvince = 300;
constexpr int kMapSheets = 60;

struct PurposeDraw {
  const char* code;
  uint32_t weight;
  int64_t min_m2, max_m2;
};
constexpr PurposeDraw kPurposeDraws[] = {
    {"ONT", 30, 80, 300},   {"ODT", 25, 40, 200},    {"CLN", 15, 300, 5000},
    {"LUC", 15, 500, 5000}, {"HNK", 8, 300, 3000},   {"SKC", 4, 500, 20000},
    {"TMD", 3, 500, 10000}};
constexpr const char* kBigCities[] = {"001", "079", "048", "031", "092"};

absl::CivilDay DayOf(const ndxp::residents::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

class Generator {
 public:
  Generator(uint64_t seed, absl::Span<const Citizen> population,
            absl::Span<const ndxp::business::v1::Enterprise> enterprises)
      : rng_(seed ^ kSeedSalt), population_(population), enterprises_(enterprises) {
    for (const PurposeDraw& p : kPurposeDraws) purpose_weights_.push_back(p.weight);
    const absl::CivilDay adult_by(kLastIssue.year() - 18, 12, 31);
    for (size_t i = 0; i < population_.size(); ++i) {
      if (DayOf(population_[i].date_of_birth()) <= adult_by) adults_.push_back(i);
    }
    for (size_t i = 0; i < enterprises_.size(); ++i) {
      if (enterprises_[i].parent_enterprise_code().empty()) legal_persons_.push_back(i);
    }
  }

  absl::Status Run(
      const std::function<absl::Status(const v1::Parcel&, const v1::Certificate&)>& sink) {
    if (adults_.empty()) return absl::OkStatus();
    const size_t count = std::max<size_t>(1, population_.size() / kCitizensPerParcel);
    v1::Parcel parcel;
    v1::Certificate certificate;
    for (size_t i = 0; i < count; ++i) {
      Make(&parcel, &certificate);
      if (absl::Status s = sink(parcel, certificate); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  absl::CivilDay DrawDay(absl::CivilDay from, absl::CivilDay to) {
    if (from >= to) return to;
    return from + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(to - from) + 1));
  }

  void Make(v1::Parcel* p, v1::Certificate* c) {
    p->Clear();
    c->Clear();
    // Owners first: the parcel lies where the (first) owner comes from.
    std::string home_province;
    absl::CivilDay earliest = kFirstIssue;
    if (!legal_persons_.empty() && rng_.Chance(15, 100)) {
      // Dependent units hold no land of their own: only enterprises do.
      const auto* owner = &enterprises_[legal_persons_[rng_.Below(legal_persons_.size())]];
      v1::Party* party = c->add_owners();
      party->set_enterprise_code(owner->enterprise_code());
      party->set_name(owner->name());
      home_province = owner->province_code();
      earliest = std::max(earliest, DayOf(owner->registration_date()));
    } else {
      const int holders = rng_.Chance(35, 100) ? 2 : 1;
      std::vector<size_t> chosen;
      while (static_cast<int>(chosen.size()) < holders) {
        const size_t index = adults_[rng_.Below(adults_.size())];
        if (std::find(chosen.begin(), chosen.end(), index) != chosen.end()) continue;
        chosen.push_back(index);
        const Citizen& owner = population_[index];
        v1::Party* party = c->add_owners();
        party->set_personal_id(owner.personal_id());
        party->set_name(owner.full_name());
        if (home_province.empty()) home_province = owner.birth_province_code();
        const absl::CivilDay birth = DayOf(owner.date_of_birth());
        earliest = std::max(earliest, absl::CivilDay(birth.year() + 18, birth.month(), birth.day()));
      }
    }
    if (identifiers::FindProvince(home_province) == nullptr || rng_.Chance(20, 100)) {
      home_province = kBigCities[rng_.Below(std::size(kBigCities))];
    }
    const identifiers::Province& province = *identifiers::FindProvince(home_province);
    int province_number = 0;
    (void)absl::SimpleAtoi(province.code, &province_number);

    ParcelNumberParts number;
    std::string id;
    do {
      number.commune_code = absl::StrFormat(
          "%05d", province_number * kCommunesPerProvince +
                      1 + static_cast<int>(rng_.Below(kCommunesPerProvince - 1)));
      number.map_sheet = 1 + static_cast<int>(rng_.Below(kMapSheets));
      number.parcel_number = 1 + static_cast<int>(rng_.Below(kMaxParcelNumber));
      id = MakeParcelId(number);
    } while (!parcel_ids_.insert(id).second);

    const PurposeDraw& purpose = kPurposeDraws[rng_.Weighted(purpose_weights_)];
    p->set_parcel_id(id);
    p->set_commune_code(number.commune_code);
    p->set_map_sheet(number.map_sheet);
    p->set_parcel_number(number.parcel_number);
    p->set_area_dm2(rng_.Between(purpose.min_m2 * 100, purpose.max_m2 * 100));
    p->set_purpose(purpose.code);
    const bool urban = absl::string_view(purpose.code) == "ODT";
    p->set_address(absl::StrCat("Thửa đất số ", number.parcel_number, ", tờ bản đồ số ",
                                number.map_sheet, ", ", urban ? "phường" : "xã", " mã ",
                                number.commune_code, ", ", province.name));
    p->set_province_code(std::string(province.code));
    p->set_province_name(std::string(province.name));

    std::string serial;
    do {
      serial = absl::StrFormat("%c%c%06d", static_cast<char>('A' + rng_.Below(26)),
                               static_cast<char>('A' + rng_.Below(26)),
                               1 + static_cast<int>(rng_.Below(999999)));
    } while (!serials_.insert(serial).second);
    c->set_serial(serial);
    c->set_parcel_id(id);
    const absl::CivilDay issued = DrawDay(earliest, kLastIssue);
    c->mutable_issue_date()->set_year(static_cast<int32_t>(issued.year()));
    c->mutable_issue_date()->set_month(issued.month());
    c->mutable_issue_date()->set_day(issued.day());
  }

  DeterministicRng rng_;
  const absl::Span<const Citizen> population_;
  const absl::Span<const ndxp::business::v1::Enterprise> enterprises_;
  std::vector<size_t> adults_;
  std::vector<size_t> legal_persons_;  // indexes of enterprises (not units)
  std::vector<uint32_t> purpose_weights_;
  // Membership only; iteration order never observed.
  absl::flat_hash_set<std::string> parcel_ids_;
  absl::flat_hash_set<std::string> serials_;
};

}  // namespace

absl::Status GenerateSyntheticLand(
    uint64_t seed, absl::Span<const Citizen> population,
    absl::Span<const ndxp::business::v1::Enterprise> enterprises,
    const std::function<absl::Status(const v1::Parcel&, const v1::Certificate&)>& sink) {
  return Generator(seed, population, enterprises).Run(sink);
}

}  // namespace ndxp::land
