// The fake host's parity with rapportd for module-event hooks and
// call_module (issue 14, item 9): the "listener" plugin, with emitter's
// methods served by the test, gets the answers relay_test checks it gets
// from rapportd.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/sdk/fake_host.h"
#include "rapport/v1/event.pb.h"
#include "relay.pb.h"

extern "C" const rapport_plugin_info* rapport_plugin_entry(void);

namespace {

using rapport::relay::v1::Note;
using rapport::sdk::FakeHost;
using ::testing::HasSubstr;

constexpr char kListener[] = "/rapport.relay.v1.ListenerService/";
constexpr char kEmit[] = "/rapport.relay.v1.EmitterService/Emit";

Note MakeNote(const std::string& text, const std::string& detail = "") {
  Note note;
  note.set_text(text);
  note.set_detail(detail);
  return note;
}

class ListenerFakeHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(host_.Load(rapport_plugin_entry()).ok());
    host_.ServeModuleMethod(
        "emitter", kEmit, [this](const std::string& request, std::string* response, std::string*) {
          ++emits_;
          *response = request;
          return RAPPORT_OK;
        });
    host_.ServeModuleMethod("emitter", "/rapport.relay.v1.EmitterService/Fail",
                            [](const std::string& request, std::string*, std::string* error) {
                              Note note;
                              note.ParseFromString(request);
                              *error = "refused: " + note.text();
                              return RAPPORT_FAILED_PRECONDITION;
                            });
  }
  std::string Event(const std::string& type, const std::string& text) {
    rapport::v1::ChangeEvent event;
    event.mutable_module_event()->set_module("emitter");
    event.mutable_module_event()->set_type(type);
    event.mutable_module_event()->mutable_payload()->PackFrom(MakeNote(text));
    return event.SerializeAsString();
  }
  FakeHost host_;
  int emits_ = 0;
};

TEST_F(ListenerFakeHostTest, ModuleEventsReachTheEventHooks) {
  ASSERT_TRUE(host_.DeliverModuleEvent("emitter", "note", Event("note", "first")).ok());
  ASSERT_TRUE(
      host_.DeliverModuleEvent("emitter", "customer_noted", Event("customer_noted", "김")).ok());
  // Another module's events are not delivered to a hook for emitter's.
  ASSERT_TRUE(host_.DeliverModuleEvent("other", "note", Event("note", "x")).ok());
  Note seen;
  ASSERT_TRUE(host_.CallMethod(std::string(kListener) + "Seen", MakeNote("note"), &seen).ok());
  EXPECT_EQ(seen.count(), 1);
  ASSERT_TRUE(host_.CallMethod(std::string(kListener) + "Seen", MakeNote(""), &seen).ok());
  EXPECT_EQ(seen.count(), 2);
  EXPECT_EQ(seen.detail(), "김");
}

TEST_F(ListenerFakeHostTest, CallModuleAnswersAsRapportdDoes) {
  Note out;
  ASSERT_TRUE(host_.CallMethod(std::string(kListener) + "Relay", MakeNote("r"), &out).ok());
  EXPECT_EQ(out.text(), "r");
  EXPECT_EQ(emits_, 1);
  EXPECT_EQ(host_.keyspace().at("relayed/r"), "1");
  auto s = host_.CallMethod(std::string(kListener) + "RelayFail", MakeNote("nope"), &out);
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(s.message, "module 'emitter': refused: nope");
  s = host_.CallMethod(std::string(kListener) + "CallNamed",
                       MakeNote("/rapport.nobody.v1.Nobody/Call"), &out);
  EXPECT_EQ(s.code, RAPPORT_NOT_FOUND);
  EXPECT_THAT(s.message,
              HasSubstr("call_module: no loaded module serves '/rapport.nobody.v1.Nobody/Call'"));
  s = host_.CallMethod(std::string(kListener) + "CallNamed", MakeNote("not a method"), &out);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_THAT(s.message, HasSubstr("call_module: method '/not a method'"));
  s = host_.CallMethod(std::string(kListener) + "Loop", MakeNote("loop"), &out);
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_THAT(s.message, HasSubstr("would be 9 module calls deep (the limit is 8)"));
}

}  // namespace
