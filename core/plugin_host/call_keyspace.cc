// File: core/plugin_host/call_keyspace.cc
//
// A plugin's keyspace as one call sees it (plugin_abi.h: kv_get, kv_put,
// kv_delete, kv_add, kv_scan, kv_scan_range). The call's operations collect
// in CallState::pending, in order: writes, counter adds, and what its reads
// saw (ExtraWrite::kExpectValue, kExpectRange). Reads see the stored state
// with the call's own writes and adds over it. The host commits the lot
// through records::ExtraWriteResolver, which refuses it if a read is no
// longer current (PluginHost::CommitWrites, RecordCommitter::CommitLocked).

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/records/extra_write_resolver.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::plugin_host::internal {
namespace {

using records::ExtraWrite;
using CallState = PluginHost::CallState;

constexpr size_t kMaxKeyBytes = 1024;
constexpr size_t kMaxValueBytes = 1 << 20;

CallState* C(rapport_call* call) { return CallOf(call); }
int Fail(CallState* c, int code, std::string reason) {
  return FailCall(c, code, std::move(reason));
}

int Ok(CallState* c) {
  c->last_error.clear();
  return RAPPORT_OK;
}

// Reads are remembered only where the host commits the call's writes after
// it returns (a pending list), and not in validate hooks, which write
// nothing.
bool Tracks(const CallState* c) { return c->pending != nullptr && !c->read_only; }

// What the call's own operations do to one key: the last put or delete (if
// any), then the adds after it, in order (each checked for overflow, as the
// commit checks them).
struct Overlay {
  bool written = false;
  std::optional<std::string> value;
  std::vector<int64_t> deltas;
};

// Applies `o` to the key's stored value. FAILED_PRECONDITION or
// OUT_OF_RANGE as the resolver would answer at commit.
int Apply(CallState* c, const std::string& shown_key, const Overlay& o,
          const std::optional<std::string>& stored, std::optional<std::string>* out) {
  std::optional<std::string> base = o.written ? o.value : stored;
  if (o.deltas.empty()) {
    *out = std::move(base);
    return RAPPORT_OK;
  }
  int64_t value = 0;
  if (base && !records::DecodeCounter(*base, &value)) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION,
                absl::StrCat("key '", shown_key, "' holds ", base->size(),
                             " bytes, not a counter (8 bytes): kv_add cannot add to it"));
  }
  for (int64_t delta : o.deltas) {
    int64_t sum = 0;
    if (__builtin_add_overflow(value, delta, &sum)) {
      return Fail(c, RAPPORT_OUT_OF_RANGE,
                  absl::StrCat("counter '", shown_key, "': ", value, " + ", delta,
                               " overflows a signed 64-bit integer"));
    }
    value = sum;
  }
  *out = records::EncodeCounter(value);
  return RAPPORT_OK;
}

// The call's overlay of every key in [lo, hi), or of the one key lo when
// `single`.
std::map<std::string, Overlay> Overlays(const CallState* c, const std::string& lo,
                                        const std::string& hi, bool single) {
  std::map<std::string, Overlay> out;
  if (c->pending == nullptr) return out;
  for (const ExtraWrite& w : *c->pending) {
    const bool in = single ? w.key == lo : (w.key >= lo && w.key < hi);
    if (!in) continue;
    if (w.op == ExtraWrite::Op::kWrite) {
      Overlay& o = out[w.key];
      o = Overlay{};
      o.written = true;
      o.value = w.value;
    } else if (w.op == ExtraWrite::Op::kAdd) {
      out[w.key].deltas.push_back(w.delta);
    }
  }
  return out;
}

std::string KeyPrefix(const CallState* c) {
  return store::PluginKvPrefix(c->ctx->tenant, c->plugin->name);
}

int Write(rapport_call* call, rapport_bytes key, ExtraWrite w) {
  auto* c = C(call);
  if (c->read_only) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION,
                "validate hooks cannot write to the keyspace (write in a pre-commit hook)");
  }
  if (key.size == 0 || key.size > kMaxKeyBytes) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                absl::StrCat("key: must be 1 to ", kMaxKeyBytes, " bytes, got ", key.size));
  }
  if (w.value && w.value->size() > kMaxValueBytes) {
    return Fail(
        c, RAPPORT_INVALID_ARGUMENT,
        absl::StrCat("value: must be at most ", kMaxValueBytes, " bytes, got ", w.value->size()));
  }
  w.key = KeyPrefix(c) + AsString(key);
  if (c->pending) {
    c->pending->push_back(std::move(w));
    return Ok(c);
  }
  absl::Status s = KeyspaceApi::CommitNow(c, std::move(w));
  if (!s.ok()) return Fail(c, static_cast<int>(s.code()), std::string(s.message()));
  return Ok(c);
}

}  // namespace

int FailCall(PluginHost::CallState* call, int code, std::string reason) {
  call->last_error = std::move(reason);
  return code;
}

int KeyspaceApi::Put(rapport_call* call, rapport_bytes key, rapport_bytes value) {
  return Write(call, key, ExtraWrite{"", AsString(value)});
}

int KeyspaceApi::Delete(rapport_call* call, rapport_bytes key) {
  return Write(call, key, ExtraWrite{"", std::nullopt});
}

int KeyspaceApi::Add(rapport_call* call, rapport_bytes key, int64_t delta) {
  return Write(call, key, CounterAdd("", delta));
}

int KeyspaceApi::Get(rapport_call* call, rapport_bytes key, rapport_buffer* value) {
  auto* c = C(call);
  const std::string shown = AsString(key);
  std::optional<std::string> seen;
  if (int rc = ReadKey(c, KeyPrefix(c) + shown, shown, &seen); rc != RAPPORT_OK) return rc;
  if (!seen) return Fail(c, RAPPORT_NOT_FOUND, absl::StrCat("no key '", shown, "'"));
  if (value && value->set) value->set(value->user, seen->data(), seen->size());
  return Ok(c);
}

int KeyspaceApi::ReadKey(PluginHost::CallState* c, const std::string& k, const std::string& shown,
                         std::optional<std::string>* seen) {
  const std::map<std::string, Overlay> overlays = Overlays(c, k, k, /*single=*/true);
  const Overlay overlay = overlays.empty() ? Overlay{} : overlays.begin()->second;
  std::optional<std::string> stored;
  if (!overlay.written) {
    auto v = c->host->db_->Get(c->host->db_->meta(), k);
    if (!v.ok() && !absl::IsNotFound(v.status())) {
      return Fail(c, RAPPORT_UNAVAILABLE,
                  absl::StrCat("cannot read the keyspace: ", std::string(v.status().message())));
    }
    if (v.ok()) stored = std::move(*v);
    if (Tracks(c)) {
      ExtraWrite expect{k, stored};
      expect.op = ExtraWrite::Op::kExpectValue;
      c->pending->push_back(std::move(expect));
    }
  }
  return Apply(c, shown, overlay, stored, seen);
}

int KeyspaceApi::Scan(rapport_call* call, rapport_bytes prefix, rapport_scan_fn fn, void* user) {
  return ScanRange(call, prefix, rapport_bytes{nullptr, 0}, 0, 0, fn, user);
}

int KeyspaceApi::ScanRange(rapport_call* call, rapport_bytes prefix, rapport_bytes start_after,
                           uint32_t limit, int reverse, rapport_scan_fn fn, void* user) {
  auto* c = C(call);
  if (fn == nullptr) return Fail(c, RAPPORT_INVALID_ARGUMENT, "scan: no callback");
  const std::string base = KeyPrefix(c);
  const std::string shown_prefix = AsString(prefix);
  const std::string after = AsString(start_after);
  if (!after.empty() && !absl::StartsWith(after, shown_prefix)) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                absl::StrCat("start_after: '", after, "' does not start with the prefix '",
                             shown_prefix, "'"));
  }
  // The keys the scan may visit: [lo, hi).
  const std::string first = base + shown_prefix;
  const std::string end = store::PrefixSuccessor(first);
  std::string lo = first, hi = end;
  if (!after.empty()) {
    if (reverse) {
      hi = base + after;
    } else {
      lo = base + after;
      lo.push_back('\0');  // the smallest key after it
    }
  }
  const std::map<std::string, Overlay> overlays = Overlays(c, lo, hi, /*single=*/false);
  std::vector<const std::pair<const std::string, Overlay>*> pending;
  for (const auto& entry : overlays) pending.push_back(&entry);
  if (reverse) std::reverse(pending.begin(), pending.end());
  size_t next = 0;

  auto it = c->host->db_->NewIterator(c->host->db_->meta());
  if (reverse) {
    it->SeekForPrev(hi);
    if (it->Valid() && it->key().ToStringView() >= std::string_view(hi)) it->Prev();
  } else {
    it->Seek(lo);
  }
  auto stored_in_range = [&] {
    if (!it->Valid()) return false;
    std::string_view k = it->key().ToStringView();
    return k >= std::string_view(lo) && k < std::string_view(hi);
  };
  // Whether key a comes before key b in the scan's direction.
  auto before = [&](std::string_view a, std::string_view b) { return reverse ? a > b : a < b; };

  // The stored entries the scan stepped over, for the commit-time check.
  uint64_t digest = 0;
  uint32_t emitted = 0;
  std::optional<std::string> stopped_at;
  while (true) {
    const bool have_stored = stored_in_range();
    const bool have_pending = next < pending.size();
    if (!have_stored && !have_pending) break;
    std::string key;
    std::optional<std::string> stored;
    const Overlay* overlay = nullptr;
    if (have_stored && (!have_pending || !before(pending[next]->first, it->key().ToStringView()))) {
      key = it->key().ToString();
      stored = it->value().ToString();
      digest += records::EntryDigest(key, *stored);
      if (have_pending && pending[next]->first == key) overlay = &pending[next++]->second;
      reverse ? it->Prev() : it->Next();
    } else {
      key = pending[next]->first;
      overlay = &pending[next++]->second;
    }
    std::optional<std::string> value = std::move(stored);
    if (overlay != nullptr) {
      std::optional<std::string> merged;
      int rc = Apply(c, key.substr(base.size()), *overlay, value, &merged);
      if (rc != RAPPORT_OK) return rc;
      value = std::move(merged);
    }
    if (!value) continue;  // deleted by the call
    const std::string_view shown = std::string_view(key).substr(base.size());
    const rapport_bytes kb{reinterpret_cast<const uint8_t*>(shown.data()), shown.size()};
    const rapport_bytes vb{reinterpret_cast<const uint8_t*>(value->data()), value->size()};
    ++emitted;
    if (fn(user, kb, vb) == 0 || (limit != 0 && emitted >= limit)) {
      stopped_at = key;
      break;
    }
  }
  if (!it->status().ok()) {
    return Fail(c, RAPPORT_UNAVAILABLE,
                absl::StrCat("cannot read the keyspace: ", it->status().ToString()));
  }
  if (Tracks(c)) {
    // What the scan saw: up to and including the key it stopped at.
    if (stopped_at) {
      if (reverse) {
        lo = *stopped_at;
      } else {
        hi = *stopped_at;
        hi.push_back('\0');
      }
    }
    ExtraWrite expect{lo, hi};
    expect.op = ExtraWrite::Op::kExpectRange;
    expect.digest = digest;
    c->pending->push_back(std::move(expect));
  }
  return Ok(c);
}

absl::Status KeyspaceApi::CommitNow(PluginHost::CallState* c, records::ExtraWrite write) {
  rocksdb::WriteBatch batch;
  return c->host->CommitWrites({std::move(write)}, &batch);
}

int KeyspaceApi::SequenceNext(rapport_call* call, rapport_bytes key, int64_t* value) {
  auto* c = C(call);
  if (c->read_only) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION, "validate hooks cannot take sequence numbers");
  }
  if (key.size == 0 || key.size > kMaxKeyBytes) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                absl::StrCat("key: must be 1 to ", kMaxKeyBytes, " bytes, got ", key.size));
  }
  const std::string k = KeyPrefix(c) + AsString(key);
  std::lock_guard<std::mutex> lock(c->host->sequence_mu_);
  if (absl::Status s = CommitNow(c, CounterAdd(k, 1)); !s.ok()) {
    return Fail(c, static_cast<int>(s.code()), std::string(s.message()));
  }
  auto stored = c->host->db_->Get(c->host->db_->meta(), k);
  int64_t n = 0;
  if (!stored.ok() || !records::DecodeCounter(*stored, &n)) {
    return Fail(
        c, RAPPORT_UNAVAILABLE,
        absl::StrCat("cannot read sequence '", AsString(key), "' back: ",
                     stored.ok() ? "not a counter" : std::string(stored.status().message())));
  }
  if (value) *value = n;
  return Ok(c);
}

const char* KeyspaceApi::LastError(rapport_call* call) { return C(call)->last_error.c_str(); }

}  // namespace rapport::plugin_host::internal
