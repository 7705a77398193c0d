// The SDK's fake host behaves like rapportd where a plugin can observe it
// (issue 13, item 6). The "writer" test plugin runs here against the fake
// host with the same expectations plugin_platform_test checks against the
// real server: a failing method's keyspace writes are dropped, a Scan sees
// the call's own pending writes in key order, record writes are refused
// inside a commit, method names are checked by the same rule, and validate
// hooks cannot write.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/sdk/fake_host.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "test_plugins.pb.h"

extern "C" const rapport_plugin_info* rapport_plugin_entry(void);

namespace {

using rapport::sdk::FakeHost;
using ::testing::ElementsAre;
namespace tp = rapport::testplugins::v1;

class FakeHostParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.SetWriteRecordHandler([](rapport_resource, rapport_operation, const std::string& record,
                                   const std::string&, int64_t, std::string* stored, std::string*) {
      rapport::v1::Opportunity o;
      o.ParseFromString(record);
      o.set_revision(2);
      *stored = o.SerializeAsString();
      return RAPPORT_OK;
    });
    ASSERT_TRUE(host_.Load(rapport_plugin_entry()).ok());
  }
  template <typename Request, typename Response>
  rapport::sdk::Status Rpc(const std::string& method, const Request& r, Response* out) {
    return host_.CallMethod("/rapport.testplugins.v1.WriterService/" + method, r, out);
  }
  FakeHost host_;
};

TEST_F(FakeHostParityTest, AFailingMethodsKeyspaceWritesAreDropped) {
  tp::RenameRequest rename;
  rename.set_opportunity_id("o1");
  rename.set_name("Renamed by a plugin");
  tp::RenameResponse renamed;
  ASSERT_TRUE(Rpc("Rename", rename, &renamed).ok());
  EXPECT_EQ(host_.keyspace().at("renamed/o1"), "Renamed by a plugin");
  rename.set_name("Never stored");
  rename.set_fail_after_put(true);
  EXPECT_EQ(Rpc("Rename", rename, &renamed).code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(host_.keyspace().at("renamed/o1"), "Renamed by a plugin");
}

TEST_F(FakeHostParityTest, AScanSeesTheCallsOwnPendingWritesOverTheStoredKeys) {
  tp::ScanOwnWritesRequest request;
  request.set_prefix("s/");
  request.set_setup(true);
  tp::ScanOwnWritesResponse out;
  ASSERT_TRUE(Rpc("ScanOwnWrites", request, &out).ok());
  request.set_setup(false);
  ASSERT_TRUE(Rpc("ScanOwnWrites", request, &out).ok());
  EXPECT_THAT(out.keys(), ElementsAre("s/a=old", "s/b=new", "s/d=new", "s/e=new"));
  EXPECT_EQ(host_.keyspace().count("s/c"), 0u);  // the delete was committed with the call
}

TEST_F(FakeHostParityTest, RecordWritesAreRefusedInsideACommit) {
  // writer's pre-commit hook rejects the create unless write_record is
  // refused with FAILED_PRECONDITION there.
  rapport::v1::Customer c;
  c.set_display_name("x");
  EXPECT_TRUE(host_
                  .PreCommit<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE,
                                                    nullptr, &c)
                  .ok());
}

TEST_F(FakeHostParityTest, MethodNamesAreCheckedByTheHostsRule) {
  EXPECT_EQ(host_.metric("bad_method_names_refused"), 3);
  EXPECT_THAT(host_.methods(), ElementsAre("/rapport.testplugins.v1.WriterService/GetKey",
                                           "/rapport.testplugins.v1.WriterService/Rename",
                                           "/rapport.testplugins.v1.WriterService/ScanOwnWrites",
                                           "/rapport.testplugins.v1.WriterService/WhoIs"));
}

}  // namespace
