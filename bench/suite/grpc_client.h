// A benchmark's gRPC client of one rapportd: `channels` distinct
// connections (so client threads do not share one HTTP/2 connection) and
// contexts carrying the bearer token. Used by sfa_bench and voc_bench.
#ifndef RAPPORT_BENCH_SUITE_GRPC_CLIENT_H_
#define RAPPORT_BENCH_SUITE_GRPC_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace rapport::bench {

class Client {
 public:
  Client(const std::string& address, const std::string& token, int channels)
      : bearer_("Bearer " + token) {
    for (int i = 0; i < channels; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("rapport.bench.channel", i);  // distinct channels, distinct connections
      args.SetMaxReceiveMessageSize(-1);
      args.SetMaxSendMessageSize(-1);
      channels_.push_back(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    }
  }
  std::unique_ptr<grpc::ClientContext> Context(int seconds = 120) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", bearer_);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return ctx;
  }
  const std::shared_ptr<grpc::Channel>& channel(size_t i) const {
    return channels_[i % channels_.size()];
  }

 private:
  std::string bearer_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace rapport::bench

#endif  // RAPPORT_BENCH_SUITE_GRPC_CLIENT_H_
