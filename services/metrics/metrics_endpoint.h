// File: services/metrics/metrics_endpoint.h
//
// rapportd's Prometheus endpoint: GET /metrics on its own listener
// (--metrics-listen, off by default), apart from the gRPC port so that a
// scraper needs no token and the API port needs no HTTP. It serves the text
// exposition format through prometheus-cpp's Exposer (Debian's
// prometheus-cpp-dev, on civetweb). It has no authentication: bind it to
// localhost or a network only the monitoring system reaches
// (docs/operations.md, "Metrics").
#ifndef RAPPORT_SERVICES_METRICS_METRICS_ENDPOINT_H_
#define RAPPORT_SERVICES_METRICS_METRICS_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/metrics/server_collector.h"

namespace prometheus {
class Exposer;
}

namespace rapport::services {

class MetricsEndpoint {
 public:
  // Serves /metrics on `address` ("127.0.0.1:9464"; port 0 picks a free
  // one). UNAVAILABLE if it cannot listen there.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& address,
                                                                MetricsSources sources);
  ~MetricsEndpoint();

  // The port bound.
  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;
  std::shared_ptr<ServerCollector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_METRICS_METRICS_ENDPOINT_H_
