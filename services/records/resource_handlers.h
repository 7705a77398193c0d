// File: services/records/resource_handlers.h
//
// The standard methods shared by the customer, interaction and opportunity
// services: decode, build the request context, call the record store, map
// errors. Each generated service forwards to one of these.
#ifndef RAPPORT_SERVICES_RECORDS_RESOURCE_HANDLERS_H_
#define RAPPORT_SERVICES_RECORDS_RESOURCE_HANDLERS_H_

#include <string>
#include <vector>

#include "core/records/record_store.h"
#include "core/tenant/tenant_registry.h"
#include "google/protobuf/field_mask.pb.h"
#include "grpcpp/server_context.h"
#include "services/common/call_context.h"
#include "services/common/status_mapping.h"

namespace rapport::services {

struct ServiceDeps {
  records::RecordStore* store = nullptr;
  tenant::TenantRegistry* tenants = nullptr;
};

template <typename Resource>
class ResourceHandlers {
 public:
  ResourceHandlers(ServiceDeps deps, records::ResourceType type) : deps_(deps), type_(type) {}

  grpc::Status Create(grpc::ServerContext* call, const Resource& in, const std::string& request_id,
                      Resource* out) {
    auto ctx = ContextFromCall(*call, *deps_.tenants);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    return Deliver(deps_.store->Create(*ctx, type_, in, request_id), out);
  }

  grpc::Status Get(grpc::ServerContext* call, const std::string& id, Resource* out) {
    auto ctx = ContextFromCall(*call, *deps_.tenants);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    return Deliver(deps_.store->Get(*ctx, type_, id), out);
  }

  grpc::Status GetByExternalRef(grpc::ServerContext* call, const std::string& system,
                                const std::string& external_id, Resource* out) {
    auto ctx = ContextFromCall(*call, *deps_.tenants);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    return Deliver(deps_.store->GetByExternalRef(*ctx, type_, system, external_id), out);
  }

  grpc::Status Update(grpc::ServerContext* call, const Resource& in,
                      const google::protobuf::FieldMask& mask, int64_t expected_revision,
                      Resource* out) {
    auto ctx = ContextFromCall(*call, *deps_.tenants);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    return Deliver(deps_.store->Update(*ctx, type_, in, mask, expected_revision), out);
  }

  grpc::Status Delete(grpc::ServerContext* call, const std::string& id, int64_t expected_revision,
                      bool force) {
    auto ctx = ContextFromCall(*call, *deps_.tenants);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    return ToGrpcStatus(deps_.store->Delete(*ctx, type_, id, expected_revision, force));
  }

  grpc::Status List(grpc::ServerContext* call, const records::ListRequest& request,
                    google::protobuf::RepeatedPtrField<Resource>* out, std::string* next_page_token) {
    auto ctx = ContextFromCall(*call, *deps_.tenants);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    return DeliverList(deps_.store->List(*ctx, type_, request), out, next_page_token);
  }

  grpc::Status Search(grpc::ServerContext* call, const std::string& query, int32_t page_size,
                      const std::string& page_token,
                      google::protobuf::RepeatedPtrField<Resource>* out,
                      std::string* next_page_token) {
    auto ctx = ContextFromCall(*call, *deps_.tenants);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    return DeliverList(deps_.store->SearchCustomers(*ctx, query, page_size, page_token), out,
                       next_page_token);
  }

  template <typename Results>
  grpc::Status BatchUpsert(grpc::ServerContext* call,
                           const google::protobuf::RepeatedPtrField<Resource>& in,
                           google::protobuf::RepeatedPtrField<Resource>* out, Results* results) {
    auto ctx = ContextFromCall(*call, *deps_.tenants);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    std::vector<const google::protobuf::Message*> items;
    for (const Resource& r : in) items.push_back(&r);
    auto outcomes = deps_.store->BatchUpsert(*ctx, type_, items);
    if (!outcomes.ok()) return ToGrpcStatus(outcomes.status());
    for (auto& outcome : *outcomes) {
      out->Add()->Swap(static_cast<Resource*>(outcome.record.get()));
      results->Add(outcome.result);
    }
    return grpc::Status::OK;
  }

 private:
  grpc::Status Deliver(absl::StatusOr<records::RecordPtr> record, Resource* out) {
    if (!record.ok()) return ToGrpcStatus(record.status());
    out->Swap(static_cast<Resource*>(record->get()));
    return grpc::Status::OK;
  }
  grpc::Status DeliverList(absl::StatusOr<records::ListResult> result,
                           google::protobuf::RepeatedPtrField<Resource>* out,
                           std::string* next_page_token) {
    if (!result.ok()) return ToGrpcStatus(result.status());
    for (auto& record : result->records) out->Add()->Swap(static_cast<Resource*>(record.get()));
    *next_page_token = std::move(result->next_page_token);
    return grpc::Status::OK;
  }

  ServiceDeps deps_;
  records::ResourceType type_;
};

// ListRequest from any of the generated List*Request messages.
template <typename Request>
records::ListRequest ToListRequest(const Request& r) {
  records::ListRequest out;
  out.filter = r.filter();
  out.order_by = r.order_by();
  out.page_size = r.page_size();
  out.page_token = r.page_token();
  return out;
}

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_RECORDS_RESOURCE_HANDLERS_H_
