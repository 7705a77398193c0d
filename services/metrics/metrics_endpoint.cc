#include "services/metrics/metrics_endpoint.h"

#include <exception>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"

namespace rapport::services {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& address,
                                                                        MetricsSources sources) {
  auto endpoint = std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint());
  endpoint->collector_ = std::make_shared<ServerCollector>(sources);
  try {
    // One thread: a scrape every few seconds needs no more.
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("--metrics-listen: cannot listen on ", address,
                                               " (address in use or invalid): ", e.what()));
  }
  endpoint->exposer_->RegisterCollectable(endpoint->collector_);
  std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("--metrics-listen: cannot listen on ", address));
  }
  endpoint->port_ = ports[0];
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace rapport::services
