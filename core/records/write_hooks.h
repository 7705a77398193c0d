// File: core/records/write_hooks.h
//
// What the record store calls before committing a change, so that plugins
// (core/plugin_host) can validate it, change it, and add their own keyspace
// writes to the same WriteBatch. The store knows nothing about plugins.
#ifndef RAPPORT_CORE_RECORDS_WRITE_HOOKS_H_
#define RAPPORT_CORE_RECORDS_WRITE_HOOKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/common/request_context.h"
#include "core/store/keyspace.h"
#include "google/protobuf/message.h"

namespace rapport::records {

using ResourceType = store::StoredResourceType;

// A write into the meta family that joins the change's batch (value unset:
// delete).
struct ExtraWrite {
  std::string key;
  std::optional<std::string> value;
};

enum class WriteOperation { kCreate = 1, kUpdate = 2, kDelete = 3 };

class WriteHooks {
 public:
  virtual ~WriteHooks() = default;
  // Runs validate, then pre-commit hooks. `after` is null for deletes and may
  // be changed in place (the store validates it again). An error rejects the
  // write (nothing is written) and names the plugin.
  virtual absl::Status BeforeWrite(const RequestContext& ctx, ResourceType type, WriteOperation op,
                                   const google::protobuf::Message* before,
                                   google::protobuf::Message* after, std::vector<ExtraWrite>* writes) = 0;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_WRITE_HOOKS_H_
