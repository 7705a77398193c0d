#include "services/metrics/server_collector.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "core/common/latency_histogram.h"
#include "rocksdb/db.h"
#include "rocksdb/statistics.h"
#include "services/metrics/process_stats.h"

namespace rapport::services {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

const char* kCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

using Families = ServerCollector::Families;

MetricFamily& Family(Families* out, std::string name, std::string help, MetricType type) {
  out->push_back(MetricFamily{std::move(name), std::move(help), type, {}});
  return out->back();
}

// A counter's or a gauge's value, as the family's type says.
void Add(MetricFamily& family, double value, Labels labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family.metric.push_back(std::move(m));
}

void AddHistogram(MetricFamily& family, const LatencyHistogram::Counts& counts,
                  Labels labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  m.histogram.sample_count = counts.count;
  m.histogram.sample_sum = counts.sum_seconds;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
    cumulative += counts.buckets[i];
    m.histogram.bucket.push_back({cumulative, LatencyHistogram::kBounds[i]});
  }
  // The +Inf bucket: everything, as prometheus-cpp's own histograms end.
  cumulative += counts.buckets[LatencyHistogram::kBounds.size()];
  m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  family.metric.push_back(std::move(m));
}

}  // namespace

std::vector<MetricFamily> ServerCollector::Collect() const {
  Families families;
  CollectRpcs(&families);
  CollectCommits(&families);
  CollectRocksDb(&families);
  CollectFeed(&families);
  CollectModules(&families);
  CollectProcess(&families);
  return {std::make_move_iterator(families.begin()), std::make_move_iterator(families.end())};
}

void ServerCollector::CollectRpcs(Families* out) const {
  if (s_.rpcs == nullptr) return;
  MetricFamily& handled = Family(out, "grpc_server_handled_total",
                                 "RPCs answered, by method, status code and the module serving "
                                 "the method (core: the core's services)",
                                 MetricType::Counter);
  MetricFamily& seconds = Family(out, "grpc_server_handling_seconds",
                                 "Time from an RPC's arrival to its status (a stream's whole "
                                 "life), by method and module",
                                 MetricType::Histogram);
  s_.rpcs->ForEach([&](const RpcMetrics::Method& method) {
    Labels base = {
        {"grpc_service", method.service}, {"grpc_method", method.name}, {"module", method.module}};
    bool any = false;
    for (size_t code = 0; code < method.codes.size(); ++code) {
      const uint64_t n = method.codes[code].load(std::memory_order_relaxed);
      if (n == 0) continue;
      any = true;
      Labels labels = base;
      labels.push_back({"grpc_code", kCodeNames[code]});
      Add(handled, static_cast<double>(n), std::move(labels));
    }
    // Methods never called are left out: a server with plugins serves
    // hundreds, and a scrape of empty histograms helps nobody.
    if (any) AddHistogram(seconds, method.latency.Read(), std::move(base));
  });
}

void ServerCollector::CollectCommits(Families* out) const {
  if (s_.feed == nullptr) return;
  AddHistogram(Family(out, "rapport_commit_lock_wait_seconds",
                      "Time a write waited for the commit lock (every change of records, "
                      "identity, rollout rules and module keyspaces commits under it)",
                      MetricType::Histogram),
               s_.feed->commit_lock_wait().Read());
  AddHistogram(Family(out, "rapport_commit_write_seconds",
                      "Time of a commit's RocksDB write under the commit lock (the WAL append "
                      "and memtable inserts; under --sync the fsync follows, see "
                      "rapport_commit_sync_seconds)",
                      MetricType::Histogram),
               s_.feed->commit_write().Read());
  // Group commit (--sync only; empty and zero without it).
  AddHistogram(Family(out, "rapport_commit_sync_seconds",
                      "Time of a group commit's WAL fsync under --sync, after the commit lock "
                      "is released; one sync makes every batch written before it durable",
                      MetricType::Histogram),
               s_.feed->commit_sync().Read());
  const auto counts = s_.feed->sync_counts();
  Add(Family(out, "rapport_commit_syncs_total",
             "Group commit WAL fsyncs under --sync (batches per sync: "
             "rapport_commit_synced_batches_total / rapport_commit_syncs_total)",
             MetricType::Counter),
      static_cast<double>(counts.syncs));
  Add(Family(out, "rapport_commit_synced_batches_total",
             "Batches written under the commit lock that group commit's fsyncs made durable",
             MetricType::Counter),
      static_cast<double>(counts.batches));
}

void ServerCollector::CollectRocksDb(Families* out) const {
  if (s_.db == nullptr) return;
  rocksdb::DB* db = s_.db->db();
  // Summed over the column families (or, for flags, the largest).
  auto per_family = [&](const std::string& property, bool max) {
    uint64_t total = 0;
    for (rocksdb::ColumnFamilyHandle* family : s_.db->families()) {
      uint64_t v = 0;
      if (!db->GetIntProperty(family, property, &v)) continue;
      total = max ? std::max(total, v) : total + v;
    }
    return static_cast<double>(total);
  };
  auto whole = [&](const std::string& property) {
    uint64_t v = 0;
    return db->GetIntProperty(property, &v) ? static_cast<double>(v) : 0.0;
  };
  Add(Family(out, "rapport_rocksdb_memtable_bytes",
             "Memory of all memtables (active, immutable and pinned), all column families",
             MetricType::Gauge),
      per_family(rocksdb::DB::Properties::kCurSizeAllMemTables, false));
  Add(Family(out, "rapport_rocksdb_compaction_pending",
             "1 when some column family has a compaction waiting", MetricType::Gauge),
      per_family(rocksdb::DB::Properties::kCompactionPending, true));
  Add(Family(out, "rapport_rocksdb_pending_compaction_bytes",
             "Bytes compaction must rewrite to bring every level under its target "
             "(RocksDB's estimate; large values lead to write stalls)",
             MetricType::Gauge),
      per_family(rocksdb::DB::Properties::kEstimatePendingCompactionBytes, false));
  Add(Family(out, "rapport_rocksdb_running_compactions", "Compactions running now",
             MetricType::Gauge),
      whole(rocksdb::DB::Properties::kNumRunningCompactions));
  Add(Family(out, "rapport_rocksdb_write_stopped",
             "1 while RocksDB stops writes (too many memtables or L0 files)", MetricType::Gauge),
      whole(rocksdb::DB::Properties::kIsWriteStopped));
  Add(Family(out, "rapport_rocksdb_delayed_write_rate_bytes_per_second",
             "The write rate RocksDB slows writes to while it delays them (0: not delaying)",
             MetricType::Gauge),
      whole(rocksdb::DB::Properties::kActualDelayedWriteRate));
  Add(Family(out, "rapport_rocksdb_live_data_bytes",
             "Estimated size of the live data, all column families", MetricType::Gauge),
      per_family(rocksdb::DB::Properties::kEstimateLiveDataSize, false));
  Add(Family(out, "rapport_rocksdb_sst_files_bytes", "Size of all SST files, all versions",
             MetricType::Gauge),
      per_family(rocksdb::DB::Properties::kTotalSstFilesSize, false));
  Add(Family(out, "rapport_rocksdb_block_cache_usage_bytes",
             "Memory in the block cache (memtables are charged to it too)", MetricType::Gauge),
      whole(rocksdb::DB::Properties::kBlockCacheUsage));
  Add(Family(out, "rapport_rocksdb_block_cache_capacity_bytes", "The block cache's capacity",
             MetricType::Gauge),
      whole(rocksdb::DB::Properties::kBlockCacheCapacity));
  if (rocksdb::Statistics* stats = s_.db->statistics()) {
    Add(Family(out, "rapport_rocksdb_block_cache_hits_total",
               "Block reads served by the block cache (hit rate: rate(hits) / (rate(hits) + "
               "rate(misses)))",
               MetricType::Counter),
        static_cast<double>(stats->getTickerCount(rocksdb::BLOCK_CACHE_HIT)));
    Add(Family(out, "rapport_rocksdb_block_cache_misses_total",
               "Block reads that went to the SST files", MetricType::Counter),
        static_cast<double>(stats->getTickerCount(rocksdb::BLOCK_CACHE_MISS)));
    Add(Family(out, "rapport_rocksdb_stall_seconds_total",
               "Time writes spent stalled or delayed by RocksDB", MetricType::Counter),
        static_cast<double>(stats->getTickerCount(rocksdb::STALL_MICROS)) / 1e6);
  }
}

void ServerCollector::CollectFeed(Families* out) const {
  if (s_.feed == nullptr) return;
  Add(Family(out, "rapport_feed_head_sequence",
             "The change feed's last committed sequence (server-wide)", MetricType::Gauge),
      static_cast<double>(s_.feed->last_sequence()));
  MetricFamily& lag = Family(out, "rapport_feed_consumer_lag_seconds",
                             "Age of the oldest event of its tenant after a named consumer's "
                             "acknowledged cursor (EventService acknowledgements); the largest "
                             "over tenants, 0 when caught up",
                             MetricType::Gauge);
  auto lags = s_.feed->ConsumerLags();
  if (lags.ok()) {
    const absl::Time now = s_.clock->Now();
    std::map<std::string, double> largest;
    for (const feed::ConsumerLag& l : *lags) {
      double& at = largest[l.consumer];
      if (l.oldest_pending) at = std::max(at, absl::ToDoubleSeconds(now - *l.oldest_pending));
    }
    for (const auto& [consumer, seconds] : largest) Add(lag, seconds, {{"consumer", consumer}});
  }
}

void ServerCollector::CollectModules(Families* out) const {
  if (s_.plugins == nullptr) return;
  MetricFamily& info = Family(out, "rapport_module_info",
                              "1 for each module found: its version and state", MetricType::Gauge);
  MetricFamily& calls =
      Family(out, "rapport_module_hook_calls_total",
             "Hook invocations (validate, pre-commit, post-commit)", MetricType::Counter);
  MetricFamily& failures =
      Family(out, "rapport_module_hook_failures_total",
             "Hook invocations that failed (an error, exception or timeout)", MetricType::Counter);
  MetricFamily& letters =
      Family(out, "rapport_module_dead_letters_total",
             "Post-commit events and timers given up after every retry (since start)",
             MetricType::Counter);
  MetricFamily& timers = Family(out, "rapport_module_timers_fired_total",
                                "Durable timers whose handler committed", MetricType::Counter);
  MetricFamily& timer_failures =
      Family(out, "rapport_module_timer_failures_total",
             "Timer handler runs that failed (retried with backoff)", MetricType::Counter);
  MetricFamily& conflicts =
      Family(out, "rapport_module_keyspace_conflicts_total",
             "Keyspace commits that found a read out of date and ran again", MetricType::Counter);
  MetricFamily& module_calls =
      Family(out, "rapport_module_calls_total",
             "Calls other modules made to the module's methods in process (call_module)",
             MetricType::Counter);
  MetricFamily& backfilled =
      Family(out, "rapport_module_backfill_records_total",
             "Records handed to the module's backfill handlers since start", MetricType::Counter);
  MetricFamily& custom =
      Family(out, "rapport_module_metric", "A module's own metric (Plugin::MetricAdd), by name",
             MetricType::Gauge);
  static const std::set<std::string> kHostKept = {
      "keyspace_conflicts", "module_calls", "backfill_records", "timers_fired", "timer_failures"};
  for (const v1::Module& m : s_.plugins->Modules()) {
    Add(info, 1, {{"module", m.name()}, {"version", m.version()}, {"state", m.state()}});
    Labels module = {{"module", m.name()}};
    Add(calls, static_cast<double>(m.hook_calls()), module);
    Add(failures, static_cast<double>(m.hook_failures()), module);
    Add(letters, static_cast<double>(m.dead_letters()), module);
    auto metric = [&](const char* key) {
      auto it = m.metrics().find(key);
      return it == m.metrics().end() ? 0.0 : static_cast<double>(it->second);
    };
    Add(timers, metric("timers_fired"), module);
    Add(timer_failures, metric("timer_failures"), module);
    Add(conflicts, metric("keyspace_conflicts"), module);
    Add(module_calls, metric("module_calls"), module);
    Add(backfilled, metric("backfill_records"), module);
    // The map's order is not stable: sort the module's own names.
    std::map<std::string, int64_t> own(m.metrics().begin(), m.metrics().end());
    for (const auto& [name, value] : own) {
      if (kHostKept.count(name)) continue;
      Add(custom, static_cast<double>(value), {{"module", m.name()}, {"name", name}});
    }
  }
  MetricFamily& hook_seconds =
      Family(out, "rapport_module_hook_seconds",
             "Time of a module's hook runs, by kind (validate, pre_commit, post_commit)",
             MetricType::Histogram);
  MetricFamily& lag = Family(out, "rapport_module_feed_lag_seconds",
                             "Age of the oldest change a module's post-commit hooks have not "
                             "handled yet, over every tenant (0: caught up)",
                             MetricType::Gauge);
  static const char* kHookKinds[] = {"validate", "pre_commit", "post_commit"};
  for (const plugin_host::ModuleTimings& t : s_.plugins->Timings()) {
    for (size_t kind = 0; kind < t.hooks.size(); ++kind) {
      if (t.hooks[kind].count == 0) continue;  // a kind the module has no hook of, or idle
      AddHistogram(hook_seconds, t.hooks[kind], {{"module", t.module}, {"hook", kHookKinds[kind]}});
    }
    if (t.feed_lag) {
      Add(lag, absl::ToDoubleSeconds(*t.feed_lag), {{"module", t.module}});
    }
  }
  MetricFamily& gate = Family(out, "rapport_module_gate_decisions_total",
                              "Module gate decisions (RPCs, hooks and calls between modules), by "
                              "the mode decided",
                              MetricType::Counter);
  for (const auto& [name, counts] : s_.plugins->gate().Decisions()) {
    // Only loaded modules: a plugin may ask about any name (ModuleEnabled).
    if (!s_.plugins->IsLoaded(name)) continue;
    for (int mode = v1::MODULE_MODE_OFF; mode <= v1::MODULE_MODE_ON; ++mode) {
      std::string mode_name = v1::ModuleMode_Name(static_cast<v1::ModuleMode>(mode));
      mode_name = absl::AsciiStrToLower(mode_name.substr(sizeof("MODULE_MODE_") - 1));
      Add(gate, static_cast<double>(counts[mode]), {{"module", name}, {"mode", mode_name}});
    }
  }
}

void ServerCollector::CollectProcess(Families* out) const {
  auto p = ReadProcessStats();
  if (!p) return;
  Add(Family(out, "process_resident_memory_bytes", "Resident memory size in bytes",
             MetricType::Gauge),
      static_cast<double>(p->resident_memory_bytes));
  Add(Family(out, "process_virtual_memory_bytes", "Virtual memory size in bytes",
             MetricType::Gauge),
      static_cast<double>(p->virtual_memory_bytes));
  Add(Family(out, "process_threads", "Threads of the process", MetricType::Gauge),
      static_cast<double>(p->threads));
  Add(Family(out, "process_open_fds", "Open file descriptors", MetricType::Gauge),
      static_cast<double>(p->open_fds));
  Add(Family(out, "process_cpu_seconds_total", "User and system CPU time spent in seconds",
             MetricType::Counter),
      p->cpu_seconds);
  Add(Family(out, "process_start_time_seconds",
             "Start time of the process since the Unix epoch in seconds", MetricType::Gauge),
      p->start_time_seconds);
}

}  // namespace rapport::services
