// voc_bench: the VOC module on a real rapportd (issue #15's figures).
//
//   voc_bench [--throughput-cases 20000] [--clients 16] [--open-cases 100000]
//             [--probes 2000] [--report-cases 1000000] [--calls 50] [--out FILE] [--smoke]
//
// Starts the rapportd binary built here (127.0.0.1:0, fresh data directory,
// --plugin-dir with voc.so), switches voc on, sets a round-the-clock calendar
// (so timings do not depend on the hour), the 10 categories of
// tests/data/voc_messages.tsv with a few keyword rules, queues and SLA
// policies, loads customers with phone numbers, and trains the classifier
// on the labelled set's training split. Then:
//   1. capture throughput: --throughput-cases CaptureCase calls by phone
//      number from --clients threads, with categorisation on (rules, then
//      the classifier) and again with it off (no rules, classifier
//      disabled): cases/s, latency p50/p99, server CPU per case;
//   2. timer lag: cases are captured until --open-cases are open (each
//      with its SLA timers pending), then --probes cases whose one-minute
//      first-response target runs out a second after capture; each probe's
//      lag is the time its SLA_BREACHED entry was logged minus its breach
//      time (p50/p99/max);
//   3. report latency: cases are captured (by customer id, categorisation
//      off, to load faster) until --report-cases exist, then GetReport and
//      a ListCases page by queue are timed over --calls calls.
// Timings are reported, never judged; the smoke mode (CI) uses tiny sizes and
// checks only that every phase runs and the counts add up (exit 1 if not).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/suite/grpc_client.h"
#include "bench/suite/json.h"
#include "bench/suite/process.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/identity.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/voc/v1/voc.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = rapport::v1;
namespace voc = rapport::voc::v1;
namespace fs = std::filesystem;
using rapport::bench::ChildProcess;
using rapport::bench::Client;
using rapport::bench::JsonWriter;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

int64_t UnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

void MustOk(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return;
  std::fprintf(stderr, "voc_bench: %s: %s (code %d)\n", what.c_str(), s.error_message().c_str(),
               static_cast<int>(s.error_code()));
  std::exit(2);
}

struct Latency {
  double p50 = 0, p99 = 0, max = 0;  // ms
};
Latency Summarise(std::vector<double> ms) {
  Latency l;
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(ms.size()))) - 1;
    return ms[std::min(i, ms.size() - 1)];
  };
  l.p50 = pct(0.5);
  l.p99 = pct(0.99);
  l.max = ms.back();
  return l;
}

struct Example {
  std::string category, text;
};

std::vector<Example> LoadExamples(const std::string& path) {
  std::vector<Example> out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const size_t a = line.find('\t'), b = line.find('\t', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    out.push_back({line.substr(0, a), line.substr(b + 1)});
  }
  return out;
}

std::string Phone(int64_t i) {
  return absl::StrFormat("010-%04d-%04d", 2000 + i / 10000, i % 10000);
}

struct Throughput {
  int64_t cases = 0;
  double seconds = 0, per_second = 0, cpu_us_per_case = 0;
  Latency latency;
  int64_t categorised = 0;  // by a rule or the classifier
};

// `total` CaptureCase calls from `clients` threads; request i from make(i).
Throughput Capture(const Client& client, int clients, int64_t total, pid_t server,
                   const std::function<voc::CaptureCaseRequest(int64_t)>& make) {
  std::atomic<int64_t> next{0}, categorised{0};
  std::vector<std::vector<double>> ms(static_cast<size_t>(clients));
  const double cpu0 = rapport::bench::ProcessCpuSeconds(server, false);
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < clients; ++t) {
    pool.emplace_back([&, t] {
      auto stub = voc::VocService::NewStub(client.channel(static_cast<size_t>(t)));
      for (int64_t i; (i = next.fetch_add(1)) < total;) {
        const voc::CaptureCaseRequest request = make(i);
        voc::Case out;
        const auto c0 = Clock::now();
        MustOk(stub->CaptureCase(client.Context().get(), request, &out), "CaptureCase");
        ms[static_cast<size_t>(t)].push_back(Seconds(c0) * 1000);
        if (out.category_source() == voc::CATEGORY_SOURCE_RULE ||
            out.category_source() == voc::CATEGORY_SOURCE_CLASSIFIER) {
          categorised.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  Throughput r;
  r.cases = total;
  r.seconds = Seconds(t0);
  r.per_second = static_cast<double>(total) / r.seconds;
  r.cpu_us_per_case =
      (rapport::bench::ProcessCpuSeconds(server, false) - cpu0) * 1e6 / static_cast<double>(total);
  std::vector<double> all;
  for (auto& v : ms) all.insert(all.end(), v.begin(), v.end());
  r.latency = Summarise(all);
  r.categorised = categorised.load();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The VOC module's capture throughput, timer lag and report latency"};
  int64_t throughput_cases = 20000, open_cases = 100000, probes = 2000, report_cases = 1000000;
  int clients = 16, calls = 50, customers = 5000;
  std::string out_file, rapportd = RAPPORT_RAPPORTD_PATH, plugin_dir = RAPPORT_VOC_PLUGIN_DIR,
                        data = std::string(RAPPORT_SOURCE_DIR) + "/tests/data/voc_messages.tsv",
                        work_root = fs::temp_directory_path().string();
  bool smoke = false;
  app.add_option("--throughput-cases", throughput_cases, "captures per throughput run");
  app.add_option("--clients", clients, "client threads")->check(CLI::Range(1, 64));
  app.add_option("--open-cases", open_cases, "open cases while the timer lag is measured");
  app.add_option("--probes", probes, "cases whose breach timer's lag is measured");
  app.add_option("--report-cases", report_cases, "cases when reports are timed");
  app.add_option("--calls", calls, "timed calls per report query");
  app.add_option("--customers", customers, "customers with phone numbers");
  app.add_option("--data", data, "the labelled messages");
  app.add_option("--out", out_file, "write the results as JSON here");
  app.add_option("--rapportd", rapportd, "rapportd binary");
  app.add_option("--plugin-dir", plugin_dir, "directory with voc.so and voc.manifest.json");
  app.add_option("--work-dir", work_root, "where the temporary data directory goes");
  app.add_flag("--smoke", smoke, "tiny sizes (CI): checks that every phase runs");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    throughput_cases = 200;
    open_cases = 500;
    probes = 20;
    report_cases = 1000;
    calls = 5;
    customers = 200;
    clients = std::min(clients, 4);
  }
  const std::vector<Example> examples = LoadExamples(data);
  if (examples.empty()) {
    std::fprintf(stderr, "voc_bench: cannot read %s\n", data.c_str());
    return 2;
  }

  // ---- rapportd
  const fs::path work = fs::path(work_root) / absl::StrCat("rapport-voc-bench-", getpid());
  const std::string data_dir = (work / "data").string(), log = (work / "rapportd.log").string();
  fs::create_directories(data_dir);
  rapport::bench::SpawnOptions spawn;
  spawn.pipe_stdout = true;
  spawn.log_file = log;
  auto child = ChildProcess::Spawn(
      {rapportd, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--plugin-dir", plugin_dir,
       // One SLA timer per open case: room for report_cases open cases.
       "--plugin-max-timers", std::to_string(std::max<int64_t>(report_cases * 2, 1000000))},
      spawn);
  if (!child.ok()) {
    std::fprintf(stderr, "voc_bench: cannot start %s\n", rapportd.c_str());
    return 2;
  }
  std::string address;
  for (const std::string prefix = "rapportd listening on "; address.empty();) {
    auto line = child->ReadLine(120000);
    if (!line.ok()) {
      std::fprintf(stderr, "voc_bench: rapportd did not start (see %s)\n", log.c_str());
      return 2;
    }
    if (line->rfind(prefix, 0) == 0) address = line->substr(prefix.size());
  }
  const pid_t server = child->pid();
  std::string token;
  std::getline(std::ifstream(data_dir + "/admin.token"), token);
  Client client(address, token, clients);
  auto stub = voc::VocService::NewStub(client.channel(0));
  std::printf("voc_bench: rapportd on %s (pid %d), data %s\n", address.c_str(),
              static_cast<int>(server), data_dir.c_str());

  // ---- the tenant: voc on, calendar, settings, customers, the classifier
  {
    auto modules = v1::ModuleService::NewStub(client.channel(0));
    v1::SetRolloutRequest r;
    r.mutable_rule()->set_module("voc");
    r.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
    v1::RolloutRule out;
    MustOk(modules->SetRollout(client.Context().get(), r, &out), "SetRollout");
    voc::SetCalendarRequest cal;
    cal.mutable_calendar()->set_public_holidays("NONE");
    for (int day = 1; day <= 7; ++day) {
      auto* hours = cal.mutable_calendar()->add_working_hours();
      hours->set_weekday(day);
      hours->add_intervals()->set_end_minute(1440);
    }
    voc::SetCalendarResponse set;
    MustOk(stub->SetCalendar(client.Context().get(), cal, &set), "SetCalendar");
  }
  std::map<std::string, bool> categories;
  for (const Example& e : examples) categories[e.category] = true;
  voc::UpdateSettingsRequest settings;
  {
    voc::Settings* s = settings.mutable_settings();
    for (const auto& [name, unused] : categories) s->add_taxonomy()->set_name(name);
    s->add_taxonomy()->set_name("probe");
    for (const auto& [name, keyword] : std::vector<std::pair<std::string, std::string>>{
             {"배송", "택배"}, {"반품환불", "환불"}, {"계정", "비밀번호"}, {"앱오류", "앱이"}}) {
      auto* rule = s->add_category_rules();
      rule->set_name(name);
      rule->add_keywords_any(keyword);
      rule->set_category(name);
    }
    auto* q = s->add_queues();
    q->set_name("general");
    q->add_members("admin");
    auto* probe = s->add_sla_policies();
    probe->set_name("probe");
    probe->add_categories("probe");
    probe->set_first_response_minutes(1);
    probe->set_resolution_minutes(60 * 24 * 30);
    auto* normal = s->add_sla_policies();
    normal->set_name("normal");
    normal->set_first_response_minutes(240);
    normal->set_resolution_minutes(1440);
    for (const char* path : {"taxonomy", "category_rules", "queues", "sla_policies"}) {
      settings.mutable_update_mask()->add_paths(path);
    }
    voc::Settings out;
    MustOk(stub->UpdateSettings(client.Context().get(), settings, &out), "UpdateSettings");
  }
  std::vector<std::string> customer_ids;
  {
    auto customers_stub = v1::CustomerService::NewStub(client.channel(0));
    for (int b = 0; b < customers; b += 1000) {
      v1::BatchUpsertCustomersRequest r;
      for (int i = b; i < std::min(customers, b + 1000); ++i) {
        v1::Customer* c = r.add_customers();
        c->set_display_name(absl::StrCat("고객 ", i));
        c->add_phones(Phone(i));
      }
      v1::BatchUpsertCustomersResponse out;
      MustOk(customers_stub->BatchUpsertCustomers(client.Context().get(), r, &out),
             "BatchUpsertCustomers");
      for (const auto& c : out.customers()) customer_ids.push_back(c.id());
    }
  }
  {
    voc::TrainClassifierRequest r;
    auto flush = [&] {
      voc::TrainClassifierResponse out;
      MustOk(stub->TrainClassifier(client.Context().get(), r, &out), "TrainClassifier");
      r.clear_examples();
    };
    for (size_t i = 0; i < examples.size(); ++i) {
      if (i % 5 == 0) continue;  // leave some text unseen
      auto* e = r.add_examples();
      e->set_text(examples[i].text);
      e->set_category(examples[i].category);
      if (r.examples_size() == 500) flush();
    }
    if (r.examples_size() > 0) flush();
  }
  auto by_phone = [&](int64_t i) {
    voc::CaptureCaseRequest r;
    r.set_phone(Phone(i % customers));
    r.set_text(examples[static_cast<size_t>(i) % examples.size()].text);
    return r;
  };

  // ---- 1. capture throughput, categorisation on and off
  const Throughput on = Capture(client, clients, throughput_cases, server, by_phone);
  std::printf(
      "capture, categorisation on : %8.0f cases/s  p50 %6.2f ms  p99 %6.2f ms  "
      "%6.0f us server CPU/case  (%lld of %lld categorised)\n",
      on.per_second, on.latency.p50, on.latency.p99, on.cpu_us_per_case,
      static_cast<long long>(on.categorised), static_cast<long long>(on.cases));
  {
    voc::UpdateSettingsRequest off;
    off.mutable_settings()->set_classifier_disabled(true);
    off.mutable_update_mask()->add_paths("classifier_disabled");
    off.mutable_update_mask()->add_paths("category_rules");
    voc::Settings out;
    MustOk(stub->UpdateSettings(client.Context().get(), off, &out), "UpdateSettings off");
  }
  const Throughput off = Capture(client, clients, throughput_cases, server, by_phone);
  std::printf(
      "capture, categorisation off: %8.0f cases/s  p50 %6.2f ms  p99 %6.2f ms  "
      "%6.0f us server CPU/case\n",
      off.per_second, off.latency.p50, off.latency.p99, off.cpu_us_per_case);
  int64_t captured = 2 * throughput_cases;

  // ---- 2. timer lag with open_cases open
  auto by_id = [&](int64_t i) {
    voc::CaptureCaseRequest r;
    r.set_customer_id(customer_ids[static_cast<size_t>(i) % customer_ids.size()]);
    r.set_text(examples[static_cast<size_t>(i) % examples.size()].text);
    return r;
  };
  if (captured < open_cases) {
    Capture(client, clients, open_cases - captured, server, by_id);
    captured = open_cases;
  }
  std::vector<std::string> probe_ids;
  const auto probe_start = Clock::now();
  for (int64_t i = 0; i < probes; ++i) {
    voc::CaptureCaseRequest r = by_id(i);
    r.set_category("probe");
    r.mutable_occurred_at()->set_seconds(UnixMicros() / 1000000 - 59);  // due in about 1 s
    voc::Case out;
    MustOk(stub->CaptureCase(client.Context().get(), r, &out), "CaptureCase probe");
    probe_ids.push_back(out.id());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  captured += probes;
  std::vector<double> lag_ms;
  int missing = 0;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  for (const std::string& id : probe_ids) {
    bool found = false;
    for (int attempt = 0; attempt < 600 && !found; ++attempt) {
      voc::GetCaseRequest get;
      get.set_id(id);
      voc::Case c;
      MustOk(stub->GetCase(client.Context().get(), get, &c), "GetCase");
      voc::ListCaseEventsRequest er;
      er.set_case_id(id);
      voc::ListCaseEventsResponse events;
      MustOk(stub->ListCaseEvents(client.Context().get(), er, &events), "ListCaseEvents");
      for (const auto& e : events.events()) {
        if (e.kind() != voc::CaseEvent::KIND_SLA_BREACHED) continue;
        lag_ms.push_back(
            static_cast<double>(Micros(e.time()) - Micros(c.first_response().breach_time())) /
            1000.0);
        found = true;
      }
      if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    missing += !found;
  }
  const Latency lag = Summarise(lag_ms);
  std::printf(
      "breach timer lag at %lld open cases: p50 %.1f ms  p99 %.1f ms  max %.1f ms  "
      "(%zu probes over %.1f s, %d never fired)\n",
      static_cast<long long>(open_cases), lag.p50, lag.p99, lag.max, lag_ms.size(),
      Seconds(probe_start), missing);

  // ---- 3. report latency at report_cases
  if (captured < report_cases) {
    const auto load0 = Clock::now();
    const int64_t more = report_cases - captured;
    Capture(client, clients, more, server, by_id);
    std::printf("loaded %lld more cases in %.0f s\n", static_cast<long long>(more), Seconds(load0));
    captured = report_cases;
  }
  std::vector<double> report_ms, list_ms;
  voc::Report report;
  for (int i = 0; i < calls; ++i) {
    const auto t0 = Clock::now();
    MustOk(stub->GetReport(client.Context().get(), voc::GetReportRequest(), &report), "GetReport");
    report_ms.push_back(Seconds(t0) * 1000);
    voc::ListCasesRequest lr;
    lr.set_queue("general");
    lr.set_page_size(50);
    voc::ListCasesResponse page;
    const auto t1 = Clock::now();
    MustOk(stub->ListCases(client.Context().get(), lr, &page), "ListCases");
    list_ms.push_back(Seconds(t1) * 1000);
  }
  int64_t open = 0, this_week = 0;
  for (const auto& c : report.open_by_queue()) open += c.count();
  for (const auto& t : report.categories_week_over_week()) this_week += t.this_week();
  const Latency report_latency = Summarise(report_ms), list_latency = Summarise(list_ms);
  std::printf(
      "at %lld cases: GetReport p50 %.2f ms p99 %.2f ms; ListCases (queue, 50) p50 "
      "%.2f ms p99 %.2f ms; the report counts %lld open, %lld captured this week\n",
      static_cast<long long>(captured), report_latency.p50, report_latency.p99, list_latency.p50,
      list_latency.p99, static_cast<long long>(open), static_cast<long long>(this_week));
  const bool consistent =
      open == captured && this_week == captured && static_cast<int64_t>(lag_ms.size()) == probes;
  if (!consistent) {
    std::printf(
        "voc_bench: MISMATCH: %lld open and %lld this week in the report, %lld cases "
        "captured; %zu of %lld probes breached\n",
        static_cast<long long>(open), static_cast<long long>(this_week),
        static_cast<long long>(captured), lag_ms.size(), static_cast<long long>(probes));
  }

  if (!out_file.empty()) {
    JsonWriter j;
    j.BeginObject();
    j.Key("clients").Int(clients);
    auto throughput = [&](const char* name, const Throughput& t) {
      j.Key(name).BeginObject();
      j.Key("cases").Int(t.cases).Key("per_second").Number(t.per_second);
      j.Key("p50_ms").Number(t.latency.p50).Key("p99_ms").Number(t.latency.p99);
      j.Key("server_cpu_us_per_case").Number(t.cpu_us_per_case);
      j.Key("categorised").Int(t.categorised);
      j.EndObject();
    };
    throughput("capture_categorisation_on", on);
    throughput("capture_categorisation_off", off);
    j.Key("timer_lag").BeginObject();
    j.Key("open_cases").Int(open_cases).Key("probes").Int(probes);
    j.Key("p50_ms").Number(lag.p50).Key("p99_ms").Number(lag.p99).Key("max_ms").Number(lag.max);
    j.EndObject();
    j.Key("reports").BeginObject();
    j.Key("cases").Int(captured);
    j.Key("get_report_p50_ms").Number(report_latency.p50);
    j.Key("get_report_p99_ms").Number(report_latency.p99);
    j.Key("list_cases_p50_ms").Number(list_latency.p50);
    j.Key("list_cases_p99_ms").Number(list_latency.p99);
    j.EndObject();
    j.EndObject();
    std::ofstream(out_file) << j.str() << "\n";
  }
  child->CloseStdin();
  child->Signal(SIGTERM);
  child->Wait(60000);
  std::error_code ignored;
  fs::remove_all(work, ignored);
  return consistent ? 0 : 1;
}
