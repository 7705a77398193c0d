// File: core/records/duplicates.h
//
// Match keys for duplicate detection: the same normalised email, the same
// E.164 phone, or the same organisation name once legal-form words are
// removed ("(주)한빛소프트" = "주식회사 한빛소프트" = "Hanbit Soft Co., Ltd."
// only where the names agree after normalisation; no fuzzy matching).
#ifndef RAPPORT_CORE_RECORDS_DUPLICATES_H_
#define RAPPORT_CORE_RECORDS_DUPLICATES_H_

#include <string>
#include <string_view>

namespace rapport::records {

// Case-folded, NFC, without spaces, punctuation and legal-form words such as
// 주식회사, (주), ㈜, 유한회사, inc, ltd, co, corp, llc, gmbh. Empty if nothing
// is left.
std::string OrganizationMatchKey(std::string_view display_name);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_DUPLICATES_H_
