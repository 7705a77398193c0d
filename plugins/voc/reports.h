// File: plugins/voc/reports.h
//
// VOC reports (GetReport) from counters kept as cases change (keys "r/" in
// keyspace.h), never from scanning cases: open cases by category, queue
// and age; SLA attainment and response-time histograms by the day a clock
// stopped; CSAT; cases per category per day (week over week); cases and
// inbound interactions per team (the capture rate). Counters move only by
// Increment, so concurrent cases never conflict on them.
#ifndef RAPPORT_PLUGINS_VOC_REPORTS_H_
#define RAPPORT_PLUGINS_VOC_REPORTS_H_

#include <cstdint>

#include "calendar.h"
#include "case_store.h"
#include "rapport/sdk/call.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

// Business-minute histogram bounds: bucket i is [kBuckets[i], kBuckets[i+1]).
inline constexpr int64_t kHistogramBounds[] = {0, 15, 30, 60, 120, 240, 480, 960, 1920, 3840};
inline constexpr int kHistogramBuckets = 10;

// Moves the counters from what `record.before` contributed to what
// `record.current` and its new events contribute. Call before SaveCase.
Status CountForReports(const Call& call, const CaseRecord& record, const Calendar& calendar);

// Counts an inbound interaction for its owner's teams (the capture rate).
Status CountInbound(const Call& call, const rapport::v1::Interaction& interaction,
                    const Calendar& calendar, int64_t commit_micros);

Status GetReport(Call& call, const v1::GetReportRequest& request, int64_t now, v1::Report* out);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_REPORTS_H_
