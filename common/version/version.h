// The release every ndxp binary reports: `PROGRAM --version` prints
// "PROGRAM 0.1.0" (exit 0), and the hub's ndxp_build_info metric carries it.
// Its one source is the VERSION file at the repository's root: CMake reads it
// as the project's version and writes it into version.cc when it configures
// (common/version/CMakeLists.txt); the Python and shell tools read the file.
//
// Example:
//   if (show_version) {
//     std::cout << ndxp::VersionLine("ndxp-hub");  // "ndxp-hub 0.1.0\n"
//     return 0;
//   }
#ifndef NDXP_COMMON_VERSION_VERSION_H_
#define NDXP_COMMON_VERSION_VERSION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ndxp {

// "0.1.0": the VERSION file's line.
absl::string_view Version();

// "PROGRAM 0.1.0\n": what --version prints.
std::string VersionLine(absl::string_view program);

}  // namespace ndxp

#endif  // NDXP_COMMON_VERSION_VERSION_H_
