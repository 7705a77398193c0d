// rapport/sdk/keys.h: numbers whose byte order is their numeric order,
// key-safe names, and joining and splitting key parts.
#include "rapport/sdk/keys.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rapport::sdk {
namespace {

const std::vector<int64_t> kSigned = {std::numeric_limits<int64_t>::min(),
                                      -1000000000000,
                                      -256,
                                      -255,
                                      -2,
                                      -1,
                                      0,
                                      1,
                                      2,
                                      9,
                                      10,
                                      255,
                                      256,
                                      65535,
                                      1796050800000000,
                                      std::numeric_limits<int64_t>::max() - 1,
                                      std::numeric_limits<int64_t>::max()};

// Whether `encode` maps the (sorted) values to strictly increasing bytes.
template <typename Encode>
void ExpectOrderPreserved(const std::vector<int64_t>& sorted, Encode encode) {
  for (size_t i = 1; i < sorted.size(); ++i) {
    EXPECT_LT(encode(sorted[i - 1]), encode(sorted[i])) << sorted[i - 1] << " < " << sorted[i];
  }
}

TEST(KeyNumbersTest, ZeroPadSortsNonNegativeNumbers) {
  EXPECT_EQ(ZeroPad(42, 6), "000042");
  EXPECT_EQ(ZeroPad(7, 10), "0000000007");
  EXPECT_EQ(ZeroPad(0, 3), "000");
  EXPECT_EQ(ZeroPad(-5, 4), "0000");        // clamped: a minus sign would not sort
  EXPECT_EQ(ZeroPad(123456, 3), "123456");  // wider than asked: written whole
  EXPECT_EQ(ZeroPad(std::numeric_limits<int64_t>::max(), kInt64Digits), "09223372036854775807");
  std::vector<int64_t> non_negative;
  for (int64_t v : kSigned) {
    if (v >= 0) non_negative.push_back(v);
  }
  ExpectOrderPreserved(non_negative, [](int64_t v) { return ZeroPad(v, kInt64Digits); });
  for (int64_t v : non_negative) {
    int64_t back = -1;
    ASSERT_TRUE(ParseZeroPadded(ZeroPad(v, kInt64Digits), &back));
    EXPECT_EQ(back, v);
  }
}

TEST(KeyNumbersTest, ParseZeroPaddedRefusesWhatItCannotHaveWritten) {
  int64_t v = 0;
  EXPECT_TRUE(ParseZeroPadded("007", &v));
  EXPECT_EQ(v, 7);
  for (const char* bad :
       {"", "-1", "+1", "12a", " 1", "1 ", "9223372036854775808", "99999999999999999999", "0x10"}) {
    EXPECT_FALSE(ParseZeroPadded(bad, &v)) << bad;
  }
}

TEST(KeyNumbersTest, SortableInt64CoversNegatives) {
  EXPECT_EQ(SortableInt64(std::numeric_limits<int64_t>::min()), "00000000000000000000");
  EXPECT_EQ(SortableInt64(0), "09223372036854775808");
  EXPECT_EQ(SortableInt64(std::numeric_limits<int64_t>::max()), "18446744073709551615");
  ExpectOrderPreserved(kSigned, SortableInt64);
  for (int64_t v : kSigned) {
    EXPECT_EQ(SortableInt64(v).size(), 20u);
    int64_t back = 0;
    ASSERT_TRUE(ParseSortableInt64(SortableInt64(v), &back));
    EXPECT_EQ(back, v);
  }
  int64_t v = 0;
  for (const char* bad : {"", "0922337203685477580", "092233720368547758080",
                          "18446744073709551616", "99999999999999999999", "0922337203685477580x"}) {
    EXPECT_FALSE(ParseSortableInt64(bad, &v)) << bad;
  }
}

TEST(KeyNumbersTest, BigEndianBytesSortAndRoundTrip) {
  EXPECT_EQ(BigEndian64(0x0102030405060708ull), std::string("\x01\x02\x03\x04\x05\x06\x07\x08"));
  EXPECT_EQ(BigEndian64(0), std::string(8, '\0'));
  ExpectOrderPreserved(kSigned, BigEndianInt64);
  for (int64_t v : kSigned) {
    int64_t back = 0;
    ASSERT_TRUE(ParseBigEndianInt64(BigEndianInt64(v), &back));
    EXPECT_EQ(back, v);
  }
  uint64_t u = 0;
  ASSERT_TRUE(ParseBigEndian64(BigEndian64(~0ull), &u));
  EXPECT_EQ(u, ~0ull);
  EXPECT_FALSE(ParseBigEndian64("1234567", &u));
  EXPECT_FALSE(ParseBigEndian64("123456789", &u));
  int64_t s = 0;
  EXPECT_FALSE(ParseBigEndianInt64("", &s));
}

TEST(KeyNamesTest, KeySafeNamesAndWhyNot) {
  for (const char* good : {"sales", "영업 파이프라인", "a", "proposal-2", "x y"}) {
    EXPECT_TRUE(IsKeySafeName(good)) << good;
    EXPECT_EQ(KeySafeNameError(good), "") << good;
  }
  EXPECT_TRUE(IsKeySafeName(std::string(64, 'a')));
  EXPECT_EQ(KeySafeNameError(""), "must not be empty");
  EXPECT_EQ(KeySafeNameError(std::string(65, 'a')), "is 65 bytes; at most 64 are allowed");
  EXPECT_EQ(KeySafeNameError("a/b"), "cannot hold '/'");
  EXPECT_EQ(KeySafeNameError(" sales"), "cannot begin or end with a space");
  EXPECT_EQ(KeySafeNameError("sales "), "cannot begin or end with a space");
  EXPECT_EQ(KeySafeNameError("a\tb"), "cannot hold control characters");
  EXPECT_EQ(KeySafeNameError(std::string("a\0b", 3)), "cannot hold control characters");
  EXPECT_EQ(KeySafeNameError("a\x7f"), "cannot hold control characters");
  // Another separator and limit.
  EXPECT_TRUE(IsKeySafeName("a/b", '|'));
  EXPECT_EQ(KeySafeNameError("a|b", '|'), "cannot hold '|'");
  EXPECT_FALSE(IsKeySafeName("abcd", '/', 3));
  // 64 bytes is 21 Hangul syllables (3 bytes each), not 64.
  std::string hangul;
  for (int i = 0; i < 22; ++i) hangul += "영";
  EXPECT_FALSE(IsKeySafeName(hangul));
}

TEST(KeyPartsTest, JoinAndSplitAreInverses) {
  EXPECT_EQ(JoinKey({"fc", "2026-11", "minsu", "KRW"}), "fc/2026-11/minsu/KRW");
  EXPECT_EQ(JoinKey({"topp", "opp1", ""}), "topp/opp1/");
  EXPECT_EQ(JoinKey({"a", "b"}, '|'), "a|b");
  EXPECT_EQ(JoinKey({}), "");
  EXPECT_EQ(SplitKey("fc/2026-11/minsu/KRW"),
            (std::vector<std::string>{"fc", "2026-11", "minsu", "KRW"}));
  EXPECT_EQ(SplitKey("a//b/"), (std::vector<std::string>{"a", "", "b", ""}));
  EXPECT_EQ(SplitKey(""), (std::vector<std::string>{""}));
  EXPECT_EQ(SplitKey("a|b/c", '|'), (std::vector<std::string>{"a", "b/c"}));
  const std::vector<std::string> parts = {"act", "sales", ZeroPad(42, 20), "01KA2Z"};
  EXPECT_EQ(SplitKey(Join(parts, "/")), parts);
  EXPECT_EQ(Join({"stage", "amount"}, ", "), "stage, amount");
  EXPECT_EQ(Join({}, ", "), "");
}

TEST(KeyPartsTest, SplitKeySuffixChecksThePrefixAndCount) {
  std::vector<std::string> parts;
  EXPECT_TRUE(SplitKeySuffix("topn/minsu/00000000000000000005/T1", "topn/minsu/", 2, &parts));
  EXPECT_EQ(parts, (std::vector<std::string>{"00000000000000000005", "T1"}));
  EXPECT_FALSE(SplitKeySuffix("topn/minsu/5/T1/x", "topn/minsu/", 2, &parts));
  EXPECT_FALSE(SplitKeySuffix("tonx/minsu/5/T1", "topn/minsu/", 2, &parts));
  EXPECT_TRUE(StartsWith("topn/minsu/", "topn/"));
  EXPECT_TRUE(StartsWith("topn", ""));
  EXPECT_FALSE(StartsWith("top", "topn"));
}

}  // namespace
}  // namespace rapport::sdk
