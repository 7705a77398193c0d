// File: bench/suite/bench_server.cc
#include "bench/suite/bench_server.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/server/grpc_threads.h"

namespace rapport::bench {

int ServeUntilStdinCloses(grpc::Service* service, const std::string& name, int max_message_bytes,
                          int grpc_max_pollers) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as rapportd_main.cc
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(max_message_bytes);
  builder.SetMaxSendMessageSize(max_message_bytes);
  services::GrpcThreadOptions threads;
  threads.max_pollers = grpc_max_pollers;
  services::ApplyGrpcThreadOptions(threads, builder);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "%s: cannot listen\n", name.c_str());
    return 1;
  }
  std::printf("%s listening on 127.0.0.1:%d\n", name.c_str(), port);
  std::fflush(stdout);
  char buf[256];
  while (read(0, buf, sizeof buf) > 0) {
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return 0;
}

absl::StatusOr<BenchServer> BenchServer::Spawn(const SystemConfig& config, const std::string& name,
                                               const std::vector<std::string>& flags) {
  SpawnOptions spawn;
  spawn.pipe_stdin = true;
  spawn.pipe_stdout = true;
  spawn.log_file = absl::StrCat(config.work_dir, "/", name, ".log");
  std::vector<std::string> argv = {config.self_exe};
  argv.insert(argv.end(), flags.begin(), flags.end());
  for (const std::string& flag :
       {std::string("--max-message-bytes"), std::to_string(config.max_message_bytes),
        std::string("--grpc-max-pollers"), std::to_string(config.grpc_max_pollers)}) {
    argv.push_back(flag);
  }
  auto child = ChildProcess::Spawn(argv, spawn);
  if (!child.ok()) return child.status();
  BenchServer server;
  server.child_ = std::move(*child);
  auto line = server.child_.ReadLine(60000);
  if (!line.ok()) return line.status();
  const std::string prefix = name + " listening on ";
  if (line->rfind(prefix, 0) != 0) {
    return absl::InternalError(
        absl::StrCat(name, " server: ", *line, " (see ", spawn.log_file, ")"));
  }
  const std::string address = line->substr(prefix.size());
  for (int i = 0; i < 4; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("rapport.bench.channel", i);
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    server.channels_.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return server;
}

std::shared_ptr<grpc::Channel> BenchServer::NextChannel() {
  return channels_[next_++ % channels_.size()];
}

void BenchServer::Stop() {
  channels_.clear();
  child_.CloseStdin();
  child_.Wait(30000);
}

}  // namespace rapport::bench
