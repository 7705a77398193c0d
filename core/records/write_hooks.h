// File: core/records/write_hooks.h
//
// What the record store calls before committing a change, so that plugins
// (core/plugin_host) can validate it, change it, and add their own keyspace
// writes to the same WriteBatch. The store knows nothing about plugins.
#ifndef RAPPORT_CORE_RECORDS_WRITE_HOOKS_H_
#define RAPPORT_CORE_RECORDS_WRITE_HOOKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/common/request_context.h"
#include "core/store/keyspace.h"
#include "google/protobuf/message.h"

namespace rapport::records {

using ResourceType = store::StoredResourceType;

// A plugin's keyspace operation that joins the change's batch, resolved under
// the commit lock by ExtraWriteResolver (extra_write_resolver.h):
//   kWrite        put `value` at `key` (value unset: delete);
//   kAdd          add `delta` to the int64 counter at `key`;
//   kExpectValue  a read: `key` must still hold `value` (unset: be absent);
//   kExpectRange  a scan: the entries in [key, *value) must still hash to
//                 `digest` (RangeDigest);
//   kEvent        a module event (emit_event): `value` is the serialized
//                 v1::ChangeEvent but for its sequence and commit time, and
//                 `key` the tenant's number (KeyWriter().U32); the commit adds
//                 it to the feed after the change's own event.
struct ExtraWrite {
  enum class Op : uint8_t { kWrite = 0, kAdd = 1, kExpectValue = 2, kExpectRange = 3, kEvent = 4 };
  std::string key;
  std::optional<std::string> value;
  Op op = Op::kWrite;
  int64_t delta = 0;
  uint64_t digest = 0;
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
                                   google::protobuf::Message* after,
                                   std::vector<ExtraWrite>* writes) = 0;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_WRITE_HOOKS_H_
