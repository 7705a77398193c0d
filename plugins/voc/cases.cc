// File: plugins/voc/cases.cc
//
// Reading and working a case: every change appends to the case's event log
// in the same transaction as the case, so the clocks replayed from the log
// always agree with what was answered.
#include <algorithm>
#include <string>
#include <vector>

#include "case_state.h"
#include "case_store.h"
#include "classifier_store.h"
#include "commit.h"
#include "handlers.h"
#include "keyspace.h"
#include "rapport/sdk/page_token.h"
#include "rapport/sdk/text.h"
#include "rapport/sdk/time.h"
#include "rapport/v1/customer.pb.h"
#include "routing.h"
#include "text_match.h"
#include "validation.h"

namespace rapport::voc {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;
// Index entries one ListCases page reads before answering with what it has.
constexpr int kMaxExamined = 10000;
constexpr size_t kMaxReasonChars = 500;
constexpr int kMaxTrainingExamples = 500;
constexpr int64_t kDefaultPauseAuditMinutes = 10;

// What a mutating method starts with: the case (visible to the caller, or
// NOT_FOUND), the settings and calendar, the revision checked, and
// PERMISSION_DENIED for someone who may see but not work it.
struct Working {
  CaseRecord record;
  v1::Settings settings;
  Calendar calendar;
};

Status Load(const Call& call, const std::string& id, int64_t expected_revision, bool work,
            Working* w) {
  if (Status s = LoadCase(call, id, &w->record); !s.ok()) return s;
  if (Status s = LoadSettings(call, &w->settings); !s.ok()) return s;
  v1::BusinessCalendar calendar;
  if (Status s = LoadCalendar(call, &calendar); !s.ok()) return s;
  w->calendar = BuildCalendar(calendar);
  const v1::Case& c = w->record.current;
  if (!CanSee(call, w->settings, c)) return Status::NotFound("case '" + id + "' not found");
  if (work && !CanWork(call, w->settings, c)) {
    return Status::PermissionDenied("case '" + id + "': only its queue's members, its assignee " +
                                    "and admins may change it");
  }
  return CheckRevision(c, expected_revision);
}

Status Finish(Call& call, Working* w, int64_t now, v1::Case* out) {
  if (Status s = CommitCase(call, &w->record, w->calendar, w->settings, now); !s.ok()) return s;
  *out = ViewCase(w->record, w->calendar, now);
  return {};
}

// Moves the case to `to`, logging it (the caller checked the move).
void Move(const Call& call, CaseRecord* record, v1::CaseStatus to, const std::string& reason,
          int64_t now) {
  v1::CaseEvent* e = AddEvent(call, record, v1::CaseEvent::KIND_STATUS_CHANGED, now);
  e->set_from_status(record->current.status());
  e->set_to_status(to);
  e->set_reason(reason);
  record->current.set_status(to);
  record->current.set_status_reason(reason);
}

std::string AllowedFrom(v1::CaseStatus from) {
  std::string out;
  for (int s = v1::CASE_STATUS_NEW; s <= v1::CASE_STATUS_REOPENED; ++s) {
    if (CanMove(from, static_cast<v1::CaseStatus>(s))) {
      out += (out.empty() ? "" : ", ") + StatusName(static_cast<v1::CaseStatus>(s));
    }
  }
  return out.empty() ? "none: it is final" : out;
}

Status CheckReason(const std::string& reason) {
  if (rapport::sdk::CodePoints(reason) > kMaxReasonChars) {
    return Status::Invalid("reason: at most 500 characters");
  }
  return {};
}

}  // namespace

Status GetCase(Call& call, const v1::GetCaseRequest& request, int64_t now, v1::Case* out) {
  Working w;
  if (Status s = Load(call, request.id(), 0, false, &w); !s.ok()) return s;
  *out = ViewCase(w.record, w.calendar, now);
  return {};
}

Status ListCases(Call& call, const v1::ListCasesRequest& request, int64_t now,
                 v1::ListCasesResponse* out) {
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return Status::Invalid("page_size: " + std::to_string(request.page_size()) +
                           " is outside 0..1000");
  }
  for (int i = 0; i < request.statuses_size(); ++i) {
    if (!v1::CaseStatus_IsValid(request.statuses(i)) ||
        request.statuses(i) == v1::CASE_STATUS_UNSPECIFIED) {
      return Status::Invalid("statuses[" + std::to_string(i) + "]: unknown status");
    }
  }
  if (request.unmatched() && !request.customer_id().empty()) {
    return Status::Invalid("unmatched: an unmatched case has no customer_id to filter by");
  }
  for (const std::string* name : {&request.customer_id(), &request.queue(), &request.assignee()}) {
    if (name->find('/') != std::string::npos) {
      return Status::Invalid("'" + *name + "' is not a customer id, queue or user name");
    }
  }
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  // The narrowest index the filters allow.
  std::string prefix = keys::kCases;
  if (!request.customer_id().empty()) {
    prefix = keys::CustomerPrefix(request.customer_id());
  } else if (request.unmatched()) {
    prefix = keys::kUnmatched;
  } else if (!request.queue().empty()) {
    prefix = keys::QueuePrefix(request.queue());
  } else if (!request.assignee().empty()) {
    prefix = keys::AssigneePrefix(request.assignee());
  }
  std::string statuses;
  for (int st : request.statuses()) statuses += std::to_string(st) + ",";
  const std::string query = rapport::sdk::PageQuery(
      {"ListCases", request.customer_id(), request.queue(), request.assignee(), statuses,
       request.unmatched() ? "u" : "", request.shadow_only() ? "s" : ""});
  std::string resume;
  if (Status s = rapport::sdk::DecodePageToken(request.page_token(), query, &resume); !s.ok()) {
    return s;
  }
  v1::Settings settings;
  if (Status s = LoadSettings(call, &settings); !s.ok()) return s;
  v1::BusinessCalendar calendar_proto;
  if (Status s = LoadCalendar(call, &calendar_proto); !s.ok()) return s;
  const Calendar calendar = BuildCalendar(calendar_proto);

  Call::ScanOptions options;
  options.reverse = true;
  options.start_after = resume.empty() ? "" : prefix + resume;
  int examined = 0;
  std::string last;
  bool more = false;
  Status failed;
  Status s = call.Scan(prefix, options, [&](const std::string& key, const std::string&) {
    if (out->cases_size() == page_size || examined == kMaxExamined) {
      more = true;
      return false;
    }
    ++examined;
    last = key.substr(prefix.size());
    CaseRecord record;
    if (Status l = LoadCase(call, last, &record); !l.ok()) {
      if (l.code == RAPPORT_NOT_FOUND) return true;
      failed = l;
      return false;
    }
    const v1::Case& c = record.current;
    if ((!request.customer_id().empty() && c.customer_id() != request.customer_id()) ||
        (request.unmatched() && !c.customer_id().empty()) ||
        (!request.queue().empty() && c.queue() != request.queue()) ||
        (!request.assignee().empty() && c.assignee() != request.assignee()) ||
        (request.shadow_only() && !c.shadow()) ||
        (!request.statuses().empty() &&
         std::find(request.statuses().begin(), request.statuses().end(), c.status()) ==
             request.statuses().end()) ||
        !CanSee(call, settings, c)) {
      return true;
    }
    *out->add_cases() = ViewCase(record, calendar, now);
    return true;
  });
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;
  if (more) out->set_next_page_token(rapport::sdk::EncodePageToken(query, last));
  return {};
}

Status ListCaseEvents(Call& call, const v1::ListCaseEventsRequest& request, int64_t,
                      v1::ListCaseEventsResponse* out) {
  Working w;
  if (Status s = Load(call, request.case_id(), 0, false, &w); !s.ok()) return s;
  for (const v1::CaseEvent& e : w.record.events) *out->add_events() = e;
  return {};
}

Status ChangeCaseStatus(Call& call, const v1::ChangeCaseStatusRequest& request, int64_t now,
                        v1::Case* out) {
  if (!v1::CaseStatus_IsValid(request.status()) ||
      request.status() == v1::CASE_STATUS_UNSPECIFIED) {
    return Status::Invalid("status: is required (a known CaseStatus)");
  }
  if (Status s = CheckReason(request.reason()); !s.ok()) return s;
  if (Pauses(request.status()) &&
      request.reason().find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::Invalid("reason: is required to move a case to " + StatusName(request.status()) +
                           " (the SLA clocks pause)");
  }
  Working w;
  if (Status s = Load(call, request.case_id(), request.expected_revision(), true, &w); !s.ok()) {
    return s;
  }
  const v1::CaseStatus from = w.record.current.status();
  if (!CanMove(from, request.status())) {
    return Status::FailedPrecondition("status: a " + StatusName(from) + " case cannot move to " +
                                      StatusName(request.status()) +
                                      " (allowed: " + AllowedFrom(from) + ")");
  }
  Move(call, &w.record, request.status(), request.reason(), now);
  if (Pauses(request.status())) {
    // The pause audit: flag a pause begun soon after the customer spoke.
    const int64_t window = (w.settings.pause_audit_minutes() > 0 ? w.settings.pause_audit_minutes()
                                                                 : kDefaultPauseAuditMinutes) *
                           rapport::sdk::kMicrosPerMinute;
    for (auto it = w.record.events.rbegin(); it != w.record.events.rend(); ++it) {
      if (it->kind() != v1::CaseEvent::KIND_CUSTOMER_MESSAGE &&
          it->kind() != v1::CaseEvent::KIND_CAPTURED) {
        continue;
      }
      w.record.events.back().set_pause_flagged(now - rapport::sdk::ToMicros(it->time()) <= window);
      break;
    }
  }
  return Finish(call, &w, now, out);
}

Status AddCaseMessage(Call& call, const v1::AddCaseMessageRequest& request, int64_t now,
                      v1::Case* out) {
  if (Status s = CheckText("text", request.text()); !s.ok()) return s;
  Working w;
  if (Status s = Load(call, request.case_id(), request.expected_revision(), true, &w); !s.ok()) {
    return s;
  }
  const v1::CaseStatus status = w.record.current.status();
  if (status == v1::CASE_STATUS_CLOSED) {
    return Status::FailedPrecondition("case_id: case '" + request.case_id() +
                                      "' is closed; capture a new case instead");
  }
  if (request.from_customer()) {
    AddEvent(call, &w.record, v1::CaseEvent::KIND_CUSTOMER_MESSAGE, now)->set_text(request.text());
    // The customer answered: a case waiting for them is worked again, a
    // solved one reopens.
    if (status == v1::CASE_STATUS_PENDING_CUSTOMER) {
      Move(call, &w.record, v1::CASE_STATUS_OPEN, "the customer replied", now);
    } else if (status == v1::CASE_STATUS_SOLVED) {
      Move(call, &w.record, v1::CASE_STATUS_REOPENED, "the customer replied", now);
    }
  } else {
    AddEvent(call, &w.record, v1::CaseEvent::KIND_AGENT_REPLIED, now)->set_text(request.text());
    if (status == v1::CASE_STATUS_NEW) {
      Move(call, &w.record, v1::CASE_STATUS_OPEN, "an agent replied", now);
    }
  }
  return Finish(call, &w, now, out);
}

Status AssignCase(Call& call, const v1::AssignCaseRequest& request, int64_t now, v1::Case* out) {
  if (request.queue().empty() && request.assignee().empty() && !request.escalate()) {
    return Status::Invalid("queue: give a queue, an assignee or escalate");
  }
  if (request.escalate() && !request.assignee().empty()) {
    return Status::Invalid(
        "assignee: an escalation goes to the queue's escalation manager; "
        "do not name an assignee too");
  }
  Working w;
  if (Status s = Load(call, request.case_id(), request.expected_revision(), true, &w); !s.ok()) {
    return s;
  }
  v1::Case& c = w.record.current;
  if (!IsOpen(c.status())) {
    return Status::FailedPrecondition("case_id: a " + StatusName(c.status()) +
                                      " case is not assigned");
  }
  const std::string queue = request.queue().empty() ? c.queue() : request.queue();
  const v1::Queue* q = FindQueue(w.settings, queue);
  if (q == nullptr) {
    return Status::Invalid("queue: '" + queue + "' is not a queue of the settings");
  }
  std::string assignee = request.assignee();
  if (request.escalate()) {
    if (q->escalation_manager().empty()) {
      return Status::FailedPrecondition("escalate: queue '" + queue +
                                        "' has no escalation_manager");
    }
    assignee = q->escalation_manager();
  } else if (!assignee.empty()) {
    if (std::find(q->members().begin(), q->members().end(), assignee) == q->members().end()) {
      return Status::Invalid("assignee: '" + assignee + "' is not a member of queue '" + queue +
                             "'");
    }
  } else if (queue != c.queue()) {
    if (Status s = PickAssignee(call, w.settings, queue, &assignee); !s.ok()) return s;
  }
  if (queue != c.queue()) {
    c.set_queue(queue);
    AddEvent(call, &w.record, v1::CaseEvent::KIND_ROUTED, now)->set_queue(queue);
  }
  if (assignee != c.assignee()) {
    c.set_assignee(assignee);
    v1::CaseEvent* e = AddEvent(call, &w.record, v1::CaseEvent::KIND_ASSIGNED, now);
    e->set_assignee(assignee);
    if (request.escalate()) e->set_reason("escalated");
  }
  return Finish(call, &w, now, out);
}

Status ClassifyCase(Call& call, const v1::ClassifyCaseRequest& request, int64_t now,
                    v1::Case* out) {
  if (request.update_mask().paths().empty()) {
    return Status::Invalid("update_mask: is required (category, subcategory, priority, sentiment)");
  }
  Working w;
  if (Status s = Load(call, request.case_id(), request.expected_revision(), true, &w); !s.ok()) {
    return s;
  }
  v1::Case& c = w.record.current;
  std::string category = c.category(), subcategory = c.subcategory();
  bool category_set = false;
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "category") {
      category = request.category();
      category_set = true;
      if (!std::count(request.update_mask().paths().begin(), request.update_mask().paths().end(),
                      "subcategory")) {
        subcategory.clear();
      }
    } else if (path == "subcategory") {
      subcategory = request.subcategory();
      category_set = true;
    } else if (path == "priority") {
      if (!v1::Priority_IsValid(request.priority()) ||
          request.priority() == v1::PRIORITY_UNSPECIFIED) {
        return Status::Invalid("priority: is required (a known Priority)");
      }
    } else if (path == "sentiment") {
      if (!v1::Sentiment_IsValid(request.sentiment())) {
        return Status::Invalid("sentiment: unknown value");
      }
    } else {
      return Status::Invalid("update_mask: '" + path +
                             "' is not category, subcategory, priority or sentiment");
    }
  }
  if (category_set) {
    if (Status s = CheckCategory(w.settings, "category", category, subcategory); !s.ok()) return s;
    if (category != c.category() || subcategory != c.subcategory() ||
        c.category_source() != v1::CATEGORY_SOURCE_AGENT) {
      c.set_category(category);
      c.set_subcategory(subcategory);
      c.set_category_source(v1::CATEGORY_SOURCE_AGENT);
      v1::CaseEvent* e = AddEvent(call, &w.record, v1::CaseEvent::KIND_CATEGORIZED, now);
      e->set_category(category);
      e->set_subcategory(subcategory);
      e->set_category_source(v1::CATEGORY_SOURCE_AGENT);
      // An agent's correction teaches the classifier.
      if (Status s = LearnFromCase(call, c.id(), c.body(), LabelOf(category, subcategory));
          !s.ok()) {
        return s;
      }
    }
  }
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "priority" && request.priority() != c.priority()) {
      c.set_priority(request.priority());
      AddEvent(call, &w.record, v1::CaseEvent::KIND_PRIORITY_CHANGED, now)
          ->set_priority(request.priority());
    } else if (path == "sentiment" &&
               (request.sentiment() != c.sentiment() || c.sentiment_inferred())) {
      c.set_sentiment(request.sentiment());
      c.set_sentiment_inferred(false);
      // An agent's sentiment teaches the sentiment model (a second one
      // replaces the first; clearing it unteaches).
      Status s = request.sentiment() == v1::SENTIMENT_UNSPECIFIED
                     ? ForgetCase(call, c.id(), c.body(), keys::kSentimentModel)
                     : LearnFromCase(call, c.id(), c.body(), SentimentLabel(request.sentiment()),
                                     keys::kSentimentModel);
      if (!s.ok()) return s;
    }
  }
  ApplySlaPolicy(call, w.settings, now, &w.record);
  return Finish(call, &w, now, out);
}

Status LinkCase(Call& call, const v1::LinkCaseRequest& request, int64_t now, v1::Case* out) {
  if (request.customer_id().empty()) return Status::Invalid("customer_id: is required");
  Working w;
  if (Status s = Load(call, request.case_id(), request.expected_revision(), true, &w); !s.ok()) {
    return s;
  }
  v1::Case& c = w.record.current;
  if (!c.customer_id().empty()) {
    return Status::FailedPrecondition("case_id: case '" + c.id() +
                                      "' is already linked to customer '" + c.customer_id() + "'");
  }
  auto customer =
      call.GetRecord<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, request.customer_id());
  if (!customer) {
    return Status::NotFound("customer_id: customer '" + request.customer_id() + "' not found");
  }
  c.set_customer_id(customer->id());
  c.clear_unmatched_reference();
  AddEvent(call, &w.record, v1::CaseEvent::KIND_LINKED, now)->set_customer_id(customer->id());
  const std::vector<std::string> tags(customer->tags().begin(), customer->tags().end());
  if (Status s = Route(call, w.settings, tags, now, &w.record); !s.ok()) return s;
  return Finish(call, &w, now, out);
}

Status TrainClassifier(Call& call, const v1::TrainClassifierRequest& request, int64_t,
                       v1::TrainClassifierResponse* out) {
  if (request.examples_size() > kMaxTrainingExamples) {
    return Status::Invalid("examples: at most " + std::to_string(kMaxTrainingExamples) +
                           " per call (got " + std::to_string(request.examples_size()) + ")");
  }
  if (!request.examples().empty() && !call.HasRole("admin")) {
    return Status::PermissionDenied(
        "TrainClassifier: admins only (agents teach it by "
        "correcting cases with ClassifyCase)");
  }
  v1::Settings settings;
  if (Status s = LoadSettings(call, &settings); !s.ok()) return s;
  for (int i = 0; i < request.examples_size(); ++i) {
    const v1::LabelledText& e = request.examples(i);
    const std::string field = "examples[" + std::to_string(i) + "]";
    if (Status s = CheckText(field + ".text", e.text()); !s.ok()) return s;
    if (!v1::Sentiment_IsValid(e.sentiment())) {
      return Status::Invalid(field + ".sentiment: unknown value " + std::to_string(e.sentiment()));
    }
    if (e.category().empty() && e.subcategory().empty() &&
        e.sentiment() == v1::SENTIMENT_UNSPECIFIED) {
      return Status::Invalid(field + ": give a category, a sentiment or both");
    }
    if (!e.category().empty() || !e.subcategory().empty()) {
      if (Status s = CheckCategory(settings, field + ".category", e.category(), e.subcategory());
          !s.ok()) {
        return s;
      }
    }
  }
  for (const v1::LabelledText& e : request.examples()) {
    std::string folded;
    FoldText(e.text(), &folded);
    const std::vector<std::string> features = Features(folded);
    if (!e.category().empty()) {
      if (Status s = TrainStored(call, features, LabelOf(e.category(), e.subcategory()), +1);
          !s.ok()) {
        return s;
      }
    }
    if (e.sentiment() != v1::SENTIMENT_UNSPECIFIED) {
      if (Status s =
              TrainStored(call, features, SentimentLabel(e.sentiment()), +1, keys::kSentimentModel);
          !s.ok()) {
        return s;
      }
    }
  }
  Model model;
  if (Status s = LoadModel(call, {}, &model); !s.ok()) return s;
  out->set_examples_trained(request.examples_size());
  for (const auto& [label, l] : model.labels) out->set_documents(out->documents() + l.documents);
  out->set_vocabulary(model.vocabulary);
  if (Status s = LoadModel(call, {}, &model, keys::kSentimentModel); !s.ok()) return s;
  for (const auto& [label, l] : model.labels) {
    out->set_sentiment_documents(out->sentiment_documents() + l.documents);
  }
  return {};
}

Status RecordCsat(Call& call, const v1::RecordCsatRequest& request, int64_t now, v1::Case* out) {
  if (request.rating() < 1 || request.rating() > 5) {
    return Status::Invalid("rating: " + std::to_string(request.rating()) + " is outside 1..5");
  }
  if (request.comment().size() > rapport::sdk::kMaxBodyBytes) {
    return Status::Invalid("comment: at most 65536 bytes");
  }
  Working w;
  if (Status s = Load(call, request.case_id(), 0, false, &w); !s.ok()) return s;
  v1::Case& c = w.record.current;
  if (!CanWork(call, w.settings, c) && c.creator() != call.user() && !call.HasRole("integration")) {
    return Status::PermissionDenied(
        "case '" + c.id() + "': CSAT is recorded by an integration or an agent of the case");
  }
  if (IsOpen(c.status())) {
    return Status::FailedPrecondition("case_id: case '" + c.id() + "' is " +
                                      StatusName(c.status()) +
                                      "; CSAT is recorded once it is solved");
  }
  c.set_csat_rating(request.rating());
  c.set_csat_comment(request.comment());
  v1::CaseEvent* e = AddEvent(call, &w.record, v1::CaseEvent::KIND_CSAT, now);
  e->set_csat_rating(request.rating());
  e->set_text(request.comment());
  return Finish(call, &w, now, out);
}

}  // namespace rapport::voc
