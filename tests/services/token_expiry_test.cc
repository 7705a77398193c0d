// A token stops working the moment it expires, even while the server still
// holds it in its one-second principal cache (issue 22: ignoring the expiry
// of a cached token survived access_test, whose check sleeps past the cache
// lifetime). The real server on 127.0.0.1 runs on a FakeClock, so the
// moments are exact and no test sleeps.
#include "core/common/clock.h"
#include "gmock/gmock.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

class TokenExpiryTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    services::ServerOptions options;
    options.clock = &clock_;
    StartServer(options);
    CreateUser("rep_a", {v1::ROLE_REP}, {});
  }

  // A token for rep_a that expires `lifetime` from now (on the fake clock).
  std::string TokenExpiringIn(absl::Duration lifetime) {
    const int64_t expires_ns = absl::ToUnixNanos(clock_.Now() + lifetime);
    v1::CreateTokenRequest request;
    request.mutable_token()->set_user_id("rep_a");
    request.mutable_token()->set_name("short");
    request.mutable_token()->mutable_expire_time()->set_seconds(expires_ns / 1000000000);
    request.mutable_token()->mutable_expire_time()->set_nanos(
        static_cast<int32_t>(expires_ns % 1000000000));
    v1::CreateTokenResponse issued;
    grpc::Status s = identity_->CreateToken(Call().get(), request, &issued);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return issued.secret();
  }

  grpc::StatusCode Use(const std::string& token) {
    v1::GetCallerResponse caller;
    return identity_->GetCaller(Call(token).get(), v1::GetCallerRequest(), &caller).error_code();
  }

  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
};

TEST_F(TokenExpiryTest, ACachedTokenIsRefusedFromItsExpiryOn) {
  const std::string token = TokenExpiringIn(absl::Milliseconds(500));
  ASSERT_EQ(Use(token), grpc::StatusCode::OK);  // now cached
  clock_.Advance(absl::Milliseconds(499));
  EXPECT_EQ(Use(token), grpc::StatusCode::OK);  // still cached, still valid
  clock_.Advance(absl::Milliseconds(1));        // the expiry itself, 0.5 s into the cache
  EXPECT_EQ(Use(token), grpc::StatusCode::UNAUTHENTICATED);
  clock_.Advance(absl::Milliseconds(300));
  EXPECT_EQ(Use(token), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TokenExpiryTest, AnUncachedTokenIsRefusedFromItsExpiryOn) {
  const std::string token = TokenExpiringIn(absl::Seconds(5));
  ASSERT_EQ(Use(token), grpc::StatusCode::OK);
  clock_.Advance(absl::Seconds(5));  // the cache entry (1 s) is long gone
  EXPECT_EQ(Use(token), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TokenExpiryTest, ATokenWithoutExpiryKeepsWorking) {
  const std::string token = CreateUser("rep_b", {v1::ROLE_REP}, {});
  ASSERT_EQ(Use(token), grpc::StatusCode::OK);
  clock_.Advance(absl::Hours(24 * 365));
  EXPECT_EQ(Use(token), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace rapport
