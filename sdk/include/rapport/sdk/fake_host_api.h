// File: sdk/include/rapport/sdk/fake_host_api.h
//
// The fake host's function table: what a plugin's init receives, in the
// order of rapport_host_api (plugin_abi.h), pointing at FakeHost's members.
// Part of FakeHost (fake_host.h), which includes it after the class; not a
// header to include on its own.
#ifndef RAPPORT_SDK_FAKE_HOST_API_H_
#define RAPPORT_SDK_FAKE_HOST_API_H_

namespace rapport::sdk {

inline const rapport_host_api* FakeHost::Api() {
  static const rapport_host_api api = {
      sizeof(rapport_host_api),
      RAPPORT_PLUGIN_ABI_MAJOR,
      RAPPORT_PLUGIN_ABI_MINOR,
      [](rapport_buffer* b, const void* d, size_t n) {
        if (b && b->set) b->set(b->user, d, n);
      },
      [](rapport_host_ctx* h, rapport_log_level, const char* m) {
        H(h)->logs_.push_back(m ? m : "");
      },
      RegisterHook,
      RegisterMethod,
      RegisterDescriptors,
      KvGet,
      KvPut,
      KvDelete,
      KvScan,
      GetRecord,
      [](rapport_call* c) -> const char* { return C(c)->host->tenant_.c_str(); },
      [](rapport_call* c) -> const char* { return C(c)->host->user_.c_str(); },
      [](rapport_call* c, const char* module, const char*, rapport_buffer* reason) -> int {
        auto it = C(c)->host->enabled_.find(module ? module : "");
        bool on = it != C(c)->host->enabled_.end() && it->second;
        const char* why = on ? "enabled in the fake host" : "off in the fake host";
        reason->set(reason->user, why, std::string(why).size());
        return on ? 1 : 0;
      },
      [](rapport_host_ctx* h) -> const char* { return H(h)->config_.c_str(); },
      [](rapport_host_ctx* h) -> int64_t { return H(h)->now_; },
      [](rapport_host_ctx* h, const char* name, int64_t delta) {
        int64_t& total = H(h)->metrics_[name ? name : ""];
        if (__builtin_add_overflow(total, delta, &total)) {  // saturates, as rapportd's
          total = delta > 0 ? INT64_MAX : INT64_MIN;
        }
      },
      [](rapport_call* c, rapport_resource r, rapport_operation o, rapport_bytes record,
         const char* mask, int64_t revision, rapport_buffer* out, rapport_buffer* error) -> int {
        FakeHost* host = C(c)->host;
        std::string stored, message = "no write-record handler in the fake host";
        if (C(c)->in_commit) {
          message = "write_record is not allowed in validate or pre-commit hooks";
          error->set(error->user, message.data(), message.size());
          return RAPPORT_FAILED_PRECONDITION;
        }
        int rc = RAPPORT_UNIMPLEMENTED;
        if (host->write_record_) {
          message.clear();
          rc =
              host->write_record_(r, o, Str(record), mask ? mask : "", revision, &stored, &message);
        }
        if (rc == RAPPORT_OK) {
          out->set(out->user, stored.data(), stored.size());
        } else {
          error->set(error->user, message.data(), message.size());
        }
        return rc;
      },
      [](rapport_call* c, const char* user, rapport_buffer* teams) -> int {
        auto it = C(c)->host->users_.find(user ? user : "");
        if (it == C(c)->host->users_.end()) return RAPPORT_NOT_FOUND;
        teams->set(teams->user, it->second.data(), it->second.size());
        return RAPPORT_OK;
      },
      [](rapport_call* c) -> const char* { return C(c)->host->roles_.c_str(); },
      [](rapport_call* c, rapport_buffer* owners) -> int {
        const std::vector<std::string>* scope = ScopeOf(C(c));
        if (scope == nullptr) return 1;
        std::vector<std::string> sorted = *scope;
        std::sort(sorted.begin(), sorted.end());
        std::string joined;
        for (const auto& o : sorted) joined += (joined.empty() ? "" : ",") + o;
        owners->set(owners->user, joined.data(), joined.size());
        return 0;
      },
      CallLastError,
      HostLastError,
      KvScanRange,
      KvAdd,
      ListRecords,
      SearchCustomers,
      CountRecords,
      CanRead,
      RegisterTimerHandler,
      TimerSchedule,
      TimerCancel,
      RegisterBackfill,
      EmitEvent,
      RegisterEventHook,
      CallModule,
      CallDeadlineMicros,
      CallCancelled,
      CallMetadata,
      CallRequestId,
      RegisterStreamMethod,
      StreamSend,
      NormalizeContact,
      KvSequenceNext};
  return &api;
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_FAKE_HOST_API_H_
