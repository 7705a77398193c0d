// File: plugins/voc/text_match.cc
#include "text_match.h"

#include <memory>

#include "re2/re2.h"
#include "unicode/normalizer2.h"
#include "unicode/unistr.h"

namespace rapport::voc {
namespace {

bool ValidUtf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

RE2::Options RuleOptions() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_log_errors(false);
  options.set_max_mem(1 << 20);
  return options;
}

}  // namespace

bool FoldText(const std::string& text, std::string* folded) {
  folded->clear();
  if (!ValidUtf8(text)) return false;
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(error);
  if (U_FAILURE(error)) return false;
  icu::UnicodeString result = fold->normalize(icu::UnicodeString::fromUTF8(text), error);
  if (U_FAILURE(error)) return false;
  result.toUTF8String(*folded);
  return true;
}

bool RegexCompiles(const std::string& regex, std::string* error) {
  RE2 re(regex, RuleOptions());
  if (!re.ok()) *error = re.error();
  return re.ok();
}

bool RuleMatches(const v1::CategoryRule& rule, const std::string& folded,
                 const std::string& channel) {
  if (!rule.channels().empty()) {
    bool found = false;
    for (const std::string& c : rule.channels()) found = found || c == channel;
    if (!found) return false;
  }
  if (!rule.keywords_any().empty()) {
    bool found = false;
    for (const std::string& keyword : rule.keywords_any()) {
      std::string k;
      if (FoldText(keyword, &k) && !k.empty() && folded.find(k) != std::string::npos) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  if (!rule.regex().empty()) {
    RE2 re(rule.regex(), RuleOptions());
    if (!re.ok() || !RE2::PartialMatch(folded, re)) return false;
  }
  return true;
}

}  // namespace rapport::voc
