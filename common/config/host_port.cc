#include "common/config/host_port.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ndxp::config {

absl::Status SplitHostPort(absl::string_view address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", address, "\" is not host:port"));
  }
  absl::string_view port_text = address.substr(colon + 1);
  int value = -1;
  bool all_digits = !port_text.empty() && port_text.size() <= 5 &&
                    port_text.find_first_not_of("0123456789") == absl::string_view::npos;
  if (!all_digits || !absl::SimpleAtoi(port_text, &value) || value > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", address, "\" has no port 0-65535 after the last ':'"));
  }
  *host = std::string(address.substr(0, colon));
  *port = value;
  return absl::OkStatus();
}

}  // namespace ndxp::config
