// File: plugins/voc/voc_plugin.cc
//
// The VOC module (voice of the customer): one-step capture, categorisation
// by the tenant's rules, routing to queues and agents, and SLA clocks in
// business time on a Korean calendar, every clock replayed from the case's
// event log. Built against sdk/ and protos/ only; the API is
// rapport.voc.v1.VocService (protos/rapport/voc/v1/voc.proto), documented
// in docs/voc.md.
//
// This file registers the methods; the work is done in
//   capture.cc      CaptureCase: the customer found, the rest inferred
//   cases.cc        reading and working a case
//   settings.cc     taxonomy, rules, queues, SLA policies, the calendar
//   routing.cc      categorisation rules, queue choice, assignment, SLA policy
//   classifier.cc   the learned categoriser (naive Bayes over character n-grams)
//   classifier_store.cc  its counts in the keyspace
//   sla.cc          the clocks, replayed from the event log
//   sla_timers.cc   warnings and breaches on durable timers
//   reports.cc      GetReport, from counters kept as cases change
//   commit.cc       saving a case with its counters and timers
//   timeline.cc     the case on its customer's timeline, for sales
//   calendar.cc     business-time arithmetic
//   holidays_kr.cc  the Korean public holidays (a versioned table)
//   case_store.cc   the keyspace (keyspace.h), visibility
//   case_state.cc   the state machine
//   text_match.cc   text folding and rule matching (ICU, RE2)
//   validation.cc   the checks inputs share
#include <string>

#include "handlers.h"
#include "rapport/sdk/plugin.h"
#include "rapport/sdk/time.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/voc/v1/voc.pb.h"
#include "reports.h"
#include "sla_timers.h"
#include "timeline.h"

namespace rapport::voc {
namespace {

constexpr char kService[] = "/rapport.voc.v1.VocService/";

class Voc : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    // Inbound interactions: counted for the capture rate, and captured when
    // the tenant opted in (Settings.auto_capture_kinds).
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, 100,
        [this](Call& call, const rapport::v1::ChangeEvent& event) -> Status {
          rapport::v1::Interaction interaction;
          if (!interaction.ParseFromString(event.after().value())) {
            return Status::Internal("change event " + std::to_string(event.sequence()) +
                                    ": unreadable interaction");
          }
          return OnInteraction(call, interaction, rapport::sdk::ToMicros(event.commit_time()),
                               NowMicros());
        });
    // SLA warnings and breaches (sla_timers.h), the customer's timeline
    // (timeline.h).
    if (Status s = OnTimer([this](Call& call, const std::string& key, const std::string&) {
          if (IsSlaTimer(key)) return FireSlaTimer(call, key, NowMicros());
          return IsTimelineTimer(key) ? SyncTimeline(call, key) : Status{};
        });
        !s.ok()) {
      return s;
    }
    Add("CaptureCase", CaptureCase);
    Add("BatchCaptureCases", BatchCaptureCases);
    Add("GetCase", GetCase);
    Add("ListCases", ListCases);
    Add("ListCaseEvents", ListCaseEvents);
    Add("ChangeCaseStatus", ChangeCaseStatus);
    Add("AddCaseMessage", AddCaseMessage);
    Add("AssignCase", AssignCase);
    Add("ClassifyCase", ClassifyCase);
    Add("LinkCase", LinkCase);
    Add("CaptureFromInteraction", CaptureFromInteraction);
    Add("RecordCsat", RecordCsat);
    Add("TrainClassifier", TrainClassifier);
    Add("GetSettings", GetSettings);
    Add("UpdateSettings", UpdateSettings);
    Add("GetCalendar", GetCalendar);
    Add("SetCalendar", SetCalendar);
    Add("ListHolidays", ListHolidays);
    Add("GetReport", GetReport);
    return methods_status_;
  }

 private:
  // Registers kService + `name` with a handler that takes the host's time.
  template <typename Request, typename Response>
  void Add(const char* name, Status (*handler)(Call&, const Request&, int64_t, Response*)) {
    Status s = Method<Request, Response>(std::string(kService) + name,
                                         [this, handler](Call& c, const Request& r, Response* o) {
                                           return handler(c, r, NowMicros(), o);
                                         });
    if (methods_status_.ok()) methods_status_ = std::move(s);
  }

  // The first method the host refused, with its reason (Init returns it).
  Status methods_status_;
};

}  // namespace
}  // namespace rapport::voc

RAPPORT_PLUGIN(rapport::voc::Voc, "voc", "0.1.0")
