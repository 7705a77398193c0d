// File: plugins/voc/timeline.cc
#include "timeline.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "keyspace.h"
#include "rapport/sdk/text.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::voc {
namespace {

constexpr char kPrefix[] = "tl/";

using rapport::v1::Interaction;

// Whether the case has an entry on its customer's timeline.
bool Shown(const v1::Case& c) {
  return !c.customer_id().empty() && !c.shadow() && c.interaction_id().empty();
}

// Whether the entry shows something that differs between a and b.
bool EntryDiffers(const v1::Case& a, const v1::Case& b) {
  return a.customer_id() != b.customer_id() || a.status() != b.status() ||
         a.category() != b.category() || a.subcategory() != b.subcategory() ||
         a.priority() != b.priority() || a.subject() != b.subject() || a.body() != b.body() ||
         a.channel() != b.channel() || a.opportunity_id() != b.opportunity_id();
}

// "PENDING_CUSTOMER" of CASE_STATUS_PENDING_CUSTOMER as "pending_customer".
std::string Lower(const std::string& enum_name, size_t prefix) {
  std::string out = enum_name.substr(std::min(prefix, enum_name.size()));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

// The first `limit` characters (code points) of `text`.
std::string Prefix(const std::string& text, size_t limit) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && chars++ == limit) {
      return text.substr(0, i);
    }
  }
  return text;
}

std::string Subject(const v1::Case& c) {
  std::string label = "[VOC " + c.channel();
  if (!c.category().empty()) {
    label += " · " + c.category() + (c.subcategory().empty() ? "" : "/" + c.subcategory());
  }
  if (c.priority() != v1::PRIORITY_UNSPECIFIED) {
    label += " · " + Lower(v1::Priority_Name(c.priority()), sizeof("PRIORITY_") - 1);
  }
  label += " · " + Lower(v1::CaseStatus_Name(c.status()), sizeof("CASE_STATUS_") - 1) + "] ";
  std::string text = c.subject();
  if (text.empty()) text = c.body().substr(0, c.body().find('\n'));
  return Prefix(label + text, rapport::sdk::kMaxSubjectChars);
}

// The entry the case should have, for `customer`.
Interaction Entry(const Call& call, const v1::Case& c, const rapport::v1::Customer& customer) {
  Interaction e;
  e.set_kind(rapport::v1::INTERACTION_KIND_NOTE);
  e.set_direction(rapport::v1::INTERACTION_DIRECTION_INBOUND);
  *e.mutable_occurred_at() = c.create_time();
  e.set_customer_id(customer.id());
  e.set_owner(customer.owner());
  e.set_subject(Subject(c));
  e.set_body(c.body());
  e.add_tags("voc");
  (*e.mutable_external_refs())[kTimelineSystem] = c.id();
  if (!c.opportunity_id().empty()) {
    // Linked at capture to one of the customer's opportunities; left out if
    // it has been deleted or moved to another customer since.
    auto opportunity =
        call.GetRecord<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, c.opportunity_id());
    if (opportunity && opportunity->customer_id() == customer.id()) {
      e.set_opportunity_id(c.opportunity_id());
    }
  }
  return e;
}

// The fields of `want` that `have` lacks, as an update mask; "" if none.
std::string Mask(const Interaction& have, const Interaction& want) {
  std::string mask;
  auto add = [&](bool differs, const char* path) {
    if (differs) mask += (mask.empty() ? "" : ",") + std::string(path);
  };
  add(have.customer_id() != want.customer_id(), "customer_id");
  add(have.customer_id() != want.customer_id() && have.owner() != want.owner(), "owner");
  add(have.subject() != want.subject(), "subject");
  add(have.body() != want.body(), "body");
  add(have.opportunity_id() != want.opportunity_id(), "opportunity_id");
  return mask;
}

}  // namespace

bool IsTimelineEntry(const Interaction& interaction) {
  return interaction.external_refs().count(kTimelineSystem) > 0;
}

bool TimelineChanged(const CaseRecord& record) {
  // A case keeps its customer once it has one, and whether it is shadow or
  // from an interaction is set at capture: a shown case stays shown.
  const v1::Case& c = record.current;
  return Shown(c) && (!record.before || EntryDiffers(*record.before, c));
}

Status ScheduleTimelineSync(const Call& call, const std::string& case_id, int64_t now) {
  Status s = call.ScheduleAt(kPrefix + case_id, now);
  return s.code == RAPPORT_RESOURCE_EXHAUSTED ? Status{} : s;
}

bool IsTimelineTimer(const std::string& key) { return key.rfind(kPrefix, 0) == 0; }

Status SyncTimeline(const Call& call, const std::string& key) {
  const std::string id = key.substr(sizeof(kPrefix) - 1);
  std::optional<std::string> bytes;
  if (Status s = call.Read(keys::Case(id), &bytes); !s.ok()) return s;
  v1::Case c;
  if (!bytes) return {};
  if (!c.ParseFromString(*bytes)) return Status::Internal("case '" + id + "': unreadable");
  if (!Shown(c)) return {};
  auto customer = call.GetRecord<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, c.customer_id());
  if (!customer) return {};  // deleted, and its timeline with it
  const Interaction want = Entry(call, c, *customer);

  rapport::v1::ListInteractionsResponse found;
  Call::ListOptions options;
  options.filter = std::string("external_refs.") + kTimelineSystem + " = \"" + id + "\"";
  options.page_size = 1;
  if (Status s = call.ListRecords(RAPPORT_RESOURCE_INTERACTION, options, &found); !s.ok()) {
    return s;
  }
  if (found.interactions().empty()) return call.CreateRecord(RAPPORT_RESOURCE_INTERACTION, want);
  const Interaction& have = found.interactions(0);
  const std::string mask = Mask(have, want);
  if (mask.empty()) return {};
  Interaction patch = want;
  patch.set_id(have.id());
  // Conditional: an edit meanwhile (ABORTED) makes the timer run again.
  return call.UpdateRecord(RAPPORT_RESOURCE_INTERACTION, patch, mask, have.revision());
}

}  // namespace rapport::voc
