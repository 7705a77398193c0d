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

#include "rapport/sdk/call.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

using rapport::sdk::Status;

// NFKC_Casefold of UTF-8 `text`; false when `text` is not valid UTF-8.
bool FoldText(const std::string& text, std::string* folded);

// Checks a rule (field names under `field`): a name, keywords or a regex
// that compiles, a category of the taxonomy.
Status CheckCategoryRule(const std::string& field, const v1::CategoryRule& rule,
                         const v1::Settings& settings);

// Whether `rule` matches `folded` text (FoldText's output) on `channel`.
bool RuleMatches(const v1::CategoryRule& rule, const std::string& folded,
                 const std::string& channel);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_TEXT_MATCH_H_
