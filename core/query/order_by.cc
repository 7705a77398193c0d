#include "core/query/order_by.h"

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/query/lexer.h"

namespace rapport::query {
namespace {

using lexer::AV;
using lexer::CatArg;
using lexer::DescribeAt;
using lexer::IsSpace;
using lexer::WordAt;

template <typename... Args>
absl::Status Error(const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat("order_by: ", CatArg(args)...));
}

// Cursor over the order_by text with error helpers.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  std::size_t pos() const { return pos_; }
  void Advance(std::size_t n) { pos_ += n; }

  void SkipWhitespace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }

  // Returns the identifier starting at the current position, or "".
  std::string_view Word() const { return WordAt(text_, pos_); }

  // Returns the 1-based code-point column of the current position.
  int Column() const { return lexer::Column(text_, pos_); }

  // "expected <what> at column N[, found <thing>]" for the current position.
  absl::Status Expected(std::string_view what) const {
    if (AtEnd()) return Error("expected ", what, " at column ", Column());
    return Error("expected ", what, " at column ", Column(), ", found ", Describe());
  }

  // Error for a ',' at the current position.
  absl::Status SecondField() const {
    return Error("only one field is supported, found ',' at column ", Column());
  }

 private:
  // Describes the character or word at the current position.
  std::string Describe() const { return DescribeAt(text_, pos_, /*decode_utf8=*/false); }

  const std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string OrderBy::Canonical() const {
  if (field.empty()) return "";
  return descending ? absl::StrCat(field, " desc") : field;
}

absl::StatusOr<OrderBy> ParseOrderBy(std::string_view text) {
  if (text.size() > kMaxOrderByBytes) {
    return Error("too long: ", text.size(), " bytes exceeds the limit of ", kMaxOrderByBytes,
                 " bytes");
  }
  Scanner scanner(text);
  OrderBy order_by;
  scanner.SkipWhitespace();
  if (scanner.AtEnd()) return order_by;

  // Field path.
  if (scanner.Peek() == '-') {
    return Error("'-' at column ", scanner.Column(),
                 " is not supported; write 'field desc' for descending order");
  }
  const std::size_t field_start = scanner.pos();
  std::string_view segment = scanner.Word();
  if (segment.empty()) return scanner.Expected("a field name");
  scanner.Advance(segment.size());
  while (scanner.Peek() == '.') {
    scanner.Advance(1);
    segment = scanner.Word();
    if (segment.empty()) return scanner.Expected("a field name after '.'");
    scanner.Advance(segment.size());
  }
  order_by.field = std::string(text.substr(field_start, scanner.pos() - field_start));

  // Optional direction.
  scanner.SkipWhitespace();
  if (scanner.AtEnd()) return order_by;
  if (scanner.Peek() == ',') return scanner.SecondField();
  const std::string_view word = scanner.Word();
  if (word == "asc" || word == "desc") {
    order_by.descending = word == "desc";
    scanner.Advance(word.size());
  } else if (absl::EqualsIgnoreCase(AV(word), "asc") || absl::EqualsIgnoreCase(AV(word), "desc")) {
    return Error("direction '", word, "' at column ", scanner.Column(),
                 " must be lowercase: ", absl::EqualsIgnoreCase(AV(word), "asc") ? "asc" : "desc");
  } else {
    return scanner.Expected("'asc', 'desc' or the end of order_by");
  }

  // Nothing may follow the direction.
  scanner.SkipWhitespace();
  if (scanner.AtEnd()) return order_by;
  if (scanner.Peek() == ',') return scanner.SecondField();
  return scanner.Expected(absl::StrCat("the end of order_by after '", AV(word), "'"));
}

}  // namespace rapport::query
