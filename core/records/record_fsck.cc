// The consistency check: records, index entries, counters and the feed.
#include "core/records/record_fsck.h"

#include <map>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"

namespace rapport::records {

absl::StatusOr<v1::CheckConsistencyResponse> RecordFsck::CheckConsistency(const RequestContext& ctx,
                                                                          int max_problems) {
  if (max_problems < 0) return InvalidField("max_problems", "must not be negative");
  if (max_problems == 0) max_problems = 100;
  v1::CheckConsistencyResponse response;
  // One snapshot for the whole check, so concurrent writes cannot show up as
  // differences.
  const rocksdb::Snapshot* snapshot = s_.db->db()->GetSnapshot();
  auto release = absl::MakeCleanup([&] { s_.db->db()->ReleaseSnapshot(snapshot); });
  auto problem = [&](v1::ConsistencyProblemKind k, ResourceType type, std::string id,
                     std::string detail) {
    if (response.problems_size() >= max_problems) return;
    auto* p = response.add_problems();
    p->set_kind(k);
    p->set_resource_type(ToProto(type));
    p->set_resource_id(std::move(id));
    p->set_detail(std::move(detail));
  };

  const bool feed_pruned =
      s_.db->Get(s_.db->meta(), store::FeedPrunedKey(ctx.tenant), snapshot).ok();
  // Latest feed event per record: id -> (operation, revision after).
  std::map<std::pair<uint8_t, std::string>, std::pair<v1::ChangeOperation, int64_t>> last_event;
  {
    std::string prefix = store::KeyWriter().U32(ctx.tenant).Release();
    auto it = s_.db->NewIterator(s_.db->feed(), snapshot);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      response.set_feed_events_checked(response.feed_events_checked() + 1);
      v1::ChangeEvent event;
      if (!event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        problem(v1::CONSISTENCY_PROBLEM_KIND_UNDECODABLE_RECORD, ResourceType::kCustomer, "",
                "undecodable change event");
        continue;
      }
      if (event.resource_id().empty()) continue;  // schema and other non-record events
      int64_t revision = 0;
      if (event.has_after()) {
        const ResourceKind& kind = KindOf(FromProto(event.resource_type()));
        RecordPtr after = kind.NewRecord();
        if (event.after().UnpackTo(after.get())) revision = GetRevision(*after);
      }
      last_event[{static_cast<uint8_t>(event.resource_type()), event.resource_id()}] = {
          event.operation(), revision};
    }
    RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "feed scan"));
  }

  for (const ResourceKind* kind : AllKinds()) {
    RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, schemas_.Load(ctx.tenant, kind->type));
    std::set<std::string> expected_keys;
    int64_t records = 0;
    std::string prefix = store::EntityPrefix(ctx.tenant, kind->code());
    auto it = s_.db->NewIterator(s_.db->entity(), snapshot);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      ++records;
      response.set_records_checked(response.records_checked() + 1);
      std::string id16(it->key().data() + it->key().size() - 16, 16);
      std::string id = ids::UlidToString(id16);
      RecordPtr record = kind->NewRecord();
      if (!record->ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        problem(v1::CONSISTENCY_PROBLEM_KIND_UNDECODABLE_RECORD, kind->type, id,
                "undecodable record");
        continue;
      }
      for (auto& key : IndexKeysFor(ctx.tenant, *kind, *record, id16, schema)) {
        expected_keys.insert(std::move(key));
      }
      auto event = last_event.find({kind->code(), id});
      if (event == last_event.end()) {
        // With retention, a record unchanged since its events were pruned
        // has none left; that is not a disagreement.
        if (!feed_pruned) {
          problem(v1::CONSISTENCY_PROBLEM_KIND_FEED_MISMATCH, kind->type, id,
                  "record has no change event");
        }
      } else if (event->second.first == v1::CHANGE_OPERATION_DELETE ||
                 event->second.second != GetRevision(*record)) {
        problem(v1::CONSISTENCY_PROBLEM_KIND_FEED_MISMATCH, kind->type, id,
                absl::StrCat("record is at revision ", GetRevision(*record),
                             " but its latest change event says ",
                             v1::ChangeOperation_Name(event->second.first), " at revision ",
                             event->second.second));
      }
      if (event != last_event.end()) last_event.erase(event);
    }
    RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "entity scan"));
    // Every index entry of this kind must be expected, and vice versa.
    for (const IndexSpec& index : kind->indexes) {
      std::string index_prefix = store::IndexPrefix(ctx.tenant, index.id);
      auto ix = s_.db->NewIterator(s_.db->index(), snapshot);
      for (ix->Seek(index_prefix); ix->Valid() && ix->key().starts_with(index_prefix); ix->Next()) {
        response.set_index_entries_checked(response.index_entries_checked() + 1);
        std::string key = ix->key().ToString();
        std::string id = ids::UlidToString(key.substr(key.size() - 16));
        if (expected_keys.erase(key) == 0) {
          problem(v1::CONSISTENCY_PROBLEM_KIND_STALE_INDEX_ENTRY, kind->type, id,
                  absl::StrCat("index ", index.name,
                               " has an entry for a record that does not "
                               "carry that value (or no longer exists)"));
        }
      }
      RAPPORT_RETURN_IF_ERROR(store::FromRocks(ix->status(), "index scan"));
    }
    for (const std::string& key : expected_keys) {
      store::KeyReader reader(key);
      uint32_t tenant;
      uint16_t index_id = 0;
      (void)reader.U32(&tenant);
      (void)reader.U16(&index_id);
      problem(v1::CONSISTENCY_PROBLEM_KIND_MISSING_INDEX_ENTRY, kind->type,
              ids::UlidToString(key.substr(key.size() - 16)),
              absl::StrCat("index ", index_id, " lacks an entry the record implies"));
    }
    auto counter =
        s_.db->Get(s_.db->counters(), store::CounterKey(ctx.tenant, kind->code()), snapshot);
    int64_t counted = counter.ok() ? store::DecodeCounter(*counter) : 0;
    if (counted != records) {
      problem(v1::CONSISTENCY_PROBLEM_KIND_COUNTER_MISMATCH, kind->type, "",
              absl::StrCat("counter says ", counted, " ", kind->plural, ", found ", records));
    }
  }
  // Records whose latest event is not a delete must exist.
  for (const auto& [key, event] : last_event) {
    if (event.first != v1::CHANGE_OPERATION_DELETE) {
      problem(v1::CONSISTENCY_PROBLEM_KIND_FEED_MISMATCH, static_cast<ResourceType>(key.first),
              key.second, "the feed says the record exists but it does not");
    }
  }
  response.set_consistent(response.problems_size() == 0);
  return response;
}

}  // namespace rapport::records
