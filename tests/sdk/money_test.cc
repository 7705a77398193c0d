// rapport/sdk/money.h: the tree's one ISO 4217 table and the amount limit,
// which the core answers from too (core/validation/currency.cc).
#include "rapport/sdk/money.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace rapport::sdk {
namespace {

std::string Why(std::string_view code) {
  std::string why;
  EXPECT_FALSE(CurrencyMinorUnits(code, &why).has_value()) << code;
  return why;
}

TEST(CurrencyTest, RealCodesAreAcceptedWithTheirMinorUnits) {
  EXPECT_EQ(CurrencyMinorUnits("KRW"), 0);
  EXPECT_EQ(CurrencyMinorUnits("JPY"), 0);
  EXPECT_EQ(CurrencyMinorUnits("USD"), 2);
  EXPECT_EQ(CurrencyMinorUnits("EUR"), 2);
  EXPECT_EQ(CurrencyMinorUnits("BHD"), 3);
  EXPECT_EQ(CurrencyMinorUnits("CLF"), 4);
  EXPECT_EQ(CurrencyMinorUnits("IQD"), 3);  // ISO, not CLDR's rounding advice
  for (const char* code : {"KRW", "USD", "JPY", "ZWG", "XCG"}) EXPECT_TRUE(IsCurrencyCode(code));
}

TEST(CurrencyTest, MadeUpWrongCaseAndWrongLengthCodesAreRefusedWithAReason) {
  EXPECT_EQ(Why("ABC"), "'ABC' is not an ISO 4217 currency code");
  EXPECT_EQ(Why("XYZ"), "'XYZ' is not an ISO 4217 currency code");
  EXPECT_EQ(Why("HRK"), "'HRK' is not an ISO 4217 currency code");  // withdrawn
  EXPECT_EQ(Why("krw"), "'krw' is not an ISO 4217 currency code; codes are upper-case, e.g. 'KRW'");
  EXPECT_EQ(Why("KR"),
            "'KR' is not an ISO 4217 currency code; codes are exactly three letters, e.g. 'EUR'");
  EXPECT_EQ(Why("840"),
            "'840' is not an ISO 4217 currency code; codes are three upper-case letters A-Z, "
            "e.g. 'EUR'");
  EXPECT_EQ(Why(""), "must not be empty; use an ISO 4217 currency code such as 'USD'");
  EXPECT_EQ(Why("XAU"),
            "'XAU' has no minor unit in ISO 4217 (it is a precious metal, unit of account or "
            "test code) and cannot be used for money amounts");
  for (const char* code : {"ABC", "krw", "KR", "XAU", ""}) EXPECT_FALSE(IsCurrencyCode(code));
  EXPECT_FALSE(CurrencyMinorUnits("ABC").has_value());  // `why` is optional
}

TEST(CurrencyTest, CodesInMessagesAreEscapedAndCut) {
  EXPECT_EQ(Why(std::string("U\nD", 3)),
            "'U\\nD' is not an ISO 4217 currency code; codes are three upper-case letters A-Z, "
            "e.g. 'EUR'");
  EXPECT_EQ(internal::QuoteCode(std::string("\x01"
                                            "A",
                                            2)),
            "'\\x01\\x41'");
  EXPECT_EQ(internal::QuoteCode("한국"), "'한국'");  // UTF-8 stays readable
  const std::string long_code(100, 'A');
  EXPECT_EQ(internal::QuoteCode(long_code), "'" + std::string(64, 'A') + "...'");
  // Never cut inside a UTF-8 sequence: 21 three-byte characters are 63 bytes.
  std::string hangul;
  for (int i = 0; i < 30; ++i) hangul += "한";
  EXPECT_EQ(internal::QuoteCode(hangul), "'" + hangul.substr(0, 63) + "...'");
}

TEST(CurrencyTest, TheTableHasEveryActiveCodeOnce) {
  EXPECT_EQ(kCurrencies.size(), 167u);
  int known = 0;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      for (char c = 'A'; c <= 'Z'; ++c) {
        const char code[] = {a, b, c};
        auto minor = CurrencyMinorUnits(std::string_view(code, 3));
        if (!minor) continue;
        ++known;
        EXPECT_TRUE(*minor == 0 || *minor == 2 || *minor == 3 || *minor == 4);
      }
    }
  }
  EXPECT_EQ(known, 167);
  for (std::string_view none : kNoMinorUnitCurrencies) EXPECT_EQ(FindCurrency(none), nullptr);
}

TEST(MoneyUnitsTest, TheCoreLimitIs9e15MinorUnits) {
  EXPECT_EQ(kMaxMoneyUnits, 9'000'000'000'000'000);
  static_assert(kMaxMoneyUnits <= std::numeric_limits<int64_t>::max() / 1000);
  EXPECT_EQ(MoneyUnitsError(0), "");
  EXPECT_EQ(MoneyUnitsError(kMaxMoneyUnits), "");
  EXPECT_EQ(MoneyUnitsError(kMaxMoneyUnits + 1),
            "amount 9000000000000001 exceeds the maximum of 9000000000000000 minor units");
  EXPECT_EQ(MoneyUnitsError(-1), "amount -1 is negative; money amounts must be zero or positive");
}

TEST(MoneyUnitsTest, MoneyErrorChecksTheCurrencyFirst) {
  EXPECT_EQ(MoneyError("KRW", 1'500'000), "");
  EXPECT_EQ(MoneyError("ABC", -1), "'ABC' is not an ISO 4217 currency code");
  EXPECT_EQ(MoneyError("USD", -1), "amount -1 is negative; money amounts must be zero or positive");
}

}  // namespace
}  // namespace rapport::sdk
