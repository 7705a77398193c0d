// Test helpers for the SFA plugin: a fake host with a tiny in-memory "core"
// for opportunities, which runs the plugin's pre-commit hooks on every write
// and delivers the change events to its post-commit hooks, as rapportd does.
#ifndef RAPPORT_PLUGINS_SFA_TESTS_SFA_TEST_UTIL_H_
#define RAPPORT_PLUGINS_SFA_TESTS_SFA_TEST_UTIL_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapport/sdk/fake_host.h"
#include "rapport/sfa/v1/sfa.pb.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

extern "C" const rapport_plugin_info* rapport_plugin_entry(void);

// EXPECT_HAS(text, part): `text` contains `part`.
#define EXPECT_HAS(text, part)                                                   \
  do {                                                                           \
    const std::string expect_has_text = (text);                                  \
    EXPECT_NE(expect_has_text.find(part), std::string::npos) << expect_has_text; \
  } while (0)

namespace sfatest {

namespace sv1 = rapport::sfa::v1;
using rapport::sdk::FakeHost;
using rapport::sdk::Status;
using rapport::v1::Opportunity;

constexpr int64_t kDay = 86400LL * 1000000;
// 2026-11-02T00:00:00Z
constexpr int64_t kStart = 1793577600LL * 1000000;

inline sv1::Stage MakeStage(const std::string& name, int probability,
                            sv1::ForecastCategory category, std::vector<std::string> criteria = {},
                            std::vector<std::string> backward = {}) {
  sv1::Stage s;
  s.set_name(name);
  s.set_probability(probability);
  s.set_forecast_category(category);
  for (auto& c : criteria) s.add_exit_criteria(c);
  for (auto& b : backward) s.add_backward_stages(b);
  return s;
}

// qualify -> proposal -> negotiation -> won | lost.
inline sv1::SetPipelineRequest SalesPipeline() {
  sv1::SetPipelineRequest r;
  sv1::Pipeline* p = r.mutable_pipeline();
  p->set_name("sales");
  *p->add_stages() = MakeStage("qualify", 10, sv1::FORECAST_CATEGORY_PIPELINE, {"amount"});
  *p->add_stages() = MakeStage("proposal", 40, sv1::FORECAST_CATEGORY_BEST_CASE,
                               {"expected_close_date", "attributes.decision_maker"}, {"qualify"});
  *p->add_stages() = MakeStage("negotiation", 70, sv1::FORECAST_CATEGORY_COMMIT, {}, {"proposal"});
  *p->add_stages() = MakeStage("won", 100, sv1::FORECAST_CATEGORY_CLOSED_WON);
  *p->add_stages() = MakeStage("lost", 0, sv1::FORECAST_CATEGORY_CLOSED_LOST);
  return r;
}

inline google::protobuf::Timestamp Ts(int64_t micros) {
  google::protobuf::Timestamp t;
  t.set_seconds(micros / 1000000);
  t.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return t;
}

class SfaFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.SetCaller("acme", "minsu");
    host_.SetNowMicros(now_);
    for (const char* user : {"minsu", "jiwoo", "admin", "alice", "bob", "carol"}) {
      host_.AddUser(user, std::string(user) == "admin" ? "" : "seoul,sales");
    }
    host_.SetWriteRecordHandler([this](rapport_resource r, rapport_operation op,
                                       const std::string& bytes, const std::string& mask,
                                       int64_t expected, std::string* stored, std::string* error) {
      return HandleWrite(r, op, bytes, mask, expected, stored, error);
    });
    ASSERT_TRUE(host_.Load(rapport_plugin_entry()).ok());
    rapport::v1::Customer customer;
    customer.set_id("cust1");
    customer.set_display_name("한빛소프트");
    host_.PutRecord(RAPPORT_RESOURCE_CUSTOMER, "cust1", customer.SerializeAsString());
  }

  template <typename Request, typename Response>
  Status Rpc(const std::string& method, const Request& request, Response* response) {
    return host_.CallMethod("/rapport.sfa.v1.SalesService/" + method, request, response);
  }

  Status DefinePipeline(const sv1::SetPipelineRequest& request) {
    sv1::Pipeline out;
    return Rpc("SetPipeline", request, &out);
  }

  void Advance(int64_t micros) {
    now_ += micros;
    host_.SetNowMicros(now_);
  }

  void Deliver(rapport_operation op, const Opportunity* before, const Opportunity* after,
               const std::string& id) {
    rapport::v1::ChangeEvent event;
    event.set_sequence(++sequence_);
    *event.mutable_commit_time() = Ts(now_);
    event.set_resource_type(rapport::v1::RESOURCE_TYPE_OPPORTUNITY);
    event.set_resource_id(id);
    event.set_operation(op == RAPPORT_OP_CREATE   ? rapport::v1::CHANGE_OPERATION_CREATE
                        : op == RAPPORT_OP_UPDATE ? rapport::v1::CHANGE_OPERATION_UPDATE
                                                  : rapport::v1::CHANGE_OPERATION_DELETE);
    if (before) {
      event.mutable_before()->set_type_url("type.googleapis.com/rapport.v1.Opportunity");
      event.mutable_before()->set_value(before->SerializeAsString());
    }
    if (after) {
      event.mutable_after()->set_type_url("type.googleapis.com/rapport.v1.Opportunity");
      event.mutable_after()->set_value(after->SerializeAsString());
    }
    event.set_principal("user/minsu");
    Status s = host_.PostCommit(RAPPORT_RESOURCE_OPPORTUNITY, op, event.SerializeAsString());
    ASSERT_TRUE(s.ok()) << s.message;
  }

  // Creates `opp` the way the core would: id, revision 1, times, hooks.
  Status Create(Opportunity* opp) {
    if (opp->id().empty()) opp->set_id("opp" + std::to_string(++next_id_));
    if (opp->customer_id().empty()) opp->set_customer_id("cust1");
    if (opp->owner().empty()) opp->set_owner("minsu");
    opp->set_revision(1);
    *opp->mutable_create_time() = Ts(now_);
    *opp->mutable_update_time() = Ts(now_);
    Status s =
        host_.PreCommit<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, RAPPORT_OP_CREATE, nullptr, opp);
    if (!s.ok()) return s;
    opps_[opp->id()] = *opp;
    host_.PutRecord(RAPPORT_RESOURCE_OPPORTUNITY, opp->id(), opp->SerializeAsString());
    Deliver(RAPPORT_OP_CREATE, nullptr, opp, opp->id());
    return s;
  }

  Status Update(const std::string& id, const std::function<void(Opportunity*)>& change,
                Opportunity* stored = nullptr) {
    const Opportunity before = opps_.at(id);
    Opportunity after = before;
    change(&after);
    after.set_revision(before.revision() + 1);
    *after.mutable_update_time() = Ts(now_);
    Status s = host_.PreCommit<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, RAPPORT_OP_UPDATE,
                                            &before, &after);
    if (!s.ok()) return s;
    opps_[id] = after;
    host_.PutRecord(RAPPORT_RESOURCE_OPPORTUNITY, id, after.SerializeAsString());
    Deliver(RAPPORT_OP_UPDATE, &before, &after, id);
    if (stored) *stored = after;
    return s;
  }

  void Delete(const std::string& id) {
    const Opportunity before = opps_.at(id);
    opps_.erase(id);
    host_.PutRecord(RAPPORT_RESOURCE_OPPORTUNITY, id, "");
    Deliver(RAPPORT_OP_DELETE, &before, nullptr, id);
  }

  int HandleWrite(rapport_resource resource, rapport_operation op, const std::string& bytes,
                  const std::string& mask, int64_t expected, std::string* stored,
                  std::string* error) {
    ++writes_;
    if (resource != RAPPORT_RESOURCE_OPPORTUNITY || op != RAPPORT_OP_UPDATE) {
      *error = "the test core only updates opportunities";
      return RAPPORT_UNIMPLEMENTED;
    }
    Opportunity patch;
    patch.ParseFromString(bytes);
    auto it = opps_.find(patch.id());
    if (it == opps_.end()) {
      *error = "opportunity " + patch.id() + " not found";
      return RAPPORT_NOT_FOUND;
    }
    if (expected != 0 && expected != it->second.revision()) {
      *error = "opportunity was changed concurrently; current revision is " +
               std::to_string(it->second.revision());
      return RAPPORT_ABORTED;
    }
    last_mask_ = mask;
    Opportunity out;
    Status s = Update(
        patch.id(),
        [&](Opportunity* o) {
          if (mask == "collaborators") *o->mutable_collaborators() = patch.collaborators();
          if (mask == "amount") *o->mutable_amount() = patch.amount();
        },
        &out);
    if (!s.ok()) {
      *error = s.message;
      return s.code;
    }
    *stored = out.SerializeAsString();
    return RAPPORT_OK;
  }

  FakeHost host_;
  int64_t now_ = kStart;
  uint64_t sequence_ = 0;
  int next_id_ = 0;
  int writes_ = 0;
  std::string last_mask_;
  std::map<std::string, Opportunity> opps_;
};

// With the sales pipeline of SalesPipeline() defined.
class EnforcementTest : public SfaFixture {
 protected:
  void SetUp() override {
    SfaFixture::SetUp();
    ASSERT_TRUE(DefinePipeline(SalesPipeline()).ok());
  }
  Opportunity Qualified() {
    Opportunity opp;
    opp.set_name("ERP 도입");
    opp.mutable_amount()->set_currency_code("KRW");
    opp.mutable_amount()->set_units(50000000);
    EXPECT_TRUE(Create(&opp).ok());
    return opp;
  }
};

}  // namespace sfatest

#endif  // RAPPORT_PLUGINS_SFA_TESTS_SFA_TEST_UTIL_H_
