// File: bench/suite/requests.h
//
// The rapport.v1 requests of each operation, built one way for the Rapport
// client and the B0 and B3 baselines (which send their bytes), so that they
// carry exactly the messages rapportd gets.
#ifndef RAPPORT_BENCH_SUITE_REQUESTS_H_
#define RAPPORT_BENCH_SUITE_REQUESTS_H_

#include <string>

#include "absl/status/status.h"
#include "bench/suite/bench.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::bench::requests {

inline constexpr const char* kPipelineFilter =
    R"(pipeline = "default" AND stage = "proposal" AND amount.currency_code = "KRW")";
inline constexpr const char* kPipelineOrder = "amount.units desc";
inline constexpr const char* kOpenFilter = R"(status = "open")";

inline v1::CreateCustomerRequest CreateCustomer(const Op& op) {
  v1::CreateCustomerRequest r;
  *r.mutable_customer() = *op.fresh_customer;
  return r;
}

inline v1::UpdateCustomerRequest UpdateCustomer(const Op& op, const std::string& id) {
  v1::UpdateCustomerRequest r;
  r.mutable_customer()->set_id(id);
  r.mutable_customer()->set_lifecycle_stage(op.lifecycle);
  r.mutable_update_mask()->add_paths("lifecycle_stage");
  return r;
}

inline v1::GetCustomerRequest GetCustomer(const std::string& id) {
  v1::GetCustomerRequest r;
  r.set_id(id);
  return r;
}

inline v1::CreateInteractionRequest LogInteraction(const Op& op, const std::string& customer_id) {
  v1::CreateInteractionRequest r;
  *r.mutable_interaction() = *op.fresh_interaction;
  r.mutable_interaction()->set_customer_id(customer_id);
  return r;
}

inline v1::GetOpportunityRequest GetOpportunity(const std::string& id) {
  v1::GetOpportunityRequest r;
  r.set_id(id);
  return r;
}

inline v1::UpdateOpportunityRequest MoveStage(const std::string& id, const std::string& stage,
                                              int64_t revision) {
  v1::UpdateOpportunityRequest r;
  r.mutable_opportunity()->set_id(id);
  r.mutable_opportunity()->set_stage(stage);
  r.mutable_update_mask()->add_paths("stage");
  r.set_expected_revision(revision);
  return r;
}

inline v1::ListOpportunitiesRequest ListPipeline() {
  v1::ListOpportunitiesRequest r;
  r.set_filter(kPipelineFilter);
  r.set_order_by(kPipelineOrder);
  r.set_page_size(kPipelinePageSize);
  return r;
}

// The CRM day's pipeline aggregate: the stage of kPipelineFilter.
inline v1::GetStageTotalRequest StageTotal() {
  v1::GetStageTotalRequest r;
  r.set_pipeline("default");
  r.set_stage("proposal");
  r.set_currency_code("KRW");
  return r;
}

inline v1::SearchCustomersRequest Search(const Op& op) {
  v1::SearchCustomersRequest r;
  r.set_query(op.query);
  r.set_page_size(kSearchPageSize);
  return r;
}

inline v1::ListCustomerInteractionsRequest Timeline(const std::string& customer_id) {
  v1::ListCustomerInteractionsRequest r;
  r.set_customer_id(customer_id);
  r.set_page_size(kTimelinePageSize);
  return r;
}

inline v1::ListCustomerOpportunitiesRequest OpenOpportunities(const std::string& customer_id) {
  v1::ListCustomerOpportunitiesRequest r;
  r.set_customer_id(customer_id);
  r.set_filter(kOpenFilter);
  return r;
}

// A customer 360's three calls, in order, through `send(request, step)`
// (for the clients that send every request the same way: B0, B3); the
// first failure ends it.
template <typename Send>
absl::Status Customer360(const std::string& customer_id, Send send) {
  absl::Status s = send(GetCustomer(customer_id), 0);
  if (s.ok()) s = send(Timeline(customer_id), 1);
  if (s.ok()) s = send(OpenOpportunities(customer_id), 2);
  return s;
}

inline v1::BatchUpsertCustomersRequest Import(const Op& op) {
  v1::BatchUpsertCustomersRequest r;
  r.mutable_customers()->Reserve(static_cast<int>(op.batch->size()));
  for (const auto& c : *op.batch) *r.add_customers() = c;
  return r;
}

}  // namespace rapport::bench::requests

#endif  // RAPPORT_BENCH_SUITE_REQUESTS_H_
