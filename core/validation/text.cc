#include <algorithm>
// File: core/validation/text.cc
// -----------------------------------------------------------------------------
//
// Implementation of text.h with ICU's C++ API (icu::UnicodeString,
// icu::Normalizer2). ICU reports errors through UErrorCode and does not throw;
// the ICU work is still wrapped in try/catch so that nothing (e.g.
// std::bad_alloc from std::string) escapes into a request handler.

#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>
#include <unicode/utypes.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/validation/text.h"

namespace rapport::validation {
namespace {

constexpr size_t kMaxIcuLength = static_cast<size_t>(std::numeric_limits<int32_t>::max());

// Converts UTF-8 to UTF-16, replacing ill-formed sequences with U+FFFD. Input
// beyond what ICU can index (2 GiB) is dropped.
icu::UnicodeString FromUtf8(std::string_view utf8) {
  const size_t size = utf8.size() < kMaxIcuLength ? utf8.size() : kMaxIcuLength;
  return icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(size)));
}

std::string ToUtf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

// Returns the byte offset of the first ill-formed UTF-8 sequence in `s`, or
// -1 if `s` is well-formed. Surrogate code points (CESU-8) and overlong forms
// count as ill-formed. `s` must be shorter than kMaxIcuLength.
int64_t FirstInvalidUtf8Offset(std::string_view s) {
  const int32_t length = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < length) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s.data(), i, length, c);
    if (c < 0) return start;
  }
  return -1;
}

// Returns `s` with Unicode White_Space trimmed from both ends and each
// internal run of it replaced by one U+0020. If `first_control` is not null,
// stops at the first non-whitespace control character (general category Cc),
// stores it there and returns an empty string; otherwise control characters
// are kept.
icu::UnicodeString CollapseWhitespace(const icu::UnicodeString& s, UChar32* first_control) {
  icu::UnicodeString out;
  bool pending_space = false;
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    i += U16_LENGTH(c);
    if (u_isUWhiteSpace(c)) {
      pending_space = true;
      continue;
    }
    if (first_control != nullptr && u_charType(c) == U_CONTROL_CHAR) {
      *first_control = c;
      return icu::UnicodeString();
    }
    if (pending_space && !out.isEmpty()) out.append(static_cast<UChar32>(' '));
    pending_space = false;
    out.append(c);
  }
  return out;
}

absl::StatusOr<std::string> NormalizeDisplayTextUnguarded(std::string_view raw, size_t max_chars) {
  if (raw.size() >= kMaxIcuLength) {
    return absl::InvalidArgumentError(absl::StrCat("is longer than ", max_chars, " characters"));
  }
  if (const int64_t bad = FirstInvalidUtf8Offset(raw); bad >= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("is not valid UTF-8 (ill-formed byte 0x%02X at byte offset %d)",
                        static_cast<unsigned char>(raw[static_cast<size_t>(bad)]), bad));
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) {
    return absl::InternalError(
        absl::StrCat("ICU NFC normalizer unavailable: ", u_errorName(status)));
  }
  const icu::UnicodeString normalized = nfc->normalize(FromUtf8(raw), status);
  if (U_FAILURE(status)) {
    return absl::InternalError(absl::StrCat("ICU NFC normalization failed: ", u_errorName(status)));
  }
  UChar32 control = -1;
  const icu::UnicodeString collapsed = CollapseWhitespace(normalized, &control);
  if (control >= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("contains the control character U+%04X; remove it", control));
  }
  if (collapsed.isEmpty()) {
    return absl::InvalidArgumentError("must not be empty");
  }
  const int32_t chars = collapsed.countChar32();
  if (static_cast<size_t>(chars) > max_chars) {
    return absl::InvalidArgumentError(
        absl::StrCat("is longer than ", max_chars, " characters (it has ", chars, ")"));
  }
  return ToUtf8(collapsed);
}

std::string SearchKeyUnguarded(std::string_view text) {
  icu::UnicodeString s = FromUtf8(text);
  UErrorCode status = U_ZERO_ERROR;
  // NFKC_Casefold (the Unicode property made for compatibility caseless
  // matching, Unicode 15 section 3.13) in one step: maps compatibility forms
  // to their plain letters (full-width ＡＢＣ and ０１２ to ASCII, half-width
  // ｶﾀｶﾅ to カタカナ, ligatures, circled digits), folds case, removes
  // default-ignorable code points (soft hyphen, zero-width space) and leaves
  // the result in NFKC, which is also NFC: NFD Hangul gets the NFC key.
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_SUCCESS(status)) {
    icu::UnicodeString folded = nfkc_cf->normalize(s, status);
    if (U_SUCCESS(status)) s = folded;
  }
  if (U_FAILURE(status)) {
    // ICU data is missing: still fold case so that search mostly works.
    s.foldCase(U_FOLD_CASE_DEFAULT);
  }
  return ToUtf8(CollapseWhitespace(s, /*first_control=*/nullptr));
}

}  // namespace

absl::StatusOr<std::string> NormalizeDisplayText(std::string_view raw, size_t max_chars) {
  try {
    return NormalizeDisplayTextUnguarded(raw, max_chars);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("text normalization failed: ", e.what()));
  } catch (...) {
    return absl::InternalError("text normalization failed");
  }
}

std::string SearchKey(std::string_view text) {
  try {
    return SearchKeyUnguarded(text);
  } catch (...) {
    return "";
  }
}

std::vector<std::string> SearchKeysForName(std::string_view display_name) {
  std::vector<std::string> keys;
  try {
    const std::string full = SearchKey(display_name);
    if (full.empty()) return keys;
    keys.push_back(full);
    // SearchKey() trims and collapses whitespace to single U+0020, so every
    // space is followed by the first byte of a word. U+0020 never occurs
    // inside a multi-byte UTF-8 sequence, so a byte search is safe. Suffixes
    // get strictly shorter, so there are no duplicates to remove.
    for (size_t pos = full.find(' '); pos != std::string::npos; pos = full.find(' ', pos + 1)) {
      keys.push_back(full.substr(pos + 1));
    }
    // Korean names are written without spaces ("김민수", "한빛소프트"), and
    // people search by the given name or a part of a company name. So inside
    // a run of Hangul syllables every syllable also starts a key ("민수",
    // "수"), making Hangul search an infix search. Capped so that a long
    // name cannot flood the index.
    constexpr size_t kMaxKeys = 32;
    auto hangul_at = [&](size_t i) {
      if (i + 3 > full.size()) return false;
      auto b0 = static_cast<unsigned char>(full[i]);
      auto b1 = static_cast<unsigned char>(full[i + 1]);
      auto b2 = static_cast<unsigned char>(full[i + 2]);
      if ((b0 & 0xF0) != 0xE0) return false;
      uint32_t cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
      return cp >= 0xAC00 && cp <= 0xD7A3;
    };
    std::vector<std::string> infixes;
    for (size_t i = 0; i + 3 <= full.size();) {
      auto b0 = static_cast<unsigned char>(full[i]);
      size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : 4;
      if (hangul_at(i) && i + 3 < full.size() && hangul_at(i + 3)) {
        infixes.push_back(full.substr(i + 3));
      }
      i += len;
    }
    for (auto& key : infixes) {
      if (keys.size() >= kMaxKeys) break;
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
    }
  } catch (...) {
    keys.clear();
  }
  return keys;
}

}  // namespace rapport::validation
