// File: core/records/record_query.h
//
// The record store's read job: one record by id or external ref, planned
// List and customer Search with tamper-evident page tokens, stage totals,
// duplicate candidates and record counts. Reads only; thread-safe.
#ifndef RAPPORT_CORE_RECORDS_RECORD_QUERY_H_
#define RAPPORT_CORE_RECORDS_RECORD_QUERY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/request_context.h"
#include "core/records/attribute_schemas.h"
#include "core/records/query_planner.h"
#include "core/records/record_store_state.h"

namespace rapport::records {

class RecordQuery {
 public:
  RecordQuery(RecordStoreState& state, AttributeSchemas& schemas) : s_(state), schemas_(schemas) {}

  // The methods of the same names of RecordStore (record_store.h).
  absl::StatusOr<RecordPtr> Get(const RequestContext& ctx, ResourceType type, std::string_view id);
  absl::StatusOr<RecordPtr> GetByExternalRef(const RequestContext& ctx, ResourceType type,
                                             std::string_view system, std::string_view external_id);
  absl::StatusOr<ListResult> List(const RequestContext& ctx, ResourceType type,
                                  const ListRequest& request);
  absl::StatusOr<ListResult> SearchCustomers(const RequestContext& ctx, std::string_view query,
                                             int32_t page_size, std::string_view page_token);
  absl::StatusOr<StageTotal> GetStageTotal(const RequestContext& ctx, std::string_view pipeline,
                                           std::string_view stage, std::string_view currency_code);
  absl::StatusOr<std::vector<DuplicateMatch>> FindDuplicates(
      const RequestContext& ctx, const google::protobuf::Message& customer,
      std::string_view exclude_id);
  // The tenant's number of records of `type`, from its counter.
  absl::StatusOr<int64_t> CountRecords(uint32_t tenant, ResourceType type) const;

 private:
  absl::StatusOr<ListResult> Scan(const RequestContext& ctx, const ResourceKind& kind,
                                  const ScanPlan& plan, int32_t page_size,
                                  std::string_view page_token, std::string_view fingerprint,
                                  const std::string* search_prefix);
  absl::StatusOr<ListResult> MergeOwnersScan(const RequestContext& ctx, const ResourceKind& kind,
                                             const ScanPlan& plan, bool descending,
                                             int32_t page_size, std::string_view page_token,
                                             std::string_view fingerprint);

  RecordStoreState& s_;
  AttributeSchemas& schemas_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_QUERY_H_
