// rapportctl's ReflectionClient against a minimal reflection server that
// sends each file alone, so every import has to be asked for by name.
#include "tools/rapportctl/reflection_client.h"

#include <mutex>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"

namespace rapport::ctl {
namespace {

using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;
using ::testing::ElementsAre;
using ::testing::IsSupersetOf;

// Answers from the generated pool, one file per answer (no imports).
class OneFileAtATime final : public grpc::reflection::v1alpha::ServerReflection::Service {
 public:
  grpc::Status ServerReflectionInfo(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream)
      override {
    ServerReflectionRequest request;
    while (stream->Read(&request)) {
      ServerReflectionResponse response;
      const auto* pool = google::protobuf::DescriptorPool::generated_pool();
      const google::protobuf::FileDescriptor* file = nullptr;
      if (request.has_list_services()) {
        response.mutable_list_services_response()->add_service()->set_name(
            "rapport.v1.CustomerService");
      } else if (request.has_file_by_filename()) {
        file = pool->FindFileByName(request.file_by_filename());
        std::lock_guard<std::mutex> lock(mu_);
        asked_by_name_.push_back(request.file_by_filename());
      } else {
        file = pool->FindFileContainingSymbol(request.file_containing_symbol());
      }
      if (file != nullptr) {
        google::protobuf::FileDescriptorProto proto;
        file->CopyTo(&proto);
        response.mutable_file_descriptor_response()->add_file_descriptor_proto(
            proto.SerializeAsString());
      } else if (!request.has_list_services()) {
        response.mutable_error_response()->set_error_code(grpc::StatusCode::NOT_FOUND);
      }
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }

  std::vector<std::string> asked_by_name() {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_by_name_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> asked_by_name_;
};

class ReflectionClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Links customer.proto's descriptor into this binary (for the server side).
    ASSERT_NE(v1::Customer::descriptor(), nullptr);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    client_ =
        std::make_unique<ReflectionClient>(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                               grpc::InsecureChannelCredentials()),
                                           [] { return std::make_unique<grpc::ClientContext>(); });
  }
  void TearDown() override { server_->Shutdown(); }

  OneFileAtATime service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ReflectionClient> client_;
};

TEST_F(ReflectionClientTest, AsksForEachImportTheServerDidNotSend) {
  const google::protobuf::ServiceDescriptor* service = nullptr;
  grpc::Status s = client_->FindService("rapport.v1.CustomerService", &service);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->full_name(), "rapport.v1.CustomerService");
  // Its own pool, not the generated one rapportctl happens to link.
  EXPECT_NE(service->file()->pool(), google::protobuf::DescriptorPool::generated_pool());
  const auto* create = service->FindMethodByName("CreateCustomer");
  ASSERT_NE(create, nullptr);
  EXPECT_NE(create->input_type()->FindFieldByName("customer"), nullptr);
  EXPECT_EQ(create->output_type()->full_name(), "rapport.v1.Customer");
  EXPECT_THAT(service_.asked_by_name(),
              IsSupersetOf({"google/protobuf/empty.proto", "google/protobuf/field_mask.proto",
                            "google/protobuf/timestamp.proto", "rapport/v1/common.proto"}));
  // Each file once: a second lookup needs nothing more.
  const size_t asked = service_.asked_by_name().size();
  ASSERT_TRUE(client_->FindService("rapport.v1.CustomerService", &service).ok());
  EXPECT_EQ(service_.asked_by_name().size(), asked);
}

TEST_F(ReflectionClientTest, UnknownNamesAndNonServicesFindNothing) {
  const google::protobuf::ServiceDescriptor* service = nullptr;
  ASSERT_TRUE(client_->FindService("rapport.nope.v1.NothingService", &service).ok());
  EXPECT_EQ(service, nullptr);
  ASSERT_TRUE(client_->FindService("rapport.v1.Customer", &service).ok());  // a message
  EXPECT_EQ(service, nullptr);
  std::vector<std::string> names;
  ASSERT_TRUE(client_->ListServices(&names).ok());
  EXPECT_THAT(names, ElementsAre("rapport.v1.CustomerService"));
}

TEST_F(ReflectionClientTest, ATransportFailureIsReturnedAsItsStatus) {
  server_->Shutdown();
  ReflectionClient gone(grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()), [] {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    return context;
  });
  const google::protobuf::ServiceDescriptor* service = nullptr;
  grpc::Status s = gone.FindService("rapport.v1.CustomerService", &service);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(service, nullptr);
}

}  // namespace
}  // namespace rapport::ctl
