// ndxpctl, the operator's command line, as a function main() calls, so its
// flags, help and exit codes are tested in-process.
//
//   ndxpctl stats        counts in a period, grouped (Statistics API)
//   ndxpctl stats import historical counts into the hub's SQLite or PostgreSQL database
//   ndxpctl growth       a period against its baseline (Statistics API)
//   ndxpctl audit verify the audit log's hash chain (SQLite or PostgreSQL)
//   ndxpctl audit prove  one call's receipt with its inclusion proof and checkpoint
//   ndxpctl audit verify-receipt  such a proof, offline, with a quorum of witnesses
//   ndxpctl report       a period's review, HTML/Markdown/CSV, English/Vietnamese
//   ndxpctl agencies     the agencies' names the hub shows (Statistics API)
//   ndxpctl backup       an online copy of the hub's SQLite database, with a manifest
//   ndxpctl restore      a backup put in place after its checks
//   ndxpctl openapi      the OpenAPI document of a hub configuration's routed services
//   ndxpctl subject accesses  the calls recorded about one person (DataSubjectAccess API)
//
// Flags are parsed by CLI11; every command has its own --help. --hub, --ca,
// --cert and --key default to $NDXP_HUB, $NDXP_CA, $NDXP_CERT, $NDXP_KEY.
//
// Example (the whole main.cc):
//   int main(int argc, char** argv) {
//     return ndxp::ndxpctl::Run(argc, argv, std::cout, std::cerr);
//   }
#ifndef NDXP_TOOLS_NDXPCTL_NDXPCTL_H_
#define NDXP_TOOLS_NDXPCTL_NDXPCTL_H_

#include <istream>
#include <ostream>

namespace ndxp::ndxpctl {

// Exit codes: 0 success (and --help, --version), 1 failure (the reason is
// written to `err`: the hub's answer by status name, a broken chain, ...),
// 2 usage error (unknown command or flag, bad value, missing flag).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Runs ndxpctl on argv (argv[0] is the program name). Results go to `out`,
// errors to `err`. Not thread-safe (reads the environment).
int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
// The same, with standard input `in` (what `subject accesses` reads the
// personal ID from).
int Run(int argc, const char* const* argv, std::istream& in, std::ostream& out,
        std::ostream& err);

}  // namespace ndxp::ndxpctl

#endif  // NDXP_TOOLS_NDXPCTL_NDXPCTL_H_
