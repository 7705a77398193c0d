// rapportctl voc: the VOC module (docs/voc.md), through reflection like
// `call` (rapportctl links no module's protos).
//
//   rapportctl voc METHOD [--json '{...}']     any VocService method
//   rapportctl voc capture --phone 010-1234-5678 "배송이 3일째 안 와요"
//   rapportctl voc import calls.csv [--batch 200]
//
// import reads a CSV whose header names CaptureCaseRequest fields (phone,
// email, customer_id, external_ref, text, channel, subject, category,
// subcategory, priority, external_id, opportunity_id, product_code,
// occurred_at as RFC 3339) and sends BatchCaptureCases calls; with an
// external_id column a repeated or resumed import makes no duplicates. Bad
// lines are reported with their line number and the field; the others are
// captured. Exit status 1 when any line failed.
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tools/common/csv_reader.h"
#include "tools/rapportctl/commands.h"

namespace rapport::ctl {
namespace {

constexpr char kVocService[] = "rapport.voc.v1.VocService";

// CSV header name -> CaptureCaseRequest JSON name.
const std::vector<std::pair<std::string, std::string>>& Columns() {
  static const auto* columns = new std::vector<std::pair<std::string, std::string>>{
      {"phone", "phone"},
      {"email", "email"},
      {"customer_id", "customerId"},
      {"external_ref", "externalRef"},
      {"text", "text"},
      {"channel", "channel"},
      {"subject", "subject"},
      {"category", "category"},
      {"subcategory", "subcategory"},
      {"priority", "priority"},
      {"external_id", "externalId"},
      {"opportunity_id", "opportunityId"},
      {"product_code", "productCode"},
      {"occurred_at", "occurredAt"},
  };
  return *columns;
}

struct ImportStats {
  int captured = 0, failed = 0;
};

// Sends one BatchCaptureCases call for `rows` (CSV line numbers in `lines`)
// and reports its failures. Returns the exit code of the call itself.
int SendBatch(const nlohmann::json& rows, const std::vector<uint64_t>& lines, ImportStats* stats) {
  nlohmann::json request;
  request["cases"] = rows;
  std::string answer;
  if (int rc = CallMethod(std::string(kVocService) + "/BatchCaptureCases", request.dump(), &answer);
      rc != 0) {
    return rc;
  }
  const nlohmann::json response = nlohmann::json::parse(answer, nullptr, false);
  if (response.is_discarded() || !response.contains("results")) {
    std::cerr << "error: unreadable BatchCaptureCases answer\n";
    return 1;
  }
  const auto& results = response["results"];
  for (size_t i = 0; i < results.size() && i < lines.size(); ++i) {
    if (results[i].contains("error")) {
      std::cerr << "line " << lines[i] << ": " << results[i]["error"].get<std::string>() << "\n";
      ++stats->failed;
    } else {
      ++stats->captured;
    }
  }
  return 0;
}

int Import(const std::string& path, int batch) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot open " << path << "\n";
    return 2;
  }
  tools::CsvReader reader(in);
  std::vector<std::string> header, fields;
  if (reader.Next(&header) != tools::CsvReader::Result::kRecord) {
    std::cerr << "error: " << path << ": no header line\n";
    return 2;
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const std::string& h : header) {
    std::string name;
    for (const auto& [column, json] : Columns()) {
      if (column == h) name = json;
    }
    if (name.empty()) {
      std::cerr << "error: " << path << ": unknown column '" << h << "' (known: phone, email, "
                << "customer_id, external_ref, text, channel, subject, category, subcategory, "
                << "priority, external_id, opportunity_id, product_code, occurred_at)\n";
      return 2;
    }
    if (!seen.insert(name).second) {
      std::cerr << "error: " << path << ": column '" << h << "' appears twice\n";
      return 2;
    }
    names.push_back(name);
  }
  if (!seen.count("text")) {
    std::cerr << "error: " << path << ": a 'text' column is required\n";
    return 2;
  }
  ImportStats stats;
  nlohmann::json rows = nlohmann::json::array();
  std::vector<uint64_t> lines;
  for (;;) {
    const auto result = reader.Next(&fields);
    if (result == tools::CsvReader::Result::kEnd) break;
    if (result == tools::CsvReader::Result::kError) {
      std::cerr << "line " << reader.line() << ": " << reader.error() << "\n";
      ++stats.failed;
      continue;
    }
    if (fields.size() != names.size()) {
      std::cerr << "line " << reader.line() << ": " << fields.size() << " fields, the header has "
                << names.size() << "\n";
      ++stats.failed;
      continue;
    }
    nlohmann::json row = nlohmann::json::object();
    for (size_t i = 0; i < names.size(); ++i) {
      if (!fields[i].empty()) row[names[i]] = fields[i];
    }
    rows.push_back(std::move(row));
    lines.push_back(reader.line());
    if (static_cast<int>(rows.size()) == batch) {
      if (int rc = SendBatch(rows, lines, &stats); rc != 0) return rc;
      rows = nlohmann::json::array();
      lines.clear();
    }
  }
  if (!rows.empty()) {
    if (int rc = SendBatch(rows, lines, &stats); rc != 0) return rc;
  }
  std::cout << "captured " << stats.captured << ", failed " << stats.failed << "\n";
  return stats.failed > 0 ? 1 : 0;
}

}  // namespace

void AddVocCommands(CLI::App& app, Command* chosen) {
  struct MethodArgs {
    std::string method, json;
  };
  auto method_args = std::make_shared<MethodArgs>();
  auto* voc = app.add_subcommand(
      "voc", "the VOC module's API: short for call rapport.voc.v1.VocService/METHOD");
  voc->add_option("method", method_args->method,
                  "method name, e.g. GetCase, ListCases, ChangeCaseStatus, UpdateSettings");
  voc->add_option("--json", method_args->json,
                  "the request in the proto's JSON form (default: empty)");

  struct CaptureArgs {
    std::string phone, email, customer_id, external_ref, channel, subject, category, subcategory,
        external_id, text;
    bool require_match = false;
  };
  auto capture_args = std::make_shared<CaptureArgs>();
  auto* capture = voc->add_subcommand(
      "capture", "open a VOC case from a customer reference and the customer's words");
  capture->add_option("text", capture_args->text, "what the customer said")->required();
  capture->add_option("--phone", capture_args->phone, "the sender's phone, e.g. 010-1234-5678");
  capture->add_option("--email", capture_args->email, "the sender's email");
  capture->add_option("--customer-id", capture_args->customer_id, "the customer's id");
  capture->add_option("--external-ref", capture_args->external_ref,
                      "SYSTEM/ID of the customer, e.g. erp/C-1");
  capture->add_option("--channel", capture_args->channel,
                      "phone, email, web, chat, kakaotalk, visit, ... (default: the caller's)");
  capture->add_option("--subject", capture_args->subject, "default: the text's first line");
  capture->add_option("--category", capture_args->category, "skip the category rules");
  capture->add_option("--subcategory", capture_args->subcategory, "with --category");
  capture->add_option("--external-id", capture_args->external_id,
                      "the source record's id: capturing it again returns the same case");
  capture->add_flag("--require-match", capture_args->require_match,
                    "refuse (NOT_FOUND) instead of opening an unmatched case");
  OnParsed(capture, chosen, [capture_args] {
    const CaptureArgs& a = *capture_args;
    nlohmann::json request;
    for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"phone", &a.phone},
                                      {"email", &a.email},
                                      {"customerId", &a.customer_id},
                                      {"externalRef", &a.external_ref},
                                      {"channel", &a.channel},
                                      {"subject", &a.subject},
                                      {"category", &a.category},
                                      {"subcategory", &a.subcategory},
                                      {"externalId", &a.external_id},
                                      {"text", &a.text}}) {
      if (!value->empty()) request[name] = *value;
    }
    if (a.require_match) request["requireMatch"] = true;
    return CallMethod(std::string(kVocService) + "/CaptureCase", request.dump());
  });

  struct ImportArgs {
    std::string file;
    int batch = 200;
  };
  auto import_args = std::make_shared<ImportArgs>();
  auto* import = voc->add_subcommand(
      "import", "capture every line of a call-centre log (CSV), in BatchCaptureCases calls");
  import->add_option("file", import_args->file, "the CSV; its header names the fields")->required();
  import->add_option("--batch", import_args->batch, "lines per call (1..500)")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  OnParsed(import, chosen, [import_args] { return Import(import_args->file, import_args->batch); });

  // (CLI11 runs a subcommand's callback before its parent's: `voc capture`
  // and `voc import` must not be overridden by `voc`.)
  voc->callback([voc, chosen, method_args] {
    if (voc->get_subcommand("capture")->parsed() || voc->get_subcommand("import")->parsed()) {
      return;
    }
    chosen->run = [method_args]() -> int {
      if (method_args->method.empty()) {
        std::cerr << "voc: name a method (e.g. ListCases), or use `voc capture` or `voc import`\n";
        return 2;
      }
      return CallMethod(std::string(kVocService) + "/" + method_args->method, method_args->json);
    };
  });
}

}  // namespace rapport::ctl
