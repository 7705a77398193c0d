// The importers' UTF-8 check (tools/common/csv_reader.h, IsUtf8) at every
// boundary of the encoding (issue 22: letting U+DFFF, the last surrogate,
// through survived the CSV tests, which try only the first one).
#include <string>

#include "gtest/gtest.h"
#include "tools/common/csv_reader.h"

namespace rapport::tools {
namespace {

struct Case {
  const char* what;
  std::string bytes;
  bool valid;
};

TEST(Utf8BoundsTest, EachBoundaryOfTheEncoding) {
  const Case cases[] = {
      {"U+007F, last one-byte", "\x7F", true},
      {"U+0080, first two-byte", "\xC2\x80", true},
      {"U+007F overlong in two bytes", "\xC1\xBF", false},
      {"U+07FF, last two-byte", "\xDF\xBF", true},
      {"U+0800, first three-byte", "\xE0\xA0\x80", true},
      {"U+07FF overlong in three bytes", "\xE0\x9F\xBF", false},
      {"U+D7FF, just below the surrogates", "\xED\x9F\xBF", true},
      {"U+D800, first surrogate", "\xED\xA0\x80", false},
      {"U+DBFF, last high surrogate", "\xED\xAF\xBF", false},
      {"U+DC00, first low surrogate", "\xED\xB0\x80", false},
      {"U+DFFF, last surrogate", "\xED\xBF\xBF", false},
      {"U+E000, just above the surrogates", "\xEE\x80\x80", true},
      {"U+FFFF, last three-byte", "\xEF\xBF\xBF", true},
      {"U+10000, first four-byte", "\xF0\x90\x80\x80", true},
      {"U+FFFF overlong in four bytes", "\xF0\x8F\xBF\xBF", false},
      {"U+10FFFF, the last code point", "\xF4\x8F\xBF\xBF", true},
      {"U+110000, past the last code point", "\xF4\x90\x80\x80", false},
      {"a five-byte lead", "\xF8\x88\x80\x80\x80", false},
      {"a lone continuation byte", "\x80", false},
      {"a lead byte at the very end", "ok\xC2", false},
      {"a three-byte sequence cut after two", "ok\xE0\xA0", false},
      {"a complete sequence at the very end", "ok\xE0\xA0\x80", true},
      {"a continuation that is not one", "\xC2\x41", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsUtf8(c.bytes), c.valid) << c.what;
    // The same inside text, where the bytes that follow cannot help.
    EXPECT_EQ(IsUtf8("김 " + c.bytes + " 민수"), c.valid) << c.what << " (inside text)";
  }
}

}  // namespace
}  // namespace rapport::tools
