// rapport/sdk/ids.h: ULIDs with the core's encoding (core/ids/ulid.h), from a
// generator that is monotonic within a millisecond.
#include "rapport/sdk/ids.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace rapport::sdk {
namespace {

constexpr int64_t kFakeNowMs = 1793577600123;  // 2026-11-02T00:00:00.123Z

TEST(UlidGeneratorTest, AThousandIdsAtOneFakeTimeStrictlyIncrease) {
  UlidGenerator gen(42);
  std::string previous_bytes, previous_text;
  for (int i = 0; i < 1000; ++i) {
    const std::string bytes = gen.NextBytes(kFakeNowMs);
    const std::string text = UlidToString(bytes);
    ASSERT_EQ(bytes.size(), 16u);
    ASSERT_EQ(text.size(), 26u);
    ASSERT_LT(previous_bytes, bytes) << "id " << i;
    ASSERT_LT(previous_text, text) << "id " << i << ": text order must equal byte order";
    EXPECT_EQ(UlidTimeMs(bytes), kFakeNowMs);
    previous_bytes = bytes;
    previous_text = text;
  }
}

TEST(UlidGeneratorTest, WithinAMillisecondTheRandomPartIsIncrementedByOne) {
  UlidGenerator gen(7);
  const std::string a = gen.NextBytes(kFakeNowMs);
  const std::string b = gen.NextBytes(kFakeNowMs);
  // Equal but for the last byte (unless it carried), which grew by one.
  EXPECT_EQ(static_cast<uint8_t>(b[15]), static_cast<uint8_t>(static_cast<uint8_t>(a[15]) + 1));
  if (static_cast<uint8_t>(a[15]) != 0xFF) {
    EXPECT_EQ(a.substr(0, 15), b.substr(0, 15));
  }
}

TEST(UlidGeneratorTest, AClockThatStepsBackStillYieldsIncreasingIds) {
  UlidGenerator gen;
  const std::string late = gen.Next(kFakeNowMs);
  EXPECT_LT(late, gen.Next(kFakeNowMs - 60000));
  EXPECT_LT(late, gen.Next(0));
  // A later millisecond draws afresh, with that time.
  const std::string later = gen.NextBytes(kFakeNowMs + 1);
  EXPECT_EQ(UlidTimeMs(later), kFakeNowMs + 1);
}

TEST(UlidGeneratorTest, TheTopBitOfTheRandomPartStaysClear) {
  // So 2^79 increments within a millisecond never reach the timestamp: the
  // 11th character carries that bit and is at most 'F' (15).
  UlidGenerator gen;
  for (int i = 0; i < 1000; ++i) {
    const std::string text = gen.Next(kFakeNowMs + i);
    EXPECT_NE(std::string("0123456789ABCDEF").find(text[10]), std::string::npos) << text;
  }
}

TEST(UlidGeneratorTest, TimesOutside48BitsAreClamped) {
  UlidGenerator gen;
  EXPECT_EQ(UlidTimeMs(gen.NextBytes(-5)), 0);
  UlidGenerator other;
  EXPECT_EQ(UlidTimeMs(other.NextBytes(int64_t{1} << 50)), (int64_t{1} << 48) - 1);
}

TEST(UlidGeneratorTest, IsThreadSafe) {
  UlidGenerator gen;
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  for (auto& mine : ids) {
    threads.emplace_back([&gen, &mine] {
      for (int i = 0; i < 1000; ++i) mine.push_back(gen.Next(kFakeNowMs));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& mine : ids) {
    for (size_t i = 1; i < mine.size(); ++i) EXPECT_LT(mine[i - 1], mine[i]);
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(all.size(), 4000u);
}

TEST(NewUlidTest, OneGeneratorPerPluginAcrossCalls) {
  std::string previous = NewUlid(kFakeNowMs);
  for (int i = 0; i < 100; ++i) {
    const std::string next = NewUlid(kFakeNowMs);
    EXPECT_LT(previous, next);
    previous = next;
  }
}

TEST(UlidTextTest, TheSpecsExampleTime) {
  // https://github.com/ulid/spec: 01ARYZ6S41... carries 1469918176385.
  std::string bytes(16, '\0');
  const int64_t ms = 1469918176385;
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<char>(ms >> (8 * (5 - i)));
  EXPECT_EQ(UlidToString(bytes), "01ARYZ6S410000000000000000");
  EXPECT_EQ(UlidTimeMs(*UlidFromString("01ARYZ6S41TSV4RRFFQ69G5FAV")), ms);
}

TEST(UlidTextTest, RoundTripsCaseInsensitively) {
  UlidGenerator gen;
  const std::string id = gen.NextBytes(kFakeNowMs);
  const std::string text = UlidToString(id);
  EXPECT_EQ(UlidFromString(text), id);
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(UlidFromString(lower), id);
}

TEST(UlidTextTest, MalformedTextIsRefused) {
  EXPECT_FALSE(UlidFromString(""));
  EXPECT_FALSE(UlidFromString("01ARZ3NDEKTSV4RRFFQ69G5FA"));    // 25 characters
  EXPECT_FALSE(UlidFromString("01ARZ3NDEKTSV4RRFFQ69G5FAVX"));  // 27 characters
  EXPECT_FALSE(UlidFromString("01ARZ3NDEKTSV4RRFFQ69G5FAU"));   // U is not Crockford
  EXPECT_FALSE(UlidFromString("81ARZ3NDEKTSV4RRFFQ69G5FAV"));   // above 128 bits
}

}  // namespace
}  // namespace rapport::sdk
