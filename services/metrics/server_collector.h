// File: services/metrics/server_collector.h
//
// Everything /metrics shows, gathered when Prometheus scrapes (nothing is
// computed between scrapes): the RPC table (rpc_metrics.h); the commit's
// lock wait and WAL write; RocksDB's properties and tickers that matter for
// operating it; the change feed's head and how far each named consumer and
// each module's post-commit hooks are behind it; each module's hook
// latency, failures, dead letters, timers and gate decisions; and the
// process (process_stats.h). Names follow Prometheus's conventions (base
// units, _total for counters, _seconds and _bytes); labels name methods,
// codes, modules, consumers and modes, never users or records.
// docs/operations.md, "Metrics", lists them all.
#ifndef RAPPORT_SERVICES_METRICS_SERVER_COLLECTOR_H_
#define RAPPORT_SERVICES_METRICS_SERVER_COLLECTOR_H_

#include <deque>
#include <vector>

#include "core/common/clock.h"
#include "core/feed/change_feed.h"
#include "core/plugin_host/plugin_host.h"
#include "core/store/database.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "services/metrics/rpc_metrics.h"

namespace rapport::services {

struct MetricsSources {
  store::Database* db = nullptr;
  feed::ChangeFeed* feed = nullptr;
  plugin_host::PluginHost* plugins = nullptr;  // null: no module metrics
  const RpcMetrics* rpcs = nullptr;
  const Clock* clock = &Clock::Real();  // the server's (feed commit times are on it)
};

class ServerCollector : public prometheus::Collectable {
 public:
  // Where families are gathered: references to earlier ones stay valid as
  // more are added (a vector's would not).
  using Families = std::deque<prometheus::MetricFamily>;

  // REQUIRES: the sources outlive the collector's last Collect.
  explicit ServerCollector(MetricsSources sources) : s_(sources) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  void CollectRpcs(Families* out) const;
  void CollectCommits(Families* out) const;
  void CollectRocksDb(Families* out) const;
  void CollectFeed(Families* out) const;
  void CollectModules(Families* out) const;
  void CollectProcess(Families* out) const;

  MetricsSources s_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_METRICS_SERVER_COLLECTOR_H_
