// rapportd: the Rapport CRM server.
//
//   rapportd --data-dir ./data --listen 127.0.0.1:7700 [--sync] [--config rapportd.toml]
//
// Logs are logfmt lines on stderr (ts=... level=... msg="..." key=value).
// SIGTERM/SIGINT: stop accepting calls, finish in-flight ones (up to
// --shutdown-grace seconds), flush and close RocksDB, exit 0.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "core/common/logfmt.h"
#include "services/server/server.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, so every absl::Mutex (gRPC's among
  // them) would run deadlock detection on each lock: ~2% of a get's CPU
  // (docs/performance.md, finding 2).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  rapport::services::ServerOptions options;
  bool sync = false;
  double shutdown_grace = 10;
  int64_t block_cache_mib = 128;
  int64_t memtable_mib = 64;
  int64_t min_free_disk_mib = 256;
  CLI::App app{"rapportd: the Rapport CRM core server (gRPC over RocksDB)"};
  app.set_config("--config", "", "TOML/INI file with the same options as the flags");
  app.add_option("--listen", options.listen_address, "host:port to serve gRPC on (port 0: any)")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "RocksDB data directory (created if missing)")
      ->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_address,
                 "host:port for Prometheus GET /metrics over HTTP, unauthenticated: keep it on "
                 "localhost or a monitoring network (port 0: any; default: off)");
  app.add_option("--http-listen", options.http_address,
                 "host:port for HTTP/JSON (the Connect protocol) to every method, with the same "
                 "bearer tokens; plain HTTP: keep it on localhost or behind a TLS proxy "
                 "(port 0: any; default: off)");
  app.add_option("--http-threads", options.http_threads,
                 "HTTP worker threads; each open HTTP connection holds one (a stream for its "
                 "whole life), and at most this minus 2 streams run at once")
      ->capture_default_str()
      ->check(CLI::Range(3, 1024));
  app.add_option("--console-dir", options.console_dir,
                 "serve the web console built in this directory (BUILD/console, made by "
                 "scripts/build) at /console/ on the --http-listen address (default: off)");
  double http_stream_seconds = 300;
  app.add_option("--http-stream-seconds", http_stream_seconds,
                 "longest an HTTP streaming call (the change feed) runs before it ends with "
                 "deadline_exceeded and the client resumes from its cursor")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  app.add_flag("--sync", sync,
               "fsync the WAL before acknowledging each write (survives power loss; slower)");
  app.add_option("--default-region", options.store.validation.default_region,
                 "ISO 3166 region for reading national phone numbers")
      ->capture_default_str();
  app.add_option("--max-message-bytes", options.max_message_bytes,
                 "largest request/response message")
      ->capture_default_str()
      ->check(CLI::Range(1024, 64 << 20));
  app.add_option("--unindexed-scan-limit", options.store.unindexed_scan_limit,
                 "largest tenant (records of a type) for which an unindexed filter is answered")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--block-cache-mib", block_cache_mib, "RocksDB block cache size")
      ->capture_default_str()
      ->check(CLI::Range(8, 1 << 20));
  app.add_option("--memtable-mib", memtable_mib,
                 "all write buffers together, counted inside the block cache (0: uncapped)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--min-free-disk-mib", min_free_disk_mib,
                 "free space kept on the data directory's disk: below it, writes fail with "
                 "RESOURCE_EXHAUSTED until space returns (0: none; RocksDB must not fill the "
                 "disk, docs/operations.md)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  app.add_option("--grpc-min-pollers", options.grpc_threads.min_pollers,
                 "gRPC handler threads that always wait for calls")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--grpc-max-pollers", options.grpc_threads.max_pollers,
                 "most idle gRPC handler threads kept; beyond it a thread exits after its call "
                 "(set it to about the number of concurrent calls)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--shutdown-grace", shutdown_grace, "seconds in-flight calls get on shutdown")
      ->capture_default_str();
  app.add_option("--bootstrap-tenant", options.bootstrap_tenant,
                 "tenant created on the first start, with an admin token in DATA_DIR/admin.token")
      ->capture_default_str();
  app.add_option("--tls-cert", options.tls_cert_file, "PEM certificate chain: serve TLS");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key for --tls-cert");
  app.add_option("--tls-client-ca", options.tls_client_ca_file,
                 "PEM CA bundle: require client certificates signed by it (mutual TLS)");
  double retention_hours = 24 * 7;
  app.add_option("--feed-retention-hours", retention_hours,
                 "keep change-feed events this long (consumers further behind get OUT_OF_RANGE)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--feed-retention-events", options.retention.max_events_per_tenant,
                 "keep at most this many change-feed events per tenant")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  double prune_seconds = 60;
  app.add_option("--feed-prune-interval-seconds", prune_seconds,
                 "how often retention removes expired change-feed events")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--max-subscribers", options.max_subscribers, "concurrent Subscribe streams")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--auth-failures-per-peer", options.auth_failures.max_failures_per_peer,
                 "failed authentications per client address per minute before further "
                 "failures get RESOURCE_EXHAUSTED (and are no longer audited)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--auth-failures-per-token", options.auth_failures.max_failures_per_token,
                 "failed authentications per token id per minute, likewise")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--plugin-rpc-threads", options.plugin_rpc_threads,
                 "threads running plugin RPC methods, so this many plugin calls run at once "
                 "(0: four per hardware thread)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--plugin-max-streams", options.plugin_max_streams,
                 "server-streaming plugin methods running at once, each on its own thread; "
                 "more are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  std::string plugin_config_file;
  app.add_option("--plugin-dir", options.plugins.plugin_dir,
                 "load every NAME.so with NAME.manifest.json from this directory");
  app.add_option("--plugin-config", plugin_config_file,
                 "JSON file {\"module\": {config...}} handed to each plugin");
  app.add_option("--dead-letter-after", options.plugins.dead_letter_after,
                 "post-commit hook attempts before an event is dead-lettered")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--plugin-conflict-retries", options.plugins.max_conflict_retries,
                 "times a plugin method runs again when the keyspace values it read changed "
                 "before it could commit; then it fails with ABORTED")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_option("--plugin-max-timers", options.plugins.max_timers,
                 "pending durable timers one module may hold per tenant; past it scheduling "
                 "is RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  // Beside rapportd by default (the build tree and an install put them
  // together).
  {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec)
      options.plugins.plugin_runner = (self.parent_path() / "rapport-plugin-runner").string();
  }
  app.add_option("--plugin-runner", options.plugins.plugin_runner,
                 "the rapport-plugin-runner binary, for modules whose manifest says "
                 "\"isolation\": \"process\"")
      ->capture_default_str();
  int restart_max_ms = 10'000;
  app.add_option("--plugin-restart-max-ms", restart_max_ms,
                 "the longest wait before restarting a crashed out-of-process plugin (the wait "
                 "starts at 100 ms and doubles while it keeps crashing within 30 s)")
      ->capture_default_str()
      ->check(CLI::Range(100, 3'600'000));
  CLI11_PARSE(app, argc, argv);
  options.plugins.restart_backoff_max = absl::Milliseconds(restart_max_ms);
  if (!plugin_config_file.empty()) {
    auto configs = rapport::plugin_host::ReadPluginConfig(plugin_config_file);
    if (!configs.ok()) {
      std::fprintf(stderr, "%s\n", std::string(configs.status().message()).c_str());
      return 2;
    }
    options.plugins.config = *configs;
  }
  options.retention.max_age = absl::Seconds(retention_hours * 3600);
  options.prune_interval = absl::Seconds(prune_seconds);
  options.http_max_stream_duration = absl::Seconds(http_stream_seconds);
  options.sync = sync;
  options.block_cache_bytes = static_cast<size_t>(block_cache_mib) << 20;
  options.memtable_budget_bytes = static_cast<size_t>(memtable_mib) << 20;
  options.min_free_disk_bytes = static_cast<uint64_t>(min_free_disk_mib) << 20;

  auto logger = spdlog::stderr_logger_mt("rapportd");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);

  // Block the shutdown signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = rapport::services::RapportServer::Start(options);
  if (!server.ok()) {
    spdlog::error("msg=\"cannot start\" error={}", rapport::LogValue(server.status().ToString()));
    return 1;
  }
  const auto& migration = (*server)->store()->search_key_migration();
  if (migration.ran) {
    spdlog::info(
        "msg=\"search keys migrated\" from_version={} to_version={} records={} "
        "entries_removed={} entries_written={}",
        migration.from_version, rapport::records::kSearchKeyVersion, migration.records,
        migration.entries_removed, migration.entries_written);
  }
  const auto& bootstrap = (*server)->bootstrap();
  if (bootstrap.created) {
    spdlog::info("msg=\"bootstrap: created tenant and admin token\" tenant={} token_file={}",
                 rapport::LogValue(bootstrap.tenant), rapport::LogValue(bootstrap.token_path));
  }
  spdlog::info("msg=\"serving\" address={} data_dir={} sync={} tls={} mtls={}",
               rapport::LogValue((*server)->address()), rapport::LogValue(options.data_dir),
               options.sync, !options.tls_cert_file.empty(), !options.tls_client_ca_file.empty());
  // Machine-readable line for scripts and tests.
  std::printf("rapportd listening on %s\n", (*server)->address().c_str());
  if ((*server)->metrics_port() != 0) {
    const std::string& m = options.metrics_address;
    std::printf("metrics on http://%s:%d/metrics\n", m.substr(0, m.rfind(':')).c_str(),
                (*server)->metrics_port());
  }
  if ((*server)->http_port() != 0) {
    const std::string& h = options.http_address;
    const std::string host = h.substr(0, h.rfind(':'));
    std::printf("http on http://%s:%d/\n", host.c_str(), (*server)->http_port());
    if (!options.console_dir.empty()) {
      std::printf("console on http://%s:%d/console/\n", host.c_str(), (*server)->http_port());
    }
  }
  const std::string token_file = options.data_dir + "/admin.token";
  if (access(token_file.c_str(), F_OK) == 0)
    std::printf("admin token file: %s\n", token_file.c_str());
  std::fflush(stdout);

  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("msg=\"shutting down\" signal={} grace_s={}", signal, shutdown_grace);
    (*server)->Shutdown(absl::Seconds(shutdown_grace));
  });
  (*server)->Wait();
  waiter.join();
  (*server)->Shutdown();
  spdlog::info("msg=\"stopped cleanly\"");
  return 0;
}
