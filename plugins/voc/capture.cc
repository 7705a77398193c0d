// File: plugins/voc/capture.cc
//
// CaptureCase: a customer reference and the words are enough.
// CaptureFromInteraction and the opt-in automatic capture turn an
// interaction into a case the same way. The customer
// is found by id, phone, email or external ref (an unknown sender makes an
// unmatched case, linked later); the channel comes from the caller; the
// category and priority from the tenant's rules; the queue from routing,
// the assignee from the queue, the SLA policy from the case.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "case_state.h"
#include "case_store.h"
#include "classifier.h"
#include "classifier_store.h"
#include "commit.h"
#include "handlers.h"
#include "keyspace.h"
#include "rapport/sdk/ids.h"
#include "rapport/sdk/text.h"
#include "rapport/sdk/time.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "reports.h"
#include "routing.h"
#include "text_match.h"
#include "timeline.h"
#include "validation.h"

namespace rapport::voc {
namespace {

// Most captures one BatchCaptureCases call takes.
constexpr int kMaxBatch = 500;

// Open's refusals of its input (it checks before it writes anything), as
// opposed to storage errors and conflicts, which fail a whole call.
bool IsRefusal(const Status& s) {
  return s.code == RAPPORT_INVALID_ARGUMENT || s.code == RAPPORT_NOT_FOUND ||
         s.code == RAPPORT_ALREADY_EXISTS || s.code == RAPPORT_FAILED_PRECONDITION;
}

using rapport::sdk::TimestampFromMicros;
using rapport::sdk::ToMicros;

// The sender as the request names it.
struct Sender {
  std::string customer_id;  // found (or given)
  std::vector<std::string> tags;
  std::string reference;  // "phone:+82...", when nobody matched
  std::string why_unmatched;
};

// The customers whose `field` equals `value` (at most 2 asked for: one is a
// match, two are ambiguous).
Status FindBy(const Call& call, const std::string& filter,
              std::vector<rapport::v1::Customer>* out) {
  rapport::v1::ListCustomersResponse page;
  Call::ListOptions options;
  options.filter = filter;
  options.page_size = 2;
  if (Status s = call.ListRecords(RAPPORT_RESOURCE_CUSTOMER, options, &page); !s.ok()) return s;
  out->assign(page.customers().begin(), page.customers().end());
  return {};
}

Status FindSender(const Call& call, const v1::CaptureCaseRequest& r, Sender* sender) {
  int given = !r.customer_id().empty() + !r.phone().empty() + !r.email().empty() +
              !r.external_ref().empty();
  if (given != 1) {
    return Status::Invalid(
        "customer_id: give exactly one of customer_id, phone, email or external_ref (got " +
        std::to_string(given) + ")");
  }
  if (!r.customer_id().empty()) {
    auto customer =
        call.GetRecord<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, r.customer_id());
    if (!customer)
      return Status::NotFound("customer_id: customer '" + r.customer_id() + "' not found");
    sender->customer_id = customer->id();
    sender->tags.assign(customer->tags().begin(), customer->tags().end());
    return {};
  }
  std::string field, filter, shown;
  if (!r.phone().empty() || !r.email().empty()) {
    field = r.phone().empty() ? "email" : "phone";
    std::string normalized;
    Status s = call.NormalizeContact(field, r.phone().empty() ? r.email() : r.phone(), &normalized);
    if (!s.ok()) return Status{s.code, field + ": " + s.message};
    filter = (field == "phone" ? "phones = \"" : "emails = \"") + normalized + "\"";
    shown = field + ":" + normalized;
  } else {
    field = "external_ref";
    const size_t slash = r.external_ref().find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == r.external_ref().size() ||
        r.external_ref().find_first_of("\"\\") != std::string::npos) {
      return Status::Invalid("external_ref: '" + r.external_ref() +
                             "' is not SYSTEM/ID (e.g. erp/C-1, without quotes or backslashes)");
    }
    filter = "external_refs." + r.external_ref().substr(0, slash) + " = \"" +
             r.external_ref().substr(slash + 1) + "\"";
    shown = "external:" + r.external_ref();
  }
  std::vector<rapport::v1::Customer> found;
  if (Status s = FindBy(call, filter, &found); !s.ok()) {
    return Status{s.code, field + ": " + s.message};
  }
  if (found.size() == 1) {
    sender->customer_id = found[0].id();
    sender->tags.assign(found[0].tags().begin(), found[0].tags().end());
    return {};
  }
  sender->reference = shown;
  sender->why_unmatched = found.empty()
                              ? "no customer has " + shown.substr(shown.find(':') + 1)
                              : "more than one customer has " + shown.substr(shown.find(':') + 1);
  if (r.require_match()) return Status::NotFound(field + ": " + sender->why_unmatched);
  return {};
}

int64_t Documents(const Model& model) {
  int64_t documents = 0;
  for (const auto& [label, l] : model.labels) documents += l.documents;
  return documents;
}
int64_t MinExamples(const v1::Settings& settings) {
  return settings.classifier_min_examples() > 0 ? settings.classifier_min_examples() : 30;
}
double Threshold(const v1::Settings& settings) {
  return settings.classifier_threshold() > 0 ? settings.classifier_threshold() : 0.7;
}

// When no rule matched: the learned classifier's suggestion, applied when
// it is confident enough (Settings.classifier_*); otherwise the case waits
// for a person (CATEGORY_SOURCE_NONE) with the suggestion shown.
Status Suggest(const Call& call, const v1::Settings& settings, const std::string& text,
               v1::Case* c) {
  c->set_category_source(v1::CATEGORY_SOURCE_NONE);
  if (settings.classifier_disabled()) return {};
  std::string folded;
  if (!FoldText(text, &folded)) return {};
  const std::vector<std::string> features = Features(folded);
  Model model;
  if (Status s = LoadModel(call, features, &model); !s.ok()) return s;
  if (Documents(model) < MinExamples(settings)) return {};
  const Prediction p = Predict(model, features);
  std::string category, subcategory;
  SplitLabel(p.label, &category, &subcategory);
  if (p.label.empty() || !CheckCategory(settings, "category", category, subcategory).ok()) {
    return {};  // a label the taxonomy no longer has
  }
  c->set_suggested_category(category);
  c->set_suggested_subcategory(subcategory);
  c->set_category_confidence(p.confidence);
  if (p.confidence >= Threshold(settings)) {
    c->set_category(category);
    c->set_subcategory(subcategory);
    c->set_category_source(v1::CATEGORY_SOURCE_CLASSIFIER);
  }
  return {};
}

// The learned sentiment model's suggestion, applied as the category's is:
// at or above the tenant's threshold, once the model knows
// classifier_min_examples texts (until then it costs two counter scans).
Status InferSentiment(const Call& call, const v1::Settings& settings, const std::string& text,
                      v1::Case* c) {
  if (settings.classifier_disabled()) return {};
  Model model;
  if (Status s = LoadModel(call, {}, &model, keys::kSentimentModel); !s.ok()) return s;
  if (Documents(model) < MinExamples(settings)) return {};
  std::string folded;
  if (!FoldText(text, &folded)) return {};
  const std::vector<std::string> features = Features(folded);
  if (Status s = LoadModel(call, features, &model, keys::kSentimentModel); !s.ok()) return s;
  const Prediction p = Predict(model, features);
  const v1::Sentiment sentiment = SentimentOf(p.label);
  if (sentiment == v1::SENTIMENT_UNSPECIFIED) return {};
  c->set_suggested_sentiment(sentiment);
  c->set_sentiment_confidence(p.confidence);
  if (p.confidence >= Threshold(settings)) {
    c->set_sentiment(sentiment);
    c->set_sentiment_inferred(true);
  }
  return {};
}

// The first line of `text`, at most kMaxSubjectChars characters.
std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  size_t chars = 0, i = 0;
  while (i < line.size()) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) {
      if (chars == rapport::sdk::kMaxSubjectChars) break;
      ++chars;
    }
    ++i;
  }
  line.resize(i);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

// The channel an interaction of `kind` came through.
std::string ChannelOf(rapport::v1::InteractionKind kind) {
  switch (kind) {
    case rapport::v1::INTERACTION_KIND_CALL:
      return "phone";
    case rapport::v1::INTERACTION_KIND_EMAIL:
      return "email";
    case rapport::v1::INTERACTION_KIND_VISIT:
      return "visit";
    case rapport::v1::INTERACTION_KIND_MEETING:
      return "meeting";
    default:
      return "note";
  }
}

// Opens a case (CaptureCase's work); `interaction_id` links it to the
// interaction it came from, once.
Status Open(const Call& call, const v1::CaptureCaseRequest& r, const std::string& interaction_id,
            int64_t now, v1::Case* out) {
  if (Status s = CheckText("text", r.text()); !s.ok()) return s;
  if (r.external_id().size() > 128) return Status::Invalid("external_id: at most 128 bytes");
  v1::Settings settings;
  if (Status s = LoadSettings(call, &settings); !s.ok()) return s;
  v1::BusinessCalendar calendar_proto;
  if (Status s = LoadCalendar(call, &calendar_proto); !s.ok()) return s;
  const Calendar calendar = BuildCalendar(calendar_proto);
  if (!r.external_id().empty()) {
    std::optional<std::string> existing;
    if (Status s = call.Read(keys::External(r.external_id()), &existing); !s.ok()) return s;
    if (existing) {
      CaseRecord record;
      if (Status s = LoadCase(call, *existing, &record); !s.ok()) return s;
      if (!CanSee(call, settings, record.current)) {
        return Status::AlreadyExists("external_id: '" + r.external_id() +
                                     "' already names a case you cannot see");
      }
      *out = ViewCase(record, calendar, now);
      return {};
    }
  }
  Sender sender;
  if (Status s = FindSender(call, r, &sender); !s.ok()) return s;

  CaseRecord record;
  v1::Case& c = record.current;
  c.set_customer_id(sender.customer_id);
  c.set_unmatched_reference(sender.reference);
  std::string channel = r.channel();
  if (channel.empty()) {
    auto it = settings.user_channels().find(call.user());
    channel = it != settings.user_channels().end() ? it->second : "phone";
  }
  if (Status s = CheckChannel("channel", channel); !s.ok()) return s;
  c.set_channel(channel);
  if (rapport::sdk::CodePoints(r.subject()) > rapport::sdk::kMaxSubjectChars) {
    return Status::Invalid("subject: at most 500 characters");
  }
  c.set_subject(r.subject().empty() ? FirstLine(r.text()) : r.subject());
  c.set_body(r.text());
  if (!v1::Priority_IsValid(r.priority())) return Status::Invalid("priority: unknown value");
  if (!r.category().empty()) {
    if (Status s = CheckCategory(settings, "category", r.category(), r.subcategory()); !s.ok()) {
      return s;
    }
    c.set_category(r.category());
    c.set_subcategory(r.subcategory());
    c.set_category_source(v1::CATEGORY_SOURCE_AGENT);
  } else if (!r.subcategory().empty()) {
    return Status::Invalid("subcategory: needs a category");
  } else if (const v1::CategoryRule* rule = MatchCategoryRule(settings, r.text(), channel)) {
    c.set_category(rule->category());
    c.set_subcategory(rule->subcategory());
    c.set_category_source(v1::CATEGORY_SOURCE_RULE);
    if (r.priority() == v1::PRIORITY_UNSPECIFIED) c.set_priority(rule->priority());
  } else if (Status s = Suggest(call, settings, r.text(), &c); !s.ok()) {
    return s;
  }
  if (Status s = InferSentiment(call, settings, r.text(), &c); !s.ok()) return s;
  if (r.priority() != v1::PRIORITY_UNSPECIFIED) c.set_priority(r.priority());
  if (c.priority() == v1::PRIORITY_UNSPECIFIED) c.set_priority(v1::PRIORITY_NORMAL);
  if (!r.opportunity_id().empty()) {
    auto opp =
        call.GetRecord<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, r.opportunity_id());
    if (!opp) {
      return Status::NotFound("opportunity_id: opportunity '" + r.opportunity_id() + "' not found");
    }
    if (!c.customer_id().empty() && opp->customer_id() != c.customer_id()) {
      return Status::Invalid("opportunity_id: '" + r.opportunity_id() +
                             "' is not an opportunity of customer '" + c.customer_id() + "'");
    }
  }
  c.set_opportunity_id(r.opportunity_id());
  if (rapport::sdk::CodePoints(r.product_code()) > rapport::sdk::kMaxTagChars) {
    return Status::Invalid("product_code: at most 64 characters");
  }
  c.set_product_code(r.product_code());
  c.set_external_id(r.external_id());
  c.set_interaction_id(interaction_id);
  int64_t spoke = now;
  if (r.has_occurred_at()) {
    spoke = ToMicros(r.occurred_at());
    if (spoke > now + rapport::sdk::kMicrosPerMinute) {
      return Status::Invalid("occurred_at: " + rapport::sdk::FormatRfc3339(spoke) +
                             " is in the future");
    }
    spoke = std::min(spoke, now);
  }
  c.set_id(rapport::sdk::NewUlid(now / 1000));
  if (!interaction_id.empty()) {
    if (Status s = call.Put(keys::FromInteraction(interaction_id), c.id()); !s.ok()) return s;
  }
  c.set_status(v1::CASE_STATUS_NEW);
  if (!settings.shadow_teams().empty()) {
    if (auto teams = call.UserTeams(call.user())) {
      for (const std::string& team : *teams) {
        if (std::find(settings.shadow_teams().begin(), settings.shadow_teams().end(), team) !=
            settings.shadow_teams().end()) {
          c.set_shadow(true);
        }
      }
    }
  }
  c.set_status_reason(sender.why_unmatched);
  c.set_creator(call.user());
  *c.mutable_create_time() = TimestampFromMicros(spoke);
  c.set_create_date(
      rapport::sdk::FormatCivilDate(rapport::sdk::LocalDay(spoke, calendar.utc_offset_minutes)));

  AddEvent(call, &record, v1::CaseEvent::KIND_CAPTURED, spoke)->set_text(c.channel());
  if (!c.category().empty()) {
    v1::CaseEvent* e = AddEvent(call, &record, v1::CaseEvent::KIND_CATEGORIZED, now);
    e->set_category(c.category());
    e->set_subcategory(c.subcategory());
    e->set_category_source(c.category_source());
  }
  AddEvent(call, &record, v1::CaseEvent::KIND_PRIORITY_CHANGED, now)->set_priority(c.priority());
  if (Status s = Route(call, settings, sender.tags, now, &record); !s.ok()) return s;
  ApplySlaPolicy(call, settings, now, &record);
  if (c.category_source() == v1::CATEGORY_SOURCE_AGENT) {
    // A person filed it: the classifier learns from it.
    if (Status s = LearnFromCase(call, c.id(), c.body(), LabelOf(c.category(), c.subcategory()));
        !s.ok()) {
      return s;
    }
  }
  if (Status s = CommitCase(call, &record, calendar, settings, now); !s.ok()) return s;
  *out = ViewCase(record, calendar, now);
  return {};
}

}  // namespace

Status CaptureCase(Call& call, const v1::CaptureCaseRequest& request, int64_t now, v1::Case* out) {
  return Open(call, request, "", now, out);
}

Status BatchCaptureCases(Call& call, const v1::BatchCaptureCasesRequest& request, int64_t now,
                         v1::BatchCaptureCasesResponse* out) {
  if (request.cases_size() > kMaxBatch) {
    return Status::Invalid("cases: at most " + std::to_string(kMaxBatch) + " per call (got " +
                           std::to_string(request.cases_size()) + ")");
  }
  for (int i = 0; i < request.cases_size(); ++i) {
    v1::BatchCaptureCasesResponse::Result* result = out->add_results();
    Status s = Open(call, request.cases(i), "", now, result->mutable_case_());
    if (s.ok()) {
      out->set_captured(out->captured() + 1);
      continue;
    }
    // Refusals come before a case writes anything (Open checks first), so
    // the item is reported and the batch goes on; anything else (storage,
    // a conflict) fails the whole call, which then writes nothing.
    if (!IsRefusal(s)) {
      return Status{s.code, "cases[" + std::to_string(i) + "]: " + s.message};
    }
    result->clear_case_();
    result->set_code(s.code);
    result->set_error("cases[" + std::to_string(i) + "]." + s.message);
    out->set_failed(out->failed() + 1);
  }
  return {};
}

namespace {

// The request an interaction makes: its customer, words, time, opportunity.
Status FromInteraction(const Call& call, const std::string& id, v1::CaptureCaseRequest* r,
                       std::optional<std::string>* existing) {
  if (id.empty()) return Status::Invalid("interaction_id: is required");
  auto interaction = call.GetRecord<rapport::v1::Interaction>(RAPPORT_RESOURCE_INTERACTION, id);
  if (!interaction) return Status::NotFound("interaction_id: interaction '" + id + "' not found");
  if (IsTimelineEntry(*interaction)) {
    return Status::FailedPrecondition("interaction_id: interaction '" + id +
                                      "' is the timeline entry of case '" +
                                      interaction->external_refs().at(kTimelineSystem) + "'");
  }
  if (Status s = call.Read(keys::FromInteraction(id), existing); !s.ok()) return s;
  r->set_customer_id(interaction->customer_id());
  r->set_text(interaction->body().empty() ? interaction->subject() : interaction->body());
  r->set_subject(interaction->subject());
  r->set_channel(ChannelOf(interaction->kind()));
  r->set_opportunity_id(interaction->opportunity_id());
  if (interaction->has_occurred_at()) *r->mutable_occurred_at() = interaction->occurred_at();
  return {};
}

}  // namespace

Status CaptureFromInteraction(Call& call, const v1::CaptureFromInteractionRequest& request,
                              int64_t now, v1::Case* out) {
  v1::CaptureCaseRequest r;
  std::optional<std::string> existing;
  if (Status s = FromInteraction(call, request.interaction_id(), &r, &existing); !s.ok()) return s;
  if (existing) {
    v1::GetCaseRequest get;
    get.set_id(*existing);
    return GetCase(call, get, now, out);
  }
  if (r.text().find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::FailedPrecondition("interaction_id: interaction '" + request.interaction_id() +
                                      "' has no subject or body to capture");
  }
  r.set_category(request.category());
  r.set_subcategory(request.subcategory());
  r.set_priority(request.priority());
  return Open(call, r, request.interaction_id(), now, out);
}

Status OnInteraction(const Call& call, const rapport::v1::Interaction& interaction,
                     int64_t commit_micros, int64_t now) {
  // A case's own timeline entry is not a customer's message (timeline.h).
  if (interaction.direction() != rapport::v1::INTERACTION_DIRECTION_INBOUND ||
      IsTimelineEntry(interaction)) {
    return {};
  }
  v1::BusinessCalendar calendar;
  if (Status s = LoadCalendar(call, &calendar); !s.ok()) return s;
  if (Status s = CountInbound(call, interaction, BuildCalendar(calendar), commit_micros); !s.ok()) {
    return s;
  }
  v1::Settings settings;
  if (Status s = LoadSettings(call, &settings); !s.ok()) return s;
  const std::string kind =
      ChannelOf(interaction.kind()) == "phone" ? "call" : ChannelOf(interaction.kind());
  if (std::find(settings.auto_capture_kinds().begin(), settings.auto_capture_kinds().end(), kind) ==
      settings.auto_capture_kinds().end()) {
    return {};
  }
  v1::CaptureCaseRequest r;
  std::optional<std::string> existing;
  if (Status s = FromInteraction(call, interaction.id(), &r, &existing); !s.ok()) {
    // The writer may not read it back (or it is gone): nothing to capture.
    return s.code == RAPPORT_NOT_FOUND ? Status{} : s;
  }
  if (existing || r.text().find_first_not_of(" \t\r\n") == std::string::npos) return {};
  v1::Case ignored;
  Status s = Open(call, r, interaction.id(), now, &ignored);
  // An interaction VOC refuses (no readable customer, text it cannot take)
  // is not captured; retrying it would only refuse again and end as a dead
  // letter. Storage errors and conflicts are retried.
  return IsRefusal(s) ? Status{} : s;
}

}  // namespace rapport::voc
