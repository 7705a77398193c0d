// File: plugins/voc/case_store.h
//
// Reading and writing cases in the keyspace (keyspace.h): the case, its
// indexes and its event log change together in the calling method's
// transaction. Also who may see and work a case, and the tenant's settings
// and calendar as stored.
#ifndef RAPPORT_PLUGINS_VOC_CASE_STORE_H_
#define RAPPORT_PLUGINS_VOC_CASE_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "calendar.h"
#include "rapport/sdk/call.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

using rapport::sdk::Call;

// Where cases from an unknown sender wait to be linked (LinkCase).
inline constexpr char kUnmatchedQueue[] = "unmatched";

// The stored settings (defaults when none: default queue "general").
Status LoadSettings(const Call& call, v1::Settings* out);
// The stored calendar, or DefaultCalendar().
Status LoadCalendar(const Call& call, v1::BusinessCalendar* out);

// A case and its log, loaded to be changed.
struct CaseRecord {
  v1::Case current;
  std::optional<v1::Case> before;  // as stored; none for a new case
  std::vector<v1::CaseEvent> events;
  size_t stored_events = 0;  // how many of `events` are in the keyspace
};

// NOT_FOUND ("case 'ID' not found") when there is no such case.
Status LoadCase(const Call& call, const std::string& id, CaseRecord* out);
// Appends an event (sequence and time set here; `actor` is the caller).
v1::CaseEvent* AddEvent(const Call& call, CaseRecord* record, v1::CaseEvent::Kind kind,
                        int64_t now);
// Writes the case (revision bumped, update_time now), its index entries
// and the new events.
Status SaveCase(const Call& call, CaseRecord* record, int64_t now);

// The case as answered: the stored fields plus the clocks replayed from its
// events on `calendar` as of `now`.
v1::Case ViewCase(const CaseRecord& record, const Calendar& calendar, int64_t now);

// Who may read a case: admins, members and the escalation manager of its
// queue, its assignee and creator, and the owner of its customer. A shadow
// case: admins, managers and its creator.
bool CanSee(const Call& call, const v1::Settings& settings, const v1::Case& c);
// Who may change it: admins, its queue's members and manager, its assignee
// (a shadow case: admins only).
bool CanWork(const Call& call, const v1::Settings& settings, const v1::Case& c);

// The counter at `key` (0 when missing); INTERNAL when it is not a counter.
Status ReadCounter(const Call& call, const std::string& key, int64_t* value);
// Calls fn(key without `prefix`, value) for each counter under `prefix`, in
// key order, until fn returns false; INTERNAL for a value that is not a
// counter.
Status ScanCounters(const Call& call, const std::string& prefix,
                    const std::function<bool(const std::string&, int64_t)>& fn);

// ABORTED when expected_revision is set and differs.
Status CheckRevision(const v1::Case& c, int64_t expected_revision);

// The queue named `name`, or null.
const v1::Queue* FindQueue(const v1::Settings& settings, const std::string& name);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_CASE_STORE_H_
