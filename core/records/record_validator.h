// File: core/records/record_validator.h
//
// Checks and normalises a record before it is written: every field the core
// owns (names, emails, phones, money, enums, dates, tags, external refs,
// custom attributes against the tenant's schema). References to other records
// (customer_id, organization_id, opportunity_id) are checked by the record
// store under its write lock, where they cannot change underneath.
#ifndef RAPPORT_CORE_RECORDS_RECORD_VALIDATOR_H_
#define RAPPORT_CORE_RECORDS_RECORD_VALIDATOR_H_

#include <string>

#include "absl/status/status.h"
#include "core/records/resource_kind.h"
#include "google/protobuf/message.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::records {

struct ValidationOptions {
  // ISO 3166 region used to read national phone numbers ("010-1234-5678").
  std::string default_region = "KR";
};

// Normalises `record` in place (NFC text, lower-case emails, E.164 phones,
// de-duplicated tags, defaulted enums) and returns INVALID_ARGUMENT listing
// every offending field if anything is wrong. Output-only fields (id, times,
// revision) are not checked; the caller sets them. Thread-safe.
absl::Status ValidateRecord(const ResourceKind& kind, google::protobuf::Message* record,
                            const v1::AttributeSchema& schema, const ValidationOptions& options);

// Checks an attribute schema a tenant wants to store. Thread-safe.
absl::Status ValidateAttributeSchema(const v1::AttributeSchema& schema);

// True if `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_VALIDATOR_H_
