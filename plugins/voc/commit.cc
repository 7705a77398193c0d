// File: plugins/voc/commit.cc
#include "commit.h"

#include "reports.h"
#include "sla_timers.h"

namespace rapport::voc {

Status CommitCase(const Call& call, CaseRecord* record, const Calendar& calendar,
                  const v1::Settings& settings, int64_t now) {
  if (Status s = CountForReports(call, *record, calendar); !s.ok()) return s;
  if (Status s = SaveCase(call, record, now); !s.ok()) return s;
  return ScheduleSlaTimers(call, *record, calendar, settings, now);
}

}  // namespace rapport::voc
