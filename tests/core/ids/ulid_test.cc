#include "core/ids/ulid.h"

#include <set>

#include "gtest/gtest.h"

namespace rapport::ids {
namespace {

TEST(UlidTest, IdsFromOneGeneratorStrictlyIncreaseEvenWithinAMillisecond) {
  UlidGenerator gen;
  std::string previous = gen.Next(1795000000000);
  for (int i = 0; i < 10000; ++i) {
    std::string next = gen.Next(1795000000000 + i / 100);
    EXPECT_LT(previous, next);
    EXPECT_LT(UlidToString(previous), UlidToString(next)) << "text order must equal byte order";
    previous = next;
  }
  // A clock that steps back still yields increasing IDs.
  EXPECT_LT(previous, gen.Next(1));
}

TEST(UlidTest, TextRoundTripsCaseInsensitivelyAndCarriesTheTime) {
  UlidGenerator gen;
  std::string id = gen.Next(1795000000123);
  std::string text = UlidToString(id);
  ASSERT_EQ(text.size(), 26u);
  EXPECT_EQ(*UlidFromString(text), id);
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(*UlidFromString(lower), id);
  EXPECT_EQ(UlidTimeMs(id), 1795000000123);
}

TEST(UlidTest, MalformedTextIsRejected) {
  EXPECT_FALSE(UlidFromString("").ok());
  EXPECT_FALSE(UlidFromString("01ARZ3NDEKTSV4RRFFQ69G5FA").ok());    // 25 chars
  EXPECT_FALSE(UlidFromString("01ARZ3NDEKTSV4RRFFQ69G5FAVX").ok());  // 27 chars
  EXPECT_FALSE(UlidFromString("01ARZ3NDEKTSV4RRFFQ69G5FAU").ok());   // U is not Crockford
  EXPECT_FALSE(UlidFromString("81ARZ3NDEKTSV4RRFFQ69G5FAV").ok());   // overflows 128 bits
}

}  // namespace
}  // namespace rapport::ids
