#ifndef RAPPORT_SERVICES_SERVER_GRPC_THREADS_H_
#define RAPPORT_SERVICES_SERVER_GRPC_THREADS_H_

#include "grpcpp/server_builder.h"

namespace rapport::services {

// How many of the gRPC sync server's threads wait for calls ("pollers").
// A thread that finishes a call goes back to waiting only while fewer than
// max_pollers threads wait; otherwise it exits, and the next burst of calls
// creates threads again. gRPC's default of 2 made rapportd create and destroy
// a thread for nearly every call once a handler can block (the commit lock,
// RocksDB): 40% of the server's CPU per create went to thread churn and its
// TLB shootdowns (docs/performance.md, "Third session"). Idle waiting threads
// cost a stack each and no CPU.
struct GrpcThreadOptions {
  int min_pollers = 1;
  int max_pollers = 32;
};

inline void ApplyGrpcThreadOptions(const GrpcThreadOptions& options, grpc::ServerBuilder& builder) {
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              options.min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.max_pollers);
}

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_SERVER_GRPC_THREADS_H_
