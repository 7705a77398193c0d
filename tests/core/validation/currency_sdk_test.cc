// The core answers currency questions from the plugin SDK's table
// (rapport/sdk/money.h), so plugins and the core accept the same codes. This
// checks what the move must not have changed: the core's limit is the SDK's,
// both refuse and accept the same codes with the same words, and the SDK's
// quoting escapes exactly as absl::Utf8SafeCHexEscape, which the core used.
#include <string>

#include "absl/strings/escaping.h"
#include "core/validation/currency.h"
#include "gtest/gtest.h"
#include "rapport/sdk/money.h"

namespace rapport::validation {
namespace {

TEST(CurrencySdkTest, TheCoreAndTheSdkShareOneLimit) {
  static_assert(kMaxMoneyUnits == sdk::kMaxMoneyUnits);
  EXPECT_EQ(ValidateMoneyUnits("KRW", kMaxMoneyUnits + 1).message(),
            sdk::MoneyError("KRW", kMaxMoneyUnits + 1));
}

TEST(CurrencySdkTest, TheCoreAndTheSdkAgreeOnEveryThreeLetterCode) {
  for (char a = 'A'; a <= 'z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      for (char c = 'A'; c <= 'Z'; ++c) {
        const std::string code = {a, b, c};
        std::string why;
        auto sdk_minor = sdk::CurrencyMinorUnits(code, &why);
        auto core_minor = CurrencyMinorUnits(code);
        ASSERT_EQ(sdk_minor.has_value(), core_minor.ok()) << code;
        if (sdk_minor) {
          EXPECT_EQ(*sdk_minor, *core_minor) << code;
        } else {
          EXPECT_EQ(why, core_minor.status().message()) << code;
        }
      }
    }
  }
}

TEST(CurrencySdkTest, QuotingEscapesExactlyAsAbsl) {
  auto absl_quoted = [](const std::string& s) {
    return "'" + absl::Utf8SafeCHexEscape(absl::string_view(s.data(), s.size())) + "'";
  };
  for (int x = 0; x < 256; ++x) {
    for (int y = 0; y < 256; ++y) {
      const std::string s = {static_cast<char>(x), static_cast<char>(y)};
      ASSERT_EQ(sdk::internal::QuoteCode(s), absl_quoted(s)) << x << "," << y;
    }
  }
  const std::string hangul =
      "원화\t\"₩\"\x7f"
      "1";
  EXPECT_EQ(sdk::internal::QuoteCode(hangul), absl_quoted(hangul));
}

}  // namespace
}  // namespace rapport::validation
