// Files that hold secrets (the subject keys, the log key): read only when
// their owner alone may read or write them, as ssh asks of a private key, and
// written mode 0600 through a temporary file beside them, so that a crash
// leaves the old file or the new one, never half of one.
//
// Example:
//   std::string text;
//   NDXP_RETURN_IF_ERROR(ReadPrivateFile("/etc/ndxp/log.key", "log key", &text));
#ifndef NDXP_COMMON_FILES_PRIVATE_FILE_H_
#define NDXP_COMMON_FILES_PRIVATE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::files {

// Appends the bytes of the regular file `path` to `*bytes`. Errors name it
// as "<what> <path>": FAILED_PRECONDITION when group or others have any
// access to it (saying to chmod 600), INVALID_ARGUMENT for a file that is not
// regular, NOT_FOUND or PERMISSION_DENIED when it cannot be read. The read
// buffer is wiped.
absl::Status ReadPrivateFile(const std::string& path, absl::string_view what, std::string* bytes);

// Writes `bytes` to `path`, mode 0600, through a temporary file and a rename
// (`replace`: an existing file is replaced) or a link (otherwise: an existing
// file is left alone, ALREADY_EXISTS, with no window where two writers could
// both succeed).
absl::Status WritePrivateFile(const std::string& path, absl::string_view what,
                              absl::string_view bytes, bool replace);

}  // namespace ndxp::files

#endif  // NDXP_COMMON_FILES_PRIVATE_FILE_H_
