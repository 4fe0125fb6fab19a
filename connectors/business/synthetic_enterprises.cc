#include "connectors/business/synthetic_enterprises.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/identifiers/enterprise_code.h"
#include "common/identifiers/province.h"
#include "connectors/business/enterprise_name.h"
#include "connectors/residents/synthetic_population.h"
#include "connectors/runtime/deterministic_rng.h"

namespace ndxp::business {
namespace {

using ndxp::connectors::DeterministicRng;
using ndxp::residents::v1::Citizen;

// Keeps this generator's draws independent of the population's, which uses
// the bare seed.
constexpr uint64_t kSeedSalt = 0x9E3779B97F4A7C15ULL;

constexpr absl::CivilDay kFirstRegistration(1995, 1, 1);
constexpr absl::CivilDay kLastRegistration(2024, 12, 31);
constexpr int64_t kMillion = 1000000;

struct LegalFormInfo {
  v1::LegalForm form;
  uint32_t weight;           // share of new enterprises, per hundred
  const char* words;         // the name's legal-form words
  const char* english;       // English name suffix; "" for none
  const char* abbreviation;  // short name suffix
  int64_t min_capital_units, max_capital_units;  // units of 100 million VND
  int min_owners, max_owners;
};
constexpr LegalFormInfo kLegalForms[] = {
    {v1::LEGAL_FORM_PRIVATE_ENTERPRISE, 12, "Doanh nghiệp tư nhân", "", "", 5, 50, 1, 1},
    {v1::LEGAL_FORM_SINGLE_MEMBER_LLC, 40, "Công ty TNHH", "Company Limited", "CO., LTD",
     10, 500, 1, 1},
    {v1::LEGAL_FORM_MULTI_MEMBER_LLC, 25, "Công ty TNHH", "Company Limited", "CO., LTD", 10,
     500, 2, 5},
    {v1::LEGAL_FORM_JOINT_STOCK_COMPANY, 20, "Công ty cổ phần", "Joint Stock Company", "JSC",
     100, 5000, 3, 7},
    {v1::LEGAL_FORM_PARTNERSHIP, 3, "Công ty hợp danh", "Partnership", "PARTNERSHIP", 10,
     200, 2, 3},
};

struct BusinessLine {
  const char* vietnamese;
  const char* english;
};
constexpr BusinessLine kBusinessLines[] = {
    {"Thương mại", "Trading"},         {"Xây dựng", "Construction"},
    {"Đầu tư", "Investment"},          {"Công nghệ", "Technology"},
    {"Vận tải", "Transport"},          {"Thực phẩm", "Food"},
    {"Dược phẩm", "Pharmaceutical"},   {"Du lịch", "Tourism"},
    {"Sản xuất", "Manufacturing"},     {"Bất động sản", "Real Estate"},
    {"Nông nghiệp", "Agriculture"},    {"May mặc", "Garment"},
    {"Thương mại Dịch vụ", "Trading and Services"},
    {"Xuất nhập khẩu", "Import Export"}, {"Cơ khí", "Engineering"},
    {"Điện tử", "Electronics"},
};

// Auspicious syllables of which distinctive names are made.
constexpr const char* kNameSyllables[] = {
    "Minh", "Phát", "Hưng", "Thịnh", "An",   "Phúc",  "Thành", "Đạt",  "Tân",   "Hoàng",
    "Long", "Việt", "Sơn",  "Hà",    "Kim",  "Bảo",   "Gia",   "Đức",  "Trường", "Quang",
    "Hải",  "Phú",  "Thái", "Bình",  "Tiến", "Hòa",   "Vạn",   "Nhật", "Lộc",   "Khang",
    "Đông", "Nam",  "Tâm",  "Trí",   "Nguyên", "Thắng", "Vinh", "Ánh", "Hợp",  "Tín"};

constexpr const char* kStreets[] = {
    "Nguyễn Văn Linh", "Phạm Văn Đồng", "Võ Văn Kiệt",  "Trường Chinh",  "Láng Hạ",
    "Cộng Hòa",        "Tôn Đức Thắng", "Nguyễn Chí Thanh", "Xuân Thủy",  "Kim Mã",
    "Lê Văn Lương",    "Trần Duy Hưng", "Nguyễn Thị Minh Khai", "Lý Tự Trọng",
    "Hoàng Quốc Việt", "Nguyễn Hữu Thọ"};

// Where head offices and dependent units cluster when not in the founder's
// home province.
struct CityWeight {
  const char* province_code;
  uint32_t weight;
};
constexpr CityWeight kBusinessCities[] = {
    {"001", 40}, {"079", 45}, {"048", 5}, {"031", 5}, {"074", 3}, {"075", 2}};

constexpr uint32_t kStatusWeights[] = {85, 7, 2, 5, 1};
constexpr v1::EnterpriseStatus kStatuses[] = {
    v1::ENTERPRISE_STATUS_ACTIVE, v1::ENTERPRISE_STATUS_SUSPENDED,
    v1::ENTERPRISE_STATUS_DISSOLVING, v1::ENTERPRISE_STATUS_DISSOLVED,
    v1::ENTERPRISE_STATUS_BANKRUPT};

absl::CivilDay DayOf(const ndxp::residents::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

ndxp::residents::v1::Date ToDate(absl::CivilDay day) {
  ndxp::residents::v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

// "Minh Phát" -> "Minh Phat" (for English names).
std::string TitleAscii(absl::string_view vietnamese) {
  std::string ascii = FoldToAscii(vietnamese);
  bool word_start = true;
  for (char& c : ascii) {
    if (word_start) c = absl::ascii_toupper(static_cast<unsigned char>(c));
    word_start = c == ' ';
  }
  return ascii;
}

class Generator {
 public:
  Generator(uint64_t seed, absl::Span<const Citizen> population)
      : rng_(seed ^ kSeedSalt), population_(population) {
    for (const CityWeight& city : kBusinessCities) city_weights_.push_back(city.weight);
    for (const LegalFormInfo& form : kLegalForms) form_weights_.push_back(form.weight);
    for (size_t i = 0; i < population_.size(); ++i) {
      const Citizen& c = population_[i];
      if (c.life_status() == ndxp::residents::v1::LIFE_STATUS_ALIVE &&
          DayOf(c.date_of_birth()) <= EighteenYearsBefore(kLastRegistration)) {
        adults_.push_back(i);
      }
    }
  }

  absl::Status Run(const std::function<absl::Status(const v1::Enterprise&)>& sink) {
    if (adults_.empty()) return absl::OkStatus();
    const size_t count =
        std::max<size_t>(1, population_.size() / kCitizensPerEnterprise);
    v1::Enterprise enterprise;
    for (size_t i = 0; i < count; ++i) {
      MakeEnterprise(&enterprise);
      if (absl::Status s = sink(enterprise); !s.ok()) return s;
      if (enterprise.status() == v1::ENTERPRISE_STATUS_ACTIVE) {
        active_.emplace_back(enterprise.enterprise_code(), enterprise.name());
      }
      if (!rng_.Chance(1, 7)) continue;
      const v1::Enterprise parent = enterprise;
      const int units = 1 + static_cast<int>(rng_.Weighted(kUnitCountWeights));
      for (int unit = 1; unit <= units; ++unit) {
        v1::Enterprise record;
        MakeDependentUnit(parent, unit, &record);
        if (absl::Status s = sink(record); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

 private:
  static constexpr uint32_t kUnitCountWeights[] = {6, 3, 1};

  static absl::CivilDay EighteenYearsBefore(absl::CivilDay day) {
    return absl::CivilDay(day.year() - 18, day.month(), day.day());
  }

  absl::CivilDay DrawDay(absl::CivilDay from, absl::CivilDay to) {
    if (from >= to) return to;
    return from + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(to - from) + 1));
  }

  const identifiers::Province& BusinessCity() {
    return *identifiers::FindProvince(kBusinessCities[rng_.Weighted(city_weights_)].province_code);
  }

  // An adult citizen (18 or older on `on`) not already in `taken`, or
  // nullptr after a few tries (only in tiny populations).
  const Citizen* DrawAdult(absl::CivilDay on, const std::vector<const Citizen*>& taken) {
    const absl::CivilDay born_by = EighteenYearsBefore(on);
    for (int attempt = 0; attempt < 32; ++attempt) {
      const Citizen& c = population_[adults_[rng_.Below(adults_.size())]];
      if (DayOf(c.date_of_birth()) > born_by) continue;
      if (std::find(taken.begin(), taken.end(), &c) != taken.end()) continue;
      return &c;
    }
    return nullptr;
  }

  std::string NextCode(const identifiers::Province& province) {
    auto [it, inserted] = next_sequence_.try_emplace(province.code, 0);
    if (inserted) it->second = 100000 + static_cast<int>(rng_.Below(900000));
    for (;;) {
      it->second += 1 + static_cast<int>(rng_.Below(40));
      absl::StatusOr<std::string> code =
          identifiers::MakeEnterpriseCode(province.code, it->second);
      // NOT_FOUND: this sequence has no check digit, the register skips it.
      if (code.ok()) return *std::move(code);
    }
  }

  std::string HeadOffice(const identifiers::Province& province) {
    if (rng_.Chance(15, 100)) {
      return absl::StrCat("Lô ", std::string(1, static_cast<char>('A' + rng_.Below(6))),
                          rng_.Between(1, 40), ", Khu công nghiệp ", province.name, ", ",
                          province.name);
    }
    return absl::StrCat("Số ", rng_.Between(1, 499), " đường ",
                        kStreets[rng_.Below(std::size(kStreets))], ", ", province.name);
  }

  void MakeEnterprise(v1::Enterprise* e) {
    e->Clear();
    const LegalFormInfo& form = kLegalForms[rng_.Weighted(form_weights_)];
    const Citizen& representative =
        population_[adults_[rng_.Below(adults_.size())]];
    const absl::CivilDay registered = DrawDay(
        std::max(kFirstRegistration,
                 absl::CivilDay(representative.date_of_birth().year() + 18,
                                representative.date_of_birth().month(),
                                representative.date_of_birth().day())),
        kLastRegistration);
    const identifiers::Province* home =
        identifiers::FindProvince(representative.birth_province_code());
    const identifiers::Province& province =
        home != nullptr && rng_.Chance(60, 100) ? *home : BusinessCity();

    const BusinessLine& line = kBusinessLines[rng_.Below(std::size(kBusinessLines))];
    const size_t first = rng_.Below(std::size(kNameSyllables));
    size_t second = rng_.Below(std::size(kNameSyllables) - 1);
    if (second >= first) ++second;
    const std::string distinctive =
        absl::StrCat(kNameSyllables[first], " ", kNameSyllables[second]);

    e->set_enterprise_code(NextCode(province));
    e->set_kind(v1::UNIT_KIND_ENTERPRISE);
    e->set_name(absl::StrCat(form.words, " ", line.vietnamese, " ", distinctive));
    if (*form.english != '\0') {
      e->set_english_name(
          absl::StrCat(TitleAscii(distinctive), " ", line.english, " ", form.english));
      e->set_short_name(absl::StrCat(absl::AsciiStrToUpper(TitleAscii(distinctive)), " ",
                                     form.abbreviation));
    }
    e->set_legal_form(form.form);
    e->set_status(kStatuses[rng_.Weighted(kStatusWeights)]);
    *e->mutable_registration_date() = ToDate(registered);
    e->set_head_office_address(HeadOffice(province));
    e->set_province_code(std::string(province.code));
    e->set_province_name(std::string(province.name));
    const int64_t capital_millions =
        rng_.Between(form.min_capital_units, form.max_capital_units) * 100;
    e->set_charter_capital_vnd(capital_millions * kMillion);

    v1::LegalRepresentative* rep = e->mutable_legal_representative();
    rep->set_personal_id(representative.personal_id());
    rep->set_full_name(representative.full_name());
    rep->set_title(form.form == v1::LEGAL_FORM_PRIVATE_ENTERPRISE ? "Chủ doanh nghiệp"
                   : form.form == v1::LEGAL_FORM_JOINT_STOCK_COMPANY && rng_.Chance(1, 2)
                       ? "Tổng giám đốc"
                       : "Giám đốc");

    // Owners: the representative first (unless a corporate parent owns a
    // single-member company outright), other adults, sometimes an earlier
    // active enterprise. Partnerships and private enterprises have only
    // individual owners.
    const bool corporate_allowed = form.form != v1::LEGAL_FORM_PRIVATE_ENTERPRISE &&
                                   form.form != v1::LEGAL_FORM_PARTNERSHIP && !active_.empty();
    const bool corporate = corporate_allowed &&
                           rng_.Chance(form.form == v1::LEGAL_FORM_SINGLE_MEMBER_LLC ? 25 : 20,
                                       100);
    const int owner_count =
        static_cast<int>(rng_.Between(form.min_owners, form.max_owners));
    std::vector<const Citizen*> individuals;
    if (!(corporate && owner_count == 1)) individuals.push_back(&representative);
    const int individual_count = owner_count - (corporate ? 1 : 0);
    while (static_cast<int>(individuals.size()) < individual_count) {
      const Citizen* member = DrawAdult(registered, individuals);
      if (member == nullptr) break;
      individuals.push_back(member);
    }
    std::vector<uint64_t> weights;
    for (size_t i = 0; i < individuals.size(); ++i) {
      v1::Owner* owner = e->add_owners();
      owner->set_personal_id(individuals[i]->personal_id());
      owner->set_name(individuals[i]->full_name());
      weights.push_back(i == 0 ? rng_.Between(5, 20) : rng_.Between(1, 10));
    }
    if (corporate) {
      const auto& [code, name] = active_[rng_.Below(active_.size())];
      v1::Owner* owner = e->add_owners();
      owner->set_enterprise_code(code);
      owner->set_name(name);
      weights.push_back(rng_.Between(5, 20));
    }
    SplitCapital(capital_millions, weights, e);
  }

  // Contributions proportional to `weights`, in whole millions of VND, the
  // last owner taking the rounding remainder so they add up exactly.
  static void SplitCapital(int64_t capital_millions, const std::vector<uint64_t>& weights,
                           v1::Enterprise* e) {
    uint64_t total = 0;
    for (uint64_t w : weights) total += w;
    int64_t assigned = 0;
    for (int i = 0; i < e->owners_size(); ++i) {
      const int64_t share =
          i + 1 == e->owners_size()
              ? capital_millions - assigned
              : capital_millions * static_cast<int64_t>(weights[i]) /
                    static_cast<int64_t>(total);
      assigned += share;
      e->mutable_owners(i)->set_capital_contribution_vnd(share * kMillion);
    }
  }

  void MakeDependentUnit(const v1::Enterprise& parent, int unit, v1::Enterprise* u) {
    u->Clear();
    const bool branch = rng_.Chance(70, 100);
    const identifiers::Province& province = BusinessCity();
    const absl::CivilDay registered =
        DrawDay(DayOf(parent.registration_date()), kLastRegistration);
    // MakeDependentUnitCode cannot fail: the parent's code is valid, unit <= 3.
    u->set_enterprise_code(
        *identifiers::MakeDependentUnitCode(parent.enterprise_code(), unit));
    u->set_kind(branch ? v1::UNIT_KIND_BRANCH : v1::UNIT_KIND_REPRESENTATIVE_OFFICE);
    u->set_parent_enterprise_code(parent.enterprise_code());
    u->set_name(absl::StrCat(branch ? "Chi nhánh " : "Văn phòng đại diện ", parent.name(),
                             " tại ", province.name));
    u->set_legal_form(parent.legal_form());
    // A unit never outlives its parent's legal personality.
    u->set_status(parent.status() == v1::ENTERPRISE_STATUS_ACTIVE && rng_.Chance(5, 100)
                      ? v1::ENTERPRISE_STATUS_DISSOLVED
                      : parent.status());
    *u->mutable_registration_date() = ToDate(registered);
    u->set_head_office_address(HeadOffice(province));
    u->set_province_code(std::string(province.code));
    u->set_province_name(std::string(province.name));
    const Citizen* head = DrawAdult(registered, {});
    if (head == nullptr) head = &population_[adults_.front()];
    v1::LegalRepresentative* rep = u->mutable_legal_representative();
    rep->set_personal_id(head->personal_id());
    rep->set_full_name(head->full_name());
    rep->set_title(branch ? "Giám đốc chi nhánh" : "Trưởng văn phòng đại diện");
  }

  DeterministicRng rng_;
  const absl::Span<const Citizen> population_;
  std::vector<size_t> adults_;  // indexes into population_, in population order
  std::vector<uint32_t> city_weights_;
  std::vector<uint32_t> form_weights_;
  // Active enterprises so far (code, name): candidates for corporate owners.
  std::vector<std::pair<std::string, std::string>> active_;
  // Last sequence used per province; lookups only, order never observed.
  absl::flat_hash_map<absl::string_view, int> next_sequence_;
};

}  // namespace

absl::Status GenerateSyntheticEnterprises(
    uint64_t seed, absl::Span<const Citizen> population,
    const std::function<absl::Status(const v1::Enterprise&)>& sink) {
  return Generator(seed, population).Run(sink);
}

absl::StatusOr<std::vector<Citizen>> CollectSyntheticPopulation(uint64_t seed,
                                                                uint32_t size) {
  std::vector<Citizen> people;
  people.reserve(size);
  absl::Status generated = ndxp::residents::GenerateSyntheticPopulation(
      seed, size, [&people](const Citizen& c) {
        people.push_back(c);
        return absl::OkStatus();
      });
  if (!generated.ok()) return generated;
  return people;
}

}  // namespace ndxp::business
