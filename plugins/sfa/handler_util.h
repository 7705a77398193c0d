// File: plugins/sfa/handler_util.h
//
// Helpers the SalesService handlers and hooks share: typed reads and writes
// of the plugin's keyspace, opportunity lookups as the caller, and the
// checks several requests make (page sizes, users, currencies).
#ifndef RAPPORT_PLUGINS_SFA_HANDLER_UTIL_H_
#define RAPPORT_PLUGINS_SFA_HANDLER_UTIL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "google/protobuf/message_lite.h"
#include "rapport/sdk/plugin.h"
#include "rapport/sdk/time.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::sfa {

using rapport::sdk::Call;
using rapport::sdk::Status;

using rapport::sdk::kMicrosPerDay;  // rapport/sdk/time.h

// The message stored at `key`, or nullopt when there is none or it does not
// parse.
template <typename Message>
std::optional<Message> Load(const Call& call, const std::string& key) {
  auto stored = call.Get(key);
  if (!stored) return std::nullopt;
  Message m;
  if (!m.ParseFromString(*stored)) return std::nullopt;
  return m;
}

Status Save(const Call& call, const std::string& key, const google::protobuf::MessageLite& m);

Status Aborted(std::string message);

// `requested`, or `fallback` when it is 0 or less, at most `maximum`.
int PageSize(int requested, int fallback, int maximum);

// The opportunity `id` if the caller may read it.
std::optional<rapport::v1::Opportunity> ReadOpportunity(const Call& call, const std::string& id);
// INVALID_ARGUMENT "<field>: is required" for an empty id, else NOT_FOUND.
Status OpportunityNotFound(const std::string& field, const std::string& id);

// The message stored under opportunity `id` (at key(id): its team, its line
// items) into `out`, which is left empty but for its opportunity_id when
// there is none; NOT_FOUND when the caller may not read the opportunity.
template <typename Message>
Status GetOfOpportunity(const Call& call, const std::string& id,
                        std::string (*key)(const std::string& opp), Message* out) {
  auto opp = ReadOpportunity(call, id);
  if (!opp) return OpportunityNotFound("opportunity_id", id);
  if (auto stored = Load<Message>(call, key(opp->id()))) *out = std::move(*stored);
  out->set_opportunity_id(opp->id());
  return {};
}

// One page of a listing of the keys under `prefix`, in key order, resuming
// after `page_token` (a key's suffix after `prefix`). Hands each (suffix,
// value) to `add`, which returns whether it added an entry to the page;
// stops once `page_size` entries are added and there is another key. Returns
// the next page's token in `next` ("" after the last page). The scan starts
// after the token (SDK 1.2 ScanOptions::start_after), so a page costs its
// own keys, not every key before it.
Status ScanPage(const Call& call, const std::string& prefix, const std::string& page_token,
                int page_size,
                const std::function<bool(const std::string& suffix, const std::string& value)>& add,
                std::string* next);

// `user` is an enabled user of the tenant.
Status CheckUser(const Call& call, const std::string& field, const std::string& user);

// `code` is an ISO 4217 currency the core accepts (rapport/sdk/money.h):
// INVALID_ARGUMENT "<field>: 'ABC' is not an ISO 4217 currency code" if not.
Status CheckCurrency(const std::string& field, const std::string& code);
// `units` is 0..9e15 (rapport::sdk::kMaxMoneyUnits), else INVALID_ARGUMENT
// naming `field`.
Status CheckMoneyUnits(const std::string& field, int64_t units);

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_HANDLER_UTIL_H_
