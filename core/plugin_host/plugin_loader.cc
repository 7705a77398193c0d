// File: core/plugin_host/plugin_loader.cc
//
// Loading: manifests before any code runs, dependency order, dlopen and
// init; a plugin that cannot load is refused with the reason.

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/logfmt.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/plugin_host/version_range.h"
#include "spdlog/spdlog.h"

namespace rapport::plugin_host {

namespace fs = std::filesystem;
using internal::Guarded;
using internal::HostBuffer;

void PluginHost::Refuse(Plugin* plugin, std::string error) {
  plugin->loaded = false;
  plugin->remote.reset();  // a refused out-of-process plugin's child ends
  plugin->info.set_state("refused");
  plugin->info.set_last_error(error);
  spdlog::error("msg=\"plugin refused\" file={} error={}", LogValue(plugin->file), LogValue(error));
}

const rapport_plugin_info* PluginHost::OpenInProcess(Plugin* p) {
  void* handle = dlopen(p->file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    Refuse(p, absl::StrCat(p->file, ": cannot load: ", dlerror()));
    return nullptr;
  }
  auto entry =
      reinterpret_cast<rapport_plugin_entry_fn>(dlsym(handle, RAPPORT_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr) {
    Refuse(p, absl::StrCat(p->file, ": no exported symbol '", RAPPORT_PLUGIN_ENTRY_SYMBOL, "'"));
    return nullptr;
  }
  const rapport_plugin_info* info = nullptr;
  try {
    info = entry();
  } catch (...) {
    info = nullptr;
  }
  if (info == nullptr ||
      info->struct_size < offsetof(rapport_plugin_info, stop) + sizeof(info->stop)) {
    Refuse(p, absl::StrCat(p->file, ": rapport_plugin_entry returned no usable info"));
    return nullptr;
  }
  return info;
}

const rapport_plugin_info* PluginHost::LaunchRemote(Plugin* p) {
  if (options_.plugin_runner.empty() || access(options_.plugin_runner.c_str(), X_OK) != 0) {
    Refuse(p, absl::StrCat(p->file,
                           ": \"isolation\": \"process\" needs rapport-plugin-runner, "
                           "which is not at '",
                           options_.plugin_runner, "' (rapportd --plugin-runner)"));
    return nullptr;
  }
  RemotePlugin::Options o;
  o.runner = options_.plugin_runner;
  o.name = p->name;
  o.file = p->file;
  o.config_json = p->config_json;
  o.timeout = absl::Milliseconds(p->manifest.timeout_ms);
  o.memory_limit_bytes = p->manifest.memory_limit_mib << 20;
  o.max_backoff = options_.restart_backoff_max;
  o.host = internal::HostApiTable();
  o.host_ctx = reinterpret_cast<rapport_host_ctx*>(p);
  p->remote = std::make_unique<RemotePlugin>(std::move(o));
  absl::Status s = p->remote->Launch();
  if (!s.ok()) {
    p->remote.reset();
    Refuse(p, absl::StrCat(p->file, ": ", s.message()));
    return nullptr;
  }
  return p->remote->info();
}

void PluginHost::Load() {
  if (options_.plugin_dir.empty()) return;
  std::error_code ec;
  const fs::path dir = fs::canonical(options_.plugin_dir, ec);
  if (ec) {
    spdlog::error("msg=\"plugin directory unreadable\" dir={} error={}",
                  LogValue(options_.plugin_dir), LogValue(ec.message()));
    return;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  // 1. Manifests, before any code runs.
  std::map<std::string, Plugin*> by_name;
  for (const fs::path& path : files) {
    auto plugin = std::make_unique<Plugin>();
    plugin->host = this;
    plugin->file = path.string();
    plugin->name = path.stem().string();
    plugin->info.set_name(plugin->name);
    plugin->info.set_file(plugin->file);
    Plugin* p = plugin.get();
    plugins_.push_back(std::move(plugin));
    // Only regular files inside the directory: a symlink may not lead out.
    fs::path real = fs::canonical(path, ec);
    if (ec || !fs::is_regular_file(real)) {
      Refuse(p, absl::StrCat(p->file, ": not a regular file"));
      continue;
    }
    auto [dir_end, real_it] = std::mismatch(dir.begin(), dir.end(), real.begin(), real.end());
    if (dir_end != dir.end()) {
      Refuse(p, absl::StrCat(p->file, ": leads outside the plugin directory (to ", real.string(),
                             ")"));
      continue;
    }
    auto manifest = ReadManifest((path.parent_path() / (p->name + ".manifest.json")).string());
    if (!manifest.ok()) {
      Refuse(p, std::string(manifest.status().message()));
      continue;
    }
    p->manifest = *manifest;
    p->info.set_version(manifest->version);
    for (const auto& d : manifest->requires_modules) p->info.add_dependencies(d);
    p->info.set_observe(manifest->observe_all ? "all" : "gated");
    for (const auto& svc : manifest->services) p->info.add_services(svc);
    if (manifest->name != p->name) {
      Refuse(p, absl::StrCat(p->file, ": manifest name '", manifest->name,
                             "' does not match the file name '", p->name, "'"));
      continue;
    }
    if (manifest->abi_major != RAPPORT_PLUGIN_ABI_MAJOR) {
      Refuse(p, absl::StrCat(p->file, ": plugin ABI major ", manifest->abi_major,
                             " (manifest), host expects ", RAPPORT_PLUGIN_ABI_MAJOR));
      continue;
    }
    if (by_name.count(p->name)) {
      Refuse(p, absl::StrCat(p->file, ": duplicate module name '", p->name, "'"));
      continue;
    }
    by_name[p->name] = p;
    if (auto it = options_.config.find(p->name); it != options_.config.end())
      p->config_json = it->second;
  }
  // 2. Dependency order (depth-first; missing or refused dependencies and
  // cycles refused, each naming the cause).
  auto refused_because = [](const std::string& dep, const Plugin& d) {
    return absl::StrCat("requires module '", dep, "', which was refused (", d.info.last_error(),
                        ")");
  };
  std::vector<Plugin*> order;
  enum class Mark { kNew, kVisiting, kOrdered, kRefused };
  std::map<std::string, Mark> mark;
  std::vector<Plugin*> path;  // the modules being visited, outermost first
  std::function<void(Plugin*)> visit = [&](Plugin* p) {
    mark[p->name] = Mark::kVisiting;
    path.push_back(p);
    for (const auto& dep : p->manifest.requires_modules) {
      // Refused meanwhile as part of a cycle found deeper down.
      if (mark[p->name] == Mark::kRefused) break;
      auto it = by_name.find(dep);
      if (it == by_name.end()) {
        // Not in the directory, or refused in step 1 (bad manifest, ...).
        auto listed = std::find_if(plugins_.begin(), plugins_.end(),
                                   [&](const auto& q) { return q->name == dep; });
        Refuse(p, absl::StrCat(p->file, ": ",
                               listed != plugins_.end()
                                   ? refused_because(dep, **listed)
                                   : absl::StrCat("requires module '", dep,
                                                  "', which is not in the plugin directory")));
        mark[p->name] = Mark::kRefused;
        break;
      }
      if (auto wanted = p->manifest.requires_versions.find(dep);
          wanted != p->manifest.requires_versions.end()) {
        // Both parsed when the manifests were read.
        auto range = VersionRange::Parse(wanted->second);
        auto found = ParseVersion(it->second->manifest.version);
        if (!range.ok() || !found.ok() || !range->Contains(*found)) {
          Refuse(p, absl::StrCat(p->file, ": requires module '", dep, "' version ", wanted->second,
                                 ", but the plugin directory has ", it->second->manifest.version));
          mark[p->name] = Mark::kRefused;
          break;
        }
      }
      if (mark[dep] == Mark::kNew) visit(it->second);
      if (mark[dep] == Mark::kVisiting) {
        // path from `dep` to `p`, then back to `dep`: each member of the
        // cycle is refused with the cycle as seen from itself.
        auto first = std::find(path.begin(), path.end(), it->second);
        std::vector<Plugin*> cycle(first, path.end());
        for (size_t i = 0; i < cycle.size(); ++i) {
          std::string names;
          for (size_t j = 0; j <= cycle.size(); ++j) {
            absl::StrAppend(&names, j ? " -> " : "", cycle[(i + j) % cycle.size()]->name);
          }
          Refuse(cycle[i], absl::StrCat(cycle[i]->file, ": dependency cycle: ", names));
          mark[cycle[i]->name] = Mark::kRefused;
        }
        break;
      }
      if (mark[dep] == Mark::kRefused) {
        if (mark[p->name] != Mark::kRefused) {
          Refuse(p, absl::StrCat(p->file, ": ", refused_because(dep, *it->second)));
          mark[p->name] = Mark::kRefused;
        }
        break;
      }
    }
    path.pop_back();
    if (mark[p->name] == Mark::kVisiting) {
      mark[p->name] = Mark::kOrdered;
      order.push_back(p);
    }
  };
  for (auto& [name, p] : by_name) {
    if (mark[name] == Mark::kNew) visit(p);
  }
  // 3. Open and initialise, dependencies first.
  for (Plugin* p : order) {
    if (p->info.state() == "refused") continue;
    bool deps_ok = true;
    for (const auto& dep : p->manifest.requires_modules) {
      if (!IsLoaded(dep)) {
        Refuse(p, absl::StrCat(p->file, ": ", refused_because(dep, *by_name.at(dep))));
        deps_ok = false;
        break;
      }
    }
    if (!deps_ok) continue;
    const rapport_plugin_info* info =
        p->manifest.isolation_process ? LaunchRemote(p) : OpenInProcess(p);
    if (info == nullptr) continue;
    if (info->abi_major != RAPPORT_PLUGIN_ABI_MAJOR) {
      Refuse(p,
             absl::StrCat(p->file, ": built for plugin ABI ", info->abi_major, ".", info->abi_minor,
                          ", host expects ABI ", RAPPORT_PLUGIN_ABI_MAJOR, ".x"));
      continue;
    }
    if (info->name == nullptr || p->name != info->name) {
      Refuse(p, absl::StrCat(p->file, ": binary says its name is '", info->name ? info->name : "",
                             "', the manifest '", p->name, "'"));
      continue;
    }
    p->entry = info;
    p->info.set_abi_major(info->abi_major);
    p->info.set_abi_minor(info->abi_minor);
    p->info.set_build_info(info->build_info ? info->build_info : "");
    HostBuffer error;
    p->initialising = true;
    int rc = Guarded(error, [&] {
      return info->init(internal::HostApiTable(), reinterpret_cast<rapport_host_ctx*>(p), &p->state,
                        &error.buffer);
    });
    p->initialising = false;
    if (rc == RAPPORT_OK && !p->registration_error.empty()) {
      // The plugin went on after the host refused one of its hooks or
      // methods: it would run without them, so it does not run at all.
      rc = RAPPORT_INVALID_ARGUMENT;
      error.data = p->registration_error;
    }
    if (rc != RAPPORT_OK) {
      for (auto it = methods_.begin(); it != methods_.end();) {
        it = it->second == p ? methods_.erase(it) : std::next(it);
      }
      p->hooks.clear();
      p->remote.reset();  // ends its process
      Refuse(p, absl::StrCat(p->file,
                             ": init failed: ", error.data.empty() ? "no message" : error.data));
      continue;
    }
    p->loaded = true;
    p->info.set_state("loaded");
    spdlog::info("msg=\"plugin loaded\" name={} version={} file={} hooks={} methods={}", p->name,
                 LogValue(p->manifest.version), LogValue(p->file), p->hooks.size(),
                 p->methods_registered.size());
  }
}

}  // namespace rapport::plugin_host
