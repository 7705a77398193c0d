// File: plugins/voc/commit.cc
#include "commit.h"

#include "reports.h"
#include "sla_timers.h"
#include "timeline.h"

namespace rapport::voc {

Status CommitCase(const Call& call, CaseRecord* record, const Calendar& calendar,
                  const v1::Settings& settings, int64_t now) {
  if (Status s = CountForReports(call, *record, calendar); !s.ok()) return s;
  const bool timeline = TimelineChanged(*record);  // SaveCase makes `before` current
  if (Status s = SaveCase(call, record, now); !s.ok()) return s;
  if (Status s = ScheduleSlaTimers(call, *record, calendar, settings, now); !s.ok()) return s;
  return timeline ? ScheduleTimelineSync(call, record->current.id(), now) : Status{};
}

}  // namespace rapport::voc
