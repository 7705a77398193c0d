// backfill_bench: how fast a module's backfill (plugin ABI 1.2,
// register_backfill) goes through existing records, next to the plain write
// path for the same records, in one run, through the real plugin host (in
// process, no gRPC) over a real RocksDB and the test plugin "tally"
// (tests/core/plugin_host/tally_plugin.cc: a per-customer interaction
// count; its backfill handler is one Increment per interaction):
//
//   backfill_bench [--records 1000000] [--customers 1000] [--writers 2]
//                  [--baseline 100000] [--sample 100] [--smoke]
//
//   W1 plain write path, 1 thread: the first --baseline interactions, each
//      a RecordStore::Create with no plugin host (the write path's own cost,
//      in the same shape as the backfill's single dispatcher thread)
//   W2 the rest of the --records interactions from --writers threads (to
//      get the history written fast); W1 + W2 is the write time
//   B  backfill: the host loaded with "tally" on for the tenant, Start, and
//      the time until GetBackfill is STATE_DONE
//
// For each: records/s and process CPU µs per record (all threads, RocksDB's
// background work included). The ratios B/W1 say what rebuilding from the
// history costs next to having written it. Then the tally of --sample
// customers (spread over all of them) is checked against the truth.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/plugins/bench_clock.h"
#include "core/common/clock.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"

namespace {

namespace fs = std::filesystem;
using rapport::bench::CpuSeconds;
using rapport::bench::Seconds;
using rapport::bench::SteadyClock;

constexpr char kService[] = "/rapport.tally.v1.TallyService/";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "backfill_bench: %s\n", what.c_str());
  std::exit(1);
}

rapport::RequestContext Admin() {
  rapport::RequestContext ctx;
  ctx.tenant = 1;
  ctx.tenant_name = "acme";
  ctx.principal = "acme/bench";
  ctx.user_id = "bench";
  ctx.roles = {"admin"};
  return ctx;
}

struct Phase {
  int64_t records = 0;
  double wall_s = 0;
  double cpu_s = 0;
  double PerSecond() const { return wall_s > 0 ? static_cast<double>(records) / wall_s : 0; }
  double CpuUsPerRecord() const {
    return records > 0 ? cpu_s * 1e6 / static_cast<double>(records) : 0;
  }
};

// Interaction i belongs to customer i % customers.
std::atomic<int> write_failures{0};
void WriteInteractions(rapport::records::RecordStore* records,
                       const std::vector<std::string>& customers, int64_t first, int64_t end,
                       int64_t step) {
  const rapport::RequestContext ctx = Admin();
  for (int64_t i = first; i < end; i += step) {
    rapport::v1::Interaction interaction;
    interaction.set_customer_id(customers[i % static_cast<int64_t>(customers.size())]);
    interaction.set_kind(rapport::v1::INTERACTION_KIND_CALL);
    interaction.set_subject("call " + std::to_string(i));
    auto created =
        records->Create(ctx, rapport::records::ResourceType::kInteraction, interaction, "");
    if (!created.ok() && write_failures.fetch_add(1) < 5) {
      std::fprintf(stderr, "backfill_bench: create: %s\n", created.status().ToString().c_str());
    }
  }
}

Phase RunWrites(rapport::records::RecordStore* records, const std::vector<std::string>& customers,
                int64_t first, int64_t end, int threads) {
  Phase phase;
  phase.records = end - first;
  const double cpu = CpuSeconds();
  const auto start = SteadyClock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(WriteInteractions, records, std::cref(customers), first + t, end,
                         int64_t{threads});
  }
  for (auto& w : workers) w.join();
  phase.wall_s = Seconds(start);
  phase.cpu_s = CpuSeconds() - cpu;
  return phase;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1000000, baseline = 100000;
  int customers_n = 1000, writers = 2, sample = 100;
  double timeout_s = 3600;
  bool smoke = false;
  std::string plugin_dir = RAPPORT_TALLY_PLUGIN_DIR;
  CLI::App app{"backfill_bench: plugin backfill throughput next to the plain write path"};
  app.add_option("--records", n, "interactions written before the module is loaded")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  app.add_option("--customers", customers_n, "customers the interactions are spread over")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--writers", writers, "threads writing the rest after the baseline (W2)")
      ->check(CLI::Range(1, 64));
  app.add_option("--baseline", baseline, "interactions written first from 1 thread (W1)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  app.add_option("--sample", sample, "customers whose tally is checked against the truth")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--timeout", timeout_s, "give up waiting for the backfill after this many s");
  app.add_option("--plugin-dir", plugin_dir, "directory holding tally.so");
  app.add_flag("--smoke", smoke, "tiny run for CI");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    n = 3000;
    baseline = 1000;
    customers_n = 50;
    sample = 50;
    timeout_s = 60;
  }
  baseline = std::min(baseline, n);
  sample = std::min(sample, customers_n);

  using namespace rapport;
  const fs::path dir =
      fs::temp_directory_path() / ("rapport-backfill-bench-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "plugins");
  for (const char* file : {"tally.so", "tally.manifest.json"}) {
    fs::copy_file(fs::path(plugin_dir) / file, dir / "plugins" / file);
  }
  int failed = 0;
  Phase w1, w2, b;
  int64_t backfilled = 0, checked = 0, wrong = 0;
  uint64_t sequence = 0;
  std::string state = "none";
  {
    store::DatabaseOptions db_options;
    db_options.path = (dir / "db").string();
    auto db = store::Database::Open(db_options);
    if (!db.ok()) Die(db.status().ToString());
    auto records = records::RecordStore::Open(db->get(), &Clock::Real(), {});
    if (!records.ok()) Die(records.status().ToString());
    const RequestContext ctx = Admin();

    // The history, written with no plugin host (nothing observes it).
    std::vector<std::string> customers;
    for (int c = 0; c < customers_n; ++c) {
      v1::Customer customer;
      customer.set_display_name("customer " + std::to_string(c));
      auto created = (*records)->Create(ctx, records::ResourceType::kCustomer, customer, "");
      if (!created.ok()) Die(created.status().ToString());
      customers.push_back(static_cast<const v1::Customer&>(**created).id());
    }
    w1 = RunWrites(records->get(), customers, 0, baseline, 1);
    w2 = RunWrites(records->get(), customers, baseline, n, writers);
    failed += write_failures.load();

    // B: load the module, on for the whole tenant, and time its backfill.
    plugin_host::PluginHostOptions options;
    options.plugin_dir = (dir / "plugins").string();
    auto host = std::make_unique<plugin_host::PluginHost>(
        db->get(), records->get(), &Clock::Real(), options,
        [](uint32_t, const std::string&) { return std::vector<std::string>(); },
        [](uint32_t) { return std::string("acme"); });
    host->Load();
    if (!host->IsLoaded("tally")) Die("the tally plugin did not load from " + plugin_dir);
    (*records)->SetWriteHooks(host.get());
    v1::RolloutRule rule;
    rule.set_module("tally");
    rule.set_default_mode(v1::MODULE_MODE_ON);
    if (!host->gate().SetRule(ctx, rule, 0).ok()) Die("cannot turn the tally module on");
    const double cpu = CpuSeconds();
    const auto start = SteadyClock::now();
    host->Start();
    absl::StatusOr<v1::BackfillStatus> status;
    while (Seconds(start) < timeout_s) {
      status = host->GetBackfill(ctx, "tally");
      if (status.ok() && (status->state() == v1::BackfillStatus::STATE_DONE ||
                          status->state() == v1::BackfillStatus::STATE_FAILED)) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    b.wall_s = Seconds(start);
    b.cpu_s = CpuSeconds() - cpu;
    if (status.ok()) {
      state = v1::BackfillStatus::State_Name(status->state());
      backfilled = status->records();
      sequence = status->sequence();
      if (status->state() == v1::BackfillStatus::STATE_FAILED) {
        std::fprintf(stderr, "backfill_bench: backfill failed: %s\n", status->error().c_str());
      }
    } else {
      std::fprintf(stderr, "backfill_bench: %s\n", status.status().ToString().c_str());
    }
    b.records = backfilled;
    if (state != "STATE_DONE" || backfilled != n) ++failed;

    // The tally of a sample of customers, spread over all, against the truth.
    for (int s = 0; s < sample; ++s) {
      const int64_t c = static_cast<int64_t>(s) * customers_n / sample;
      const int64_t truth = n / customers_n + (c < n % customers_n ? 1 : 0);
      v1::Customer request;
      request.set_display_name(customers[c]);
      auto out = host->Invoke(ctx, std::string(kService) + "Get", request.SerializeAsString());
      v1::Customer response;
      ++checked;
      if (!out.ok() || !response.ParseFromString(*out) || response.revision() != truth) {
        if (wrong++ < 5) {
          std::fprintf(stderr, "backfill_bench: customer %lld: tally %lld, truth %lld%s\n",
                       static_cast<long long>(c), static_cast<long long>(response.revision()),
                       static_cast<long long>(truth),
                       out.ok() ? "" : (" (" + out.status().ToString() + ")").c_str());
        }
      }
    }
    host->Stop();
    (*records)->SetWriteHooks(nullptr);
  }
  fs::remove_all(dir);

  const Phase writes{w1.records + w2.records, w1.wall_s + w2.wall_s, w1.cpu_s + w2.cpu_s};
  std::printf(
      "backfill_bench  records=%lld customers=%d baseline=%lld writers=%d hardware_threads=%u\n",
      static_cast<long long>(n), customers_n, static_cast<long long>(baseline), writers,
      std::thread::hardware_concurrency());
  std::printf("%-46s %10s %9s %11s %11s\n", "phase", "records", "wall_s", "records/s",
              "cpu_us/rec");
  auto row = [](const char* name, const Phase& p) {
    std::printf("%-46s %10lld %9.2f %11.0f %11.1f\n", name, static_cast<long long>(p.records),
                p.wall_s, p.PerSecond(), p.CpuUsPerRecord());
  };
  row("W1 plain write path, 1 thread (no host)", w1);
  char w2_name[64];
  std::snprintf(w2_name, sizeof(w2_name), "W2 plain write path, %d threads (no host)", writers);
  row(w2_name, w2);
  row("W  write time, W1 + W2", writes);
  row("B  backfill (Start to STATE_DONE)", b);
  const double rate_ratio = w1.PerSecond() > 0 ? b.PerSecond() / w1.PerSecond() : 0;
  const double cpu_ratio = w1.CpuUsPerRecord() > 0 ? b.CpuUsPerRecord() / w1.CpuUsPerRecord() : 0;
  std::printf(
      "backfill %s at sequence %llu: %.2fx the records/s of the 1-thread write path "
      "(%.2fx of %d threads), %.2fx its CPU per record\n",
      state.c_str(), static_cast<unsigned long long>(sequence), rate_ratio,
      w2.PerSecond() > 0 ? b.PerSecond() / w2.PerSecond() : 0, writers, cpu_ratio);
  std::printf("tally checked for %lld customers: %lld wrong\n", static_cast<long long>(checked),
              static_cast<long long>(wrong));
  std::printf(
      "{\"records\":%lld,\"write_s\":%.2f,\"write_1t_per_s\":%.0f,\"write_per_s\":%.0f,"
      "\"backfill_s\":%.2f,\"backfill_per_s\":%.0f,\"rate_ratio\":%.2f,\"cpu_ratio\":%.2f,"
      "\"wrong\":%lld}\n",
      static_cast<long long>(n), writes.wall_s, w1.PerSecond(), writes.PerSecond(), b.wall_s,
      b.PerSecond(), rate_ratio, cpu_ratio, static_cast<long long>(wrong));
  return failed == 0 && wrong == 0 ? 0 : 1;
}
