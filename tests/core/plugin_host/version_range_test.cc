// Version ranges of a manifest's "requires" (core/plugin_host/version_range.h).
#include "core/plugin_host/version_range.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::plugin_host {
namespace {

using ::testing::HasSubstr;

bool In(const std::string& range, const std::string& version) {
  auto r = VersionRange::Parse(range);
  auto v = ParseVersion(version);
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(v.ok()) << v.status();
  return r.ok() && v.ok() && r->Contains(*v);
}

TEST(VersionRangeTest, ComparatorsAllMustHold) {
  EXPECT_TRUE(In(">=1.2.0 <2.0.0", "1.2.0"));
  EXPECT_TRUE(In(">=1.2.0 <2.0.0", "1.10.3"));
  EXPECT_FALSE(In(">=1.2.0 <2.0.0", "1.1.9"));
  EXPECT_FALSE(In(">=1.2.0 <2.0.0", "2.0.0"));
  EXPECT_TRUE(In(">1.2.0", "1.2.1"));
  EXPECT_FALSE(In(">1.2.0", "1.2.0"));
  EXPECT_TRUE(In("<=1.2.0", "1.2.0"));
  EXPECT_FALSE(In("<1.2.0", "1.2.0"));
  EXPECT_TRUE(In("1.2.0", "1.2.0"));
  EXPECT_TRUE(In("=1.2.0", "1.2.0"));
  EXPECT_FALSE(In("=1.2.0", "1.2.1"));
  // Numbers compare as numbers, not text.
  EXPECT_TRUE(In(">=1.9.0", "1.10.0"));
}

TEST(VersionRangeTest, CaretKeepsTheMajorOrForZeroTheMinor) {
  EXPECT_TRUE(In("^1.2.0", "1.9.9"));
  EXPECT_FALSE(In("^1.2.0", "2.0.0"));
  EXPECT_FALSE(In("^1.2.0", "1.1.0"));
  EXPECT_TRUE(In("^0.3.1", "0.3.9"));
  EXPECT_FALSE(In("^0.3.1", "0.4.0"));
}

TEST(VersionRangeTest, SuffixesOfTheModulesVersionAreIgnored) {
  EXPECT_TRUE(In(">=1.3.0", "1.3.0-beta"));
  EXPECT_TRUE(In("=1.3.0", "1.3.0+build.7"));
}

TEST(VersionRangeTest, BadRangesAndVersionsAreRefusedNamingThePart) {
  for (const char* bad :
       {"", "   ", ">=1.2", "1.2.3.4", ">=a.b.c", "~1.2.0", ">= 1.2.0", "-1.0.0", ">=1.2.x"}) {
    auto r = VersionRange::Parse(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
    EXPECT_THAT(r.status().message(), HasSubstr("version range '")) << bad;
  }
  EXPECT_THAT(VersionRange::Parse(">=1.2").status().message(),
              HasSubstr("'1.2' is not a version MAJOR.MINOR.PATCH"));
  EXPECT_FALSE(ParseVersion("1.2").ok());
  EXPECT_FALSE(ParseVersion("v1.2.0").ok());
  EXPECT_FALSE(ParseVersion("1..2").ok());
}

}  // namespace
}  // namespace rapport::plugin_host
