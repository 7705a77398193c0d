// File: services/common/descriptor_pool.h
//
// One descriptor pool for everything the server serves: the core's compiled
// protos (the generated pool, as underlay) plus the descriptor sets loaded
// plugins hand over. Server reflection describes methods from it and the
// HTTP/JSON gateway transcodes requests and responses with it.
//
//   ServedDescriptors served = LoadServedDescriptors(host->DescriptorSets());
//   served.pool->FindMethodByName("rapport.sfa.v1.SalesService/MoveStage");
//
// Plugin files resolve their imports against the generated pool; a plugin
// file that redefines a name the host already has (e.g. its copy of
// rapport/v1/common.proto) is skipped in favour of the host's. Unreadable
// sets and files that do not build are logged and skipped.
#ifndef RAPPORT_SERVICES_COMMON_DESCRIPTOR_POOL_H_
#define RAPPORT_SERVICES_COMMON_DESCRIPTOR_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace rapport::services {

struct ServedDescriptors {
  std::unique_ptr<google::protobuf::DescriptorPool> pool;
  // Full names of the services the plugins' files define, in file order.
  std::vector<std::string> plugin_services;
};

// `descriptor_sets`: serialized google.protobuf.FileDescriptorSets, as
// protoc --include_imports writes them (dependencies first).
ServedDescriptors LoadServedDescriptors(const std::vector<std::string>& descriptor_sets);

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_COMMON_DESCRIPTOR_POOL_H_
