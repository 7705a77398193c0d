// Test plugin "query", for record_queries_test: core record queries as the
// caller (SDK 1.2), one method per query, with the public API's own request
// and response messages:
//   /rapport.query.v1.QueryService/ListCustomers      ListRecords(customer)
//   /rapport.query.v1.QueryService/ListOpportunities  ListRecords(opportunity)
//   /rapport.query.v1.QueryService/Search             SearchCustomers
//   /rapport.query.v1.QueryService/Count  request ListCustomersRequest
//       (filter); response Customer with revision = CountRecords(customer)
//   /rapport.query.v1.QueryService/CanRead  request Customer (id); response
//       Customer with display_name "yes" or "no"
#include <string>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
namespace v1 = rapport::v1;

constexpr char kService[] = "/rapport.query.v1.QueryService/";

template <typename Request>
Call::ListOptions Options(const Request& request) {
  Call::ListOptions options;
  options.filter = request.filter();
  options.order_by = request.order_by();
  options.page_size = request.page_size();
  options.page_token = request.page_token();
  return options;
}

class Query : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    Status s = Method<v1::ListCustomersRequest, v1::ListCustomersResponse>(
        std::string(kService) + "ListCustomers",
        [](Call& call, const v1::ListCustomersRequest& req, v1::ListCustomersResponse* resp) {
          return call.ListRecords(RAPPORT_RESOURCE_CUSTOMER, Options(req), resp);
        });
    if (!s.ok()) return s;
    s = Method<v1::ListOpportunitiesRequest, v1::ListOpportunitiesResponse>(
        std::string(kService) + "ListOpportunities",
        [](Call& call, const v1::ListOpportunitiesRequest& req,
           v1::ListOpportunitiesResponse* resp) {
          return call.ListRecords(RAPPORT_RESOURCE_OPPORTUNITY, Options(req), resp);
        });
    if (!s.ok()) return s;
    s = Method<v1::SearchCustomersRequest, v1::SearchCustomersResponse>(
        std::string(kService) + "Search",
        [](Call& call, const v1::SearchCustomersRequest& req, v1::SearchCustomersResponse* resp) {
          return call.SearchCustomers(req.query(), req.page_size(), req.page_token(), resp);
        });
    if (!s.ok()) return s;
    s = Method<v1::ListCustomersRequest, v1::Customer>(
        std::string(kService) + "Count",
        [](Call& call, const v1::ListCustomersRequest& req, v1::Customer* resp) {
          int64_t n = 0;
          Status s = call.CountRecords(RAPPORT_RESOURCE_CUSTOMER, req.filter(), &n);
          resp->set_revision(n);
          return s;
        });
    if (!s.ok()) return s;
    return Method<v1::Customer, v1::Customer>(
        std::string(kService) + "CanRead",
        [](Call& call, const v1::Customer& req, v1::Customer* resp) {
          resp->set_display_name(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, req.id()) ? "yes" : "no");
          return Status{};
        });
  }
};

}  // namespace

RAPPORT_PLUGIN(Query, "query", "1.0.0")
