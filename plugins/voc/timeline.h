// File: plugins/voc/timeline.h
//
// The voice in the customer's timeline, so it reaches sales: a case with a
// customer has one interaction on the core's timeline
// (InteractionService.ListCustomerInteractions), owned by the customer's
// owner, a NOTE whose subject carries the case's channel, category,
// priority and status ("[VOC phone · 배송/지연 · high · open] 택배가 안 와요")
// and whose body is the case's text, tagged "voc", with the external ref
// voc=<case id>. The core's access rules then show it to whoever may see
// the customer's owner's records: the account owner and their managers.
//
// The entry is kept up to date on a durable timer ("tl/<case>"), due at
// once, set in the same commit as every change of what it shows (customer,
// status, category, priority, subject, opportunity), so no change is lost
// to a crash. The handler runs as the module (which may write for any
// owner: the agent who changed the case may not read the owner's records),
// reads the case as it is then, and creates the entry, or updates it when
// it differs. It finds the entry by its external ref, which the core keeps
// unique, so a handler run twice never makes two.
//
// Not shown: cases without a customer (until LinkCase), shadow cases (a
// shadow team's module tells nobody), and cases opened from an interaction
// (that interaction is on the timeline already). docs/voc.md, "The
// customer's timeline".
#ifndef RAPPORT_PLUGINS_VOC_TIMELINE_H_
#define RAPPORT_PLUGINS_VOC_TIMELINE_H_

#include <cstdint>
#include <string>

#include "case_store.h"
#include "rapport/sdk/call.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

// The external-ref system of timeline entries: external_refs["voc"] is the
// case id.
inline constexpr char kTimelineSystem[] = "voc";

// Whether `interaction` is a case's timeline entry (not a customer's
// message: the automatic capture and the capture rate leave it out).
bool IsTimelineEntry(const rapport::v1::Interaction& interaction);

// Whether what the case's entry shows changed (record.before against
// record.current): ask before SaveCase, which makes them equal.
bool TimelineChanged(const CaseRecord& record);
// Sets the case's timeline timer, due at `now`. Past the host's
// --plugin-max-timers the change is still saved; the entry catches up at the
// case's next change.
Status ScheduleTimelineSync(const Call& call, const std::string& case_id, int64_t now);

// Whether `key` is one of ScheduleTimelineSync's timers, and its handler.
bool IsTimelineTimer(const std::string& key);
Status SyncTimeline(const Call& call, const std::string& key);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_TIMELINE_H_
