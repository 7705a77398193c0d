// PageTokenCodec on its own: the round trip, and every way a token is
// refused (an edited byte, truncation, another server's secret, another
// query, text that is not base64url, an oversized token), each naming
// page_token. (page_token_binding_test.cc covers the binding through
// RecordStore::List.)
#include "core/records/page_token.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "core/common/status_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::records {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::string kSecret = "0123456789abcdef0123456789abcdef";

class PageTokenTest : public ::testing::Test {
 protected:
  // The refusal of `token` for `fingerprint`: INVALID_ARGUMENT naming
  // page_token, in the message and as the one field violation.
  std::string Refusal(const std::string& token, const std::string& fingerprint) {
    auto decoded = codec_.Decode(token, fingerprint);
    EXPECT_FALSE(decoded.ok()) << "accepted, last key " << absl::CHexEscape(*decoded);
    if (decoded.ok()) return "";
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(decoded.status().message());
    EXPECT_THAT(message, ::testing::StartsWith("page_token: "));
    auto violations = FieldViolations(decoded.status());
    EXPECT_THAT(violations, SizeIs(1));
    if (!violations.empty()) {
      EXPECT_EQ(violations[0].field, "page_token");
    }
    return message;
  }

  PageTokenCodec codec_{kSecret};
  const std::string query_ = PageTokenCodec::Fingerprint("tenant=1 customer owner = \"u1\"");
};

TEST_F(PageTokenTest, FingerprintIsEightStableBytesPerQuery) {
  const std::string a = PageTokenCodec::Fingerprint("q");
  EXPECT_THAT(a, SizeIs(8));
  EXPECT_EQ(a, PageTokenCodec::Fingerprint("q"));
  EXPECT_NE(a, PageTokenCodec::Fingerprint("q "));
  EXPECT_NE(a, PageTokenCodec::Fingerprint(""));
  EXPECT_THAT(PageTokenCodec::Fingerprint(""), SizeIs(8));
}

TEST_F(PageTokenTest, RoundTripsAnyLastKey) {
  std::string binary("\x00\x01\xff\x7f/+=\n", 8);
  std::string long_key(2048, '\xee');
  for (const std::string& key : {std::string(), std::string("c"), binary, long_key}) {
    std::string token = codec_.Encode(query_, key);
    auto decoded = codec_.Decode(token, query_);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, key);
  }
}

TEST_F(PageTokenTest, TokensAreUrlSafeTextWithoutPadding) {
  for (int n = 0; n < 40; ++n) {
    std::string token = codec_.Encode(query_, std::string(n, '\xfb'));
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-_"),
              std::string::npos)
        << token;
  }
}

TEST_F(PageTokenTest, EncodingIsDeterministicForOneSecret) {
  EXPECT_EQ(codec_.Encode(query_, "k"), PageTokenCodec(kSecret).Encode(query_, "k"));
  EXPECT_NE(codec_.Encode(query_, "k"), codec_.Encode(query_, "l"));
}

TEST_F(PageTokenTest, EveryEditedByteIsRefusedByTheMac) {
  const std::string token = codec_.Encode(query_, "customer/01J0000000000000000000000");
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string edited = raw;
    edited[i] ^= 0x01;
    std::string message = Refusal(absl::WebSafeBase64Escape(edited), query_);
    EXPECT_THAT(message, HasSubstr("altered or corrupt")) << "byte " << i;
  }
}

TEST_F(PageTokenTest, AnEditedLastKeyWithAnUnchangedMacIsRefused) {
  // Moving the resume point forward (to skip records) by rewriting the key.
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(codec_.Encode(query_, "aaaa"), &raw));
  raw.replace(8, 4, "zzzz");
  EXPECT_THAT(Refusal(absl::WebSafeBase64Escape(raw), query_), HasSubstr("altered or corrupt"));
}

TEST_F(PageTokenTest, TruncatedTokensAreRefused) {
  const std::string token = codec_.Encode(query_, "some/last/key");
  for (size_t n = 0; n < token.size(); ++n) {
    if (n == 0) continue;  // "" is "no token" to callers; still not a token
    auto decoded = codec_.Decode(token.substr(0, n), query_);
    EXPECT_FALSE(decoded.ok()) << "a prefix of " << n << " characters was accepted";
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("page_token"));
    }
  }
  // Too short to hold a fingerprint and a MAC: not a token at all.
  EXPECT_THAT(Refusal(token.substr(0, 20), query_), HasSubstr("not a token this server issued"));
  EXPECT_THAT(Refusal("", query_), HasSubstr("not a token this server issued"));
}

TEST_F(PageTokenTest, ATokenSignedWithAnotherSecretIsRefused) {
  PageTokenCodec other("another server's secret, 32 byte");
  const std::string token = other.Encode(query_, "k");
  ASSERT_TRUE(other.Decode(token, query_).ok());
  EXPECT_THAT(Refusal(token, query_), HasSubstr("altered or corrupt"));
}

TEST_F(PageTokenTest, ATokenForAnotherQueryIsRefusedNamingTheFix) {
  const std::string token = codec_.Encode(query_, "k");
  std::string message = Refusal(token, PageTokenCodec::Fingerprint("tenant=1 customer"));
  EXPECT_THAT(message, HasSubstr("different query"));
  EXPECT_THAT(message, HasSubstr("same filter and order_by"));
}

TEST_F(PageTokenTest, TextThatIsNotBase64UrlIsRefused) {
  const std::string token = codec_.Encode(query_, "k");
  for (const std::string& bad :
       {std::string("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"), std::string("not a token at all"),
        token + "*", token.substr(0, 10) + "\xc3\xa9" + token.substr(10)}) {
    EXPECT_THAT(Refusal(bad, query_), HasSubstr("not a token this server issued")) << bad;
  }
  // The standard alphabet's '+' and '/' are not base64url.
  std::string standard = token;
  standard[3] = '+';
  EXPECT_FALSE(codec_.Decode(standard, query_).ok());
  standard[3] = '/';
  EXPECT_FALSE(codec_.Decode(standard, query_).ok());
}

TEST_F(PageTokenTest, OversizedTokensAreRefusedBeforeDecoding) {
  std::string huge = codec_.Encode(query_, std::string(5000, 'k'));
  ASSERT_GT(huge.size(), 4096u);
  EXPECT_THAT(Refusal(huge, query_), HasSubstr("not a token this server issued"));
  EXPECT_THAT(Refusal(std::string(1 << 20, 'A'), query_),
              HasSubstr("not a token this server issued"));
}

}  // namespace
}  // namespace rapport::records
