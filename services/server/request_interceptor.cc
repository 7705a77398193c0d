#include "services/server/request_interceptor.h"

#include <mutex>
#include <string>

#include "core/common/log_limiter.h"
#include "core/common/logfmt.h"
#include "google/protobuf/stubs/logging.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/server_context.h"
#include "spdlog/spdlog.h"

namespace rapport::services {
namespace {

using grpc::experimental::InterceptionHookPoints;

const char* CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  const int c = static_cast<int>(code);
  return c >= 0 && c <= 16 ? kNames[c] : "UNKNOWN";
}

// libprotobuf's complaint about the request being parsed on this thread
// (set by the log handler, taken by the interceptor of the same call).
thread_local std::string t_parse_error;

// "String field 'rapport.v1.Customer.display_name' contains invalid UTF-8
// data when parsing ..." -> "rapport.v1.Customer.display_name".
std::string FieldOf(const std::string& message) {
  const std::string marker = "String field '";
  size_t start = message.find(marker);
  if (start == std::string::npos) return "";
  start += marker.size();
  size_t end = message.find('\'', start);
  return end == std::string::npos ? "" : message.substr(start, end - start);
}

void ProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                 const std::string& message) {
  if (message.find("invalid UTF-8") != std::string::npos &&
      message.find("when parsing") != std::string::npos) {
    // A request's fault, reported by the interceptor (once, rate-limited).
    t_parse_error = message;
    return;
  }
  static LogLimiter limiter(absl::Seconds(10), 10);
  int64_t suppressed = 0;
  if (!limiter.Allow(&suppressed)) return;
  const char* lvl = level >= google::protobuf::LOGLEVEL_ERROR     ? "error"
                    : level == google::protobuf::LOGLEVEL_WARNING ? "warn"
                                                                  : "info";
  spdlog::log(level >= google::protobuf::LOGLEVEL_ERROR     ? spdlog::level::err
              : level == google::protobuf::LOGLEVEL_WARNING ? spdlog::level::warn
                                                            : spdlog::level::info,
              "msg=\"libprotobuf\" protobuf_level={} source={} error={} suppressed={}", lvl,
              LogValue(std::string(filename ? filename : "") + ":" + std::to_string(line)),
              LogValue(message), suppressed);
}

// `status` with a google.rpc.ErrorInfo {domain: rapport.dev, reason: the
// code's name} appended to its details (keeping any already there).
grpc::Status WithServerErrorInfo(const grpc::Status& status) {
  google::rpc::Status details;
  if (!status.error_details().empty() && !details.ParseFromString(status.error_details())) {
    return status;  // not ours to rewrite
  }
  for (const auto& any : details.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) return status;
  }
  details.set_code(status.error_code());
  details.set_message(status.error_message());
  google::rpc::ErrorInfo info;
  info.set_domain(kErrorDomain);
  info.set_reason(CodeName(status.error_code()));
  details.add_details()->PackFrom(info);
  return grpc::Status(status.error_code(), status.error_message(), details.SerializeAsString());
}

class RequestInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RequestInterceptor(grpc::experimental::ServerRpcInfo* info) : info_(info) {
    t_parse_error.clear();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparsed_ = true;
      field_ = FieldOf(t_parse_error);
      t_parse_error.clear();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (unparsed_ && status.error_code() == grpc::StatusCode::INTERNAL) {
        const std::string message =
            field_.empty() ? "request: cannot parse the request message"
                           : "request: field " + field_ +
                                 " is not valid UTF-8 (string fields must be UTF-8; send raw "
                                 "bytes in a bytes field)";
        status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
        LogRefusal(message);
      }
      if (!status.ok()) methods->ModifySendStatus(WithServerErrorInfo(status));
    }
    methods->Proceed();
  }

 private:
  void LogRefusal(const std::string& message) {
    static LogLimiter limiter(absl::Seconds(10), 5);
    int64_t suppressed = 0;
    if (!limiter.Allow(&suppressed)) return;
    std::string peer;
    if (info_->server_context() != nullptr) peer = info_->server_context()->peer();
    spdlog::warn("msg=\"unparsable request refused\" method={} peer={} error={} suppressed={}",
                 LogValue(info_->method() ? info_->method() : ""), LogValue(peer),
                 LogValue(message), suppressed);
  }

  grpc::experimental::ServerRpcInfo* info_;
  bool unparsed_ = false;
  std::string field_;
};

class RequestInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RequestInterceptor(info);
  }
};

}  // namespace

void InstallProtobufLogHandler() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&ProtobufLog); });
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
RequestInterceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<RequestInterceptorFactory>());
  return out;
}

}  // namespace rapport::services
