// File: core/query/filter.h
// -----------------------------------------------------------------------------
//
// This header defines the `filter` language accepted by the List methods of
// Rapport resources (customers, interactions, opportunities), and
// `ParseFilter()`, which turns filter text into a `Filter`: a flat list of
// comparisons that are all required to hold.
//
// Example:
//
//   owner = "u1" AND stage = "negotiation" AND amount.units >= 1000
//
// Grammar (v1):
//
//   filter      := ""  |  conjunction
//   conjunction := comparison { "AND" comparison }
//   comparison  := field op value
//   field       := ident { "." ident }
//   ident       := [A-Za-z_][A-Za-z0-9_]*
//   op          := "=" | "!=" | "<" | "<=" | ">" | ">="
//   value       := string | integer | float | "true" | "false"
//   string      := '"' { char | escape } '"'
//   escape      := '\"' | '\\' | '\n' | '\t' | '\u' hex hex hex hex
//   integer     := [ "-" ] digit { digit }
//   float       := [ "-" ] digit { digit } "." digit { digit }
//
// Lexical rules and restrictions:
//
//   * Whitespace (space, tab, CR, LF) is free between tokens. A field path is
//     a single token: no whitespace around its dots. Whitespace is required
//     where two tokens would otherwise run together (`1 AND`, `AND x`).
//   * `AND` is a case-sensitive keyword; `and` is rejected with a hint.
//   * v1 has no `OR`, no `NOT` and no parentheses. `AND`, `OR` and `NOT` are
//     reserved: they cannot be the first segment of a field path, so adding
//     those operators later cannot change the meaning of a valid v1 filter.
//   * Only the six operators above exist; `==`, `<>` and the AIP-160 `:`
//     ("has") operator are rejected with a hint.
//   * Strings must be valid UTF-8 (Hangul and any other script are fine).
//     Raw control characters (U+0000..U+001F) are not allowed inside a string;
//     write them as escapes. `\uXXXX` takes exactly four hex digits; code
//     points above U+FFFF are written as a UTF-16 surrogate pair
//     (`\uD83D\uDE00`). Unpaired surrogates and `\u0000` are rejected.
//   * Integers must fit in int64. There is no exponent syntax for floats, and
//     a float that overflows or underflows a double is rejected.
//   * Booleans are the lowercase words `true` and `false`. Any other bare word
//     in value position is an error (string values must be quoted).
//   * At most `kMaxFilterBytes` bytes of text and at most
//     `kMaxFilterComparisons` comparisons.
//
// Errors are `absl::InvalidArgumentError`s whose message starts with
// "filter: " and names what is wrong and where, e.g.
//
//   filter: expected a value after '>=' at column 27
//
// Columns are 1-based and count Unicode code points, not bytes, from the
// start of the text (a newline is just whitespace, lines are not counted), so
// each Hangul syllable advances the column by one.
//
// This library only checks syntax. Whether a field exists, is filterable, or
// has a type compatible with the value is for the caller (per resource) to
// decide, using `Comparison::column` in its own error messages.

#ifndef RAPPORT_CORE_QUERY_FILTER_H_
#define RAPPORT_CORE_QUERY_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace rapport::query {

// The longest filter text, in bytes, that `ParseFilter()` accepts.
inline constexpr std::size_t kMaxFilterBytes = 4096;

// The most comparisons a filter may contain.
inline constexpr int kMaxFilterComparisons = 16;

// A comparison operator.
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

// Returns the filter spelling of `op`: "=", "!=", "<", "<=", ">" or ">=".
std::string_view CompareOpName(CompareOp op);

// A literal value on the right-hand side of a comparison. Strings hold the
// decoded text (escapes resolved), always valid UTF-8 when produced by
// `ParseFilter()`.
struct FilterValue {
  std::variant<std::string, int64_t, double, bool> v;

  // Returns the value as a filter literal in canonical form: strings quoted
  // with only `"`, `\` and control characters escaped (non-ASCII is kept
  // as-is); integers in plain decimal; floats as the shortest fixed-notation
  // text that round-trips, always with a "." (e.g. "1.5", "-0.0", "2.0");
  // booleans as "true"/"false". For any value `ParseFilter()` can produce the
  // result parses back to the same value. Non-finite doubles, which
  // `ParseFilter()` never produces, come out as "nan", "inf" or "-inf".
  std::string DebugString() const;

  // Values are equal when they hold the same alternative with equal contents
  // (doubles compare with `==`, so 0.0 == -0.0 and NaN != NaN).
  friend bool operator==(const FilterValue&, const FilterValue&) = default;
};

// One `field op value` comparison.
struct Comparison {
  std::string field;  // Dotted field path, e.g. "amount.units".
  CompareOp op = CompareOp::kEq;
  FilterValue value;
  int column = 0;  // 1-based column (in code points) where the field starts.
};

// A parsed filter: the conjunction of `comparisons`, in the order written.
// An empty list means "no filtering".
struct Filter {
  std::vector<Comparison> comparisons;

  // Returns a stable canonical text for this filter, used to bind page tokens
  // to the query that produced them. Comparisons keep their original order
  // and are written `field op value` joined by " AND ", with single spaces
  // and values in `FilterValue::DebugString()` form, so filters that differ
  // only in whitespace, escape spelling, leading zeros or trailing fraction
  // zeros have equal canonical text. The empty filter yields "".
  // `ParseFilter(f.Canonical())` reproduces `f`'s fields, operators and values
  // for every filter `ParseFilter()` produced, except that the canonical text
  // can be a few bytes longer than the input (spaces around operators) and so
  // may exceed `kMaxFilterBytes` when the input was within a few bytes of it.
  std::string Canonical() const;
};

// Parses `text` according to the grammar at the top of this file. Empty or
// all-whitespace text yields an empty `Filter`. On malformed input returns
// `absl::InvalidArgumentError` naming the problem and its column. Never
// throws; runs in time linear in `text.size()`.
absl::StatusOr<Filter> ParseFilter(std::string_view text);

}  // namespace rapport::query

#endif  // RAPPORT_CORE_QUERY_FILTER_H_
