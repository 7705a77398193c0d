// Identity and record access through the real server: the role matrix,
// tokens, escalation attempts, audit, sparse paging for a rep, and TLS.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

enum class Who { kRep, kViewer, kManager, kIntegration, kAdmin, kOtherTenant };
enum class Whose { kOwn, kTeammate, kOtherTeam, kOtherTenant };
enum class Outcome { kOk, kDenied, kNotFound };

const char* Name(Who w) {
  static const char* kNames[] = {"rep",         "viewer", "manager",
                                 "integration", "admin",  "other-tenant"};
  return kNames[static_cast<int>(w)];
}
const char* Name(Whose w) {
  static const char* kNames[] = {"own", "teammate", "other-team", "other-tenant"};
  return kNames[static_cast<int>(w)];
}

class AccessTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    // sales ─┬─ seoul: rep_a, rep_b, viewer
    //        └─ busan: rep_c          manager: sales (whole subtree)
    CreateTeam("sales");
    CreateTeam("seoul", "sales");
    CreateTeam("busan", "sales");
    tokens_[Who::kRep] = CreateUser("rep_a", {v1::ROLE_REP}, {"seoul"});
    rep_b_ = CreateUser("rep_b", {v1::ROLE_REP}, {"seoul"});
    rep_c_ = CreateUser("rep_c", {v1::ROLE_REP}, {"busan"});
    tokens_[Who::kViewer] = CreateUser("viewer", {v1::ROLE_VIEWER}, {"seoul"});
    tokens_[Who::kManager] = CreateUser("boss", {v1::ROLE_MANAGER}, {"sales"});
    tokens_[Who::kIntegration] = CreateUser("erp-sync", {v1::ROLE_INTEGRATION}, {});
    tokens_[Who::kAdmin] = admin_token_;
    tokens_[Who::kOtherTenant] = CreateTenant("globex");
    records_[Whose::kOwn] = MakeOpportunity(tokens_[Who::kRep], "own", "E-own");
    records_[Whose::kTeammate] = MakeOpportunity(rep_b_, "teammate", "E-mate");
    records_[Whose::kOtherTeam] = MakeOpportunity(rep_c_, "other team", "E-other");
    records_[Whose::kOtherTenant] =
        MakeOpportunity(tokens_[Who::kOtherTenant], "globex", "E-globex");
  }

  v1::Opportunity MakeOpportunity(const std::string& token, const std::string& name,
                                  const std::string& external_id) {
    v1::CreateCustomerRequest c;
    c.mutable_customer()->set_display_name("Customer of " + name);
    v1::Customer customer;
    EXPECT_TRUE(customers_->CreateCustomer(Call(token).get(), c, &customer).ok());
    v1::CreateOpportunityRequest o;
    o.mutable_opportunity()->set_customer_id(customer.id());
    o.mutable_opportunity()->set_name(name);
    (*o.mutable_opportunity()->mutable_external_refs())["erp"] = external_id;
    v1::Opportunity out;
    grpc::Status s = opportunities_->CreateOpportunity(Call(token).get(), o, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  static Outcome Of(const grpc::Status& s) {
    switch (s.error_code()) {
      case grpc::StatusCode::OK:
      case grpc::StatusCode::ABORTED:  // allowed, stopped only by the stale revision we sent
        return Outcome::kOk;
      case grpc::StatusCode::PERMISSION_DENIED:
        return Outcome::kDenied;
      case grpc::StatusCode::NOT_FOUND:
        return Outcome::kNotFound;
      default:
        ADD_FAILURE() << "unexpected " << s.error_code() << ": " << s.error_message();
        return Outcome::kDenied;
    }
  }

  std::map<Who, std::string> tokens_;
  std::map<Whose, v1::Opportunity> records_;
  std::string rep_b_, rep_c_;
};

// Expected read and write outcome for each (caller, record owner).
std::pair<Outcome, Outcome> Expected(Who who, Whose whose) {
  using O = Outcome;
  if (who == Who::kOtherTenant) {
    return whose == Whose::kOtherTenant ? std::pair{O::kOk, O::kOk}
                                        : std::pair{O::kNotFound, O::kNotFound};
  }
  if (whose == Whose::kOtherTenant) return {O::kNotFound, O::kNotFound};
  switch (who) {
    case Who::kRep:
      return whose == Whose::kOtherTeam ? std::pair{O::kNotFound, O::kNotFound}
                                        : std::pair{O::kOk, O::kOk};
    case Who::kViewer:
      return whose == Whose::kOtherTeam ? std::pair{O::kNotFound, O::kNotFound}
                                        : std::pair{O::kOk, O::kDenied};
    default:
      return {O::kOk, O::kOk};
  }
}

TEST_F(AccessTest, RoleMatrixOverGetUpdateDeleteListAndExternalRef) {
  int checked = 0;
  for (Who who : {Who::kRep, Who::kViewer, Who::kManager, Who::kIntegration, Who::kAdmin,
                  Who::kOtherTenant}) {
    for (Whose whose : {Whose::kOwn, Whose::kTeammate, Whose::kOtherTeam, Whose::kOtherTenant}) {
      SCOPED_TRACE(std::string(Name(who)) + " on " + Name(whose));
      const v1::Opportunity& target = records_[whose];
      const std::string& token = tokens_[who];
      auto [read, write] = Expected(who, whose);

      v1::GetOpportunityRequest get;
      get.set_id(target.id());
      v1::Opportunity out;
      EXPECT_EQ(Of(opportunities_->GetOpportunity(Call(token).get(), get, &out)), read);

      v1::GetOpportunityByExternalRefRequest by_ref;
      by_ref.set_system("erp");
      by_ref.set_external_id(target.external_refs().at("erp"));
      EXPECT_EQ(Of(opportunities_->GetOpportunityByExternalRef(Call(token).get(), by_ref, &out)),
                read);

      // Writes carry a stale revision: an allowed write stops at ABORTED, so
      // the fixtures survive the matrix.
      v1::UpdateOpportunityRequest update;
      update.mutable_opportunity()->set_id(target.id());
      update.mutable_opportunity()->set_probability(50);
      update.mutable_update_mask()->add_paths("probability");
      update.set_expected_revision(999999);
      EXPECT_EQ(Of(opportunities_->UpdateOpportunity(Call(token).get(), update, &out)), write);

      v1::DeleteOpportunityRequest del;
      del.set_id(target.id());
      del.set_expected_revision(999999);
      google::protobuf::Empty empty;
      EXPECT_EQ(Of(opportunities_->DeleteOpportunity(Call(token).get(), del, &empty)), write);

      v1::ListOpportunitiesRequest list;
      list.set_filter("owner = \"" + target.owner() + "\" AND name = \"" + target.name() + "\"");
      v1::ListOpportunitiesResponse listed;
      ASSERT_TRUE(opportunities_->ListOpportunities(Call(token).get(), list, &listed).ok());
      EXPECT_EQ(listed.opportunities_size(), read == Outcome::kOk ? 1 : 0);
      checked += 5;
    }
  }
  EXPECT_EQ(checked, 6 * 4 * 5);
}

TEST_F(AccessTest, StageTotalsCountOnlyWhatTheCallerCanSee) {
  auto deal = [&](const std::string& token, int64_t units) {
    v1::CreateCustomerRequest c;
    c.mutable_customer()->set_display_name("Buyer");
    v1::Customer customer;
    ASSERT_TRUE(customers_->CreateCustomer(Call(token).get(), c, &customer).ok());
    v1::CreateOpportunityRequest o;
    o.mutable_opportunity()->set_customer_id(customer.id());
    o.mutable_opportunity()->set_name("Deal");
    o.mutable_opportunity()->set_pipeline("default");
    o.mutable_opportunity()->set_stage("proposal");
    o.mutable_opportunity()->mutable_amount()->set_currency_code("KRW");
    o.mutable_opportunity()->mutable_amount()->set_units(units);
    v1::Opportunity out;
    ASSERT_TRUE(opportunities_->CreateOpportunity(Call(token).get(), o, &out).ok());
  };
  deal(tokens_[Who::kRep], 100);          // rep_a, team seoul
  deal(rep_b_, 200);                      // seoul
  deal(rep_c_, 400);                      // busan
  deal(tokens_[Who::kOtherTenant], 800);  // another tenant
  auto total = [&](const std::string& token) {
    v1::GetStageTotalRequest r;
    r.set_pipeline("default");
    r.set_stage("proposal");
    r.set_currency_code("KRW");
    v1::StageTotal out;
    grpc::Status s = opportunities_->GetStageTotal(Call(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return std::pair<int64_t, int64_t>(out.opportunity_count(), out.amount().units());
  };
  using P = std::pair<int64_t, int64_t>;
  EXPECT_EQ(total(tokens_[Who::kRep]), P(2, 300));  // own team only
  EXPECT_EQ(total(tokens_[Who::kViewer]), P(2, 300));
  EXPECT_EQ(total(rep_c_), P(1, 400));
  EXPECT_EQ(total(tokens_[Who::kManager]), P(3, 700));  // the whole sales subtree
  EXPECT_EQ(total(tokens_[Who::kAdmin]), P(3, 700));    // served from the index alone
  EXPECT_EQ(total(tokens_[Who::kOtherTenant]), P(1, 800));
}

TEST_F(AccessTest, RecordsDefaultToTheCallerAndCannotBeGivenAwayOutsideTheirTeams) {
  const std::string& rep = tokens_[Who::kRep];
  v1::CreateCustomerRequest mine;
  mine.mutable_customer()->set_display_name("Defaults to me");
  v1::Customer out;
  ASSERT_TRUE(customers_->CreateCustomer(Call(rep).get(), mine, &out).ok());
  EXPECT_EQ(out.owner(), "rep_a");

  v1::CreateCustomerRequest foreign = mine;
  foreign.mutable_customer()->set_owner("rep_c");
  EXPECT_EQ(customers_->CreateCustomer(Call(rep).get(), foreign, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  foreign.mutable_customer()->set_owner("rep_b");  // teammate: fine
  EXPECT_TRUE(customers_->CreateCustomer(Call(rep).get(), foreign, &out).ok());

  v1::UpdateOpportunityRequest hand_off;
  hand_off.mutable_opportunity()->set_id(records_[Whose::kOwn].id());
  hand_off.mutable_opportunity()->set_owner("rep_c");
  hand_off.mutable_update_mask()->add_paths("owner");
  v1::Opportunity opp;
  EXPECT_EQ(opportunities_->UpdateOpportunity(Call(rep).get(), hand_off, &opp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(customers_->CreateCustomer(Call(tokens_[Who::kViewer]).get(), mine, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A rep cannot attach an interaction to a customer they cannot see.
  v1::CreateInteractionRequest note;
  note.mutable_interaction()->set_kind(v1::INTERACTION_KIND_NOTE);
  note.mutable_interaction()->set_customer_id(records_[Whose::kOtherTeam].customer_id());
  v1::Interaction interaction;
  grpc::Status s = interactions_->CreateInteraction(Call(rep).get(), note, &interaction);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(s), Contains("interaction.customer_id"));
}

TEST_F(AccessTest, CollaboratorsReadAndUpdateButCannotReassignOrDelete) {
  // rep_c (busan) cannot see rep_a's (seoul) opportunity until rep_a adds them.
  const v1::Opportunity& own = records_[Whose::kOwn];
  v1::GetOpportunityRequest get;
  get.set_id(own.id());
  v1::Opportunity seen;
  EXPECT_EQ(opportunities_->GetOpportunity(Call(rep_c_).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  auto update = [&](const std::string& token, const std::string& mask, auto fill) {
    v1::UpdateOpportunityRequest u;
    u.mutable_opportunity()->set_id(own.id());
    u.mutable_update_mask()->add_paths(mask);
    fill(u.mutable_opportunity());
    v1::Opportunity out;
    return opportunities_->UpdateOpportunity(Call(token).get(), u, &out);
  };
  // Bad input: a duplicate or empty collaborator, naming the entry.
  grpc::Status dup = update(tokens_[Who::kRep], "collaborators", [](v1::Opportunity* o) {
    o->add_collaborators("rep_c");
    o->add_collaborators("rep_c");
  });
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(dup.error_message(), HasSubstr("collaborators[1]"));
  grpc::Status empty = update(tokens_[Who::kRep], "collaborators",
                              [](v1::Opportunity* o) { o->add_collaborators(""); });
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("collaborators[0]"));
  ASSERT_TRUE(update(tokens_[Who::kRep], "collaborators", [](v1::Opportunity* o) {
                o->add_collaborators("rep_c");
              }).ok());

  ASSERT_TRUE(opportunities_->GetOpportunity(Call(rep_c_).get(), get, &seen).ok());
  EXPECT_TRUE(
      update(rep_c_, "name", [](v1::Opportunity* o) { o->set_name("edited by the SE"); }).ok());
  grpc::Status reassign =
      update(rep_c_, "owner", [](v1::Opportunity* o) { o->set_owner("rep_c"); });
  EXPECT_EQ(reassign.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(reassign.error_message(), HasSubstr("may not change the owner"));
  grpc::Status widen = update(rep_c_, "collaborators", [](v1::Opportunity* o) {
    o->add_collaborators("rep_c");
    o->add_collaborators("viewer");
  });
  EXPECT_EQ(widen.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(widen.error_message(), HasSubstr("may not change the collaborators"));
  v1::DeleteOpportunityRequest del;
  del.set_id(own.id());
  google::protobuf::Empty none;
  EXPECT_EQ(opportunities_->DeleteOpportunity(Call(rep_c_).get(), del, &none).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The owner's side removes them: access ends.
  ASSERT_TRUE(update(tokens_[Who::kRep], "collaborators", [](v1::Opportunity*) {}).ok());
  EXPECT_EQ(opportunities_->GetOpportunity(Call(rep_c_).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(opportunities_->GetOpportunity(Call(tokens_[Who::kRep]).get(), get, &seen).ok());
  EXPECT_EQ(seen.name(), "edited by the SE");
}

TEST_F(AccessTest, EscalationAttemptsArePermissionDenied) {
  for (Who who : {Who::kRep, Who::kManager, Who::kViewer, Who::kIntegration}) {
    SCOPED_TRACE(Name(who));
    const std::string& token = tokens_[who];
    v1::CreateTokenRequest token_request;
    token_request.mutable_token()->set_user_id("admin");
    token_request.mutable_token()->set_name("steal");
    v1::CreateTokenResponse issued;
    EXPECT_EQ(identity_->CreateToken(Call(token).get(), token_request, &issued).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::UpdateUserRequest promote;
    promote.mutable_user()->set_id(who == Who::kManager ? "boss" : "rep_a");
    promote.mutable_user()->add_roles(v1::ROLE_ADMIN);
    promote.mutable_update_mask()->add_paths("roles");
    v1::User user;
    EXPECT_EQ(identity_->UpdateUser(Call(token).get(), promote, &user).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::UpdateUserRequest move;
    move.mutable_user()->set_id(who == Who::kManager ? "boss" : "rep_a");
    move.mutable_user()->add_team_ids("busan");
    move.mutable_update_mask()->add_paths("team_ids");
    EXPECT_EQ(identity_->UpdateUser(Call(token).get(), move, &user).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::CreateUserRequest create;
    create.mutable_user()->set_id("sneaky");
    create.mutable_user()->add_roles(v1::ROLE_ADMIN);
    EXPECT_EQ(identity_->CreateUser(Call(token).get(), create, &user).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::CreateTenantRequest tenant;
    tenant.mutable_tenant()->set_name("rogue");
    v1::CreateTenantResponse created;
    EXPECT_EQ(identity_->CreateTenant(Call(token).get(), tenant, &created).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::CheckConsistencyResponse report;
    EXPECT_EQ(admin_->CheckConsistency(Call(token).get(), v1::CheckConsistencyRequest(), &report)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Another tenant's admin is an admin there, not an operator here.
  v1::CreateTenantRequest tenant;
  tenant.mutable_tenant()->set_name("rogue");
  v1::CreateTenantResponse created;
  EXPECT_EQ(identity_->CreateTenant(Call(tokens_[Who::kOtherTenant]).get(), tenant, &created)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetUserRequest get;
  get.set_id("rep_a");
  v1::User user;
  EXPECT_EQ(identity_->GetUser(Call(tokens_[Who::kOtherTenant]).get(), get, &user).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AccessTest, BadTokensAreUnauthenticated) {
  v1::GetCallerResponse caller;
  auto whoami = [&](const std::string& authorization) {
    grpc::ClientContext ctx;
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    return identity_->GetCaller(&ctx, v1::GetCallerRequest(), &caller).error_code();
  };
  const std::string good = tokens_[Who::kRep];
  ASSERT_EQ(whoami("Bearer " + good), grpc::StatusCode::OK);
  EXPECT_EQ(caller.user().id(), "rep_a");
  std::string wrong_secret = good;
  wrong_secret.back() = wrong_secret.back() == 'A' ? 'B' : 'A';
  std::string unknown_id = good;
  unknown_id[10] = unknown_id[10] == '0' ? '1' : '0';
  for (const std::string& bad :
       {std::string(), std::string("Bearer"), std::string("Bearer "), "Basic " + good,
        "bearer " + good, "Bearer " + good + "x", "Bearer " + wrong_secret, "Bearer " + unknown_id,
        std::string("Bearer rpt_") + std::string(26, '!') + "_" + std::string(43, 'a'),
        "Bearer " + std::string(1500, 'a'), "Bearer " + good.substr(0, 40)}) {
    EXPECT_EQ(whoami(bad), grpc::StatusCode::UNAUTHENTICATED) << bad.substr(0, 80);
  }
}

// Issue 12.3: a failed authentication is audited in the server-wide log,
// never in the tenant of the token it named, and failures are bounded per
// token id and per address, so nobody without a valid token can rotate a
// tenant's (or the operator's) real entries out.
TEST_F(AccessTest, FailedAuthenticationIsAuditedServerWideAndRateLimited) {
  const std::string globex = tokens_[Who::kOtherTenant];  // admin of tenant globex
  std::string wrong_secret = globex;
  wrong_secret.back() = wrong_secret.back() == 'A' ? 'B' : 'A';
  v1::GetCallerResponse caller;
  auto whoami = [&](const std::string& token) {
    return identity_->GetCaller(Call(token).get(), v1::GetCallerRequest(), &caller);
  };
  auto entries = [&](const std::string& token) {
    v1::ListAuditEntriesRequest request;
    request.set_page_size(1000);
    v1::ListAuditEntriesResponse audit;
    EXPECT_TRUE(identity_->ListAuditEntries(Call(token).get(), request, &audit).ok());
    int unauthenticated = 0;
    for (const auto& e : audit.entries()) {
      if (e.code() == "UNAUTHENTICATED" && e.method() == "rapport.v1.IdentityService/GetCaller") {
        ++unauthenticated;
      }
    }
    return unauthenticated;
  };
  ASSERT_EQ(whoami(wrong_secret).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(entries(globex), 0) << "globex's own log must not hold anonymous failures";
  EXPECT_EQ(entries(admin_token_), 1) << "the operator sees it in the server-wide log";

  // 20 failures per token id per minute (the default); the 21st and later
  // are RESOURCE_EXHAUSTED, name the token id and are not audited.
  const std::string token_id = globex.substr(4, 26);
  for (int i = 2; i <= 20; ++i) {
    ASSERT_EQ(whoami(wrong_secret).error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
  }
  for (int i = 0; i < 30; ++i) {
    grpc::Status s = whoami(wrong_secret);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << i;
    EXPECT_THAT(s.error_message(), HasSubstr("token id " + token_id));
  }
  EXPECT_EQ(entries(admin_token_), 20);
  // The token's owner is not locked out by someone who knows its id.
  ASSERT_TRUE(whoami(globex).ok());
  EXPECT_EQ(caller.user().id(), "admin");
  EXPECT_EQ(entries(globex), 0);
}

// Per address: a flood of calls with no token (or garbage) is cut off after
// the per-peer limit, and a valid token from the same address still works.
TEST_F(AccessTest, FailedAuthenticationIsBoundedPerAddress) {
  services::ServerOptions options;
  options.auth_failures.max_failures_per_peer = 5;
  StartServer(options);
  v1::GetCallerResponse caller;
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext anonymous;
    ASSERT_EQ(identity_->GetCaller(&anonymous, v1::GetCallerRequest(), &caller).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << i;
  }
  grpc::ClientContext anonymous;
  grpc::Status s = identity_->GetCaller(&anonymous, v1::GetCallerRequest(), &caller);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(),
              HasSubstr("too many failed authentication attempts from 127.0.0.1"));
  EXPECT_TRUE(identity_->GetCaller(Call().get(), v1::GetCallerRequest(), &caller).ok());
}

// Issue 12.8: importing with preserve_ids must not tell a restricted caller
// whether an id they cannot see is taken. Restoring ids is for callers who
// read the whole tenant; everyone else is refused up front, whatever the id.
TEST_F(AccessTest, PreserveIdsRevealsNothingToRestrictedCallers) {
  auto data = v1::DataService::NewStub(channel_);
  v1::Customer hidden_customer;
  {
    v1::GetCustomerRequest get;
    get.set_id(records_[Whose::kOtherTeam].customer_id());
    ASSERT_TRUE(customers_->GetCustomer(Call().get(), get, &hidden_customer).ok());
  }
  auto import = [&](const std::string& token, const std::string& id, v1::ImportSummary* summary) {
    auto ctx = Call(token);
    auto writer = data->Import(ctx.get(), summary);
    v1::ImportRequest header;
    header.mutable_header()->set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
    header.mutable_header()->set_preserve_ids(true);
    EXPECT_TRUE(writer->Write(header));
    v1::ImportRequest row;
    row.mutable_row()->set_line(1);
    row.mutable_row()->mutable_customer()->set_id(id);
    row.mutable_row()->mutable_customer()->set_display_name("Restored");
    writer->Write(row);
    writer->WritesDone();
    return writer->Finish();
  };
  // A fresh id (a ULID nobody uses) and the id of a customer of another
  // team: the same answer for the rep, the manager and the viewer.
  const std::string fresh = "01KBQ0000000000000000000ZZ";
  for (Who who : {Who::kRep, Who::kManager, Who::kViewer}) {
    std::vector<std::string> answers;
    for (const std::string& id : {fresh, hidden_customer.id()}) {
      SCOPED_TRACE(std::string(Name(who)) + " " + id);
      v1::ImportSummary summary;
      grpc::Status s = import(tokens_[who], id, &summary);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
      EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("in use")));
      if (who != Who::kViewer) {
        EXPECT_THAT(s.error_message(), HasSubstr("preserve_ids"));
      }
      answers.push_back(s.error_message());
    }
    EXPECT_EQ(answers[0], answers[1]) << Name(who);
  }
  // Nothing was written: the hidden customer is unchanged and the fresh id
  // does not exist.
  v1::GetCustomerRequest get;
  get.set_id(hidden_customer.id());
  v1::Customer after;
  ASSERT_TRUE(customers_->GetCustomer(Call().get(), get, &after).ok());
  EXPECT_EQ(after.display_name(), hidden_customer.display_name());
  get.set_id(fresh);
  EXPECT_EQ(customers_->GetCustomer(Call().get(), get, &after).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // An integration restores with ids as before.
  v1::ImportSummary summary;
  ASSERT_TRUE(import(tokens_[Who::kIntegration], fresh, &summary).ok());
  EXPECT_EQ(summary.created(), 1u) << summary.DebugString();
}

TEST_F(AccessTest, RevokedExpiredAndDisabledTokensStopWorking) {
  const std::string token = CreateUser("temp", {v1::ROLE_REP}, {"seoul"});
  v1::GetCallerResponse caller;
  ASSERT_TRUE(identity_->GetCaller(Call(token).get(), v1::GetCallerRequest(), &caller).ok());
  v1::ListTokensRequest list;
  list.set_user_id("temp");
  v1::ListTokensResponse tokens;
  ASSERT_TRUE(identity_->ListTokens(Call().get(), list, &tokens).ok());
  ASSERT_EQ(tokens.tokens_size(), 1);
  EXPECT_TRUE(tokens.tokens(0).has_last_used_time());
  v1::RevokeTokenRequest revoke;
  revoke.set_id(tokens.tokens(0).id());
  v1::ApiToken revoked;
  ASSERT_TRUE(identity_->RevokeToken(Call().get(), revoke, &revoked).ok());
  auto revoked_at = std::chrono::steady_clock::now();
  grpc::StatusCode code = grpc::StatusCode::OK;
  while (std::chrono::steady_clock::now() - revoked_at < std::chrono::seconds(1)) {
    code = identity_->GetCaller(Call(token).get(), v1::GetCallerRequest(), &caller).error_code();
    if (code == grpc::StatusCode::UNAUTHENTICATED) break;
  }
  EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED) << "revocation must take effect within 1 s";

  v1::CreateTokenRequest short_lived;
  short_lived.mutable_token()->set_user_id("rep_b");
  short_lived.mutable_token()->set_name("short");
  // Expires 3 to 4 s from now: it must still be valid when first used below
  // (an expiry 1 s away could pass before that on a busy machine). The
  // check after it waits past the expiry and the 1 s principal cache.
  const time_t expiry = time(nullptr) + 4;
  short_lived.mutable_token()->mutable_expire_time()->set_seconds(expiry);
  v1::CreateTokenResponse issued;
  ASSERT_TRUE(identity_->CreateToken(Call().get(), short_lived, &issued).ok());
  EXPECT_TRUE(
      identity_->GetCaller(Call(issued.secret()).get(), v1::GetCallerRequest(), &caller).ok());
  std::this_thread::sleep_until(std::chrono::system_clock::from_time_t(expiry) +
                                std::chrono::milliseconds(1100));
  EXPECT_EQ(identity_->GetCaller(Call(issued.secret()).get(), v1::GetCallerRequest(), &caller)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  short_lived.mutable_token()->mutable_expire_time()->set_seconds(time(nullptr) - 10);
  EXPECT_THAT(ViolatedFields(identity_->CreateToken(Call().get(), short_lived, &issued)),
              Contains("token.expire_time"));

  v1::UpdateUserRequest disable;
  disable.mutable_user()->set_id("rep_b");
  disable.mutable_user()->set_disabled(true);
  disable.mutable_update_mask()->add_paths("disabled");
  v1::User user;
  ASSERT_TRUE(identity_->UpdateUser(Call().get(), disable, &user).ok());
  EXPECT_EQ(identity_->GetCaller(Call(rep_b_).get(), v1::GetCallerRequest(), &caller).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccessTest, AdminChangesAreInTheFeedAndDenialsInTheAuditLog) {
  v1::GetOpportunityRequest get;
  get.set_id(records_[Whose::kOwn].id());
  v1::UpdateOpportunityRequest update;
  update.mutable_opportunity()->set_id(records_[Whose::kOwn].id());
  update.mutable_update_mask()->add_paths("probability");
  v1::Opportunity out;
  ASSERT_EQ(opportunities_->UpdateOpportunity(Call(tokens_[Who::kViewer]).get(), update, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext anonymous;
  ASSERT_EQ(opportunities_->GetOpportunity(&anonymous, get, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::ListAuditEntriesResponse audit;
  ASSERT_TRUE(
      identity_->ListAuditEntries(Call().get(), v1::ListAuditEntriesRequest(), &audit).ok());
  bool denied = false, unauthenticated = false;
  for (const auto& e : audit.entries()) {
    if (e.code() == "PERMISSION_DENIED" && e.principal() == "default/viewer" &&
        e.method() == "rapport.v1.OpportunityService/UpdateOpportunity")
      denied = true;
    if (e.code() == "UNAUTHENTICATED" &&
        e.method() == "rapport.v1.OpportunityService/GetOpportunity") {
      unauthenticated = true;
    }
  }
  EXPECT_TRUE(denied);
  EXPECT_TRUE(unauthenticated);  // the bootstrap admin is the operator: sees server-wide entries
  EXPECT_EQ(
      identity_
          ->ListAuditEntries(Call(tokens_[Who::kRep]).get(), v1::ListAuditEntriesRequest(), &audit)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  RequestContext ctx;
  ctx.tenant = 1;  // the bootstrap tenant is the first registered
  auto feed = server_->store()->feed()->Read(ctx.tenant, 0, 1000);
  ASSERT_TRUE(feed.ok());
  bool user_event = false, token_event = false;
  for (const auto& e : *feed) {
    if (e.subject() == "user/rep_a" && e.principal() == "default/admin") user_event = true;
    if (absl::StartsWith(e.subject(), "token/") && e.principal() == "default/admin")
      token_event = true;
  }
  EXPECT_TRUE(user_event);
  EXPECT_TRUE(token_event);
}

TEST_F(AccessTest, ARepPagesThroughASparseSubsetOfALargeTenantWithoutEmptyPages) {
  // 20,000 customers; rep_a's team owns one in 200 (100 records).
  const std::string& integration = tokens_[Who::kIntegration];
  int mine = 0;
  for (int batch = 0; batch < 20; ++batch) {
    v1::BatchUpsertCustomersRequest request;
    for (int i = 0; i < 1000; ++i) {
      int n = batch * 1000 + i;
      auto* c = request.add_customers();
      c->set_display_name("Bulk " + std::to_string(n));
      bool readable = n % 200 == 0;
      c->set_owner(readable ? (n % 400 == 0 ? "rep_a" : "rep_b") : "rep_c");
      mine += readable ? 1 : 0;
    }
    v1::BatchUpsertCustomersResponse response;
    ASSERT_TRUE(customers_->BatchUpsertCustomers(Call(integration).get(), request, &response).ok());
  }
  const int fixtures = 2;  // customers made for rep_a's and rep_b's opportunities in SetUp
  v1::ListCustomersRequest list;
  list.set_page_size(7);
  std::set<std::string> seen;
  int pages = 0;
  for (;;) {
    v1::ListCustomersResponse page;
    ASSERT_TRUE(customers_->ListCustomers(Call(tokens_[Who::kRep]).get(), list, &page).ok());
    ++pages;
    for (const auto& c : page.customers()) {
      EXPECT_TRUE(c.owner() == "rep_a" || c.owner() == "rep_b") << c.owner();
      EXPECT_TRUE(seen.insert(c.id()).second) << "duplicate " << c.id();
    }
    if (page.next_page_token().empty()) break;
    EXPECT_EQ(page.customers_size(), 7) << "a page short of page_size before the end";
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(static_cast<int>(seen.size()), mine + fixtures);
  EXPECT_EQ(pages, (mine + fixtures + 6) / 7);
  // Newest first works the same way.
  list.set_order_by("create_time desc");
  list.clear_page_token();
  v1::ListCustomersResponse first;
  ASSERT_TRUE(customers_->ListCustomers(Call(tokens_[Who::kRep]).get(), list, &first).ok());
  EXPECT_EQ(first.customers_size(), 7);
  // Search sees only readable records too.
  v1::SearchCustomersRequest search;
  search.set_query("Bulk 1");
  search.set_page_size(1000);
  v1::SearchCustomersResponse found;
  ASSERT_TRUE(customers_->SearchCustomers(Call(tokens_[Who::kRep]).get(), search, &found).ok());
  EXPECT_GT(found.customers_size(), 0);
  for (const auto& c : found.customers()) EXPECT_NE(c.owner(), "rep_c");
}

// TLS with certificates the test makes with the openssl CLI.
class TlsTest : public testing::ServerTest {
 protected:
  void SetUp() override {}
  std::string Pem(const std::string& name) {
    std::ifstream in(dir_.Sub(name));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void MakeCertificates() {
    std::string d = dir_.path();
    std::string script =
        "cd " + d +
        " && "
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out "
        "ca.pem && "
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out "
        "server.csr && "
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile san.ext -out server.pem && "
        "openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout client.key -out client.csr "
        "&& "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out "
        "client.pem";
    ASSERT_EQ(std::system((script + " > openssl.log 2>&1").c_str()), 0) << Pem("openssl.log");
  }
  grpc::StatusCode Whoami(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto channel = grpc::CreateChannel(server_->address(), credentials);
    auto stub = v1::IdentityService::NewStub(channel);
    v1::GetCallerResponse caller;
    auto ctx = Call();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    return stub->GetCaller(ctx.get(), v1::GetCallerRequest(), &caller).error_code();
  }
};

TEST_F(TlsTest, TlsAndMutualTlsHandshakes) {
  MakeCertificates();
  services::ServerOptions options;
  options.tls_cert_file = dir_.Sub("server.pem");
  options.tls_key_file = dir_.Sub("server.key");
  StartServer(options);
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = Pem("ca.pem");
  EXPECT_EQ(Whoami(grpc::SslCredentials(ssl)), grpc::StatusCode::OK);
  EXPECT_NE(Whoami(grpc::InsecureChannelCredentials()), grpc::StatusCode::OK);

  options.tls_client_ca_file = dir_.Sub("ca.pem");
  StartServer(options);
  EXPECT_NE(Whoami(grpc::SslCredentials(ssl)), grpc::StatusCode::OK) << "no client certificate";
  ssl.pem_cert_chain = Pem("client.pem");
  ssl.pem_private_key = Pem("client.key");
  EXPECT_EQ(Whoami(grpc::SslCredentials(ssl)), grpc::StatusCode::OK);
}

TEST_F(TlsTest, BadTlsConfigurationIsRefusedAtStart) {
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = dir_.Sub("data");
  options.tls_cert_file = dir_.Sub("missing.pem");
  options.tls_key_file = dir_.Sub("missing.key");
  auto server = services::RapportServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  options.tls_cert_file.clear();
  options.tls_key_file.clear();
  options.tls_client_ca_file = dir_.Sub("ca.pem");
  EXPECT_EQ(services::RapportServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rapport
