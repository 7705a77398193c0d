// File: core/validation/text.h
// -----------------------------------------------------------------------------
//
// Free text that people type into a CRM (contact and company names, deal
// titles) and the keys we index it under, built on ICU.
//
// Two problems motivate this file:
//   * The same visible text can arrive as different code points. Hangul typed
//     on macOS (and copied out of many macOS apps and file names) arrives in
//     Unicode normalization form NFD, as conjoining jamo: "한" is U+1112 U+1161
//     U+11AB instead of the single syllable U+D55C that Windows, Android and
//     the web send. Without normalization those never compare equal.
//   * Search must be case-insensitive ("KIM" finds "Kim") in every script,
//     not just ASCII, and must not depend on the width a keyboard produced:
//     Korean input methods type full-width Latin letters and digits
//     ("ＡＢＣ", "０１２"), Japanese text has half-width katakana ("ｶﾀｶﾅ").
//
// NormalizeDisplayText() is applied once, on write, to what we store and show;
// it only composes (NFC), so a name keeps the letters it was typed with.
// SearchKey() and SearchKeysForName() derive index keys from stored text with
// compatibility folding (NFKC_Casefold); queries go through SearchKey() as
// well, so both sides of a comparison are normalized the same way. Keys are
// derived when a record is written and stored in the index: changing how they
// are derived leaves the keys of records written before unchanged until those
// records are rewritten (see docs/api.md, SearchCustomers).
//
// Error messages never name the field being validated; the caller prefixes the
// field path. All functions are thread-safe (ICU's normalizer singletons are
// immutable once created).
//
// Example:
//
//   absl::StatusOr<std::string> name =
//       rapport::validation::NormalizeDisplayText("  Acme \t Korea  ", 100);
//   // *name == "Acme Korea"
//   std::vector<std::string> keys =
//       rapport::validation::SearchKeysForName(*name);
//   // keys == {"acme korea", "korea"}

#ifndef RAPPORT_CORE_VALIDATION_TEXT_H_
#define RAPPORT_CORE_VALIDATION_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rapport::validation {

// Returns `raw` normalized for storage and display: converted to Unicode
// normalization form NFC, with Unicode whitespace (White_Space property: tabs,
// newlines, NBSP, the ideographic space U+3000, ...) trimmed from both ends and
// every internal run of it replaced by one ASCII space. Returns
// INVALID_ARGUMENT if `raw` is not valid UTF-8, contains any other control
// character (general category Cc, e.g. NUL, BEL, ESC, DEL), is empty after
// trimming ("must not be empty"), or has more than `max_chars` Unicode code
// points after normalization ("is longer than 100 characters").
absl::StatusOr<std::string> NormalizeDisplayText(std::string_view raw, size_t max_chars);

// Returns the search-index key of `text`: its NFKC_Casefold form (ICU's
// Normalizer2::getNFKCCasefoldInstance(): compatibility decomposition, full
// Unicode case folding, removal of default-ignorable code points such as the
// soft hyphen and zero-width space, then composition, so the key is NFKC and
// therefore NFC), with whitespace trimmed and collapsed exactly as in
// NormalizeDisplayText(). "KIM  Min-su" and "kim min-su" have the same key, as
// do NFD and NFC Hangul, full-width "ＡＢＣ ０１２" and "abc 012", half-width
// "ｶﾀｶﾅ" and "カタカナ", "ﬁ" and "fi", "①" and "1", "㈜" and "(주)". Hangul
// syllables, which have no case, are unchanged; Hangul compatibility jamo
// (U+3131..U+318E, e.g. a lone "ㄱ") become conjoining jamo. `text` should be
// valid UTF-8; ill-formed sequences are replaced by U+FFFD rather than
// rejected. Keys are for equality and prefix matching only, not for display.
std::string SearchKey(std::string_view text);

// Returns the keys under which a contact or company named `display_name` is
// indexed, so that a prefix search finds it by any word: SearchKey() of the
// whole name, then SearchKey() of each suffix that starts at a word (i.e.
// after a space), longest first, without duplicates:
//   "김 민수"         -> {"김 민수", "민수"}
//   "Acme Korea Ltd" -> {"acme korea ltd", "korea ltd", "ltd"}
// Words are separated by whitespace only; punctuation such as '-' or "(주)"
// does not start a new word. Returns an empty vector if the name has no
// non-whitespace characters.
std::vector<std::string> SearchKeysForName(std::string_view display_name);

}  // namespace rapport::validation

#endif  // RAPPORT_CORE_VALIDATION_TEXT_H_
