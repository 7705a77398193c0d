#include "core/plugin_host/manifest.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/plugin_host/version_range.h"
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

namespace {

using Json = nlohmann::json;

// A key seen twice in one object. RFC 8259 leaves duplicate names to the
// parser, and parsers disagree (nlohmann keeps the last, others the first),
// so a manifest with one is refused.
struct DuplicateKey {
  std::string key;
};

// `text` with every byte outside printable ASCII written as \xNN, so that a
// message quoting the input stays one line of valid UTF-8 (the log is
// logfmt, and ListModules carries it in a proto string).
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7F) {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02X", b);
    }
  }
  return out;
}

// "line L, column C (byte offset B)" of the 0-based byte `offset` of `text`;
// lines and columns count from 1, columns in bytes.
std::string Position(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t line_start =
      before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  return absl::StrCat("line ", line, ", column ", offset - line_start + 1, " (byte offset ", offset,
                      ")");
}

// Parses `text` as strict JSON (RFC 8259: no comments, no trailing commas,
// no single quotes or unquoted keys) and refuses duplicate keys in any
// object. On failure returns why, naming where.
absl::StatusOr<Json> ParseStrictJson(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    return absl::InvalidArgumentError(
        "not valid JSON: line 1, column 1 (byte offset 0): starts with a byte order mark "
        "(EF BB BF); save the file as UTF-8 without one");
  }
  // Keys seen so far in each object being parsed, innermost last.
  std::vector<std::set<std::string>> open_objects;
  auto check_keys = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() &&
            !open_objects.back().insert(parsed.get<std::string>()).second) {
          throw DuplicateKey{parsed.get<std::string>()};
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), check_keys, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const DuplicateKey& duplicate) {
    return absl::InvalidArgumentError(absl::StrCat("duplicate key ",
                                                   Printable(Json(duplicate.key).dump()),
                                                   " (each key may appear once per object)"));
  } catch (const Json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line L,
    // column C: WHY"; keep WHY and say where ourselves. e.byte counts the
    // offending byte from 1 (the end of input counts as one past the last).
    std::string_view why = e.what();
    if (size_t at = why.find("parse error"); at != std::string_view::npos) {
      why.remove_prefix(at);
      if (size_t colon = why.find(": "); colon != std::string_view::npos) {
        why.remove_prefix(colon + 2);
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "not valid JSON: ", Position(text, e.byte > 0 ? e.byte - 1 : 0), ": ", Printable(why)));
  } catch (const Json::exception& e) {
    // E.g. out_of_range.406 "number overflow parsing '1e400'", which has no
    // position.
    std::string_view why = e.what();
    if (size_t at = why.find("] "); at != std::string_view::npos) why.remove_prefix(at + 2);
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", Printable(why)));
  }
}

}  // namespace

absl::StatusOr<Manifest> ReadManifest(const std::string& path) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("manifest ", path, ": ", why));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return bad("missing or unreadable (every plugin needs NAME.manifest.json beside NAME.so)");
  std::stringstream content;
  content << in.rdbuf();
  if (content.str().size() > 64 * 1024) return bad("larger than 64 KiB");
  Json json;
  try {
    auto parsed = ParseStrictJson(content.str());
    if (!parsed.ok()) return bad(std::string(parsed.status().message()));
    json = std::move(*parsed);
    if (!json.is_object()) {
      const std::string type = json.type_name();  // "array", "string", "number", ...
      const char* article = type == "array" ? "an " : type == "null" ? "" : "a ";
      return bad(absl::StrCat("must be a JSON object ({\"name\": ..., ...}), not ", article, type));
    }
    Manifest m;
    auto str = [&](const char* key, std::string* out) -> bool {
      auto it = json.find(key);
      if (it == json.end() || !it->is_string()) return false;
      *out = it->get<std::string>();
      return true;
    };
    if (!str("name", &m.name) || !ValidModuleName(m.name))
      return bad("\"name\" must match [a-z][a-z0-9_-]{0,62}");
    if (!str("version", &m.version) || m.version.empty())
      return bad("\"version\" (semver) is required");
    auto abi = json.find("abi_major");
    // A number with an integral value, as before: 1 and 1.0 are both 1.
    const double abi_value = abi != json.end() && abi->is_number() ? abi->get<double>() : 0;
    if (!(abi_value >= 1 && abi_value <= std::numeric_limits<int>::max() &&
          abi_value == std::floor(abi_value))) {
      return bad("\"abi_major\" must be a positive integer");
    }
    m.abi_major = static_cast<int>(abi_value);
    if (auto it = json.find("observe"); it != json.end()) {
      if (!it->is_string() || (*it != "all" && *it != "gated")) {
        return bad("\"observe\" must be \"gated\" (the default) or \"all\"");
      }
      m.observe_all = *it == "all";
    }
    if (auto it = json.find("isolation"); it != json.end()) {
      if (!it->is_string() || (*it != "in_process" && *it != "process")) {
        return bad("\"isolation\" must be \"in_process\" (the default) or \"process\"");
      }
      m.isolation_process = *it == "process";
    }
    // A whole number in [lo, hi], or the default when absent.
    auto whole = [&](const char* key, int64_t lo, int64_t hi, int64_t* out) -> bool {
      auto it = json.find(key);
      if (it == json.end()) return true;
      const double v = it->is_number() ? it->get<double>() : -1;
      if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi) && v == std::floor(v)))
        return false;
      *out = static_cast<int64_t>(v);
      return true;
    };
    if (!whole("timeout_ms", 10, 600'000, &m.timeout_ms))
      return bad("\"timeout_ms\" must be a whole number of milliseconds from 10 to 600000");
    if (!whole("memory_limit_mib", 16, 1 << 20, &m.memory_limit_mib))
      return bad("\"memory_limit_mib\" must be a whole number from 16 to 1048576");
    if (!m.isolation_process && (json.contains("timeout_ms") || json.contains("memory_limit_mib")))
      return bad(
          "\"timeout_ms\" and \"memory_limit_mib\" apply only with \"isolation\": \"process\"");
    if (auto it = json.find("services"); it != json.end()) {
      if (!it->is_array()) return bad("\"services\" must be a list of strings");
      for (const auto& v : *it) {
        if (!v.is_string()) return bad("\"services\" must be a list of strings");
        m.services.push_back(v.get<std::string>());
      }
    }
    if (auto it = json.find("requires"); it != json.end()) {
      const char* shape =
          "\"requires\" must be a list of module names or {\"module\": NAME, \"versions\": "
          "RANGE} objects";
      if (!it->is_array()) return bad(shape);
      for (const auto& v : *it) {
        if (v.is_string()) {
          m.requires_modules.push_back(v.get<std::string>());
          continue;
        }
        auto module = v.is_object() ? v.find("module") : v.end();
        auto versions = v.is_object() ? v.find("versions") : v.end();
        if (!v.is_object() || module == v.end() || !module->is_string() || versions == v.end() ||
            !versions->is_string() || v.size() != 2) {
          return bad(shape);
        }
        const std::string name = module->get<std::string>();
        auto range = VersionRange::Parse(versions->get<std::string>());
        if (!range.ok()) {
          return bad(
              absl::StrCat("\"requires\": '", Printable(name), "': ", range.status().message()));
        }
        m.requires_modules.push_back(name);
        m.requires_versions[name] = versions->get<std::string>();
      }
    }
    for (const auto& dep : m.requires_modules) {
      if (!ValidModuleName(dep))
        return bad(absl::StrCat("\"requires\": '", dep, "' is not a module name"));
    }
    return m;
  } catch (const std::exception& e) {
    return bad(absl::StrCat("cannot be read: ", Printable(e.what())));
  }
}

absl::StatusOr<std::map<std::string, std::string>> ReadPluginConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--plugin-config: cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  google::protobuf::Struct json;
  auto parsed = google::protobuf::util::JsonStringToMessage(content.str(), &json);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--plugin-config ", path, ": not valid JSON: ", std::string(parsed.message())));
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
