// File: core/query/lexer.h
//
// The character classes, positions and descriptions the filter
// (filter.cc) and order_by (order_by.cc) parsers share, so both read and
// report their text the same way: identifiers are [A-Za-z_][A-Za-z0-9_]*,
// whitespace is space, tab, CR and LF, columns count code points from 1.
#ifndef RAPPORT_CORE_QUERY_LEXER_H_
#define RAPPORT_CORE_QUERY_LEXER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace rapport::query::lexer {

// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so std::string_view must be bridged explicitly.
inline absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

// Passes `value` through to absl::StrCat unchanged, bridging string_views.
template <typename T>
const T& CatArg(const T& value) {
  return value;
}
inline absl::string_view CatArg(std::string_view s) { return AV(s); }

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// REQUIRES: IsHexDigit(c).
inline int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
inline bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The identifier starting at text[pos], or "" if none.
std::string_view WordAt(std::string_view text, std::size_t pos);

// The 1-based code-point column of byte offset `pos`.
int Column(std::string_view text, std::size_t pos);

// `text`, cut to 32 bytes with "..." when longer (user text quoted in error
// messages).
std::string Abbreviate(std::string_view text);

// Decodes one strict UTF-8 sequence (no overlongs, no surrogates, nothing
// above U+10FFFF) starting at `text[pos]`. Returns its length in bytes and
// stores the code point in `*cp`, or returns 0 if the bytes are not valid.
std::size_t DecodeUtf8(std::string_view text, std::size_t pos, char32_t* cp);

// Appends the UTF-8 encoding of the Unicode scalar value `cp` to `out`.
void AppendUtf8(char32_t cp, std::string* out);

// Describes the character or word at text[pos] (pos < text.size()) for a
// "found ..." clause: "whitespace", "'word'", "'c'", "control character
// U+XXXX"; a non-ASCII character is decoded ("'é' (U+00E9)", or "invalid
// UTF-8 byte 0xXX") with decode_utf8, else "a non-ASCII character".
std::string DescribeAt(std::string_view text, std::size_t pos, bool decode_utf8);

}  // namespace rapport::query::lexer

#endif  // RAPPORT_CORE_QUERY_LEXER_H_
