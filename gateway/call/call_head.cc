#include "gateway/call/call_head.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace ndxp::gateway {

bool IsMethodPath(absl::string_view path) {
  if (path.size() < 4 || path.front() != '/') return false;
  const size_t slash = path.rfind('/');
  if (slash == 0 || slash + 1 == path.size()) return false;
  if (path.substr(0, slash).find('.') == absl::string_view::npos) return false;
  bool word_start = true;
  for (size_t i = 1; i < path.size(); ++i) {
    const char c = path[i];
    if (i == slash || c == '.') {
      if (word_start) return false;  // an empty identifier
      word_start = true;
    } else if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
               (!word_start && absl::ascii_isdigit(static_cast<unsigned char>(c)))) {
      word_start = false;
    } else {
      return false;
    }
  }
  return !word_start;
}

bool IsGrpcContentType(absl::string_view content_type) {
  if (!absl::ConsumePrefix(&content_type, "application/grpc")) return false;
  return content_type.empty() || content_type.front() == '+' || content_type.front() == ';';
}

}  // namespace ndxp::gateway
