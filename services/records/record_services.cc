#include "services/records/record_services.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/ids/ulid.h"

namespace rapport::services {
namespace {

using grpc::ServerContext;
using grpc::Status;
using records::ResourceType;

// A customer's sub-list: the customer must exist. The filter starts with the
// validated, canonical customer ID; the caller's extra filter is appended as
// a further conjunction (safe while the grammar has no OR: revisit with it).
absl::StatusOr<records::ListRequest> CustomerSubList(const ServiceDeps& deps, const Caller& caller,
                                                     const std::string& customer_id,
                                                     int32_t page_size,
                                                     const std::string& page_token,
                                                     const std::string& extra_filter,
                                                     const std::string& order_by) {
  if (customer_id.empty()) return InvalidField("customer_id", "is required");
  if (!ids::UlidFromString(customer_id).ok()) {
    return InvalidField("customer_id",
                        absl::StrCat("'", customer_id.substr(0, 40), "' is not an ID"));
  }
  auto customer = deps.store->Get(caller.ctx, ResourceType::kCustomer, customer_id);
  if (!customer.ok()) return customer.status();
  records::ListRequest request;
  request.filter =
      absl::StrCat("customer_id = \"", static_cast<const v1::Customer&>(**customer).id(), "\"");
  if (!extra_filter.empty()) absl::StrAppend(&request.filter, " AND ", extra_filter);
  request.order_by = order_by;
  request.page_size = page_size;
  request.page_token = page_token;
  return request;
}

}  // namespace

// --- customers ---
Status CustomerServiceImpl::CreateCustomer(ServerContext* c, const v1::CreateCustomerRequest* r,
                                           v1::Customer* out) {
  return h_.Create(c, __func__, r->customer(), r->request_id(), out, r->duplicate_policy());
}
Status CustomerServiceImpl::GetCustomer(ServerContext* c, const v1::GetCustomerRequest* r,
                                        v1::Customer* out) {
  return h_.Get(c, __func__, r->id(), out);
}
Status CustomerServiceImpl::UpdateCustomer(ServerContext* c, const v1::UpdateCustomerRequest* r,
                                           v1::Customer* out) {
  return h_.Update(c, __func__, r->customer(), r->update_mask(), r->expected_revision(), out);
}
Status CustomerServiceImpl::DeleteCustomer(ServerContext* c, const v1::DeleteCustomerRequest* r,
                                           google::protobuf::Empty*) {
  return h_.Delete(c, __func__, r->id(), r->expected_revision(), r->force());
}
Status CustomerServiceImpl::ListCustomers(ServerContext* c, const v1::ListCustomersRequest* r,
                                          v1::ListCustomersResponse* out) {
  return h_.List(c, __func__, ToListRequest(*r), out->mutable_customers(),
                 out->mutable_next_page_token());
}
Status CustomerServiceImpl::SearchCustomers(ServerContext* c, const v1::SearchCustomersRequest* r,
                                            v1::SearchCustomersResponse* out) {
  return h_.Search(c, __func__, r->query(), r->page_size(), r->page_token(),
                   out->mutable_customers(), out->mutable_next_page_token());
}
Status CustomerServiceImpl::GetCustomerByExternalRef(ServerContext* c,
                                                     const v1::GetCustomerByExternalRefRequest* r,
                                                     v1::Customer* out) {
  return h_.GetByExternalRef(c, __func__, r->system(), r->external_id(), out);
}
Status CustomerServiceImpl::BatchUpsertCustomers(ServerContext* c,
                                                 const v1::BatchUpsertCustomersRequest* r,
                                                 v1::BatchUpsertCustomersResponse* out) {
  return h_.BatchUpsert(c, __func__, r->customers(), out->mutable_customers(),
                        out->mutable_results());
}

// --- interactions ---
Status InteractionServiceImpl::CreateInteraction(ServerContext* c,
                                                 const v1::CreateInteractionRequest* r,
                                                 v1::Interaction* out) {
  return h_.Create(c, __func__, r->interaction(), r->request_id(), out);
}
Status InteractionServiceImpl::GetInteraction(ServerContext* c, const v1::GetInteractionRequest* r,
                                              v1::Interaction* out) {
  return h_.Get(c, __func__, r->id(), out);
}
Status InteractionServiceImpl::UpdateInteraction(ServerContext* c,
                                                 const v1::UpdateInteractionRequest* r,
                                                 v1::Interaction* out) {
  return h_.Update(c, __func__, r->interaction(), r->update_mask(), r->expected_revision(), out);
}
Status InteractionServiceImpl::DeleteInteraction(ServerContext* c,
                                                 const v1::DeleteInteractionRequest* r,
                                                 google::protobuf::Empty*) {
  return h_.Delete(c, __func__, r->id(), r->expected_revision(), false);
}
Status InteractionServiceImpl::ListInteractions(ServerContext* c,
                                                const v1::ListInteractionsRequest* r,
                                                v1::ListInteractionsResponse* out) {
  return h_.List(c, __func__, ToListRequest(*r), out->mutable_interactions(),
                 out->mutable_next_page_token());
}
Status InteractionServiceImpl::ListCustomerInteractions(
    ServerContext* c, const v1::ListCustomerInteractionsRequest* r,
    v1::ListInteractionsResponse* out) {
  return h_.ListWith(
      c, __func__,
      [&](const Caller& caller) {
        return CustomerSubList(deps_, caller, r->customer_id(), r->page_size(), r->page_token(), "",
                               "occurred_at desc");
      },
      out->mutable_interactions(), out->mutable_next_page_token());
}
Status InteractionServiceImpl::GetInteractionByExternalRef(
    ServerContext* c, const v1::GetInteractionByExternalRefRequest* r, v1::Interaction* out) {
  return h_.GetByExternalRef(c, __func__, r->system(), r->external_id(), out);
}
Status InteractionServiceImpl::BatchUpsertInteractions(ServerContext* c,
                                                       const v1::BatchUpsertInteractionsRequest* r,
                                                       v1::BatchUpsertInteractionsResponse* out) {
  return h_.BatchUpsert(c, __func__, r->interactions(), out->mutable_interactions(),
                        out->mutable_results());
}

// --- opportunities ---
Status OpportunityServiceImpl::CreateOpportunity(ServerContext* c,
                                                 const v1::CreateOpportunityRequest* r,
                                                 v1::Opportunity* out) {
  return h_.Create(c, __func__, r->opportunity(), r->request_id(), out);
}
Status OpportunityServiceImpl::GetOpportunity(ServerContext* c, const v1::GetOpportunityRequest* r,
                                              v1::Opportunity* out) {
  return h_.Get(c, __func__, r->id(), out);
}
Status OpportunityServiceImpl::UpdateOpportunity(ServerContext* c,
                                                 const v1::UpdateOpportunityRequest* r,
                                                 v1::Opportunity* out) {
  return h_.Update(c, __func__, r->opportunity(), r->update_mask(), r->expected_revision(), out);
}
Status OpportunityServiceImpl::DeleteOpportunity(ServerContext* c,
                                                 const v1::DeleteOpportunityRequest* r,
                                                 google::protobuf::Empty*) {
  return h_.Delete(c, __func__, r->id(), r->expected_revision(), false);
}
Status OpportunityServiceImpl::ListOpportunities(ServerContext* c,
                                                 const v1::ListOpportunitiesRequest* r,
                                                 v1::ListOpportunitiesResponse* out) {
  return h_.List(c, __func__, ToListRequest(*r), out->mutable_opportunities(),
                 out->mutable_next_page_token());
}
Status OpportunityServiceImpl::ListCustomerOpportunities(
    ServerContext* c, const v1::ListCustomerOpportunitiesRequest* r,
    v1::ListOpportunitiesResponse* out) {
  return h_.ListWith(
      c, __func__,
      [&](const Caller& caller) {
        return CustomerSubList(deps_, caller, r->customer_id(), r->page_size(), r->page_token(),
                               r->filter(), "");
      },
      out->mutable_opportunities(), out->mutable_next_page_token());
}
Status OpportunityServiceImpl::GetOpportunityByExternalRef(
    ServerContext* c, const v1::GetOpportunityByExternalRefRequest* r, v1::Opportunity* out) {
  return h_.GetByExternalRef(c, __func__, r->system(), r->external_id(), out);
}
Status OpportunityServiceImpl::BatchUpsertOpportunities(
    ServerContext* c, const v1::BatchUpsertOpportunitiesRequest* r,
    v1::BatchUpsertOpportunitiesResponse* out) {
  return h_.BatchUpsert(c, __func__, r->opportunities(), out->mutable_opportunities(),
                        out->mutable_results());
}
Status OpportunityServiceImpl::GetStageTotal(ServerContext* c, const v1::GetStageTotalRequest* r,
                                             v1::StageTotal* out) {
  return Handle(deps_, c, "rapport.v1.OpportunityService", __func__,
                [&](const Caller& caller) -> absl::Status {
                  auto total = deps_.store->GetStageTotal(caller.ctx, r->pipeline(), r->stage(),
                                                          r->currency_code());
                  if (!total.ok()) return total.status();
                  out->set_pipeline(r->pipeline());
                  out->set_stage(r->stage());
                  out->set_opportunity_count(total->opportunity_count);
                  out->mutable_amount()->set_currency_code(r->currency_code());
                  out->mutable_amount()->set_units(total->amount_units);
                  return absl::OkStatus();
                });
}

// --- schemas ---
Status SchemaServiceImpl::GetAttributeSchema(ServerContext* c,
                                             const v1::GetAttributeSchemaRequest* r,
                                             v1::AttributeSchema* out) {
  return Handle(
      deps_, c, "rapport.v1.SchemaService", __func__, [&](const Caller& caller) -> absl::Status {
        if (r->resource_type() == v1::RESOURCE_TYPE_UNSPECIFIED ||
            !v1::ResourceType_IsValid(r->resource_type())) {
          return InvalidField("resource_type", "must be customer, interaction or opportunity");
        }
        auto schema = deps_.store->GetSchema(caller.ctx, records::FromProto(r->resource_type()));
        if (!schema.ok()) return schema.status();
        *out = std::move(*schema);
        return absl::OkStatus();
      });
}
Status SchemaServiceImpl::UpdateAttributeSchema(ServerContext* c,
                                                const v1::UpdateAttributeSchemaRequest* r,
                                                v1::AttributeSchema* out) {
  return Handle(
      deps_, c, "rapport.v1.SchemaService", __func__, [&](const Caller& caller) -> absl::Status {
        if (!caller.principal->IsAdmin()) {
          return absl::PermissionDeniedError("changing attribute schemas needs the admin role");
        }
        auto schema = deps_.store->UpdateSchema(caller.ctx, r->schema(), r->expected_revision());
        if (!schema.ok()) return schema.status();
        *out = std::move(*schema);
        return absl::OkStatus();
      });
}

}  // namespace rapport::services
