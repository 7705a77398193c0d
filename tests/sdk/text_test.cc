// rapport/sdk/text.h: the core's text limits and code-point counting.
#include "rapport/sdk/text.h"

#include <string>

#include "gtest/gtest.h"

namespace rapport::sdk {
namespace {

TEST(TextTest, LimitsAreTheCoresDocumentedOnes) {
  // docs/api.md, "Values": names 1..200 characters, tags up to 64, a subject
  // up to 500, a body up to 64 KiB.
  EXPECT_EQ(kMaxNameChars, 200u);
  EXPECT_EQ(kMaxTagChars, 64u);
  EXPECT_EQ(kMaxSubjectChars, 500u);
  EXPECT_EQ(kMaxBodyBytes, 65536u);
}

TEST(TextTest, CodePointsCountCharactersNotBytes) {
  EXPECT_EQ(CodePoints(""), 0u);
  EXPECT_EQ(CodePoints("ERP"), 3u);
  EXPECT_EQ(CodePoints("김민수"), 3u);  // 9 bytes
  EXPECT_EQ(CodePoints("ERP 도입"), 6u);
  EXPECT_EQ(CodePoints("😀"), 1u);  // 4 bytes
  std::string title;
  for (size_t i = 0; i < kMaxNameChars; ++i) title += "가";
  EXPECT_EQ(CodePoints(title), kMaxNameChars);
}

}  // namespace
}  // namespace rapport::sdk
