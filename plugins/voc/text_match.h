// File: plugins/voc/text_match.h
//
// Matching a customer's words against the tenant's category rules: text is
// compared after Unicode NFKC case folding (ICU's NFKC_Casefold: NFC, then
// compatibility forms and case folded, so "ＡＢＣ", "abc" and "ABC" match and
// Hangul stays whole syllables), keywords as substrings, regular expressions
// with RE2 (linear time, so a tenant's pattern cannot stall the server).
#ifndef RAPPORT_PLUGINS_VOC_TEXT_MATCH_H_
#define RAPPORT_PLUGINS_VOC_TEXT_MATCH_H_

#include <string>

#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

// NFKC_Casefold of UTF-8 `text`; false when `text` is not valid UTF-8.
bool FoldText(const std::string& text, std::string* folded);

// Whether `regex` is an RE2 expression the rules accept; why not in
// `*error`.
bool RegexCompiles(const std::string& regex, std::string* error);

// Whether `rule` matches `folded` text (FoldText's output) on `channel`.
bool RuleMatches(const v1::CategoryRule& rule, const std::string& folded,
                 const std::string& channel);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_TEXT_MATCH_H_
