// File: services/sync/sync_services.h
//
// rapport.v1.EventService (the change feed for integrations) and
// rapport.v1.DataService (import, export, duplicates, merge).
#ifndef RAPPORT_SERVICES_SYNC_SYNC_SERVICES_H_
#define RAPPORT_SERVICES_SYNC_SYNC_SERVICES_H_

#include <atomic>

#include "rapport/v1/sync.grpc.pb.h"
#include "services/common/service_deps.h"

namespace rapport::services {

class EventServiceImpl final : public v1::EventService::Service {
 public:
  // At most `max_subscribers` concurrent Subscribe streams (each holds a
  // server thread while it waits for events).
  EventServiceImpl(ServiceDeps deps, int max_subscribers)
      : deps_(deps), max_subscribers_(max_subscribers) {}
  grpc::Status Subscribe(grpc::ServerContext*, const v1::SubscribeRequest*,
                         grpc::ServerWriter<v1::SubscribeResponse>*) override;
  grpc::Status AcknowledgeEvents(grpc::ServerContext*, const v1::AcknowledgeEventsRequest*,
                                 v1::AcknowledgeEventsResponse*) override;
  grpc::Status GetFeedInfo(grpc::ServerContext*, const v1::GetFeedInfoRequest*,
                           v1::GetFeedInfoResponse*) override;
  // Ends open streams (they return OK at their next check).
  void Stop() { stopping_ = true; }

 private:
  ServiceDeps deps_;
  const int max_subscribers_;
  std::atomic<int> subscribers_{0};
  std::atomic<bool> stopping_{false};
};

class DataServiceImpl final : public v1::DataService::Service {
 public:
  explicit DataServiceImpl(ServiceDeps deps) : deps_(deps) {}
  grpc::Status Import(grpc::ServerContext*, grpc::ServerReader<v1::ImportRequest>*,
                      v1::ImportSummary*) override;
  grpc::Status Export(grpc::ServerContext*, const v1::ExportRequest*,
                      grpc::ServerWriter<v1::ExportResponse>*) override;
  grpc::Status FindDuplicates(grpc::ServerContext*, const v1::FindDuplicatesRequest*,
                              v1::FindDuplicatesResponse*) override;
  grpc::Status MergeCustomers(grpc::ServerContext*, const v1::MergeCustomersRequest*,
                              v1::Customer*) override;

 private:
  ServiceDeps deps_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_SYNC_SYNC_SERVICES_H_
