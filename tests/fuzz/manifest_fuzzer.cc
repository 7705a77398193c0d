// Fuzzes the plugin manifest and plugin config readers
// (core/plugin_host/manifest.h): the files a module's author (a third
// party) hands the server. The first byte picks the reader; the rest is the
// file's content, written to a file in $TMPDIR because both read a path.
// Errors must be INVALID_ARGUMENT; nothing may crash or throw.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/plugin_host/manifest.h"

namespace {
// $TMPDIR (or /tmp)/rapport-manifest-fuzz-PID, removed when the process exits.
const std::string& Path() {
  static const std::string* path = [] {
    const char* tmp = std::getenv("TMPDIR");
    auto* p = new std::string(std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                              "/rapport-manifest-fuzz-" + std::to_string(getpid()));
    std::atexit([] { std::remove(Path().c_str()); });
    return p;
  }();
  return *path;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string& path = Path();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data) + 1, static_cast<std::streamsize>(size - 1));
  }
  absl::Status status = data[0] % 2 == 0 ? rapport::plugin_host::ReadManifest(path).status()
                                         : rapport::plugin_host::ReadPluginConfig(path).status();
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument) std::abort();
  return 0;
}
