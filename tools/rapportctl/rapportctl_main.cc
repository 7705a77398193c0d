// rapportctl: the command-line client for rapportd.
//
//   rapportctl [--server HOST:PORT] [--token-file F] [--output table|json] COMMAND ...
//
// The bearer token comes from --token-file, else $RAPPORT_TOKEN, else
// $RAPPORT_TOKEN_FILE, else ./data/admin.token. TLS: --tls-ca (server CA),
// plus --tls-cert/--tls-key for mutual TLS.
//
//   customers create --display-name NAME [--email E]... [--phone P]... [--json '{...}']
//   customers get ID | by-ref SYSTEM ID | list [--filter F] [--order-by O] [--page-size N] [--all]
//   customers search QUERY | update ID --json '{...}' --mask a,b [--revision N]
//   customers delete ID [--force] [--revision N] | batch-upsert --json '[{...}, ...]'
//   interactions ... / opportunities ...   (same verbs; create takes --json)
//   schema get TYPE | schema set --json '{...}'
//   whoami | tenants create NAME | tenants list
//   users create ID --role R... [--team T]... | users get ID | users list | users update ID ...
//   teams create ID [--parent P] | teams list | teams update ID --parent P | teams delete ID
//   tokens create --user U --name N [--purpose P] [--expires-in-days D] | tokens list | tokens
//   revoke ID audit         denied calls in the tenant, newest first import FILE.csv|FILE.jsonl
//   --type T [--mapping M.json] [--ignore-column C]... [--block-duplicates] export --type T
//   [--format csv|jsonl] [--filter F] [--out FILE] duplicates --name N [--email E] [--phone P]
//   [--organization] | merge SURVIVOR MERGED feed info [--consumer C] | feed tail [--after N]
//   [--max N] [--exclude-origin O] modules list | show NAME | enable NAME | disable NAME | shadow
//   NAME | check NAME [--user U] modules rollout NAME [--percentage P] [--team T]... [--user U]...
//   [--mode on|shadow]
//                        [--default on|shadow|off] [--kill-switch | --no-kill-switch]
//   modules dead-letters NAME | replay NAME | history NAME
//   sfa METHOD [--json '{...}']   a rapport.sfa.v1.SalesService method (the SFA
//                 module), e.g. sfa SetPipeline --json '{"pipeline": {...}}',
//                 sfa GetFunnel --json '{"pipeline": "new-business"}'; request
//                 and response are the proto's JSON form
//   fsck          check record <-> index <-> feed consistency for the tenant
//   health        ask the server's grpc.health.v1 service
//
// Exit codes: 0 ok, 1 the server refused (message and field violations on
// stderr), 2 usage error, 3 server unreachable.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "CLI/CLI.hpp"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "rapport/sfa/v1/sfa.grpc.pb.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/identity.grpc.pb.h"
#include "rapport/v1/interaction.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/v1/opportunity.grpc.pb.h"
#include "rapport/v1/schema.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tools/common/import_export.h"
#include "tools/common/record_text.h"

namespace {

using google::protobuf::Message;
namespace v1 = rapport::v1;

struct Globals {
  std::string server = "127.0.0.1:7700";
  std::string token;
  std::string token_file;
  std::string tls_ca, tls_cert, tls_key;
  std::string origin;
  std::string output = "table";
  double timeout_s = 30;
};

Globals g;
std::shared_ptr<grpc::Channel> channel;

std::unique_ptr<grpc::ClientContext> Call() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + g.token);
  if (!g.origin.empty()) ctx->AddMetadata("x-rapport-origin", g.origin);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(g.timeout_s * 1000)));
  return ctx;
}

// Prints the server's refusal, quoting its field violations; returns the exit code.
// Whether rapportd itself answered `status`: every error it sends carries a
// google.rpc.ErrorInfo of domain "rapport.dev"; a transport failure (no
// server, connection lost, deadline passed in transit) has none.
bool AnsweredByServer(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return false;
  }
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info) && info.domain() == "rapport.dev") return true;
  }
  return false;
}

int Fail(const grpc::Status& status) {
  if ((status.error_code() == grpc::StatusCode::UNAVAILABLE ||
       status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) &&
      !AnsweredByServer(status)) {
    std::cerr << "error: cannot reach rapportd at " << g.server << ": " << status.error_message()
              << "\n";
    return 3;
  }
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
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
    return {c->id(),
            c->display_name(),
            c->emails_size() ? c->emails(0) : "",
            c->phones_size() ? c->phones(0) : "",
            v1::LifecycleStage_Name(c->lifecycle_stage()).substr(16),
            c->owner()};
  }
  if (auto* i = dynamic_cast<const v1::Interaction*>(&m)) {
    return {i->id(),      v1::InteractionKind_Name(i->kind()).substr(17), i->customer_id(),
            i->subject(), std::to_string(i->occurred_at().seconds()),     i->owner()};
  }
  if (auto* o = dynamic_cast<const v1::Opportunity*>(&m)) {
    return {o->id(),
            o->name(),
            o->stage(),
            o->has_amount()
                ? o->amount().currency_code() + " " + std::to_string(o->amount().units())
                : "",
            v1::OpportunityStatus_Name(o->status()).substr(19),
            o->owner()};
  }
  return {Json(m)};
}

void PrintRecords(const std::vector<const Message*>& records, const std::string& next_token) {
  if (g.output == "json") {
    std::cout << "[";
    for (size_t i = 0; i < records.size(); ++i)
      std::cout << (i ? ",\n" : "\n") << Json(*records[i]);
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

struct IdentityArgs {
  std::string id, display_name, email, parent, user, purpose, team;
  std::vector<std::string> roles, teams;
  bool disabled = false;
  int expires_days = 0;
  int limit = 0;
};

v1::Role RoleFromName(const std::string& name) {
  if (name == "admin") return v1::ROLE_ADMIN;
  if (name == "manager") return v1::ROLE_MANAGER;
  if (name == "rep") return v1::ROLE_REP;
  if (name == "viewer") return v1::ROLE_VIEWER;
  return v1::ROLE_INTEGRATION;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream content;
  content << in.rdbuf();
  std::string s = content.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// --token-file, $RAPPORT_TOKEN, $RAPPORT_TOKEN_FILE, ./data/admin.token.
int ResolveToken() {
  std::string source;
  if (!g.token_file.empty()) {
    g.token = ReadFileOrEmpty(g.token_file);
    source = g.token_file;
  } else if (const char* env = std::getenv("RAPPORT_TOKEN"); env && *env) {
    g.token = env;
    source = "$RAPPORT_TOKEN";
  } else if (const char* file = std::getenv("RAPPORT_TOKEN_FILE"); file && *file) {
    g.token = ReadFileOrEmpty(file);
    source = file;
  } else {
    g.token = ReadFileOrEmpty("data/admin.token");
    source = "data/admin.token";
  }
  if (g.token.empty()) {
    std::cerr << "error: no API token: pass --token-file FILE or set RAPPORT_TOKEN (tried "
              << source << ")\n";
    return 2;
  }
  return 0;
}

int OpenChannel() {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (g.tls_cert.empty() != g.tls_key.empty()) {
    std::cerr << "error: --tls-cert and --tls-key go together\n";
    return 2;
  }
  if (!g.tls_ca.empty() || !g.tls_cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFileOrEmpty(g.tls_ca);
    if (!g.tls_cert.empty()) {
      ssl.pem_cert_chain = ReadFileOrEmpty(g.tls_cert);
      ssl.pem_private_key = ReadFileOrEmpty(g.tls_key);
      if (ssl.pem_cert_chain.empty() || ssl.pem_private_key.empty()) {
        std::cerr << "error: --tls-cert and --tls-key must both name readable PEM files\n";
        return 2;
      }
    }
    if (!g.tls_ca.empty() && ssl.pem_root_certs.empty()) {
      std::cerr << "error: cannot read --tls-ca " << g.tls_ca << "\n";
      return 2;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  channel = grpc::CreateChannel(g.server, credentials);
  return 0;
}

struct SyncArgs {
  std::string file, type, format, mapping, filter, out, name, survivor, merged, consumer;
  std::vector<std::string> ignore, types, emails, phones, exclude_origins;
  bool block_duplicates = false, preserve_ids = false, organization = false;
  uint64_t after = 0;
  uint32_t max_events = 0;
};

v1::ResourceType TypeFromName(const std::string& name) {
  if (name == "customer") return v1::RESOURCE_TYPE_CUSTOMER;
  if (name == "interaction") return v1::RESOURCE_TYPE_INTERACTION;
  return v1::RESOURCE_TYPE_OPPORTUNITY;
}

int Fail(const absl::Status& status) {
  // Local problems (files, columns, mapping) are usage errors.
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    std::cerr << "error: " << status.message() << "\n";
    return 2;
  }
  return Fail(
      grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message())));
}

absl::StatusOr<v1::AttributeSchema> FetchSchema(v1::ResourceType type) {
  auto stub = v1::SchemaService::NewStub(channel);
  v1::GetAttributeSchemaRequest r;
  r.set_resource_type(type);
  v1::AttributeSchema schema;
  grpc::Status s = stub->GetAttributeSchema(Call().get(), r, &schema);
  if (!s.ok())
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  return schema;
}

// A progress bar on a terminal, plain lines otherwise.
void ShowProgress(const rapport::tools::ImportProgress& p) {
  static double last_line = -10;
  const bool tty = isatty(STDERR_FILENO);
  double rate = p.seconds > 0 ? p.rows / p.seconds : 0;
  double fraction = p.total_bytes ? static_cast<double>(p.bytes) / p.total_bytes : 0;
  double eta = fraction > 0 ? p.seconds * (1 - fraction) / fraction : 0;
  if (tty) {
    int filled = static_cast<int>(fraction * 30);
    std::fprintf(stderr, "\r[%-30s] %5.1f%%  %llu rows  %.0f rows/s  ETA %ds   ",
                 std::string(filled, '=').c_str(), fraction * 100,
                 static_cast<unsigned long long>(p.rows), rate, static_cast<int>(eta));
    if (p.done) std::fprintf(stderr, "\n");
  } else if (p.done || p.seconds - last_line >= 5) {
    last_line = p.seconds;
    std::fprintf(stderr, "import: %llu rows (%.1f%%), %.0f rows/s%s\n",
                 static_cast<unsigned long long>(p.rows), fraction * 100, rate,
                 p.done ? ", done" : "");
  }
}

int SyncMain(const SyncArgs& sy, bool import_cmd, bool export_cmd, bool duplicates, bool merge,
             bool feed_info, bool feed_tail) {
  auto data = v1::DataService::NewStub(channel);
  if (import_cmd) {
    rapport::tools::ImportOptions options;
    options.type = TypeFromName(sy.type);
    options.path = sy.file;
    options.format = sy.format;
    options.mapping_file = sy.mapping;
    options.ignore_columns = sy.ignore;
    options.duplicate_policy =
        sy.block_duplicates ? v1::DUPLICATE_POLICY_BLOCK : v1::DUPLICATE_POLICY_ALLOW;
    options.preserve_ids = sy.preserve_ids;
    options.on_progress = ShowProgress;
    auto schema = FetchSchema(options.type);
    if (!schema.ok()) return Fail(schema.status());
    auto context = Call();
    context->set_deadline(std::chrono::system_clock::time_point::max());
    auto summary = rapport::tools::ImportFile(*data, std::move(context), *schema, options);
    if (!summary.ok()) return Fail(summary.status());
    if (g.output == "json") {
      std::cout << Json(*summary);
    } else {
      std::cout << "rows " << summary->rows() << ": created " << summary->created() << ", updated "
                << summary->updated() << ", unchanged " << summary->unchanged() << ", failed "
                << summary->failed() << "\n";
      for (const auto& e : summary->errors()) {
        std::cout << "  line " << e.line() << (e.field().empty() ? "" : " " + e.field()) << ": "
                  << e.message() << "\n";
      }
      for (const auto& d : summary->duplicates()) {
        std::cout << "  line " << d.line() << ": created " << d.id() << ", which looks like "
                  << rapport::tools::CsvCell(d.matching_ids(0))
                  << (d.matching_ids_size() > 1 ? " and others" : "") << "\n";
      }
    }
    return summary->failed() == 0 ? 0 : 1;
  }
  if (export_cmd) {
    v1::ExportRequest request;
    for (const auto& t : sy.types) request.add_resource_types(TypeFromName(t));
    request.set_filter(sy.filter);
    std::string format = sy.format.empty() ? "jsonl" : sy.format;
    v1::AttributeSchema schema;
    if (format == "csv") {
      if (request.resource_types_size() != 1) {
        std::cerr << "error: CSV export takes exactly one --type\n";
        return 2;
      }
      auto fetched = FetchSchema(request.resource_types(0));
      if (!fetched.ok()) return Fail(fetched.status());
      schema = *fetched;
    }
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (!sy.out.empty()) {
      file.open(sy.out, std::ios::binary);
      if (!file) {
        std::cerr << "error: cannot write " << sy.out << "\n";
        return 2;
      }
      out = &file;
    }
    auto context = Call();
    context->set_deadline(std::chrono::system_clock::time_point::max());
    auto count = rapport::tools::ExportTo(*data, std::move(context), request, schema, format, *out);
    if (!count.ok()) return Fail(count.status());
    std::cerr << "exported " << *count << " records\n";
    return 0;
  }
  if (duplicates) {
    v1::FindDuplicatesRequest r;
    r.mutable_customer()->set_display_name(sy.name);
    if (sy.organization) r.mutable_customer()->set_kind(v1::CUSTOMER_KIND_ORGANIZATION);
    for (const auto& e : sy.emails) r.mutable_customer()->add_emails(e);
    for (const auto& p : sy.phones) r.mutable_customer()->add_phones(p);
    v1::FindDuplicatesResponse out;
    grpc::Status s = data->FindDuplicates(Call().get(), r, &out);
    if (!s.ok()) return Fail(s);
    PrintRecord(out);
    return 0;
  }
  if (merge) {
    v1::MergeCustomersRequest r;
    r.set_survivor_id(sy.survivor);
    r.set_merged_id(sy.merged);
    v1::Customer out;
    grpc::Status s = data->MergeCustomers(Call().get(), r, &out);
    if (!s.ok()) return Fail(s);
    PrintRecord(out);
    return 0;
  }
  auto events = v1::EventService::NewStub(channel);
  if (feed_info) {
    v1::GetFeedInfoRequest r;
    r.set_consumer(sy.consumer);
    v1::GetFeedInfoResponse out;
    grpc::Status s = events->GetFeedInfo(Call().get(), r, &out);
    if (!s.ok()) return Fail(s);
    PrintRecord(out);
    return 0;
  }
  if (feed_tail) {
    v1::SubscribeRequest r;
    r.set_after_sequence(sy.after);
    r.set_from_now(sy.after == 0);
    r.set_max_events(sy.max_events);
    for (const auto& o : sy.exclude_origins) r.add_exclude_origins(o);
    auto context = Call();
    context->set_deadline(std::chrono::system_clock::time_point::max());
    auto reader = events->Subscribe(context.get(), r);
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      if (!response.has_event()) continue;  // heartbeat
      const auto& e = response.event();
      std::cout << e.sequence() << "\t" << v1::ChangeOperation_Name(e.operation()).substr(17)
                << "\t" << (e.subject().empty() ? e.resource_id() : e.subject()) << "\t"
                << e.principal() << "\t" << e.origin() << "\n"
                << std::flush;
    }
    grpc::Status s = reader->Finish();
    return s.ok() ? 0 : Fail(s);
  }
  return 2;
}

struct ModuleArgs {
  std::string module, user, mode, default_mode;
  std::vector<std::string> teams, users;
  int percentage = -1;
  bool kill_switch = false;
};

v1::ModuleMode ModeFromName(const std::string& name) {
  if (name == "on") return v1::MODULE_MODE_ON;
  if (name == "shadow") return v1::MODULE_MODE_SHADOW;
  return v1::MODULE_MODE_OFF;
}

// Calls `service`'s method `name` (its descriptor is compiled in) with a
// JSON request, printing the JSON response: one code path for every method
// of a plugin's API.
int CallByName(const google::protobuf::ServiceDescriptor* service, const std::string& name,
               const std::string& json) {
  const google::protobuf::MethodDescriptor* method = service->FindMethodByName(name);
  if (method == nullptr) {
    std::string names;
    for (int i = 0; i < service->method_count(); ++i) {
      names += (i ? ", " : "") + service->method(i)->name();
    }
    std::cerr << "error: " << service->full_name() << " has no method '" << name
              << "' (methods: " << names << ")\n";
    return 2;
  }
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<Message> request(factory->GetPrototype(method->input_type())->New());
  std::unique_ptr<Message> response(factory->GetPrototype(method->output_type())->New());
  if (!json.empty() && ParseJson(json, request.get())) return 2;
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto ctx = Call();
  grpc::Slice slice(request->SerializeAsString());
  grpc::ByteBuffer request_bytes(&slice, 1), response_bytes;
  auto call =
      stub.PrepareUnaryCall(ctx.get(), "/" + service->full_name() + "/" + name, request_bytes, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response_bytes, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return Fail(status);
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response_bytes.Dump(&slices).ok()) {
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!response->ParseFromString(bytes)) {
    std::cerr << "error: unreadable " << method->output_type()->full_name() << " from the server\n";
    return 1;
  }
  std::cout << Json(*response);
  return 0;
}

int ModulesMain(const std::string& verb, const ModuleArgs& mo, CLI::App* sub) {
  auto stub = v1::ModuleService::NewStub(channel);
  grpc::Status s;
  std::unique_ptr<Message> out;
  if (verb == "list") {
    auto r = std::make_unique<v1::ListModulesResponse>();
    s = stub->ListModules(Call().get(), v1::ListModulesRequest(), r.get());
    if (s.ok() && g.output == "table") {
      for (const auto& m : r->modules()) {
        std::cout << m.name() << "\t" << m.version() << "\t" << m.state() << "\t"
                  << (m.last_error().empty() ? "" : m.last_error()) << "\n";
      }
      return 0;
    }
    out = std::move(r);
  } else if (verb == "show") {
    v1::ListModulesResponse all;
    s = stub->ListModules(Call().get(), v1::ListModulesRequest(), &all);
    if (!s.ok()) return Fail(s);
    for (const auto& m : all.modules()) {
      if (m.name() == mo.module) PrintRecord(m);
    }
    v1::GetRolloutRequest r;
    r.set_module(mo.module);
    auto rule = std::make_unique<v1::RolloutRule>();
    s = stub->GetRollout(Call().get(), r, rule.get());
    out = std::move(rule);
  } else if (verb == "enable" || verb == "disable" || verb == "shadow" || verb == "rollout") {
    v1::GetRolloutRequest get;
    get.set_module(mo.module);
    v1::RolloutRule rule;
    s = stub->GetRollout(Call().get(), get, &rule);
    if (!s.ok()) return Fail(s);
    if (verb == "enable" || verb == "disable" || verb == "shadow") {
      // The whole tenant: targeted users, teams and cohort included.
      v1::ModuleMode mode = verb == "enable"   ? v1::MODULE_MODE_ON
                            : verb == "shadow" ? v1::MODULE_MODE_SHADOW
                                               : v1::MODULE_MODE_OFF;
      rule.set_default_mode(mode);
      rule.set_mode(mode);
      rule.set_kill_switch(false);
    } else {
      if (!mo.mode.empty()) rule.set_mode(ModeFromName(mo.mode));
      if (rule.mode() == v1::MODULE_MODE_UNSPECIFIED) rule.set_mode(v1::MODULE_MODE_ON);
      if (mo.percentage >= 0 || sub->count("--percentage")) rule.set_percentage(mo.percentage);
      if (sub->count("--team")) {
        rule.clear_team_ids();
        for (const auto& t : mo.teams) rule.add_team_ids(t);
      }
      if (sub->count("--user")) {
        rule.clear_user_ids();
        for (const auto& u : mo.users) rule.add_user_ids(u);
      }
      if (!mo.default_mode.empty()) rule.set_default_mode(ModeFromName(mo.default_mode));
      if (sub->count("--kill-switch") || sub->count("--no-kill-switch"))
        rule.set_kill_switch(mo.kill_switch);
    }
    v1::SetRolloutRequest set;
    *set.mutable_rule() = rule;
    set.set_expected_revision(rule.revision());
    auto result = std::make_unique<v1::RolloutRule>();
    s = stub->SetRollout(Call().get(), set, result.get());
    out = std::move(result);
  } else if (verb == "check") {
    v1::CheckModuleRequest r;
    r.set_module(mo.module);
    r.set_user_id(mo.user);
    auto result = std::make_unique<v1::CheckModuleResponse>();
    s = stub->CheckModule(Call().get(), r, result.get());
    out = std::move(result);
  } else if (verb == "dead-letters") {
    v1::ListDeadLettersRequest r;
    r.set_module(mo.module);
    auto result = std::make_unique<v1::ListDeadLettersResponse>();
    s = stub->ListDeadLetters(Call().get(), r, result.get());
    out = std::move(result);
  } else if (verb == "replay") {
    v1::ReplayDeadLettersRequest r;
    r.set_module(mo.module);
    auto result = std::make_unique<v1::ReplayDeadLettersResponse>();
    s = stub->ReplayDeadLetters(Call().get(), r, result.get());
    out = std::move(result);
  } else if (verb == "history") {
    v1::ListRolloutHistoryRequest r;
    r.set_module(mo.module);
    auto result = std::make_unique<v1::ListRolloutHistoryResponse>();
    s = stub->ListRolloutHistory(Call().get(), r, result.get());
    out = std::move(result);
  }
  if (!s.ok()) return Fail(s);
  if (g.output == "json") {
    std::cout << Json(*out);
  } else {
    PrintRecord(*out);
  }
  return 0;
}

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
  app.add_option("--server", g.server, "rapportd address")
      ->envname("RAPPORT_SERVER")
      ->capture_default_str();
  app.add_option("--token-file", g.token_file,
                 "file holding the API token (else $RAPPORT_TOKEN, $RAPPORT_TOKEN_FILE, "
                 "./data/admin.token)");
  app.add_option("--tls-ca", g.tls_ca, "PEM CA to verify the server: use TLS");
  app.add_option("--tls-cert", g.tls_cert, "PEM client certificate (mutual TLS)");
  app.add_option("--tls-key", g.tls_key, "PEM client key (mutual TLS)");
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
  auto* sfa = app.add_subcommand("sfa", "the SFA module's API (rapport.sfa.v1.SalesService)");
  std::string sfa_method, sfa_json;
  sfa->add_option("method", sfa_method,
                  "method name, e.g. SetPipeline, GetFunnel, GetForecast, CreateTask")
      ->required();
  sfa->add_option("--json", sfa_json, "the request in the proto's JSON form (default: empty)");
  auto* fsck = app.add_subcommand("fsck", "check record <-> index <-> feed consistency");
  int max_problems = 0;
  fsck->add_option("--max-problems", max_problems, "stop after this many (default 100)");
  auto* health = app.add_subcommand("health", "ask grpc.health.v1 whether the server serves");

  // Identity and access.
  IdentityArgs id;
  auto* whoami = app.add_subcommand("whoami", "the caller's tenant, user, roles and teams");
  auto* tenants = app.add_subcommand("tenants", "tenants (operator only)");
  tenants->require_subcommand(1);
  auto* tenants_create =
      tenants->add_subcommand("create", "create a tenant and its first admin token");
  tenants_create->add_option("name", id.id, "tenant name")->required();
  tenants_create->add_option("--display-name", id.display_name, "display name");
  auto* tenants_list = tenants->add_subcommand("list", "list tenants");
  auto* users = app.add_subcommand("users", "users of the tenant (admin only)");
  users->require_subcommand(1);
  auto* users_create = users->add_subcommand("create", "create a user");
  auto* users_update = users->add_subcommand("update", "change a user's roles, teams or state");
  for (auto* sub : {users_create, users_update}) {
    sub->add_option("id", id.id, "user ID, e.g. minsu.kim")->required();
    sub->add_option("--role", id.roles, "admin, manager, rep, viewer or integration (repeatable)")
        ->check(CLI::IsMember({"admin", "manager", "rep", "viewer", "integration"}));
    sub->add_option("--team", id.teams, "team ID (repeatable)");
    sub->add_option("--display-name", id.display_name, "display name");
    sub->add_option("--email", id.email, "email");
  }
  users_update->add_flag("--disable,!--enable", id.disabled, "disable (or enable) the user");
  auto* users_get = users->add_subcommand("get", "show a user");
  users_get->add_option("id", id.id, "user ID")->required();
  auto* users_list = users->add_subcommand("list", "list users");
  users_list->add_option("--team", id.team, "only members of this team");
  auto* teams = app.add_subcommand("teams", "teams of the tenant");
  teams->require_subcommand(1);
  auto* teams_create = teams->add_subcommand("create", "create a team");
  auto* teams_update = teams->add_subcommand("update", "move or rename a team");
  for (auto* sub : {teams_create, teams_update}) {
    sub->add_option("id", id.id, "team ID, e.g. seoul-sales")->required();
    sub->add_option("--parent", id.parent, "parent team ID");
    sub->add_option("--display-name", id.display_name, "display name");
  }
  auto* teams_delete = teams->add_subcommand("delete", "delete an empty team");
  teams_delete->add_option("id", id.id, "team ID")->required();
  auto* teams_list = teams->add_subcommand("list", "list teams");
  auto* tokens = app.add_subcommand("tokens", "API tokens (admin only)");
  tokens->require_subcommand(1);
  auto* tokens_create =
      tokens->add_subcommand("create", "create a token; its secret is printed once");
  tokens_create->add_option("--user", id.user, "the user the token acts as")->required();
  tokens_create->add_option("--name", id.display_name, "a name for the token")->required();
  tokens_create->add_option("--purpose", id.purpose, "what it is for");
  tokens_create->add_option("--expires-in-days", id.expires_days, "expiry")
      ->check(CLI::PositiveNumber);
  auto* tokens_list = tokens->add_subcommand("list", "list tokens (never secrets)");
  tokens_list->add_option("--user", id.user, "only this user's tokens");
  auto* tokens_revoke =
      tokens->add_subcommand("revoke", "revoke a token (effective within a second)");
  tokens_revoke->add_option("id", id.id, "token ID")->required();
  auto* audit = app.add_subcommand("audit", "denied calls in the tenant, newest first");
  audit->add_option("--limit", id.limit, "entries (default 100)");

  // Bulk data and the feed.
  SyncArgs sy;
  const std::vector<std::string> kTypes = {"customer", "interaction", "opportunity"};
  auto* import_cmd = app.add_subcommand("import", "upsert rows from a CSV or JSONL file");
  import_cmd->add_option("file", sy.file, "FILE.csv, FILE.jsonl or - (CSV on stdin)")->required();
  import_cmd->add_option("--type", sy.type, "resource type")
      ->required()
      ->check(CLI::IsMember(kTypes));
  import_cmd->add_option("--format", sy.format, "csv or jsonl (default: from the extension)");
  import_cmd->add_option("--mapping", sy.mapping,
                         "JSON {\"columns\": {\"CSV header\": \"field\"}}");
  import_cmd->add_option("--ignore-column", sy.ignore, "skip this CSV column (repeatable)");
  import_cmd->add_flag("--block-duplicates", sy.block_duplicates,
                       "refuse new customers matching existing ones (default: import and report)");
  import_cmd->add_flag("--preserve-ids", sy.preserve_ids,
                       "create rows with their own id (restore an export)");
  auto* export_cmd = app.add_subcommand("export", "write a consistent snapshot as CSV or JSONL");
  export_cmd->add_option("--type", sy.types, "resource type (repeatable; CSV takes one)")
      ->check(CLI::IsMember(kTypes));
  export_cmd->add_option("--format", sy.format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  export_cmd->add_option("--filter", sy.filter, "only matching records");
  export_cmd->add_option("--out", sy.out, "output file (default: stdout)");
  auto* duplicates = app.add_subcommand("duplicates", "customers matching these details");
  duplicates->add_option("--name", sy.name, "display name");
  duplicates->add_option("--email", sy.emails, "email (repeatable)");
  duplicates->add_option("--phone", sy.phones, "phone (repeatable)");
  duplicates->add_flag("--organization", sy.organization, "match as an organisation name");
  auto* merge = app.add_subcommand("merge", "merge MERGED into SURVIVOR");
  merge->add_option("survivor", sy.survivor, "customer that stays")->required();
  merge->add_option("merged", sy.merged, "customer merged away")->required();
  auto* feed = app.add_subcommand("feed", "the change feed");
  feed->require_subcommand(1);
  auto* feed_info = feed->add_subcommand("info", "oldest and head sequence");
  feed_info->add_option("--consumer", sy.consumer, "also show this consumer's cursor");
  auto* feed_tail = feed->add_subcommand("tail", "print events as they happen");
  feed_tail->add_option("--after", sy.after, "start after this sequence (default: now)");
  feed_tail->add_option("--max", sy.max_events, "stop after this many events");
  feed_tail->add_option("--exclude-origin", sy.exclude_origins, "skip events from this origin");

  ModuleArgs mo;
  auto* modules = app.add_subcommand("modules", "plugins: what is loaded, and who has them");
  modules->require_subcommand(1);
  std::map<std::string, CLI::App*> module_cmds;
  for (const auto& [verb, help] : std::vector<std::pair<std::string, std::string>>{
           {"list", "loaded and refused modules"},
           {"show", "one module and its rollout rule"},
           {"enable", "on for the whole tenant"},
           {"disable", "off for the whole tenant"},
           {"shadow", "shadow for the whole tenant (hooks run, nothing enforced)"},
           {"rollout", "staged rollout: teams, users, percentage, kill switch"},
           {"check", "is the module on for a user, and why"},
           {"dead-letters", "post-commit events that failed every retry"},
           {"replay", "run the dead letters again"},
           {"history", "rollout changes (from the feed)"}}) {
    auto* sub = modules->add_subcommand(verb, help);
    if (verb != "list") sub->add_option("module", mo.module, "module name")->required();
    module_cmds[verb] = sub;
  }
  auto* rollout = module_cmds["rollout"];
  rollout->add_option("--percentage", mo.percentage, "percentage of users (0-100)");
  rollout->add_option("--team", mo.teams, "targeted team (repeatable)");
  rollout->add_option("--user", mo.users, "targeted user (repeatable)");
  rollout
      ->add_option("--mode", mo.mode,
                   "mode for the targeted (on or shadow; default: unchanged, else on)")
      ->check(CLI::IsMember({"on", "shadow"}));
  rollout->add_option("--default", mo.default_mode, "mode for everyone else")
      ->check(CLI::IsMember({"on", "shadow", "off"}));
  rollout->add_flag("--kill-switch,!--no-kill-switch", mo.kill_switch, "off for everyone at once");
  module_cmds["check"]->add_option("--user", mo.user, "user to check (default: you)");

  CLI11_PARSE(app, argc, argv);
  if (!health->parsed()) {
    if (int rc = ResolveToken(); rc != 0) return rc;
  }
  if (int rc = OpenChannel(); rc != 0) return rc;

  if (whoami->parsed() || tenants->parsed() || users->parsed() || teams->parsed() ||
      tokens->parsed() || audit->parsed()) {
    auto stub = v1::IdentityService::NewStub(channel);
    grpc::Status s;
    std::unique_ptr<Message> out;
    auto run = [&](auto request, auto method, auto response) {
      s = ((*stub).*method)(Call().get(), request, response.get());
      out = std::move(response);
    };
    if (whoami->parsed()) {
      run(v1::GetCallerRequest(), &v1::IdentityService::Stub::GetCaller,
          std::make_unique<v1::GetCallerResponse>());
    } else if (tenants_create->parsed()) {
      v1::CreateTenantRequest r;
      r.mutable_tenant()->set_name(id.id);
      r.mutable_tenant()->set_display_name(id.display_name.empty() ? id.id : id.display_name);
      run(r, &v1::IdentityService::Stub::CreateTenant,
          std::make_unique<v1::CreateTenantResponse>());
    } else if (tenants_list->parsed()) {
      run(v1::ListTenantsRequest(), &v1::IdentityService::Stub::ListTenants,
          std::make_unique<v1::ListTenantsResponse>());
    } else if (users_create->parsed() || users_update->parsed()) {
      v1::User u;
      u.set_id(id.id);
      u.set_display_name(id.display_name);
      u.set_email(id.email);
      for (const auto& r : id.roles) u.add_roles(RoleFromName(r));
      for (const auto& t : id.teams) u.add_team_ids(t);
      if (users_create->parsed()) {
        v1::CreateUserRequest r;
        *r.mutable_user() = u;
        run(r, &v1::IdentityService::Stub::CreateUser, std::make_unique<v1::User>());
      } else {
        v1::UpdateUserRequest r;
        u.set_disabled(id.disabled);
        *r.mutable_user() = u;
        if (users_update->count("--role")) r.mutable_update_mask()->add_paths("roles");
        if (users_update->count("--team")) r.mutable_update_mask()->add_paths("team_ids");
        if (users_update->count("--display-name"))
          r.mutable_update_mask()->add_paths("display_name");
        if (users_update->count("--email")) r.mutable_update_mask()->add_paths("email");
        if (users_update->count("--disable") || users_update->count("--enable"))
          r.mutable_update_mask()->add_paths("disabled");
        run(r, &v1::IdentityService::Stub::UpdateUser, std::make_unique<v1::User>());
      }
    } else if (users_get->parsed()) {
      v1::GetUserRequest r;
      r.set_id(id.id);
      run(r, &v1::IdentityService::Stub::GetUser, std::make_unique<v1::User>());
    } else if (users_list->parsed()) {
      v1::ListUsersRequest r;
      r.set_team_id(id.team);
      run(r, &v1::IdentityService::Stub::ListUsers, std::make_unique<v1::ListUsersResponse>());
    } else if (teams_create->parsed()) {
      v1::CreateTeamRequest r;
      r.mutable_team()->set_id(id.id);
      r.mutable_team()->set_parent_team_id(id.parent);
      r.mutable_team()->set_display_name(id.display_name);
      run(r, &v1::IdentityService::Stub::CreateTeam, std::make_unique<v1::Team>());
    } else if (teams_update->parsed()) {
      v1::UpdateTeamRequest r;
      r.mutable_team()->set_id(id.id);
      r.mutable_team()->set_parent_team_id(id.parent);
      r.mutable_team()->set_display_name(id.display_name);
      if (teams_update->count("--parent")) r.mutable_update_mask()->add_paths("parent_team_id");
      if (teams_update->count("--display-name")) r.mutable_update_mask()->add_paths("display_name");
      run(r, &v1::IdentityService::Stub::UpdateTeam, std::make_unique<v1::Team>());
    } else if (teams_delete->parsed()) {
      v1::DeleteTeamRequest r;
      r.set_id(id.id);
      run(r, &v1::IdentityService::Stub::DeleteTeam, std::make_unique<google::protobuf::Empty>());
    } else if (teams_list->parsed()) {
      run(v1::ListTeamsRequest(), &v1::IdentityService::Stub::ListTeams,
          std::make_unique<v1::ListTeamsResponse>());
    } else if (tokens_create->parsed()) {
      v1::CreateTokenRequest r;
      r.mutable_token()->set_user_id(id.user);
      r.mutable_token()->set_name(id.display_name);
      r.mutable_token()->set_purpose(id.purpose);
      if (id.expires_days > 0) {
        auto expiry = std::chrono::system_clock::now() + std::chrono::hours(24 * id.expires_days);
        r.mutable_token()->mutable_expire_time()->set_seconds(
            std::chrono::duration_cast<std::chrono::seconds>(expiry.time_since_epoch()).count());
      }
      run(r, &v1::IdentityService::Stub::CreateToken, std::make_unique<v1::CreateTokenResponse>());
    } else if (tokens_list->parsed()) {
      v1::ListTokensRequest r;
      r.set_user_id(id.user);
      run(r, &v1::IdentityService::Stub::ListTokens, std::make_unique<v1::ListTokensResponse>());
    } else if (tokens_revoke->parsed()) {
      v1::RevokeTokenRequest r;
      r.set_id(id.id);
      run(r, &v1::IdentityService::Stub::RevokeToken, std::make_unique<v1::ApiToken>());
    } else if (audit->parsed()) {
      v1::ListAuditEntriesRequest r;
      r.set_page_size(id.limit);
      run(r, &v1::IdentityService::Stub::ListAuditEntries,
          std::make_unique<v1::ListAuditEntriesResponse>());
    }
    if (!s.ok()) return Fail(s);
    if (g.output == "json") {
      std::cout << Json(*out);
    } else {
      PrintRecord(*out);
    }
    return 0;
  }

  if (import_cmd->parsed() || export_cmd->parsed() || duplicates->parsed() || merge->parsed() ||
      feed->parsed()) {
    return SyncMain(sy, import_cmd->parsed(), export_cmd->parsed(), duplicates->parsed(),
                    merge->parsed(), feed_info->parsed(), feed_tail->parsed());
  }
  if (sfa->parsed()) {
    // Through a message of the file, so its descriptors are linked in.
    return CallByName(
        rapport::sfa::v1::Pipeline::descriptor()->file()->FindServiceByName("SalesService"),
        sfa_method, sfa_json);
  }
  if (modules->parsed()) {
    for (const auto& [verb, sub] : module_cmds) {
      if (sub->parsed()) return ModulesMain(verb, mo, sub);
    }
  }
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
        std::cout << "  " << v1::ConsistencyProblemKind_Name(p.kind()) << " " << p.resource_id()
                  << ": " << p.detail() << "\n";
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
    std::cout << (out.status() == grpc::health::v1::HealthCheckResponse::SERVING ? "SERVING"
                                                                                 : "NOT SERVING")
              << "\n";
    return out.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
  }
  return 2;
}
