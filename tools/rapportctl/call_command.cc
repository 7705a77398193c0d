// rapportctl sfa METHOD: a method of the SFA module's API
// (rapport.sfa.v1.SalesService), request and response in JSON.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "rapport/sfa/v1/sfa.grpc.pb.h"
#include "tools/rapportctl/commands.h"

namespace rapport::ctl {
namespace {

using google::protobuf::Message;

// Calls `service`'s method `name` (its descriptor is compiled in) with a
// JSON request, printing the JSON response: one code path for every method
// of a plugin's API.
int CallByName(const google::protobuf::ServiceDescriptor* service, const std::string& name,
               const std::string& json) {
  const google::protobuf::MethodDescriptor* method = service->FindMethodByName(name);
  if (method == nullptr) {
    std::string names;
    for (int i = 0; i < service->method_count(); ++i) {
      names += (i ? ", " : "") + service->method(i)->name();
    }
    std::cerr << "error: " << service->full_name() << " has no method '" << name
              << "' (methods: " << names << ")\n";
    return 2;
  }
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<Message> request(factory->GetPrototype(method->input_type())->New());
  std::unique_ptr<Message> response(factory->GetPrototype(method->output_type())->New());
  if (!json.empty() && ParseJson(json, request.get())) return 2;
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto ctx = Call();
  grpc::Slice slice(request->SerializeAsString());
  grpc::ByteBuffer request_bytes(&slice, 1), response_bytes;
  auto call =
      stub.PrepareUnaryCall(ctx.get(), "/" + service->full_name() + "/" + name, request_bytes, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response_bytes, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return Fail(status);
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response_bytes.Dump(&slices).ok()) {
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!response->ParseFromString(bytes)) {
    std::cerr << "error: unreadable " << method->output_type()->full_name() << " from the server\n";
    return 1;
  }
  std::cout << Json(*response);
  return 0;
}

}  // namespace

void AddCallCommands(CLI::App& app, Command* chosen) {
  auto* sfa = app.add_subcommand("sfa", "the SFA module's API (rapport.sfa.v1.SalesService)");
  struct SfaArgs {
    std::string method, json;
  };
  auto args = std::make_shared<SfaArgs>();
  sfa->add_option("method", args->method,
                  "method name, e.g. SetPipeline, GetFunnel, GetForecast, CreateTask")
      ->required();
  sfa->add_option("--json", args->json, "the request in the proto's JSON form (default: empty)");
  OnParsed(sfa, chosen, [args] {
    // Through a message of the file, so its descriptors are linked in.
    return CallByName(
        rapport::sfa::v1::Pipeline::descriptor()->file()->FindServiceByName("SalesService"),
        args->method, args->json);
  });
}

}  // namespace rapport::ctl
