// File: plugins/sfa/price_source.h
//
// The extension point for prices and availability: SetLineItems asks a
// PriceSource for each line's unit price (when the caller gives none) and
// whether the quantity is available. The default source is the tenant's
// price book (pb/<product_code> in the plugin's keyspace). An ERP
// integration builds the plugin with one more source file that implements
// PriceSource (e.g. a call to the ERP's price and stock API) and installs
// it from a static initialiser or from Init:
//
//   class ErpPrices : public rapport::sfa::PriceSource { ... };
//   static const bool installed = (rapport::sfa::InstallPriceSource(
//       std::make_shared<ErpPrices>()), true);
//
// Lookup runs on an RPC thread (never in a hook), so it may block on the
// network; keep it bounded with a timeout. Implementations must be
// thread-safe: several SetLineItems calls may run at once.
#ifndef RAPPORT_PLUGINS_SFA_PRICE_SOURCE_H_
#define RAPPORT_PLUGINS_SFA_PRICE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/common.pb.h"

namespace rapport::sfa {

// A price source's answer for one product and quantity.
struct PriceQuote {
  // The unit price; currency_code empty when the source has no price.
  rapport::v1::Money unit_price;
  // Whether `quantity` can be delivered.
  bool available = true;
  // Free text shown on the line ("in stock: 40", "ships in 2 weeks").
  std::string note;
};

class PriceSource {
 public:
  virtual ~PriceSource() = default;
  // Looks up `product_code` for `quantity` units in `currency_code` (the
  // opportunity's, "" if it has none yet), as the caller of SetLineItems.
  // NOT_FOUND for an unknown product; any other error fails the call with
  // that code.
  virtual rapport::sdk::Status Lookup(const rapport::sdk::Call& call,
                                      const std::string& product_code, int64_t quantity,
                                      const std::string& currency_code, PriceQuote* quote) = 0;
};

// The price book: active entries of pb/<product_code>; always available.
class PriceBookSource : public PriceSource {
 public:
  rapport::sdk::Status Lookup(const rapport::sdk::Call& call, const std::string& product_code,
                              int64_t quantity, const std::string& currency_code,
                              PriceQuote* quote) override;
};

// Replaces the process-wide source (nullptr restores the price book).
// Thread-safe.
void InstallPriceSource(std::shared_ptr<PriceSource> source);
// The current source (never null).
std::shared_ptr<PriceSource> CurrentPriceSource();

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_PRICE_SOURCE_H_
