// File: tools/rapportctl/connection.h
//
// rapportctl's global flags and its one channel to rapportd. Every command
// makes its calls with a context from Call(), which carries the bearer
// token, the origin and the per-call deadline.
#ifndef RAPPORT_TOOLS_RAPPORTCTL_CONNECTION_H_
#define RAPPORT_TOOLS_RAPPORTCTL_CONNECTION_H_

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "grpcpp/grpcpp.h"

namespace rapport::ctl {

// The global flags (they go before the command).
struct Globals {
  std::string server = "127.0.0.1:7700";
  std::string token;
  std::string token_file;
  std::string tls_ca, tls_cert, tls_key;
  std::string origin;
  std::string output = "table";
  bool output_set = false;  // --output was given (not the default)
  double timeout_s = 30;
  std::string time_zone = "Asia/Seoul";  // human_text.h
};

extern Globals g;
// Set by OpenChannel().
extern std::shared_ptr<grpc::Channel> channel;

// Adds --server, --token-file, --tls-*, --origin, --output/-o, --timeout,
// --time-zone.
void AddGlobalOptions(CLI::App& app);

// --token-file, else $RAPPORT_TOKEN, else $RAPPORT_TOKEN_FILE, else
// ./data/admin.token, into g.token. 0, or 2 (usage) when there is none.
int ResolveToken();

// Plaintext, or TLS with --tls-ca (and mutual with --tls-cert/--tls-key).
// 0, or 2 when the TLS flags are unusable.
int OpenChannel();

// A context for one call: token, origin and deadline (--timeout).
std::unique_ptr<grpc::ClientContext> Call();

}  // namespace rapport::ctl

#endif  // RAPPORT_TOOLS_RAPPORTCTL_CONNECTION_H_
