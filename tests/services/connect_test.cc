// HTTP/JSON (services/connect/): a real server with --http-listen on
// 127.0.0.1:0 and the guard test plugin, called with a real HTTP client
// (cpp-httplib) and, for comparison, over gRPC with the same requests.
// The same calls give the same answers and the same errors on both paths;
// Hangul round-trips; unknown fields, oversized and malformed bodies, wrong
// content types and missing tokens are refused and change nothing; the
// change feed and exports stream in Connect's envelopes.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "services/common/call_context.h"
#include "services/connect/connect_protocol.h"
#include "test_plugins.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

// One Connect envelope of a streamed body.
struct Message {
  uint8_t flags;
  std::string payload;
};

std::vector<Message> Envelopes(const std::string& body) {
  std::vector<Message> out;
  size_t at = 0;
  while (at + 5 <= body.size()) {
    uint32_t size = 0;
    for (int i = 1; i <= 4; ++i) size = (size << 8) | static_cast<uint8_t>(body[at + i]);
    EXPECT_LE(at + 5 + size, body.size()) << "truncated envelope";
    out.push_back({static_cast<uint8_t>(body[at]), body.substr(at + 5, size)});
    at += 5 + size;
  }
  EXPECT_EQ(at, body.size()) << "trailing bytes after the last envelope";
  return out;
}

class ConnectTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    const std::string plugins = dir_.Sub("plugins");
    fs::create_directories(plugins);
    for (const char* ext : {".so", ".manifest.json"}) {
      fs::copy_file(fs::path(RAPPORT_TEST_PLUGIN_DIR) / (std::string("guard") + ext),
                    fs::path(plugins) / (std::string("guard") + ext));
    }
    // The plugin's messages in this binary's generated pool too (linked),
    // for the gRPC side of the comparison.
    ASSERT_NE(rapport::testplugins::v1::CountRequest::descriptor(), nullptr);
    services::ServerOptions options;
    options.plugins.plugin_dir = plugins;
    options.http_address = "127.0.0.1:0";
    options.http_threads = 6;
    StartServer(options);
    ASSERT_GT(server_->http_port(), 0);
    v1::SetRolloutRequest request;
    request.mutable_rule()->set_module("guard");
    request.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
    v1::RolloutRule out;
    grpc::Status s = v1::ModuleService::NewStub(channel_)->SetRollout(Call().get(), request, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // POST over HTTP. `token` "-": no Authorization header.
  HttpAnswer Post(const std::string& path, const std::string& body,
                  const std::string& content_type = "application/json",
                  const std::string& token = "", httplib::Headers headers = {}) {
    httplib::Client client("127.0.0.1", server_->http_port());
    client.set_read_timeout(20, 0);
    const std::string& t = token.empty() ? admin_token_ : token;
    if (t != "-") headers.emplace("Authorization", "Bearer " + t);
    auto result = client.Post(path.c_str(), headers, body, content_type.c_str());
    if (!result) {
      ADD_FAILURE() << "HTTP POST " << path << " failed: " << httplib::to_string(result.error());
      return {};
    }
    return {result->status, result->get_header_value("Content-Type"), result->body};
  }

  // The same call over gRPC: the JSON request as the method's message,
  // through a generic stub on the test's own TCP channel.
  struct GrpcAnswer {
    grpc::Status status;
    std::string json;
  };
  GrpcAnswer CallGrpc(const std::string& path, const std::string& request_json,
                      const std::string& token = "") {
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    std::string name = path.substr(1);
    name[name.find('/')] = '.';
    const auto* method = pool->FindMethodByName(name);
    EXPECT_NE(method, nullptr) << name;
    if (method == nullptr) return {};
    auto* factory = google::protobuf::MessageFactory::generated_factory();
    std::unique_ptr<google::protobuf::Message> request(
        factory->GetPrototype(method->input_type())->New());
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(request_json, request.get()).ok());
    grpc::GenericStub stub(channel_);
    auto ctx = Call(token);
    grpc::CompletionQueue cq;
    std::string bytes = request->SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1), out;
    GrpcAnswer answer;
    auto call = stub.PrepareUnaryCall(ctx.get(), path, in, &cq);
    call->StartCall();
    call->Finish(&out, &answer.status, nullptr);
    void* tag;
    bool ok;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    if (answer.status.ok()) {
      std::vector<grpc::Slice> slices;
      EXPECT_TRUE(out.Dump(&slices).ok());
      std::string reply;
      for (const auto& s : slices) reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
      std::unique_ptr<google::protobuf::Message> response(
          factory->GetPrototype(method->output_type())->New());
      EXPECT_TRUE(response->ParseFromString(reply));
      EXPECT_TRUE(google::protobuf::util::MessageToJsonString(*response, &answer.json).ok());
    }
    return answer;
  }

  // The BadRequest field violations of a Connect error body.
  static std::vector<std::string> HttpViolations(const json& error) {
    std::vector<std::string> fields;
    if (!error.contains("details")) return fields;
    for (const json& detail : error["details"]) {
      if (detail["type"] != "google.rpc.BadRequest") continue;
      std::string bytes;
      std::string value = detail["value"];
      while (value.size() % 4 != 0) value.push_back('=');
      EXPECT_TRUE(absl::Base64Unescape(value, &bytes));
      google::rpc::BadRequest bad;
      EXPECT_TRUE(bad.ParseFromString(bytes));
      for (const auto& v : bad.field_violations()) fields.push_back(v.field());
      // The debug form says the same in JSON.
      EXPECT_EQ(detail["debug"]["fieldViolations"].size(),
                static_cast<size_t>(bad.field_violations_size()));
    }
    return fields;
  }

  int64_t CustomerCount() {
    v1::ListCustomersRequest request;
    request.set_page_size(1000);
    v1::ListCustomersResponse response;
    grpc::Status s = customers_->ListCustomers(Call().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.customers_size();
  }

  std::string CreateOverGrpc(const std::string& name, const std::string& phone) {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name(name);
    if (!phone.empty()) r.mutable_customer()->add_phones(phone);
    r.mutable_customer()->add_tags("vip");
    v1::Customer out;
    grpc::Status s = customers_->CreateCustomer(Call().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.id();
  }
};

TEST_F(ConnectTest, SameAnswersAndErrorsOverGrpcAndHttp) {
  const std::string kim = CreateOverGrpc("김민준", "+82 10-1234-5678");
  CreateOverGrpc("Lee Seo-yeon", "");
  CreateTeam("nowhere");
  const std::string outsider = CreateUser("outsider", {v1::ROLE_REP}, {"nowhere"});
  struct Case {
    std::string path;
    std::string request;
    std::string token;
    grpc::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"/rapport.v1.CustomerService/GetCustomer", R"({"id":")" + kim + R"("})", "",
       grpc::StatusCode::OK},
      {"/rapport.v1.CustomerService/SearchCustomers", R"({"query":"민준"})", "",
       grpc::StatusCode::OK},
      {"/rapport.v1.CustomerService/ListCustomers", R"({"pageSize":10,"orderBy":"display_name"})",
       "", grpc::StatusCode::OK},
      {"/rapport.v1.CustomerService/ListCustomers", R"({"filter":"tags = \"vip\""})", "",
       grpc::StatusCode::OK},
      {"/rapport.v1.EventService/GetFeedInfo", "{}", "", grpc::StatusCode::OK},
      {"/rapport.testplugins.v1.GuardService/Count", R"({"prefix":""})", "", grpc::StatusCode::OK},
      {"/rapport.v1.CustomerService/GetCustomer", R"({"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"})", "",
       grpc::StatusCode::NOT_FOUND},
      {"/rapport.v1.CustomerService/ListCustomers", R"({"filter":"no_such_field = 1"})", "",
       grpc::StatusCode::INVALID_ARGUMENT},
      {"/rapport.v1.CustomerService/CreateCustomer",
       R"({"customer":{"displayName":"박지훈","phones":["12"]}})", "",
       grpc::StatusCode::INVALID_ARGUMENT},
      {"/rapport.v1.CustomerService/GetCustomer", R"({"id":")" + kim + R"("})", outsider,
       grpc::StatusCode::NOT_FOUND},
      {"/rapport.v1.IdentityService/CreateTenant", R"({"tenant":{"name":"x"}})", outsider,
       grpc::StatusCode::PERMISSION_DENIED},
      {"/rapport.v1.CustomerService/GetCustomer", R"({"id":")" + kim + R"("})", "-",
       grpc::StatusCode::UNAUTHENTICATED},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path + " " + c.request);
    GrpcAnswer over_grpc = CallGrpc(c.path, c.request, c.token);
    HttpAnswer over_http = Post(c.path, c.request, "application/json", c.token);
    EXPECT_EQ(over_grpc.status.error_code(), c.code) << over_grpc.status.error_message();
    EXPECT_EQ(over_http.status, services::connect::HttpStatusOf(c.code)) << over_http.body;
    EXPECT_THAT(over_http.content_type, StartsWith("application/json"));
    json body = json::parse(over_http.body);
    if (c.code == grpc::StatusCode::OK) {
      EXPECT_EQ(body, json::parse(over_grpc.json));
      continue;
    }
    EXPECT_EQ(body["code"], std::string(services::connect::CodeName(c.code)));
    EXPECT_EQ(body["message"], over_grpc.status.error_message());
    EXPECT_EQ(HttpViolations(body), ViolatedFields(over_grpc.status));
  }
  // The refused create wrote nothing on either path.
  EXPECT_EQ(CustomerCount(), 2);
  // The bad phone names its field on both.
  HttpAnswer bad_phone = Post("/rapport.v1.CustomerService/CreateCustomer",
                              R"({"customer":{"displayName":"박지훈","phones":["12"]}})");
  EXPECT_THAT(HttpViolations(json::parse(bad_phone.body)),
              ::testing::ElementsAre("customer.phones[0]"));
}

TEST_F(ConnectTest, WritesOverHttpAreTheRecordsGrpcReads) {
  HttpAnswer created =
      Post("/rapport.v1.CustomerService/CreateCustomer",
           R"({"customer":{"displayName":"최서연 (주)한빛","phones":["010-9876-5432"],)"
           R"("externalRefs":{"erp":"C-0001"}},"requestId":"r-1"})");
  ASSERT_EQ(created.status, 200) << created.body;
  json customer = json::parse(created.body);
  EXPECT_EQ(customer["displayName"], "최서연 (주)한빛");
  EXPECT_EQ(customer["phones"][0], "+821098765432");
  EXPECT_EQ(customer["revision"], "1");  // 64-bit integers as strings
  // gRPC reads the record the HTTP call wrote, byte for byte.
  v1::GetCustomerRequest get;
  get.set_id(customer["id"]);
  v1::Customer read;
  ASSERT_TRUE(customers_->GetCustomer(Call().get(), get, &read).ok());
  EXPECT_EQ(read.display_name(), "최서연 (주)한빛");
  std::string read_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(read, &read_json).ok());
  EXPECT_EQ(json::parse(read_json), customer);
  // The request id makes a retry over HTTP idempotent, as over gRPC.
  HttpAnswer retried =
      Post("/rapport.v1.CustomerService/CreateCustomer",
           R"({"customer":{"displayName":"최서연 (주)한빛","phones":["010-9876-5432"],)"
           R"("externalRefs":{"erp":"C-0001"}},"requestId":"r-1"})");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(json::parse(retried.body)["id"], customer["id"]);
  // Searching in Hangul over HTTP finds it.
  HttpAnswer found = Post("/rapport.v1.CustomerService/SearchCustomers", R"({"query":"서연"})");
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(json::parse(found.body)["customers"][0]["id"], customer["id"]);
  // Proto field names are accepted too, and the binary form works.
  HttpAnswer by_proto_name = Post("/rapport.v1.CustomerService/GetCustomerByExternalRef",
                                  R"({"system":"erp","external_id":"C-0001"})");
  EXPECT_EQ(by_proto_name.status, 200) << by_proto_name.body;
  HttpAnswer binary =
      Post("/rapport.v1.CustomerService/GetCustomer", get.SerializeAsString(), "application/proto");
  ASSERT_EQ(binary.status, 200);
  EXPECT_EQ(binary.content_type, "application/proto");
  v1::Customer from_binary;
  ASSERT_TRUE(from_binary.ParseFromString(binary.body));
  EXPECT_EQ(from_binary.SerializeAsString(), read.SerializeAsString());
  EXPECT_EQ(CustomerCount(), 1);
}

TEST_F(ConnectTest, BadRequestsAreRefusedAndChangeNothing) {
  const std::string create = "/rapport.v1.CustomerService/CreateCustomer";
  // An unknown field.
  HttpAnswer unknown = Post(create, R"({"customer":{"displayName":"김민준","nickname":"민준이"}})");
  EXPECT_EQ(unknown.status, 400);
  json error = json::parse(unknown.body);
  EXPECT_EQ(error["code"], "invalid_argument");
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("nickname"));
  // Malformed JSON, a wrong type, an enum name that does not exist.
  for (const char* body : {R"({"customer":)", R"({"customer":{"displayName":7}})",
                           R"({"customer":{"kind":"CUSTOMER_KIND_ROBOT"}})"}) {
    HttpAnswer answer = Post(create, body);
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_EQ(json::parse(answer.body)["code"], "invalid_argument") << body;
  }
  // A body over the server's message limit (4 MiB).
  std::string huge = R"({"customer":{"displayName":")" + std::string(5 << 20, 'a') + R"("}})";
  HttpAnswer too_large = Post(create, huge);
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(json::parse(too_large.body)["code"], "resource_exhausted");
  {
    // The same body gzipped is a few KiB on the wire: the limit counts what
    // it decompresses to.
    httplib::Client client("127.0.0.1", server_->http_port());
    client.set_compress(true);
    auto result = client.Post(create.c_str(), {{"Authorization", "Bearer " + admin_token_}}, huge,
                              "application/json");
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 413);
    EXPECT_EQ(json::parse(result->body)["code"], "resource_exhausted");
  }
  // No token, a wrong token.
  for (const char* token : {"-", "rpt_01ARZ3NDEKTSV4RRFFQ69G5FAV_wrong"}) {
    HttpAnswer answer =
        Post(create, R"({"customer":{"displayName":"x"}})", "application/json", token);
    EXPECT_EQ(answer.status, 401) << token;
    EXPECT_EQ(json::parse(answer.body)["code"], "unauthenticated") << token;
  }
  // A content type the method does not take.
  HttpAnswer text = Post(create, "displayName=x", "text/plain");
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(json::parse(text.body)["code"], "unimplemented");
  // A method nobody serves, a client-streaming method, a bad timeout.
  HttpAnswer missing = Post("/rapport.v1.CustomerService/Frobnicate", "{}");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["code"], "unimplemented");
  HttpAnswer import = Post("/rapport.v1.DataService/Import", "{}");
  EXPECT_EQ(import.status, 501);
  EXPECT_THAT(json::parse(import.body)["message"].get<std::string>(), HasSubstr("gRPC only"));
  HttpAnswer timeout = Post(create, R"({"customer":{"displayName":"x"}})", "application/json", "",
                            {{"Connect-Timeout-Ms", "soon"}});
  EXPECT_EQ(timeout.status, 400);
  EXPECT_THAT(json::parse(timeout.body)["message"].get<std::string>(),
              HasSubstr("connect-timeout-ms"));
  EXPECT_EQ(CustomerCount(), 0);
  // A failed authentication over HTTP is audited with the HTTP client's
  // address, not the in-process channel's, and no client can choose it:
  // the header is dropped from HTTP requests, and over gRPC it needs the
  // process's secret.
  const std::string fake = "0123456789abcdef0123456789abcdef 10.9.9.9:1";
  Post(create, "{}", "application/json", "rpt_01ARZ3NDEKTSV4RRFFQ69G5FAV_spoof",
       {{"X-Rapport-Http-Peer", fake}});
  // Over gRPC from the network the header is ignored, even with the
  // process's own secret: only in-process calls may carry it.
  for (const std::string& value : {fake, services::HttpPeerValue("10.9.9.9:2")}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer rpt_01ARZ3NDEKTSV4RRFFQ69G5FAV_spoof");
    ctx.AddMetadata("x-rapport-http-peer", value);
    v1::Customer out;
    EXPECT_EQ(customers_->GetCustomer(&ctx, v1::GetCustomerRequest(), &out).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  v1::ListAuditEntriesRequest audit_request;
  audit_request.set_page_size(100);
  v1::ListAuditEntriesResponse audit;
  grpc::Status s = identity_->ListAuditEntries(Call().get(), audit_request, &audit);
  ASSERT_TRUE(s.ok()) << s.error_message();
  int http_entries = 0, grpc_entries = 0;
  for (const auto& entry : audit.entries()) {
    if (entry.code() != "UNAUTHENTICATED") continue;
    EXPECT_THAT(entry.peer(), Not(HasSubstr("10.9.9.9")));
    if (absl::StartsWith(entry.peer(), "http:127.0.0.1:")) ++http_entries;
    if (absl::StartsWith(entry.peer(), "ipv4:127.0.0.1:")) ++grpc_entries;
  }
  EXPECT_GE(http_entries, 3);  // no token, a wrong token, the spoofed header
  EXPECT_EQ(grpc_entries, 2);
}

TEST_F(ConnectTest, StreamsComeInConnectEnvelopes) {
  CreateOverGrpc("김민준", "");
  CreateOverGrpc("이서연", "");
  const std::string request = services::connect::Envelope(0, "{}");
  // An export ends by itself: its records, then an empty end-of-stream.
  HttpAnswer exported =
      Post("/rapport.v1.DataService/Export",
           services::connect::Envelope(0, R"({"resourceTypes":["RESOURCE_TYPE_CUSTOMER"]})"),
           "application/connect+json");
  ASSERT_EQ(exported.status, 200);
  EXPECT_EQ(exported.content_type, "application/connect+json");
  std::vector<Message> messages = Envelopes(exported.body);
  ASSERT_EQ(messages.size(), 3u) << exported.body;
  EXPECT_EQ(json::parse(messages[0].payload)["customer"]["displayName"], "김민준");
  EXPECT_EQ(messages[2].flags, services::connect::kEndStream);
  EXPECT_EQ(json::parse(messages[2].payload), json::object());
  // The change feed does not end: the client's timeout ends it, with the
  // events so far and deadline_exceeded in the end-of-stream message.
  HttpAnswer feed = Post("/rapport.v1.EventService/Subscribe", request, "application/connect+json",
                         "", {{"Connect-Timeout-Ms", "1500"}});
  ASSERT_EQ(feed.status, 200);
  messages = Envelopes(feed.body);
  ASSERT_GE(messages.size(), 3u) << feed.body;
  int customers = 0;
  for (size_t i = 0; i + 1 < messages.size(); ++i) {
    EXPECT_EQ(messages[i].flags, 0);
    json event = json::parse(messages[i].payload);
    if (event.dump().find("김민준") != std::string::npos) ++customers;
  }
  EXPECT_GE(customers, 1);
  EXPECT_EQ(messages.back().flags, services::connect::kEndStream);
  EXPECT_EQ(json::parse(messages.back().payload)["error"]["code"], "deadline_exceeded");
  // Errors of a stream come in its end-of-stream message, with HTTP 200.
  HttpAnswer bare = Post("/rapport.v1.EventService/Subscribe", "{}", "application/connect+json");
  EXPECT_EQ(bare.status, 200);
  messages = Envelopes(bare.body);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(json::parse(messages[0].payload)["error"]["code"], "invalid_argument");
  HttpAnswer anonymous =
      Post("/rapport.v1.DataService/Export", request, "application/connect+json", "-");
  messages = Envelopes(anonymous.body);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(json::parse(messages[0].payload)["error"]["code"], "unauthenticated");
  // A unary content type on a streaming method is refused.
  EXPECT_EQ(Post("/rapport.v1.DataService/Export", "{}").status, 415);
}

}  // namespace
}  // namespace rapport
