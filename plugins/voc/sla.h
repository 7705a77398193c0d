// File: plugins/voc/sla.h
//
// The SLA clocks of a case, replayed from its event log: the same events
// and calendar give the same deadlines (docs/voc.md, "SLA clocks").
//
// Both clocks start at capture and run in business time (calendar.h); both
// pause while the case is pending_customer or on_hold. First response stops
// at the first agent reply (or when the case is solved first); resolution
// stops when the case is solved and runs again if it is reopened. The
// targets are those of the latest KIND_SLA_APPLIED event (a priority change
// may apply another policy); the time consumed carries over.
#ifndef RAPPORT_PLUGINS_VOC_SLA_H_
#define RAPPORT_PLUGINS_VOC_SLA_H_

#include <cstdint>
#include <vector>

#include "calendar.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

struct Clocks {
  v1::SlaClock first_response;
  v1::SlaClock resolution;
  // Business microseconds each has consumed (SlaClock rounds to minutes).
  int64_t first_response_elapsed = 0;
  int64_t resolution_elapsed = 0;
};

// The clocks as of `now` from `events` (in sequence order).
Clocks ReplayClocks(const Calendar& calendar, const std::vector<v1::CaseEvent>& events,
                    int64_t now);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_SLA_H_
