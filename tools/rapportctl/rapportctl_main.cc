// rapportctl: the command-line client for rapportd.
//
//   rapportctl [--server HOST:PORT] --tenant NAME [--output table|json] COMMAND ...
//
//   customers create --display-name NAME [--email E]... [--phone P]... [--json '{...}']
//   customers get ID | by-ref SYSTEM ID | list [--filter F] [--order-by O] [--page-size N] [--all]
//   customers search QUERY | update ID --json '{...}' --mask a,b [--revision N]
//   customers delete ID [--force] [--revision N] | batch-upsert --json '[{...}, ...]'
//   interactions ... / opportunities ...   (same verbs; create takes --json)
//   schema get TYPE | schema set --json '{...}'
//   fsck          check record <-> index <-> feed consistency for the tenant
//   health        ask the server's grpc.health.v1 service
//
// Exit codes: 0 ok, 1 the server refused (message and field violations on
// stderr), 2 usage error, 3 server unreachable.
#include <iostream>
#include <optional>
#include <sstream>

#include "CLI/CLI.hpp"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/interaction.grpc.pb.h"
#include "rapport/v1/opportunity.grpc.pb.h"
#include "rapport/v1/schema.grpc.pb.h"

namespace {

using google::protobuf::Message;
namespace v1 = rapport::v1;

struct Globals {
  std::string server = "127.0.0.1:7700";
  std::string tenant;
  std::string origin;
  std::string output = "table";
  double timeout_s = 30;
};

Globals g;
std::shared_ptr<grpc::Channel> channel;

std::unique_ptr<grpc::ClientContext> Call() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-rapport-tenant", g.tenant);
  if (!g.origin.empty()) ctx->AddMetadata("x-rapport-origin", g.origin);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(g.timeout_s * 1000)));
  return ctx;
}

// Prints the server's refusal, quoting its field violations; returns the exit code.
int Fail(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::cerr << "error: cannot reach rapportd at " << g.server << ": " << status.error_message()
              << "\n";
    return 3;
  }
  static const char* kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                                 "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
                                 "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                 "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  int code = status.error_code();
  std::cerr << "error: " << (code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN") << ": "
            << status.error_message() << "\n";
  google::rpc::Status details;
  if (details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad_request;
      if (!any.UnpackTo(&bad_request)) continue;
      for (const auto& v : bad_request.field_violations()) {
        std::cerr << "  " << v.field() << ": " << v.description() << "\n";
      }
    }
  }
  return 1;
}

int ParseJson(const std::string& json, Message* message) {
  auto status = google::protobuf::util::JsonStringToMessage(json, message);
  if (!status.ok()) {
    std::cerr << "error: --json is not a valid " << message->GetDescriptor()->name() << ": "
              << status.message() << "\n";
    return 2;
  }
  return 0;
}

std::string Json(const Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

// One row per record: the fields a person scanning a list wants.
std::vector<std::string> Row(const Message& m) {
  if (auto* c = dynamic_cast<const v1::Customer*>(&m)) {
    return {c->id(), c->display_name(), c->emails_size() ? c->emails(0) : "",
            c->phones_size() ? c->phones(0) : "",
            v1::LifecycleStage_Name(c->lifecycle_stage()).substr(16), c->owner()};
  }
  if (auto* i = dynamic_cast<const v1::Interaction*>(&m)) {
    return {i->id(), v1::InteractionKind_Name(i->kind()).substr(17), i->customer_id(),
            i->subject(), std::to_string(i->occurred_at().seconds()), i->owner()};
  }
  if (auto* o = dynamic_cast<const v1::Opportunity*>(&m)) {
    return {o->id(), o->name(), o->stage(),
            o->has_amount() ? o->amount().currency_code() + " " + std::to_string(o->amount().units()) : "",
            v1::OpportunityStatus_Name(o->status()).substr(19), o->owner()};
  }
  return {Json(m)};
}

void PrintRecords(const std::vector<const Message*>& records, const std::string& next_token) {
  if (g.output == "json") {
    std::cout << "[";
    for (size_t i = 0; i < records.size(); ++i) std::cout << (i ? ",\n" : "\n") << Json(*records[i]);
    std::cout << "]\n";
  } else {
    for (const Message* m : records) {
      std::string line;
      for (const auto& cell : Row(*m)) line += (line.empty() ? "" : "\t") + cell;
      std::cout << line << "\n";
    }
  }
  if (!next_token.empty()) std::cerr << "next page: --page-token " << next_token << "\n";
}

void PrintRecord(const Message& m) {
  if (g.output == "json") {
    std::cout << Json(m);
  } else {
    // Text format, with UTF-8 (Hangul) printed as text rather than escapes.
    google::protobuf::TextFormat::Printer printer;
    printer.SetUseUtf8StringEscaping(true);
    std::string text;
    printer.PrintToString(m, &text);
    std::cout << text;
  }
}

// The verbs shared by the three resources, bound to one service's stub.
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rapportctl: command-line client for rapportd"};
  app.require_subcommand(1);
  app.add_option("--server", g.server, "rapportd address")->envname("RAPPORT_SERVER")->capture_default_str();
  app.add_option("--tenant", g.tenant, "tenant name (temporary x-rapport-tenant header)")
      ->envname("RAPPORT_TENANT");
  app.add_option("--origin", g.origin, "integration name recorded on writes (x-rapport-origin)");
  app.add_option("--output,-o", g.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", g.timeout_s, "seconds per call")->capture_default_str();

  ResourceCommands a;
  std::string verb;
  auto add_resource = [&](const std::string& name, bool customer) {
    auto* cmd = app.add_subcommand(name, "work with " + name);
    cmd->require_subcommand(1);
    std::vector<std::string> verbs = {"create", "get", "by-ref", "update", "delete", "list"};
    if (customer) {
      verbs.push_back("search");
      verbs.push_back("batch-upsert");
    }
    for (const auto& v : verbs) {
      auto* sub = cmd->add_subcommand(v);
      sub->callback([&verb, v] { verb = v; });
      if (v == "get" || v == "update" || v == "delete") {
        sub->add_option("id", a.positional, "record ID")->required()->expected(1);
      } else if (v == "by-ref") {
        sub->add_option("ref", a.positional, "SYSTEM EXTERNAL_ID")->required()->expected(2);
      } else if (v == "search") {
        sub->add_option("query", a.positional, "name, email or phone prefix")->required()->expected(1);
      }
      if (v == "create" || v == "update" || v == "batch-upsert") {
        sub->add_option("--json", a.json, "the record as JSON (proto field names)");
      }
      if (v == "create") sub->add_option("--request-id", a.request_id, "idempotency key for retries");
      if (v == "update") {
        sub->add_option("--mask", a.mask, "comma-separated fields to change")->required();
        sub->get_option("--json")->required();
      }
      if (v == "update" || v == "delete") sub->add_option("--revision", a.revision, "expected revision");
      if (v == "delete" && customer) sub->add_flag("--force", a.force, "delete even with open opportunities");
      if (v == "list" || v == "search") {
        if (v == "list") {
          sub->add_option("--filter", a.filter, "e.g. 'owner = \"u1\" AND lifecycle_stage = \"lead\"'");
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
    return cmd;
  };
  auto* customers = add_resource("customers", true);
  auto* interactions = add_resource("interactions", false);
  auto* opportunities = add_resource("opportunities", false);

  auto* schema = app.add_subcommand("schema", "custom attribute schemas");
  schema->require_subcommand(1);
  std::string schema_type, schema_json;
  int64_t schema_revision = 0;
  auto* schema_get = schema->add_subcommand("get", "show a resource type's schema");
  schema_get->add_option("type", schema_type, "customer, interaction or opportunity")
      ->required()
      ->check(CLI::IsMember({"customer", "interaction", "opportunity"}));
  auto* schema_set = schema->add_subcommand("set", "replace a schema");
  schema_set->add_option("--json", schema_json, "AttributeSchema as JSON")->required();
  schema_set->add_option("--revision", schema_revision, "expected schema revision");
  auto* fsck = app.add_subcommand("fsck", "check record <-> index <-> feed consistency");
  int max_problems = 0;
  fsck->add_option("--max-problems", max_problems, "stop after this many (default 100)");
  auto* health = app.add_subcommand("health", "ask grpc.health.v1 whether the server serves");

  CLI11_PARSE(app, argc, argv);
  if (g.tenant.empty() && !health->parsed()) {
    std::cerr << "error: --tenant (or RAPPORT_TENANT) is required\n";
    return 2;
  }
  channel = grpc::CreateChannel(g.server, grpc::InsecureChannelCredentials());

  if (customers->parsed()) return CustomersMain(verb, a);
  if (interactions->parsed()) return GenericMain<v1::InteractionService, v1::Interaction>(verb, a);
  if (opportunities->parsed()) return GenericMain<v1::OpportunityService, v1::Opportunity>(verb, a);
  if (schema->parsed()) {
    auto stub = v1::SchemaService::NewStub(channel);
    v1::AttributeSchema out;
    grpc::Status s;
    if (schema_get->parsed()) {
      v1::GetAttributeSchemaRequest r;
      r.set_resource_type(schema_type == "customer"      ? v1::RESOURCE_TYPE_CUSTOMER
                          : schema_type == "interaction" ? v1::RESOURCE_TYPE_INTERACTION
                                                         : v1::RESOURCE_TYPE_OPPORTUNITY);
      s = stub->GetAttributeSchema(Call().get(), r, &out);
    } else {
      v1::UpdateAttributeSchemaRequest r;
      if (ParseJson(schema_json, r.mutable_schema())) return 2;
      r.set_expected_revision(schema_revision);
      s = stub->UpdateAttributeSchema(Call().get(), r, &out);
    }
    if (!s.ok()) return Fail(s);
    std::cout << Json(out);
    return 0;
  }
  if (fsck->parsed()) {
    auto stub = v1::AdminService::NewStub(channel);
    v1::CheckConsistencyRequest r;
    r.set_max_problems(max_problems);
    v1::CheckConsistencyResponse out;
    grpc::Status s = stub->CheckConsistency(Call().get(), r, &out);
    if (!s.ok()) return Fail(s);
    if (g.output == "json") {
      std::cout << Json(out);
    } else {
      std::cout << (out.consistent() ? "consistent" : "INCONSISTENT") << ": "
                << out.records_checked() << " records, " << out.index_entries_checked()
                << " index entries, " << out.feed_events_checked() << " feed events checked\n";
      for (const auto& p : out.problems()) {
        std::cout << "  " << v1::ConsistencyProblemKind_Name(p.kind()) << " "
                  << p.resource_id() << ": " << p.detail() << "\n";
      }
    }
    return out.consistent() ? 0 : 1;
  }
  if (health->parsed()) {
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse out;
    grpc::Status s = stub->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &out);
    if (!s.ok()) return Fail(s);
    std::cout << (out.status() == grpc::health::v1::HealthCheckResponse::SERVING ? "SERVING" : "NOT SERVING") << "\n";
    return out.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
  }
  return 2;
}
