// File: core/plugin_host/manifest.h
//
// A plugin's manifest, NAME.manifest.json beside NAME.so, read before the
// library is opened:
//
//   {"name": "hello", "version": "1.0.0", "abi_major": 1,
//    "requires": ["other", {"module": "sfa", "versions": ">=1.2.0 <2.0.0"}],
//    "services": ["rapport.hello.v1.HelloService"],
//    "isolation": "process", "timeout_ms": 5000, "memory_limit_mib": 256}
//
// A "requires" entry is a module name (any version) or an object naming the
// module and the versions it accepts (version_range.h).
#ifndef RAPPORT_CORE_PLUGIN_HOST_MANIFEST_H_
#define RAPPORT_CORE_PLUGIN_HOST_MANIFEST_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rapport::plugin_host {

struct Manifest {
  std::string name;
  std::string version;
  int abi_major = 0;
  std::vector<std::string> requires_modules;
  // Module -> the version range its entry of "requires" names (absent: any).
  std::map<std::string, std::string> requires_versions;
  std::vector<std::string> services;
  // "observe": "all": post-commit hooks run for every change, whatever the
  // module's rollout rule says for its writer ("gated", the default: only
  // for writers the module is on for). The rule still governs the module's
  // RPCs and its validate and pre-commit hooks.
  bool observe_all = false;
  // "isolation": "process" runs the plugin in a rapport-plugin-runner child
  // (remote_plugin.h); "in_process" (the default) inside rapportd. With
  // "process": "timeout_ms", how long a hook, method, timer or backfill
  // call may run before it is abandoned and the child restarted (default
  // 10000), and "memory_limit_mib", the child's data limit (default 1024).
  bool isolation_process = false;
  int64_t timeout_ms = 10'000;
  int64_t memory_limit_mib = 1024;
};

// Parses and checks a manifest file; INVALID_ARGUMENT naming the file and
// the problem. The file must be strict JSON (RFC 8259: no comments, trailing
// commas, single quotes or unquoted keys; no byte order mark), an object,
// with no key twice in one object. A syntax error names where it is:
//   manifest PATH: not valid JSON: line 1, column 2 (byte offset 1): ...
// Messages are one line of printable ASCII apart from PATH and quoted fields.
absl::StatusOr<Manifest> ReadManifest(const std::string& path);

// Reads {"module": {...config...}, ...}: module name -> its config as JSON.
absl::StatusOr<std::map<std::string, std::string>> ReadPluginConfig(const std::string& path);

// [a-z][a-z0-9_-]{0,62}
bool ValidModuleName(const std::string& name);

}  // namespace rapport::plugin_host

#endif  // RAPPORT_CORE_PLUGIN_HOST_MANIFEST_H_
