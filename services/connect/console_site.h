// File: services/connect/console_site.h
//
// The web console (console/, docs/console.md) on the HTTP/JSON listener:
// the files vite built into a directory, served at /console/ from the same
// origin as the API they call, so the page needs no CORS and its token goes
// to no other host.
//
//   GET /console           -> 301 /console/
//   GET /console/          -> index.html (Cache-Control: no-cache)
//   GET /console/assets/…  -> content-hashed bundles (cached for a year)
//
// Every file carries a Content-Security-Policy that allows only this origin
// (scripts, styles, fetches, images), no framing and no sniffing; the page
// loads nothing from the internet.
#ifndef RAPPORT_SERVICES_CONNECT_CONSOLE_SITE_H_
#define RAPPORT_SERVICES_CONNECT_CONSOLE_SITE_H_

#include <string>

#include "absl/status/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace rapport::services::connect {

// The URL path the console is served under.
inline constexpr char kConsolePath[] = "/console/";

// Serves `dir` at /console/ on `http`. INVALID_ARGUMENT (naming
// --console-dir) if `dir` has no index.html: a console directory that was
// never built is a mistake to report at start, not a 404 to find later.
absl::Status ServeConsole(const std::string& dir, httplib::Server& http);

// For the listener's 404s: if `request` is for a console path, answers it
// as plain text (no such console file, or no console served here when
// `served` is false) and returns true; otherwise leaves it alone.
bool AnswerConsoleNotFound(const httplib::Request& request, bool served,
                           httplib::Response& response);

}  // namespace rapport::services::connect

#endif  // RAPPORT_SERVICES_CONNECT_CONSOLE_SITE_H_
