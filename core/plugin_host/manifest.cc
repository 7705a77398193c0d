#include "core/plugin_host/manifest.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace rapport::plugin_host {

bool ValidModuleName(const std::string& name) {
  if (name.empty() || name.size() > 63 || !absl::ascii_islower(name[0])) return false;
  for (char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

absl::StatusOr<Manifest> ReadManifest(const std::string& path) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("manifest ", path, ": ", why));
  };
  std::ifstream in(path);
  if (!in) return bad("missing or unreadable (every plugin needs NAME.manifest.json beside NAME.so)");
  std::stringstream content;
  content << in.rdbuf();
  if (content.str().size() > 64 * 1024) return bad("larger than 64 KiB");
  google::protobuf::Struct json;
  auto parsed = google::protobuf::util::JsonStringToMessage(content.str(), &json);
  if (!parsed.ok()) return bad(absl::StrCat("not valid JSON: ", std::string(parsed.message())));
  const auto& f = json.fields();
  Manifest m;
  auto str = [&](const char* key, std::string* out) -> bool {
    auto it = f.find(key);
    if (it == f.end() || !it->second.has_string_value()) return false;
    *out = it->second.string_value();
    return true;
  };
  if (!str("name", &m.name) || !ValidModuleName(m.name)) return bad("\"name\" must match [a-z][a-z0-9_-]{0,62}");
  if (!str("version", &m.version) || m.version.empty()) return bad("\"version\" (semver) is required");
  auto abi = f.find("abi_major");
  if (abi == f.end() || !abi->second.has_number_value() || abi->second.number_value() < 1 ||
      abi->second.number_value() != static_cast<int>(abi->second.number_value())) {
    return bad("\"abi_major\" must be a positive integer");
  }
  m.abi_major = static_cast<int>(abi->second.number_value());
  for (const char* key : {"requires", "services"}) {
    auto it = f.find(key);
    if (it == f.end()) continue;
    if (!it->second.has_list_value()) return bad(absl::StrCat("\"", key, "\" must be a list of strings"));
    for (const auto& v : it->second.list_value().values()) {
      if (!v.has_string_value()) return bad(absl::StrCat("\"", key, "\" must be a list of strings"));
      (std::string(key) == "requires" ? m.requires_modules : m.services).push_back(v.string_value());
    }
  }
  for (const auto& dep : m.requires_modules) {
    if (!ValidModuleName(dep)) return bad(absl::StrCat("\"requires\": '", dep, "' is not a module name"));
  }
  return m;
}

absl::StatusOr<std::map<std::string, std::string>> ReadPluginConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--plugin-config: cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  google::protobuf::Struct json;
  auto parsed = google::protobuf::util::JsonStringToMessage(content.str(), &json);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--plugin-config ", path, ": not valid JSON: ",
                                                   std::string(parsed.message())));
  }
  std::map<std::string, std::string> out;
  for (const auto& [module, value] : json.fields()) {
    std::string text;
    (void)google::protobuf::util::MessageToJsonString(value, &text);
    out[module] = text;
  }
  return out;
}

}  // namespace rapport::plugin_host
