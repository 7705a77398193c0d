// File: sdk/include/rapport/sdk/fake_host_keyspace.h
//
// The fake host's plugin keyspace: puts, deletes, counter adds, reads and
// ranged scans over the call's collected operations (rapportd:
// core/plugin_host/call_keyspace.cc).
// Part of FakeHost (fake_host.h), which includes it after the class; not a
// header to include on its own.
#ifndef RAPPORT_SDK_FAKE_HOST_KEYSPACE_H_
#define RAPPORT_SDK_FAKE_HOST_KEYSPACE_H_

namespace rapport::sdk {

inline int FakeHost::Fail(Ctx* c, int code, std::string reason) {
  c->last_error = std::move(reason);
  return code;
}

inline int FakeHost::Ok(Ctx* c) {
  c->last_error.clear();
  return RAPPORT_OK;
}

inline const char* FakeHost::CallLastError(rapport_call* call) {
  return C(call)->last_error.c_str();
}

inline int FakeHost::Write(rapport_call* call, rapport_bytes key, Op op) {
  Ctx* c = C(call);
  if (c->read_only) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION,
                "validate hooks cannot write to the keyspace (write in a pre-commit hook)");
  }
  if (key.size == 0 || key.size > kMaxKeyBytes) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                "key: must be 1 to " + std::to_string(kMaxKeyBytes) + " bytes, got " +
                    std::to_string(key.size));
  }
  if (op.value && op.value->size() > kMaxValueBytes) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                "value: must be at most " + std::to_string(kMaxValueBytes) + " bytes, got " +
                    std::to_string(op.value->size()));
  }
  op.key = Str(key);
  if (c->pending) {
    c->pending->push_back(std::move(op));
    return Ok(c);
  }
  Status s = c->host->Commit(Pending{std::move(op)});
  if (!s.ok()) return Fail(c, s.code, s.message);
  return Ok(c);
}

inline int FakeHost::KvPut(rapport_call* call, rapport_bytes key, rapport_bytes value) {
  return Write(call, key, Op{"", Str(value)});
}

inline int FakeHost::KvDelete(rapport_call* call, rapport_bytes key) {
  return Write(call, key, Op{"", std::nullopt});
}

inline int FakeHost::KvAdd(rapport_call* call, rapport_bytes key, int64_t delta) {
  Op op;
  op.add = true;
  op.delta = delta;
  return Write(call, key, std::move(op));
}

// kv_sequence_next: committed to the store at once, outside the call's
// pending writes (as rapportd does), so a failed call keeps its number.
inline int FakeHost::KvSequenceNext(rapport_call* call, rapport_bytes key, int64_t* value) {
  Ctx* c = C(call);
  if (c->read_only) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION, "validate hooks cannot take sequence numbers");
  }
  if (key.size == 0 || key.size > kMaxKeyBytes) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                "key: must be 1 to " + std::to_string(kMaxKeyBytes) + " bytes, got " +
                    std::to_string(key.size));
  }
  Op op;
  op.key = Str(key);
  op.add = true;
  op.delta = 1;
  Status s = c->host->Commit(Pending{std::move(op)});
  if (!s.ok()) return Fail(c, s.code, s.message);
  int64_t n = 0;
  if (!Call::DecodeCounter(c->host->kv_[Str(key)], &n)) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION, "key '" + Str(key) + "' is not a counter");
  }
  if (value) *value = n;
  return Ok(c);
}

inline int FakeHost::KvGet(rapport_call* call, rapport_bytes key, rapport_buffer* value) {
  Ctx* c = C(call);
  const std::string k = Str(key);
  static const Pending kNone;
  Folded f = c->host->Fold(k, c->pending ? *c->pending : kNone);
  if (f.code != RAPPORT_OK) return Fail(c, f.code, f.error);
  if (!f.value) return Fail(c, RAPPORT_NOT_FOUND, "no key '" + k + "'");
  Set(value, *f.value);
  return Ok(c);
}

inline int FakeHost::KvScan(rapport_call* call, rapport_bytes prefix, rapport_scan_fn fn,
                            void* user) {
  return KvScanRange(call, prefix, rapport_bytes{nullptr, 0}, 0, 0, fn, user);
}

inline int FakeHost::KvScanRange(rapport_call* call, rapport_bytes prefix,
                                 rapport_bytes start_after, uint32_t limit, int reverse,
                                 rapport_scan_fn fn, void* user) {
  Ctx* c = C(call);
  if (fn == nullptr) return Fail(c, RAPPORT_INVALID_ARGUMENT, "scan: no callback");
  const std::string p = Str(prefix);
  const std::string after = Str(start_after);
  if (!after.empty() && after.compare(0, p.size(), p) != 0) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                "start_after: '" + after + "' does not start with the prefix '" + p + "'");
  }
  auto in_range = [&](const std::string& k) {
    if (k.compare(0, p.size(), p) != 0) return false;
    if (after.empty()) return true;
    return reverse ? k < after : k > after;
  };
  std::set<std::string> keys;
  const std::map<std::string, std::string>& kv = c->host->kv_;
  for (auto it = kv.lower_bound(p); it != kv.end() && it->first.compare(0, p.size(), p) == 0;
       ++it) {
    if (in_range(it->first)) keys.insert(it->first);
  }
  static const Pending kNone;
  const Pending& ops = c->pending ? *c->pending : kNone;
  for (const Op& op : ops) {
    if (!op.timer && in_range(op.key)) keys.insert(op.key);
  }
  std::vector<std::string> order(keys.begin(), keys.end());
  if (reverse) std::reverse(order.begin(), order.end());
  uint32_t emitted = 0;
  for (const std::string& k : order) {
    Folded f = c->host->Fold(k, ops);
    if (f.code != RAPPORT_OK) return Fail(c, f.code, f.error);
    if (!f.value) continue;  // deleted by the call
    ++emitted;
    if (fn(user, internal::Bytes(k), internal::Bytes(*f.value)) == 0 ||
        (limit != 0 && emitted >= limit)) {
      break;
    }
  }
  return Ok(c);
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_FAKE_HOST_KEYSPACE_H_
