#include "core/store/key_codec.h"

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace rapport::store {
namespace {

std::string RandomBytes(std::mt19937_64& rng, int max_len) {
  std::uniform_int_distribution<int> len(0, max_len);
  // Bias towards the bytes that matter for escaping: 0x00, 0x01, 0xFF.
  std::uniform_int_distribution<int> pick(0, 9);
  std::string s(len(rng), '\0');
  for (char& c : s) {
    int p = pick(rng);
    c = p == 0 ? '\0' : p == 1 ? '\x01' : p == 2 ? '\xff' : static_cast<char>(rng());
  }
  return s;
}

TEST(KeyCodecTest, SignedIntegersSortNumerically) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> values = {INT64_MIN, -1, 0, 1, INT64_MAX};
  for (int i = 0; i < 2000; ++i) values.push_back(static_cast<int64_t>(rng()));
  for (int64_t a : values) {
    for (int j = 0; j < 5; ++j) {
      int64_t b = values[rng() % values.size()];
      std::string ka = KeyWriter().I64(a).Release(), kb = KeyWriter().I64(b).Release();
      EXPECT_EQ(a < b, ka < kb) << a << " vs " << b;
      EXPECT_EQ(a > b, KeyWriter().I64Desc(a).key() < KeyWriter().I64Desc(b).key());
    }
  }
}

TEST(KeyCodecTest, UnsignedIntegersSortNumerically) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 5000; ++i) {
    uint64_t a = rng() >> (rng() % 64), b = rng() >> (rng() % 64);
    EXPECT_EQ(a < b, KeyWriter().U64(a).key() < KeyWriter().U64(b).key());
    EXPECT_EQ(a > b, KeyWriter().U64Desc(a).key() < KeyWriter().U64Desc(b).key());
    uint32_t a32 = static_cast<uint32_t>(a), b32 = static_cast<uint32_t>(b);
    EXPECT_EQ(a32 < b32, KeyWriter().U32(a32).key() < KeyWriter().U32(b32).key());
  }
}

TEST(KeyCodecTest, StringTuplesSortLikeTuplesEvenWithZeroBytes) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    auto a = std::make_tuple(RandomBytes(rng, 6), RandomBytes(rng, 4));
    auto b = std::make_tuple(RandomBytes(rng, 6), RandomBytes(rng, 4));
    if (rng() % 4 == 0) std::get<0>(b) = std::get<0>(a);  // shared first component
    std::string ka = KeyWriter().String(std::get<0>(a)).String(std::get<1>(a)).Release();
    std::string kb = KeyWriter().String(std::get<0>(b)).String(std::get<1>(b)).Release();
    EXPECT_EQ(a < b, ka < kb);
    EXPECT_EQ(a == b, ka == kb);
    std::string da = KeyWriter().StringDesc(std::get<0>(a)).Release();
    std::string db = KeyWriter().StringDesc(std::get<0>(b)).Release();
    EXPECT_EQ(std::get<0>(a) > std::get<0>(b), da < db);
  }
}

TEST(KeyCodecTest, MixedTuplesRoundTrip) {
  std::mt19937_64 rng(4);
  for (int i = 0; i < 5000; ++i) {
    uint32_t tenant = static_cast<uint32_t>(rng());
    int64_t n = static_cast<int64_t>(rng());
    std::string s = RandomBytes(rng, 12), sd = RandomBytes(rng, 12);
    std::string id(16, '\0');
    for (char& c : id) c = static_cast<char>(rng());
    std::string key =
        KeyWriter().U32(tenant).String(s).I64(n).StringDesc(sd).I64Desc(n).Bytes16(id).Release();
    KeyReader r(key);
    uint32_t t2;
    int64_t n2, n3;
    std::string s2, sd2, id2;
    ASSERT_TRUE(r.U32(&t2) && r.String(&s2) && r.I64(&n2) && r.StringDesc(&sd2) && r.I64Desc(&n3) &&
                r.Bytes16(&id2));
    EXPECT_TRUE(r.done());
    EXPECT_EQ(std::tie(t2, s2, n2, sd2, id2), std::tie(tenant, s, n, sd, id));
    EXPECT_EQ(n3, n);
  }
}

TEST(KeyCodecTest, NoEncodedStringIsAPrefixOfAnother) {
  // Needed so that a prefix scan over String(x) never matches String(x + y).
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::string a = RandomBytes(rng, 5), b = RandomBytes(rng, 5);
    if (a == b) continue;
    std::string ka = KeyWriter().String(a).Release(), kb = KeyWriter().String(b).Release();
    EXPECT_FALSE(kb.compare(0, ka.size(), ka) == 0) << "prefix clash";
  }
}

TEST(KeyCodecTest, TruncatedOrCorruptInputIsRejected) {
  std::string key = KeyWriter().String("abc").Release();
  KeyReader missing_terminator(std::string_view(key).substr(0, key.size() - 1));
  std::string out;
  EXPECT_FALSE(missing_terminator.String(&out));
  KeyReader bad_escape(std::string("a\0\x02", 3));
  EXPECT_FALSE(bad_escape.String(&out));
  KeyReader short_int("abc");
  uint32_t v;
  EXPECT_FALSE(short_int.U32(&v));
}

TEST(KeyCodecTest, PrefixSuccessorBoundsEveryKeyWithThePrefix) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), "");
  std::mt19937_64 rng(6);
  for (int i = 0; i < 5000; ++i) {
    std::string p = RandomBytes(rng, 4), rest = RandomBytes(rng, 4);
    std::string succ = PrefixSuccessor(p);
    if (!succ.empty()) {
      EXPECT_LT(p + rest, succ);
    }
  }
}

}  // namespace
}  // namespace rapport::store
