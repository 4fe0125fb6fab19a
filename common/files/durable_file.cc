#include "common/files/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace ndxp {

absl::Status WriteFileDurably(const std::string& path, absl::string_view contents, mode_t mode) {
  std::string temporary = path + ".tmp-XXXXXX";
  auto failed = [&](absl::string_view step, int error) {
    return absl::UnavailableError(
        absl::StrCat(path, ": ", step, ": ", std::strerror(error)));
  };
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) return failed("create a temporary file beside it", errno);
  size_t written = 0;
  int error = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno;
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (error == 0 && ::fchmod(fd, mode) != 0) error = errno;
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  ::close(fd);
  if (error == 0 && std::rename(temporary.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temporary.c_str());
    return failed("write", error);
  }
  // The rename itself is durable once the directory is.
  const std::string directory = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_CLOEXEC);
  if (dir_fd < 0) return failed("open its directory", errno);
  error = ::fsync(dir_fd) == 0 ? 0 : errno;
  ::close(dir_fd);
  if (error != 0) return failed("sync its directory", error);
  return absl::OkStatus();
}

}  // namespace ndxp
