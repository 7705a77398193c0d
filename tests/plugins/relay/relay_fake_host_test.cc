// The fake host's parity with rapportd for module events, the RPC's context
// and streaming methods (issue 14, item 9): the "emitter" plugin gets here
// the answers relay_test checks it gets from rapportd, in the same words.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/sdk/fake_host.h"
#include "rapport/v1/customer.pb.h"
#include "relay.pb.h"

extern "C" const rapport_plugin_info* rapport_plugin_entry(void);

namespace {

using rapport::relay::v1::Note;
using rapport::sdk::FakeHost;
using ::testing::HasSubstr;

constexpr char kEmitter[] = "/rapport.relay.v1.EmitterService/";

Note MakeNote(const std::string& text, int64_t count = 0, const std::string& detail = "") {
  Note note;
  note.set_text(text);
  note.set_count(count);
  note.set_detail(detail);
  return note;
}

class EmitterFakeHostTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(host_.Load(rapport_plugin_entry()).ok()); }
  FakeHost host_;
};

TEST_F(EmitterFakeHostTest, EmittedEventsCommitWithTheCall) {
  Note out;
  ASSERT_TRUE(host_.CallMethod(std::string(kEmitter) + "Emit", MakeNote("first", 7), &out).ok());
  ASSERT_EQ(host_.emitted_events().size(), 1u);
  const auto& e = host_.emitted_events()[0];
  EXPECT_EQ(e.type, "note");
  EXPECT_EQ(e.payload_type, "rapport.relay.v1.Note");
  Note payload;
  ASSERT_TRUE(payload.ParseFromString(e.payload));
  EXPECT_EQ(payload.text(), "first");
  EXPECT_EQ(host_.keyspace().at("emitted/first"), "1");
}

TEST_F(EmitterFakeHostTest, BadEventsAreRefusedInRapportdsWords) {
  Note out;
  auto s = host_.CallMethod(std::string(kEmitter) + "Emit", MakeNote("bad type"), &out);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "event type 'Bad Type': must match [a-z0-9][a-z0-9_.]*");
  s = host_.CallMethod(std::string(kEmitter) + "Emit", MakeNote("too big", 70000), &out);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_THAT(s.message, HasSubstr("event payload: must be at most 65536 bytes"));
  EXPECT_TRUE(host_.emitted_events().empty());
  EXPECT_EQ(host_.keyspace().count("emitted/bad type"), 0u);
}

TEST_F(EmitterFakeHostTest, HookEventsCommitWithTheWriteOrNotAtAll) {
  const rapport::v1::Customer* no_before = nullptr;
  rapport::v1::Customer kim;
  kim.set_display_name("김민수");
  host_.SetRpc({0, false, {}, "req-kim-1"});
  ASSERT_TRUE(host_.PreCommit(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, no_before, &kim).ok());
  ASSERT_EQ(host_.emitted_events().size(), 1u);
  Note payload;
  ASSERT_TRUE(payload.ParseFromString(host_.emitted_events()[0].payload));
  EXPECT_EQ(payload.detail(), "req-kim-1");

  rapport::v1::Customer reject;
  reject.set_display_name("reject me");
  auto s = host_.PreCommit(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, no_before, &reject);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  rapport::v1::Customer validate;
  validate.set_display_name("emit in validate");
  s = host_.Validate(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, no_before, &validate);
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_THAT(s.message, HasSubstr("validate hooks cannot emit events"));
  EXPECT_EQ(host_.emitted_events().size(), 1u);
}

TEST_F(EmitterFakeHostTest, TheRpcContextIsWhatTheTestSets) {
  Note out;
  ASSERT_TRUE(host_.CallMethod(std::string(kEmitter) + "Context", MakeNote(""), &out).ok());
  EXPECT_EQ(out.count(), 0);
  EXPECT_EQ(out.detail(), "");
  EXPECT_EQ(out.text(), "");
  host_.SetRpc({1'900'000'000'000'000, false, {{"x-relay-tag", "파란색"}}, "req-42"});
  ASSERT_TRUE(host_.CallMethod(std::string(kEmitter) + "Context", MakeNote(""), &out).ok());
  EXPECT_EQ(out.count(), 1'900'000'000'000'000);
  EXPECT_EQ(out.detail(), "파란색");
  EXPECT_EQ(out.text(), "req-42");
}

TEST_F(EmitterFakeHostTest, StreamsSendCommitAndStopWhenTheCallerGoes) {
  std::vector<Note> got;
  ASSERT_TRUE(
      host_.CallStreamMethod(std::string(kEmitter) + "Count", MakeNote("five", 5), &got).ok());
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[4].text(), "n4");
  EXPECT_EQ(host_.keyspace().at("streamed/five"), "5");
  got.clear();
  ASSERT_TRUE(host_
                  .CallStreamMethod(std::string(kEmitter) + "Count", MakeNote("cut", 1000), &got,
                                    /*cancel_after=*/3)
                  .ok());
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(host_.keyspace().at("streamed/cut"), "3");
  Note out;
  auto s = host_.CallMethod(std::string(kEmitter) + "Count", MakeNote("unary"), &out);
  EXPECT_EQ(s.code, 12);  // a streaming method is not a unary one
}

}  // namespace
