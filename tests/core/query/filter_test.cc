#include "core/query/filter.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/query/order_by.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::query {

// Printers so that failures show values readably. They live in the library's
// namespace (not an anonymous one) so that GoogleTest finds them through ADL.
void PrintTo(CompareOp op, std::ostream* os) { *os << CompareOpName(op); }

void PrintTo(const FilterValue& value, std::ostream* os) { *os << value.DebugString(); }

void PrintTo(const OrderBy& order_by, std::ostream* os) {
  *os << "OrderBy{\"" << order_by.field << "\", " << (order_by.descending ? "desc" : "asc") << "}";
}

void PrintTo(const Comparison& c, std::ostream* os) {
  *os << c.field << " " << CompareOpName(c.op) << " " << c.value.DebugString() << " @" << c.column;
}

namespace {

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

FilterValue Str(std::string s) { return FilterValue{std::move(s)}; }
FilterValue Int(int64_t i) { return FilterValue{i}; }
FilterValue Dbl(double d) { return FilterValue{d}; }
FilterValue Bool(bool b) { return FilterValue{b}; }

// Matches a Comparison with the given field, operator and value (any column).
auto IsComparison(std::string field, CompareOp op, FilterValue value) {
  return AllOf(Field("field", &Comparison::field, Eq(field)), Field("op", &Comparison::op, Eq(op)),
               Field("value", &Comparison::value, Eq(value)));
}

// Parses `text`, failing the test (and returning an empty Filter) on error.
Filter MustParse(std::string_view text) {
  absl::StatusOr<Filter> filter = ParseFilter(text);
  EXPECT_TRUE(filter.ok()) << "text: " << text << "\nstatus: " << filter.status();
  return filter.ok() ? *std::move(filter) : Filter{};
}

// Returns the error message for `text`, failing the test unless parsing fails
// with INVALID_ARGUMENT.
std::string FilterError(std::string_view text) {
  absl::StatusOr<Filter> filter = ParseFilter(text);
  if (filter.ok()) {
    ADD_FAILURE() << "expected an error for: " << text
                  << "\nbut parsed as: " << filter->Canonical();
    return "";
  }
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(filter.status().message());
}

OrderBy MustParseOrderBy(std::string_view text) {
  absl::StatusOr<OrderBy> order_by = ParseOrderBy(text);
  EXPECT_TRUE(order_by.ok()) << "text: " << text << "\nstatus: " << order_by.status();
  return order_by.ok() ? *std::move(order_by) : OrderBy{};
}

std::string OrderByError(std::string_view text) {
  absl::StatusOr<OrderBy> order_by = ParseOrderBy(text);
  if (order_by.ok()) {
    ADD_FAILURE() << "expected an error for: " << text
                  << "\nbut parsed as: " << order_by->Canonical();
    return "";
  }
  EXPECT_EQ(order_by.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(order_by.status().message());
}

// Test-side UTF-8 encoder, independent of the library's.
std::string Utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// Test-side strict UTF-8 check (rejects overlongs, surrogates, > U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const char32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Well-formed filters.
// ---------------------------------------------------------------------------

TEST(ParseFilterTest, EmptyAndWhitespaceOnlyTextMeansNoFiltering) {
  for (std::string_view text : {"", " ", " \t\r\n "}) {
    Filter filter = MustParse(text);
    EXPECT_THAT(filter.comparisons, IsEmpty()) << text;
    EXPECT_EQ(filter.Canonical(), "");
  }
}

TEST(ParseFilterTest, ParsesTheDocumentedExample) {
  constexpr std::string_view kText =
      R"(owner = "u1" AND stage = "negotiation" AND amount.units >= 1000)";
  Filter filter = MustParse(kText);
  EXPECT_THAT(filter.comparisons,
              ElementsAre(IsComparison("owner", CompareOp::kEq, Str("u1")),
                          IsComparison("stage", CompareOp::kEq, Str("negotiation")),
                          IsComparison("amount.units", CompareOp::kGe, Int(1000))));
  ASSERT_EQ(filter.comparisons.size(), 3u);
  EXPECT_EQ(filter.comparisons[0].column, 1);
  EXPECT_EQ(filter.comparisons[1].column, static_cast<int>(kText.find("stage")) + 1);
  EXPECT_EQ(filter.comparisons[2].column, static_cast<int>(kText.find("amount")) + 1);
  // The example is already in canonical form.
  EXPECT_EQ(filter.Canonical(), kText);
}

TEST(ParseFilterTest, HangulStringValuesAreKeptAsUtf8) {
  Filter filter = MustParse(R"(name = "홍길동" AND city != "서울 강남구")");
  EXPECT_THAT(filter.comparisons,
              ElementsAre(IsComparison("name", CompareOp::kEq, Str("홍길동")),
                          IsComparison("city", CompareOp::kNe, Str("서울 강남구"))));
  EXPECT_EQ(filter.Canonical(), R"(name = "홍길동" AND city != "서울 강남구")");
}

TEST(ParseFilterTest, ColumnsCountCodePointsNotBytes) {
  // `name = "홍길동" AND ` is 17 code points (but 23 bytes).
  Filter filter = MustParse(R"(name = "홍길동" AND city = "x")");
  ASSERT_EQ(filter.comparisons.size(), 2u);
  EXPECT_EQ(filter.comparisons[1].column, 18);
  EXPECT_EQ(FilterError(R"(name = "홍길동" AND)"),
            "filter: expected a comparison after 'AND' at column 17");
}

TEST(ParseFilterTest, ColumnsCountFromTheStartOfTheTextAcrossNewlines) {
  Filter filter = MustParse("a = 1\nAND\nb = 2");
  ASSERT_EQ(filter.comparisons.size(), 2u);
  EXPECT_EQ(filter.comparisons[1].column, 11);
}

TEST(ParseFilterTest, DecodesEveryEscape) {
  Filter filter = MustParse(R"(s = "q\"b\\s\nt\tu\u00e9\uD55C\uD83D\uDE00")");
  EXPECT_THAT(filter.comparisons,
              ElementsAre(IsComparison("s", CompareOp::kEq,
                                       Str("q\"b\\s\nt\tu\u00e9\uD55C" + Utf8(0x1F600)))));
}

TEST(ParseFilterTest, EscapedAndRawHangulAreTheSameValue) {
  EXPECT_EQ(MustParse(R"(name = "\uD64D\uAE38\uB3D9")").Canonical(),
            MustParse(R"(name = "홍길동")").Canonical());
}

TEST(ParseFilterTest, ParsesEveryOperator) {
  const std::pair<std::string_view, CompareOp> kOps[] = {
      {"=", CompareOp::kEq},  {"!=", CompareOp::kNe}, {"<", CompareOp::kLt},
      {"<=", CompareOp::kLe}, {">", CompareOp::kGt},  {">=", CompareOp::kGe},
  };
  for (const auto& [name, op] : kOps) {
    EXPECT_EQ(CompareOpName(op), name);
    for (const std::string& text :
         {"x" + std::string(name) + "7", "x " + std::string(name) + " 7"}) {
      EXPECT_THAT(MustParse(text).comparisons, ElementsAre(IsComparison("x", op, Int(7)))) << text;
    }
  }
}

TEST(ParseFilterTest, ParsesNegativeIntegersAndTheInt64Extremes) {
  EXPECT_THAT(MustParse("a = -5").comparisons,
              ElementsAre(IsComparison("a", CompareOp::kEq, Int(-5))));
  EXPECT_THAT(MustParse("a>-5").comparisons,
              ElementsAre(IsComparison("a", CompareOp::kGt, Int(-5))));
  EXPECT_THAT(
      MustParse("a = 9223372036854775807 AND b = -9223372036854775808").comparisons,
      ElementsAre(IsComparison("a", CompareOp::kEq, Int(std::numeric_limits<int64_t>::max())),
                  IsComparison("b", CompareOp::kEq, Int(std::numeric_limits<int64_t>::min()))));
  EXPECT_EQ(MustParse("a = -0 AND b = 007").Canonical(), "a = 0 AND b = 7");
}

TEST(ParseFilterTest, ParsesFloatsAsDoublesDistinctFromIntegers) {
  EXPECT_THAT(MustParse("a = 1.5 AND b < -0.25 AND c = 10.0").comparisons,
              ElementsAre(IsComparison("a", CompareOp::kEq, Dbl(1.5)),
                          IsComparison("b", CompareOp::kLt, Dbl(-0.25)),
                          IsComparison("c", CompareOp::kEq, Dbl(10.0))));
  EXPECT_TRUE(std::holds_alternative<double>(MustParse("c = 10.0").comparisons[0].value.v));
  EXPECT_TRUE(std::holds_alternative<int64_t>(MustParse("c = 10").comparisons[0].value.v));
  EXPECT_EQ(MustParse("a = 1.50 AND b = 10.0 AND c = 0.1").Canonical(),
            "a = 1.5 AND b = 10.0 AND c = 0.1");
}

TEST(ParseFilterTest, ParsesBooleans) {
  EXPECT_THAT(MustParse("active = true AND deleted != false").comparisons,
              ElementsAre(IsComparison("active", CompareOp::kEq, Bool(true)),
                          IsComparison("deleted", CompareOp::kNe, Bool(false))));
}

TEST(ParseFilterTest, KeywordLikeWordsOtherThanReservedOnesCanBeFieldNames) {
  EXPECT_THAT(MustParse("true = false AND and = 1 AND x.AND = 2").comparisons,
              ElementsAre(IsComparison("true", CompareOp::kEq, Bool(false)),
                          IsComparison("and", CompareOp::kEq, Int(1)),
                          IsComparison("x.AND", CompareOp::kEq, Int(2))));
}

TEST(ParseFilterTest, WhitespaceIsOptionalAroundOperatorsAndAfterStrings) {
  EXPECT_THAT(MustParse(R"(a="x"AND b>=2)").comparisons,
              ElementsAre(IsComparison("a", CompareOp::kEq, Str("x")),
                          IsComparison("b", CompareOp::kGe, Int(2))));
}

TEST(ParseFilterTest, AcceptsExactlyTheComparisonLimit) {
  std::string text = "f0 = 0";
  for (int i = 1; i < kMaxFilterComparisons; ++i) {
    text += " AND f" + std::to_string(i) + " = " + std::to_string(i);
  }
  EXPECT_EQ(MustParse(text).comparisons.size(), static_cast<std::size_t>(kMaxFilterComparisons));
}

TEST(ParseFilterTest, AcceptsExactlyTheLengthLimit) {
  std::string text = R"(s = ")";
  text += std::string(kMaxFilterBytes - text.size() - 1, 'x');
  text += '"';
  ASSERT_EQ(text.size(), kMaxFilterBytes);
  EXPECT_EQ(MustParse(text).comparisons.size(), 1u);
}

// ---------------------------------------------------------------------------
// Malformed filters.
// ---------------------------------------------------------------------------

TEST(ParseFilterErrorTest, Int64OverflowNamesTheColumn) {
  EXPECT_EQ(FilterError("n = 9223372036854775808"),
            "filter: integer 9223372036854775808 at column 5 does not fit in "
            "a signed 64-bit integer");
  EXPECT_EQ(FilterError("a = 1 AND n >= -9223372036854775809"),
            "filter: integer -9223372036854775809 at column 16 does not fit "
            "in a signed 64-bit integer");
  // Huge literals are abbreviated in the message.
  EXPECT_THAT(FilterError("n = " + std::string(200, '9')),
              AllOf(HasSubstr("9999..."), HasSubstr("at column 5")));
}

TEST(ParseFilterErrorTest, FloatOutOfDoubleRangeIsRejected) {
  EXPECT_THAT(FilterError("x = " + std::string(400, '9') + ".0"),
              HasSubstr("at column 5 is out of range for a double"));
  EXPECT_THAT(FilterError("x = 0." + std::string(400, '0') + "1"),
              HasSubstr("at column 5 is out of range for a double"));
}

TEST(ParseFilterErrorTest, MalformedNumbers) {
  EXPECT_EQ(FilterError("x = 1."), "filter: expected a digit after '.' in a number at column 7");
  EXPECT_EQ(FilterError("x = 1.a"),
            "filter: expected a digit after '.' in a number at column 7, "
            "found 'a'");
  EXPECT_EQ(FilterError("x = - 1"),
            "filter: expected a digit after '-' at column 6, found whitespace");
  EXPECT_EQ(FilterError("x = 1e5"),
            "filter: unexpected character 'e' after the number at column 6; "
            "exponents are not supported");
  EXPECT_EQ(FilterError("x = 12abc"),
            "filter: unexpected character 'a' after the number at column 7");
  EXPECT_EQ(FilterError("x = 1AND y = 2"),
            "filter: unexpected character 'A' after the number at column 6");
  EXPECT_THAT(FilterError("x = .5"), HasSubstr("found '.'"));
}

TEST(ParseFilterErrorTest, UnterminatedString) {
  EXPECT_EQ(FilterError(R"(name = "abc)"), "filter: unterminated string starting at column 8");
  EXPECT_EQ(FilterError(R"(name = "abc\")"), "filter: unterminated string starting at column 8");
  EXPECT_EQ(FilterError(R"(name = "abc\)"), "filter: unterminated string starting at column 8");
}

TEST(ParseFilterErrorTest, MissingValue) {
  constexpr std::string_view kText = R"(stage = "wo" AND amount >=)";
  EXPECT_EQ(FilterError(kText), "filter: expected a value after '>=' at column 27");
  EXPECT_EQ(FilterError("a = AND b = 1"),
            "filter: expected a value after '=' at column 5, found 'AND'");
}

TEST(ParseFilterErrorTest, BareWordValuesGetAQuotingHint) {
  EXPECT_EQ(FilterError("stage = negotiation"),
            "filter: expected a value after '=' at column 9, found "
            "'negotiation'; string values must be enclosed in double quotes");
  EXPECT_EQ(FilterError("active = TRUE"),
            "filter: expected a value after '=' at column 10, found 'TRUE'; "
            "booleans are written in lowercase: true or false");
  EXPECT_EQ(FilterError("name = 'x'"),
            "filter: unexpected character ''' at column 8; strings must be "
            "enclosed in double quotes");
}

TEST(ParseFilterErrorTest, MissingOperator) {
  EXPECT_EQ(FilterError(R"(owner "u1")"),
            "filter: expected a comparison operator after field 'owner' at "
            "column 7, found '\"'");
  EXPECT_EQ(FilterError("owner"),
            "filter: expected a comparison operator after field 'owner' at "
            "column 6");
  EXPECT_EQ(FilterError("a = 1 AND b"),
            "filter: expected a comparison operator after field 'b' at "
            "column 12");
}

TEST(ParseFilterErrorTest, OperatorsOutsideTheSixAreRejectedWithAHint) {
  EXPECT_EQ(FilterError("a == 1"), "filter: '==' at column 3 is not an operator; use '='");
  EXPECT_EQ(FilterError("a <> 1"), "filter: '<>' at column 3 is not an operator; use '!='");
  EXPECT_EQ(FilterError("a ! 1"),
            "filter: '!' at column 3 must be followed by '=' ('!=' means not "
            "equal)");
  EXPECT_EQ(FilterError("a : 1"),
            "filter: unexpected character ':' at column 3; the ':' (has) "
            "operator is not supported, use '='");
  EXPECT_EQ(FilterError("a => 1"), "filter: expected a value after '=' at column 4, found '>'");
}

TEST(ParseFilterErrorTest, TrailingAnd) {
  EXPECT_EQ(FilterError("a = 1 AND"), "filter: expected a comparison after 'AND' at column 10");
  EXPECT_EQ(FilterError("a = 1 AND  "), "filter: expected a comparison after 'AND' at column 12");
  EXPECT_EQ(FilterError("a = 1 AND AND b = 2"),
            "filter: expected a comparison after 'AND' at column 11, found "
            "'AND'");
  EXPECT_EQ(FilterError("AND a = 1"), "filter: expected a field name at column 1, found 'AND'");
}

TEST(ParseFilterErrorTest, LowercaseAndIsRejectedWithAHelpfulMessage) {
  EXPECT_EQ(FilterError("a = 1 and b = 2"),
            "filter: 'and' at column 7 must be written in uppercase: AND");
  EXPECT_EQ(FilterError(R"(a = "x" And b = 2)"),
            "filter: 'And' at column 9 must be written in uppercase: AND");
}

TEST(ParseFilterErrorTest, OrNotAndParenthesesAreNotSupportedInV1) {
  EXPECT_EQ(FilterError("a = 1 OR b = 2"),
            "filter: 'OR' at column 7 is not supported: v1 filters can only "
            "combine comparisons with AND");
  EXPECT_THAT(FilterError("a = 1 or b = 2"), HasSubstr("'or' at column 7"));
  EXPECT_EQ(FilterError("NOT a = 1"),
            "filter: 'NOT' at column 1 is not supported: v1 filters only "
            "support comparisons combined with AND");
  EXPECT_EQ(FilterError("a = 1 AND NOT b = 1"),
            "filter: 'NOT' at column 11 is not supported: v1 filters only "
            "support comparisons combined with AND");
  EXPECT_EQ(FilterError("(a = 1)"),
            "filter: unexpected character '(' at column 1; parentheses are "
            "not supported in v1");
  EXPECT_EQ(FilterError("a = 1 && b = 2"),
            "filter: unexpected character '&' at column 7; combine "
            "comparisons with AND");
  EXPECT_EQ(FilterError("a = 1 || b = 2"),
            "filter: unexpected character '|' at column 7; OR is not "
            "supported in v1, only AND");
}

TEST(ParseFilterErrorTest, ReservedWordsCannotStartAFieldPath) {
  EXPECT_EQ(FilterError("OR.x = 1"),
            "filter: 'OR' at column 1 is a reserved word and cannot start a "
            "field path");
}

TEST(ParseFilterErrorTest, UnknownCharacter) {
  EXPECT_EQ(FilterError("a = 1 # comment"), "filter: unexpected character '#' at column 7");
  EXPECT_EQ(FilterError("a ~ 1"), "filter: unexpected character '~' at column 3");
  EXPECT_EQ(FilterError("a = 1 AND b = 2;"), "filter: unexpected character ';' at column 16");
  EXPECT_EQ(FilterError(R"(이름 = "x")"), "filter: unexpected character '이' (U+C774) at column 1");
  EXPECT_EQ(FilterError("a = 1\v"), "filter: unexpected control character U+000B at column 6");
  EXPECT_EQ(FilterError("a = \xff"), "filter: invalid UTF-8 byte 0xFF at column 5");
}

TEST(ParseFilterErrorTest, MalformedFieldPaths) {
  EXPECT_EQ(FilterError("a. = 1"),
            "filter: expected a field name after '.' at column 3, found "
            "whitespace");
  EXPECT_EQ(FilterError("a..b = 1"),
            "filter: expected a field name after '.' at column 3, found '.'");
  EXPECT_EQ(FilterError("a.1 = 1"),
            "filter: expected a field name after '.' at column 3, found '1'");
  EXPECT_EQ(FilterError("a . b = 1"),
            "filter: unexpected '.' at column 3; a field path cannot contain "
            "whitespace");
  EXPECT_EQ(FilterError("1a = 1"), "filter: expected a field name at column 1, found '1'");
  EXPECT_EQ(FilterError(R"("a" = 1)"), "filter: expected a field name at column 1, found '\"'");
}

TEST(ParseFilterErrorTest, TooManyComparisonsNamesTheLimit) {
  std::string text = "f0 = 0";
  for (int i = 1; i <= kMaxFilterComparisons; ++i) {
    text += " AND f" + std::to_string(i) + " = " + std::to_string(i);
  }
  const int column = static_cast<int>(text.rfind("f16")) + 1;
  EXPECT_EQ(FilterError(text),
            "filter: too many comparisons: at most 16 are allowed, but "
            "comparison 17 starts at column " +
                std::to_string(column));
}

TEST(ParseFilterErrorTest, TooLongNamesTheLimit) {
  std::string text = R"(s = ")";
  text += std::string(kMaxFilterBytes - text.size(), 'x');
  text += '"';
  ASSERT_EQ(text.size(), kMaxFilterBytes + 1);
  EXPECT_EQ(FilterError(text), "filter: too long: 4097 bytes exceeds the limit of 4096 bytes");
  // Whitespace counts too: the limit is on the raw text.
  EXPECT_THAT(FilterError(std::string(kMaxFilterBytes + 1, ' ')),
              HasSubstr("exceeds the limit of 4096 bytes"));
}

TEST(ParseFilterErrorTest, InvalidUtf8InsideAString) {
  // Stray continuation byte, truncated sequence, overlong '/', UTF-8-encoded
  // surrogate U+D800, and a code point above U+10FFFF.
  for (std::string_view bad :
       {"\x80", "\xed\x95", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"}) {
    const std::string text = "s = \"ab" + std::string(bad) + "\"";
    EXPECT_THAT(FilterError(text), StartsWith("filter: invalid UTF-8 in string at column 8"))
        << testing::PrintToString(text);
  }
  EXPECT_EQ(FilterError("s = \"홍\xed\x95\""),
            "filter: invalid UTF-8 in string at column 7 (byte 0xED)");
}

TEST(ParseFilterErrorTest, RawControlCharactersInsideAStringMustBeEscaped) {
  EXPECT_EQ(FilterError("s = \"a\nb\""),
            "filter: control character U+000A in string at column 7; write it "
            "as an escape such as \\n, \\t or \\u000A");
  EXPECT_THAT(FilterError(std::string("s = \"a\0b\"", 9)),
              HasSubstr("control character U+0000 in string at column 7"));
  EXPECT_THAT(MustParse(R"(s = "a\u0001b")").comparisons,
              ElementsAre(IsComparison("s", CompareOp::kEq,
                                       Str(std::string("a\x01"
                                                       "b")))));
}

TEST(ParseFilterErrorTest, MalformedEscapes) {
  EXPECT_EQ(FilterError(R"(s = "a\x")"),
            "filter: invalid escape '\\x' at column 7; supported escapes are "
            "\\\", \\\\, \\n, \\t and \\uXXXX");
  EXPECT_EQ(FilterError(R"(s = "\u12")"),
            "filter: the \\u escape at column 6 must be followed by exactly "
            "four hex digits");
  EXPECT_THAT(FilterError(R"(s = "\uD83D")"),
              StartsWith("filter: unpaired surrogate \\uD83D at column 6"));
  EXPECT_THAT(FilterError(R"(s = "\uD83Dx")"),
              StartsWith("filter: unpaired surrogate \\uD83D at column 6"));
  EXPECT_THAT(FilterError(R"(s = "\uD83D\u0041")"),
              StartsWith("filter: unpaired surrogate \\uD83D at column 6"));
  EXPECT_THAT(FilterError(R"(s = "\uDE00")"),
              StartsWith("filter: unpaired surrogate \\uDE00 at column 6"));
  EXPECT_EQ(FilterError(R"(s = "\u0000")"),
            "filter: \\u0000 at column 6 is not allowed: strings cannot "
            "contain NUL");
}

// ---------------------------------------------------------------------------
// Canonical form.
// ---------------------------------------------------------------------------

TEST(CanonicalTest, EquivalentFiltersWithDifferentSpacingAreEqual) {
  const std::string expected = R"(a = 1 AND b.c >= "x y" AND d != 2.5)";
  for (std::string_view text : {
           R"(a=1 AND b.c>="x y" AND d!=2.5)",
           "  a = 1\tAND\n b.c >=   \"x y\"  AND d !=2.5 ",
           R"(a = 0001 AND b.c >= "\u0078 y"AND d != 2.50)",
       }) {
    EXPECT_EQ(MustParse(text).Canonical(), expected) << text;
  }
}

TEST(CanonicalTest, OrderTypesAndValuesAreSignificant) {
  EXPECT_NE(MustParse("a = 1 AND b = 2").Canonical(), MustParse("b = 2 AND a = 1").Canonical());
  EXPECT_NE(MustParse("a = 1").Canonical(), MustParse("a = 1.0").Canonical());
  EXPECT_NE(MustParse("a = 1").Canonical(), MustParse(R"(a = "1")").Canonical());
  EXPECT_NE(MustParse("a = true").Canonical(), MustParse(R"(a = "true")").Canonical());
}

TEST(CanonicalTest, DebugStringEscapesOnlyWhatItMust) {
  EXPECT_EQ(Str("q\"b\\s\nt\tu\x01\x1f홍").DebugString(), R"("q\"b\\s\nt\tu\u0001\u001f홍")");
  EXPECT_EQ(Int(-42).DebugString(), "-42");
  EXPECT_EQ(Bool(true).DebugString(), "true");
  EXPECT_EQ(Bool(false).DebugString(), "false");
}

TEST(CanonicalTest, DoublesUseShortestRoundTrippingFixedNotation) {
  EXPECT_EQ(Dbl(2.0).DebugString(), "2.0");
  EXPECT_EQ(Dbl(0.1).DebugString(), "0.1");
  EXPECT_EQ(Dbl(-0.0).DebugString(), "-0.0");
  EXPECT_EQ(Dbl(-1.25).DebugString(), "-1.25");
  EXPECT_EQ(Dbl(std::numeric_limits<double>::quiet_NaN()).DebugString(), "nan");
  EXPECT_EQ(Dbl(-std::numeric_limits<double>::infinity()).DebugString(), "-inf");
  for (double d :
       {1e23, 1e300, std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::min(), 123456.789e-10}) {
    const std::string text = "x = " + Dbl(d).DebugString();
    Filter filter = MustParse(text);
    ASSERT_EQ(filter.comparisons.size(), 1u);
    EXPECT_EQ(filter.comparisons[0].value, Dbl(d)) << text;
  }
}

// ---------------------------------------------------------------------------
// Randomized properties.
// ---------------------------------------------------------------------------

class RandomFilters {
 public:
  explicit RandomFilters(uint64_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  int Index(std::size_t size) { return Uniform(0, static_cast<int>(size) - 1); }
  bool OneIn(int n) { return Uniform(1, n) == 1; }

  std::string Ident() {
    static constexpr std::string_view kStart =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    static constexpr std::string_view kRest =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
    while (true) {
      std::string ident(1, kStart[Index(kStart.size())]);
      const int len = Uniform(0, 7);
      for (int i = 0; i < len; ++i) ident += kRest[Index(kRest.size())];
      if (ident != "AND" && ident != "OR" && ident != "NOT") return ident;
    }
  }

  std::string FieldPath() {
    std::string path = Ident();
    const int more = Uniform(0, 2);
    for (int i = 0; i < more; ++i) path += "." + Ident();
    return path;
  }

  char32_t CodePoint() {
    switch (Uniform(0, 7)) {
      case 0:
        return static_cast<char32_t>(Uniform(1, 0x1F));  // Control.
      case 1: {
        static constexpr char kSpecial[] = {'"', '\\', '\n', '\t', ' '};
        return static_cast<char32_t>(kSpecial[Uniform(0, 4)]);
      }
      case 2:
        return static_cast<char32_t>(Uniform(0xAC00, 0xD7A3));  // Hangul.
      case 3:
        return static_cast<char32_t>(Uniform(0x80, 0x7FF));
      case 4: {
        const int cp = Uniform(0x800, 0xFFFD);
        return static_cast<char32_t>(cp >= 0xD800 && cp <= 0xDFFF ? 0x4E00 : cp);
      }
      case 5:
        return static_cast<char32_t>(Uniform(0x10000, 0x10FFFF));
      default:
        return static_cast<char32_t>(Uniform(0x20, 0x7E));
    }
  }

  std::vector<char32_t> CodePoints() {
    std::vector<char32_t> cps(Uniform(0, 12));
    for (char32_t& cp : cps) cp = CodePoint();
    return cps;
  }

  int64_t Integer() {
    switch (Uniform(0, 3)) {
      case 0:
        return std::uniform_int_distribution<int64_t>(std::numeric_limits<int64_t>::min(),
                                                      std::numeric_limits<int64_t>::max())(rng_);
      case 1:
        return OneIn(2) ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
      default:
        return Uniform(-1000, 1000);
    }
  }

  double FiniteFromRandomBits() {
    while (true) {
      const uint64_t bits = rng_();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      if (std::isfinite(d)) return d;
    }
  }

  double Double() {
    switch (Uniform(0, 3)) {
      case 0:
        return FiniteFromRandomBits();
      case 1: {
        static constexpr double kSpecial[] = {0.0,
                                              -0.0,
                                              std::numeric_limits<double>::max(),
                                              std::numeric_limits<double>::lowest(),
                                              std::numeric_limits<double>::denorm_min(),
                                              std::numeric_limits<double>::min(),
                                              0.1,
                                              1e23};
        return kSpecial[Uniform(0, 7)];
      }
      default:
        return Uniform(-100000, 100000) / 100.0;
    }
  }

  FilterValue Value(std::vector<char32_t>* code_points) {
    switch (Uniform(0, 3)) {
      case 0: {
        *code_points = CodePoints();
        std::string s;
        for (char32_t cp : *code_points) s += Utf8(cp);
        return Str(std::move(s));
      }
      case 1:
        return Int(Integer());
      case 2:
        return Dbl(Double());
      default:
        return Bool(OneIn(2));
    }
  }

  // A random filter plus, per comparison, the code points of string values
  // (used to respell them with random escapes).
  Filter Make(std::vector<std::vector<char32_t>>* code_points) {
    Filter filter;
    const int n = Uniform(0, kMaxFilterComparisons);
    code_points->assign(n, {});
    for (int i = 0; i < n; ++i) {
      Comparison c;
      c.field = FieldPath();
      c.op = static_cast<CompareOp>(Uniform(0, 5));
      c.value = Value(&(*code_points)[i]);
      filter.comparisons.push_back(std::move(c));
    }
    return filter;
  }

  std::string Space(bool required) {
    static constexpr std::string_view kSpaces[] = {" ", "  ", "\t", "\n", "\r\n ", ""};
    return std::string(kSpaces[Uniform(0, required ? 4 : 5)]);
  }

  std::string Hex4(uint32_t unit) {
    static constexpr std::string_view kLower = "0123456789abcdef";
    static constexpr std::string_view kUpper = "0123456789ABCDEF";
    const std::string_view digits = OneIn(2) ? kLower : kUpper;
    std::string out = "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) {
      out += digits[(unit >> shift) & 0xF];
    }
    return out;
  }

  // Spells a string value with a random mix of raw characters and escapes.
  std::string SpellString(const std::vector<char32_t>& code_points) {
    std::string out = "\"";
    for (char32_t cp : code_points) {
      const bool must_escape = cp < 0x20 || cp == '"' || cp == '\\';
      if (!must_escape && OneIn(2)) {
        out += Utf8(cp);
      } else if (cp == '"' && OneIn(2)) {
        out += "\\\"";
      } else if (cp == '\\' && OneIn(2)) {
        out += "\\\\";
      } else if (cp == '\n' && OneIn(2)) {
        out += "\\n";
      } else if (cp == '\t' && OneIn(2)) {
        out += "\\t";
      } else if (cp >= 0x10000) {
        const uint32_t v = static_cast<uint32_t>(cp) - 0x10000;
        out += Hex4(0xD800 + (v >> 10)) + Hex4(0xDC00 + (v & 0x3FF));
      } else {
        out += Hex4(static_cast<uint32_t>(cp));
      }
    }
    return out + "\"";
  }

  // Spells a number with random redundant zeros.
  std::string SpellNumber(std::string canonical) {
    const bool negative = canonical[0] == '-';
    if (negative) canonical.erase(0, 1);
    const std::string leading(Uniform(0, 2), '0');
    std::string trailing;
    if (canonical.find('.') != std::string::npos) {
      trailing.assign(Uniform(0, 2), '0');
    }
    if (!negative && canonical == "0" && OneIn(3)) return "-0";
    return (negative ? "-" : "") + leading + canonical + trailing;
  }

  // Returns a random but equivalent spelling of `filter`.
  std::string Respell(const Filter& filter, const std::vector<std::vector<char32_t>>& code_points) {
    std::string out = Space(false);
    bool previous_was_string = false;
    for (std::size_t i = 0; i < filter.comparisons.size(); ++i) {
      const Comparison& c = filter.comparisons[i];
      const bool is_string = std::holds_alternative<std::string>(c.value.v);
      if (i > 0) {
        // "1AND" and "trueAND" would not lex; '"AND' does.
        out += Space(/*required=*/!previous_was_string) + "AND" + Space(true);
      }
      out += c.field + Space(false) + std::string(CompareOpName(c.op)) + Space(false);
      if (is_string) {
        out += SpellString(code_points[i]);
      } else if (std::holds_alternative<bool>(c.value.v)) {
        out += c.value.DebugString();
      } else {
        out += SpellNumber(c.value.DebugString());
      }
      previous_was_string = is_string;
    }
    return out + Space(false);
  }

 private:
  std::mt19937_64 rng_;
};

void ExpectSameComparisons(const Filter& actual, const Filter& expected) {
  ASSERT_EQ(actual.comparisons.size(), expected.comparisons.size());
  for (std::size_t i = 0; i < expected.comparisons.size(); ++i) {
    const Comparison& e = expected.comparisons[i];
    EXPECT_THAT(actual.comparisons[i], IsComparison(e.field, e.op, e.value)) << "comparison " << i;
  }
}

constexpr uint64_t kSeed = 20240611;
constexpr int kIterations = 3000;

TEST(FilterPropertyTest, CanonicalOfARandomFilterParsesBackToTheSameFilter) {
  RandomFilters random(kSeed);
  int checked = 0;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    std::vector<std::vector<char32_t>> code_points;
    const Filter filter = random.Make(&code_points);
    const std::string canonical = filter.Canonical();
    if (canonical.size() > kMaxFilterBytes) continue;  // Long doubles.
    ++checked;
    SCOPED_TRACE(testing::Message()
                 << "seed " << kSeed << " iteration " << iteration << "\ncanonical: " << canonical);
    absl::StatusOr<Filter> parsed = ParseFilter(canonical);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ExpectSameComparisons(*parsed, filter);
    EXPECT_EQ(parsed->Canonical(), canonical);
    if (testing::Test::HasFailure()) return;
  }
  EXPECT_GT(checked, kIterations / 2);
}

TEST(FilterPropertyTest, EveryEquivalentSpellingHasTheSameCanonicalText) {
  RandomFilters random(kSeed + 1);
  int checked = 0;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    std::vector<std::vector<char32_t>> code_points;
    const Filter filter = random.Make(&code_points);
    const std::string spelling = random.Respell(filter, code_points);
    if (spelling.size() > kMaxFilterBytes) continue;
    ++checked;
    SCOPED_TRACE(testing::Message() << "seed " << kSeed + 1 << " iteration " << iteration
                                    << "\nspelling: " << testing::PrintToString(spelling));
    absl::StatusOr<Filter> parsed = ParseFilter(spelling);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ExpectSameComparisons(*parsed, filter);
    EXPECT_EQ(parsed->Canonical(), filter.Canonical());
    if (testing::Test::HasFailure()) return;
  }
  EXPECT_GT(checked, kIterations / 2);
}

TEST(FilterPropertyTest, MutatedFiltersFailCleanlyOrStayCanonicalizable) {
  RandomFilters random(kSeed + 2);
  static constexpr std::string_view kAlphabet = "aZ_9.-\"\\=!<>()#:'& \t\nANDu\xea\xb0\x80\xff";
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    std::vector<std::vector<char32_t>> code_points;
    std::string text = random.Make(&code_points).Canonical();
    if (text.size() > kMaxFilterBytes) continue;
    const int edits = random.Uniform(1, 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = text.empty() ? 0 : random.Uniform(0, static_cast<int>(text.size()));
      const char c = kAlphabet[random.Index(kAlphabet.size())];
      switch (random.Uniform(0, 2)) {
        case 0:
          text.insert(at, 1, c);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = c;
      }
    }
    SCOPED_TRACE(testing::Message()
                 << "iteration " << iteration << " text: " << testing::PrintToString(text));
    absl::StatusOr<Filter> parsed = ParseFilter(text);
    if (parsed.ok()) {
      absl::StatusOr<Filter> reparsed = ParseFilter(parsed->Canonical());
      ASSERT_TRUE(reparsed.ok()) << reparsed.status();
      EXPECT_EQ(reparsed->Canonical(), parsed->Canonical());
    } else {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
      const std::string message(parsed.status().message());
      EXPECT_THAT(message, StartsWith("filter: "));
      EXPECT_THAT(message, AnyOf(HasSubstr(" column "), HasSubstr("too long")));
      EXPECT_TRUE(IsValidUtf8(message)) << testing::PrintToString(message);
    }
    if (testing::Test::HasFailure()) return;
  }
}

// ---------------------------------------------------------------------------
// order_by.
// ---------------------------------------------------------------------------

TEST(ParseOrderByTest, EmptyMeansDefaultOrder) {
  for (std::string_view text : {"", "  ", "\t\n"}) {
    const OrderBy order_by = MustParseOrderBy(text);
    EXPECT_EQ(order_by, OrderBy{});
    EXPECT_TRUE(order_by.field.empty());
    EXPECT_FALSE(order_by.descending);
    EXPECT_EQ(order_by.Canonical(), "");
  }
}

TEST(ParseOrderByTest, ParsesFieldAndOptionalDirection) {
  EXPECT_EQ(MustParseOrderBy("create_time"), (OrderBy{"create_time", false}));
  EXPECT_EQ(MustParseOrderBy("create_time asc"), (OrderBy{"create_time", false}));
  EXPECT_EQ(MustParseOrderBy("  amount.units\tdesc "), (OrderBy{"amount.units", true}));
  // A field may be called "desc"; the direction needs whitespace before it.
  EXPECT_EQ(MustParseOrderBy("desc"), (OrderBy{"desc", false}));
  EXPECT_EQ(MustParseOrderBy("namedesc"), (OrderBy{"namedesc", false}));
}

TEST(ParseOrderByTest, CanonicalDropsExplicitAscAndRoundTrips) {
  EXPECT_EQ(MustParseOrderBy("name asc").Canonical(), "name");
  EXPECT_EQ(MustParseOrderBy(" name  desc ").Canonical(), "name desc");
  for (const OrderBy& order_by : {OrderBy{}, OrderBy{"a.b", false}, OrderBy{"a.b", true}}) {
    EXPECT_EQ(MustParseOrderBy(order_by.Canonical()), order_by);
  }
}

TEST(ParseOrderByTest, OnlyOneFieldIsSupported) {
  EXPECT_EQ(OrderByError("a, b"), "order_by: only one field is supported, found ',' at column 2");
  EXPECT_EQ(OrderByError("a desc, b"),
            "order_by: only one field is supported, found ',' at column 7");
  EXPECT_EQ(OrderByError("a ,b"), "order_by: only one field is supported, found ',' at column 3");
  EXPECT_EQ(OrderByError("a b"),
            "order_by: expected 'asc', 'desc' or the end of order_by at "
            "column 3, found 'b'");
}

TEST(ParseOrderByTest, DirectionMustBeLowercase) {
  EXPECT_EQ(OrderByError("name DESC"),
            "order_by: direction 'DESC' at column 6 must be lowercase: desc");
  EXPECT_EQ(OrderByError("name Asc"),
            "order_by: direction 'Asc' at column 6 must be lowercase: asc");
}

TEST(ParseOrderByTest, MalformedOrderBy) {
  EXPECT_EQ(OrderByError("-name"),
            "order_by: '-' at column 1 is not supported; write 'field desc' "
            "for descending order");
  EXPECT_EQ(OrderByError("name desc desc"),
            "order_by: expected the end of order_by after 'desc' at column "
            "11, found 'desc'");
  EXPECT_EQ(OrderByError("a."), "order_by: expected a field name after '.' at column 3");
  EXPECT_EQ(OrderByError("a. b"),
            "order_by: expected a field name after '.' at column 3, found "
            "whitespace");
  EXPECT_EQ(OrderByError("1a"), "order_by: expected a field name at column 1, found '1'");
  EXPECT_EQ(OrderByError("a#"),
            "order_by: expected 'asc', 'desc' or the end of order_by at "
            "column 2, found '#'");
  EXPECT_EQ(OrderByError("이름"),
            "order_by: expected a field name at column 1, found a non-ASCII "
            "character");
  EXPECT_EQ(OrderByError("a desc #"),
            "order_by: expected the end of order_by after 'desc' at column "
            "8, found '#'");
}

TEST(ParseOrderByTest, TooLongNamesTheLimit) {
  EXPECT_EQ(MustParseOrderBy(std::string(kMaxOrderByBytes, 'a')).field.size(), kMaxOrderByBytes);
  EXPECT_EQ(OrderByError(std::string(kMaxOrderByBytes + 1, 'a')),
            "order_by: too long: 4097 bytes exceeds the limit of 4096 bytes");
}

}  // namespace
}  // namespace rapport::query
