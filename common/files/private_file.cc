#include "common/files/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::files {
namespace {

absl::Status ErrnoError(int error, const std::string& what) {
  const std::string text = absl::StrCat(what, ": ", std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(text);
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(text);
  if (error == EEXIST) return absl::AlreadyExistsError(text);
  return absl::UnavailableError(text);
}

}  // namespace

absl::Status ReadPrivateFile(const std::string& path, absl::string_view what, std::string* bytes) {
  const std::string source = absl::StrCat(what, " ", path);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, source);
  struct stat info;
  absl::Status status;
  if (fstat(fd, &info) != 0) {
    status = ErrnoError(errno, source);
  } else if (!S_ISREG(info.st_mode)) {
    status = absl::InvalidArgumentError(absl::StrCat(source, ": not a regular file"));
  } else if ((info.st_mode & 077) != 0) {
    status = absl::FailedPreconditionError(
        absl::StrFormat("%s: mode %04o lets group or others at a secret; chmod 600 %s", source,
                        info.st_mode & 07777, path));
  }
  char buffer[4096];
  while (status.ok()) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = ErrnoError(errno, source);
    if (n <= 0) break;
    bytes->append(buffer, static_cast<size_t>(n));
  }
  OPENSSL_cleanse(buffer, sizeof(buffer));
  close(fd);
  return status;
}

absl::Status WritePrivateFile(const std::string& path, absl::string_view what,
                              absl::string_view bytes, bool replace) {
  std::string temporary = path + ".tmp-XXXXXX";
  const int fd = mkstemp(temporary.data());  // mode 0600
  if (fd < 0) return ErrnoError(errno, absl::StrCat(what, " ", path, ": create"));
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    written += static_cast<size_t>(n);
  }
  int error = errno;
  const bool ok = written == bytes.size() && fsync(fd) == 0;
  if (!ok) error = errno;
  close(fd);
  bool placed = false;
  if (ok) {
    placed = replace ? rename(temporary.c_str(), path.c_str()) == 0
                     : link(temporary.c_str(), path.c_str()) == 0;
    if (!placed) error = errno;
  }
  if (!placed || !replace) unlink(temporary.c_str());
  if (!placed) {
    if (error == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(what, " ", path, ": exists"));
    }
    return ErrnoError(error, absl::StrCat(what, " ", path, ": write"));
  }
  return absl::OkStatus();
}

}  // namespace ndxp::files
