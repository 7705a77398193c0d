// File: plugins/voc/keyspace.h
//
// The VOC module's storage contract: every key it writes, in one place.
// These keys are on disk; never change a layout (add prefixes instead).
//
//   case/<case>                       Case as last saved (clocks are computed when read)
//   ev/<case>/<sequence:10>           CaseEvent, append-only
//   ext/<external_id>                 case id: capture by external id is idempotent
//   int/<interaction>                 case id: the case an interaction became (once)
//   cc/<customer>/<case>              "" the customer's cases
//   cq/<queue>/<case>                 "" the queue's cases
//   ca/<assignee>/<case>              "" the assignee's cases
//   cu/<case>                         "" unmatched cases (no customer yet)
//   open/<case>                       "" cases not solved or closed
//   ao/<assignee>                     counter: open cases assigned (least_open)
//   rr/<queue>                        sequence (NextSequence): round-robin turns taken
//   settings                          Settings
//   calendar                          BusinessCalendar
//   nb/d/<label>                      counter: documents the classifier learned per label
//   nb/n/<label>                      counter: n-grams in them
//   nb/v                              counter: distinct n-grams (the vocabulary)
//   nb/f/<n-gram>                     FeatureCounts: the n-gram's count per label
//   nb/case/<case>                    the label the case taught (replaced on correction)
//   ns/d/, ns/n/, ns/v, ns/f/, ns/case/   the same for the sentiment model (labels
//                                     negative, neutral, positive)
//   r/oc/<category>, r/oq/<queue>     counters: open cases ("-" for none)
//   r/od/<date>                       counter: open cases captured that day
//   r/cd/<date>/<category>            counter: cases captured that day
//   r/sla/<date>/<fr|res>/<m|b>       counter: clocks stopped that day, met or breached
//   r/h/<date>/<fr|res>/<bucket:2>    counter: ... by business minutes (reports.h buckets)
//   r/csat/<date>/<rating>            counter: CSAT recorded that day
//   r/tc/<date>/<team>                counter: cases captured by the team's members
//   r/ti/<date>/<team>                counter: inbound interactions of the team's members
//   r/pc/<date>/<agent>, r/pf/...     counters: pauses begun by the agent, and flagged ones
//   r/pm/<date>/<agent>               counter: business minutes paused, by the day it ended
//   (dates "YYYY-MM-DD", local to the calendar; counters move only by Increment)
//
// Timers are not keys: "sla/<case>" (sla_timers.h), "tl/<case>" (timeline.h).
//
// Case ids are ULIDs, so every index lists oldest first by key and newest
// first in reverse. Queue and user names never hold '/' (checked when
// settings are saved; user ids are the core's).
#ifndef RAPPORT_PLUGINS_VOC_KEYSPACE_H_
#define RAPPORT_PLUGINS_VOC_KEYSPACE_H_

#include <cstdint>
#include <string>

#include "rapport/sdk/keys.h"

namespace rapport::voc::keys {

inline constexpr char kCases[] = "case/";
inline std::string Case(const std::string& id) { return kCases + id; }
inline std::string EventPrefix(const std::string& id) { return "ev/" + id + "/"; }
inline std::string Event(const std::string& id, int64_t sequence) {
  return EventPrefix(id) + rapport::sdk::ZeroPad(sequence, 10);
}
inline std::string External(const std::string& external_id) { return "ext/" + external_id; }
inline std::string FromInteraction(const std::string& interaction) { return "int/" + interaction; }
inline std::string CustomerPrefix(const std::string& customer) { return "cc/" + customer + "/"; }
inline std::string QueuePrefix(const std::string& queue) { return "cq/" + queue + "/"; }
inline std::string AssigneePrefix(const std::string& user) { return "ca/" + user + "/"; }
inline constexpr char kUnmatched[] = "cu/";
inline constexpr char kOpen[] = "open/";
inline std::string OpenCount(const std::string& user) { return "ao/" + user; }
inline std::string RoundRobin(const std::string& queue) { return "rr/" + queue; }
inline constexpr char kSettings[] = "settings";
inline constexpr char kCalendar[] = "calendar";
inline constexpr char kLabelDocuments[] = "nb/d/";
inline constexpr char kLabelFeatures[] = "nb/n/";
inline constexpr char kVocabulary[] = "nb/v";

// Where one learned model keeps its counts (classifier_store.h): the
// category classifier under "nb/", the sentiment model under "ns/".
struct ModelKeys {
  const char* documents;   // + label: counter
  const char* features;    // + label: counter
  const char* vocabulary;  // counter
  const char* feature;     // + n-gram: FeatureCounts
  const char* case_label;  // + case id: the label the case taught
};
inline constexpr ModelKeys kCategoryModel = {kLabelDocuments, kLabelFeatures, kVocabulary, "nb/f/",
                                             "nb/case/"};
inline constexpr ModelKeys kSentimentModel = {"ns/d/", "ns/n/", "ns/v", "ns/f/", "ns/case/"};
inline constexpr char kOpenByCategory[] = "r/oc/";
inline constexpr char kOpenByQueue[] = "r/oq/";
inline constexpr char kOpenByDate[] = "r/od/";
inline constexpr char kCapturedByDate[] = "r/cd/";
inline constexpr char kSlaByDate[] = "r/sla/";
inline constexpr char kHistogramByDate[] = "r/h/";
inline constexpr char kCsatByDate[] = "r/csat/";
inline constexpr char kTeamCasesByDate[] = "r/tc/";
inline constexpr char kTeamInboundByDate[] = "r/ti/";
inline constexpr char kPausesByDate[] = "r/pc/";
inline constexpr char kFlaggedPausesByDate[] = "r/pf/";
inline constexpr char kPausedMinutesByDate[] = "r/pm/";

}  // namespace rapport::voc::keys

#endif  // RAPPORT_PLUGINS_VOC_KEYSPACE_H_
