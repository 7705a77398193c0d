// File: plugins/voc/commit.h
//
// Saving a changed case with everything that follows from it, in the
// calling method's (or hook's, or timer's) one transaction: the report
// counters (reports.h), the case, its indexes and new events (SaveCase),
// its SLA timers (sla_timers.h) and its timeline entry's (timeline.h).
#ifndef RAPPORT_PLUGINS_VOC_COMMIT_H_
#define RAPPORT_PLUGINS_VOC_COMMIT_H_

#include <cstdint>

#include "calendar.h"
#include "case_store.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

Status CommitCase(const Call& call, CaseRecord* record, const Calendar& calendar,
                  const v1::Settings& settings, int64_t now);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_COMMIT_H_
