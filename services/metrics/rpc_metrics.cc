#include "services/metrics/rpc_metrics.h"

#include <atomic>
#include <chrono>
#include <utility>

#include "absl/time/time.h"

namespace rapport::services {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Counts the call once, with the status the server sends (for a call the
// client cancelled or whose deadline passed, that is still the handler's
// status), or, for a call destroyed without sending one, as CANCELLED.
// Times on the steady clock, so a step of the system clock cannot make a
// negative duration.
class RpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RpcMetricsInterceptor(RpcMetrics::Method* method)
      : method_(method), start_(std::chrono::steady_clock::now()) {}
  ~RpcMetricsInterceptor() override { Count(grpc::StatusCode::CANCELLED); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Count(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Count(grpc::StatusCode code) {
    // Batches of one call may be intercepted on different threads.
    if (counted_.exchange(true)) return;
    const int c = static_cast<int>(code);
    method_->codes[c >= 0 && c <= 16 ? c : 2].fetch_add(1, std::memory_order_relaxed);
    method_->latency.Observe(absl::FromChrono(std::chrono::steady_clock::now() - start_));
  }

  RpcMetrics::Method* method_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> counted_{false};
};

class RpcMetricsFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsFactory(RpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcMetricsInterceptor(metrics_->Find(info->method() ? info->method() : ""));
  }

 private:
  RpcMetrics* metrics_;
};

}  // namespace

RpcMetrics::RpcMetrics(const std::map<std::string, std::string>& methods) {
  unknown_.service = "unknown";
  unknown_.name = "unknown";
  unknown_.module = "unknown";
  for (const auto& [path, module] : methods) {
    auto m = std::make_unique<Method>();
    // "/package.Service/Method"
    const size_t slash = path.rfind('/');
    m->service = path.substr(path.empty() || path[0] != '/' ? 0 : 1,
                             slash == std::string::npos || slash == 0 ? 0 : slash - 1);
    m->name = slash == std::string::npos ? path : path.substr(slash + 1);
    m->module = module;
    methods_.emplace(path, std::move(m));
  }
}

RpcMetrics::Method* RpcMetrics::Find(std::string_view path) {
  auto it = methods_.find(path);
  return it == methods_.end() ? &unknown_ : it->second.get();
}

void RpcMetrics::ForEach(const std::function<void(const Method&)>& fn) const {
  for (const auto& [path, method] : methods_) fn(*method);
  fn(unknown_);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcMetrics::InterceptorFactory() {
  return std::make_unique<RpcMetricsFactory>(this);
}

}  // namespace rapport::services
