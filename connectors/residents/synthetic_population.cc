#include "connectors/residents/synthetic_population.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/identifiers/personal_id.h"
#include "common/identifiers/province.h"
#include "common/logging/logging.h"
#include "connectors/residents/proto_convert.h"
#include "connectors/runtime/deterministic_rng.h"

namespace ndxp::residents {
namespace {

using ndxp::connectors::DeterministicRng;
using ndxp::identifiers::Province;

// ------------------------------------------------------------------ tables
// Changing any table (or the order of random draws below) changes the data
// set for every seed; the golden fingerprint test will say so.

struct Weighted {
  const char* text;
  uint32_t weight;
};

// Picks among {text, weight} rows.
class WeightedTable {
 public:
  WeightedTable(std::initializer_list<Weighted> rows) : rows_(rows) {
    for (const Weighted& row : rows_) weights_.push_back(row.weight);
  }
  size_t PickIndex(DeterministicRng& rng) const { return rng.Weighted(weights_); }
  const char* Pick(DeterministicRng& rng) const { return rows_[PickIndex(rng)].text; }
  const char* text(size_t i) const { return rows_[i].text; }

 private:
  std::vector<Weighted> rows_;
  std::vector<uint32_t> weights_;
};

// Share of the population per thousand, roughly as in national statistics
// (Huỳnh is the southern form of Hoàng, Võ of Vũ).
const WeightedTable& Surnames() {
  static const auto* table = new WeightedTable{
      {"Nguyễn", 380}, {"Trần", 110}, {"Lê", 95},    {"Phạm", 70},  {"Hoàng", 51},
      {"Huỳnh", 20},   {"Phan", 45},  {"Vũ", 39},    {"Võ", 20},    {"Đặng", 21},
      {"Bùi", 20},     {"Đỗ", 14},    {"Hồ", 13},    {"Ngô", 13},   {"Dương", 10},
      {"Lý", 5}};
  return *table;
}

// Middle names. Văn and Thị dominate older generations; `older` weights
// apply to births before 1975.
struct MiddleName {
  const char* text;
  uint32_t weight;
  uint32_t older_weight;
};

const std::vector<MiddleName>& MaleMiddleNames() {
  static const auto* names = new std::vector<MiddleName>{
      {"Văn", 30, 150}, {"Hữu", 8, 10},  {"Đức", 10, 8},   {"Minh", 12, 4},
      {"Quốc", 8, 5},   {"Thanh", 6, 5}, {"Công", 6, 6},   {"Xuân", 5, 5},
      {"Quang", 8, 5},  {"Ngọc", 4, 4},  {"Gia", 5, 1},    {"Hoàng", 6, 2},
      {"Anh", 5, 1},    {"Trọng", 4, 3}, {"Đình", 5, 8},   {"Bảo", 4, 1},
      {"Tuấn", 3, 1},   {"Việt", 3, 2},  {"Mạnh", 3, 2},   {"Thành", 3, 2}};
  return *names;
}

const std::vector<MiddleName>& FemaleMiddleNames() {
  static const auto* names = new std::vector<MiddleName>{
      {"Thị", 35, 150},    {"Ngọc", 10, 5},     {"Thanh", 8, 5},  {"Thu", 8, 6},
      {"Minh", 5, 1},      {"Phương", 5, 2},    {"Bảo", 5, 1},    {"Khánh", 5, 1},
      {"Mai", 4, 2},       {"Kim", 6, 6},       {"Hồng", 6, 6},   {"Thùy", 5, 2},
      {"Diệu", 3, 1},      {"Thị Ngọc", 5, 4},  {"Thị Thu", 5, 4}, {"Thị Thanh", 4, 4},
      {"Hoài", 3, 1},      {"Quỳnh", 3, 1},     {"Như", 4, 1},    {"Ngọc Bảo", 2, 0}};
  return *names;
}

const std::vector<const char*>& MaleGivenNames() {
  static const auto* names = new std::vector<const char*>{
      "An",    "Bình",  "Cường", "Dũng",  "Duy",   "Đạt",   "Hải",  "Hiếu",
      "Hoàng", "Hùng",  "Huy",   "Khang", "Khoa",  "Kiên",  "Long", "Minh",
      "Nam",   "Nghĩa", "Phong", "Phúc",  "Quân",  "Quang", "Sơn",  "Tài",
      "Thắng", "Thành", "Trung", "Tuấn",  "Tùng",  "Việt",  "Vinh", "Bảo",
      "Đức",   "Hưng",  "Lâm",   "Thịnh", "Hòa",   "Toàn",  "Khánh", "Lộc"};
  return *names;
}

const std::vector<const char*>& FemaleGivenNames() {
  static const auto* names = new std::vector<const char*>{
      "An",    "Anh",   "Châu",  "Chi",   "Dung",  "Giang", "Hà",   "Hạnh",
      "Hằng",  "Hiền",  "Hoa",   "Hương", "Huyền", "Lan",   "Liên", "Linh",
      "Loan",  "Mai",   "My",    "Nga",   "Ngân",  "Ngọc",  "Nhung", "Oanh",
      "Phương", "Quỳnh", "Tâm",  "Thảo",  "Thủy",  "Trang", "Trâm", "Uyên",
      "Vân",   "Vy",    "Xuân",  "Yến",   "Hồng",  "Thu",   "Nhi",  "Thư"};
  return *names;
}

// Per thousand, roughly the 2019 census.
const WeightedTable& Ethnicities() {
  static const auto* table = new WeightedTable{
      {"Kinh", 853},   {"Tày", 19},    {"Thái", 18},    {"Mường", 15},  {"Khmer", 13},
      {"H'Mông", 14},  {"Nùng", 11},   {"Hoa", 8},      {"Dao", 9},     {"Gia Rai", 5},
      {"Ê Đê", 4},     {"Ba Na", 3},   {"Sán Dìu", 2},  {"Chăm", 2},    {"Cơ Ho", 2},
      {"Xơ Đăng", 2},  {"Sán Chay", 2}, {"Hrê", 1},     {"Ra Glai", 1}, {"Mnông", 1}};
  return *table;
}

// Population in thousands (2022, rounded), weighting where people are born
// and live.
struct ProvinceWeight {
  const char* code;
  uint32_t thousands;
};
constexpr ProvinceWeight kProvinceWeights[] = {
    {"001", 8436}, {"002", 892},  {"004", 543},  {"006", 326},  {"008", 805},
    {"010", 770},  {"011", 640},  {"012", 482},  {"014", 1290}, {"015", 840},
    {"017", 875},  {"019", 1335}, {"020", 800},  {"022", 1360}, {"024", 1890},
    {"025", 1500}, {"026", 1200}, {"027", 1490}, {"030", 1950}, {"031", 2090},
    {"033", 1290}, {"034", 1870}, {"035", 880},  {"036", 1880}, {"037", 1010},
    {"038", 3720}, {"040", 3420}, {"042", 1320}, {"044", 910},  {"045", 650},
    {"046", 1160}, {"048", 1220}, {"049", 1510}, {"051", 1240}, {"052", 1500},
    {"054", 880},  {"056", 1250}, {"058", 600},  {"060", 1250}, {"062", 580},
    {"064", 1590}, {"066", 1920}, {"067", 670},  {"068", 1330}, {"070", 1030},
    {"072", 1190}, {"074", 2760}, {"075", 3250}, {"077", 1180}, {"079", 9390},
    {"080", 1720}, {"082", 1790}, {"083", 1300}, {"084", 1020}, {"086", 1030},
    {"087", 1600}, {"089", 1910}, {"091", 1750}, {"092", 1250}, {"093", 730},
    {"094", 1200}, {"095", 920},  {"096", 1200}};
static_assert(std::size(kProvinceWeights) == ndxp::identifiers::kProvinceCount);

const std::vector<const char*>& Streets() {
  static const auto* names = new std::vector<const char*>{
      "Lê Lợi",        "Trần Hưng Đạo",  "Nguyễn Trãi",    "Hai Bà Trưng",
      "Lý Thường Kiệt", "Quang Trung",    "Hùng Vương",     "Phan Chu Trinh",
      "Điện Biên Phủ", "Nguyễn Huệ",     "Lê Duẩn",        "Trần Phú",
      "Bà Triệu",      "Ngô Quyền",      "Nguyễn Du",      "Lê Thánh Tông",
      "Phan Đình Phùng", "Hoàng Diệu",   "Nguyễn Văn Cừ",  "Võ Thị Sáu",
      "Cách Mạng Tháng Tám", "Lạc Long Quân"};
  return *names;
}

const std::vector<const char*>& Wards() {
  static const auto* names = new std::vector<const char*>{
      "Bến Nghé",  "Tân Định", "Quang Trung", "Trần Phú",  "Lê Lợi",    "Hòa Bình",
      "Tân Phú",   "An Phú",   "Phước Long",  "Minh Khai", "Đông Hòa",  "Bình An",
      "Hiệp Phú",  "Thanh Xuân", "Cửa Nam",   "Hưng Bình", "Vĩnh Ninh", "Thạch Thang"};
  return *names;
}

const std::vector<const char*>& Communes() {
  static const auto* names = new std::vector<const char*>{
      "Tân Lập",  "Hòa Bình",   "Quyết Thắng", "Yên Sơn",   "Phú Thịnh", "An Khánh",
      "Đông Hưng", "Thạch Sơn", "Vĩnh Hòa",    "Phước Hưng", "Xuân Lộc", "Cẩm Phú",
      "Nghĩa Thuận", "Long Mỹ", "Tân Thạnh",   "Hải Xuân",  "Thanh Lâm", "Đồng Tâm"};
  return *names;
}

// --------------------------------------------------------------- the model

constexpr int kFirstBirthYear = 1930;
constexpr int kLastBirthYear = 2024;
constexpr absl::CivilDay kEpoch(kFirstBirthYear, 1, 1);
// The data set is "as of" this day.
constexpr absl::CivilDay kAsOf(2025, 1, 1);
// Deaths are recorded from this day on (older deaths predate the register).
constexpr absl::CivilDay kFirstRecordedDeath(2005, 1, 1);
constexpr int kYear = 365;
// Largest family a woman born in `year` gets: fertility fell from about six
// children per woman in the 1960s to about two today.
int MaxChildren(int year) { return year < 1955 ? 7 : year < 1975 ? 4 : 3; }

int DayNumber(absl::CivilDay day) { return static_cast<int>(day - kEpoch); }
absl::CivilDay DayOf(int number) { return kEpoch + number; }

struct Person {
  int birth_day = 0;
  int death_day = -1;  // -1: alive
  uint32_t order = 0;  // draw order, the tie-break that makes sorting total
  bool female = false;
  int father = -1;     // indexes into the birth-ordered population
  int mother = -1;
  int spouse = -1;
  int children = 0;
  size_t surname = 0;
  size_t ethnicity = 0;
  size_t birth_province = 0;    // index into AllProvinces()
  size_t address_province = 0;
  std::string full_name;
  std::string address;
  std::string personal_id;
};

bool AliveOn(const Person& p, int day) { return p.death_day < 0 || p.death_day >= day; }

class Generator {
 public:
  Generator(uint64_t seed, uint32_t size) : rng_(seed), size_(size) {
    for (const ProvinceWeight& w : kProvinceWeights) {
      const Province* p = ndxp::identifiers::FindProvince(w.code);
      province_weights_.push_back(w.thousands);
      province_index_.push_back(static_cast<size_t>(p - ndxp::identifiers::AllProvinces().data()));
    }
    for (int older = 0; older < 2; ++older) {
      for (const MiddleName& n : MaleMiddleNames()) {
        middle_weights_[0][older].push_back(older ? n.older_weight : n.weight);
      }
      for (const MiddleName& n : FemaleMiddleNames()) {
        middle_weights_[1][older].push_back(older ? n.older_weight : n.weight);
      }
    }
  }

  absl::Status Run(const std::function<absl::Status(const v1::Citizen&)>& sink) {
    DrawLives();
    std::sort(people_.begin(), people_.end(), [](const Person& a, const Person& b) {
      return a.birth_day != b.birth_day ? a.birth_day < b.birth_day : a.order < b.order;
    });
    for (size_t i = 0; i < people_.size(); ++i) {
      (people_[i].female ? women_ : men_).push_back(static_cast<int>(i));
    }
    for (size_t i = 0; i < people_.size(); ++i) Complete(static_cast<int>(i));

    v1::Citizen citizen;
    for (const Person& p : people_) {
      Fill(p, &citizen);
      if (absl::Status s = sink(citizen); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  // Birth, sex and death of everyone, before any family is formed.
  void DrawLives() {
    std::vector<uint32_t> year_weights;
    for (int year = kFirstBirthYear; year <= kLastBirthYear; ++year) {
      // A rough age pyramid: fewer of the older generations survive.
      year_weights.push_back(year < 1945 ? 1 : year < 1960 ? 2 : year < 1975 ? 3 : 4);
    }
    const int last_day = DayNumber(absl::CivilDay(kLastBirthYear, 12, 31));
    people_.resize(size_);
    for (uint32_t i = 0; i < size_; ++i) {
      Person& p = people_[i];
      p.order = i;
      int year = kFirstBirthYear + static_cast<int>(rng_.Weighted(year_weights));
      int first = DayNumber(absl::CivilDay(year, 1, 1));
      int days = static_cast<int>(absl::CivilDay(year + 1, 1, 1) - absl::CivilDay(year, 1, 1));
      p.birth_day = first + static_cast<int>(rng_.Below(days));
      p.female = rng_.Chance(1, 2);
      // Per ten thousand, by generation: about 3% overall.
      uint64_t deceased = year < 1940 ? 4000 : year < 1950 ? 1500 : year < 1965 ? 400 : 60;
      if (rng_.Chance(deceased, 10000)) {
        int lo = std::max(p.birth_day + 1, DayNumber(kFirstRecordedDeath));
        if (lo <= last_day) p.death_day = static_cast<int>(rng_.Between(lo, last_day));
      }
    }
  }

  // A person of `pool` (birth-ordered indexes) born in [from_day, to_day]
  // who satisfies `ok`, or -1 after a few tries.
  template <typename Ok>
  int PickFrom(const std::vector<int>& pool, int from_day, int to_day, int tries, Ok ok) {
    auto by_day = [this](int index, int day) { return people_[index].birth_day < day; };
    auto lo = std::lower_bound(pool.begin(), pool.end(), from_day, by_day);
    auto hi = std::lower_bound(pool.begin(), pool.end(), to_day + 1, by_day);
    if (lo >= hi) return -1;
    for (int t = 0; t < tries; ++t) {
      int candidate = *(lo + static_cast<std::ptrdiff_t>(rng_.Below(hi - lo)));
      if (ok(people_[candidate])) return candidate;
    }
    return -1;
  }

  void ChooseParents(int self) {
    Person& p = people_[self];
    const int year = DayOf(p.birth_day).year();
    // Parents of the oldest generations were born before 1930: not in the set.
    uint64_t with_parents = year >= 1960 ? 90 : year >= 1948 ? 50 : 0;
    if (!rng_.Chance(with_parents, 100)) return;
    const int day = p.birth_day;
    // Uniform picks would pile dozens of children on the few women of the
    // oldest cohorts: cap families at a realistic size.
    p.mother = PickFrom(women_, day - 45 * kYear, day - 18 * kYear, 8,
                        [day](const Person& m) {
                          return AliveOn(m, day) &&
                                 m.children < MaxChildren(DayOf(m.birth_day).year());
                        });
    if (p.mother < 0) return;
    Person& mother = people_[p.mother];
    ++mother.children;
    const int conception = day - 280;
    if (mother.spouse >= 0) {
      if (AliveOn(people_[mother.spouse], conception)) p.father = mother.spouse;
      return;
    }
    if (!rng_.Chance(95, 100)) return;  // father unknown
    int father = PickFrom(men_, mother.birth_day - 10 * kYear,
                          std::min(mother.birth_day + 3 * kYear, day - 18 * kYear), 8,
                          [conception](const Person& f) {
                            return f.spouse < 0 && AliveOn(f, conception);
                          });
    if (father < 0) return;
    p.father = father;
    mother.spouse = father;
    people_[father].spouse = p.mother;
  }

  const char* MiddleNameFor(const Person& p) {
    const bool older = DayOf(p.birth_day).year() < 1975;
    const std::vector<MiddleName>& names = p.female ? FemaleMiddleNames() : MaleMiddleNames();
    return names[rng_.Weighted(middle_weights_[p.female][older])].text;
  }

  std::string AddressIn(size_t province) {
    const absl::string_view code = ndxp::identifiers::AllProvinces()[province].code;
    const absl::string_view name = ndxp::identifiers::AllProvinces()[province].name;
    const bool city = code == "001" || code == "031" || code == "048" || code == "079" ||
                      code == "092";
    if (rng_.Chance(city ? 85 : 35, 100)) {
      return absl::StrCat("Số ", rng_.Between(1, 299), " ",
                          Streets()[rng_.Below(Streets().size())], ", phường ",
                          Wards()[rng_.Below(Wards().size())], ", ", name);
    }
    // Villages are "bản" in the north-west highlands, "ấp" in the south.
    const char* village = code == "011" || code == "012" || code == "014" ? "Bản"
                          : code >= "070" && code != "077"                ? "Ấp"
                                                                          : "Thôn";
    return absl::StrCat(village, " ", rng_.Between(1, 15), ", xã ",
                        Communes()[rng_.Below(Communes().size())], ", ", name);
  }

  size_t RandomProvince() { return province_index_[rng_.Weighted(province_weights_)]; }

  // Family, name, places and personal ID, in birth order so parents are
  // complete before their children.
  void Complete(int self) {
    ChooseParents(self);
    Person& p = people_[self];
    const Person* father = p.father >= 0 ? &people_[p.father] : nullptr;
    const Person* mother = p.mother >= 0 ? &people_[p.mother] : nullptr;
    const Person* family = father != nullptr ? father : mother;

    p.surname = family != nullptr ? family->surname : Surnames().PickIndex(rng_);
    p.ethnicity = family != nullptr ? family->ethnicity : Ethnicities().PickIndex(rng_);
    const char* middle = MiddleNameFor(p);
    const std::vector<const char*>& given_names =
        p.female ? FemaleGivenNames() : MaleGivenNames();
    const char* given = given_names[rng_.Below(given_names.size())];
    // "Ngọc Ngọc" is not a name: redraw the given name once or twice.
    for (int t = 0; t < 3 && absl::EndsWith(middle, given); ++t) {
      given = given_names[rng_.Below(given_names.size())];
    }
    p.full_name = absl::StrCat(Surnames().text(p.surname), " ", middle, " ", given);

    p.birth_province = mother != nullptr && rng_.Chance(85, 100) ? mother->address_province
                                                                 : RandomProvince();
    const bool minor = DayOf(p.birth_day) > kAsOf - 18 * kYear;
    if (minor && mother != nullptr && AliveOn(*mother, DayNumber(kAsOf))) {
      p.address_province = mother->address_province;
      p.address = mother->address;
    } else {
      p.address_province = rng_.Chance(75, 100) ? p.birth_province : RandomProvince();
      p.address = AddressIn(p.address_province);
    }

    const absl::CivilDay birth = DayOf(p.birth_day);
    const auto sex = p.female ? identifiers::Sex::kFemale : identifiers::Sex::kMale;
    for (;;) {
      absl::StatusOr<std::string> id = identifiers::MakePersonalId(
          ndxp::identifiers::AllProvinces()[p.birth_province].code,
          static_cast<int>(birth.year()), sex,
          static_cast<int>(rng_.Below(identifiers::kPersonalIdSerialCount)));
      // Arguments come from the tables above: MakePersonalId cannot fail.
      if (id.ok() && ids_.insert(*id).second) {
        p.personal_id = *std::move(id);
        break;
      }
    }
  }

  void Fill(const Person& p, v1::Citizen* c) const {
    c->Clear();
    const Province& birth_province = ndxp::identifiers::AllProvinces()[p.birth_province];
    const absl::CivilDay birth = DayOf(p.birth_day);
    c->set_personal_id(p.personal_id);
    c->set_full_name(p.full_name);
    *c->mutable_date_of_birth() = ToProtoDate(
        {static_cast<int>(birth.year()), birth.month(), birth.day()});
    c->set_sex(p.female ? v1::SEX_FEMALE : v1::SEX_MALE);
    c->set_birth_province_code(std::string(birth_province.code));
    c->set_birth_province_name(std::string(birth_province.name));
    c->set_permanent_address(p.address);
    c->set_ethnicity(Ethnicities().text(p.ethnicity));
    c->set_nationality("Việt Nam");
    if (p.father >= 0) c->set_father_personal_id(people_[p.father].personal_id);
    if (p.mother >= 0) c->set_mother_personal_id(people_[p.mother].personal_id);
    if (p.death_day >= 0) {
      const absl::CivilDay death = DayOf(p.death_day);
      c->set_life_status(v1::LIFE_STATUS_DECEASED);
      *c->mutable_date_of_death() = ToProtoDate(
          {static_cast<int>(death.year()), death.month(), death.day()});
    } else {
      c->set_life_status(v1::LIFE_STATUS_ALIVE);
    }
  }

  DeterministicRng rng_;
  const uint32_t size_;
  std::vector<uint32_t> province_weights_;
  std::vector<size_t> province_index_;
  std::vector<uint32_t> middle_weights_[2][2];  // [female][older]
  std::vector<Person> people_;
  std::vector<int> women_;  // birth-ordered indexes into people_
  std::vector<int> men_;
  absl::flat_hash_set<std::string> ids_;  // membership only: order never observed
};

}  // namespace

absl::Status GenerateSyntheticPopulation(
    uint64_t seed, uint32_t size,
    const std::function<absl::Status(const v1::Citizen&)>& sink) {
  return Generator(seed, size).Run(sink);
}

absl::Status LoadSyntheticDataSet(const ndxp::config::v1::ConnectorConfig& config,
                                  const SyntheticDataSet& data) {
  const uint64_t seed = config.synthetic().seed();
  const uint32_t size =
      config.synthetic().size() != 0 ? config.synthetic().size() : kDefaultSyntheticSize;
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> generated = data.generate_if_empty(seed, size);
  if (!generated.ok()) return generated.status();
  if (*generated > 0) {
    logging::Log("synthetic").info("generated {} {} in {:.1f} s (population {}, seed {}) into {}",
                                   *generated, data.records,
                                   absl::ToDoubleSeconds(absl::Now() - start), size, seed,
                                   config.database());
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> count = data.count();
  if (!count.ok()) return count.status();
  logging::Log("synthetic").info("{} {} in {}", *count, data.records, config.database());
  return absl::OkStatus();
}

}  // namespace ndxp::residents
