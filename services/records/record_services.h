// File: services/records/record_services.h
//
// gRPC services for the three core resources and their custom attribute
// schemas. Thread-safe; they hold no state of their own.
#ifndef RAPPORT_SERVICES_RECORDS_RECORD_SERVICES_H_
#define RAPPORT_SERVICES_RECORDS_RECORD_SERVICES_H_

#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/interaction.grpc.pb.h"
#include "rapport/v1/opportunity.grpc.pb.h"
#include "rapport/v1/schema.grpc.pb.h"
#include "services/records/resource_handlers.h"

namespace rapport::services {

class CustomerServiceImpl final : public v1::CustomerService::Service {
 public:
  explicit CustomerServiceImpl(ServiceDeps deps)
      : h_(deps, records::ResourceType::kCustomer, "rapport.v1.CustomerService") {}
  grpc::Status CreateCustomer(grpc::ServerContext*, const v1::CreateCustomerRequest*,
                              v1::Customer*) override;
  grpc::Status GetCustomer(grpc::ServerContext*, const v1::GetCustomerRequest*,
                           v1::Customer*) override;
  grpc::Status UpdateCustomer(grpc::ServerContext*, const v1::UpdateCustomerRequest*,
                              v1::Customer*) override;
  grpc::Status DeleteCustomer(grpc::ServerContext*, const v1::DeleteCustomerRequest*,
                              google::protobuf::Empty*) override;
  grpc::Status ListCustomers(grpc::ServerContext*, const v1::ListCustomersRequest*,
                             v1::ListCustomersResponse*) override;
  grpc::Status SearchCustomers(grpc::ServerContext*, const v1::SearchCustomersRequest*,
                               v1::SearchCustomersResponse*) override;
  grpc::Status GetCustomerByExternalRef(grpc::ServerContext*,
                                        const v1::GetCustomerByExternalRefRequest*,
                                        v1::Customer*) override;
  grpc::Status BatchUpsertCustomers(grpc::ServerContext*, const v1::BatchUpsertCustomersRequest*,
                                    v1::BatchUpsertCustomersResponse*) override;

 private:
  ResourceHandlers<v1::Customer> h_;
};

class InteractionServiceImpl final : public v1::InteractionService::Service {
 public:
  explicit InteractionServiceImpl(ServiceDeps deps)
      : deps_(deps),
        h_(deps, records::ResourceType::kInteraction, "rapport.v1.InteractionService") {}
  grpc::Status CreateInteraction(grpc::ServerContext*, const v1::CreateInteractionRequest*,
                                 v1::Interaction*) override;
  grpc::Status GetInteraction(grpc::ServerContext*, const v1::GetInteractionRequest*,
                              v1::Interaction*) override;
  grpc::Status UpdateInteraction(grpc::ServerContext*, const v1::UpdateInteractionRequest*,
                                 v1::Interaction*) override;
  grpc::Status DeleteInteraction(grpc::ServerContext*, const v1::DeleteInteractionRequest*,
                                 google::protobuf::Empty*) override;
  grpc::Status ListInteractions(grpc::ServerContext*, const v1::ListInteractionsRequest*,
                                v1::ListInteractionsResponse*) override;
  grpc::Status ListCustomerInteractions(grpc::ServerContext*,
                                        const v1::ListCustomerInteractionsRequest*,
                                        v1::ListInteractionsResponse*) override;
  grpc::Status GetInteractionByExternalRef(grpc::ServerContext*,
                                           const v1::GetInteractionByExternalRefRequest*,
                                           v1::Interaction*) override;
  grpc::Status BatchUpsertInteractions(grpc::ServerContext*,
                                       const v1::BatchUpsertInteractionsRequest*,
                                       v1::BatchUpsertInteractionsResponse*) override;

 private:
  ServiceDeps deps_;
  ResourceHandlers<v1::Interaction> h_;
};

class OpportunityServiceImpl final : public v1::OpportunityService::Service {
 public:
  explicit OpportunityServiceImpl(ServiceDeps deps)
      : deps_(deps),
        h_(deps, records::ResourceType::kOpportunity, "rapport.v1.OpportunityService") {}
  grpc::Status CreateOpportunity(grpc::ServerContext*, const v1::CreateOpportunityRequest*,
                                 v1::Opportunity*) override;
  grpc::Status GetOpportunity(grpc::ServerContext*, const v1::GetOpportunityRequest*,
                              v1::Opportunity*) override;
  grpc::Status UpdateOpportunity(grpc::ServerContext*, const v1::UpdateOpportunityRequest*,
                                 v1::Opportunity*) override;
  grpc::Status DeleteOpportunity(grpc::ServerContext*, const v1::DeleteOpportunityRequest*,
                                 google::protobuf::Empty*) override;
  grpc::Status ListOpportunities(grpc::ServerContext*, const v1::ListOpportunitiesRequest*,
                                 v1::ListOpportunitiesResponse*) override;
  grpc::Status ListCustomerOpportunities(grpc::ServerContext*,
                                         const v1::ListCustomerOpportunitiesRequest*,
                                         v1::ListOpportunitiesResponse*) override;
  grpc::Status GetOpportunityByExternalRef(grpc::ServerContext*,
                                           const v1::GetOpportunityByExternalRefRequest*,
                                           v1::Opportunity*) override;
  grpc::Status BatchUpsertOpportunities(grpc::ServerContext*,
                                        const v1::BatchUpsertOpportunitiesRequest*,
                                        v1::BatchUpsertOpportunitiesResponse*) override;
  grpc::Status GetStageTotal(grpc::ServerContext*, const v1::GetStageTotalRequest*,
                             v1::StageTotal*) override;

 private:
  ServiceDeps deps_;
  ResourceHandlers<v1::Opportunity> h_;
};

class SchemaServiceImpl final : public v1::SchemaService::Service {
 public:
  explicit SchemaServiceImpl(ServiceDeps deps) : deps_(deps) {}
  grpc::Status GetAttributeSchema(grpc::ServerContext*, const v1::GetAttributeSchemaRequest*,
                                  v1::AttributeSchema*) override;
  grpc::Status UpdateAttributeSchema(grpc::ServerContext*, const v1::UpdateAttributeSchemaRequest*,
                                     v1::AttributeSchema*) override;

 private:
  ServiceDeps deps_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_RECORDS_RECORD_SERVICES_H_
