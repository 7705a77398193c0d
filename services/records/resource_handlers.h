// File: services/records/resource_handlers.h
//
// The standard methods shared by the customer, interaction and opportunity
// services: decode, build the request context, call the record store, map
// errors. Each generated service forwards to one of these.
#ifndef RAPPORT_SERVICES_RECORDS_RESOURCE_HANDLERS_H_
#define RAPPORT_SERVICES_RECORDS_RESOURCE_HANDLERS_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/records/record_store.h"
#include "google/protobuf/field_mask.pb.h"
#include "grpcpp/server_context.h"
#include "services/common/service_deps.h"

namespace rapport::services {

template <typename Resource>
class ResourceHandlers {
 public:
  ResourceHandlers(ServiceDeps deps, records::ResourceType type, const char* service)
      : deps_(deps), type_(type), service_(service) {}

  grpc::Status Create(grpc::ServerContext* call, const char* rpc, const Resource& in,
                      const std::string& request_id, Resource* out,
                      v1::DuplicatePolicy duplicates = v1::DUPLICATE_POLICY_ALLOW) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) -> absl::Status {
      if (!v1::DuplicatePolicy_IsValid(duplicates)) {
        return InvalidField("duplicate_policy", absl::StrCat(duplicates, " is not a policy"));
      }
      return Deliver(deps_.store->Create(c.ctx, type_, in, request_id, duplicates), out);
    });
  }

  grpc::Status Get(grpc::ServerContext* call, const char* rpc, const std::string& id,
                   Resource* out) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) {
      return Deliver(deps_.store->Get(c.ctx, type_, id), out);
    });
  }

  grpc::Status GetByExternalRef(grpc::ServerContext* call, const char* rpc,
                                const std::string& system, const std::string& external_id,
                                Resource* out) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) {
      return Deliver(deps_.store->GetByExternalRef(c.ctx, type_, system, external_id), out);
    });
  }

  grpc::Status Update(grpc::ServerContext* call, const char* rpc, const Resource& in,
                      const google::protobuf::FieldMask& mask, int64_t expected_revision,
                      Resource* out) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) {
      return Deliver(deps_.store->Update(c.ctx, type_, in, mask, expected_revision), out);
    });
  }

  grpc::Status Delete(grpc::ServerContext* call, const char* rpc, const std::string& id,
                      int64_t expected_revision, bool force) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) {
      return deps_.store->Delete(c.ctx, type_, id, expected_revision, force);
    });
  }

  grpc::Status List(grpc::ServerContext* call, const char* rpc, const records::ListRequest& request,
                    google::protobuf::RepeatedPtrField<Resource>* out,
                    std::string* next_page_token) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) {
      return DeliverList(deps_.store->List(c.ctx, type_, request), out, next_page_token);
    });
  }

  // As List, after `prepare(caller)` produced the request (or an error).
  template <typename Prepare>
  grpc::Status ListWith(grpc::ServerContext* call, const char* rpc, Prepare prepare,
                        google::protobuf::RepeatedPtrField<Resource>* out,
                        std::string* next_page_token) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) -> absl::Status {
      absl::StatusOr<records::ListRequest> request = prepare(c);
      if (!request.ok()) return request.status();
      return DeliverList(deps_.store->List(c.ctx, type_, *request), out, next_page_token);
    });
  }

  grpc::Status Search(grpc::ServerContext* call, const char* rpc, const std::string& query,
                      int32_t page_size, const std::string& page_token,
                      google::protobuf::RepeatedPtrField<Resource>* out,
                      std::string* next_page_token) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) {
      return DeliverList(deps_.store->SearchCustomers(c.ctx, query, page_size, page_token), out,
                         next_page_token);
    });
  }

  template <typename Results>
  grpc::Status BatchUpsert(grpc::ServerContext* call, const char* rpc,
                           const google::protobuf::RepeatedPtrField<Resource>& in,
                           google::protobuf::RepeatedPtrField<Resource>* out, Results* results) {
    return Handle(deps_, call, service_, rpc, [&](const Caller& c) -> absl::Status {
      std::vector<const google::protobuf::Message*> items;
      for (const Resource& r : in) items.push_back(&r);
      auto outcomes = deps_.store->BatchUpsert(c.ctx, type_, items);
      if (!outcomes.ok()) return outcomes.status();
      for (auto& outcome : *outcomes) {
        out->Add()->Swap(static_cast<Resource*>(outcome.record.get()));
        results->Add(outcome.result);
      }
      return absl::OkStatus();
    });
  }

 private:
  absl::Status Deliver(absl::StatusOr<records::RecordPtr> record, Resource* out) {
    if (!record.ok()) return record.status();
    out->Swap(static_cast<Resource*>(record->get()));
    return absl::OkStatus();
  }
  absl::Status DeliverList(absl::StatusOr<records::ListResult> result,
                           google::protobuf::RepeatedPtrField<Resource>* out,
                           std::string* next_page_token) {
    if (!result.ok()) return result.status();
    for (auto& record : result->records) out->Add()->Swap(static_cast<Resource*>(record.get()));
    *next_page_token = std::move(result->next_page_token);
    return absl::OkStatus();
  }

  ServiceDeps deps_;
  records::ResourceType type_;
  const char* service_;
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
