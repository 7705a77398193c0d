#include "services/sync/sync_services.h"

#include <deque>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"

namespace rapport::services {
namespace {

constexpr char kEvents[] = "rapport.v1.EventService";
constexpr char kData[] = "rapport.v1.DataService";
constexpr int kFeedReadBatch = 256;
constexpr absl::Duration kHeartbeatEvery = absl::Seconds(5);
constexpr absl::Duration kWaitSlice = absl::Milliseconds(500);
constexpr size_t kImportBatchRows = 500;
constexpr int kMaxReportedErrors = 1000;

absl::Status RequireFeedRole(const Caller& caller) {
  if (caller.principal->IsAdmin() || caller.principal->Has(v1::ROLE_INTEGRATION))
    return absl::OkStatus();
  return absl::PermissionDeniedError(
      "the change feed is for integrations: it needs the integration or admin role");
}

}  // namespace

grpc::Status EventServiceImpl::Subscribe(grpc::ServerContext* call, const v1::SubscribeRequest* r,
                                         grpc::ServerWriter<v1::SubscribeResponse>* writer) {
  return Handle(deps_, call, kEvents, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireFeedRole(caller));
    for (int t : r->resource_types()) {
      if (t == v1::RESOURCE_TYPE_UNSPECIFIED || !v1::ResourceType_IsValid(t)) {
        return InvalidField("resource_types", absl::StrCat(t, " is not a resource type"));
      }
    }
    if (subscribers_.fetch_add(1) >= max_subscribers_) {
      subscribers_.fetch_sub(1);
      return absl::ResourceExhaustedError(
          absl::StrCat("too many concurrent subscribers (", max_subscribers_, "); retry later"));
    }
    auto release = absl::MakeCleanup([&] { subscribers_.fetch_sub(1); });
    RAPPORT_ASSIGN_OR_RETURN(
        uint64_t cursor, deps_.store->feed()->SubscriptionStart(
                             caller.ctx.tenant, r->after_sequence(), r->from_now(), r->consumer()));
    std::set<int> types(r->resource_types().begin(), r->resource_types().end());
    std::set<std::string> excluded(r->exclude_origins().begin(), r->exclude_origins().end());
    uint32_t sent = 0;
    absl::Time last_write = absl::Now();
    uint64_t reported = cursor;
    // The stream pulls from RocksDB at the consumer's pace: gRPC flow control
    // blocks Write() when the consumer does not read, which holds this
    // thread but never a writer, and buffers at most one flow-control window.
    while (!call->IsCancelled() && !stopping_.load()) {
      const uint64_t head = deps_.store->feed()->last_sequence();
      RAPPORT_ASSIGN_OR_RETURN(
          auto events, deps_.store->feed()->Read(caller.ctx.tenant, cursor, kFeedReadBatch));
      for (auto& event : events) {
        cursor = event.sequence();
        if (!types.empty() && !types.count(event.resource_type())) continue;
        if (excluded.count(event.origin())) continue;
        v1::SubscribeResponse response;
        *response.mutable_event() = std::move(event);
        response.set_head_sequence(head);
        if (!writer->Write(response)) return absl::OkStatus();  // the consumer went away
        last_write = absl::Now();
        reported = cursor;
        if (r->max_events() != 0 && ++sent >= r->max_events()) return absl::OkStatus();
      }
      if (!events.empty()) continue;
      // Caught up. Tell the consumer how far it has got even if every event
      // was filtered out, so its cursor can move past them; then heartbeat.
      if (cursor > reported || absl::Now() - last_write >= kHeartbeatEvery) {
        reported = cursor;
        v1::SubscribeResponse heartbeat;
        heartbeat.set_head_sequence(std::max(head, cursor));
        if (!writer->Write(heartbeat)) return absl::OkStatus();
        last_write = absl::Now();
      }
      deps_.store->feed()->WaitForEvents(head, kWaitSlice);
    }
    return absl::OkStatus();
  });
}

grpc::Status EventServiceImpl::AcknowledgeEvents(grpc::ServerContext* call,
                                                 const v1::AcknowledgeEventsRequest* r,
                                                 v1::AcknowledgeEventsResponse* out) {
  return Handle(deps_, call, kEvents, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireFeedRole(caller));
    RAPPORT_RETURN_IF_ERROR(
        deps_.store->feed()->Acknowledge(caller.ctx.tenant, r->consumer(), r->sequence()));
    out->set_sequence(r->sequence());
    return absl::OkStatus();
  });
}

grpc::Status EventServiceImpl::GetFeedInfo(grpc::ServerContext* call,
                                           const v1::GetFeedInfoRequest* r,
                                           v1::GetFeedInfoResponse* out) {
  return Handle(deps_, call, kEvents, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireFeedRole(caller));
    RAPPORT_ASSIGN_OR_RETURN(feed::FeedInfo info, deps_.store->feed()->Info(caller.ctx.tenant));
    out->set_oldest_sequence(info.oldest_sequence);
    out->set_head_sequence(info.head_sequence);
    if (!r->consumer().empty()) {
      RAPPORT_ASSIGN_OR_RETURN(
          uint64_t cursor, deps_.store->feed()->ConsumerCursor(caller.ctx.tenant, r->consumer()));
      out->set_consumer_sequence(cursor);
    }
    return absl::OkStatus();
  });
}

grpc::Status DataServiceImpl::Import(grpc::ServerContext* call,
                                     grpc::ServerReader<v1::ImportRequest>* reader,
                                     v1::ImportSummary* out) {
  return Handle(deps_, call, kData, __func__, [&](const Caller& caller) -> absl::Status {
    v1::ImportRequest first;
    if (!reader->Read(&first) || !first.has_header()) {
      return InvalidField("header", "the first message of an import must be its header");
    }
    const v1::ImportHeader header = first.header();
    if (header.resource_type() == v1::RESOURCE_TYPE_UNSPECIFIED ||
        !v1::ResourceType_IsValid(header.resource_type())) {
      return InvalidField("header.resource_type", "must be customer, interaction or opportunity");
    }
    if (!v1::DuplicatePolicy_IsValid(header.duplicate_policy())) {
      return InvalidField("header.duplicate_policy", "unknown policy");
    }
    const records::ResourceType type = records::FromProto(header.resource_type());
    records::ImportSession session;
    std::deque<v1::ImportRequest> buffered;
    auto flush = [&]() -> absl::Status {
      if (buffered.empty()) return absl::OkStatus();
      std::vector<records::ImportRowInput> rows;
      for (const auto& m : buffered) {
        records::ImportRowInput row;
        row.line = m.row().line();
        row.customer_ref = m.row().customer_ref();
        row.client_error = m.row().client_error();
        switch (type) {
          case records::ResourceType::kCustomer:
            if (m.row().has_customer()) row.record = &m.row().customer();
            break;
          case records::ResourceType::kInteraction:
            if (m.row().has_interaction()) row.record = &m.row().interaction();
            break;
          case records::ResourceType::kOpportunity:
            if (m.row().has_opportunity()) row.record = &m.row().opportunity();
            break;
        }
        if (row.record == nullptr && row.client_error.empty()) {
          row.client_error = "the row carries no record of the header's resource type";
        }
        rows.push_back(std::move(row));
      }
      RAPPORT_ASSIGN_OR_RETURN(
          auto outcomes, deps_.store->ImportRows(caller.ctx, type, rows, header.duplicate_policy(),
                                                 &session, header.preserve_ids()));
      for (size_t i = 0; i < outcomes.size(); ++i) {
        const auto& o = outcomes[i];
        out->set_rows(out->rows() + 1);
        if (!o.status.ok()) {
          out->set_failed(out->failed() + 1);
          if (out->errors_size() < kMaxReportedErrors) {
            auto* e = out->add_errors();
            e->set_line(rows[i].line);
            auto violations = FieldViolations(o.status);
            if (!violations.empty()) {
              e->set_field(violations[0].field);
              e->set_message(violations[0].description);
            } else {
              e->set_message(std::string(o.status.message()));
            }
          }
          continue;
        }
        switch (o.result) {
          case v1::UPSERT_RESULT_CREATED:
            out->set_created(out->created() + 1);
            break;
          case v1::UPSERT_RESULT_UPDATED:
            out->set_updated(out->updated() + 1);
            break;
          default:
            out->set_unchanged(out->unchanged() + 1);
            break;
        }
        if (!o.duplicates.empty() && out->duplicates_size() < kMaxReportedErrors) {
          auto* d = out->add_duplicates();
          d->set_line(rows[i].line);
          d->set_id(o.id);
          for (const auto& m : o.duplicates) d->add_matching_ids(m);
        }
      }
      buffered.clear();
      return absl::OkStatus();
    };
    v1::ImportRequest message;
    while (reader->Read(&message)) {
      if (!message.has_row()) {
        return InvalidField("header", "only the first message may be a header");
      }
      buffered.push_back(std::move(message));
      message.Clear();
      if (buffered.size() >= kImportBatchRows) RAPPORT_RETURN_IF_ERROR(flush());
    }
    return flush();
  });
}

grpc::Status DataServiceImpl::Export(grpc::ServerContext* call, const v1::ExportRequest* r,
                                     grpc::ServerWriter<v1::ExportResponse>* writer) {
  return Handle(deps_, call, kData, __func__, [&](const Caller& caller) -> absl::Status {
    std::vector<records::ResourceType> types;
    for (int t : r->resource_types()) {
      if (t == v1::RESOURCE_TYPE_UNSPECIFIED || !v1::ResourceType_IsValid(t)) {
        return InvalidField("resource_types", absl::StrCat(t, " is not a resource type"));
      }
      types.push_back(static_cast<records::ResourceType>(t));
    }
    if (types.empty()) {
      types = {records::ResourceType::kCustomer, records::ResourceType::kInteraction,
               records::ResourceType::kOpportunity};
    }
    return deps_.store->Export(caller.ctx, types, r->filter(),
                               [&](records::ResourceType type, const google::protobuf::Message& m) {
                                 v1::ExportResponse response;
                                 switch (type) {
                                   case records::ResourceType::kCustomer:
                                     response.mutable_customer()->CopyFrom(m);
                                     break;
                                   case records::ResourceType::kInteraction:
                                     response.mutable_interaction()->CopyFrom(m);
                                     break;
                                   case records::ResourceType::kOpportunity:
                                     response.mutable_opportunity()->CopyFrom(m);
                                     break;
                                 }
                                 return !call->IsCancelled() && writer->Write(response);
                               });
  });
}

grpc::Status DataServiceImpl::FindDuplicates(grpc::ServerContext* call,
                                             const v1::FindDuplicatesRequest* r,
                                             v1::FindDuplicatesResponse* out) {
  return Handle(deps_, call, kData, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_ASSIGN_OR_RETURN(
        auto matches, deps_.store->FindDuplicates(caller.ctx, r->customer(), r->customer().id()));
    for (const auto& m : matches) {
      auto* match = out->add_matches();
      match->set_id(m.id);
      for (const auto& reason : m.reasons) match->add_reasons(reason);
    }
    return absl::OkStatus();
  });
}

grpc::Status DataServiceImpl::MergeCustomers(grpc::ServerContext* call,
                                             const v1::MergeCustomersRequest* r,
                                             v1::Customer* out) {
  return Handle(deps_, call, kData, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_ASSIGN_OR_RETURN(
        auto merged, deps_.store->MergeCustomers(caller.ctx, r->survivor_id(), r->merged_id()));
    out->Swap(static_cast<v1::Customer*>(merged.get()));
    return absl::OkStatus();
  });
}

}  // namespace rapport::services
