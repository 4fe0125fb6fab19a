// Writing a small file so that a crash leaves either the old contents or the
// new, never half, and the new survive a power cut once this returns: a
// temporary file beside it, written, fsync'ed, renamed over it, and the
// directory fsync'ed. For state a process must not lose (a witness's last
// cosigned checkpoint, a signed checkpoint).
//
// Example:
//   NDXP_RETURN_IF_ERROR(WriteFileDurably("/var/lib/ndxp/state", text, 0600));
#ifndef NDXP_COMMON_FILES_DURABLE_FILE_H_
#define NDXP_COMMON_FILES_DURABLE_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp {

// Replaces `path` with `contents`, mode `mode`. UNAVAILABLE naming the path,
// the step and the system's reason; the old file is untouched then.
absl::Status WriteFileDurably(const std::string& path, absl::string_view contents, mode_t mode);

}  // namespace ndxp

#endif  // NDXP_COMMON_FILES_DURABLE_FILE_H_
