#include "core/query/lexer.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rapport::query::lexer {

std::string_view WordAt(std::string_view text, std::size_t pos) {
  if (pos >= text.size() || !IsIdentStart(text[pos])) return {};
  std::size_t end = pos + 1;
  while (end < text.size() && IsIdentChar(text[end])) ++end;
  return text.substr(pos, end - pos);
}

int Column(std::string_view text, std::size_t pos) {
  int column = 1;
  for (std::size_t i = 0; i < pos && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0u) != 0x80u) ++column;
  }
  return column;
}

std::string Abbreviate(std::string_view text) {
  constexpr std::size_t kMaxShown = 32;
  if (text.size() <= kMaxShown) return std::string(text);
  return absl::StrCat(AV(text.substr(0, kMaxShown - 3)), "...");
}

std::size_t DecodeUtf8(std::string_view text, std::size_t pos, char32_t* cp) {
  auto byte = [&](std::size_t i) -> unsigned {
    return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0u;
  };
  auto is_cont = [](unsigned b) { return (b & 0xC0u) == 0x80u; };
  const unsigned b0 = byte(0);
  if (pos >= text.size()) return 0;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!is_cont(byte(1))) return 0;
    *cp = ((b0 & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned b1 = byte(1);
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;  // Overlong.
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;  // Surrogates.
    if (b1 < lo || b1 > hi || !is_cont(byte(2))) return 0;
    *cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned b1 = byte(1);
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;  // Overlong.
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;  // Above U+10FFFF.
    if (b1 < lo || b1 > hi || !is_cont(byte(2)) || !is_cont(byte(3))) {
      return 0;
    }
    *cp =
        ((b0 & 0x07u) << 18) | ((b1 & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) | (byte(3) & 0x3Fu);
    return 4;
  }
  return 0;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string DescribeAt(std::string_view text, std::size_t pos, bool decode_utf8) {
  const char c = text[pos];
  const auto u = static_cast<unsigned char>(c);
  if (IsSpace(c)) return "whitespace";
  if (IsIdentStart(c)) return absl::StrCat("'", Abbreviate(WordAt(text, pos)), "'");
  if (u >= 0x20 && u < 0x7F) return absl::StrCat("'", std::string(1, c), "'");
  if (u < 0x80) return absl::StrFormat("control character U+%04X", u);
  if (!decode_utf8) return "a non-ASCII character";
  char32_t cp = 0;
  const std::size_t len = DecodeUtf8(text, pos, &cp);
  if (len == 0) return absl::StrFormat("invalid UTF-8 byte 0x%02X", u);
  return absl::StrFormat("'%s' (U+%04X)", AV(text.substr(pos, len)), static_cast<uint32_t>(cp));
}

}  // namespace rapport::query::lexer
