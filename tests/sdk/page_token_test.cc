// rapport/sdk/page_token.h: a plugin's page tokens carry the resume key,
// are bound to their query, and are refused with INVALID_ARGUMENT naming
// page_token when reused for another query, truncated or garbled.
#include "rapport/sdk/page_token.h"

#include <string>

#include "gtest/gtest.h"

namespace rapport::sdk {
namespace {

const char kCorrupt[] =
    "page_token: is not a token this listing issued (truncated or corrupt); pass next_page_token "
    "back unchanged, or start again without a token";
const char kOtherQuery[] =
    "page_token: was issued for a different query; repeat the first page's request, changing "
    "only page_token (and page_size if you like), or start again without a token";

std::string Decoded(const std::string& token, const std::string& query) {
  std::string key = "untouched";
  Status s = DecodePageToken(token, query, &key);
  EXPECT_TRUE(s.ok()) << s.message;
  return key;
}

std::string Refusal(const std::string& token, const std::string& query) {
  std::string key = "untouched";
  Status s = DecodePageToken(token, query, &key);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT) << token;
  EXPECT_EQ(key, "") << "a refused token resumes nowhere";
  return s.message;
}

TEST(PageTokenTest, RoundTripsTheResumeKey) {
  const std::string query = PageQuery({"ListTasks", "minsu", "open"});
  for (const std::string& key :
       {std::string("01KA2ZQ8W3"), std::string("00000000000000000042/opp1"), std::string("영업"),
        std::string("a\0/b\xff", 5), std::string(1024, 'k')}) {
    const std::string token = EncodePageToken(query, key);
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << token;
    EXPECT_LE(token.size(), kMaxPageTokenChars);
    EXPECT_EQ(Decoded(token, query), key);
  }
}

TEST(PageTokenTest, AnEmptyTokenIsTheFirstPage) {
  EXPECT_EQ(Decoded("", PageQuery({"ListTasks"})), "");
}

TEST(PageTokenTest, ATokenFromAnotherQueryIsRefused) {
  const std::string mine = PageQuery({"ListTasks", "minsu", "open"});
  const std::string token = EncodePageToken(mine, "T1");
  EXPECT_EQ(Refusal(token, PageQuery({"ListTasks", "jisung", "open"})), kOtherQuery);
  EXPECT_EQ(Refusal(token, PageQuery({"ListTasks", "minsu", "closed"})), kOtherQuery);
  EXPECT_EQ(Refusal(token, PageQuery({"ListPriceBook"})), kOtherQuery);
  // Parts are length-prefixed: moving a boundary is another query.
  EXPECT_NE(PageQuery({"ab", "c"}), PageQuery({"a", "bc"}));
  EXPECT_NE(PageQuery({"a", ""}), PageQuery({"a"}));
  EXPECT_EQ(Refusal(EncodePageToken(PageQuery({"ab", "c"}), "k"), PageQuery({"a", "bc"})),
            kOtherQuery);
  // The field can be named otherwise.
  std::string key;
  EXPECT_EQ(DecodePageToken(token, PageQuery({"x"}), &key, "request.page_token").message,
            "request.page_token: was issued for a different query; repeat the first page's "
            "request, changing only page_token (and page_size if you like), or start again "
            "without a token");
}

TEST(PageTokenTest, TruncatedTokensAreRefused) {
  const std::string query = PageQuery({"ListStalledDeals", "sales", "30"});
  const std::string token = EncodePageToken(query, "00000001796050800000000/01KA2ZQ8W3");
  for (size_t n = 1; n < token.size(); ++n) {
    EXPECT_EQ(Refusal(token.substr(0, n), query), kCorrupt) << n;
    EXPECT_EQ(Refusal(token.substr(token.size() - n), query), kCorrupt) << n;
  }
}

TEST(PageTokenTest, AlteredTokensAreRefused) {
  const std::string query = PageQuery({"ListPriceBook"});
  const std::string token = EncodePageToken(query, "LIC-STD");
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < token.size(); ++i) {
    for (char c : {'A', 'z', '0', '_'}) {
      if (token[i] == c) continue;
      std::string altered = token;
      altered[i] = c;
      std::string key;
      const Status s = DecodePageToken(altered, query, &key);
      EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT) << altered;
    }
  }
  // Appending, doubling, or handing back the key itself.
  EXPECT_EQ(Refusal(token + "A", query), kCorrupt);
  EXPECT_EQ(Refusal(token + token, query), kCorrupt);
  EXPECT_EQ(Refusal("LIC-STD", query), kCorrupt);
}

TEST(PageTokenTest, GarbageIsRefused) {
  const std::string query = PageQuery({"ListTasks"});
  const std::string good = EncodePageToken(query, "T1");
  for (const std::string& bad :
       {std::string("garbage"), std::string("===="), std::string("!!!!!!!!!!!!!!!!!!!!!!!!"),
        std::string("A"), good + "=", good.substr(0, good.size() - 1) + "+",
        std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAA"), std::string(kMaxPageTokenChars + 4, 'A'),
        std::string("01KA2ZQ8W3"), std::string("\0\0\0", 3)}) {
    EXPECT_EQ(Refusal(bad, query), kCorrupt) << bad;
  }
  // Another version byte: a valid-looking body with its check made for it.
  std::string other_version = good;
  other_version[0] = 'B';  // the first 6 bits of the version byte
  EXPECT_EQ(Refusal(other_version, query), kCorrupt);
}

}  // namespace
}  // namespace rapport::sdk
