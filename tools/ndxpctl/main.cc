// ndxpctl: the operator's command line for the hub.
#include <iostream>
#include <string>
#include <vector>

#include "gateway/recording/sqlite_transaction_store.h"

namespace {

constexpr char kUsage[] = R"(Usage: ndxpctl COMMAND [options]

Commands:
  audit verify --database FILE
      Recomputes the hash chain of every replica's audit log in the hub's
      SQLite database (recording.database in the hub configuration). Exit 0
      when every chain is intact; exit 1 naming the first broken row (edited,
      deleted or inserted) otherwise.

  --help   this text

Exit status: 0 success, 1 verification failed or the database is unreadable,
2 usage error.
)";

int AuditVerify(const std::vector<std::string>& args) {
  std::string database;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--database" && i + 1 < args.size()) {
      database = args[++i];
    } else {
      std::cerr << "ndxpctl audit verify: unknown or incomplete argument \"" << args[i]
                << "\"\n\n" << kUsage;
      return 2;
    }
  }
  if (database.empty()) {
    std::cerr << "ndxpctl audit verify: --database FILE is required\n";
    return 2;
  }
  std::string report;
  absl::Status verified = ndxp::gateway::SqliteTransactionStore::VerifyAuditChain(database, &report);
  if (!verified.ok()) {
    std::cerr << "ndxpctl: audit log NOT intact: " << verified.message() << "\n";
    return 1;
  }
  std::cout << "audit log intact: " << report << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args.size() >= 2 && args[0] == "audit" && args[1] == "verify") {
    return AuditVerify(std::vector<std::string>(args.begin() + 2, args.end()));
  }
  std::cerr << "ndxpctl: unknown command \"" << args[0] << "\"\n\n" << kUsage;
  return 2;
}
