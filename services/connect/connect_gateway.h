// File: services/connect/connect_gateway.h
//
// HTTP/JSON for every method: an HTTP/1.1 listener that speaks the Connect
// protocol (https://connectrpc.com/docs/protocol) and hands each call to the
// server's own gRPC stack through an in-process channel, so authentication,
// access rules, interceptors, metrics and the module gate are the same code
// on both paths.
//
//   POST /rapport.v1.CustomerService/CreateCustomer
//   Authorization: Bearer rpt_…
//   Content-Type: application/json
//   {"customer": {"displayName": "김민준"}}
//
// Unary methods take application/json (proto3 JSON) or application/proto
// and answer 200 with the response, or the Connect error JSON with the HTTP
// status of its code (services/connect/connect_protocol.h). Server-streaming
// methods (the change feed, exports, plugin streams) take
// application/connect+json or +proto: one enveloped request, enveloped
// responses, then the end-of-stream message carrying any error. Client and
// bidirectional streaming need HTTP/2 and stay gRPC-only (unimplemented).
//
// Request headers become call metadata (authorization, x-rapport-origin, …;
// "-bin" headers are base64), except hop-by-hop and protocol headers; the
// client's address travels as x-rapport-http-peer, which the server trusts
// only on in-process calls (services/common/call_context.h).
//
// cpp-httplib (Debian's libcpp-httplib-dev) serves HTTP: a thread pool,
// keep-alive, chunked responses for streams and a body limit, in one small
// library; libmicrohttpd and civetweb are C callback state machines that
// would need more code of ours around them, Boost.Beast an asio stack.
#ifndef RAPPORT_SERVICES_CONNECT_CONNECT_GATEWAY_H_
#define RAPPORT_SERVICES_CONNECT_CONNECT_GATEWAY_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "services/connect/json_transcoder.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace rapport::services::connect {

struct ConnectGatewayOptions {
  // host:port; port 0 picks a free one (ConnectGateway::port()).
  std::string address;
  // Larger request bodies are refused (413, resource_exhausted), counted
  // after decompression and for chunked bodies too.
  size_t max_body_bytes = 4 << 20;
  // HTTP worker threads. Each open connection holds one (an idle keep-alive
  // connection for up to 2 s); at most threads - 2 streaming calls run at
  // once, so streams alone cannot take every thread.
  int threads = 16;
  // A streaming call ends (deadline_exceeded) after this long, or sooner
  // if Connect-Timeout-Ms says so: HTTP/1.1 gives no reliable sign that an
  // idle client went away, so an abandoned stream is bounded by this.
  // Change-feed clients resume from their cursor.
  absl::Duration max_stream_duration = absl::Minutes(5);
  // The built web console to serve at /console/ (console_site.h); empty:
  // none.
  std::string console_dir;
};

class ConnectGateway {
 public:
  // Listens and serves until destroyed. `channel` is the server's
  // in-process channel; `transcoder` says which methods exist.
  static absl::StatusOr<std::unique_ptr<ConnectGateway>> Start(
      const ConnectGatewayOptions& options, std::shared_ptr<grpc::Channel> channel,
      std::unique_ptr<JsonTranscoder> transcoder);
  ~ConnectGateway();

  ConnectGateway(const ConnectGateway&) = delete;
  ConnectGateway& operator=(const ConnectGateway&) = delete;

  int port() const { return port_; }
  // Ends open streams (canceled) and stops listening; waits for handlers.
  void Stop();

 private:
  struct StreamCall;
  ConnectGateway(const ConnectGatewayOptions& options, std::shared_ptr<grpc::Channel> channel,
                 std::unique_ptr<JsonTranscoder> transcoder);
  void Handle(const httplib::Request& request, std::string body, httplib::Response& response);
  void RunStream(StreamCall& call, const std::function<bool(const std::string&)>& write,
                 const std::function<bool()>& writable);

  const ConnectGatewayOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<JsonTranscoder> transcoder_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::unique_ptr<httplib::Server> http_;
  std::thread listener_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> streams_{0};
};

}  // namespace rapport::services::connect

#endif  // RAPPORT_SERVICES_CONNECT_CONNECT_GATEWAY_H_
