// File: bench/suite/bench_server.h
//
// The gRPC server processes of the baselines B0 (echo) and B3 (a service on
// PostgreSQL), both `rapport_bench --serve-...` children of the driver:
//   - ServeUntilStdinCloses, in the child: serves one service built like
//     rapportd's server (sync service, rapportd's idle-thread count from
//     services/server/grpc_threads.h, health checking and reflection on,
//     the same message size limits) on 127.0.0.1 and an ephemeral port,
//     prints "NAME listening on ADDRESS", and stops when stdin closes (so it
//     never outlives the driver);
//   - BenchServer, in the driver: spawns such a child, reads its address,
//     and hands out channels to it (four, round robin, as for rapportd).
#ifndef RAPPORT_BENCH_SUITE_BENCH_SERVER_H_
#define RAPPORT_BENCH_SUITE_BENCH_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/suite/bench.h"
#include "bench/suite/process.h"
#include "grpcpp/grpcpp.h"

namespace rapport::bench {

// Returns the process's exit code.
int ServeUntilStdinCloses(grpc::Service* service, const std::string& name, int max_message_bytes,
                          int grpc_max_pollers);

class BenchServer {
 public:
  // Runs `config.self_exe` with `flags` plus the message size and poller
  // flags; its log goes to WORK_DIR/NAME.log.
  static absl::StatusOr<BenchServer> Spawn(const SystemConfig& config, const std::string& name,
                                           const std::vector<std::string>& flags);
  std::shared_ptr<grpc::Channel> NextChannel();
  pid_t pid() const { return child_.pid(); }
  // Closes its stdin and waits for it to exit.
  void Stop();

 private:
  ChildProcess child_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  size_t next_ = 0;
};

}  // namespace rapport::bench

#endif  // RAPPORT_BENCH_SUITE_BENCH_SERVER_H_
