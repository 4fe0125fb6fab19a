// Fuzzes the data-subject extractor: the input is a request's protobuf bytes,
// scanned along the paths of a land transfer request (transferors and
// transferees, 3.1 and 4.1), a top-level marked field (1) and one deep
// (2.2.1). Whatever the bytes: a malformed message reports no subject; every
// subject is a view into the input; at most kMaxSubjects; and a well-formed
// message sent twice (protobuf merges the two) reports its subjects twice,
// in order, up to the limit.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gateway/subjects/subject_extractor.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using ndxp::fuzz::Check;
using ndxp::gateway::subjects::ExtractStatus;
using ndxp::gateway::subjects::kMaxSubjects;
using ndxp::gateway::subjects::SubjectExtractor;
using ndxp::gateway::subjects::SubjectValues;

void CheckViewsInto(const SubjectValues& subjects, absl::string_view input) {
  Check(subjects.size() <= kMaxSubjects);
  for (absl::string_view subject : subjects) {
    Check(subject.data() >= input.data() &&
          subject.data() + subject.size() <= input.data() + input.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const SubjectExtractor extractor({{1}, {3, 1}, {4, 1}, {2, 2, 1}});
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  SubjectValues subjects;
  const ExtractStatus status = extractor.Extract(input, &subjects);
  CheckViewsInto(subjects, input);
  if (status == ExtractStatus::kMalformed) Check(subjects.empty());
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
