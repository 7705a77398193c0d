// File: core/common/logfmt.h
//
// rapportd logs one logfmt event per line on stderr:
//
//   ts=2026-12-05T08:00:00.000000Z level=error msg="plugin refused" file="/p/x.so" error="..."
//
// Keys are fixed identifiers in the format string; every value that is not
// a number or a fixed word goes through LogValue(), which quotes it and
// escapes backslash, double quote and control characters (\n, \r, \t,
// \xNN), so a message quoting JSON or spanning lines stays one parseable
// line:
//
//   spdlog::error("msg={} file={} error={}", LogValue("plugin refused"), LogValue(file),
//                 LogValue(error));
#ifndef RAPPORT_CORE_COMMON_LOGFMT_H_
#define RAPPORT_CORE_COMMON_LOGFMT_H_

#include <string>
#include <string_view>

namespace rapport {

// `value` as a quoted, escaped logfmt value.
inline std::string LogValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('"');
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_LOGFMT_H_
