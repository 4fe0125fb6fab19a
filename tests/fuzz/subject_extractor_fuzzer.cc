// Fuzzes the data-subject extractor: the input is a request's protobuf bytes,
// scanned along the paths of a land transfer request (transferors and
// transferees, 3.1 and 4.1), a top-level marked field (1) and one deep
// (2.2.1). Whatever the bytes: a malformed message reports no subject; every
// subject is a view into the input; at most kMaxSubjects; and a well-formed
// message sent twice (protobuf merges the two) reports its subjects twice,
// in order, up to the limit. And a SubjectScan fed the input whole, byte by
// byte, or in chunks cut at random (seeded by the input's first byte) reports
// what Extract does.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "gateway/subjects/subject_extractor.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using ndxp::fuzz::Check;
using ndxp::gateway::subjects::ExtractStatus;
using ndxp::gateway::subjects::kMaxSubjects;
using ndxp::gateway::subjects::SubjectExtractor;
using ndxp::gateway::subjects::SubjectIds;
using ndxp::gateway::subjects::SubjectScan;
using ndxp::gateway::subjects::SubjectValues;

void CheckViewsInto(const SubjectValues& subjects, absl::string_view input) {
  Check(subjects.size() <= kMaxSubjects);
  for (absl::string_view subject : subjects) {
    Check(subject.data() >= input.data() &&
          subject.data() + subject.size() <= input.data() + input.size());
  }
}

// Cuts chunk ends from `input`'s remaining bytes: returns the next chunk's
// size (0 too).
using NextChunkSize = size_t (*)(size_t left, std::minstd_rand* random);

void CheckSameAsExtract(const SubjectExtractor& extractor, absl::string_view input,
                        NextChunkSize next_chunk_size, std::minstd_rand* random,
                        ExtractStatus status, const SubjectValues& subjects) {
  SubjectScan scan(extractor);
  while (!input.empty()) {
    const size_t size = next_chunk_size(input.size(), random);
    scan.Feed(input.substr(0, size));
    input.remove_prefix(size);
  }
  SubjectIds ids;
  Check(scan.Finish(&ids) == status);
  Check(ids.size() == subjects.size());
  for (size_t i = 0; i < ids.size(); ++i) Check(ids[i] == subjects[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const SubjectExtractor extractor({{1}, {3, 1}, {4, 1}, {2, 2, 1}});
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  SubjectValues subjects;
  const ExtractStatus status = extractor.Extract(input, &subjects);
  CheckViewsInto(subjects, input);
  if (status == ExtractStatus::kMalformed) Check(subjects.empty());

  std::minstd_rand random(size == 0 ? 1 : data[0] + 1u);
  CheckSameAsExtract(extractor, input, [](size_t left, std::minstd_rand*) { return left; },
                     &random, status, subjects);
  CheckSameAsExtract(extractor, input, [](size_t, std::minstd_rand*) -> size_t { return 1; },
                     &random, status, subjects);
  // Mostly short chunks (tags and lengths cut), some long ones, empty ones.
  CheckSameAsExtract(
      extractor, input,
      [](size_t left, std::minstd_rand* r) -> size_t {
        const size_t longest = (*r)() % 4 == 0 ? left : 3;
        return std::min<size_t>(left, (*r)() % (longest + 1));
      },
      &random, status, subjects);
  if (status != ExtractStatus::kOk) return 0;

  const std::string twice = std::string(input) + std::string(input);
  SubjectValues again;
  const ExtractStatus twice_status = extractor.Extract(twice, &again);
  CheckViewsInto(again, twice);
  const size_t expected = 2 * subjects.size();
  Check(twice_status ==
        (expected > kMaxSubjects ? ExtractStatus::kTooManySubjects : ExtractStatus::kOk));
  Check(again.size() == (expected > kMaxSubjects ? kMaxSubjects : expected));
  for (size_t i = 0; i < again.size(); ++i) Check(again[i] == subjects[i % subjects.size()]);
  return 0;
}
