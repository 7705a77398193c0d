// Modules talking to modules in a real rapportd (SDK 1.2, issue 14 items 6
// and 7): module events in the change feed and in other modules' hooks,
// call_module as the same caller and in the same transaction, the RPC's
// deadline, metadata and request id, and server-streaming plugin methods
// with cancellation. The "emitter" and "listener" plugins are real .so files
// (relay.proto says what each method does).
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "relay.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using relay::v1::Note;
using ::testing::HasSubstr;

class RelayTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    plugin_dir_ = dir_.Sub("plugins");
    fs::create_directories(plugin_dir_);
    for (const auto& entry : fs::directory_iterator(RAPPORT_RELAY_PLUGIN_DIR)) {
      fs::copy_file(entry.path(), plugin_dir_ + "/" + entry.path().filename().string());
    }
    services::ServerOptions options;
    options.plugins.plugin_dir = plugin_dir_;
    options.plugins.retry_base = absl::Milliseconds(5);
    options.plugin_max_streams = 2;
    StartServer(options);
    modules_ = v1::ModuleService::NewStub(channel_);
    events_ = v1::EventService::NewStub(channel_);
    emitter_ = relay::v1::EmitterService::NewStub(channel_);
    listener_ = relay::v1::ListenerService::NewStub(channel_);
    ASSERT_TRUE(SetMode("emitter", v1::MODULE_MODE_ON).ok());
    ASSERT_TRUE(SetMode("listener", v1::MODULE_MODE_ON).ok());
  }

  grpc::Status SetMode(const std::string& module, v1::ModuleMode mode) {
    v1::SetRolloutRequest request;
    request.mutable_rule()->set_module(module);
    request.mutable_rule()->set_default_mode(mode);
    v1::RolloutRule out;
    return modules_->SetRollout(Call().get(), request, &out);
  }
  static Note MakeNote(const std::string& text, int64_t count = 0, const std::string& detail = "") {
    Note note;
    note.set_text(text);
    note.set_count(count);
    note.set_detail(detail);
    return note;
  }
  // Emitter's key `key`: its value, or nullopt.
  std::optional<std::string> EmitterKey(const std::string& key) {
    Note out;
    grpc::Status s = emitter_->Has(Call().get(), MakeNote(key), &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (out.count() == 0) return std::nullopt;
    return out.detail();
  }
  // The listener's count of events of `type` ("" all), once it reaches
  // `want` (or 10 s pass), and the last payload text.
  Note SeenWhen(const std::string& type, int64_t want) {
    Note out;
    for (int i = 0; i < 1000; ++i) {
      grpc::Status s = listener_->Seen(Call().get(), MakeNote(type), &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (out.count() >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return out;
  }
  // Every event of the admin's tenant in the feed so far.
  std::vector<v1::ChangeEvent> Feed() {
    v1::SubscribeRequest request;
    v1::GetFeedInfoResponse info;
    EXPECT_TRUE(events_->GetFeedInfo(Call().get(), v1::GetFeedInfoRequest(), &info).ok());
    std::vector<v1::ChangeEvent> out;
    if (info.head_sequence() == 0) return out;
    auto ctx = Call();
    auto reader = events_->Subscribe(ctx.get(), request);
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      if (response.has_event()) out.push_back(response.event());
      const uint64_t at = out.empty() ? 0 : out.back().sequence();
      if (at >= info.head_sequence() || response.head_sequence() <= at) break;
    }
    ctx->TryCancel();
    return out;
  }
  std::vector<v1::ChangeEvent> ModuleEvents() {
    std::vector<v1::ChangeEvent> out;
    for (auto& e : Feed()) {
      if (e.has_module_event()) out.push_back(std::move(e));
    }
    return out;
  }
  v1::Module Module(const std::string& name) {
    v1::ListModulesResponse list;
    EXPECT_TRUE(modules_->ListModules(Call().get(), v1::ListModulesRequest(), &list).ok());
    for (const auto& m : list.modules()) {
      if (m.name() == name) return m;
    }
    return {};
  }

  std::string plugin_dir_;
  std::unique_ptr<v1::ModuleService::Stub> modules_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<relay::v1::EmitterService::Stub> emitter_;
  std::unique_ptr<relay::v1::ListenerService::Stub> listener_;
};

TEST_F(RelayTest, AnEmittedEventReachesTheFeedAndTheModulesThatListen) {
  Note out;
  ASSERT_TRUE(emitter_->Emit(Call().get(), MakeNote("first", 7), &out).ok());
  auto events = ModuleEvents();
  ASSERT_EQ(events.size(), 1u);
  const v1::ChangeEvent& e = events[0];
  EXPECT_EQ(e.module_event().module(), "emitter");
  EXPECT_EQ(e.module_event().type(), "note");
  EXPECT_EQ(e.origin(), "module/emitter");
  EXPECT_EQ(e.subject(), "module/emitter/note");
  EXPECT_EQ(e.resource_type(), v1::RESOURCE_TYPE_UNSPECIFIED);
  EXPECT_TRUE(e.resource_id().empty());
  EXPECT_THAT(e.principal(), HasSubstr("admin"));
  Note payload;
  ASSERT_TRUE(e.module_event().payload().UnpackTo(&payload));
  EXPECT_EQ(payload.text(), "first");
  EXPECT_EQ(payload.count(), 7);
  // The event committed with the method's keyspace write.
  EXPECT_EQ(EmitterKey("emitted/first"), "1");
  // The listener's event hook saw it once.
  Note seen = SeenWhen("note", 1);
  EXPECT_EQ(seen.count(), 1);
  EXPECT_EQ(seen.detail(), "first");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(SeenWhen("", 1).count(), 1);
}

TEST_F(RelayTest, AnEventFromAPreCommitHookCommitsWithItsRecordOrNotAtAll) {
  v1::CreateCustomerRequest create;
  create.mutable_customer()->set_display_name("김민수");
  create.set_request_id("req-kim-1");
  v1::Customer kim;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), create, &kim).ok());
  auto feed = Feed();
  ASSERT_GE(feed.size(), 2u);
  // The record's event, then the event its hook emitted, both carrying the
  // write's request id.
  const v1::ChangeEvent& record = feed[feed.size() - 2];
  const v1::ChangeEvent& noted = feed.back();
  EXPECT_EQ(record.resource_id(), kim.id());
  EXPECT_EQ(noted.module_event().type(), "customer_noted");
  EXPECT_EQ(noted.sequence(), record.sequence() + 1);
  EXPECT_EQ(noted.request_id(), "req-kim-1");
  Note payload;
  ASSERT_TRUE(noted.module_event().payload().UnpackTo(&payload));
  EXPECT_EQ(payload.text(), "김민수");
  EXPECT_EQ(payload.detail(), "req-kim-1");  // call_request_id in the hook
  EXPECT_EQ(SeenWhen("customer_noted", 1).detail(), "김민수");

  // A hook that emits, then fails the write: neither the record nor the
  // event is written.
  create.mutable_customer()->set_display_name("reject me");
  create.clear_request_id();
  v1::Customer rejected;
  grpc::Status s = customers_->CreateCustomer(Call().get(), create, &rejected);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'emitter': rejected after emitting"));
  // A validate hook cannot emit.
  create.mutable_customer()->set_display_name("emit in validate");
  s = customers_->CreateCustomer(Call().get(), create, &rejected);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("validate hooks cannot emit events"));
  auto after = ModuleEvents();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(Feed().size(), feed.size());
}

TEST_F(RelayTest, BadEventsAreRefusedNamingTheProblemAndNothingIsWritten) {
  Note out;
  grpc::Status s = emitter_->Emit(Call().get(), MakeNote("bad type"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("module 'emitter': event type 'Bad Type': must match [a-z0-9][a-z0-9_.]*"));
  s = emitter_->Emit(Call().get(), MakeNote("too big", 70000), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("event payload: must be at most 65536 bytes"));
  EXPECT_EQ(EmitterKey("emitted/bad type"), std::nullopt);
  EXPECT_EQ(EmitterKey("emitted/too big"), std::nullopt);
  EXPECT_TRUE(ModuleEvents().empty());
}

TEST_F(RelayTest, CallModuleRunsAsTheCallerInTheCallersTransaction) {
  Note out;
  grpc::Status s = listener_->Relay(Call().get(), MakeNote("relayed", 3), &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.text(), "relayed");
  EXPECT_EQ(out.count(), 3);
  EXPECT_EQ(EmitterKey("emitted/relayed"), "1");
  EXPECT_EQ(SeenWhen("note", 1).detail(), "relayed");
  EXPECT_EQ(Module("emitter").metrics().at("module_calls"), 1);

  // The caller fails after the call: the callee's write and event go too.
  s = listener_->Relay(Call().get(), MakeNote("undone", 0, "fail after"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'listener': failed after the call"));
  EXPECT_EQ(EmitterKey("emitted/undone"), std::nullopt);
  // The callee fails: its code and message come back, prefixed with its
  // name, and its write is dropped.
  s = listener_->RelayFail(Call().get(), MakeNote("nope"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'listener': module 'emitter': refused: nope"));
  EXPECT_EQ(EmitterKey("failed/nope"), std::nullopt);
  EXPECT_EQ(ModuleEvents().size(), 1u);
}

TEST_F(RelayTest, CallModuleRefusesMissingMethodsStreamsLoopsAndModulesOffForTheCaller) {
  Note out;
  grpc::Status s =
      listener_->CallNamed(Call().get(), MakeNote("/rapport.nobody.v1.Nobody/Call"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(),
              HasSubstr("call_module: no loaded module serves '/rapport.nobody.v1.Nobody/Call'"));
  s = listener_->CallNamed(Call().get(), MakeNote("not a method"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("call_module: method '/not a method'"));
  // The leading '/' may be left out.
  s = listener_->CallNamed(Call().get(), MakeNote("rapport.relay.v1.EmitterService/Count"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("is a streaming method"));
  s = listener_->Loop(Call().get(), MakeNote("loop"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("would be 9 module calls deep (the limit is 8)"));

  ASSERT_TRUE(SetMode("emitter", v1::MODULE_MODE_OFF).ok());
  s = listener_->Relay(Call().get(), MakeNote("gated"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'emitter' is off for tenant"));
  EXPECT_TRUE(ModuleEvents().empty());
}

TEST_F(RelayTest, AHandlerSeesTheDeadlineMetadataAndRequestId) {
  auto ctx = Call();
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  ctx->set_deadline(deadline);
  ctx->AddMetadata("x-relay-tag", "blue-42");
  ctx->AddMetadata("x-request-id", "req-42");
  Note out;
  ASSERT_TRUE(emitter_->Context(ctx.get(), MakeNote(""), &out).ok());
  const int64_t want =
      std::chrono::duration_cast<std::chrono::microseconds>(deadline.time_since_epoch()).count();
  EXPECT_NEAR(static_cast<double>(out.count()), static_cast<double>(want), 2e6);
  EXPECT_EQ(out.detail(), "blue-42");
  EXPECT_EQ(out.text(), "req-42");

  auto plain = std::make_unique<grpc::ClientContext>();
  plain->AddMetadata("authorization", "Bearer " + admin_token_);
  ASSERT_TRUE(emitter_->Context(plain.get(), MakeNote(""), &out).ok());
  EXPECT_EQ(out.count(), 0);
  EXPECT_EQ(out.detail(), "");
  EXPECT_EQ(out.text(), "");
}

TEST_F(RelayTest, AStreamingMethodStreamsAndCommitsItsWrites) {
  auto ctx = Call();
  auto reader = emitter_->Count(ctx.get(), MakeNote("five", 5));
  std::vector<std::string> got;
  Note note;
  while (reader->Read(&note)) got.push_back(note.text());
  grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got, (std::vector<std::string>{"n0", "n1", "n2", "n3", "n4"}));
  EXPECT_EQ(EmitterKey("streamed/five"), "5");
}

TEST_F(RelayTest, ACancelledStreamStopsTheHandler) {
  auto ctx = Call();
  auto reader = emitter_->Count(ctx.get(), MakeNote("cancelled", 100000, "slow"));
  Note note;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader->Read(&note));
  ctx->TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The handler noticed, stopped and committed what it had sent.
  std::optional<std::string> sent;
  for (int i = 0; i < 500 && !sent; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    sent = EmitterKey("streamed/cancelled");
  }
  ASSERT_TRUE(sent.has_value());
  EXPECT_GE(std::stoi(*sent), 3);
  EXPECT_LT(std::stoi(*sent), 1000);
}

TEST_F(RelayTest, StreamsAreBoundedGatedAndAuthenticated) {
  // --plugin-max-streams is 2 here: a third concurrent stream is refused.
  auto a = Call(), b = Call();
  auto first = emitter_->Count(a.get(), MakeNote("a", 100000, "slow"));
  auto second = emitter_->Count(b.get(), MakeNote("b", 100000, "slow"));
  Note note;
  ASSERT_TRUE(first->Read(&note));
  ASSERT_TRUE(second->Read(&note));
  auto c = Call();
  auto third = emitter_->Count(c.get(), MakeNote("c", 1));
  while (third->Read(&note)) {
  }
  grpc::Status s = third->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("too many plugin streams at once (2"));
  a->TryCancel();
  b->TryCancel();
  first->Finish();
  second->Finish();

  // The slots free once the cancelled handlers return: retry briefly.
  grpc::Status refused;
  for (int i = 0; i < 100; ++i) {
    auto anonymous = Call("-");
    auto stream = emitter_->Count(anonymous.get(), MakeNote("anon", 1));
    while (stream->Read(&note)) {
    }
    refused = stream->Finish();
    if (refused.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED) << refused.error_message();

  ASSERT_TRUE(SetMode("emitter", v1::MODULE_MODE_OFF).ok());
  // A stream slot is freed when its handler has returned: retry briefly.
  grpc::Status gated;
  for (int i = 0; i < 100; ++i) {
    auto d = Call();
    auto off = emitter_->Count(d.get(), MakeNote("off", 1));
    while (off->Read(&note)) {
    }
    gated = off->Finish();
    if (gated.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(gated.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(gated.error_message(), HasSubstr("module 'emitter' is off for tenant"));
}

TEST_F(RelayTest, PostCommitHooksActForTheWriterWithTheirRolesAndScope) {
  CreateTeam("seoul");
  CreateTeam("gangnam", "seoul");
  CreateTeam("busan");
  const std::string manager = CreateUser("mgr_seoul", {v1::ROLE_MANAGER}, {"seoul"});
  const std::string rep = CreateUser("rep_gangnam", {v1::ROLE_REP}, {"gangnam"});
  const std::string busan = CreateUser("rep_busan", {v1::ROLE_REP}, {"busan"});
  // What the hook saw of the customer `name`'s writer, once it has run.
  auto seen_by_hook = [&](const std::string& name) {
    Note out;
    for (int i = 0; i < 1000 && out.detail().empty(); ++i) {
      EXPECT_TRUE(listener_->Writer(Call().get(), MakeNote(name), &out).ok());
      if (out.detail().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return out.detail();
  };
  // One write at a time, each hook seen before the next write.
  auto view_of = [&](const std::string& name, const std::string& token) {
    v1::CreateCustomerRequest request;
    request.mutable_customer()->set_display_name(name);
    v1::Customer created;
    grpc::Status s = customers_->CreateCustomer(Call(token).get(), request, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return seen_by_hook(name);
  };
  EXPECT_EQ(view_of("by admin", ""), "all|admin|1");
  EXPECT_EQ(view_of("by rep", rep), "rep_gangnam|rep|1");  // their own only
  // A manager reads their teams' subtree: themselves and the gangnam rep.
  EXPECT_EQ(view_of("by manager", manager), "mgr_seoul,rep_gangnam|manager|2");
  EXPECT_EQ(view_of("by busan", busan), "rep_busan|rep|1");

  // A write the host makes for a module (a timer's handler: principal
  // module/listener, no user) is no user's: its hooks read everything.
  Note ignored;
  ASSERT_TRUE(listener_->CreateLater(Call().get(), MakeNote("by timer"), &ignored).ok());
  EXPECT_EQ(seen_by_hook("by timer"), "all||5");
}

}  // namespace
}  // namespace rapport
