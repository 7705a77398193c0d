#include "price_source.h"

#include <mutex>

#include "keyspace.h"
#include "rapport/sfa/v1/sfa.pb.h"

namespace rapport::sfa {

namespace {
std::mutex& SourceMutex() {
  static std::mutex mutex;
  return mutex;
}
std::shared_ptr<PriceSource>& Source() {
  static std::shared_ptr<PriceSource> source;
  return source;
}
}  // namespace

rapport::sdk::Status PriceBookSource::Lookup(const rapport::sdk::Call& call,
                                             const std::string& product_code, int64_t,
                                             const std::string&, PriceQuote* quote) {
  auto stored = call.Get(keys::PriceBookEntry(product_code));
  v1::PriceBookEntry entry;
  if (!stored || !entry.ParseFromString(*stored) || !entry.active()) {
    return rapport::sdk::Status::NotFound("'" + product_code + "' is not in the price book");
  }
  quote->unit_price = entry.unit_price();
  quote->available = true;
  quote->note.clear();
  return {};
}

void InstallPriceSource(std::shared_ptr<PriceSource> source) {
  std::lock_guard<std::mutex> lock(SourceMutex());
  Source() = std::move(source);
}

std::shared_ptr<PriceSource> CurrentPriceSource() {
  std::lock_guard<std::mutex> lock(SourceMutex());
  if (!Source()) Source() = std::make_shared<PriceBookSource>();
  return Source();
}

}  // namespace rapport::sfa
