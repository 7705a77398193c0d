// File: services/common/status_mapping.h
//
// absl::Status (core) -> grpc::Status (wire). Field violations carried by the
// core's statuses become a google.rpc.BadRequest in the status details
// (grpc-status-details-bin), which every gRPC client library can decode.
#ifndef RAPPORT_SERVICES_COMMON_STATUS_MAPPING_H_
#define RAPPORT_SERVICES_COMMON_STATUS_MAPPING_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace rapport::services {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_COMMON_STATUS_MAPPING_H_
