// The identity store on its own (core/identity/identity_store.h), on a real
// RocksDB in a temp directory with a fake clock: bootstrap, tokens (parse,
// issue, authenticate, revoke, expire), teams (cycles and depth), users,
// the AccessScope each role gets, tenants, and the bounded audit logs.
#include "core/identity/identity_store.h"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/common/status_util.h"
#include "core/feed/change_feed.h"
#include "core/store/database.h"
#include "core/store/keyspace.h"
#include "core/tenant/tenant_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace rapport::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

class IdentityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    auto boot = store_->Bootstrap(dir_.path(), "acme");
    ASSERT_TRUE(boot.ok()) << boot.status();
    ASSERT_TRUE(boot->created);
    std::ifstream in(boot->token_path);
    std::getline(in, admin_token_);
    admin_ = Auth(admin_token_);
    ASSERT_NE(admin_, nullptr);
  }

  void Open() {
    store_.reset();
    feed_.reset();
    tenants_.reset();
    db_.reset();
    store::DatabaseOptions options;
    options.path = dir_.Sub("db");
    auto db = store::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    tenants_ = std::make_unique<tenant::TenantRegistry>(db_.get());
    auto feed = feed::ChangeFeed::Open(db_.get(), &clock_);
    ASSERT_TRUE(feed.ok()) << feed.status();
    feed_ = std::move(*feed);
    store_ = std::make_unique<IdentityStore>(db_.get(), tenants_.get(), feed_.get(), &clock_);
  }

  std::shared_ptr<const Principal> Auth(const std::string& token) {
    auto p = store_->Authenticate("Bearer " + token);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }

  // The UNAUTHENTICATED reason for `authorization`.
  std::string AuthRefusal(const std::string& authorization) {
    auto p = store_->Authenticate(authorization);
    EXPECT_FALSE(p.ok()) << "authenticated " << authorization;
    if (p.ok()) return "";
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << p.status();
    return std::string(p.status().message());
  }

  v1::Team Team(const std::string& id, const std::string& parent = "") {
    v1::Team t;
    t.set_id(id);
    t.set_display_name(id);
    t.set_parent_team_id(parent);
    auto created = store_->CreateTeam(*admin_, t);
    EXPECT_TRUE(created.ok()) << id << ": " << created.status();
    return created.ok() ? *created : v1::Team();
  }

  v1::User User(const std::string& id, v1::Role role, std::vector<std::string> teams = {}) {
    v1::User u;
    u.set_id(id);
    u.set_display_name(id);
    u.add_roles(role);
    for (auto& t : teams) u.add_team_ids(t);
    auto created = store_->CreateUser(*admin_, u);
    EXPECT_TRUE(created.ok()) << id << ": " << created.status();
    return created.ok() ? *created : v1::User();
  }

  v1::CreateTokenResponse Token(const std::string& user,
                                absl::Duration ttl = absl::ZeroDuration()) {
    v1::ApiToken t;
    t.set_user_id(user);
    t.set_name("token of " + user);
    if (ttl != absl::ZeroDuration()) {
      const int64_t ns = absl::ToUnixNanos(clock_.Now() + ttl);
      t.mutable_expire_time()->set_seconds(ns / 1000000000);
      t.mutable_expire_time()->set_nanos(static_cast<int32_t>(ns % 1000000000));
    }
    auto issued = store_->CreateToken(*admin_, t);
    EXPECT_TRUE(issued.ok()) << user << ": " << issued.status();
    return issued.ok() ? *issued : v1::CreateTokenResponse();
  }

  // A principal for `user` through a fresh token.
  std::shared_ptr<const Principal> As(const std::string& user) {
    return Auth(Token(user).secret());
  }

  // field -> description of an INVALID_ARGUMENT.
  static std::map<std::string, std::string> Violations(const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    std::map<std::string, std::string> out;
    for (const auto& v : FieldViolations(status)) out[v.field] = v.description;
    return out;
  }

  int StoredAuditEntries(uint32_t tenant) {
    const std::string prefix = store::AuditPrefix(tenant);
    int n = 0;
    auto it = db_->NewIterator(db_->meta());
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    return n;
  }

  testing::TempDir dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<tenant::TenantRegistry> tenants_;
  std::unique_ptr<feed::ChangeFeed> feed_;
  std::unique_ptr<IdentityStore> store_;
  std::string admin_token_;
  std::shared_ptr<const Principal> admin_;
};

// --- Bootstrap.

TEST_F(IdentityStoreTest, BootstrapMakesAnOperatorAdminWithATokenFileReadableByItsOwnerOnly) {
  struct stat st;
  ASSERT_EQ(::stat(dir_.Sub("admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_THAT(admin_token_, StartsWith("rpt_"));
  EXPECT_EQ(admin_->tenant_name, "acme");
  EXPECT_EQ(admin_->user.id(), "admin");
  EXPECT_TRUE(admin_->IsAdmin());
  EXPECT_TRUE(admin_->is_operator);
  ASSERT_NE(admin_->scope, nullptr);
  EXPECT_TRUE(admin_->scope->all);
  EXPECT_TRUE(admin_->scope->can_write);
  // The bootstrap is in the tenant's feed.
  auto events = feed_->Read(admin_->tenant, 0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ((*events)[0].subject(), "tenant/acme");
}

TEST_F(IdentityStoreTest, BootstrapRunsOnceEvenAfterReopeningOrWithAnotherName) {
  auto again = store_->Bootstrap(dir_.path(), "acme");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->tenant, "acme");
  Open();
  auto reopened = store_->Bootstrap(dir_.path(), "other");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_FALSE(reopened->created);
  EXPECT_EQ(reopened->tenant, "acme");
  // The first token still works, and its holder is still the operator.
  auto admin = Auth(admin_token_);
  ASSERT_NE(admin, nullptr);
  EXPECT_TRUE(admin->is_operator);
  auto tokens = store_->ListTokens(*admin, "admin");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->size(), 1u);
}

TEST(IdentityStoreBootstrapTest, AFailedBootstrapLeavesNoIdentityBehind) {
  testing::TempDir dir;
  FakeClock clock(kStart);
  store::DatabaseOptions options;
  options.path = dir.Sub("db");
  auto db = store::Database::Open(options);
  ASSERT_TRUE(db.ok());
  tenant::TenantRegistry tenants(db->get());
  auto feed = feed::ChangeFeed::Open(db->get(), &clock);
  ASSERT_TRUE(feed.ok());
  IdentityStore store(db->get(), &tenants, feed->get(), &clock);
  auto bad_name = store.Bootstrap(dir.path(), "Not A Name");
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  auto unwritable = store.Bootstrap(dir.Sub("missing/dir"), "acme");
  EXPECT_EQ(unwritable.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(unwritable.status().message()),
              HasSubstr("cannot write " + dir.Sub("missing/dir") + "/admin.token"));
  // Nothing committed: the next start bootstraps.
  auto good = store.Bootstrap(dir.path(), "acme");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(good->created);
}

// --- Tokens.

TEST_F(IdentityStoreTest, ParseTokenSplitsIdAndSecretAndRefusesAnythingElse) {
  auto parsed = ParseToken(admin_token_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->first.size(), 16u);
  EXPECT_EQ(parsed->second.size(), 43u);
  EXPECT_EQ(admin_token_, absl::StrCat("rpt_", admin_token_.substr(4, 26), "_", parsed->second));
  auto refusal = [](const std::string& token) {
    auto p = ParseToken(token);
    EXPECT_FALSE(p.ok()) << token;
    if (p.ok()) return std::string();
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
    return std::string(p.status().message());
  };
  const std::string id = admin_token_.substr(4, 26);
  const std::string secret = parsed->second;
  EXPECT_THAT(refusal(""), HasSubstr("expected rpt_<id>_<secret>"));
  EXPECT_THAT(refusal(admin_token_.substr(1)), HasSubstr("expected rpt_<id>_<secret>"));
  EXPECT_THAT(refusal(admin_token_ + "A"), HasSubstr("expected rpt_<id>_<secret>"));
  EXPECT_THAT(refusal("xpt_" + id + "_" + secret), HasSubstr("expected rpt_<id>_<secret>"));
  EXPECT_THAT(refusal("rpt_" + id + "-" + secret), HasSubstr("expected rpt_<id>_<secret>"));
  EXPECT_THAT(refusal("rpt_" + id + "_" + secret.substr(0, 42) + "+"),
              HasSubstr("unexpected characters"));
  EXPECT_THAT(refusal("rpt_" + id + "_" + secret.substr(0, 42) + "="),
              HasSubstr("unexpected characters"));
  EXPECT_THAT(refusal("rpt_8" + id.substr(1) + "_" + secret), HasSubstr("bad id"));
  EXPECT_THAT(refusal("rpt_" + id.substr(0, 25) + "__" + secret), HasSubstr("bad id"));
}

TEST_F(IdentityStoreTest, AuthenticateRefusesEveryBadHeaderWithAReason) {
  EXPECT_THAT(AuthRefusal(""), HasSubstr("missing 'authorization: Bearer <token>'"));
  EXPECT_THAT(AuthRefusal("Basic " + admin_token_), HasSubstr("must be 'Bearer <token>'"));
  EXPECT_THAT(AuthRefusal("bearer " + admin_token_), HasSubstr("must be 'Bearer <token>'"));
  EXPECT_THAT(AuthRefusal(admin_token_), HasSubstr("must be 'Bearer <token>'"));
  EXPECT_THAT(AuthRefusal("Bearer " + std::string(2000, 'a')), HasSubstr("too long"));
  EXPECT_THAT(AuthRefusal("Bearer rpt_x"), HasSubstr("malformed API token"));
  // A well-formed token nobody issued.
  std::string unknown = admin_token_;
  unknown[10] = unknown[10] == '0' ? '1' : '0';
  auto p = store_->Authenticate("Bearer " + unknown);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("unknown API token"));
  EXPECT_EQ(TenantOfFailure(p.status()), 0u);
  // The right id with a wrong secret: the failure names the tenant.
  std::string wrong = admin_token_;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  auto q = store_->Authenticate("Bearer " + wrong);
  EXPECT_EQ(q.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(q.status().message()), HasSubstr("invalid API token"));
  EXPECT_EQ(TenantOfFailure(q.status()), admin_->tenant);
}

TEST_F(IdentityStoreTest, IssuedTokensAuthenticateAsTheirUserAndAreListedWithoutTheSecret) {
  User("rep1", v1::ROLE_REP);
  v1::CreateTokenResponse issued = Token("rep1");
  EXPECT_THAT(issued.secret(), StartsWith("rpt_" + issued.token().id() + "_"));
  EXPECT_EQ(issued.token().tenant(), "acme");
  EXPECT_FALSE(issued.token().revoked());
  auto rep = Auth(issued.secret());
  ASSERT_NE(rep, nullptr);
  EXPECT_EQ(rep->user.id(), "rep1");
  EXPECT_FALSE(rep->IsAdmin());
  EXPECT_FALSE(rep->is_operator);
  auto listed = store_->ListTokens(*admin_, "rep1");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id(), issued.token().id());
  EXPECT_EQ((*listed)[0].SerializeAsString().find(issued.secret().substr(31)), std::string::npos);
  // Authenticating recorded when the token was last used.
  EXPECT_EQ((*listed)[0].last_used_time().seconds(), absl::ToUnixSeconds(kStart));
  auto all = store_->ListTokens(*admin_, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);  // admin's and rep1's
}

TEST_F(IdentityStoreTest, BadTokenRequestsAreRefusedNamingTheField) {
  v1::ApiToken nameless;
  nameless.set_user_id("admin");
  EXPECT_THAT(Violations(store_->CreateToken(*admin_, nameless).status()),
              ::testing::Contains(::testing::Key("token.name")));
  v1::ApiToken nobody;
  nobody.set_user_id("ghost");
  nobody.set_name("n");
  EXPECT_EQ(Violations(store_->CreateToken(*admin_, nobody).status())["token.user_id"],
            "no user 'ghost' in this tenant");
  v1::ApiToken past;
  past.set_user_id("admin");
  past.set_name("n");
  past.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(kStart) - 1);
  EXPECT_EQ(Violations(store_->CreateToken(*admin_, past).status())["token.expire_time"],
            "must be in the future");
  v1::ApiToken wordy;
  wordy.set_user_id("admin");
  wordy.set_name("n");
  wordy.set_purpose(std::string(501, 'p'));
  EXPECT_THAT(Violations(store_->CreateToken(*admin_, wordy).status()),
              ::testing::Contains(::testing::Key("token.purpose")));
}

TEST_F(IdentityStoreTest, ARevokedTokenStopsWorkingAtOnce) {
  User("rep1", v1::ROLE_REP);
  v1::CreateTokenResponse issued = Token("rep1");
  ASSERT_NE(Auth(issued.secret()), nullptr);  // now cached
  auto revoked = store_->RevokeToken(*admin_, issued.token().id());
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_TRUE(revoked->revoked());
  EXPECT_THAT(AuthRefusal("Bearer " + issued.secret()), HasSubstr("API token was revoked"));
  // Unknown and malformed ids.
  auto unknown = store_->RevokeToken(*admin_, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("no token '01ARZ3NDEKTSV4RRFFQ69G5FAV'"));
  EXPECT_THAT(Violations(store_->RevokeToken(*admin_, "nope").status()),
              ::testing::Contains(::testing::Key("id")));
  // Only admins revoke.
  auto rep = Auth(Token("rep1").secret());
  ASSERT_NE(rep, nullptr);
  EXPECT_EQ(store_->RevokeToken(*rep, issued.token().id()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(IdentityStoreTest, AnExpiredTokenIsRefusedFromTheCacheAndFromDisk) {
  User("rep1", v1::ROLE_REP);
  v1::CreateTokenResponse soon = Token("rep1", absl::Milliseconds(500));
  v1::CreateTokenResponse later = Token("rep1", absl::Hours(1));
  ASSERT_NE(Auth(soon.secret()), nullptr);
  ASSERT_NE(Auth(later.secret()), nullptr);
  // Within the principal cache's second: the cached expiry applies.
  clock_.Advance(absl::Milliseconds(600));
  EXPECT_THAT(AuthRefusal("Bearer " + soon.secret()), HasSubstr("API token has expired"));
  EXPECT_NE(Auth(later.secret()), nullptr);
  // Long after: read from disk.
  clock_.Advance(absl::Hours(2));
  auto p = store_->Authenticate("Bearer " + later.secret());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("API token has expired"));
  EXPECT_EQ(TenantOfFailure(p.status()), admin_->tenant);
}

// --- Teams.

TEST_F(IdentityStoreTest, TeamsNeedAValidIdAndAnExistingParent) {
  Team("sales");
  v1::Team orphan;
  orphan.set_id("seoul");
  orphan.set_parent_team_id("nowhere");
  EXPECT_EQ(Violations(store_->CreateTeam(*admin_, orphan).status())["team.parent_team_id"],
            "no team 'nowhere'");
  v1::Team bad;
  bad.set_id("Sales Team");
  EXPECT_THAT(Violations(store_->CreateTeam(*admin_, bad).status())["team.id"],
              HasSubstr("must match [a-z0-9][a-z0-9._-]{0,62}"));
  v1::Team dup;
  dup.set_id("sales");
  EXPECT_EQ(store_->CreateTeam(*admin_, dup).status().code(), absl::StatusCode::kAlreadyExists);
  auto teams = store_->ListTeams(*admin_);
  ASSERT_TRUE(teams.ok());
  ASSERT_EQ(teams->size(), 1u);
  EXPECT_EQ((*teams)[0].id(), "sales");
}

TEST_F(IdentityStoreTest, ATeamCannotBecomeItsOwnAncestor) {
  Team("a");
  Team("b", "a");
  Team("c", "b");
  google::protobuf::FieldMask mask;
  mask.add_paths("parent_team_id");
  v1::Team patch;
  patch.set_id("a");
  patch.set_parent_team_id("c");
  auto cycle = store_->UpdateTeam(*admin_, patch, mask);
  EXPECT_THAT(Violations(cycle.status())["team.parent_team_id"],
              HasSubstr("'c' would make a cycle"));
  patch.set_parent_team_id("a");
  EXPECT_THAT(Violations(store_->UpdateTeam(*admin_, patch, mask).status())["team.parent_team_id"],
              HasSubstr("would make a cycle"));
  // Moving within the tree is fine.
  patch.set_id("c");
  patch.set_parent_team_id("a");
  auto moved = store_->UpdateTeam(*admin_, patch, mask);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->parent_team_id(), "a");
}

TEST_F(IdentityStoreTest, TeamsNestAtMostAFixedDepth) {
  Team("t0");
  int refused_at = -1;
  for (int i = 1; i <= 40; ++i) {
    v1::Team t;
    t.set_id("t" + std::to_string(i));
    t.set_parent_team_id("t" + std::to_string(i - 1));
    auto created = store_->CreateTeam(*admin_, t);
    if (!created.ok()) {
      EXPECT_THAT(Violations(created.status())["team.parent_team_id"],
                  HasSubstr("nest deeper than 32"));
      refused_at = i;
      break;
    }
  }
  EXPECT_GT(refused_at, 32) << "32 levels below the root must be allowed";
  EXPECT_LE(refused_at, 34);
}

TEST_F(IdentityStoreTest, UpdateAndDeleteTeamCheckTheirInputs) {
  Team("sales");
  Team("seoul", "sales");
  User("rep1", v1::ROLE_REP, {"seoul"});
  google::protobuf::FieldMask mask;
  v1::Team patch;
  patch.set_id("sales");
  EXPECT_EQ(Violations(store_->UpdateTeam(*admin_, patch, mask).status())["update_mask"],
            "is required");
  mask.add_paths("id");
  EXPECT_EQ(Violations(store_->UpdateTeam(*admin_, patch, mask).status())["update_mask"],
            "'id' cannot be updated");
  google::protobuf::FieldMask name;
  name.add_paths("display_name");
  patch.set_id("ghost");
  EXPECT_EQ(store_->UpdateTeam(*admin_, patch, name).status().code(), absl::StatusCode::kNotFound);
  auto with_child = store_->DeleteTeam(*admin_, "sales");
  EXPECT_EQ(with_child.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(with_child.message()), HasSubstr("has sub-team 'seoul'"));
  auto with_member = store_->DeleteTeam(*admin_, "seoul");
  EXPECT_EQ(with_member.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(with_member.message()), HasSubstr("still has member 'rep1'"));
  EXPECT_EQ(store_->DeleteTeam(*admin_, "ghost").code(), absl::StatusCode::kNotFound);
  google::protobuf::FieldMask teams;
  teams.add_paths("team_ids");
  v1::User out;
  out.set_id("rep1");
  ASSERT_TRUE(store_->UpdateUser(*admin_, out, teams, 0).ok());
  EXPECT_TRUE(store_->DeleteTeam(*admin_, "seoul").ok());
  EXPECT_TRUE(store_->DeleteTeam(*admin_, "sales").ok());
}

// --- Users.

TEST_F(IdentityStoreTest, BadUsersAreRefusedNamingEveryField) {
  v1::User u;
  u.set_id("-Bad");
  u.set_display_name(std::string(201, 'x'));
  u.set_email(std::string(255, 'e'));
  u.add_roles(v1::ROLE_UNSPECIFIED);
  u.add_team_ids("ghost");
  auto v = Violations(store_->CreateUser(*admin_, u).status());
  EXPECT_THAT(v["user.id"], HasSubstr("'-Bad' must match"));
  EXPECT_EQ(v["user.display_name"], "at most 200 bytes of UTF-8");
  EXPECT_EQ(v["user.email"], "at most 254 bytes");
  EXPECT_EQ(v["user.roles[0]"], "0 is not a role");
  EXPECT_EQ(v["user.team_ids[0]"], "no team 'ghost'");
  v1::User roleless;
  roleless.set_id("ok");
  EXPECT_EQ(Violations(store_->CreateUser(*admin_, roleless).status())["user.roles"],
            "at least one role is required");
  v1::User bad_utf8;
  bad_utf8.set_id("ok");
  bad_utf8.add_roles(v1::ROLE_REP);
  bad_utf8.set_display_name("\xff\xfe");
  EXPECT_THAT(Violations(store_->CreateUser(*admin_, bad_utf8).status()),
              ::testing::Contains(::testing::Key("user.display_name")));
  User("rep1", v1::ROLE_REP);
  v1::User dup;
  dup.set_id("rep1");
  dup.add_roles(v1::ROLE_REP);
  EXPECT_EQ(store_->CreateUser(*admin_, dup).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(IdentityStoreTest, OnlyAdminsManageUsersAndNoAdminCanUnseatThemselves) {
  User("rep1", v1::ROLE_REP);
  auto rep = As("rep1");
  ASSERT_NE(rep, nullptr);
  v1::User other;
  other.set_id("rep2");
  other.add_roles(v1::ROLE_REP);
  auto denied = store_->CreateUser(*rep, other);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "user 'rep1' is not an admin of tenant 'acme'");
  // A user reads themselves, not others.
  EXPECT_TRUE(store_->GetUser(*rep, "rep1").ok());
  EXPECT_EQ(store_->GetUser(*rep, "admin").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->ListUsers(*rep, "").status().code(), absl::StatusCode::kPermissionDenied);
  // Not even their own roles.
  google::protobuf::FieldMask roles;
  roles.add_paths("roles");
  v1::User promote;
  promote.set_id("rep1");
  promote.add_roles(v1::ROLE_ADMIN);
  EXPECT_EQ(store_->UpdateUser(*rep, promote, roles, 0).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::User demote;
  demote.set_id("admin");
  demote.add_roles(v1::ROLE_REP);
  auto unseat = store_->UpdateUser(*admin_, demote, roles, 0);
  EXPECT_EQ(unseat.status().code(), absl::StatusCode::kFailedPrecondition);
  google::protobuf::FieldMask disabled;
  disabled.add_paths("disabled");
  v1::User off;
  off.set_id("admin");
  off.set_disabled(true);
  EXPECT_EQ(store_->UpdateUser(*admin_, off, disabled, 0).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(IdentityStoreTest, UpdateUserChecksMaskAndRevisionAndTakesEffectAtOnce) {
  User("rep1", v1::ROLE_REP);
  v1::CreateTokenResponse token = Token("rep1");
  ASSERT_NE(Auth(token.secret()), nullptr);  // cached
  v1::User patch;
  patch.set_id("rep1");
  patch.set_disabled(true);
  google::protobuf::FieldMask mask;
  EXPECT_EQ(Violations(store_->UpdateUser(*admin_, patch, mask, 0).status())["update_mask"],
            "is required");
  mask.add_paths("id");
  EXPECT_EQ(Violations(store_->UpdateUser(*admin_, patch, mask, 0).status())["update_mask"],
            "'id' cannot be updated");
  mask.Clear();
  mask.add_paths("disabled");
  auto stale = store_->UpdateUser(*admin_, patch, mask, 7);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("current revision is 1"));
  auto updated = store_->UpdateUser(*admin_, patch, mask, 1);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->revision(), 2);
  EXPECT_TRUE(updated->disabled());
  EXPECT_THAT(AuthRefusal("Bearer " + token.secret()), HasSubstr("the token's user is disabled"));
  EXPECT_FALSE(store_->LiveUserTeams(admin_->tenant, "rep1").has_value());
  patch.set_id("ghost");
  EXPECT_EQ(store_->UpdateUser(*admin_, patch, mask, 0).status().code(),
            absl::StatusCode::kNotFound);
}

// A reader that loads the directory or a principal while an admin commits
// must never put the pre-commit copy back into the cache: CI once saw
// CreateToken answer "no user" for the user created the line before, and the
// same race could keep a revoked token working until the cache expired.
TEST_F(IdentityStoreTest, CachesNeverKeepACopyLoadedBeforeACommit) {
  std::atomic<bool> stop{false};
  const std::string admin_id = admin_->user.id();
  std::thread reader([&] {
    while (!stop.load()) {
      (void)store_->GetUser(*admin_, admin_id);
    }
  });
  int failures = 0;
  for (int i = 0; i < 300 && failures == 0; ++i) {
    const std::string id = absl::StrCat("u", i);
    User(id, v1::ROLE_REP);
    v1::ApiToken t;
    t.set_user_id(id);
    t.set_name("t");
    auto issued = store_->CreateToken(*admin_, t);
    if (!issued.ok()) {
      ++failures;
      ADD_FAILURE() << "token for " << id << " right after creating it: " << issued.status();
    }
  }
  // Revocation: a token authenticated concurrently with its revocation
  // stops working once RevokeToken has returned.
  std::vector<v1::CreateTokenResponse> tokens;
  for (int i = 0; i < 100; ++i) tokens.push_back(Token("u0"));
  for (int i = 0; i < 100 && failures == 0; ++i) {
    const std::string bearer = "Bearer " + tokens[i].secret();
    std::thread auth([&] {
      for (int k = 0; k < 20; ++k) (void)store_->Authenticate(bearer);
    });
    ASSERT_TRUE(store_->RevokeToken(*admin_, tokens[i].token().id()).ok());
    auth.join();
    if (store_->Authenticate(bearer).ok()) {
      ++failures;
      ADD_FAILURE() << "token " << i << " still authenticates after RevokeToken returned";
    }
  }
  stop.store(true);
  reader.join();
}

// --- Roles and the access scope.

class AccessScopeTest : public IdentityStoreTest {
 protected:
  void SetUp() override {
    IdentityStoreTest::SetUp();
    // sales > seoul > gangnam, and support beside them.
    Team("sales");
    Team("seoul", "sales");
    Team("gangnam", "seoul");
    Team("support");
    User("mgr", v1::ROLE_MANAGER, {"sales"});
    User("rep1", v1::ROLE_REP, {"seoul"});
    User("rep2", v1::ROLE_REP, {"seoul"});
    User("rep3", v1::ROLE_REP, {"gangnam"});
    User("sup", v1::ROLE_REP, {"support"});
    User("view", v1::ROLE_VIEWER, {"seoul"});
    User("lone", v1::ROLE_REP);
    User("bot", v1::ROLE_INTEGRATION);
  }
};

TEST_F(AccessScopeTest, ARepReadsTheirOwnAndTheirTeammatesRecords) {
  auto rep1 = As("rep1");
  ASSERT_NE(rep1, nullptr);
  ASSERT_NE(rep1->scope, nullptr);
  EXPECT_FALSE(rep1->scope->all);
  EXPECT_TRUE(rep1->scope->can_write);
  EXPECT_THAT(rep1->scope->owners, ElementsAre("rep1", "rep2", "view"));
  EXPECT_TRUE(rep1->scope->CanRead("rep2"));
  EXPECT_FALSE(rep1->scope->CanRead("rep3"));  // a sub-team is not their team
  EXPECT_FALSE(rep1->scope->CanRead("mgr"));
  EXPECT_FALSE(rep1->scope->CanRead("sup"));
  EXPECT_THAT(rep1->readable_teams, ElementsAre("seoul"));
  EXPECT_THAT(rep1->member_of, ElementsAre("sales", "seoul"));
  auto lone = As("lone");
  ASSERT_NE(lone, nullptr);
  EXPECT_THAT(lone->scope->owners, ElementsAre("lone"));
}

TEST_F(AccessScopeTest, AManagerReadsTheirTeamsWholeSubtree) {
  auto mgr = As("mgr");
  ASSERT_NE(mgr, nullptr);
  EXPECT_FALSE(mgr->scope->all);
  EXPECT_TRUE(mgr->scope->can_write);
  EXPECT_THAT(mgr->scope->owners, ElementsAre("mgr", "rep1", "rep2", "rep3", "view"));
  EXPECT_FALSE(mgr->scope->CanRead("sup"));
  EXPECT_THAT(mgr->readable_teams, ElementsAre("gangnam", "sales", "seoul"));
}

TEST_F(AccessScopeTest, AViewerReadsLikeARepButNeverWrites) {
  auto view = As("view");
  ASSERT_NE(view, nullptr);
  EXPECT_FALSE(view->scope->all);
  EXPECT_FALSE(view->scope->can_write);
  EXPECT_THAT(view->scope->owners, ElementsAre("rep1", "rep2", "view"));
}

TEST_F(AccessScopeTest, AdminsAndIntegrationsReadEverything) {
  auto bot = As("bot");
  ASSERT_NE(bot, nullptr);
  EXPECT_TRUE(bot->scope->all);
  EXPECT_TRUE(bot->scope->can_write);
  EXPECT_TRUE(bot->scope->owners.empty());
  EXPECT_TRUE(bot->scope->CanRead("anyone"));
  EXPECT_FALSE(bot->IsAdmin());
  EXPECT_TRUE(admin_->scope->all);
}

TEST_F(AccessScopeTest, AWritersContextIsTheirTokensAndAFormerUserReadsOnlyTheirOwn) {
  const RequestContext rep1 = store_->WriterContext(admin_->tenant, "rep1");
  EXPECT_EQ(rep1.user_id, "rep1");
  EXPECT_THAT(rep1.roles, ElementsAre("rep"));
  EXPECT_THAT(rep1.teams, ElementsAre("sales", "seoul"));
  ASSERT_NE(rep1.scope, nullptr);
  EXPECT_THAT(rep1.scope->owners, ElementsAre("rep1", "rep2", "view"));
  EXPECT_TRUE(rep1.CanWrite());
  EXPECT_TRUE(store_->WriterContext(admin_->tenant, "bot").scope->all);

  google::protobuf::FieldMask mask;
  mask.add_paths("disabled");
  v1::User off;
  off.set_id("rep1");
  off.set_disabled(true);
  ASSERT_TRUE(store_->UpdateUser(*admin_, off, mask, 1).ok());
  const RequestContext disabled = store_->WriterContext(admin_->tenant, "rep1");
  EXPECT_TRUE(disabled.roles.empty());
  EXPECT_THAT(disabled.teams, ElementsAre("sales", "seoul"));
  ASSERT_NE(disabled.scope, nullptr);
  EXPECT_THAT(disabled.scope->owners, ElementsAre("rep1"));
  EXPECT_FALSE(disabled.CanWrite());
  const RequestContext gone = store_->WriterContext(admin_->tenant, "nobody");
  EXPECT_THAT(gone.scope->owners, ElementsAre("nobody"));
  EXPECT_TRUE(gone.teams.empty());
  EXPECT_FALSE(gone.CanWrite());
}

TEST_F(AccessScopeTest, TheWidestRoleApplies) {
  google::protobuf::FieldMask roles;
  roles.add_paths("roles");
  v1::User both;
  both.set_id("rep1");
  both.add_roles(v1::ROLE_VIEWER);
  both.add_roles(v1::ROLE_MANAGER);
  ASSERT_TRUE(store_->UpdateUser(*admin_, both, roles, 0).ok());
  auto rep1 = As("rep1");
  ASSERT_NE(rep1, nullptr);
  EXPECT_TRUE(rep1->scope->can_write);
  // A manager of seoul: seoul and gangnam.
  EXPECT_THAT(rep1->scope->owners, ElementsAre("rep1", "rep2", "rep3", "view"));
}

TEST_F(AccessScopeTest, MovingAUserChangesTheScopeOfTheirNextCall) {
  v1::CreateTokenResponse token = Token("rep1");
  auto before = Auth(token.secret());
  ASSERT_NE(before, nullptr);
  EXPECT_FALSE(before->scope->CanRead("sup"));
  google::protobuf::FieldMask teams;
  teams.add_paths("team_ids");
  v1::User move;
  move.set_id("rep1");
  move.add_team_ids("support");
  ASSERT_TRUE(store_->UpdateUser(*admin_, move, teams, 0).ok());
  auto after = Auth(token.secret());  // no second passes: the cache was cleared
  ASSERT_NE(after, nullptr);
  EXPECT_THAT(after->scope->owners, ElementsAre("rep1", "sup"));
  EXPECT_THAT(after->member_of, ElementsAre("support"));
}

TEST_F(AccessScopeTest, TeamsOfListsTeamsWithAncestorsAndLiveUserTeamsOnlyEnabledUsers) {
  EXPECT_THAT(store_->TeamsOf(admin_->tenant, "rep3"), ElementsAre("gangnam", "sales", "seoul"));
  EXPECT_THAT(store_->TeamsOf(admin_->tenant, "lone"), IsEmpty());
  EXPECT_THAT(store_->TeamsOf(admin_->tenant, "ghost"), IsEmpty());
  auto live = store_->LiveUserTeams(admin_->tenant, "rep1");
  ASSERT_TRUE(live.has_value());
  EXPECT_THAT(*live, ElementsAre("sales", "seoul"));
  EXPECT_FALSE(store_->LiveUserTeams(admin_->tenant, "ghost").has_value());
  EXPECT_THAT(store_->TeamsOf(admin_->tenant + 1000, "rep3"), IsEmpty());
}

TEST_F(AccessScopeTest, ThePrincipalsContextCarriesTenantUserRolesTeamsAndScope) {
  auto rep3 = As("rep3");
  ASSERT_NE(rep3, nullptr);
  RequestContext ctx = rep3->Context("erp");
  EXPECT_EQ(ctx.tenant, admin_->tenant);
  EXPECT_EQ(ctx.tenant_name, "acme");
  EXPECT_EQ(ctx.principal, "acme/rep3");
  EXPECT_EQ(ctx.origin, "erp");
  EXPECT_EQ(ctx.user_id, "rep3");
  EXPECT_THAT(ctx.roles, ElementsAre("rep"));
  EXPECT_THAT(ctx.teams, ElementsAre("gangnam", "sales", "seoul"));
  EXPECT_TRUE(ctx.Restricted());
  EXPECT_TRUE(ctx.CanRead("rep3"));
  EXPECT_FALSE(ctx.CanRead("rep1"));
}

TEST_F(AccessScopeTest, ListUsersFiltersByTeam) {
  auto seoul = store_->ListUsers(*admin_, "seoul");
  ASSERT_TRUE(seoul.ok());
  std::vector<std::string> ids;
  for (const auto& u : *seoul) ids.push_back(u.id());
  EXPECT_THAT(ids, ElementsAre("rep1", "rep2", "view"));
  auto all = store_->ListUsers(*admin_, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 9u);
}

// --- Tenants.

TEST_F(IdentityStoreTest, OnlyTheOperatorCreatesTenantsAndTheirAdminsAreNotOperators) {
  v1::CreateTenantRequest request;
  request.mutable_tenant()->set_name("beta");
  auto created = store_->CreateTenant(*admin_, request);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->admin().id(), "admin");
  auto beta = Auth(created->admin_token().secret());
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ(beta->tenant_name, "beta");
  EXPECT_NE(beta->tenant, admin_->tenant);
  EXPECT_TRUE(beta->IsAdmin());
  EXPECT_FALSE(beta->is_operator);
  EXPECT_EQ(store_->CreateTenant(*beta, request).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->ListTenants(*beta).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->CreateTenant(*admin_, request).status().code(),
            absl::StatusCode::kAlreadyExists);
  v1::CreateTenantRequest bad;
  bad.mutable_tenant()->set_name("Beta!");
  EXPECT_THAT(Violations(store_->CreateTenant(*admin_, bad).status())["tenant.name"],
              HasSubstr("'Beta!' must match"));
  v1::CreateTenantRequest bad_admin;
  bad_admin.mutable_tenant()->set_name("gamma");
  bad_admin.mutable_admin()->set_id("Not Valid");
  EXPECT_THAT(Violations(store_->CreateTenant(*admin_, bad_admin).status()),
              ::testing::Contains(::testing::Key("admin.user.id")));
  auto tenants = store_->ListTenants(*admin_);
  ASSERT_TRUE(tenants.ok());
  std::vector<std::string> names;
  for (const auto& t : tenants->tenants()) names.push_back(t.name());
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("acme", "beta"));
  // Each tenant sees its own users and tokens only.
  auto beta_users = store_->ListUsers(*beta, "");
  ASSERT_TRUE(beta_users.ok());
  EXPECT_EQ(beta_users->size(), 1u);
  auto beta_tokens = store_->ListTokens(*beta, "");
  ASSERT_TRUE(beta_tokens.ok());
  EXPECT_EQ(beta_tokens->size(), 1u);
  EXPECT_EQ(store_->RevokeToken(*beta, admin_token_.substr(4, 26)).status().code(),
            absl::StatusCode::kNotFound);
}

// --- Audit.

TEST_F(IdentityStoreTest, TheAuditLogKeepsTheNewestThousandEntries) {
  for (int i = 0; i < 1005; ++i) {
    v1::AuditEntry e;
    e.set_principal("acme/rep1");
    e.set_method("/rapport.v1.CustomerService/DeleteCustomer");
    e.set_code("PERMISSION_DENIED");
    e.set_reason(absl::StrCat("denial ", i));
    store_->Audit(admin_->tenant, e);
    clock_.Advance(absl::Milliseconds(1));
  }
  EXPECT_EQ(StoredAuditEntries(admin_->tenant), IdentityStore::kAuditEntriesKept);
  auto page = store_->ListAudit(*admin_, 0);  // the default page
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->size(), 100u);
  EXPECT_EQ((*page)[0].reason(), "denial 1004");
  EXPECT_EQ((*page)[99].reason(), "denial 905");
  EXPECT_GT((*page)[0].time().seconds() * 1000000000LL + (*page)[0].time().nanos(),
            (*page)[1].time().seconds() * 1000000000LL + (*page)[1].time().nanos());
  auto all = store_->ListAudit(*admin_, 5000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1000u);
  EXPECT_EQ(all->back().reason(), "denial 5");
  EXPECT_EQ(Violations(store_->ListAudit(*admin_, -1).status())["page_size"],
            "must not be negative");
  // After reopening, new entries continue the sequence, still bounded.
  Open();
  ASSERT_TRUE(store_->Bootstrap(dir_.path(), "acme").ok());
  auto admin = Auth(admin_token_);
  ASSERT_NE(admin, nullptr);
  v1::AuditEntry next;
  next.set_reason("after reopening");
  store_->Audit(admin->tenant, next);
  EXPECT_EQ(StoredAuditEntries(admin->tenant), IdentityStore::kAuditEntriesKept);
  auto newest = store_->ListAudit(*admin, 1);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].reason(), "after reopening");
}

TEST_F(IdentityStoreTest, TheServerWideLogIsForOperatorsOnly) {
  v1::CreateTenantRequest request;
  request.mutable_tenant()->set_name("beta");
  auto created = store_->CreateTenant(*admin_, request);
  ASSERT_TRUE(created.ok()) << created.status();
  auto beta = Auth(created->admin_token().secret());
  ASSERT_NE(beta, nullptr);
  v1::AuditEntry unknown;
  unknown.set_principal("anonymous");
  unknown.set_code("UNAUTHENTICATED");
  unknown.set_reason("unknown API token");
  store_->Audit(0, unknown);
  clock_.Advance(absl::Seconds(1));
  v1::AuditEntry in_beta;
  in_beta.set_principal("beta/admin");
  in_beta.set_reason("beta's own");
  store_->Audit(beta->tenant, in_beta);
  auto operator_view = store_->ListAudit(*admin_, 10);
  ASSERT_TRUE(operator_view.ok());
  ASSERT_EQ(operator_view->size(), 1u);
  EXPECT_EQ((*operator_view)[0].reason(), "unknown API token");
  auto beta_view = store_->ListAudit(*beta, 10);
  ASSERT_TRUE(beta_view.ok());
  ASSERT_EQ(beta_view->size(), 1u);
  EXPECT_EQ((*beta_view)[0].reason(), "beta's own");
  User("rep1", v1::ROLE_REP);
  auto rep = As("rep1");
  ASSERT_NE(rep, nullptr);
  EXPECT_EQ(store_->ListAudit(*rep, 10).status().code(), absl::StatusCode::kPermissionDenied);
}

// --- Every admin change is in the feed.

TEST_F(IdentityStoreTest, AdminChangesAreRecordedInTheTenantsFeed) {
  const uint64_t head = feed_->last_sequence();
  Team("sales");
  User("rep1", v1::ROLE_REP, {"sales"});
  v1::CreateTokenResponse token = Token("rep1");
  ASSERT_TRUE(store_->RevokeToken(*admin_, token.token().id()).ok());
  auto events = feed_->Read(admin_->tenant, head, 10);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> subjects;
  for (const auto& e : *events) {
    subjects.push_back(e.subject());
    EXPECT_EQ(e.principal(), "acme/admin");
  }
  EXPECT_THAT(subjects, ElementsAre("team/sales", "user/rep1", "token/" + token.token().id(),
                                    "token/" + token.token().id()));
  // A refused change writes no event.
  v1::User bad;
  bad.set_id("BAD");
  EXPECT_FALSE(store_->CreateUser(*admin_, bad).ok());
  EXPECT_EQ(feed_->Read(admin_->tenant, head, 10)->size(), 4u);
}

}  // namespace
}  // namespace rapport::identity
