// erp_bridge: keeps a CSV-file "ERP" and Rapport in step, both ways.
//
//   erp_bridge --server HOST:PORT --token-file T --erp-file customers.csv [--once | --every 10]
//
// The ERP file has the header  erp_code,name,email,phone  (UTF-8).
//
// One cycle:
//   1. Rapport -> ERP. Read the change feed as consumer "erp-bridge",
//      excluding events whose origin is "erp-bridge" (our own writes, so no
//      sync loop). A customer with an `erp` external ref updates its row; a
//      new customer without one gets a fresh ERP code, a row, and the ref
//      written back to Rapport; a deleted customer's row is removed. The file
//      is replaced atomically, then the cursor acknowledged: at-least-once,
//      and replaying an event is harmless.
//   2. ERP -> Rapport. Import the whole file, upserting by external ref
//      erp:<erp_code>, with origin "erp-bridge". Unchanged rows write nothing,
//      so a quiet ERP produces no events.
// CRM edits are pulled into the ERP before the ERP is pushed, so a stale ERP
// row never overwrites a newer CRM edit.
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tools/common/csv_reader.h"
#include "tools/common/import_export.h"
#include "tools/common/record_text.h"

namespace {

namespace v1 = rapport::v1;
constexpr char kOrigin[] = "erp-bridge";

struct Config {
  std::string server = "127.0.0.1:7700";
  std::string token;
  std::string erp_file;
};

struct ErpRow {
  std::string name, email, phone;
};

std::unique_ptr<grpc::ClientContext> Call(const Config& c, bool stream = false) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + c.token);
  ctx->AddMetadata("x-rapport-origin", kOrigin);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(stream ? 300 : 30));
  return ctx;
}

bool ReadErp(const std::string& path, std::map<std::string, ErpRow>* rows) {
  std::ifstream in(path);
  if (!in) return true;  // no file yet: an empty ERP
  rapport::tools::CsvReader csv(in);
  std::vector<std::string> f;
  if (csv.Next(&f) != rapport::tools::CsvReader::Result::kRecord) return true;
  while (true) {
    auto r = csv.Next(&f);
    if (r == rapport::tools::CsvReader::Result::kEnd) break;
    if (r != rapport::tools::CsvReader::Result::kRecord || f.size() != 4) {
      std::cerr << "erp_bridge: " << path << " line " << csv.line() << " is malformed; skipped\n";
      continue;
    }
    (*rows)[f[0]] = ErpRow{f[1], f[2], f[3]};
  }
  return true;
}

bool WriteErp(const std::string& path, const std::map<std::string, ErpRow>& rows) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << "erp_code,name,email,phone\n";
    using rapport::tools::CsvCell;
    for (const auto& [code, row] : rows) {
      out << CsvCell(code) << "," << CsvCell(row.name) << "," << CsvCell(row.email) << ","
          << CsvCell(row.phone) << "\n";
    }
    if (!out) return false;
  }
  return std::rename(temp.c_str(), path.c_str()) == 0;
}

// Step 1: CRM changes into the ERP file. Returns false on error.
bool PullFromRapport(const Config& config, const std::shared_ptr<grpc::Channel>& channel) {
  auto events = v1::EventService::NewStub(channel);
  auto customers = v1::CustomerService::NewStub(channel);
  v1::GetFeedInfoRequest info_request;
  info_request.set_consumer(kOrigin);
  v1::GetFeedInfoResponse info;
  if (!events->GetFeedInfo(Call(config).get(), info_request, &info).ok()) return false;
  if (info.consumer_sequence() >= info.head_sequence()) {
    std::cout << "erp_bridge: rapport -> erp: 0 rows changed\n";
    return true;
  }
  v1::SubscribeRequest request;
  request.set_consumer(kOrigin);
  request.add_exclude_origins(kOrigin);
  request.add_resource_types(v1::RESOURCE_TYPE_CUSTOMER);
  auto ctx = Call(config, true);
  auto reader = events->Subscribe(ctx.get(), request);
  std::map<std::string, ErpRow> erp;
  ReadErp(config.erp_file, &erp);
  uint64_t cursor = 0;
  int changed = 0;
  v1::SubscribeResponse response;
  while (reader->Read(&response)) {
    if (response.has_event()) {
      const v1::ChangeEvent& e = response.event();
      cursor = e.sequence();
      if (e.operation() == v1::CHANGE_OPERATION_DELETE) {
        auto ref = e.external_refs().find("erp");
        if (ref != e.external_refs().end()) changed += erp.erase(ref->second) ? 1 : 0;
      } else {
        v1::Customer c;
        if (!e.after().UnpackTo(&c)) continue;
        std::string code;
        if (auto ref = c.external_refs().find("erp"); ref != c.external_refs().end()) {
          code = ref->second;
        } else {
          // New in the CRM: give it an ERP code and tell Rapport.
          code = "RPT-" + c.id().substr(16);
          v1::UpdateCustomerRequest update;
          *update.mutable_customer() = c;
          (*update.mutable_customer()->mutable_external_refs())["erp"] = code;
          update.mutable_update_mask()->add_paths("external_refs");
          v1::Customer out;
          grpc::Status s = customers->UpdateCustomer(Call(config).get(), update, &out);
          if (!s.ok()) {
            std::cerr << "erp_bridge: cannot set erp ref on " << c.id() << ": " << s.error_message()
                      << "\n";
            return false;
          }
        }
        erp[code] = ErpRow{c.display_name(), c.emails_size() ? c.emails(0) : "",
                           c.phones_size() ? c.phones(0) : ""};
        ++changed;
      }
    } else {
      cursor = std::max(cursor, response.head_sequence());
    }
    if (cursor >= info.head_sequence()) break;
  }
  ctx->TryCancel();
  reader->Finish();
  if (changed > 0 && !WriteErp(config.erp_file, erp)) {
    std::cerr << "erp_bridge: cannot write " << config.erp_file << "\n";
    return false;
  }
  if (cursor > 0) {
    v1::AcknowledgeEventsRequest ack;
    ack.set_consumer(kOrigin);
    ack.set_sequence(cursor);
    v1::AcknowledgeEventsResponse acked;
    if (!events->AcknowledgeEvents(Call(config).get(), ack, &acked).ok()) return false;
  }
  std::cout << "erp_bridge: rapport -> erp: " << changed << " rows changed\n";
  return true;
}

// Step 2: the ERP file into Rapport.
bool PushToRapport(const Config& config, const std::shared_ptr<grpc::Channel>& channel) {
  std::ifstream probe(config.erp_file);
  if (!probe) return true;
  const std::string mapping = config.erp_file + ".mapping.json";
  std::ofstream(mapping) << R"({"columns": {"erp_code": "external_refs.erp", "name": "display_name",
                                "email": "emails", "phone": "phones"}})";
  auto data = v1::DataService::NewStub(channel);
  rapport::tools::ImportOptions options;
  options.type = v1::RESOURCE_TYPE_CUSTOMER;
  options.path = config.erp_file;
  options.format = "csv";
  options.mapping_file = mapping;
  auto summary =
      rapport::tools::ImportFile(*data, Call(config, true), v1::AttributeSchema(), options);
  std::remove(mapping.c_str());
  if (!summary.ok()) {
    std::cerr << "erp_bridge: import failed: " << summary.status() << "\n";
    return false;
  }
  std::cout << "erp_bridge: erp -> rapport: created " << summary->created() << ", updated "
            << summary->updated() << ", unchanged " << summary->unchanged() << ", failed "
            << summary->failed() << "\n";
  for (const auto& e : summary->errors()) {
    std::cerr << "erp_bridge: " << config.erp_file << " line " << e.line() << ": " << e.field()
              << " " << e.message() << "\n";
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::string token_file;
  bool once = false;
  int every = 10;
  CLI::App app{"erp_bridge: two-way sync between a CSV 'ERP' and Rapport"};
  app.add_option("--server", config.server, "rapportd address")->capture_default_str();
  app.add_option("--token-file", token_file, "API token (integration role)")->required();
  app.add_option("--erp-file", config.erp_file, "the ERP's customer CSV")->required();
  app.add_flag("--once", once, "run one cycle and exit");
  app.add_option("--every", every, "seconds between cycles")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::ifstream(token_file) >> config.token;
  if (config.token.empty()) {
    std::cerr << "erp_bridge: no token in " << token_file << "\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(config.server, grpc::InsecureChannelCredentials());
  do {
    if (!PullFromRapport(config, channel) || !PushToRapport(config, channel)) {
      if (once) return 1;
    }
    if (!once) std::this_thread::sleep_for(std::chrono::seconds(every));
  } while (!once);
  return 0;
}
