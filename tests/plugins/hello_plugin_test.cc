// examples/hello_plugin built out of tree against the installed SDK
// (cmake --install --component sdk; find_package(RapportSDK)) and loaded
// into a real server.
#include <cstdlib>
#include <filesystem>

#include "gmock/gmock.h"
#include "hello.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

using ::testing::HasSubstr;

int Shell(const std::string& command, const std::string& log) {
  return std::system((command + " > " + log + " 2>&1").c_str());
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class HelloPluginTest : public testing::ServerTest {
 protected:
  void SetUp() override {}
};

TEST_F(HelloPluginTest, BuildsOutOfTreeAgainstTheInstalledSdkAndRuns) {
  const std::string sdk = dir_.Sub("sdk"), build = dir_.Sub("hello-build"),
                    plugins = dir_.Sub("plugins");
  const std::string cmake = CMAKE_COMMAND;
  ASSERT_EQ(Shell(cmake + " --install " + RAPPORT_BINARY_DIR + " --component sdk --prefix " + sdk,
                  dir_.Sub("install.log")),
            0)
      << Slurp(dir_.Sub("install.log"));
  ASSERT_TRUE(std::filesystem::exists(sdk + "/include/rapport/sdk/plugin.h"));
  ASSERT_EQ(Shell(cmake + " -S " + RAPPORT_SOURCE_DIR + "/examples/hello_plugin -B " + build +
                      " -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + sdk,
                  dir_.Sub("configure.log")),
            0)
      << Slurp(dir_.Sub("configure.log"));
  ASSERT_EQ(Shell(cmake + " --build " + build, dir_.Sub("build.log")), 0)
      << Slurp(dir_.Sub("build.log"));
  std::filesystem::create_directories(plugins);
  std::filesystem::copy_file(build + "/hello.so", plugins + "/hello.so");
  std::filesystem::copy_file(build + "/hello.manifest.json", plugins + "/hello.manifest.json");

  services::ServerOptions options;
  options.plugins.plugin_dir = plugins;
  StartServer(options);
  auto modules = v1::ModuleService::NewStub(channel_);
  v1::ListModulesResponse list;
  ASSERT_TRUE(modules->ListModules(Call().get(), v1::ListModulesRequest(), &list).ok());
  ASSERT_EQ(list.modules_size(), 1);
  EXPECT_EQ(list.modules(0).state(), "loaded") << list.modules(0).last_error();

  v1::SetRolloutRequest enable;
  enable.mutable_rule()->set_module("hello");
  enable.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
  v1::RolloutRule rule;
  ASSERT_TRUE(modules->SetRollout(Call().get(), enable, &rule).ok());
  auto hello = hello::v1::HelloService::NewStub(channel_);
  hello::v1::SayHelloRequest request;
  request.set_name("민수");
  hello::v1::SayHelloResponse response;
  ASSERT_TRUE(hello->SayHello(Call().get(), request, &response).ok());
  EXPECT_EQ(response.message(), "안녕하세요, 민수 (default)");
  ASSERT_TRUE(hello->SayHello(Call().get(), request, &response).ok());
  EXPECT_EQ(response.greetings(), 2);
  request.clear_name();
  EXPECT_EQ(hello->SayHello(Call().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::CreateCustomerRequest nobody;
  nobody.mutable_customer()->set_display_name("nobody");
  v1::Customer out;
  grpc::Status s = customers_->CreateCustomer(Call().get(), nobody, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'hello'"));
}

}  // namespace
}  // namespace rapport
