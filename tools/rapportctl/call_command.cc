// rapportctl call SERVICE/METHOD [--json '{...}']: any unary method of any
// service the server exposes, the core's or a loaded module's, resolved at
// run time through server reflection (reflection_client.h), so a new module
// needs no change here. The request is built from --json (the proto's JSON
// form) and the response printed as JSON (-o table: text format).
//
// rapportctl sfa METHOD [--json '{...}'] is short for
// call rapport.sfa.v1.SalesService/METHOD (the README's SFA walkthrough);
// voc_commands.cc has rapportctl voc.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "tools/rapportctl/commands.h"
#include "tools/rapportctl/reflection_client.h"

namespace rapport::ctl {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

constexpr char kSalesService[] = "rapport.sfa.v1.SalesService";

// "pkg.Service/Method", also "/pkg.Service/Method" (the HTTP/2 path) and
// "pkg.Service.Method"; false if `target` names no method.
bool SplitTarget(std::string target, std::string* service, std::string* method) {
  if (!target.empty() && target.front() == '/') target.erase(0, 1);
  size_t cut = target.rfind('/');
  if (cut == std::string::npos) cut = target.rfind('.');
  if (cut == std::string::npos || cut == 0 || cut + 1 == target.size()) return false;
  *service = target.substr(0, cut);
  *method = target.substr(cut + 1);
  return true;
}

template <typename T, typename Name>
std::string JoinNames(const std::vector<T>& items, Name name) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + name(item);
  return out;
}

// The service's method, or why not (printed; the exit code in *rc).
const MethodDescriptor* FindMethod(ReflectionClient& reflection, const std::string& service_name,
                                   const std::string& method_name, int* rc) {
  const ServiceDescriptor* service = nullptr;
  grpc::Status s = reflection.FindService(service_name, &service);
  if (!s.ok()) {
    *rc = Fail(s);
    return nullptr;
  }
  *rc = 2;
  if (service == nullptr) {
    std::vector<std::string> names;
    s = reflection.ListServices(&names);
    if (!s.ok()) {
      *rc = Fail(s);
      return nullptr;
    }
    std::cerr << "error: the server has no service '" << service_name << "'; it serves "
              << JoinNames(names, [](const std::string& n) { return n; })
              << " (a module's services are there while it is loaded: rapportctl modules list)\n";
    return nullptr;
  }
  const MethodDescriptor* method = service->FindMethodByName(method_name);
  if (method == nullptr) {
    std::vector<const MethodDescriptor*> methods;
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
    std::cerr << "error: " << service->full_name() << " has no method '" << method_name
              << "' (methods: "
              << JoinNames(methods, [](const MethodDescriptor* m) { return m->name(); }) << ")\n";
    return nullptr;
  }
  if (method->client_streaming() || method->server_streaming()) {
    std::cerr << "error: " << service->full_name() << "/" << method->name() << " streams ("
              << (method->client_streaming() && method->server_streaming() ? "both ways"
                  : method->client_streaming()                             ? "requests"
                                                                           : "responses")
              << "); call takes unary methods only\n";
    return nullptr;
  }
  return method;
}

// One unary call with serialized bytes; `*response` the answer's bytes.
grpc::Status UnaryCall(const std::string& path, const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto ctx = Call();
  grpc::Slice slice(request);
  grpc::ByteBuffer request_bytes(&slice, 1), response_bytes;
  auto call = stub.PrepareUnaryCall(ctx.get(), path, request_bytes, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response_bytes, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  std::vector<grpc::Slice> slices;
  if (status.ok() && response_bytes.Dump(&slices).ok()) {
    for (const auto& s : slices) {
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

}  // namespace

int CallMethod(const std::string& target, const std::string& json, std::string* json_out) {
  std::string service_name, method_name;
  if (!SplitTarget(target, &service_name, &method_name)) {
    std::cerr << "error: name the method as SERVICE/METHOD, e.g. " << kSalesService
              << "/GetFunnel (got '" << target << "')\n";
    return 2;
  }
  ReflectionClient reflection(channel, Call);
  int rc = 0;
  const MethodDescriptor* method = FindMethod(reflection, service_name, method_name, &rc);
  if (method == nullptr) return rc;
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<Message> request(factory.GetPrototype(method->input_type())->New());
  std::unique_ptr<Message> response(factory.GetPrototype(method->output_type())->New());
  if (!json.empty() && ParseJson(json, request.get())) return 2;
  std::string bytes;
  grpc::Status status = UnaryCall("/" + method->service()->full_name() + "/" + method->name(),
                                  request->SerializeAsString(), &bytes);
  if (!status.ok()) return Fail(status);
  if (!response->ParseFromString(bytes)) {
    std::cerr << "error: unreadable " << method->output_type()->full_name() << " from the server\n";
    return 1;
  }
  if (json_out != nullptr) {
    *json_out = Json(*response);
  } else if (g.output == "table" && g.output_set) {
    PrintRecord(*response);  // text format
  } else {
    std::cout << Json(*response);
  }
  return 0;
}

void AddCallCommands(CLI::App& app, Command* chosen) {
  struct CallArgs {
    std::string target, json;
  };
  auto args = std::make_shared<CallArgs>();
  auto* call = app.add_subcommand(
      "call", "call any unary method the server exposes (core or module), found by reflection");
  call->add_option("method", args->target,
                   "SERVICE/METHOD, e.g. rapport.v1.IdentityService/GetCaller or "
                   "rapport.sfa.v1.SalesService/GetFunnel")
      ->required();
  call->add_option("--json", args->json, "the request in the proto's JSON form (default: empty)");
  OnParsed(call, chosen, [args] { return CallMethod(args->target, args->json); });

  auto sfa_args = std::make_shared<CallArgs>();
  auto* sfa = app.add_subcommand(
      "sfa", "the SFA module's API: short for call rapport.sfa.v1.SalesService/METHOD");
  sfa->add_option("method", sfa_args->target,
                  "method name, e.g. SetPipeline, GetFunnel, GetForecast, CreateTask")
      ->required();
  sfa->add_option("--json", sfa_args->json,
                  "the request in the proto's JSON form (default: empty)");
  OnParsed(sfa, chosen, [sfa_args] {
    return CallMethod(std::string(kSalesService) + "/" + sfa_args->target, sfa_args->json);
  });
}

}  // namespace rapport::ctl
