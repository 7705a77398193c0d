// rapportctl import, export, duplicates, merge and feed: living beside
// other systems (rapport.v1.DataService and EventService).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rapport/v1/schema.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tools/common/import_export.h"
#include "tools/common/record_text.h"
#include "tools/rapportctl/commands.h"
#include "tools/rapportctl/progress.h"

namespace rapport::ctl {
namespace {

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

int Import(const SyncArgs& sy) {
  auto data = v1::DataService::NewStub(channel);
  tools::ImportOptions options;
  options.type = TypeFromName(sy.type);
  options.path = sy.file;
  options.format = sy.format;
  options.mapping_file = sy.mapping;
  options.ignore_columns = sy.ignore;
  options.duplicate_policy =
      sy.block_duplicates ? v1::DUPLICATE_POLICY_BLOCK : v1::DUPLICATE_POLICY_ALLOW;
  options.preserve_ids = sy.preserve_ids;
  Progress progress("import", "rows");
  options.on_progress = [&progress](const tools::ImportProgress& p) {
    const double fraction = p.total_bytes ? static_cast<double>(p.bytes) / p.total_bytes : -1;
    if (p.done) {
      progress.Finish(p.rows, fraction);
    } else {
      progress.Update(p.rows, fraction);
    }
  };
  auto schema = FetchSchema(options.type);
  if (!schema.ok()) return Fail(schema.status());
  auto context = Call();
  context->set_deadline(std::chrono::system_clock::time_point::max());
  auto summary = tools::ImportFile(*data, std::move(context), *schema, options);
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
                << tools::CsvCell(d.matching_ids(0))
                << (d.matching_ids_size() > 1 ? " and others" : "") << "\n";
    }
  }
  return summary->failed() == 0 ? 0 : 1;
}

int Export(const SyncArgs& sy) {
  auto data = v1::DataService::NewStub(channel);
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
  Progress progress("export", "records");
  auto count = tools::ExportTo(*data, std::move(context), request, schema, format, *out,
                               [&progress](uint64_t n) { progress.Update(n); });
  if (!count.ok()) return Fail(count.status());
  progress.Finish(*count);  // "export: 2 records, ... done"
  return 0;
}

int Duplicates(const SyncArgs& sy) {
  auto data = v1::DataService::NewStub(channel);
  v1::FindDuplicatesRequest r;
  r.mutable_customer()->set_display_name(sy.name);
  if (sy.organization) r.mutable_customer()->set_kind(v1::CUSTOMER_KIND_ORGANIZATION);
  for (const auto& e : sy.emails) r.mutable_customer()->add_emails(e);
  for (const auto& p : sy.phones) r.mutable_customer()->add_phones(p);
  return CallAndPrint(*data, &v1::DataService::Stub::FindDuplicates, r);
}

int Merge(const SyncArgs& sy) {
  auto data = v1::DataService::NewStub(channel);
  v1::MergeCustomersRequest r;
  r.set_survivor_id(sy.survivor);
  r.set_merged_id(sy.merged);
  return CallAndPrint(*data, &v1::DataService::Stub::MergeCustomers, r);
}

int FeedInfo(const SyncArgs& sy) {
  auto events = v1::EventService::NewStub(channel);
  v1::GetFeedInfoRequest r;
  r.set_consumer(sy.consumer);
  return CallAndPrint(*events, &v1::EventService::Stub::GetFeedInfo, r);
}

int FeedTail(const SyncArgs& sy) {
  auto events = v1::EventService::NewStub(channel);
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
    std::cout << e.sequence() << "\t" << v1::ChangeOperation_Name(e.operation()).substr(17) << "\t"
              << (e.subject().empty() ? e.resource_id() : e.subject()) << "\t" << e.principal()
              << "\t" << e.origin() << "\n"
              << std::flush;
  }
  grpc::Status s = reader->Finish();
  return s.ok() ? 0 : Fail(s);
}

}  // namespace

void AddSyncCommands(CLI::App& app, Command* chosen) {
  auto args = std::make_shared<SyncArgs>();
  SyncArgs& sy = *args;
  auto on = [&](CLI::App* sub, int (*run)(const SyncArgs&)) {
    OnParsed(sub, chosen, [args, run] { return run(*args); });
  };
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
  on(import_cmd, Import);
  auto* export_cmd = app.add_subcommand("export", "write a consistent snapshot as CSV or JSONL");
  export_cmd->add_option("--type", sy.types, "resource type (repeatable; CSV takes one)")
      ->check(CLI::IsMember(kTypes));
  export_cmd->add_option("--format", sy.format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  export_cmd->add_option("--filter", sy.filter, "only matching records");
  export_cmd->add_option("--out", sy.out, "output file (default: stdout)");
  on(export_cmd, Export);
  auto* duplicates = app.add_subcommand("duplicates", "customers matching these details");
  duplicates->add_option("--name", sy.name, "display name");
  duplicates->add_option("--email", sy.emails, "email (repeatable)");
  duplicates->add_option("--phone", sy.phones, "phone (repeatable)");
  duplicates->add_flag("--organization", sy.organization, "match as an organisation name");
  on(duplicates, Duplicates);
  auto* merge = app.add_subcommand("merge", "merge MERGED into SURVIVOR");
  merge->add_option("survivor", sy.survivor, "customer that stays")->required();
  merge->add_option("merged", sy.merged, "customer merged away")->required();
  on(merge, Merge);
  auto* feed = app.add_subcommand("feed", "the change feed");
  feed->require_subcommand(1);
  auto* feed_info = feed->add_subcommand("info", "oldest and head sequence");
  feed_info->add_option("--consumer", sy.consumer, "also show this consumer's cursor");
  on(feed_info, FeedInfo);
  auto* feed_tail = feed->add_subcommand("tail", "print events as they happen");
  feed_tail->add_option("--after", sy.after, "start after this sequence (default: now)");
  feed_tail->add_option("--max", sy.max_events, "stop after this many events");
  feed_tail->add_option("--exclude-origin", sy.exclude_origins, "skip events from this origin");
  on(feed_tail, FeedTail);
}

}  // namespace rapport::ctl
