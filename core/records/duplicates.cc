#include "core/records/duplicates.h"

#include <array>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "core/common/strings.h"
#include "core/validation/text.h"

namespace rapport::records {
namespace {

// Legal-form words in Korean and English, compared after SearchKey().
constexpr std::array<std::string_view, 22> kLegalForms = {
    "주식회사", "(주)",  "㈜",           "유한회사", "(유)", "합자회사", "재단법인", "사단법인",
    "inc",      "inc.",  "incorporated", "ltd",      "ltd.", "limited",  "co",       "co.",
    "corp",     "corp.", "corporation",  "llc",      "gmbh", "company"};

}  // namespace

std::string OrganizationMatchKey(std::string_view display_name) {
  std::string key = validation::SearchKey(display_name);
  // Legal forms glued to the name: "(주)한빛", "한빛(주)", "㈜한빛".
  for (std::string_view glued : {"(주)", "㈜", "(유)"}) {
    std::string spaced;
    size_t from = 0;
    for (size_t at = key.find(glued); at != std::string::npos; at = key.find(glued, from)) {
      spaced.append(key, from, at - from);
      spaced.push_back(' ');
      from = at + glued.size();
    }
    spaced.append(key, from, std::string::npos);
    key = std::move(spaced);
  }
  std::string out;
  for (absl::string_view word : absl::StrSplit(key, absl::ByAnyChar(" ,"), absl::SkipEmpty())) {
    std::string w(word);
    bool legal = false;
    for (std::string_view form : kLegalForms) legal = legal || w == form;
    if (legal) continue;
    for (char c : w) {
      // Drop ASCII punctuation; keep letters, digits and every non-ASCII byte.
      if (static_cast<unsigned char>(c) >= 0x80 || absl::ascii_isalnum(c)) out.push_back(c);
    }
  }
  return out;
}

}  // namespace rapport::records
