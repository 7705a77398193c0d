#include "services/connect/connect_gateway.h"

#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/support/byte_buffer.h"
#include "httplib.h"
#include "services/common/byte_buffer.h"
#include "services/common/call_context.h"
#include "services/connect/connect_protocol.h"
#include "services/connect/console_site.h"

namespace rapport::services::connect {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kProto[] = "application/proto";
constexpr char kStreamJson[] = "application/connect+json";
constexpr char kStreamProto[] = "application/connect+proto";

grpc::Status FromAbsl(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The media type without parameters, lowercased ("application/json;
// charset=utf-8" -> "application/json").
std::string MediaType(const httplib::Request& request) {
  std::string type = request.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
}

bool ValidMetadataKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool ValidMetadataValue(std::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Authorization and x-… headers become metadata; the rest (hop-by-hop,
// content negotiation, cookies, browser headers) stay with HTTP. The
// client's address is set here, never taken from the client.
absl::Status ForwardHeaders(const httplib::Request& request, grpc::ClientContext* context) {
  for (const auto& [name, value] : request.headers) {
    std::string key = absl::AsciiStrToLower(name);
    if (key != kAuthorizationHeader && !absl::StartsWith(key, "x-")) continue;
    if (key == kHttpPeerHeader || !ValidMetadataKey(key)) continue;
    if (absl::EndsWith(key, "-bin")) {
      std::string raw;
      if (!absl::Base64Unescape(value, &raw)) {
        return absl::InvalidArgumentError(absl::StrCat("header ", key, ": not base64"));
      }
      context->AddMetadata(key, raw);
      continue;
    }
    if (!ValidMetadataValue(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("header ", key, ": only printable ASCII is allowed"));
    }
    context->AddMetadata(key, value);
  }
  context->AddMetadata(kHttpPeerHeader,
                       HttpPeerValue(absl::StrCat(request.remote_addr, ":", request.remote_port)));
  return absl::OkStatus();
}

// Waits for the one operation in flight on `cq`. While it is pending, every
// `poll` the call is canceled if `abandon` says so (the gateway stops, or
// the client is gone); the operation then completes, not ok.
bool Await(grpc::CompletionQueue& cq, grpc::ClientContext& context,
           const std::function<bool()>& abandon) {
  constexpr auto kPoll = std::chrono::milliseconds(250);
  bool canceled = false;
  for (;;) {
    void* tag = nullptr;
    bool ok = false;
    switch (cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + kPoll)) {
      case grpc::CompletionQueue::GOT_EVENT:
        return ok;
      case grpc::CompletionQueue::SHUTDOWN:
        return false;
      case grpc::CompletionQueue::TIMEOUT:
        if (!canceled && abandon && abandon()) {
          context.TryCancel();
          canceled = true;
        }
        break;
    }
  }
}

void Drain(grpc::CompletionQueue& cq) {
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

void SendError(httplib::Response& response, int http_status, const grpc::Status& status,
               const JsonTranscoder* transcoder) {
  response.status = http_status;
  response.set_content(ErrorJson(status, transcoder), kJson);
}

}  // namespace

struct ConnectGateway::StreamCall {
  grpc::ClientContext context;
  std::string path;
  std::string request;
  const google::protobuf::Descriptor* output = nullptr;
  bool json = true;
};

ConnectGateway::ConnectGateway(const ConnectGatewayOptions& options,
                               std::shared_ptr<grpc::Channel> channel,
                               std::unique_ptr<JsonTranscoder> transcoder)
    : options_(options),
      channel_(std::move(channel)),
      transcoder_(std::move(transcoder)),
      stub_(std::make_unique<grpc::GenericStub>(channel_)),
      http_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<ConnectGateway>> ConnectGateway::Start(
    const ConnectGatewayOptions& options, std::shared_ptr<grpc::Channel> channel,
    std::unique_ptr<JsonTranscoder> transcoder) {
  const size_t colon = options.address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-listen '", options.address, "': expected host:port"));
  }
  if (options.threads < 3) {
    return absl::InvalidArgumentError("--http-threads: at least 3");
  }
  std::string host = options.address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto gateway = std::unique_ptr<ConnectGateway>(
      new ConnectGateway(options, std::move(channel), std::move(transcoder)));
  ConnectGateway* raw = gateway.get();
  httplib::Server& http = *gateway->http_;
  const int threads = options.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http.set_payload_max_length(options.max_body_bytes);
  // A connection holds a worker thread while it is open: idle keep-alive
  // connections and slow senders let go of it soon.
  http.set_keep_alive_timeout(2);
  // Without it a response's headers and body, written separately, wait on
  // the client's delayed ACK: 40 ms and more per call (http_bench saw 88).
  http.set_tcp_nodelay(true);
  http.set_keep_alive_max_count(1000);
  http.set_read_timeout(10, 0);
  // The body is read here, counted as it arrives (after any decompression),
  // so neither a chunked body nor a compressed one can outgrow the limit;
  // httplib's own limit only sees Content-Length.
  http.Post(R"(/[^/]+/[^/]+)",
            httplib::Server::HandlerWithContentReader([raw](const httplib::Request& request,
                                                            httplib::Response& response,
                                                            const httplib::ContentReader& read) {
              const size_t limit = raw->options_.max_body_bytes;
              std::string body;
              bool too_large = false;
              const bool complete = read([&](const char* data, size_t size) {
                if (body.size() + size > limit) {
                  too_large = true;
                  return false;
                }
                body.append(data, size);
                return true;
              });
              // httplib sets 413 itself when Content-Length is over the limit.
              too_large = too_large || response.status == 413;
              if (too_large || !complete) {
                response.set_header("Connection", "close");
                return SendError(
                    response, too_large ? 413 : 400,
                    too_large ? grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                             absl::StrCat("request body over ", limit, " bytes"))
                              : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                             "request body could not be read"),
                    nullptr);
              }
              raw->Handle(request, std::move(body), response);
            }));
  const bool console = !options.console_dir.empty();
  if (console) {
    if (absl::Status served = ServeConsole(options.console_dir, http); !served.ok()) return served;
  }
  // Whatever httplib answers by itself (no such path, wrong HTTP method,
  // body too large, unreadable request) still gets a Connect error body.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [console](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        grpc::Status status;
        switch (response.status) {
          case 404:
            if (AnswerConsoleNotFound(request, console, response)) {
              return httplib::Server::HandlerResponse::Handled;
            }
            status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                  absl::StrCat("no method at '", request.path,
                                               "': expected POST /package.Service/Method"));
            break;
          case 405:
            status =
                grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                             absl::StrCat(request.method, " is not served: methods take POST"));
            break;
          case 413:
            status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "request body too large");
            break;
          default:
            status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  absl::StrCat("HTTP ", response.status, ": request refused"));
        }
        response.set_content(ErrorJson(status, nullptr), kJson);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& response,
                                std::exception_ptr) {
    SendError(response, 500, grpc::Status(grpc::StatusCode::INTERNAL, "request failed"), nullptr);
  });
  gateway->port_ =
      port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (gateway->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.address, " (address in use or invalid)"));
  }
  gateway->listener_ = std::thread([raw] { raw->http_->listen_after_bind(); });
  // httplib's stop() is a no-op until its accept loop runs: wait for it, so
  // that a gateway stopped right after it started does not hang.
  for (int i = 0; i < 5000 && !http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return gateway;
}

ConnectGateway::~ConnectGateway() { Stop(); }

void ConnectGateway::Stop() {
  if (stopping_.exchange(true)) return;
  http_->stop();
  if (listener_.joinable()) listener_.join();
}

void ConnectGateway::Handle(const httplib::Request& request, std::string body,
                            httplib::Response& response) {
  const JsonTranscoder* transcoder = transcoder_.get();
  const google::protobuf::MethodDescriptor* method = transcoder->FindMethod(request.path);
  if (method == nullptr) {
    return SendError(response, 404,
                     grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                  absl::StrCat("no method '", request.path.substr(1),
                                               "' is served (POST /package.Service/Method)")),
                     nullptr);
  }
  if (method->client_streaming()) {
    return SendError(
        response, 501,
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                     absl::StrCat(method->full_name(), " streams requests: gRPC only (HTTP/2)")),
        nullptr);
  }
  const bool streaming = method->server_streaming();
  const std::string media_type = MediaType(request);
  const char* json_type = streaming ? kStreamJson : kJson;
  const char* proto_type = streaming ? kStreamProto : kProto;
  if (media_type != json_type && media_type != proto_type) {
    response.set_header("Accept-Post", absl::StrCat(json_type, ", ", proto_type));
    return SendError(
        response, 415,
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                     absl::StrCat("content-type '", media_type, "': ", method->full_name(),
                                  " takes ", json_type, " or ", proto_type)),
        nullptr);
  }
  const bool json = media_type == json_type;

  // A refused call: the unary error, or for a stream 200 and the error in
  // its end-of-stream message, as Connect clients expect.
  auto fail = [&](const absl::Status& status) {
    if (streaming) {
      response.status = 200;
      response.set_content(Envelope(kEndStream, EndStreamJson(FromAbsl(status), transcoder)),
                           media_type);
      return;
    }
    SendError(response, HttpStatusOf(static_cast<grpc::StatusCode>(status.code())),
              FromAbsl(status), transcoder);
  };
  if (streaming) {
    auto message = ParseSingleEnvelope(body);
    if (!message.ok()) return fail(message.status());
    body = std::move(*message);
  }
  std::string binary;
  if (json) {
    auto converted = transcoder->JsonToBinary(*method->input_type(), body);
    if (!converted.ok()) return fail(converted.status());
    binary = std::move(*converted);
  } else {
    binary = std::move(body);
  }
  absl::Duration timeout = absl::InfiniteDuration();
  if (request.has_header("Connect-Timeout-Ms")) {
    auto parsed = ParseTimeout(request.get_header_value("Connect-Timeout-Ms"));
    if (!parsed.ok()) return fail(parsed.status());
    timeout = *parsed;
  }
  const std::string path = absl::StrCat("/", method->service()->full_name(), "/", method->name());

  if (!streaming) {
    grpc::ClientContext context;
    if (timeout != absl::InfiniteDuration()) {
      context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    }
    if (absl::Status forwarded = ForwardHeaders(request, &context); !forwarded.ok()) {
      return fail(forwarded);
    }
    grpc::CompletionQueue cq;
    grpc::ByteBuffer reply;
    grpc::Status status;
    auto call = stub_->PrepareUnaryCall(&context, path, ToByteBuffer(binary), &cq);
    call->StartCall();
    call->Finish(&reply, &status, nullptr);
    Await(cq, context, [this] { return stopping_.load(); });
    Drain(cq);
    if (!status.ok()) {
      return SendError(response, HttpStatusOf(status.error_code()), status, transcoder);
    }
    std::string bytes = Flatten(reply);
    if (!json) return response.set_content(bytes, kProto);
    auto converted = transcoder->BinaryToJson(*method->output_type(), bytes);
    if (!converted.ok()) return fail(converted.status());
    return response.set_content(*converted, kJson);
  }

  // Server streaming: headers now, messages as they come, then the end.
  auto call = std::make_shared<StreamCall>();
  call->path = path;
  call->request = std::move(binary);
  call->output = method->output_type();
  call->json = json;
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + std::min(timeout, options_.max_stream_duration)));
  absl::Status forwarded = ForwardHeaders(request, &call->context);
  const int max_streams = options_.threads - 2;
  if (forwarded.ok() && streams_.fetch_add(1) >= max_streams) {
    streams_.fetch_sub(1);
    forwarded = absl::ResourceExhaustedError(
        absl::StrCat("too many HTTP streams open (", max_streams, "); retry, or use gRPC"));
  }
  if (!forwarded.ok()) return fail(forwarded);
  response.set_chunked_content_provider(
      media_type,
      [this, call](size_t, httplib::DataSink& sink) {
        RunStream(
            *call,
            [&sink](const std::string& bytes) { return sink.write(bytes.data(), bytes.size()); },
            [&sink] { return !sink.is_writable || sink.is_writable(); });
        sink.done();
        return true;
      },
      [this](bool) { streams_.fetch_sub(1); });
}

void ConnectGateway::RunStream(StreamCall& call,
                               const std::function<bool(const std::string&)>& write,
                               const std::function<bool()>& writable) {
  grpc::CompletionQueue cq;
  auto abandon = [&] { return stopping_.load() || !writable(); };
  auto stream = stub_->PrepareCall(&call.context, call.path, &cq);
  bool ok = false;
  stream->StartCall(nullptr);
  ok = Await(cq, call.context, abandon);
  if (ok) {
    stream->WriteLast(ToByteBuffer(call.request), grpc::WriteOptions(), nullptr);
    ok = Await(cq, call.context, abandon);
  }
  bool client_gone = false;
  grpc::Status local;  // an error of the gateway's own, reported over the call's
  while (ok) {
    grpc::ByteBuffer message;
    stream->Read(&message, nullptr);
    if (!Await(cq, call.context, abandon)) break;
    std::string bytes = Flatten(message);
    if (call.json) {
      auto converted = transcoder_->BinaryToJson(*call.output, bytes);
      if (!converted.ok()) {
        local = FromAbsl(converted.status());
        call.context.TryCancel();
        continue;  // the next Read fails
      }
      bytes = std::move(*converted);
    }
    if (!write(Envelope(0, bytes))) {
      client_gone = true;
      call.context.TryCancel();
    }
  }
  grpc::Status status;
  stream->Finish(&status, nullptr);
  Await(cq, call.context, nullptr);
  Drain(cq);
  if (!local.ok()) status = local;
  if (!client_gone) write(Envelope(kEndStream, EndStreamJson(status, transcoder_.get())));
}

}  // namespace rapport::services::connect
