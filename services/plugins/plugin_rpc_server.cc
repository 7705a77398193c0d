#include "services/plugins/plugin_rpc_server.h"

#include "absl/strings/str_cat.h"
#include "services/common/call_context.h"

namespace rapport::services {

// One plugin call's life on the completion queue: requested -> request read
// -> answered -> done. Each step's tag is the Call itself.
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
        state_ = State::kFinishing;
        if (!ok) {
          stream_.Finish(
              grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "expected one request message"),
              this);
          return true;
        }
        Answer();
        return true;
      case State::kFinishing:
        return false;
    }
    return false;
  }

 private:
  enum class State { kRequested, kReading, kFinishing };

  void Answer() {
    const std::string method = context_.method();
    const ServiceDeps& deps = server_->deps_;
    if (deps.plugins == nullptr || !deps.plugins->Handles(method)) {
      stream_.Finish(
          grpc::Status(grpc::StatusCode::UNIMPLEMENTED, absl::StrCat("unknown method ", method)),
          this);
      return;
    }
    std::string request;
    std::vector<grpc::Slice> slices;
    if (request_.Dump(&slices).ok()) {
      for (const auto& s : slices)
        request.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    std::string response;
    grpc::Status status = Handle(deps, &context_, "plugin", method.c_str(),
                                 [&](const Caller& caller) -> absl::Status {
                                   auto result = deps.plugins->Invoke(caller.ctx, method, request);
                                   if (!result.ok()) return result.status();
                                   response = std::move(*result);
                                   return absl::OkStatus();
                                 });
    if (!status.ok()) {
      stream_.Finish(status, this);
      return;
    }
    grpc::Slice slice(response);
    response_ = grpc::ByteBuffer(&slice, 1);
    stream_.WriteAndFinish(response_, grpc::WriteOptions(), grpc::Status::OK, this);
  }

  PluginRpcServer* server_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ByteBuffer request_, response_;
  State state_ = State::kRequested;
};

PluginRpcServer::PluginRpcServer(ServiceDeps deps, int threads)
    : deps_(deps), threads_(threads < 1 ? 1 : threads) {}

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
