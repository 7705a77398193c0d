#include "handler_util.h"

#include <algorithm>

#include "rapport/sdk/money.h"

namespace rapport::sfa {

using rapport::v1::Opportunity;

Status Save(const Call& call, const std::string& key, const google::protobuf::MessageLite& m) {
  return call.Put(key, m.SerializeAsString());
}

Status Aborted(std::string message) { return Status{RAPPORT_ABORTED, std::move(message)}; }

int PageSize(int requested, int fallback, int maximum) {
  if (requested <= 0) return fallback;
  return std::min(requested, maximum);
}

std::optional<Opportunity> ReadOpportunity(const Call& call, const std::string& id) {
  if (id.empty()) return std::nullopt;
  return call.GetRecord<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, id);
}

Status OpportunityNotFound(const std::string& field, const std::string& id) {
  if (id.empty()) return Status::Invalid(field + ": is required");
  return Status::NotFound(field + ": opportunity '" + id + "' not found");
}

Status ScanPage(const Call& call, const std::string& prefix, const std::string& page_token,
                int page_size,
                const std::function<bool(const std::string&, const std::string&)>& add,
                std::string* next) {
  int added = 0;
  std::string last;
  next->clear();
  Call::ScanOptions options;
  if (!page_token.empty()) options.start_after = prefix + page_token;
  return call.Scan(prefix, options, [&](const std::string& key, const std::string& value) {
    const std::string suffix = key.substr(prefix.size());
    if (added >= page_size) {
      *next = last;
      return false;
    }
    last = suffix;
    if (add(suffix, value)) ++added;
    return true;
  });
}

Status CheckUser(const Call& call, const std::string& field, const std::string& user) {
  if (user.empty()) return Status::Invalid(field + ": is required");
  if (!call.UserTeams(user)) return Status::Invalid(field + ": unknown user '" + user + "'");
  return {};
}

Status CheckCurrency(const std::string& field, const std::string& code) {
  std::string why;
  if (!rapport::sdk::CurrencyMinorUnits(code, &why)) return Status::Invalid(field + ": " + why);
  return {};
}

Status CheckMoneyUnits(const std::string& field, int64_t units) {
  if (std::string why = rapport::sdk::MoneyUnitsError(units); !why.empty()) {
    return Status::Invalid(field + ": " + why);
  }
  return {};
}

}  // namespace rapport::sfa
