// rapport_soak: the soak (issue 20, part 4; docs/testing.md). Runs the real
// rapportd with modules loaded (SFA and VOC) under a mixed load at a fixed
// offered rate for a fixed time, and every --sample-seconds records the
// server's resident memory, open file descriptors and threads (from /proc)
// and the window's call latencies. Writes one TSV row per sample and a
// summary in Markdown; bench/soak/run draws the chart with gnuplot.
//
//   rapport_soak --rapportd BIN --plugin-dir DIR [--minutes 30] [--rate 200]
//                [--clients 8] [--sample-seconds 10] [--out-dir DIR]
//                [--max-growth-pct 10] [--max-p99-ratio 1.5]
//
// The verdict, after a warm-up of the first fifth of the samples, compares
// the second half of the rest with the first: mean RSS may grow at most
// --max-growth-pct, the most descriptors (other than RocksDB's .sst tables,
// which follow the data's size) and threads at most 8 each, and the
// median of the windows' p99 at most --max-p99-ratio times. Any failed call fails the
// run (the load asks for no error), and so does an inconsistent store
// (AdminService.CheckConsistency) at the end. Exits 1 on failure. Talks only
// to 127.0.0.1; every call has a deadline and the run stops by itself.
#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/common/load_client.h"
#include "grpcpp/grpcpp.h"
#include "rapport/sfa/v1/sfa.grpc.pb.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/interaction.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/v1/opportunity.grpc.pb.h"
#include "rapport/voc/v1/voc.grpc.pb.h"
#include "tests/testing/rapportd_process.h"

namespace rapport::soak {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::vector<std::string>& kStages = bench::PipelineStages();
constexpr char kPipeline[] = "soak";

struct Options {
  std::string rapportd;
  std::string plugin_dir;
  double minutes = 30;
  double rate = 200;
  int clients = 8;
  int sample_seconds = 10;
  std::string out_dir = "bench/results";
  double max_growth_pct = 10;
  double max_p99_ratio = 1.5;
  uint64_t seed = 1;
};

std::string g_token;

std::unique_ptr<grpc::ClientContext> Call(int seconds = 10) {
  return bench::BearerContext(g_token, seconds);
}

struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& channel)
      : customers(v1::CustomerService::NewStub(channel)),
        interactions(v1::InteractionService::NewStub(channel)),
        opportunities(v1::OpportunityService::NewStub(channel)),
        admin(v1::AdminService::NewStub(channel)),
        modules(v1::ModuleService::NewStub(channel)),
        sales(sfa::v1::SalesService::NewStub(channel)),
        cases(voc::v1::VocService::NewStub(channel)) {}
  std::unique_ptr<v1::CustomerService::Stub> customers;
  std::unique_ptr<v1::InteractionService::Stub> interactions;
  std::unique_ptr<v1::OpportunityService::Stub> opportunities;
  std::unique_ptr<v1::AdminService::Stub> admin;
  std::unique_ptr<v1::ModuleService::Stub> modules;
  std::unique_ptr<sfa::v1::SalesService::Stub> sales;
  std::unique_ptr<voc::v1::VocService::Stub> cases;
};

// What the clients measured since the last sample.
struct Window {
  std::mutex mu;
  std::vector<double> latencies_ms;
  uint64_t errors = 0;
  uint64_t late = 0;  // calls that started more than a second behind schedule
  std::vector<std::string> first_errors;

  void Record(double ms, const grpc::Status& status, const char* what) {
    std::lock_guard<std::mutex> lock(mu);
    latencies_ms.push_back(ms);
    if (status.ok()) return;
    ++errors;
    if (first_errors.size() < 10) {
      first_errors.push_back(
          absl::StrCat(what, ": ", status.error_code(), " ", status.error_message()));
    }
  }
};

// One client: its share of the offered rate, on its own records, until
// `stop`. Calls are scheduled at fixed times (open loop), so a slow server
// shows up as latency, not as a lower rate.
class Client {
 public:
  Client(int index, uint64_t seed, double rate, Stubs& stubs, Window& window,
         const std::atomic<bool>& stop)
      : index_(index),
        rng_(seed),
        interval_(1.0 / rate),
        stubs_(stubs),
        window_(window),
        stop_(stop) {}

  void Run() {
    const auto start = Clock::now();
    for (uint64_t step = 0; !stop_.load(); ++step) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(interval_ * step));
      const auto now = Clock::now();
      if (due > now) {
        std::this_thread::sleep_until(due);
      } else if (now - due > std::chrono::seconds(1)) {
        std::lock_guard<std::mutex> lock(window_.mu);
        ++window_.late;
      }
      if (stop_.load()) return;
      Step(step);
    }
  }

 private:
  template <typename F>
  void Timed(const char* what, F call) {
    const auto t0 = Clock::now();
    grpc::Status status = call();
    window_.Record(std::chrono::duration<double, std::milli>(Clock::now() - t0).count(), status,
                   what);
  }

  const std::string& Pick(const std::vector<std::string>& ids) { return ids[rng_() % ids.size()]; }

  void Step(uint64_t step) {
    const int op = static_cast<int>(rng_() % 100);
    if (customers_.size() < 5 || op < 12) return CreateCustomer(step);
    if (op < 20) return UpdateCustomer();
    if (op < 24) return DeleteCustomer();
    if (op < 44) return GetCustomer();
    if (op < 52) return Search();
    if (op < 58) return ListCustomers();
    if (op < 70) return LogInteraction();
    if (op < 76 || opportunities_.empty()) return CreateOpportunity(step);
    if (op < 86) return MoveStage();
    if (op < 91) return Funnel();
    return CaptureCase(step);
  }

  void CreateCustomer(uint64_t step) {
    v1::CreateCustomerRequest request;
    request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_PERSON);
    request.mutable_customer()->set_display_name(absl::StrCat("김소크 ", index_, "-", step));
    request.mutable_customer()->add_phones(
        absl::StrCat("+82 10-", 2000 + index_, "-", 1000 + step % 9000));
    v1::Customer out;
    Timed("CreateCustomer",
          [&] { return stubs_.customers->CreateCustomer(Call().get(), request, &out); });
    if (!out.id().empty()) {
      customers_.push_back(out.id());
      names_.push_back(request.customer().display_name());
    }
  }

  void UpdateCustomer() {
    v1::UpdateCustomerRequest request;
    request.mutable_customer()->set_id(Pick(customers_));
    request.mutable_customer()->set_owner(absl::StrCat("rep-", rng_() % 10));
    request.mutable_update_mask()->add_paths("owner");
    v1::Customer out;
    Timed("UpdateCustomer",
          [&] { return stubs_.customers->UpdateCustomer(Call().get(), request, &out); });
  }

  // Only customers this client never referenced, so the delete is never
  // refused for references; the load asks for no error.
  void DeleteCustomer() {
    for (size_t i = 0; i < customers_.size(); ++i) {
      if (referenced_.count(customers_[i])) continue;
      v1::DeleteCustomerRequest request;
      request.set_id(customers_[i]);
      google::protobuf::Empty none;
      Timed("DeleteCustomer",
            [&] { return stubs_.customers->DeleteCustomer(Call().get(), request, &none); });
      customers_.erase(customers_.begin() + static_cast<long>(i));
      return;
    }
    GetCustomer();
  }

  void GetCustomer() {
    v1::GetCustomerRequest request;
    request.set_id(Pick(customers_));
    v1::Customer out;
    Timed("GetCustomer",
          [&] { return stubs_.customers->GetCustomer(Call().get(), request, &out); });
  }

  // A search for one of this client's customers by its full name (the
  // search an agent makes), so its cost does not grow with the data.
  void Search() {
    v1::SearchCustomersRequest request;
    request.set_query(names_[rng_() % names_.size()]);
    request.set_page_size(20);
    v1::SearchCustomersResponse out;
    Timed("SearchCustomers",
          [&] { return stubs_.customers->SearchCustomers(Call().get(), request, &out); });
  }

  void ListCustomers() {
    v1::ListCustomersRequest request;
    request.set_page_size(50);
    request.set_filter(absl::StrCat("owner = \"rep-", rng_() % 10, "\""));
    v1::ListCustomersResponse out;
    Timed("ListCustomers",
          [&] { return stubs_.customers->ListCustomers(Call().get(), request, &out); });
  }

  void LogInteraction() {
    const std::string customer = Pick(customers_);
    v1::CreateInteractionRequest request;
    request.mutable_interaction()->set_kind(v1::INTERACTION_KIND_CALL);
    request.mutable_interaction()->set_customer_id(customer);
    request.mutable_interaction()->set_subject("정기 통화");
    referenced_.insert(customer);
    v1::Interaction out;
    Timed("CreateInteraction",
          [&] { return stubs_.interactions->CreateInteraction(Call().get(), request, &out); });
  }

  void CreateOpportunity(uint64_t step) {
    const std::string customer = Pick(customers_);
    v1::CreateOpportunityRequest request;
    v1::Opportunity* o = request.mutable_opportunity();
    o->set_customer_id(customer);
    o->set_name(absl::StrCat("소크 거래 ", index_, "-", step));
    o->set_pipeline(kPipeline);
    o->set_stage(kStages[rng_() % 3]);
    o->set_close_reason("soak");
    o->mutable_amount()->set_currency_code(rng_() % 3 == 0 ? "USD" : "KRW");
    o->mutable_amount()->set_units(static_cast<int64_t>(rng_() % 1'000'000));
    referenced_.insert(customer);
    v1::Opportunity out;
    Timed("CreateOpportunity",
          [&] { return stubs_.opportunities->CreateOpportunity(Call().get(), request, &out); });
    if (!out.id().empty()) opportunities_.push_back(out.id());
  }

  void MoveStage() {
    v1::UpdateOpportunityRequest request;
    request.mutable_opportunity()->set_id(Pick(opportunities_));
    request.mutable_opportunity()->set_stage(kStages[rng_() % kStages.size()]);
    request.mutable_update_mask()->add_paths("stage");
    v1::Opportunity out;
    Timed("MoveStage",
          [&] { return stubs_.opportunities->UpdateOpportunity(Call().get(), request, &out); });
  }

  void Funnel() {
    sfa::v1::GetFunnelRequest request;
    request.set_pipeline(kPipeline);
    sfa::v1::GetFunnelResponse out;
    Timed("GetFunnel", [&] { return stubs_.sales->GetFunnel(Call().get(), request, &out); });
  }

  // A VOC case: the module classifies it, routes it and starts its SLA
  // timers.
  void CaptureCase(uint64_t step) {
    const std::string customer = Pick(customers_);
    voc::v1::CaptureCaseRequest request;
    request.set_customer_id(customer);
    request.set_text(absl::StrCat("배송이 늦어요 (", index_, "-", step, ")"));
    referenced_.insert(customer);
    voc::v1::Case out;
    Timed("CaptureCase", [&] { return stubs_.cases->CaptureCase(Call().get(), request, &out); });
  }

  int index_;
  std::mt19937_64 rng_;
  double interval_;
  Stubs& stubs_;
  Window& window_;
  const std::atomic<bool>& stop_;
  std::vector<std::string> customers_;
  std::vector<std::string> names_;  // of customers created, deleted ones included
  std::vector<std::string> opportunities_;
  std::set<std::string> referenced_;
};

struct Sample {
  double minute = 0;
  double rss_mib = 0;
  int fds = 0;
  int sst_fds = 0;
  int other_fds = 0;  // fds - sst_fds: what a leak would raise
  int threads = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t late = 0;
};

// VmRSS (MiB) and Threads from /proc/PID/status; false when it is gone.
bool ReadStatus(pid_t pid, double* rss_mib, int* threads) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) return false;
  std::string line;
  bool rss = false, th = false;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      *rss_mib = std::stod(line.substr(6)) / 1024.0;  // kB
      rss = true;
    } else if (line.rfind("Threads:", 0) == 0) {
      *threads = std::stoi(line.substr(8));
      th = true;
    }
  }
  return rss && th;
}

// Open descriptors, and how many of them are RocksDB table files (.sst),
// whose number follows the data's size rather than a leak.
void CountFds(pid_t pid, int* all, int* tables) {
  *all = *tables = 0;
  const std::string dir_path = absl::StrCat("/proc/", pid, "/fd");
  DIR* dir = opendir(dir_path.c_str());
  if (dir == nullptr) return;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    ++*all;
    std::error_code ec;
    const std::string target = fs::read_symlink(dir_path + "/" + e->d_name, ec).string();
    if (!ec && target.size() > 4 && target.compare(target.size() - 4, 4, ".sst") == 0) ++*tables;
  }
  closedir(dir);
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

bool Setup(Stubs& stubs) {
  for (const char* module : {"sfa", "voc"}) {
    grpc::Status s = bench::EnableModule(*stubs.modules, g_token, module);
    if (!s.ok()) {
      std::fprintf(stderr, "soak: SetRollout %s: %s\n", module, s.error_message().c_str());
      return false;
    }
  }
  grpc::Status s = bench::SetUpPipeline(*stubs.sales, g_token, kPipeline);
  if (!s.ok()) {
    std::fprintf(stderr, "soak: SetPipeline: %s\n", s.error_message().c_str());
    return false;
  }
  return true;
}

double Mean(const std::vector<Sample>& s, size_t from, size_t to, double Sample::*field) {
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += s[i].*field;
  return to > from ? sum / static_cast<double>(to - from) : 0;
}
int Max(const std::vector<Sample>& s, size_t from, size_t to, int Sample::*field) {
  int m = 0;
  for (size_t i = from; i < to; ++i) m = std::max(m, s[i].*field);
  return m;
}
double MedianP99(const std::vector<Sample>& s, size_t from, size_t to) {
  std::vector<double> v;
  for (size_t i = from; i < to; ++i) v.push_back(s[i].p99_ms);
  return Quantile(v, 0.5);
}

int Run(const Options& options) {
  const fs::path data = fs::temp_directory_path() / absl::StrCat("rapport-soak-", getpid());
  const fs::path log = fs::path(options.out_dir) / "soak-rapportd.log";
  fs::remove_all(data);
  fs::create_directories(options.out_dir);
  testing::RapportdProcess server(options.rapportd, data.string(),
                                  {"--plugin-dir", options.plugin_dir, "--grpc-max-pollers", "16"},
                                  log.string());
  if (server.address().empty()) {
    std::fprintf(stderr, "soak: rapportd did not start; its log: %s\n", log.c_str());
    return 1;
  }
  {
    std::ifstream token_file(data / "admin.token");
    std::getline(token_file, g_token);
  }
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  Stubs stubs(channel);
  if (!Setup(stubs)) return 1;

  const fs::path tsv = fs::path(options.out_dir) / "soak.tsv";
  std::ofstream out(tsv);
  out << "# rapport_soak: " << options.rate << " calls/s offered by " << options.clients
      << " clients for " << options.minutes << " min, sampled every " << options.sample_seconds
      << " s\n"
      << "minute\trss_mib\tfds\tthreads\tp50_ms\tp99_ms\tcalls\terrors\tlate\tsst_fds\n";
  std::printf("soak: %.1f min at %.0f calls/s (%d clients), modules from %s, data %s\n",
              options.minutes, options.rate, options.clients, options.plugin_dir.c_str(),
              data.c_str());
  std::printf("| minute | RSS MiB | fds (.sst) | threads | p50 ms | p99 ms | calls | errors |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::fflush(stdout);

  Window window;
  std::atomic<bool> stop{false};
  std::mt19937_64 rng(options.seed);
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::thread> threads;
  for (int c = 0; c < options.clients; ++c) {
    clients.push_back(
        std::make_unique<Client>(c, rng(), options.rate / options.clients, stubs, window, stop));
    threads.emplace_back([client = clients.back().get()] { client->Run(); });
  }
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(options.minutes * 60));
  std::vector<Sample> samples;
  std::vector<std::string> errors;
  uint64_t total_calls = 0, total_errors = 0, total_late = 0;
  bool server_gone = false;
  for (int k = 1;; ++k) {
    const auto at = start + std::chrono::seconds(options.sample_seconds * k);
    if (at > end + std::chrono::milliseconds(500)) break;
    std::this_thread::sleep_until(at);
    Sample s;
    s.minute = std::chrono::duration<double>(Clock::now() - start).count() / 60;
    if (!ReadStatus(server.pid(), &s.rss_mib, &s.threads)) {
      server_gone = true;
      break;
    }
    CountFds(server.pid(), &s.fds, &s.sst_fds);
    s.other_fds = s.fds - s.sst_fds;
    std::vector<double> latencies;
    {
      std::lock_guard<std::mutex> lock(window.mu);
      latencies.swap(window.latencies_ms);
      s.errors = window.errors;
      s.late = window.late;
      window.errors = window.late = 0;
      for (auto& e : window.first_errors) {
        if (errors.size() < 10) errors.push_back(e);
      }
      window.first_errors.clear();
    }
    s.calls = latencies.size();
    s.p50_ms = Quantile(latencies, 0.5);
    s.p99_ms = Quantile(latencies, 0.99);
    total_calls += s.calls;
    total_errors += s.errors;
    total_late += s.late;
    samples.push_back(s);
    out << s.minute << '\t' << s.rss_mib << '\t' << s.fds << '\t' << s.threads << '\t' << s.p50_ms
        << '\t' << s.p99_ms << '\t' << s.calls << '\t' << s.errors << '\t' << s.late << '\t'
        << s.sst_fds << '\n';
    out.flush();
    std::printf("| %.2f | %.1f | %d (%d) | %d | %.2f | %.2f | %llu | %llu |\n", s.minute, s.rss_mib,
                s.fds, s.sst_fds, s.threads, s.p50_ms, s.p99_ms,
                static_cast<unsigned long long>(s.calls),
                static_cast<unsigned long long>(s.errors));
    std::fflush(stdout);
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  {
    // Calls that ended after the last sample.
    std::lock_guard<std::mutex> lock(window.mu);
    total_calls += window.latencies_ms.size();
    total_errors += window.errors;
    total_late += window.late;
    for (auto& e : window.first_errors) {
      if (errors.size() < 10) errors.push_back(e);
    }
  }

  std::vector<std::string> problems;
  if (server_gone) problems.push_back("rapportd exited during the soak");
  if (total_errors > 0) {
    problems.push_back(absl::StrCat(
        total_errors, " calls failed; the first: ", errors.empty() ? "?" : errors.front()));
  }
  if (!server_gone) {
    v1::CheckConsistencyRequest fsck;
    v1::CheckConsistencyResponse report;
    grpc::Status s = stubs.admin->CheckConsistency(Call(300).get(), fsck, &report);
    if (!s.ok() || !report.consistent()) {
      problems.push_back(s.ok() ? absl::StrCat("fsck found ", report.problems_size(), " problems")
                                : absl::StrCat("CheckConsistency: ", s.error_message()));
    }
  }
  // Trends: after the warm-up (the first fifth), the second half against
  // the first.
  const size_t warm = samples.size() / 5;
  const size_t mid = warm + (samples.size() - warm) / 2;
  double growth = 0, p99_ratio = 0;
  int fd_rise = 0, thread_rise = 0;
  if (samples.size() - warm >= 2) {
    const double rss1 = Mean(samples, warm, mid, &Sample::rss_mib);
    const double rss2 = Mean(samples, mid, samples.size(), &Sample::rss_mib);
    growth = rss1 > 0 ? 100 * (rss2 - rss1) / rss1 : 0;
    fd_rise = Max(samples, mid, samples.size(), &Sample::other_fds) -
              Max(samples, warm, mid, &Sample::other_fds);
    thread_rise = Max(samples, mid, samples.size(), &Sample::threads) -
                  Max(samples, warm, mid, &Sample::threads);
    const double p1 = MedianP99(samples, warm, mid);
    p99_ratio = p1 > 0 ? MedianP99(samples, mid, samples.size()) / p1 : 0;
    if (growth > options.max_growth_pct) {
      problems.push_back(absl::StrCat("RSS grew ", growth, "% from the first half to the second"));
    }
    if (fd_rise > 8) {
      problems.push_back(
          absl::StrCat("file descriptors (other than .sst tables) rose by ", fd_rise));
    }
    if (thread_rise > 8) problems.push_back(absl::StrCat("threads rose by ", thread_rise));
    if (p99_ratio > options.max_p99_ratio)
      problems.push_back(absl::StrCat("p99 rose ", p99_ratio, " times"));
  } else {
    problems.push_back("too few samples for a trend (run longer than 3 samples)");
  }
  server.TerminateAndWait(std::chrono::seconds(30));

  const fs::path md = fs::path(options.out_dir) / "soak.md";
  std::ofstream summary(md);
  summary << "# Soak (bench/soak/run)\n\n"
          << options.minutes << " min at " << options.rate << " calls/s offered by "
          << options.clients << " clients (SFA and VOC loaded), sampled every "
          << options.sample_seconds << " s; chart: soak.svg, samples: soak.tsv.\n\n"
          << "| | value |\n| --- | --- |\n"
          << "| samples | " << samples.size() << " (warm-up: first " << warm << ") |\n"
          << "| calls | " << total_calls << " |\n"
          << "| failed calls | " << total_errors << " |\n"
          << "| calls started over 1 s late | " << total_late << " |\n"
          << "| RSS first / last sample MiB | " << (samples.empty() ? 0 : samples.front().rss_mib)
          << " / " << (samples.empty() ? 0 : samples.back().rss_mib) << " |\n"
          << "| mean RSS, second half vs first | " << growth << "% |\n"
          << "| most fds other than .sst tables, second half minus first | " << fd_rise << " |\n"
          << "| .sst table fds first / last sample | "
          << (samples.empty() ? 0 : samples.front().sst_fds) << " / "
          << (samples.empty() ? 0 : samples.back().sst_fds) << " |\n"
          << "| most threads, second half minus first | " << thread_rise << " |\n"
          << "| median window p99, second half / first | " << p99_ratio << " |\n"
          << "| verdict | " << (problems.empty() ? "passed" : "FAILED") << " |\n";
  for (const auto& p : problems) summary << "\n- " << p;
  summary << "\n";
  std::printf(
      "soak: %zu samples, %llu calls, %llu failed, RSS %+.1f%% (second half vs first), fds %+d, "
      "threads %+d, p99 x%.2f: %s\n",
      samples.size(), static_cast<unsigned long long>(total_calls),
      static_cast<unsigned long long>(total_errors), growth, fd_rise, thread_rise, p99_ratio,
      problems.empty() ? "passed" : "FAILED");
  for (const auto& p : problems) std::printf("    %s\n", p.c_str());
  if (problems.empty()) fs::remove_all(data);
  return problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace rapport::soak

int main(int argc, char** argv) {
  rapport::soak::Options options;
  CLI::App app{
      "rapport_soak: a fixed-rate mixed load on rapportd with modules loaded, sampling its "
      "memory, descriptors, threads and p99"};
  app.add_option("--rapportd", options.rapportd, "the rapportd binary")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--plugin-dir", options.plugin_dir, "modules to load (must hold sfa and voc)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--minutes", options.minutes, "how long")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 24 * 60.0));
  app.add_option("--rate", options.rate, "calls per second offered, in total")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 20'000.0));
  app.add_option("--clients", options.clients, "concurrent clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--sample-seconds", options.sample_seconds, "seconds between samples")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  app.add_option("--out-dir", options.out_dir, "where soak.tsv, soak.md and the log go")
      ->capture_default_str();
  app.add_option("--max-growth-pct", options.max_growth_pct,
                 "largest allowed growth of mean RSS, second half against first")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--max-p99-ratio", options.max_p99_ratio,
                 "largest allowed ratio of the median window p99, second half to first")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--seed", options.seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  for (const char* so : {"sfa.so", "voc.so"}) {
    if (!std::filesystem::exists(std::filesystem::path(options.plugin_dir) / so)) {
      std::fprintf(stderr, "soak: no %s in %s\n", so, options.plugin_dir.c_str());
      return 2;
    }
  }
  return rapport::soak::Run(options);
}
