#include "gateway/recording/fault_injecting_store.h"

#include <filesystem>
#include <fstream>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"

namespace ndxp::gateway {

absl::Status FaultInjectingStore::Append(absl::Span<const TransactionRecord> batch,
                                         std::vector<AppendedRow>* appended) {
  const std::filesystem::path directory(directory_);
  std::error_code error;
  if (std::filesystem::exists(directory / "hold", error)) {
    const std::filesystem::path holding = directory / "holding";
    std::ofstream(holding).put('\n');
    // Test-only: the writer thread is what is being held, so it may poll.
    while (std::filesystem::exists(directory / "hold", error)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::filesystem::remove(holding, error);
  }
  if (std::filesystem::exists(directory / "fail", error)) {
    return absl::UnavailableError(absl::StrCat("injected commit failure (", directory_,
                                               "/fail exists)"));
  }
  return store_->Append(batch, appended);
}

}  // namespace ndxp::gateway
