#include "services/plugins/plugin_rpc_server.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/byte_buffer.h"
#include "services/common/call_context.h"

namespace rapport::services {

namespace {

constexpr char kRequestIdHeader[] = "x-request-id";

}  // namespace

// One plugin call's life on the completion queue: requested -> request read
// -> answered -> done. Each step's tag is the Call itself. A streaming
// method runs on a thread of its own (Stream), which writes its responses
// one at a time: each write's completion (kStreaming) wakes it for the next.
//
// Cancellation: gRPC's IsCancelled may be asked of an async call only after
// an AsyncNotifyWhenDone tag has come back, whose delivery order and
// shutdown behaviour gRPC leaves loose (issues 10136, 36065). So a handler's
// Cancelled() is answered from what this server knows for sure: the deadline
// has passed, a stream's write failed (the client is gone), or the server is
// stopping.
class PluginRpcServer::Call {
 public:
  Call(PluginRpcServer* server) : server_(server), stream_(&context_) {
    server_->service_.RequestCall(&context_, &stream_, server_->cq_.get(), server_->cq_.get(),
                                  this);
  }

  // Advances on a completion. Returns false when the Call is finished and
  // must be deleted.
  bool Proceed(bool ok) {
    switch (state_) {
      case State::kRequested:
        if (!ok) return false;  // shutting down
        // Keep one call requested at all times, but never on a queue that is
        // shutting down (a call matched just before the server's shutdown
        // can be processed after it).
        server_->RequestNext();
        state_ = State::kReading;
        stream_.Read(&request_, this);
        return true;
      case State::kReading:
        if (!ok) {
          state_ = State::kFinishing;
          stream_.Finish(
              grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "expected one request message"),
              this);
          return true;
        }
        Answer();
        return true;
      case State::kStreaming: {
        std::lock_guard<std::mutex> lock(write_mu_);
        write_done_ = true;
        write_ok_ = ok;
        write_cv_.notify_all();
        return true;
      }
      case State::kFinishing:
        return false;
    }
    return false;
  }

 private:
  enum class State { kRequested, kReading, kStreaming, kFinishing };

  void Answer() {
    const std::string method = context_.method();
    const ServiceDeps& deps = server_->deps_;
    if (deps.plugins == nullptr || !deps.plugins->Handles(method)) {
      state_ = State::kFinishing;
      stream_.Finish(
          grpc::Status(grpc::StatusCode::UNIMPLEMENTED, absl::StrCat("unknown method ", method)),
          this);
      return;
    }
    FillRpc();
    if (deps.plugins->IsStreaming(method)) {
      if (!server_->BeginStream()) {
        state_ = State::kFinishing;
        stream_.Finish(
            grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                         absl::StrCat("too many plugin streams at once (", server_->max_streams_,
                                      ", --plugin-max-streams); retry later")),
            this);
        return;
      }
      state_ = State::kStreaming;
      std::thread([this, method] { Stream(method); }).detach();
      return;
    }
    const std::string request = Flatten(request_);
    std::string response;
    grpc::Status status =
        Handle(deps, &context_, "plugin", method.c_str(), [&](const Caller& caller) {
          RequestContext ctx = caller.ctx;
          ctx.request_id = request_id_;
          auto result = deps.plugins->Invoke(ctx, method, request, &rpc_);
          if (!result.ok()) return result.status();
          response = std::move(*result);
          return absl::OkStatus();
        });
    state_ = State::kFinishing;
    if (!status.ok()) {
      stream_.Finish(status, this);
      return;
    }
    response_ = ToByteBuffer(response);
    stream_.WriteAndFinish(response_, grpc::WriteOptions(), grpc::Status::OK, this);
  }

  // The deadline, cancellation and metadata the handler may ask for.
  void FillRpc() {
    const auto deadline = context_.deadline();
    if (deadline < std::chrono::system_clock::time_point::max() - std::chrono::hours(24 * 365)) {
      rpc_.deadline = absl::FromChrono(deadline);
    }
    rpc_.cancelled = [this] {
      if (server_->stopping_.load()) return true;
      if (absl::Now() >= rpc_.deadline) return true;
      std::lock_guard<std::mutex> lock(write_mu_);
      return !write_ok_;
    };
    for (const auto& [key, value] : context_.client_metadata()) {
      std::string k(key.data(), key.size());
      if (k == kRequestIdHeader) request_id_.assign(value.data(), value.size());
      if (k == "authorization") continue;  // the token stays with the host
      if (k == kHttpPeerHeader) continue;  // so does the gateway's secret
      rpc_.metadata.emplace_back(std::move(k), std::string(value.data(), value.size()));
    }
  }

  // On the stream's own thread: runs the method, then finishes the call.
  void Stream(const std::string& method) {
    const ServiceDeps& deps = server_->deps_;
    const std::string request = Flatten(request_);
    rpc_.send = [this](const std::string& message) { return Write(message); };
    grpc::Status status =
        Handle(deps, &context_, "plugin", method.c_str(), [&](const Caller& caller) {
          RequestContext ctx = caller.ctx;
          ctx.request_id = request_id_;
          return deps.plugins->InvokeStream(ctx, method, request, rpc_);
        });
    PluginRpcServer* server = server_;
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      state_ = State::kFinishing;
    }
    stream_.Finish(status, this);  // `this` may be deleted from here on
    server->EndStream();
  }

  // Writes one response and waits for it: false once the caller is gone.
  bool Write(const std::string& message) {
    grpc::ByteBuffer buffer = ToByteBuffer(message);
    std::unique_lock<std::mutex> lock(write_mu_);
    if (!write_ok_) return false;
    write_done_ = false;
    stream_.Write(buffer, this);
    write_cv_.wait(lock, [this] { return write_done_; });
    return write_ok_;
  }

  PluginRpcServer* server_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ByteBuffer request_, response_;
  State state_ = State::kRequested;
  plugin_host::RpcContext rpc_;
  std::string request_id_;
  // A stream's write in flight (kStreaming).
  std::mutex write_mu_;
  std::condition_variable write_cv_;
  bool write_done_ = true;
  bool write_ok_ = true;
};

PluginRpcServer::PluginRpcServer(ServiceDeps deps, int threads, int max_streams)
    : deps_(deps), threads_(threads < 1 ? 1 : threads), max_streams_(max_streams) {}

bool PluginRpcServer::BeginStream() {
  std::lock_guard<std::mutex> lock(streams_mu_);
  if (streams_ >= max_streams_) return false;
  ++streams_;
  return true;
}

void PluginRpcServer::EndStream() {
  std::lock_guard<std::mutex> lock(streams_mu_);
  --streams_;
  streams_cv_.notify_all();
}

PluginRpcServer::~PluginRpcServer() { Shutdown(); }

void PluginRpcServer::Register(grpc::ServerBuilder* builder) {
  builder->RegisterAsyncGenericService(&service_);
  cq_ = builder->AddCompletionQueue();
}

void PluginRpcServer::Start() {
  if (cq_ == nullptr || started_) return;
  started_ = true;
  for (int i = 0; i < threads_; ++i) RequestNext();
  for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { Serve(); });
}

void PluginRpcServer::RequestNext() {
  std::lock_guard<std::mutex> lock(request_mu_);
  if (shutting_down_) return;
  new Call(this);  // requests a call; deletes itself when done
}

void PluginRpcServer::Serve() {
  void* tag;
  bool ok;
  while (cq_->Next(&tag, &ok)) {
    auto* call = static_cast<Call*>(tag);
    if (!call->Proceed(ok)) delete call;
  }
}

void PluginRpcServer::Shutdown() {
  if (shut_down_ || cq_ == nullptr) return;
  shut_down_ = true;
  stopping_.store(true);
  {
    // Streams finish their calls on the queue: wait for them first (the
    // server's shutdown has cancelled their calls, so their writes fail).
    std::unique_lock<std::mutex> lock(streams_mu_);
    streams_cv_.wait(lock, [this] { return streams_ == 0; });
  }
  {
    // No new RequestCall may start once the queue is being shut down.
    std::lock_guard<std::mutex> lock(request_mu_);
    shutting_down_ = true;
  }
  cq_->Shutdown();  // the server has been shut down: pending calls complete with !ok
  if (!started_) {
    void* tag;
    bool ok;
    while (cq_->Next(&tag, &ok)) {
    }
  }
  for (auto& t : workers_) t.join();
}

}  // namespace rapport::services
