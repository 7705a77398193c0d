#include "services/connect/console_site.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace rapport::services::connect {
namespace {

// Only this origin: the bundle, its stylesheet and the API. Chart.js sets
// canvas sizes through element.style (CSSOM), which style-src does not
// govern; inline <style> and style="" attributes stay refused.
constexpr char kPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

}  // namespace

absl::Status ServeConsole(const std::string& dir, httplib::Server& http) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "index.html", error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--console-dir '", dir,
        "': no index.html there; build the console (scripts/build, or cmake --build BUILD "
        "--target rapport_console, which writes BUILD/console) or leave the flag out"));
  }
  // The headers go with the mount points (httplib adds them to GET and HEAD
  // answers alike). index.html names the bundles by content hash: it must be
  // fetched again after an upgrade, and the bundles never change. The
  // assets mount comes first: httplib serves from the first mount that
  // holds the file.
  const auto headers = [](const char* cache) {
    return httplib::Headers{{"Content-Security-Policy", kPolicy},
                            {"X-Content-Type-Options", "nosniff"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Cache-Control", cache}};
  };
  const std::string assets = (std::filesystem::path(dir) / "assets").string();
  if (std::filesystem::is_directory(assets, error) &&
      !http.set_mount_point(absl::StrCat(kConsolePath, "assets/"), assets,
                            headers("public, max-age=31536000, immutable"))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--console-dir '", dir, "': assets/ is not a readable directory"));
  }
  if (!http.set_mount_point(kConsolePath, dir, headers("no-cache"))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--console-dir '", dir, "': not a readable directory"));
  }
  http.Get("/console", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect(kConsolePath, 301);
  });
  return absl::OkStatus();
}

bool AnswerConsoleNotFound(const httplib::Request& request, bool served,
                           httplib::Response& response) {
  if (!absl::StartsWith(request.path, "/console")) return false;
  response.set_content(
      served ? absl::StrCat("no such console file: ", request.path, "\n")
             : "the console is not served here: rapportd runs without --console-dir\n",
      "text/plain; charset=utf-8");
  response.set_header("X-Content-Type-Options", "nosniff");
  return true;
}

}  // namespace rapport::services::connect
