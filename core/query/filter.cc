#include "core/query/filter.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/query/lexer.h"

namespace rapport::query {
namespace {

using lexer::Abbreviate;
using lexer::AppendUtf8;
using lexer::AV;
using lexer::CatArg;
using lexer::DecodeUtf8;
using lexer::HexValue;
using lexer::IsDigit;
using lexer::IsHexDigit;
using lexer::IsIdentChar;
using lexer::IsIdentStart;
using lexer::IsSpace;

// Returns true if `c` can appear somewhere in a well-formed filter outside a
// string literal. Anything else is reported as an unexpected character.
bool IsFilterChar(char c) {
  return IsIdentChar(c) || IsSpace(c) || c == '.' || c == '-' || c == '"' || c == '=' || c == '!' ||
         c == '<' || c == '>';
}

bool IsReservedWord(std::string_view word) {
  return word == "AND" || word == "OR" || word == "NOT";
}

// Appends `s` as a double-quoted filter string literal in canonical form.
void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// Formats a double as the shortest fixed-notation text that round-trips,
// always containing a '.' so that it parses back as a float.
std::string FormatDouble(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  // The longest shortest-round-trip fixed form of a finite double is about
  // 330 characters (the smallest subnormals); 512 leaves ample room.
  std::array<char, 512> buf;
  const auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::fixed);
  if (ec != std::errc()) return absl::StrFormat("%.17g", d);  // Unreachable.
  std::string out(buf.data(), end);
  if (out.find('.') == std::string::npos) out.append(".0");
  return out;
}

// Recursive-descent parser over the raw text. Errors are produced at the
// first problem; everything before the current position is known to be valid
// UTF-8, which `Column()` relies on.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Parses the whole text into a Filter.
  absl::StatusOr<Filter> Parse();

 private:
  // Parses `field op value` at the current position. `expected` describes
  // what is expected there, for the error when no field name is found.
  absl::Status ParseComparison(std::string_view expected, Comparison* out);

  // Parses a dotted field path at the current position into `*out`.
  absl::Status ParseField(std::string_view expected, std::string* out);

  // Parses one of the six comparison operators after field `field`.
  absl::Status ParseOp(std::string_view field, CompareOp* out);

  // Parses a value literal after operator `op`.
  absl::Status ParseValue(CompareOp op, FilterValue* out);

  // Parses a string literal; the current character is the opening quote.
  absl::Status ParseString(std::string* out);

  // Parses the four hex digits of a `\u` escape whose backslash is at
  // `escape_pos`; the current position is just after the 'u'.
  absl::Status ParseHex4(std::size_t escape_pos, char32_t* out);

  // Parses an integer or float; the current character is '-' or a digit.
  absl::Status ParseNumber(FilterValue* out);

  bool AtEnd() const { return pos_ >= text_.size(); }

  // Returns the character `ahead` positions after the current one, or '\0'
  // past the end.
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  void SkipWhitespace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }

  // Returns the identifier-like word starting at `pos`, or "" if none.
  std::string_view WordAt(std::size_t pos) const { return lexer::WordAt(text_, pos); }

  // Returns the 1-based code-point column of byte offset `pos`.
  int Column(std::size_t pos) const { return lexer::Column(text_, pos); }

  // Describes what is at `pos` for a "found ..." clause.
  std::string DescribeAt(std::size_t pos) const;

  // "expected <what> at column N, found <thing>" for the current position,
  // or an unexpected-character error if the character there is not part of
  // the filter alphabet at all.
  absl::Status Expected(std::string_view what) const;

  // Error for a character at `pos` that cannot appear outside a string.
  absl::Status UnexpectedCharacter(std::size_t pos) const;

  template <typename... Args>
  static absl::Status Error(const Args&... args) {
    return absl::InvalidArgumentError(absl::StrCat("filter: ", CatArg(args)...));
  }

  const std::string_view text_;
  std::size_t pos_ = 0;
};

std::string Parser::DescribeAt(std::size_t pos) const {
  if (pos >= text_.size()) return "the end of the filter";
  return lexer::DescribeAt(text_, pos, /*decode_utf8=*/true);
}

absl::Status Parser::UnexpectedCharacter(std::size_t pos) const {
  const std::string found = DescribeAt(pos);
  if (absl::StartsWith(found, "invalid UTF-8")) {
    return Error(found, " at column ", Column(pos));
  }
  std::string_view hint;
  switch (text_[pos]) {
    case '(':
    case ')':
      hint = "; parentheses are not supported in v1";
      break;
    case ':':
      hint = "; the ':' (has) operator is not supported, use '='";
      break;
    case '\'':
      hint = "; strings must be enclosed in double quotes";
      break;
    case '&':
    case ',':
      hint = "; combine comparisons with AND";
      break;
    case '|':
      hint = "; OR is not supported in v1, only AND";
      break;
    default:
      break;
  }
  // `found` is either a quoted character or "control character U+XXXX".
  return Error("unexpected ", absl::StartsWith(found, "control") ? "" : "character ", found,
               " at column ", Column(pos), hint);
}

absl::Status Parser::Expected(std::string_view what) const {
  if (AtEnd()) return Error("expected ", what, " at column ", Column(pos_));
  if (!IsFilterChar(text_[pos_])) return UnexpectedCharacter(pos_);
  return Error("expected ", what, " at column ", Column(pos_), ", found ", DescribeAt(pos_));
}

absl::StatusOr<Filter> Parser::Parse() {
  if (text_.size() > kMaxFilterBytes) {
    return Error("too long: ", text_.size(), " bytes exceeds the limit of ", kMaxFilterBytes,
                 " bytes");
  }
  Filter filter;
  SkipWhitespace();
  if (AtEnd()) return filter;
  std::string_view expected = "a field name";
  while (true) {
    if (filter.comparisons.size() == static_cast<std::size_t>(kMaxFilterComparisons)) {
      return Error("too many comparisons: at most ", kMaxFilterComparisons,
                   " are allowed, but comparison ", kMaxFilterComparisons + 1, " starts at column ",
                   Column(pos_));
    }
    Comparison comparison;
    if (absl::Status s = ParseComparison(expected, &comparison); !s.ok()) {
      return s;
    }
    filter.comparisons.push_back(std::move(comparison));
    SkipWhitespace();
    if (AtEnd()) break;
    const std::string_view word = WordAt(pos_);
    if (word == "AND") {
      pos_ += word.size();
      SkipWhitespace();
      expected = "a comparison after 'AND'";
      continue;
    }
    if (absl::EqualsIgnoreCase(AV(word), "and")) {
      return Error("'", word, "' at column ", Column(pos_), " must be written in uppercase: AND");
    }
    if (absl::EqualsIgnoreCase(AV(word), "or")) {
      return Error("'", word, "' at column ", Column(pos_),
                   " is not supported: v1 filters can only combine "
                   "comparisons with AND");
    }
    return Expected("'AND' or the end of the filter");
  }
  return filter;
}

absl::Status Parser::ParseComparison(std::string_view expected, Comparison* out) {
  out->column = Column(pos_);
  if (absl::Status s = ParseField(expected, &out->field); !s.ok()) return s;
  SkipWhitespace();
  if (absl::Status s = ParseOp(out->field, &out->op); !s.ok()) return s;
  SkipWhitespace();
  return ParseValue(out->op, &out->value);
}

absl::Status Parser::ParseField(std::string_view expected, std::string* out) {
  const std::size_t start = pos_;
  const std::string_view first = WordAt(pos_);
  if (first.empty() || first == "AND") return Expected(expected);
  if (IsReservedWord(first)) {
    if (text_.substr(pos_ + first.size(), 1) == ".") {
      return Error("'", first, "' at column ", Column(pos_),
                   " is a reserved word and cannot start a field path");
    }
    return Error("'", first, "' at column ", Column(pos_),
                 " is not supported: v1 filters only support comparisons "
                 "combined with AND");
  }
  pos_ += first.size();
  while (Peek() == '.') {
    ++pos_;
    const std::string_view segment = WordAt(pos_);
    if (segment.empty()) return Expected("a field name after '.'");
    pos_ += segment.size();
  }
  *out = std::string(text_.substr(start, pos_ - start));
  return absl::OkStatus();
}

absl::Status Parser::ParseOp(std::string_view field, CompareOp* out) {
  const std::size_t start = pos_;
  switch (Peek()) {
    case '=':
      if (Peek(1) == '=') {
        return Error("'==' at column ", Column(start), " is not an operator; use '='");
      }
      pos_ += 1;
      *out = CompareOp::kEq;
      return absl::OkStatus();
    case '!':
      if (Peek(1) != '=') {
        return Error("'!' at column ", Column(start),
                     " must be followed by '=' ('!=' means not equal)");
      }
      pos_ += 2;
      *out = CompareOp::kNe;
      return absl::OkStatus();
    case '<':
      if (Peek(1) == '>') {
        return Error("'<>' at column ", Column(start), " is not an operator; use '!='");
      }
      if (Peek(1) == '=') {
        pos_ += 2;
        *out = CompareOp::kLe;
      } else {
        pos_ += 1;
        *out = CompareOp::kLt;
      }
      return absl::OkStatus();
    case '>':
      if (Peek(1) == '=') {
        pos_ += 2;
        *out = CompareOp::kGe;
      } else {
        pos_ += 1;
        *out = CompareOp::kGt;
      }
      return absl::OkStatus();
    case '.':
      // A '.' right after a field name would have been part of the path, so
      // whitespace must have come before it.
      return Error("unexpected '.' at column ", Column(start),
                   "; a field path cannot contain whitespace");
    default:
      return Expected(absl::StrCat("a comparison operator after field '", Abbreviate(field), "'"));
  }
}

absl::Status Parser::ParseValue(CompareOp op, FilterValue* out) {
  const char c = Peek();
  if (!AtEnd() && c == '"') {
    std::string s;
    if (absl::Status status = ParseString(&s); !status.ok()) return status;
    out->v = std::move(s);
    return absl::OkStatus();
  }
  if (!AtEnd() && (c == '-' || IsDigit(c))) return ParseNumber(out);
  const std::string_view word = WordAt(pos_);
  if (word == "true" || word == "false") {
    out->v = word == "true";
    pos_ += word.size();
    return absl::OkStatus();
  }
  const std::string expected = absl::StrCat("a value after '", AV(CompareOpName(op)), "'");
  if (word.empty() || IsReservedWord(word)) return Expected(expected);
  const std::string_view hint =
      absl::EqualsIgnoreCase(AV(word), "true") || absl::EqualsIgnoreCase(AV(word), "false")
          ? "; booleans are written in lowercase: true or false"
          : "; string values must be enclosed in double quotes";
  return Error("expected ", expected, " at column ", Column(pos_), ", found '", Abbreviate(word),
               "'", hint);
}

absl::Status Parser::ParseHex4(std::size_t escape_pos, char32_t* out) {
  char32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (!IsHexDigit(Peek(i))) {
      return Error("the \\u escape at column ", Column(escape_pos),
                   " must be followed by exactly four hex digits");
    }
    value = value * 16 + static_cast<char32_t>(HexValue(Peek(i)));
  }
  pos_ += 4;
  *out = value;
  return absl::OkStatus();
}

absl::Status Parser::ParseString(std::string* out) {
  const std::size_t open = pos_;
  ++pos_;  // Opening quote.
  while (true) {
    if (AtEnd()) {
      return Error("unterminated string starting at column ", Column(open));
    }
    const char c = text_[pos_];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') {
      ++pos_;
      return absl::OkStatus();
    }
    if (c == '\\') {
      const std::size_t escape = pos_;
      ++pos_;
      if (AtEnd()) {
        return Error("unterminated string starting at column ", Column(open));
      }
      switch (const char e = text_[pos_]; e) {
        case '"':
        case '\\':
          out->push_back(e);
          ++pos_;
          continue;
        case 'n':
          out->push_back('\n');
          ++pos_;
          continue;
        case 't':
          out->push_back('\t');
          ++pos_;
          continue;
        case 'u':
          break;
        default: {
          const auto ue = static_cast<unsigned char>(e);
          const std::string shown = ue >= 0x20 && ue < 0x7F
                                        ? absl::StrCat(" '\\", std::string(1, e), "'")
                                        : std::string();
          return Error("invalid escape", shown, " at column ", Column(escape),
                       "; supported escapes are \\\", \\\\, \\n, \\t and "
                       "\\uXXXX");
        }
      }
      ++pos_;  // 'u'
      char32_t cp = 0;
      if (absl::Status s = ParseHex4(escape, &cp); !s.ok()) return s;
      if (cp >= 0xD800 && cp <= 0xDBFF && Peek() == '\\' && Peek(1) == 'u') {
        const std::size_t low_escape = pos_;
        pos_ += 2;
        char32_t low = 0;
        if (absl::Status s = ParseHex4(low_escape, &low); !s.ok()) return s;
        if (low >= 0xDC00 && low <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else {
          pos_ = low_escape;  // Report the unpaired high surrogate below.
        }
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) {
        return Error(absl::StrFormat("unpaired surrogate \\u%04X", static_cast<uint32_t>(cp)),
                     " at column ", Column(escape),
                     "; code points above U+FFFF are written as a surrogate "
                     "pair such as \\uD83D\\uDE00");
      }
      if (cp == 0) {
        return Error("\\u0000 at column ", Column(escape),
                     " is not allowed: strings cannot contain NUL");
      }
      AppendUtf8(cp, out);
      continue;
    }
    if (u < 0x20) {
      return Error(absl::StrFormat("control character U+%04X", u), " in string at column ",
                   Column(pos_), "; write it as an escape such as \\n, \\t or ",
                   absl::StrFormat("\\u%04X", u));
    }
    if (u < 0x80) {
      out->push_back(c);
      ++pos_;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = DecodeUtf8(text_, pos_, &cp);
    if (len == 0) {
      return Error("invalid UTF-8 in string at column ", Column(pos_),
                   absl::StrFormat(" (byte 0x%02X)", u));
    }
    out->append(text_.substr(pos_, len));
    pos_ += len;
  }
}

absl::Status Parser::ParseNumber(FilterValue* out) {
  const std::size_t start = pos_;
  if (Peek() == '-') {
    ++pos_;
    if (!IsDigit(Peek())) return Expected("a digit after '-'");
  }
  while (IsDigit(Peek())) ++pos_;
  bool is_float = false;
  if (Peek() == '.') {
    ++pos_;
    if (!IsDigit(Peek())) return Expected("a digit after '.' in a number");
    while (IsDigit(Peek())) ++pos_;
    is_float = true;
  }
  if (IsIdentChar(Peek())) {
    const bool exponent = Peek() == 'e' || Peek() == 'E';
    return Error("unexpected character '", std::string(1, Peek()), "' after the number at column ",
                 Column(pos_), exponent ? "; exponents are not supported" : "");
  }
  const std::string_view literal = text_.substr(start, pos_ - start);
  const char* const first = literal.data();
  const char* const last = literal.data() + literal.size();
  if (is_float) {
    double d = 0;
    const auto [ptr, ec] = std::from_chars(first, last, d);
    if (ec == std::errc::result_out_of_range) {
      return Error("number ", Abbreviate(literal), " at column ", Column(start),
                   " is out of range for a double");
    }
    if (ec != std::errc() || ptr != last) {
      return Error("invalid number ", Abbreviate(literal), " at column ", Column(start));
    }
    out->v = d;
    return absl::OkStatus();
  }
  int64_t i = 0;
  const auto [ptr, ec] = std::from_chars(first, last, i);
  if (ec == std::errc::result_out_of_range) {
    return Error("integer ", Abbreviate(literal), " at column ", Column(start),
                 " does not fit in a signed 64-bit integer");
  }
  if (ec != std::errc() || ptr != last) {
    return Error("invalid integer ", Abbreviate(literal), " at column ", Column(start));
  }
  out->v = i;
  return absl::OkStatus();
}

}  // namespace

std::string_view CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

std::string FilterValue::DebugString() const {
  struct Visitor {
    std::string operator()(const std::string& s) const {
      std::string out;
      AppendQuoted(s, &out);
      return out;
    }
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double d) const { return FormatDouble(d); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
  };
  return std::visit(Visitor{}, v);
}

std::string Filter::Canonical() const {
  std::string out;
  for (const Comparison& c : comparisons) {
    if (!out.empty()) out.append(" AND ");
    absl::StrAppend(&out, c.field, " ", AV(CompareOpName(c.op)), " ", c.value.DebugString());
  }
  return out;
}

absl::StatusOr<Filter> ParseFilter(std::string_view text) { return Parser(text).Parse(); }

}  // namespace rapport::query
