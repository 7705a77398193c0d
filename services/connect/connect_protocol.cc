#include "services/connect/connect_protocol.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"
#include "nlohmann/json.hpp"
#include "services/connect/json_transcoder.h"

namespace rapport::services::connect {

std::string CodeName(grpc::StatusCode code) {
  if (code == grpc::StatusCode::CANCELLED) return "canceled";  // Connect's spelling
  // gRPC's codes are absl's, by number: INVALID_ARGUMENT -> invalid_argument.
  std::string name =
      absl::AsciiStrToLower(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
  return name.empty() ? "unknown" : name;
}

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:  // unknown, internal, data_loss
      return 500;
  }
}

namespace {
nlohmann::ordered_json ErrorObject(const grpc::Status& status, const JsonTranscoder* transcoder) {
  nlohmann::ordered_json error = {{"code", CodeName(status.error_code())}};
  if (!status.error_message().empty()) error["message"] = status.error_message();
  google::rpc::Status rich;
  if (!status.error_details().empty() && rich.ParseFromString(status.error_details())) {
    nlohmann::ordered_json details = nlohmann::ordered_json::array();
    for (const google::protobuf::Any& any : rich.details()) {
      std::string_view type = any.type_url();
      type.remove_prefix(std::min(type.size(), type.rfind('/') + 1));
      std::string value = absl::Base64Escape(any.value());
      while (!value.empty() && value.back() == '=') value.pop_back();
      nlohmann::ordered_json detail = {{"type", std::string(type)}, {"value", value}};
      if (transcoder != nullptr) {
        auto debug = transcoder->AnyToJson(any);
        if (debug.ok()) {
          detail["debug"] =
              nlohmann::ordered_json::parse(*debug, nullptr, /*allow_exceptions=*/false);
        }
      }
      details.push_back(std::move(detail));
    }
    if (!details.empty()) error["details"] = std::move(details);
  }
  return error;
}

std::string Dump(const nlohmann::ordered_json& json) {
  // Invalid UTF-8 in a message is replaced, never thrown on.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}
}  // namespace

std::string ErrorJson(const grpc::Status& status, const JsonTranscoder* transcoder) {
  return Dump(ErrorObject(status, transcoder));
}

std::string EndStreamJson(const grpc::Status& status, const JsonTranscoder* transcoder) {
  if (status.ok()) return "{}";
  return Dump(nlohmann::ordered_json{{"error", ErrorObject(status, transcoder)}});
}

std::string Envelope(uint8_t flags, std::string_view payload) {
  std::string out;
  out.reserve(5 + payload.size());
  const auto size = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(size >> 24));
  out.push_back(static_cast<char>(size >> 16));
  out.push_back(static_cast<char>(size >> 8));
  out.push_back(static_cast<char>(size));
  out.append(payload);
  return out;
}

absl::StatusOr<std::string> ParseSingleEnvelope(std::string_view body) {
  if (body.size() < 5) {
    return absl::InvalidArgumentError(absl::StrCat("request envelope: ", body.size(),
                                                   " bytes, a streaming request needs at least 5"));
  }
  const auto flags = static_cast<uint8_t>(body[0]);
  uint32_t size = 0;
  for (int i = 1; i <= 4; ++i) size = (size << 8) | static_cast<uint8_t>(body[i]);
  if (flags & kCompressed) {
    return absl::UnimplementedError("request envelope: compressed messages are not supported");
  }
  if (flags != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("request envelope: unexpected flags 0x", absl::Hex(flags)));
  }
  if (body.size() - 5 != size) {
    return absl::InvalidArgumentError(absl::StrCat("request envelope: says ", size,
                                                   " bytes, the body holds ", body.size() - 5,
                                                   " (a server-streaming request is one message)"));
  }
  return std::string(body.substr(5));
}

absl::StatusOr<absl::Duration> ParseTimeout(std::string_view header) {
  if (header.empty() || header.size() > 10) {
    return absl::InvalidArgumentError("connect-timeout-ms: one to ten digits");
  }
  int64_t ms = 0;
  for (char c : header) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat("connect-timeout-ms: '", std::string(header),
                                                     "' is not a number of milliseconds"));
    }
    ms = ms * 10 + (c - '0');
  }
  return absl::Milliseconds(ms);
}

}  // namespace rapport::services::connect
