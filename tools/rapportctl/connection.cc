#include "tools/rapportctl/connection.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rapport::ctl {

Globals g;
std::shared_ptr<grpc::Channel> channel;

namespace {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream content;
  content << in.rdbuf();
  std::string s = content.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

void AddGlobalOptions(CLI::App& app) {
  app.add_option("--server", g.server, "rapportd address")
      ->envname("RAPPORT_SERVER")
      ->capture_default_str();
  app.add_option("--token-file", g.token_file,
                 "file holding the API token (else $RAPPORT_TOKEN, $RAPPORT_TOKEN_FILE, "
                 "./data/admin.token)");
  app.add_option("--tls-ca", g.tls_ca, "PEM CA to verify the server: use TLS");
  app.add_option("--tls-cert", g.tls_cert, "PEM client certificate (mutual TLS)");
  app.add_option("--tls-key", g.tls_key, "PEM client key (mutual TLS)");
  app.add_option("--origin", g.origin, "integration name recorded on writes (x-rapport-origin)");
  app.add_option("--output,-o", g.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", g.timeout_s, "seconds per call")->capture_default_str();
  app.add_option("--time-zone", g.time_zone,
                 "IANA time zone times are shown in (-o table; JSON keeps UTC)")
      ->capture_default_str();
}

int ResolveToken() {
  std::string source;
  if (!g.token_file.empty()) {
    g.token = ReadFileOrEmpty(g.token_file);
    source = g.token_file;
  } else if (const char* env = std::getenv("RAPPORT_TOKEN"); env && *env) {
    g.token = env;
    source = "$RAPPORT_TOKEN";
  } else if (const char* file = std::getenv("RAPPORT_TOKEN_FILE"); file && *file) {
    g.token = ReadFileOrEmpty(file);
    source = file;
  } else {
    g.token = ReadFileOrEmpty("data/admin.token");
    source = "data/admin.token";
  }
  if (g.token.empty()) {
    std::cerr << "error: no API token: pass --token-file FILE or set RAPPORT_TOKEN (tried "
              << source << ")\n";
    return 2;
  }
  return 0;
}

int OpenChannel() {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (g.tls_cert.empty() != g.tls_key.empty()) {
    std::cerr << "error: --tls-cert and --tls-key go together\n";
    return 2;
  }
  if (!g.tls_ca.empty() || !g.tls_cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFileOrEmpty(g.tls_ca);
    if (!g.tls_cert.empty()) {
      ssl.pem_cert_chain = ReadFileOrEmpty(g.tls_cert);
      ssl.pem_private_key = ReadFileOrEmpty(g.tls_key);
      if (ssl.pem_cert_chain.empty() || ssl.pem_private_key.empty()) {
        std::cerr << "error: --tls-cert and --tls-key must both name readable PEM files\n";
        return 2;
      }
    }
    if (!g.tls_ca.empty() && ssl.pem_root_certs.empty()) {
      std::cerr << "error: cannot read --tls-ca " << g.tls_ca << "\n";
      return 2;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  channel = grpc::CreateChannel(g.server, credentials);
  return 0;
}

std::unique_ptr<grpc::ClientContext> Call() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + g.token);
  if (!g.origin.empty()) ctx->AddMetadata("x-rapport-origin", g.origin);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(g.timeout_s * 1000)));
  return ctx;
}

}  // namespace rapport::ctl
