// File: core/records/extra_write_resolver.cc

#include "core/records/extra_write_resolver.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"

namespace rapport::records {

using Local = std::map<std::string, std::optional<std::string>>;

uint64_t EntryDigest(std::string_view key, std::string_view value) {
  // Two independent hashes of the pair, so an accidental match of a changed
  // range needs both to collide.
  const uint64_t a = absl::HashOf(key, value);
  const uint64_t b = absl::HashOf(value, key.size(), key);
  return a ^ (b * 0x9e3779b97f4a7c15ULL);
}

std::string EncodeCounter(int64_t value) {
  const auto u = static_cast<uint64_t>(value);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((u >> (8 * i)) & 0xff);
  return out;
}

bool DecodeCounter(std::string_view bytes, int64_t* value) {
  if (bytes.size() != 8) return false;
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  *value = static_cast<int64_t>(u);
  return true;
}

absl::StatusOr<std::optional<std::string>> ExtraWriteResolver::Current(const std::string& key,
                                                                       const Local& local) {
  if (auto it = local.find(key); it != local.end()) return it->second;
  if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
  auto value = db_->Get(db_->meta(), key);
  if (absl::IsNotFound(value.status())) return std::optional<std::string>();
  if (!value.ok()) return value.status();
  return std::optional<std::string>(std::move(*value));
}

absl::StatusOr<uint64_t> ExtraWriteResolver::RangeDigest(const std::string& lo,
                                                         const std::string& hi,
                                                         const Local& local) {
  // The store's entries in [lo, hi), with the batch's earlier writes over
  // them (`local` is empty for reads: they are checked against the state
  // before the call's own writes).
  Local view;
  auto it = db_->NewIterator(db_->meta());
  for (it->Seek(lo); it->Valid() && (hi.empty() || it->key().ToStringView() < hi); it->Next()) {
    view.emplace(it->key().ToString(), it->value().ToString());
  }
  RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "keyspace range check"));
  for (const Local* layer : {static_cast<const Local*>(&overlay_), &local}) {
    for (auto o = layer->lower_bound(lo); o != layer->end() && (hi.empty() || o->first < hi); ++o)
      view[o->first] = o->second;
  }
  uint64_t digest = 0;
  for (const auto& [k, v] : view) {
    if (v) digest += EntryDigest(k, *v);
  }
  return digest;
}

absl::StatusOr<std::vector<ExtraWrite>> ExtraWriteResolver::Resolve(
    const std::vector<ExtraWrite>& writes, bool* conflict,
    const std::function<std::string(std::string_view)>& describe) {
  if (conflict) *conflict = false;
  auto name = [&](std::string_view key) { return describe ? describe(key) : std::string(key); };
  static const Local kNone;
  // Reads first, against the state before this call's writes.
  for (const ExtraWrite& w : writes) {
    if (w.op == ExtraWrite::Op::kExpectValue) {
      RAPPORT_ASSIGN_OR_RETURN(auto now, Current(w.key, kNone));
      if (now != w.value) {
        if (conflict) *conflict = true;
        return absl::AbortedError(
            absl::StrCat("keyspace conflict: key '", name(w.key), "' changed after it was read"));
      }
    } else if (w.op == ExtraWrite::Op::kExpectRange) {
      RAPPORT_ASSIGN_OR_RETURN(uint64_t now, RangeDigest(w.key, w.value.value_or(""), kNone));
      if (now != w.digest) {
        if (conflict) *conflict = true;
        return absl::AbortedError(absl::StrCat("keyspace conflict: keys from '", name(w.key),
                                               "' changed after they were scanned"));
      }
    }
  }
  // Then the writes, in order; adds see the earlier writes.
  Local local;
  for (const ExtraWrite& w : writes) {
    if (w.op == ExtraWrite::Op::kWrite) {
      local[w.key] = w.value;
    } else if (w.op == ExtraWrite::Op::kAdd) {
      RAPPORT_ASSIGN_OR_RETURN(auto now, Current(w.key, local));
      int64_t value = 0;
      if (now && !DecodeCounter(*now, &value)) {
        return absl::FailedPreconditionError(
            absl::StrCat("key '", name(w.key), "' holds ", now->size(),
                         " bytes, not a counter (8 bytes): kv_add cannot add to it"));
      }
      int64_t sum = 0;
      if (__builtin_add_overflow(value, w.delta, &sum)) {
        return absl::OutOfRangeError(absl::StrCat("counter '", name(w.key), "': ", value, " + ",
                                                  w.delta, " overflows a signed 64-bit integer"));
      }
      local[w.key] = EncodeCounter(sum);
    }
  }
  std::vector<ExtraWrite> out;
  out.reserve(local.size());
  for (auto& [key, value] : local) {
    overlay_[key] = value;
    out.push_back(ExtraWrite{key, std::move(value)});
  }
  for (const ExtraWrite& w : writes) {
    if (w.op == ExtraWrite::Op::kEvent) out.push_back(w);
  }
  return out;
}

}  // namespace rapport::records
