// rapportctl customers, interactions, opportunities (the same verbs; customers
// add conveniences, search and batch-upsert) and schema.
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/interaction.grpc.pb.h"
#include "rapport/v1/opportunity.grpc.pb.h"
#include "rapport/v1/schema.grpc.pb.h"
#include "tools/rapportctl/commands.h"

namespace rapport::ctl {
namespace {

using google::protobuf::Message;

// The verbs shared by the three resources.
struct ResourceCommands {
  std::string json, mask, filter, order_by, page_token, request_id;
  std::vector<std::string> positional;
  int page_size = 0;
  int64_t revision = 0;
  bool force = false, all = false;
  // Customer conveniences.
  std::string display_name, owner, kind;
  std::vector<std::string> emails, phones, tags, refs;
};

int CustomersMain(const std::string& verb, ResourceCommands& a) {
  auto stub = v1::CustomerService::NewStub(channel);
  grpc::Status s;
  if (verb == "create") {
    v1::CreateCustomerRequest r;
    if (!a.json.empty() && ParseJson(a.json, r.mutable_customer())) return 2;
    auto* c = r.mutable_customer();
    if (!a.display_name.empty()) c->set_display_name(a.display_name);
    if (!a.owner.empty()) c->set_owner(a.owner);
    if (a.kind == "organization") c->set_kind(v1::CUSTOMER_KIND_ORGANIZATION);
    for (auto& e : a.emails) c->add_emails(e);
    for (auto& p : a.phones) c->add_phones(p);
    for (auto& t : a.tags) c->add_tags(t);
    for (auto& ref : a.refs) {
      auto colon = ref.find(':');
      if (colon == std::string::npos) {
        std::cerr << "error: --ref takes SYSTEM:ID, e.g. erp:ICC-0042\n";
        return 2;
      }
      (*c->mutable_external_refs())[ref.substr(0, colon)] = ref.substr(colon + 1);
    }
    r.set_request_id(a.request_id);
    v1::Customer out;
    s = stub->CreateCustomer(Call().get(), r, &out);
    if (s.ok()) PrintRecord(out);
  } else if (verb == "get") {
    v1::GetCustomerRequest r;
    r.set_id(a.positional.at(0));
    v1::Customer out;
    s = stub->GetCustomer(Call().get(), r, &out);
    if (s.ok()) PrintRecord(out);
  } else if (verb == "by-ref") {
    v1::GetCustomerByExternalRefRequest r;
    r.set_system(a.positional.at(0));
    r.set_external_id(a.positional.at(1));
    v1::Customer out;
    s = stub->GetCustomerByExternalRef(Call().get(), r, &out);
    if (s.ok()) PrintRecord(out);
  } else if (verb == "update") {
    v1::UpdateCustomerRequest r;
    if (ParseJson(a.json, r.mutable_customer())) return 2;
    r.mutable_customer()->set_id(a.positional.at(0));
    std::stringstream paths(a.mask);
    for (std::string p; std::getline(paths, p, ',');) r.mutable_update_mask()->add_paths(p);
    r.set_expected_revision(a.revision);
    v1::Customer out;
    s = stub->UpdateCustomer(Call().get(), r, &out);
    if (s.ok()) PrintRecord(out);
  } else if (verb == "delete") {
    v1::DeleteCustomerRequest r;
    r.set_id(a.positional.at(0));
    r.set_force(a.force);
    r.set_expected_revision(a.revision);
    google::protobuf::Empty out;
    s = stub->DeleteCustomer(Call().get(), r, &out);
  } else if (verb == "list" || verb == "search") {
    std::string token = a.page_token;
    do {
      std::vector<const Message*> records;
      if (verb == "list") {
        v1::ListCustomersRequest r;
        r.set_filter(a.filter);
        r.set_order_by(a.order_by);
        r.set_page_size(a.page_size);
        r.set_page_token(token);
        v1::ListCustomersResponse out;
        s = stub->ListCustomers(Call().get(), r, &out);
        if (!s.ok()) break;
        for (auto& c : out.customers()) records.push_back(&c);
        token = out.next_page_token();
        PrintRecords(records, a.all ? "" : token);
      } else {
        v1::SearchCustomersRequest r;
        r.set_query(a.positional.at(0));
        r.set_page_size(a.page_size);
        r.set_page_token(token);
        v1::SearchCustomersResponse out;
        s = stub->SearchCustomers(Call().get(), r, &out);
        if (!s.ok()) break;
        for (auto& c : out.customers()) records.push_back(&c);
        token = out.next_page_token();
        PrintRecords(records, a.all ? "" : token);
      }
    } while (a.all && !token.empty());
  } else if (verb == "batch-upsert") {
    v1::BatchUpsertCustomersRequest r;
    if (ParseJson("{\"customers\":" + a.json + "}", &r)) return 2;
    v1::BatchUpsertCustomersResponse out;
    s = stub->BatchUpsertCustomers(Call().get(), r, &out);
    if (s.ok()) PrintRecord(out);
  }
  return s.ok() ? 0 : Fail(s);
}

// Interactions and opportunities: the same verbs, JSON in.
template <typename Service, typename Resource>
int GenericMain(const std::string& verb, ResourceCommands& a) {
  auto stub = Service::NewStub(channel);
  grpc::Status s;
  Resource out;
  constexpr bool kInteraction = std::is_same_v<Resource, v1::Interaction>;
  if (verb == "create") {
    if constexpr (kInteraction) {
      v1::CreateInteractionRequest r;
      if (ParseJson(a.json, r.mutable_interaction())) return 2;
      r.set_request_id(a.request_id);
      s = stub->CreateInteraction(Call().get(), r, &out);
    } else {
      v1::CreateOpportunityRequest r;
      if (ParseJson(a.json, r.mutable_opportunity())) return 2;
      r.set_request_id(a.request_id);
      s = stub->CreateOpportunity(Call().get(), r, &out);
    }
    if (s.ok()) PrintRecord(out);
  } else if (verb == "get") {
    if constexpr (kInteraction) {
      v1::GetInteractionRequest r;
      r.set_id(a.positional.at(0));
      s = stub->GetInteraction(Call().get(), r, &out);
    } else {
      v1::GetOpportunityRequest r;
      r.set_id(a.positional.at(0));
      s = stub->GetOpportunity(Call().get(), r, &out);
    }
    if (s.ok()) PrintRecord(out);
  } else if (verb == "update") {
    google::protobuf::FieldMask mask;
    std::stringstream paths(a.mask);
    for (std::string p; std::getline(paths, p, ',');) mask.add_paths(p);
    if constexpr (kInteraction) {
      v1::UpdateInteractionRequest r;
      if (ParseJson(a.json, r.mutable_interaction())) return 2;
      r.mutable_interaction()->set_id(a.positional.at(0));
      *r.mutable_update_mask() = mask;
      r.set_expected_revision(a.revision);
      s = stub->UpdateInteraction(Call().get(), r, &out);
    } else {
      v1::UpdateOpportunityRequest r;
      if (ParseJson(a.json, r.mutable_opportunity())) return 2;
      r.mutable_opportunity()->set_id(a.positional.at(0));
      *r.mutable_update_mask() = mask;
      r.set_expected_revision(a.revision);
      s = stub->UpdateOpportunity(Call().get(), r, &out);
    }
    if (s.ok()) PrintRecord(out);
  } else if (verb == "delete") {
    google::protobuf::Empty empty;
    if constexpr (kInteraction) {
      v1::DeleteInteractionRequest r;
      r.set_id(a.positional.at(0));
      r.set_expected_revision(a.revision);
      s = stub->DeleteInteraction(Call().get(), r, &empty);
    } else {
      v1::DeleteOpportunityRequest r;
      r.set_id(a.positional.at(0));
      r.set_expected_revision(a.revision);
      s = stub->DeleteOpportunity(Call().get(), r, &empty);
    }
  } else if (verb == "list") {
    std::string token = a.page_token;
    do {
      std::vector<const Message*> records;
      if constexpr (kInteraction) {
        v1::ListInteractionsRequest r;
        r.set_filter(a.filter);
        r.set_order_by(a.order_by);
        r.set_page_size(a.page_size);
        r.set_page_token(token);
        v1::ListInteractionsResponse resp;
        s = stub->ListInteractions(Call().get(), r, &resp);
        if (!s.ok()) break;
        for (auto& x : resp.interactions()) records.push_back(&x);
        token = resp.next_page_token();
        PrintRecords(records, a.all ? "" : token);
      } else {
        v1::ListOpportunitiesRequest r;
        r.set_filter(a.filter);
        r.set_order_by(a.order_by);
        r.set_page_size(a.page_size);
        r.set_page_token(token);
        v1::ListOpportunitiesResponse resp;
        s = stub->ListOpportunities(Call().get(), r, &resp);
        if (!s.ok()) break;
        for (auto& x : resp.opportunities()) records.push_back(&x);
        token = resp.next_page_token();
        PrintRecords(records, a.all ? "" : token);
      }
    } while (a.all && !token.empty());
  } else if (verb == "by-ref") {
    if constexpr (kInteraction) {
      v1::GetInteractionByExternalRefRequest r;
      r.set_system(a.positional.at(0));
      r.set_external_id(a.positional.at(1));
      s = stub->GetInteractionByExternalRef(Call().get(), r, &out);
    } else {
      v1::GetOpportunityByExternalRefRequest r;
      r.set_system(a.positional.at(0));
      r.set_external_id(a.positional.at(1));
      s = stub->GetOpportunityByExternalRef(Call().get(), r, &out);
    }
    if (s.ok()) PrintRecord(out);
  } else {
    std::cerr << "error: '" << verb << "' is not supported for this resource\n";
    return 2;
  }
  return s.ok() ? 0 : Fail(s);
}

int SchemaGet(const std::string& type) {
  auto stub = v1::SchemaService::NewStub(channel);
  v1::GetAttributeSchemaRequest r;
  r.set_resource_type(type == "customer"      ? v1::RESOURCE_TYPE_CUSTOMER
                      : type == "interaction" ? v1::RESOURCE_TYPE_INTERACTION
                                              : v1::RESOURCE_TYPE_OPPORTUNITY);
  v1::AttributeSchema out;
  grpc::Status s = stub->GetAttributeSchema(Call().get(), r, &out);
  if (!s.ok()) return Fail(s);
  std::cout << Json(out);
  return 0;
}

int SchemaSet(const std::string& json, int64_t revision) {
  auto stub = v1::SchemaService::NewStub(channel);
  v1::UpdateAttributeSchemaRequest r;
  if (ParseJson(json, r.mutable_schema())) return 2;
  r.set_expected_revision(revision);
  v1::AttributeSchema out;
  grpc::Status s = stub->UpdateAttributeSchema(Call().get(), r, &out);
  if (!s.ok()) return Fail(s);
  std::cout << Json(out);
  return 0;
}

}  // namespace

void AddRecordsCommands(CLI::App& app, Command* chosen) {
  auto add_resource = [&](const std::string& name, bool customer,
                          int (*run)(const std::string&, ResourceCommands&)) {
    auto args = std::make_shared<ResourceCommands>();
    ResourceCommands& a = *args;
    auto* cmd = app.add_subcommand(name, "work with " + name);
    cmd->require_subcommand(1);
    std::vector<std::string> verbs = {"create", "get", "by-ref", "update", "delete", "list"};
    if (customer) {
      verbs.push_back("search");
      verbs.push_back("batch-upsert");
    }
    for (const auto& v : verbs) {
      auto* sub = cmd->add_subcommand(v);
      OnParsed(sub, chosen, [args, run, v] { return run(v, *args); });
      if (v == "get" || v == "update" || v == "delete") {
        sub->add_option("id", a.positional, "record ID")->required()->expected(1);
      } else if (v == "by-ref") {
        sub->add_option("ref", a.positional, "SYSTEM EXTERNAL_ID")->required()->expected(2);
      } else if (v == "search") {
        sub->add_option("query", a.positional, "name, email or phone prefix")
            ->required()
            ->expected(1);
      }
      if (v == "create" || v == "update" || v == "batch-upsert") {
        sub->add_option("--json", a.json, "the record as JSON (proto field names)");
      }
      if (v == "create")
        sub->add_option("--request-id", a.request_id, "idempotency key for retries");
      if (v == "update") {
        sub->add_option("--mask", a.mask, "comma-separated fields to change")->required();
        sub->get_option("--json")->required();
      }
      if (v == "update" || v == "delete")
        sub->add_option("--revision", a.revision, "expected revision");
      if (v == "delete" && customer)
        sub->add_flag("--force", a.force, "delete even with open opportunities");
      if (v == "list" || v == "search") {
        if (v == "list") {
          sub->add_option("--filter", a.filter,
                          "e.g. 'owner = \"u1\" AND lifecycle_stage = \"lead\"'");
          sub->add_option("--order-by", a.order_by, "e.g. 'create_time desc'");
        }
        sub->add_option("--page-size", a.page_size, "records per page (server default 50)");
        sub->add_option("--page-token", a.page_token, "continue from a previous page");
        sub->add_flag("--all", a.all, "follow next_page_token to the end");
      }
      if (v == "create" && customer) {
        sub->add_option("--display-name", a.display_name, "name (Hangul welcome)");
        sub->add_option("--owner", a.owner, "owning user");
        sub->add_option("--kind", a.kind, "person or organization")
            ->check(CLI::IsMember({"person", "organization"}));
        sub->add_option("--email", a.emails, "email (repeatable)");
        sub->add_option("--phone", a.phones, "phone, national or +E.164 (repeatable)");
        sub->add_option("--tag", a.tags, "tag (repeatable)");
        sub->add_option("--ref", a.refs, "external ref SYSTEM:ID (repeatable)");
      }
    }
  };
  add_resource("customers", true, CustomersMain);
  add_resource("interactions", false, GenericMain<v1::InteractionService, v1::Interaction>);
  add_resource("opportunities", false, GenericMain<v1::OpportunityService, v1::Opportunity>);

  auto* schema = app.add_subcommand("schema", "custom attribute schemas");
  schema->require_subcommand(1);
  struct SchemaArgs {
    std::string type, json;
    int64_t revision = 0;
  };
  auto args = std::make_shared<SchemaArgs>();
  auto* schema_get = schema->add_subcommand("get", "show a resource type's schema");
  schema_get->add_option("type", args->type, "customer, interaction or opportunity")
      ->required()
      ->check(CLI::IsMember({"customer", "interaction", "opportunity"}));
  OnParsed(schema_get, chosen, [args] { return SchemaGet(args->type); });
  auto* schema_set = schema->add_subcommand("set", "replace a schema");
  schema_set->add_option("--json", args->json, "AttributeSchema as JSON")->required();
  schema_set->add_option("--revision", args->revision, "expected schema revision");
  OnParsed(schema_set, chosen, [args] { return SchemaSet(args->json, args->revision); });
}

}  // namespace rapport::ctl
