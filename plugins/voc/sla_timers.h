// File: plugins/voc/sla_timers.h
//
// SLA warnings and breaches as they happen, on the SDK's durable timers:
// after every change of a case its one timer ("sla/<case>") is set to its
// next SLA point (either clock's warning or breach), moved or cancelled as
// the clocks move, pause or stop. When it fires, the handler replays the
// clocks as of then: each point really reached is logged on the case
// (KIND_SLA_WARNING / KIND_SLA_BREACHED), announced as the module event
// voc/sla.warning or voc/sla.breached, and acted on (SlaPolicy's actions);
// then the timer is set to the next point. The timer's removal commits
// with those effects, so each happens once.
#ifndef RAPPORT_PLUGINS_VOC_SLA_TIMERS_H_
#define RAPPORT_PLUGINS_VOC_SLA_TIMERS_H_

#include <cstdint>
#include <string>

#include "calendar.h"
#include "case_store.h"
#include "rapport/sdk/call.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

// Sets the case's timer to its next SLA point as of `now` (or cancels it).
Status ScheduleSlaTimers(const Call& call, const CaseRecord& record, const Calendar& calendar,
                         const v1::Settings& settings, int64_t now);

// Whether `key` is one of ScheduleSlaTimers' keys.
bool IsSlaTimer(const std::string& key);

// The timer handler for those keys.
Status FireSlaTimer(const Call& call, const std::string& key, int64_t now);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_SLA_TIMERS_H_
