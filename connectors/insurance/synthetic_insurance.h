// The deterministic synthetic social insurance register the reference
// insurance connector serves, derived from the residents connector's
// synthetic population (GenerateSyntheticPopulation with the same seed and
// size), so the same people appear in both registers. The data is "as of"
// 2025-01-01 and never reads the clock; the same (seed, size) yields the same
// records on every platform (DeterministicRng, integer arithmetic only).
//
// Who is registered:
// - about 97% of living citizens; deceased citizens only when they died in
//   2022 or later (their record was never closed: coverage LAPSED), the rest
//   not at all.
// - social insurance code: the 2-digit form of the birth province + 8 random
//   digits, unique.
// Category (as of 2025-01-01) and benefit level:
//   under 6       TE, level 1, card from the birth date to the day before the
//                 sixth birthday (always ACTIVE);
//   6-17          HS (pupil), level 4;
//   18-21         SV (student) 40%, DN (employee) 30%, GD (household) 30%;
//   working age   DN 45%, HC (civil servant) 10%, HX (cooperative) 5%,
//                 HN (poor household, level 2) 5%, GD 35%; men up to 60,
//                 women up to 55;
//   older         HT (pensioner, level 2) 45%, CB (veteran, level 2) 5%
//                 (born before 1958), GD the rest.
// Coverage of everyone 6 and older: ACTIVE 87% (card 2024-01-01..2025-12-31),
// LAPSED 8% (card 2023-01-01 .. a day in 2024), NONE 5% (no card).
// Contribution months: employees and civil servants 12 per year since age
// 18, less up to 20% of gaps drawn at random; pensioners 240-420; others 0.
// The card's primary-care facility is in the province of the permanent
// address, which is also the card's issuing province.
//
// Planted data-quality problems, so VerifyAgainstPopulation has something
// to find (each record reports what was planted in it):
// - 1% of the records copied from a citizen (chance 1/100 per record) carry
//   one error, equally often: a misspelled full name (one letter doubled,
//   "Trần Văn Hùng" -> "Trần Vănn Hùng"), a wrong birth date (shifted by
//   1-27 days) or the wrong sex;
// - every 500th record (the 250th, 750th, ...) is followed by an extra record
//   whose personal ID number no citizen holds (the record's citizen's ID with
//   another serial), a duplicate registration under a mistyped number.
//
// Example:
//   NDXP_RETURN_IF_ERROR(GenerateSyntheticInsuranceRegister(42, 100000,
//       [&](const SyntheticInsuranceRecord& r) { return store.Insert(r.person); }));
#ifndef NDXP_CONNECTORS_INSURANCE_SYNTHETIC_INSURANCE_H_
#define NDXP_CONNECTORS_INSURANCE_SYNTHETIC_INSURANCE_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "ndxp/insurance/v1/insurance.pb.h"

namespace ndxp::insurance {

// What was deliberately made wrong in a synthetic record.
enum class PlantedProblem {
  kNone,
  kMisspelledName,
  kWrongBirthDate,
  kWrongSex,
  kUnknownPersonalId,  // no citizen holds the record's personal ID number
};

struct SyntheticInsuranceRecord {
  ndxp::insurance::v1::InsuredPerson person;
  PlantedProblem problem = PlantedProblem::kNone;
};

// Generates the register for the population GenerateSyntheticPopulation
// (seed, size) makes, calling `sink` once per record in the population's
// birth order. Stops at, and returns, the first error `sink` returns.
absl::Status GenerateSyntheticInsuranceRegister(
    uint64_t seed, uint32_t size,
    const std::function<absl::Status(const SyntheticInsuranceRecord&)>& sink);

}  // namespace ndxp::insurance

#endif  // NDXP_CONNECTORS_INSURANCE_SYNTHETIC_INSURANCE_H_
