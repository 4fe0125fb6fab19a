// Fuzzes the hub's configuration file as ndxp-hub loads it at start and on
// SIGHUP (LoadHubConfig): the input is the file's text, in a directory that
// also holds TLS files (ca.pem, hub.pem, hub.key: readable, which is all the
// loader asks of them), a crl/ directory and the routed services' descriptor
// set (services.binpb), so a file may name them. The file is either refused
// with the file, a line of it and a reason, or it loads, and then the hub's
// tables build from it and every value the transport, the admin listener and
// the recorder take from it as they are is well formed: listen addresses
// host:port, connector endpoints host:port or unix:PATH, a replica name fit
// for a file name and a checkpoint line.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_context.h"
#include "tests/fuzz/config_file.h"

namespace {

using ndxp::fuzz::Check;
using ndxp::fuzz::ConfigFile;

struct HubDirectory {
  HubDirectory() : file("hub.textproto") {
    for (const char* name : {"ca.pem", "hub.pem", "hub.key"}) {
      ConfigFile::WriteAt(file.dir() / name, "-----BEGIN FUZZ-----\n");
    }
    std::filesystem::create_directory(file.dir() / "crl");
    std::filesystem::create_symlink(NDXP_DESCRIPTOR_SET, file.dir() / "services.binpb");
  }
  ConfigFile file;
};

// "host:port", port a number 0-65535 (0: any free port) or, when `connect`,
// 1-65535; the host may be empty (every address) only to listen.
bool IsHostPort(absl::string_view address, bool connect) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view port_text = address.substr(colon + 1);
  int port = -1;
  return !port_text.empty() && port_text.size() <= 5 &&
         std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(port_text, &port) && port <= 65535 &&
         (!connect || (port > 0 && colon > 0));
}

bool IsEndpoint(absl::string_view endpoint) {
  if (absl::ConsumePrefix(&endpoint, "unix:")) return !endpoint.empty();
  return IsHostPort(endpoint, /*connect=*/true);
}

// Replica names end up in checkpoint file names and in the checkpoint's
// signed lines (gateway/recording/audit_checkpoint.h).
bool IsSafeName(absl::string_view name) {
  return !name.empty() && name.find('/') == absl::string_view::npos &&
         std::all_of(name.begin(), name.end(), [](char c) { return absl::ascii_isgraph(c); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const HubDirectory kDirectory;  // removed at exit
  const ConfigFile& file = kDirectory.file;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  file.Write(text);

  absl::StatusOr<ndxp::gateway::HubSettings> settings = ndxp::gateway::LoadHubConfig(file.path());
  if (!settings.ok()) {
    ndxp::fuzz::CheckRefusal(settings.status(), file.path(), text);
    return 0;
  }
  const ndxp::config::v1::HubConfig config = settings->config;
  Check(IsHostPort(config.listen(), /*connect=*/false));
  Check(!config.trust_domain().empty());
  for (const auto& route : config.routes()) {
    Check(IsEndpoint(route.endpoint()));
    for (const std::string& replica : route.replicas()) Check(IsEndpoint(replica));
  }
  if (config.has_admin()) Check(IsHostPort(config.admin().listen(), /*connect=*/false));
  if (!config.recording().replica().empty()) Check(IsSafeName(config.recording().replica()));

  // What the hub builds at start and on every reload.
  absl::StatusOr<std::shared_ptr<const ndxp::gateway::HubContext>> context =
      ndxp::gateway::BuildHubContext(*std::move(settings), {});
  Check(context.ok());
  Check((*context)->routes->services().size() == static_cast<size_t>(config.routes_size()));
  return 0;
}
