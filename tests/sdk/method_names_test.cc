// rapport/sdk/method_names.h: the names a plugin may serve methods under,
// the rule rapportd (core/plugin_host/host_api.cc) and the fake host
// (fake_host.h) both apply. Each rule with names it lets through and names
// it stops, and the reason it gives.
#include "rapport/sdk/method_names.h"

#include <string>

#include "gtest/gtest.h"

namespace rapport::sdk {
namespace {

TEST(MethodNamesTest, APluginPackageServiceAndMethodAreAllowed) {
  for (const char* good : {
           "/rapport.hello.v1.HelloService/SayHello",
           "/rapport.x.S/M",  // the shortest: a module and a service
           "/rapport.sfa.v1.SalesService/Get_Line_Items2",
           "/rapport.a.b.c.v2.S9/m_1",
           "/rapport.Big_Module.V1.Service_/_",
           "/rapport.v10.S/M",  // not the core's "rapport.v1."
           "/rapport.v1x.S/M",
           "/rapport.v.S/M",
       }) {
    EXPECT_EQ(MethodNameProblem(good), "") << good;
  }
}

TEST(MethodNamesTest, ANameMustStartWithSlashRapportDot) {
  for (const char* bad : {
           "",
           "/",
           "/other.v1.S/M",
           "rapport.hello.v1.S/M",  // no leading slash
           "//rapport.hello.v1.S/M",
           "/Rapport.hello.v1.S/M",  // case matters
           "/rapportx.v1.S/M",
           "/rapport",
           " /rapport.hello.v1.S/M",
       }) {
    EXPECT_EQ(MethodNameProblem(bad), "must start with \"/rapport.\"") << bad;
  }
}

TEST(MethodNamesTest, TheCorePackageIsTheCores) {
  for (const char* bad : {
           "/rapport.v1.CustomerService/Steal",
           "/rapport.v1.MyService/M",
           "/rapport.v1.x.S/M",
           "/rapport.v1./M",
       }) {
    EXPECT_EQ(MethodNameProblem(bad), "package rapport.v1 is the core's") << bad;
  }
}

TEST(MethodNamesTest, ANameHasExactlyTwoSlashes) {
  for (const char* bad : {
           "/rapport.hello.v1.HelloService",
           "/rapport.hello.v1.HelloService.SayHello",
           "/rapport.hello.v1.HelloService/SayHello/Extra",
           "/rapport.hello.v1.HelloService//SayHello",
           "/rapport.hello/v1.HelloService/SayHello",
       }) {
    EXPECT_EQ(MethodNameProblem(bad), "must be \"/package.Service/Method\" (exactly two '/')")
        << bad;
  }
}

TEST(MethodNamesTest, AMethodNameFollowsTheService) {
  EXPECT_EQ(MethodNameProblem("/rapport.hello.v1.HelloService/"),
            "has no method name after the service");
}

TEST(MethodNamesTest, AMethodNameHoldsOnlyLettersDigitsAndUnderscores) {
  for (const char* bad : {
           "/rapport.hello.v1.S/Say-Hello",
           "/rapport.hello.v1.S/Say.Hello",
           "/rapport.hello.v1.S/Say Hello",
           "/rapport.hello.v1.S/SayHello\n",
           "/rapport.hello.v1.S/\xec\x95\x88\xeb\x85\x95",  // Hangul
           "/rapport.hello.v1.S/*",
       }) {
    EXPECT_EQ(MethodNameProblem(bad), "the method name may hold only letters, digits and '_'")
        << bad;
  }
}

TEST(MethodNamesTest, AServiceNameHoldsWordsBetweenSingleDots) {
  for (const char* bad : {
           "/rapport.hello..S/M",
           "/rapport..hello.S/M",
           "/rapport.hello.v1./M",
           "/rapport./M",
           "/rapport.hello-world.v1.S/M",
           "/rapport.hello.v1.My Service/M",
           "/rapport.hello.v1.S*/M",
       }) {
    EXPECT_EQ(MethodNameProblem(bad),
              "the service name may hold only letters, digits and '_' between single dots")
        << bad;
  }
}

TEST(MethodNamesTest, ANameNeedsAModulePackageAndAService) {
  for (const char* bad : {
           "/rapport.HelloService/SayHello",
           "/rapport.x/M",
           "/rapport.v2/M",
       }) {
    EXPECT_EQ(MethodNameProblem(bad),
              "needs a package and a service (\"/rapport.<module>.v1.<Service>/<Method>\")")
        << bad;
  }
}

}  // namespace
}  // namespace rapport::sdk
