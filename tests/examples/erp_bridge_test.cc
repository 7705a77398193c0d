// The example ERP bridge end to end: a CSV "ERP", a real rapportd process,
// the bridge binary run cycle by cycle.
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/identity.grpc.pb.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ErpBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::RapportdProcess>(RAPPORTD_PATH, dir_.Sub("data"));
    ASSERT_FALSE(server_->address().empty());
    std::ifstream(dir_.Sub("data") + "/admin.token") >> admin_token_;
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    customers_ = v1::CustomerService::NewStub(channel_);
    // The bridge runs as an integration user, as it would in production.
    auto identity = v1::IdentityService::NewStub(channel_);
    v1::CreateUserRequest user;
    user.mutable_user()->set_id("erp-bridge");
    user.mutable_user()->add_roles(v1::ROLE_INTEGRATION);
    v1::User created;
    ASSERT_TRUE(identity->CreateUser(Admin().get(), user, &created).ok());
    v1::CreateTokenRequest token;
    token.mutable_token()->set_user_id("erp-bridge");
    token.mutable_token()->set_name("bridge");
    v1::CreateTokenResponse issued;
    ASSERT_TRUE(identity->CreateToken(Admin().get(), token, &issued).ok());
    std::ofstream(dir_.Sub("bridge.token")) << issued.secret();
    erp_ = dir_.Sub("erp.csv");
  }

  std::unique_ptr<grpc::ClientContext> Admin() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + admin_token_);
    return ctx;
  }

  std::string RunBridge() {
    std::string command = std::string(ERP_BRIDGE_PATH) + " --once --server " + server_->address() +
                          " --token-file " + dir_.Sub("bridge.token") + " --erp-file " + erp_ +
                          " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    int status = pclose(pipe);
    EXPECT_EQ(WEXITSTATUS(status), 0) << out;
    return out;
  }

  v1::Customer ByErpCode(const std::string& code, grpc::StatusCode* code_out = nullptr) {
    v1::GetCustomerByExternalRefRequest r;
    r.set_system("erp");
    r.set_external_id(code);
    v1::Customer c;
    grpc::Status s = customers_->GetCustomerByExternalRef(Admin().get(), r, &c);
    if (code_out) *code_out = s.error_code();
    return c;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RapportdProcess> server_;
  std::string admin_token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::string erp_;
};

TEST_F(ErpBridgeTest, KeepsTheErpFileAndRapportInStepWithoutEchoes) {
  std::ofstream(erp_) << "erp_code,name,email,phone\n"
                         "ICC-0001,주식회사 한빛,info@hanbit.kr,02-123-4567\n"
                         "ICC-0002,Acme Korea,sales@acme.kr,\n";
  // Cycle 1: the ERP's customers appear in Rapport.
  EXPECT_THAT(RunBridge(), HasSubstr("created 2"));
  v1::Customer hanbit = ByErpCode("ICC-0001");
  EXPECT_EQ(hanbit.display_name(), "주식회사 한빛");
  EXPECT_EQ(hanbit.phones(0), "+8221234567");

  // A rep renames a customer in Rapport and adds a new one there.
  v1::UpdateCustomerRequest rename;
  rename.mutable_customer()->set_id(hanbit.id());
  rename.mutable_customer()->set_display_name("주식회사 한빛소프트");
  rename.mutable_update_mask()->add_paths("display_name");
  v1::Customer out;
  ASSERT_TRUE(customers_->UpdateCustomer(Admin().get(), rename, &out).ok());
  v1::CreateCustomerRequest fresh;
  fresh.mutable_customer()->set_display_name("새 고객");
  fresh.mutable_customer()->add_emails("new@customer.kr");
  v1::Customer created;
  ASSERT_TRUE(customers_->CreateCustomer(Admin().get(), fresh, &created).ok());

  // Cycle 2: both reach the ERP; the new one gets an ERP code in Rapport.
  RunBridge();
  std::string erp = Slurp(erp_);
  EXPECT_THAT(erp, HasSubstr("ICC-0001,주식회사 한빛소프트,info@hanbit.kr,+8221234567"));
  EXPECT_THAT(erp, HasSubstr("새 고객,new@customer.kr"));
  v1::GetCustomerRequest get;
  get.set_id(created.id());
  ASSERT_TRUE(customers_->GetCustomer(Admin().get(), get, &out).ok());
  ASSERT_TRUE(out.external_refs().contains("erp"));
  EXPECT_THAT(erp, HasSubstr(out.external_refs().at("erp")));

  // Cycle 3 with nothing new: no writes either way (no sync loop).
  const std::string before = Slurp(erp_);
  std::string quiet = RunBridge();
  EXPECT_THAT(quiet, HasSubstr("rapport -> erp: 0 rows changed"));
  EXPECT_THAT(quiet, HasSubstr("created 0, updated 0, unchanged 3, failed 0"));
  EXPECT_EQ(Slurp(erp_), before);

  // The ERP changes an email: Rapport follows, and the change does not echo back.
  std::string edited = before;
  edited.replace(edited.find("sales@acme.kr"), 13, "hello@acme.kr");
  std::ofstream(erp_) << edited;
  EXPECT_THAT(RunBridge(), HasSubstr("updated 1"));
  EXPECT_EQ(ByErpCode("ICC-0002").emails(0), "hello@acme.kr");
  EXPECT_THAT(RunBridge(), HasSubstr("rapport -> erp: 0 rows changed"));
}

}  // namespace
}  // namespace rapport
