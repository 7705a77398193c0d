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
absl::StatusOr<records::ListRequest> CustomerSubList(const ServiceDeps& deps, ServerContext* call,
                                                     const std::string& customer_id,
                                                     int32_t page_size,
                                                     const std::string& page_token,
                                                     const std::string& extra_filter,
                                                     const std::string& order_by) {
  if (customer_id.empty()) return InvalidField("customer_id", "is required");
  if (!ids::UlidFromString(customer_id).ok()) {
    return InvalidField("customer_id", absl::StrCat("'", customer_id.substr(0, 40), "' is not an ID"));
  }
  auto ctx = ContextFromCall(*call, *deps.tenants);
  if (!ctx.ok()) return ctx.status();
  auto customer = deps.store->Get(*ctx, ResourceType::kCustomer, customer_id);
  if (!customer.ok()) return customer.status();
  records::ListRequest request;
  request.filter = absl::StrCat("customer_id = \"", static_cast<const v1::Customer&>(**customer).id(), "\"");
  if (!extra_filter.empty()) absl::StrAppend(&request.filter, " AND ", extra_filter);
  request.order_by = order_by;
  request.page_size = page_size;
  request.page_token = page_token;
  return request;
}

}  // namespace

// --- customers ---
Status CustomerServiceImpl::CreateCustomer(ServerContext* c, const v1::CreateCustomerRequest* r, v1::Customer* out) {
  return h_.Create(c, r->customer(), r->request_id(), out);
}
Status CustomerServiceImpl::GetCustomer(ServerContext* c, const v1::GetCustomerRequest* r, v1::Customer* out) {
  return h_.Get(c, r->id(), out);
}
Status CustomerServiceImpl::UpdateCustomer(ServerContext* c, const v1::UpdateCustomerRequest* r, v1::Customer* out) {
  return h_.Update(c, r->customer(), r->update_mask(), r->expected_revision(), out);
}
Status CustomerServiceImpl::DeleteCustomer(ServerContext* c, const v1::DeleteCustomerRequest* r, google::protobuf::Empty*) {
  return h_.Delete(c, r->id(), r->expected_revision(), r->force());
}
Status CustomerServiceImpl::ListCustomers(ServerContext* c, const v1::ListCustomersRequest* r, v1::ListCustomersResponse* out) {
  return h_.List(c, ToListRequest(*r), out->mutable_customers(), out->mutable_next_page_token());
}
Status CustomerServiceImpl::SearchCustomers(ServerContext* c, const v1::SearchCustomersRequest* r, v1::SearchCustomersResponse* out) {
  return h_.Search(c, r->query(), r->page_size(), r->page_token(), out->mutable_customers(),
                   out->mutable_next_page_token());
}
Status CustomerServiceImpl::GetCustomerByExternalRef(ServerContext* c, const v1::GetCustomerByExternalRefRequest* r, v1::Customer* out) {
  return h_.GetByExternalRef(c, r->system(), r->external_id(), out);
}
Status CustomerServiceImpl::BatchUpsertCustomers(ServerContext* c, const v1::BatchUpsertCustomersRequest* r, v1::BatchUpsertCustomersResponse* out) {
  return h_.BatchUpsert(c, r->customers(), out->mutable_customers(), out->mutable_results());
}

// --- interactions ---
Status InteractionServiceImpl::CreateInteraction(ServerContext* c, const v1::CreateInteractionRequest* r, v1::Interaction* out) {
  return h_.Create(c, r->interaction(), r->request_id(), out);
}
Status InteractionServiceImpl::GetInteraction(ServerContext* c, const v1::GetInteractionRequest* r, v1::Interaction* out) {
  return h_.Get(c, r->id(), out);
}
Status InteractionServiceImpl::UpdateInteraction(ServerContext* c, const v1::UpdateInteractionRequest* r, v1::Interaction* out) {
  return h_.Update(c, r->interaction(), r->update_mask(), r->expected_revision(), out);
}
Status InteractionServiceImpl::DeleteInteraction(ServerContext* c, const v1::DeleteInteractionRequest* r, google::protobuf::Empty*) {
  return h_.Delete(c, r->id(), r->expected_revision(), false);
}
Status InteractionServiceImpl::ListInteractions(ServerContext* c, const v1::ListInteractionsRequest* r, v1::ListInteractionsResponse* out) {
  return h_.List(c, ToListRequest(*r), out->mutable_interactions(), out->mutable_next_page_token());
}
Status InteractionServiceImpl::ListCustomerInteractions(ServerContext* c, const v1::ListCustomerInteractionsRequest* r, v1::ListInteractionsResponse* out) {
  auto request = CustomerSubList(deps_, c, r->customer_id(), r->page_size(), r->page_token(), "",
                                 "occurred_at desc");
  if (!request.ok()) return ToGrpcStatus(request.status());
  return h_.List(c, *request, out->mutable_interactions(), out->mutable_next_page_token());
}
Status InteractionServiceImpl::GetInteractionByExternalRef(ServerContext* c, const v1::GetInteractionByExternalRefRequest* r, v1::Interaction* out) {
  return h_.GetByExternalRef(c, r->system(), r->external_id(), out);
}
Status InteractionServiceImpl::BatchUpsertInteractions(ServerContext* c, const v1::BatchUpsertInteractionsRequest* r, v1::BatchUpsertInteractionsResponse* out) {
  return h_.BatchUpsert(c, r->interactions(), out->mutable_interactions(), out->mutable_results());
}

// --- opportunities ---
Status OpportunityServiceImpl::CreateOpportunity(ServerContext* c, const v1::CreateOpportunityRequest* r, v1::Opportunity* out) {
  return h_.Create(c, r->opportunity(), r->request_id(), out);
}
Status OpportunityServiceImpl::GetOpportunity(ServerContext* c, const v1::GetOpportunityRequest* r, v1::Opportunity* out) {
  return h_.Get(c, r->id(), out);
}
Status OpportunityServiceImpl::UpdateOpportunity(ServerContext* c, const v1::UpdateOpportunityRequest* r, v1::Opportunity* out) {
  return h_.Update(c, r->opportunity(), r->update_mask(), r->expected_revision(), out);
}
Status OpportunityServiceImpl::DeleteOpportunity(ServerContext* c, const v1::DeleteOpportunityRequest* r, google::protobuf::Empty*) {
  return h_.Delete(c, r->id(), r->expected_revision(), false);
}
Status OpportunityServiceImpl::ListOpportunities(ServerContext* c, const v1::ListOpportunitiesRequest* r, v1::ListOpportunitiesResponse* out) {
  return h_.List(c, ToListRequest(*r), out->mutable_opportunities(), out->mutable_next_page_token());
}
Status OpportunityServiceImpl::ListCustomerOpportunities(ServerContext* c, const v1::ListCustomerOpportunitiesRequest* r, v1::ListOpportunitiesResponse* out) {
  auto request = CustomerSubList(deps_, c, r->customer_id(), r->page_size(), r->page_token(),
                                 r->filter(), "");
  if (!request.ok()) return ToGrpcStatus(request.status());
  return h_.List(c, *request, out->mutable_opportunities(), out->mutable_next_page_token());
}
Status OpportunityServiceImpl::GetOpportunityByExternalRef(ServerContext* c, const v1::GetOpportunityByExternalRefRequest* r, v1::Opportunity* out) {
  return h_.GetByExternalRef(c, r->system(), r->external_id(), out);
}
Status OpportunityServiceImpl::BatchUpsertOpportunities(ServerContext* c, const v1::BatchUpsertOpportunitiesRequest* r, v1::BatchUpsertOpportunitiesResponse* out) {
  return h_.BatchUpsert(c, r->opportunities(), out->mutable_opportunities(), out->mutable_results());
}

// --- schemas ---
Status SchemaServiceImpl::GetAttributeSchema(ServerContext* c, const v1::GetAttributeSchemaRequest* r, v1::AttributeSchema* out) {
  auto ctx = ContextFromCall(*c, *deps_.tenants);
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  if (r->resource_type() == v1::RESOURCE_TYPE_UNSPECIFIED || !v1::ResourceType_IsValid(r->resource_type())) {
    return ToGrpcStatus(InvalidField("resource_type", "must be customer, interaction or opportunity"));
  }
  auto schema = deps_.store->GetSchema(*ctx, records::FromProto(r->resource_type()));
  if (!schema.ok()) return ToGrpcStatus(schema.status());
  *out = std::move(*schema);
  return Status::OK;
}
Status SchemaServiceImpl::UpdateAttributeSchema(ServerContext* c, const v1::UpdateAttributeSchemaRequest* r, v1::AttributeSchema* out) {
  auto ctx = ContextFromCall(*c, *deps_.tenants);
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto schema = deps_.store->UpdateSchema(*ctx, r->schema(), r->expected_revision());
  if (!schema.ok()) return ToGrpcStatus(schema.status());
  *out = std::move(*schema);
  return Status::OK;
}

}  // namespace rapport::services
