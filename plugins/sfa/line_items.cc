// File: plugins/sfa/line_items.cc
//
// Products and quotes: the tenant's price book (pb/<code>) and an
// opportunity's line items (li/<opp>), priced by the PriceSource
// (price_source.h), whose total becomes the opportunity's amount through the
// core's write path. Money follows the core's rules (rapport/sdk/money.h):
// ISO 4217 codes, 0..9e15 minor units, exact int64 arithmetic.
#include <memory>
#include <string>

#include "handler_util.h"
#include "handlers.h"
#include "keyspace.h"
#include "price_source.h"
#include "rapport/sdk/money.h"
#include "rapport/sdk/text.h"
#include "util.h"

namespace rapport::sfa {

namespace {

using rapport::sdk::kMaxMoneyUnits;
using rapport::v1::Opportunity;

bool IsProductCode(const std::string& code) {
  if (code.empty() || code.size() > 64) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

Status CheckProductCode(const std::string& field, const std::string& code) {
  if (IsProductCode(code)) return {};
  return Status::Invalid(field + ": '" + code + "' must be 1..64 of A-Z a-z 0-9 . _ -");
}

// A unit price: an ISO 4217 currency and 0..9e15 minor units.
Status CheckUnitPrice(const std::string& field, const rapport::v1::Money& price) {
  if (Status s = CheckCurrency(field + ".currency_code", price.currency_code()); !s.ok()) return s;
  return CheckMoneyUnits(field + ".units", price.units());
}

}  // namespace

Status SetPriceBookEntry(Call& call, const v1::SetPriceBookEntryRequest& request,
                         v1::PriceBookEntry* out) {
  if (!call.HasRole("admin") && !call.HasRole("integration")) {
    return Status::PermissionDenied("the price book is kept by admins and integrations");
  }
  const v1::PriceBookEntry& e = request.entry();
  if (Status s = CheckProductCode("entry.product_code", e.product_code()); !s.ok()) return s;
  if (rapport::sdk::CodePoints(e.name()) > rapport::sdk::kMaxNameChars) {
    return Status::Invalid("entry.name: at most " + std::to_string(rapport::sdk::kMaxNameChars) +
                           " characters");
  }
  if (Status s = CheckUnitPrice("entry.unit_price", e.unit_price()); !s.ok()) return s;
  if (Status s = Save(call, keys::PriceBookEntry(e.product_code()), e); !s.ok()) return s;
  *out = e;
  return {};
}

Status ListPriceBook(Call& call, const v1::ListPriceBookRequest& request,
                     v1::ListPriceBookResponse* out) {
  return ScanPage(
      call, keys::kPriceBook, request.page_token(), PageSize(request.page_size(), 100, 1000),
      [&](const std::string&, const std::string& value) {
        if (out->add_entries()->ParseFromString(value)) return true;
        out->mutable_entries()->RemoveLast();
        return false;
      },
      out->mutable_next_page_token());
}

Status SetLineItems(Call& call, const v1::SetLineItemsRequest& request, v1::LineItems* out) {
  auto opp = ReadOpportunity(call, request.opportunity_id());
  if (!opp) return OpportunityNotFound("opportunity_id", request.opportunity_id());
  if (request.items_size() > 200) return Status::Invalid("items: at most 200 lines");
  std::string currency = opp->has_amount() ? opp->amount().currency_code() : "";
  const std::string currency_source = currency.empty() ? "items[0]" : "the opportunity";
  std::shared_ptr<PriceSource> source = CurrentPriceSource();
  v1::LineItems lines;
  lines.set_opportunity_id(opp->id());
  int64_t total = 0;
  for (int i = 0; i < request.items_size(); ++i) {
    v1::LineItem item = request.items(i);
    const std::string at = "items[" + std::to_string(i) + "]";
    if (Status s = CheckProductCode(at + ".product_code", item.product_code()); !s.ok()) return s;
    if (item.quantity() <= 0) {
      return Status::Invalid(at + ".quantity: must be > 0, got " + std::to_string(item.quantity()));
    }
    PriceQuote quote;
    Status looked = source->Lookup(call, item.product_code(), item.quantity(), currency, &quote);
    if (looked.code == RAPPORT_NOT_FOUND) {
      if (!item.has_unit_price()) return Status::Invalid(at + ".product_code: " + looked.message);
    } else if (!looked.ok()) {
      return Status{looked.code, at + ": price source: " + looked.message};
    } else if (!quote.available) {
      return Status::FailedPrecondition(at + ".quantity: " + std::to_string(item.quantity()) +
                                        " of '" + item.product_code() + "' is not available" +
                                        (quote.note.empty() ? "" : " (" + quote.note + ")"));
    }
    if (!item.has_unit_price()) *item.mutable_unit_price() = quote.unit_price;
    const rapport::v1::Money& unit = item.unit_price();
    if (Status s = CheckUnitPrice(at + ".unit_price", unit); !s.ok()) return s;
    if (currency.empty()) currency = unit.currency_code();
    if (unit.currency_code() != currency) {
      return Status::Invalid(at + ".unit_price.currency_code: '" + unit.currency_code() +
                             "' differs from " + currency_source + "'s currency '" + currency +
                             "'");
    }
    auto gross = CheckedMul(item.quantity(), unit.units());
    if (!gross || *gross > kMaxMoneyUnits) {
      return Status::Invalid(at + ": quantity * unit_price is above 9e15 minor units");
    }
    int64_t discount = 0;
    if (item.has_discount()) {
      if (!item.discount().currency_code().empty() && item.discount().currency_code() != currency) {
        return Status::Invalid(at + ".discount.currency_code: '" + item.discount().currency_code() +
                               "' differs from the line's currency '" + currency + "'");
      }
      discount = item.discount().units();
      if (discount < 0 || discount > *gross) {
        return Status::Invalid(at + ".discount.units: must be 0.." + std::to_string(*gross) +
                               ", got " + std::to_string(discount));
      }
      item.mutable_discount()->set_currency_code(currency);
    }
    item.mutable_total()->set_currency_code(currency);
    item.mutable_total()->set_units(*gross - discount);
    item.set_availability_note(quote.note);
    total += *gross - discount;
    if (total > kMaxMoneyUnits) {
      return Status::Invalid("items: the total is above 9e15 minor units");
    }
    *lines.add_items() = std::move(item);
  }
  if (currency.empty()) {
    return Status::Invalid("items: no lines and no opportunity amount to take a currency from");
  }
  lines.mutable_total()->set_currency_code(currency);
  lines.mutable_total()->set_units(total);
  Opportunity patch, stored;
  patch.set_id(opp->id());
  *patch.mutable_amount() = lines.total();
  if (Status s = call.UpdateRecord<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, patch, "amount",
                                                request.expected_revision(), &stored);
      !s.ok()) {
    return s;
  }
  lines.set_opportunity_revision(stored.revision());
  if (Status s = Save(call, keys::LineItems(opp->id()), lines); !s.ok()) return s;
  *out = std::move(lines);
  return {};
}

Status GetLineItems(Call& call, const v1::GetLineItemsRequest& request, v1::LineItems* out) {
  return GetOfOpportunity(call, request.opportunity_id(), keys::LineItems, out);
}

}  // namespace rapport::sfa
