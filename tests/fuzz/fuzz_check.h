// A fuzz target's property check: aborts, naming the line, so that libFuzzer
// keeps the input and the report says which property it broke.
#ifndef NDXP_TESTS_FUZZ_FUZZ_CHECK_H_
#define NDXP_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

namespace ndxp::fuzz {

inline void Check(bool condition, const char* file = __builtin_FILE(),
                  int line = __builtin_LINE()) {
  if (condition) return;
  std::fprintf(stderr, "%s:%d: property does not hold\n", file, line);
  std::abort();
}

}  // namespace ndxp::fuzz

#endif  // NDXP_TESTS_FUZZ_FUZZ_CHECK_H_
