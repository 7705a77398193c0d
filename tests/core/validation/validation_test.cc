// File: tests/core/validation/validation_test.cc
// -----------------------------------------------------------------------------
//
// Tests for core/validation: currency codes and money amounts, e-mail
// addresses, phone numbers (libphonenumber) and display text (ICU).

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/validation/currency.h"
#include "core/validation/email.h"
#include "core/validation/phone.h"
#include "core/validation/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::validation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// Matches an absl::Status with code INVALID_ARGUMENT whose message contains
// `substring`.
MATCHER_P(IsInvalidArgumentWith, substring, "") {
  const absl::Status& status = arg;
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    *result_listener << "code is " << absl::StatusCodeToString(status.code());
    return false;
  }
  const std::string message(status.message());
  if (message.find(substring) == std::string::npos) {
    *result_listener << "message is \"" << message << "\"";
    return false;
  }
  return true;
}

// Encodes code points as UTF-8, so that tests can spell out exact sequences
// (such as NFD Hangul jamo) instead of relying on how this file was saved.
std::string Utf8(std::initializer_list<char32_t> code_points) {
  std::string out;
  for (const char32_t c : code_points) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// "한국" (Korea) as precomposed syllables (NFC) and as conjoining jamo (NFD),
// the form macOS produces.
const std::string kHangukNfc = Utf8({0xD55C, 0xAD6D});
const std::string kHangukNfd = Utf8({0x1112, 0x1161, 0x11AB, 0x1100, 0x116E, 0x11A8});
// "김 민수" (Kim Min-su) in NFC and NFD.
const std::string kKimMinsuNfc = Utf8({0xAE40, ' ', 0xBBFC, 0xC218});
const std::string kKimMinsuNfd =
    Utf8({0x1100, 0x1175, 0x11B7, ' ', 0x1106, 0x1175, 0x11AB, 0x1109, 0x116E});
const std::string kMinsuNfc = Utf8({0xBBFC, 0xC218});

// ---------------------------------------------------------------------------
// Currency
// ---------------------------------------------------------------------------

TEST(CurrencyMinorUnitsTest, WonAndYenHaveNoMinorUnits) {
  EXPECT_EQ(CurrencyMinorUnits("KRW").value(), 0);
  EXPECT_EQ(CurrencyMinorUnits("JPY").value(), 0);
  EXPECT_EQ(CurrencyMinorUnits("CLP").value(), 0);
  EXPECT_EQ(CurrencyMinorUnits("VND").value(), 0);
}

TEST(CurrencyMinorUnitsTest, DollarAndEuroHaveTwoMinorUnits) {
  EXPECT_EQ(CurrencyMinorUnits("USD").value(), 2);
  EXPECT_EQ(CurrencyMinorUnits("EUR").value(), 2);
  EXPECT_EQ(CurrencyMinorUnits("GBP").value(), 2);
  EXPECT_EQ(CurrencyMinorUnits("CNY").value(), 2);
}

TEST(CurrencyMinorUnitsTest, GulfDinarsHaveThreeMinorUnits) {
  EXPECT_EQ(CurrencyMinorUnits("BHD").value(), 3);
  EXPECT_EQ(CurrencyMinorUnits("KWD").value(), 3);
  EXPECT_EQ(CurrencyMinorUnits("OMR").value(), 3);
}

TEST(CurrencyMinorUnitsTest, IndexUnitsHaveFourMinorUnits) {
  EXPECT_EQ(CurrencyMinorUnits("CLF").value(), 4);
  EXPECT_EQ(CurrencyMinorUnits("UYW").value(), 4);
}

TEST(CurrencyMinorUnitsTest, FollowsIsoWhereCldrRoundingDiffers) {
  // ICU/CLDR suggest 0 fraction digits for these; ISO 4217 says otherwise.
  EXPECT_EQ(CurrencyMinorUnits("IQD").value(), 3);
  EXPECT_EQ(CurrencyMinorUnits("IRR").value(), 2);
  EXPECT_EQ(CurrencyMinorUnits("RSD").value(), 2);
}

TEST(CurrencyMinorUnitsTest, KnowsRecentlyIntroducedCodes) {
  EXPECT_EQ(CurrencyMinorUnits("ZWG").value(), 2);
  EXPECT_EQ(CurrencyMinorUnits("SLE").value(), 2);
  EXPECT_EQ(CurrencyMinorUnits("VED").value(), 2);
}

TEST(CurrencyMinorUnitsTest, TableHasAllActiveCodesWithIsoExponents) {
  int known = 0;
  std::string code = "AAA";
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      for (char c = 'A'; c <= 'Z'; ++c) {
        code = {a, b, c};
        const absl::StatusOr<int> minor = CurrencyMinorUnits(code);
        if (!minor.ok()) continue;
        ++known;
        EXPECT_TRUE(*minor == 0 || *minor == 2 || *minor == 3 || *minor == 4)
            << code << " has " << *minor << " minor units";
      }
    }
  }
  EXPECT_EQ(known, 167);
}

TEST(CurrencyMinorUnitsTest, RejectsWithdrawnCodes) {
  EXPECT_THAT(CurrencyMinorUnits("HRK").status(),
              IsInvalidArgumentWith("'HRK' is not an ISO 4217 currency code"));
  EXPECT_THAT(CurrencyMinorUnits("DEM").status(),
              IsInvalidArgumentWith("'DEM' is not an ISO 4217 currency code"));
}

TEST(CurrencyMinorUnitsTest, RejectsUnknownCode) {
  EXPECT_THAT(CurrencyMinorUnits("ABC").status(),
              IsInvalidArgumentWith("'ABC' is not an ISO 4217 currency code"));
}

TEST(CurrencyMinorUnitsTest, RejectsLowercaseCodeAndSuggestsUppercase) {
  const absl::Status status = CurrencyMinorUnits("usd").status();
  EXPECT_THAT(status, IsInvalidArgumentWith("'usd' is not an ISO 4217 currency code"));
  EXPECT_THAT(status, IsInvalidArgumentWith("'USD'"));
  EXPECT_THAT(CurrencyMinorUnits("Eur").status(), IsInvalidArgumentWith("'EUR'"));
}

TEST(CurrencyMinorUnitsTest, RejectsWrongLength) {
  EXPECT_THAT(CurrencyMinorUnits("EURO").status(),
              IsInvalidArgumentWith("'EURO' is not an ISO 4217 currency code"));
  EXPECT_THAT(CurrencyMinorUnits("US").status(), IsInvalidArgumentWith("three letters"));
}

TEST(CurrencyMinorUnitsTest, RejectsNonLetters) {
  EXPECT_THAT(CurrencyMinorUnits("U$D").status(),
              IsInvalidArgumentWith("'U$D' is not an ISO 4217 currency code"));
  EXPECT_THAT(CurrencyMinorUnits("840").status(), IsInvalidArgumentWith("upper-case letters"));
}

TEST(CurrencyMinorUnitsTest, RejectsEmptyCode) {
  EXPECT_THAT(CurrencyMinorUnits("").status(), IsInvalidArgumentWith("must not be empty"));
}

TEST(CurrencyMinorUnitsTest, RejectsCodesWithoutMinorUnits) {
  EXPECT_THAT(CurrencyMinorUnits("XAU").status(), IsInvalidArgumentWith("'XAU' has no minor unit"));
  EXPECT_THAT(CurrencyMinorUnits("XTS").status(), IsInvalidArgumentWith("has no minor unit"));
}

TEST(CurrencyMinorUnitsTest, EscapesControlCharactersInMessages) {
  const absl::Status status = CurrencyMinorUnits(std::string("U\nD", 3)).status();
  EXPECT_THAT(status, IsInvalidArgumentWith("'U\\nD'"));
}

TEST(ValidateMoneyUnitsTest, AcceptsZeroTypicalAndMaximumAmounts) {
  EXPECT_TRUE(ValidateMoneyUnits("KRW", 0).ok());
  EXPECT_TRUE(ValidateMoneyUnits("KRW", 1'500'000).ok());
  EXPECT_TRUE(ValidateMoneyUnits("USD", 1234).ok());
  EXPECT_TRUE(ValidateMoneyUnits("BHD", kMaxMoneyUnits).ok());
}

TEST(ValidateMoneyUnitsTest, AcceptsLargeDealsInSmallValueCurrencies) {
  // 500 billion rupiah (about 30 million USD) in sen.
  EXPECT_TRUE(ValidateMoneyUnits("IDR", 50'000'000'000'000).ok());
}

TEST(ValidateMoneyUnitsTest, MaximumLeavesRoomToSumAThousandAmounts) {
  EXPECT_EQ(kMaxMoneyUnits, 9'000'000'000'000'000);
  static_assert(kMaxMoneyUnits <= std::numeric_limits<int64_t>::max() / 1000);
}

TEST(ValidateMoneyUnitsTest, RejectsNegativeAmount) {
  EXPECT_THAT(ValidateMoneyUnits("USD", -1), IsInvalidArgumentWith("-1 is negative"));
}

TEST(ValidateMoneyUnitsTest, RejectsOverflowingAmountAndNamesMaximum) {
  EXPECT_THAT(ValidateMoneyUnits("KRW", kMaxMoneyUnits + 1),
              IsInvalidArgumentWith("maximum of 9000000000000000"));
  EXPECT_THAT(ValidateMoneyUnits("KRW", std::numeric_limits<int64_t>::max()),
              IsInvalidArgumentWith("9223372036854775807 exceeds the maximum"));
}

TEST(ValidateMoneyUnitsTest, RejectsUnknownCurrency) {
  EXPECT_THAT(ValidateMoneyUnits("EURO", 100),
              IsInvalidArgumentWith("'EURO' is not an ISO 4217 currency code"));
  EXPECT_THAT(ValidateMoneyUnits("krw", 100), IsInvalidArgumentWith("'KRW'"));
}

TEST(ValidateMoneyUnitsTest, MessagesHaveNoFieldPrefix) {
  for (const absl::Status& status :
       {ValidateMoneyUnits("", 1), ValidateMoneyUnits("ABC", 1), ValidateMoneyUnits("USD", -1),
        ValidateMoneyUnits("USD", kMaxMoneyUnits + 1)}) {
    EXPECT_THAT(std::string(status.message()), Not(StartsWith("currency")));
    EXPECT_THAT(std::string(status.message()), Not(StartsWith("units")));
  }
}

TEST(FormatMoneyTest, FormatsWholeUnitCurrenciesWithoutDecimalPoint) {
  EXPECT_EQ(FormatMoney("KRW", 1'500'000), "KRW 1500000");
  EXPECT_EQ(FormatMoney("JPY", 0), "JPY 0");
}

TEST(FormatMoneyTest, FormatsMinorUnitsAsDecimals) {
  EXPECT_EQ(FormatMoney("USD", 1234), "USD 12.34");
  EXPECT_EQ(FormatMoney("USD", 5), "USD 0.05");
  EXPECT_EQ(FormatMoney("USD", 100), "USD 1.00");
  EXPECT_EQ(FormatMoney("EUR", 0), "EUR 0.00");
  EXPECT_EQ(FormatMoney("BHD", 1234), "BHD 1.234");
  EXPECT_EQ(FormatMoney("BHD", 5), "BHD 0.005");
  EXPECT_EQ(FormatMoney("CLF", 1), "CLF 0.0001");
}

TEST(FormatMoneyTest, FormatsNegativeAmountsIncludingTheMostNegative) {
  EXPECT_EQ(FormatMoney("USD", -1234), "USD -12.34");
  EXPECT_EQ(FormatMoney("USD", -5), "USD -0.05");
  EXPECT_EQ(FormatMoney("KRW", -7), "KRW -7");
  EXPECT_EQ(FormatMoney("USD", std::numeric_limits<int64_t>::min()), "USD -92233720368547758.08");
}

TEST(FormatMoneyTest, PrintsUnknownCurrencyEscapedWithPlainUnits) {
  EXPECT_EQ(FormatMoney("XYZ", 1234), "XYZ 1234");
  EXPECT_EQ(FormatMoney(std::string("A\nB", 3), 1), "A\\nB 1");
}

// ---------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------

TEST(NormalizeEmailTest, LowercasesDomainAndLocalPart) {
  EXPECT_EQ(NormalizeEmail("Kim.MinSu@Example.CO.KR").value(), "kim.minsu@example.co.kr");
}

TEST(NormalizeEmailTest, TrimsSurroundingAsciiWhitespace) {
  EXPECT_EQ(NormalizeEmail("  kim@example.com \t\r\n").value(), "kim@example.com");
}

TEST(NormalizeEmailTest, AcceptsCommonRealWorldAddresses) {
  EXPECT_EQ(NormalizeEmail("first.last+crm@gmail.com").value(), "first.last+crm@gmail.com");
  EXPECT_EQ(NormalizeEmail("o'brien@example.ie").value(), "o'brien@example.ie");
  EXPECT_EQ(NormalizeEmail("a@b.co").value(), "a@b.co");
  EXPECT_EQ(NormalizeEmail("user_1@mail-server.example.com").value(),
            "user_1@mail-server.example.com");
  EXPECT_EQ(NormalizeEmail("sales@123.example.com").value(), "sales@123.example.com");
}

TEST(NormalizeEmailTest, AcceptsAllAtextSpecialsInLocalPart) {
  EXPECT_EQ(NormalizeEmail("!#$%&'*+-/=?^_`{|}~@example.com").value(),
            "!#$%&'*+-/=?^_`{|}~@example.com");
}

TEST(NormalizeEmailTest, AcceptsPunycodeDomainLabels) {
  EXPECT_EQ(NormalizeEmail("info@XN--3E0B707E.xn--3e0b707e").value(),
            "info@xn--3e0b707e.xn--3e0b707e");
  EXPECT_EQ(NormalizeEmail("info@xn--bcher-kva.example").value(), "info@xn--bcher-kva.example");
}

TEST(NormalizeEmailTest, AcceptsLimitLengths) {
  const std::string local64(64, 'a');
  EXPECT_TRUE(NormalizeEmail(local64 + "@example.com").ok());
  // 64 + 1 + 189 = 254 bytes: three 60-character labels and "com".
  const std::string label60(60, 'b');
  const std::string address254 = local64 + "@" + label60 + "." + label60 + "." + label60 + ".com" +
                                 std::string(254 - (64 + 1 + 60 * 3 + 2 + 4), 'x');
  ASSERT_EQ(address254.size(), 254u);
  EXPECT_TRUE(NormalizeEmail(address254).ok()) << NormalizeEmail(address254).status();
}

TEST(NormalizeEmailTest, RejectsEmpty) {
  EXPECT_THAT(NormalizeEmail("").status(), IsInvalidArgumentWith("must not be empty"));
  EXPECT_THAT(NormalizeEmail(" \t ").status(), IsInvalidArgumentWith("must not be empty"));
}

TEST(NormalizeEmailTest, RejectsMissingAt) {
  EXPECT_THAT(NormalizeEmail("kim.example.com").status(),
              IsInvalidArgumentWith("'kim.example.com' has no '@'"));
}

TEST(NormalizeEmailTest, RejectsMissingDomain) {
  EXPECT_THAT(NormalizeEmail("foo@").status(), IsInvalidArgumentWith("'foo@' has no domain"));
}

TEST(NormalizeEmailTest, RejectsMissingLocalPart) {
  EXPECT_THAT(NormalizeEmail("@example.com").status(),
              IsInvalidArgumentWith("'@example.com' has nothing before '@'"));
}

TEST(NormalizeEmailTest, RejectsMoreThanOneAt) {
  EXPECT_THAT(NormalizeEmail("a@b@example.com").status(),
              IsInvalidArgumentWith("has more than one '@'"));
}

TEST(NormalizeEmailTest, RejectsDoubleDotsInLocalPart) {
  EXPECT_THAT(NormalizeEmail("john..doe@example.com").status(),
              IsInvalidArgumentWith("consecutive dots"));
}

TEST(NormalizeEmailTest, RejectsLeadingOrTrailingDotInLocalPart) {
  EXPECT_THAT(NormalizeEmail(".john@example.com").status(),
              IsInvalidArgumentWith("at the start or end"));
  EXPECT_THAT(NormalizeEmail("john.@example.com").status(),
              IsInvalidArgumentWith("at the start or end"));
}

TEST(NormalizeEmailTest, RejectsInternalSpaces) {
  EXPECT_THAT(NormalizeEmail("john doe@example.com").status(),
              IsInvalidArgumentWith("contains whitespace"));
  EXPECT_THAT(NormalizeEmail("john@exa mple.com").status(),
              IsInvalidArgumentWith("contains whitespace"));
  EXPECT_THAT(NormalizeEmail("john\t@example.com").status(),
              IsInvalidArgumentWith("contains whitespace"));
}

TEST(NormalizeEmailTest, RejectsControlCharactersAndEscapesThemInMessage) {
  const absl::Status status = NormalizeEmail(std::string("jo\0hn@example.com", 17)).status();
  EXPECT_THAT(status, IsInvalidArgumentWith("control character"));
  EXPECT_THAT(status, IsInvalidArgumentWith("'jo\\x00hn@example.com'"));
  EXPECT_THAT(NormalizeEmail("john\x7f@example.com").status(),
              IsInvalidArgumentWith("control character"));
}

TEST(NormalizeEmailTest, RejectsNonAsciiAndPointsToPunycode) {
  EXPECT_THAT(NormalizeEmail(Utf8({0xAE40}) + "@example.com").status(),
              IsInvalidArgumentWith("non-ASCII"));
  EXPECT_THAT(NormalizeEmail("info@" + kHangukNfc + ".kr").status(),
              IsInvalidArgumentWith("punycode"));
}

TEST(NormalizeEmailTest, RejectsCharactersOutsideAtextInLocalPart) {
  EXPECT_THAT(NormalizeEmail("john(work)@example.com").status(),
              IsInvalidArgumentWith("contains '('"));
  EXPECT_THAT(NormalizeEmail("\"john\"@example.com").status(),
              IsInvalidArgumentWith("contains '\\\"'"));
  EXPECT_THAT(NormalizeEmail("john,doe@example.com").status(),
              IsInvalidArgumentWith("contains ','"));
}

TEST(NormalizeEmailTest, RejectsDomainWithoutDot) {
  EXPECT_THAT(NormalizeEmail("john@localhost").status(), IsInvalidArgumentWith("without a dot"));
}

TEST(NormalizeEmailTest, RejectsEmptyDomainLabels) {
  for (const char* address :
       {"john@example..com", "john@.example.com", "john@example.com.", "john@."}) {
    EXPECT_THAT(NormalizeEmail(address).status(), IsInvalidArgumentWith("empty domain label"))
        << address;
  }
}

TEST(NormalizeEmailTest, RejectsHyphenAtLabelEdges) {
  EXPECT_THAT(NormalizeEmail("john@-example.com").status(),
              IsInvalidArgumentWith("must not start or end with '-'"));
  EXPECT_THAT(NormalizeEmail("john@example-.com").status(),
              IsInvalidArgumentWith("must not start or end with '-'"));
  EXPECT_THAT(NormalizeEmail("john@xn--.com").status(),
              IsInvalidArgumentWith("must not start or end with '-'"));
}

TEST(NormalizeEmailTest, RejectsInvalidDomainCharacters) {
  EXPECT_THAT(NormalizeEmail("john@exa_mple.com").status(),
              IsInvalidArgumentWith("contains '_' in the domain"));
  EXPECT_THAT(NormalizeEmail("john@[192.168.0.1]").status(),
              IsInvalidArgumentWith("contains '[' in the domain"));
}

TEST(NormalizeEmailTest, RejectsAllNumericTopLevelDomain) {
  EXPECT_THAT(NormalizeEmail("john@192.168.0.1").status(),
              IsInvalidArgumentWith("top-level domain '1'"));
}

TEST(NormalizeEmailTest, RejectsOverlongLocalPart) {
  EXPECT_THAT(NormalizeEmail(std::string(65, 'a') + "@example.com").status(),
              IsInvalidArgumentWith("65 bytes; the maximum is 64"));
}

TEST(NormalizeEmailTest, RejectsOverlongDomainLabel) {
  EXPECT_THAT(NormalizeEmail("john@" + std::string(64, 'a') + ".com").status(),
              IsInvalidArgumentWith("domain label of 64 characters"));
}

TEST(NormalizeEmailTest, Rejects255ByteAddressWithTruncatedQuote) {
  const std::string address = std::string(64, 'a') + "@" + std::string(63, 'b') + "." +
                              std::string(63, 'c') + "." + std::string(58, 'd') + ".com";
  ASSERT_EQ(address.size(), 255u);
  const absl::Status status = NormalizeEmail(address).status();
  EXPECT_THAT(status, IsInvalidArgumentWith("255 bytes long; the maximum is 254"));
  EXPECT_THAT(status, IsInvalidArgumentWith("...'"));
  EXPECT_LT(status.message().size(), 200u);
}

TEST(NormalizeEmailTest, MessagesHaveNoFieldPrefix) {
  for (const char* address : {"", "foo@", "foo", "a..b@c.d"}) {
    const std::string message(NormalizeEmail(address).status().message());
    EXPECT_THAT(message, Not(StartsWith("email"))) << address;
  }
}

// ---------------------------------------------------------------------------
// Phone
// ---------------------------------------------------------------------------

TEST(NormalizePhoneTest, KoreanMobileNationalFormatNormalizesToE164) {
  EXPECT_EQ(NormalizePhone("010-1234-5678", "KR").value(), "+821012345678");
  EXPECT_EQ(NormalizePhone("01012345678", "KR").value(), "+821012345678");
  EXPECT_EQ(NormalizePhone(" 010 1234 5678 ", "KR").value(), "+821012345678");
}

TEST(NormalizePhoneTest, KoreanInternationalFormatNormalizesFromAnyRegion) {
  EXPECT_EQ(NormalizePhone("+82 10 1234 5678", "KR").value(), "+821012345678");
  EXPECT_EQ(NormalizePhone("+82 10 1234 5678", "US").value(), "+821012345678");
  EXPECT_EQ(NormalizePhone("+82-10-1234-5678", "").value(), "+821012345678");
}

TEST(NormalizePhoneTest, KoreanTrunkZeroAfterCountryCodeIsDropped) {
  // A common way Koreans write their number for foreigners.
  EXPECT_EQ(NormalizePhone("+82 (0)10-1234-5678", "US").value(), "+821012345678");
  EXPECT_EQ(NormalizePhone("+82 010 1234 5678", "KR").value(), "+821012345678");
}

TEST(NormalizePhoneTest, KoreanLandlinesNormalizeToE164) {
  EXPECT_EQ(NormalizePhone("02-312-3456", "KR").value(), "+8223123456");
  EXPECT_EQ(NormalizePhone("02-3123-4567", "KR").value(), "+82231234567");
  EXPECT_EQ(NormalizePhone("031-123-4567", "KR").value(), "+82311234567");
}

TEST(NormalizePhoneTest, UsNumbersNormalizeToE164) {
  EXPECT_EQ(NormalizePhone("(415) 555-2671", "US").value(), "+14155552671");
  EXPECT_EQ(NormalizePhone("1 650 253 0000", "US").value(), "+16502530000");
  EXPECT_EQ(NormalizePhone("+1 650-253-0000", "KR").value(), "+16502530000");
}

TEST(NormalizePhoneTest, RegionIsCaseInsensitive) {
  EXPECT_EQ(NormalizePhone("010-1234-5678", "kr").value(), "+821012345678");
}

TEST(NormalizePhoneTest, AcceptsFullWidthDigits) {
  const std::string full_width = Utf8({0xFF10, 0xFF11, 0xFF10, '-', 0xFF11, 0xFF12, 0xFF13, 0xFF14,
                                       '-', 0xFF15, 0xFF16, 0xFF17, 0xFF18});
  EXPECT_EQ(NormalizePhone(full_width, "KR").value(), "+821012345678");
}

TEST(NormalizePhoneTest, RejectsGarbageQuotingInputAndRegion) {
  const absl::Status status = NormalizePhone("hello", "KR").status();
  EXPECT_THAT(status, IsInvalidArgumentWith("'hello' is not a phone number"));
  EXPECT_THAT(status, IsInvalidArgumentWith("'KR'"));
}

TEST(NormalizePhoneTest, RejectsIncompleteNumberQuotingInputAndRegion) {
  const absl::Status status = NormalizePhone("010-1234", "KR").status();
  EXPECT_THAT(status,
              IsInvalidArgumentWith("'010-1234' is not a valid phone number for region KR"));
  EXPECT_THAT(NormalizePhone("12", "KR").status(),
              IsInvalidArgumentWith("not a valid phone number"));
  EXPECT_THAT(NormalizePhone("555-2671", "US").status(),
              IsInvalidArgumentWith("not a valid phone number for region US"));
}

TEST(NormalizePhoneTest, RejectsTooManyDigits) {
  EXPECT_THAT(NormalizePhone("1234567890123456789", "KR").status(),
              IsInvalidArgumentWith("too long to be a phone number"));
}

TEST(NormalizePhoneTest, RejectsInputLongerThan64Bytes) {
  const std::string padded = "010-1234-5678" + std::string(51, ' ');
  ASSERT_EQ(padded.size(), 64u);
  EXPECT_EQ(NormalizePhone(padded, "KR").value(), "+821012345678");
  EXPECT_THAT(NormalizePhone(padded + " ", "KR").status(),
              IsInvalidArgumentWith("65 bytes long; the maximum is 64"));
}

TEST(NormalizePhoneTest, RejectsEmptyInput) {
  EXPECT_THAT(NormalizePhone("", "KR").status(), IsInvalidArgumentWith("must not be empty"));
  EXPECT_THAT(NormalizePhone("   ", "KR").status(), IsInvalidArgumentWith("must not be empty"));
}

TEST(NormalizePhoneTest, NationalNumberWithoutRegionAsksForCountryCode) {
  EXPECT_THAT(NormalizePhone("010-1234-5678", "").status(),
              IsInvalidArgumentWith("there is no default region"));
  EXPECT_THAT(NormalizePhone("010-1234-5678", "XX").status(),
              IsInvalidArgumentWith("'XX' is not a supported default region"));
}

TEST(NormalizePhoneTest, RejectsUnknownCountryCallingCode) {
  EXPECT_THAT(NormalizePhone("+999 1234 5678", "KR").status(),
              IsInvalidArgumentWith("unknown country calling code"));
}

TEST(NormalizePhoneTest, RejectsExtensionsBecauseE164CannotHoldThem) {
  EXPECT_THAT(NormalizePhone("+1 650 253 0000 ext. 123", "US").status(),
              IsInvalidArgumentWith("has an extension ('123')"));
}

TEST(NormalizePhoneTest, MessagesHaveNoFieldPrefix) {
  const std::string message(NormalizePhone("hello", "KR").status().message());
  EXPECT_THAT(message, Not(StartsWith("phone")));
}

TEST(NormalizePhoneTest, IsSafeToCallFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&results, t] {
      for (int i = 0; i < 50; ++i) {
        results[t] = NormalizePhone("010-1234-5678", "KR").value_or("error");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& result : results) {
    EXPECT_EQ(result, "+821012345678");
  }
}

TEST(PhoneSearchKeyTest, KoreanPartialNationalNumberBecomesE164Prefix) {
  EXPECT_EQ(PhoneSearchKey("010-12", "KR"), "+821012");
  EXPECT_EQ(PhoneSearchKey("010", "KR"), "+8210");
  EXPECT_EQ(PhoneSearchKey("0", "KR"), "+82");
  EXPECT_EQ(PhoneSearchKey("02-312", "KR"), "+822312");
}

TEST(PhoneSearchKeyTest, FullNumberKeyEqualsStoredE164) {
  EXPECT_EQ(PhoneSearchKey("010-1234-5678", "KR"), NormalizePhone("010-1234-5678", "KR").value());
  EXPECT_EQ(PhoneSearchKey("(415) 555-2671", "US"), NormalizePhone("(415) 555-2671", "US").value());
}

TEST(PhoneSearchKeyTest, PrefixOfStoredNumberMatches) {
  const std::string stored = NormalizePhone("02-3123-4567", "KR").value();
  EXPECT_THAT(stored, StartsWith(PhoneSearchKey("02-31", "KR")));
  EXPECT_THAT(stored, StartsWith(PhoneSearchKey("+82 2 3123", "US")));
}

TEST(PhoneSearchKeyTest, InternationalInputKeepsItsCountryCode) {
  EXPECT_EQ(PhoneSearchKey("+82 10", "US"), "+8210");
  EXPECT_EQ(PhoneSearchKey("+1 (415)", "KR"), "+1415");
  EXPECT_EQ(PhoneSearchKey(" +", "KR"), "");
}

TEST(PhoneSearchKeyTest, NumberWithoutTrunkPrefixGetsCountryCode) {
  EXPECT_EQ(PhoneSearchKey("(415) 555", "US"), "+1415555");
  EXPECT_EQ(PhoneSearchKey("1234", "KR"), "+821234");
}

TEST(PhoneSearchKeyTest, UsesTheRegionsOwnTrunkPrefix) {
  // The US trunk prefix is "1"; Italy has none and keeps its leading 0.
  EXPECT_EQ(PhoneSearchKey("1 (415) 555", "US"), "+1415555");
  EXPECT_EQ(PhoneSearchKey("06 6982", "IT"), "+39066982");
}

TEST(PhoneSearchKeyTest, DoubleZeroIsNotASingleTrunkPrefix) {
  EXPECT_EQ(PhoneSearchKey("00", "KR"), "+8200");
}

TEST(PhoneSearchKeyTest, PlusAfterDigitsIsIgnored) {
  EXPECT_EQ(PhoneSearchKey("010+12", "KR"), "+821012");
}

TEST(PhoneSearchKeyTest, UnknownRegionTakesDigitsAsStartingWithCountryCode) {
  EXPECT_EQ(PhoneSearchKey("8210", ""), "+8210");
  EXPECT_EQ(PhoneSearchKey("8210", "XX"), "+8210");
}

TEST(PhoneSearchKeyTest, AcceptsFullWidthDigitsAndPlus) {
  EXPECT_EQ(PhoneSearchKey(Utf8({0xFF10, 0xFF11, 0xFF10}), "KR"), "+8210");
  EXPECT_EQ(PhoneSearchKey(Utf8({0xFF0B, '8', '2'}), "US"), "+82");
}

TEST(PhoneSearchKeyTest, NoDigitsGivesEmptyKey) {
  EXPECT_EQ(PhoneSearchKey("", "KR"), "");
  EXPECT_EQ(PhoneSearchKey("kim", "KR"), "");
  EXPECT_EQ(PhoneSearchKey("--()", "US"), "");
  EXPECT_EQ(PhoneSearchKey("\xff\xfe", "KR"), "");
}

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

TEST(NormalizeDisplayTextTest, ComposesNfdHangulToNfc) {
  ASSERT_NE(kHangukNfd, kHangukNfc);
  EXPECT_EQ(NormalizeDisplayText(kHangukNfd, 100).value(), kHangukNfc);
  EXPECT_EQ(NormalizeDisplayText(kKimMinsuNfd, 100).value(), kKimMinsuNfc);
}

TEST(NormalizeDisplayTextTest, CountsComposedCharactersAgainstLimit) {
  // Six jamo compose into two syllables, which fit a limit of two.
  EXPECT_EQ(NormalizeDisplayText(kHangukNfd, 2).value(), kHangukNfc);
}

TEST(NormalizeDisplayTextTest, ComposesLatinCombiningMarks) {
  EXPECT_EQ(NormalizeDisplayText("Jose" + Utf8({0x0301}), 100).value(), "Jos" + Utf8({0x00E9}));
}

TEST(NormalizeDisplayTextTest, LeavesAlreadyNormalTextUnchanged) {
  EXPECT_EQ(NormalizeDisplayText("Acme Korea Ltd.", 100).value(), "Acme Korea Ltd.");
  EXPECT_EQ(NormalizeDisplayText(kKimMinsuNfc, 100).value(), kKimMinsuNfc);
}

TEST(NormalizeDisplayTextTest, RejectsInvalidUtf8) {
  for (const std::string& bad :
       {std::string("abc\xff"), std::string("\xc3\x28"), std::string("\xc0\xaf"),
        std::string("\xed\xa0\x80"), std::string("\xe2\x82"), std::string("\xf4\x90\x80\x80")}) {
    EXPECT_THAT(NormalizeDisplayText(bad, 100).status(),
                IsInvalidArgumentWith("is not valid UTF-8"));
  }
  EXPECT_THAT(NormalizeDisplayText("abc\xff", 100).status(),
              IsInvalidArgumentWith("0xFF at byte offset 3"));
}

TEST(NormalizeDisplayTextTest, TrimsAndCollapsesWhitespace) {
  EXPECT_EQ(NormalizeDisplayText("  Acme \t\n  Korea  ", 100).value(), "Acme Korea");
  EXPECT_EQ(NormalizeDisplayText("a\r\nb", 100).value(), "a b");
}

TEST(NormalizeDisplayTextTest, TreatsUnicodeSpacesAsWhitespace) {
  const std::string ideographic_space = Utf8({0x3000});
  const std::string nbsp = Utf8({0x00A0});
  EXPECT_EQ(NormalizeDisplayText(ideographic_space + kKimMinsuNfc + nbsp, 100).value(),
            kKimMinsuNfc);
  EXPECT_EQ(NormalizeDisplayText("Acme" + nbsp + ideographic_space + "Korea", 100).value(),
            "Acme Korea");
}

TEST(NormalizeDisplayTextTest, RejectsTextLongerThanMaxChars) {
  EXPECT_TRUE(NormalizeDisplayText("abcde", 5).ok());
  EXPECT_THAT(NormalizeDisplayText("abcdef", 5).status(),
              IsInvalidArgumentWith("is longer than 5 characters"));
  // Five Hangul syllables are fifteen bytes but five characters.
  EXPECT_TRUE(NormalizeDisplayText(Utf8({0xAC00, 0xAC01, 0xAC02, 0xAC03, 0xAC04}), 5).ok());
}

TEST(NormalizeDisplayTextTest, LimitAppliesAfterCollapsingWhitespace) {
  EXPECT_EQ(NormalizeDisplayText("   a      b   ", 3).value(), "a b");
}

TEST(NormalizeDisplayTextTest, RejectsControlCharacters) {
  EXPECT_THAT(NormalizeDisplayText("Acme\x01Korea", 100).status(),
              IsInvalidArgumentWith("control character U+0001"));
  EXPECT_THAT(NormalizeDisplayText(std::string("Acme\0", 5), 100).status(),
              IsInvalidArgumentWith("control character U+0000"));
  EXPECT_THAT(NormalizeDisplayText("Acme\x7f", 100).status(),
              IsInvalidArgumentWith("control character U+007F"));
  EXPECT_THAT(NormalizeDisplayText("Acme" + Utf8({0x009B}), 100).status(),
              IsInvalidArgumentWith("control character U+009B"));
  EXPECT_THAT(NormalizeDisplayText("\x1b[31mred", 100).status(),
              IsInvalidArgumentWith("control character U+001B"));
}

TEST(NormalizeDisplayTextTest, RejectsEmptyResult) {
  for (const std::string& empty :
       {std::string(""), std::string("   "), std::string("\t\r\n"), Utf8({0x3000, 0x00A0})}) {
    EXPECT_THAT(NormalizeDisplayText(empty, 100).status(),
                IsInvalidArgumentWith("must not be empty"));
  }
}

TEST(NormalizeDisplayTextTest, MessagesHaveNoFieldPrefix) {
  EXPECT_EQ(NormalizeDisplayText("", 10).status().message(), "must not be empty");
  EXPECT_THAT(std::string(NormalizeDisplayText("abc", 2).status().message()),
              StartsWith("is longer than 2 characters"));
}

TEST(SearchKeyTest, FoldsLatinCase) {
  EXPECT_EQ(SearchKey("KIM"), "kim");
  EXPECT_EQ(SearchKey("Kim"), SearchKey("KIM"));
  EXPECT_EQ(SearchKey("Acme Korea LTD"), "acme korea ltd");
}

TEST(SearchKeyTest, UsesFullUnicodeCaseFolding) {
  EXPECT_EQ(SearchKey("STRASSE"), SearchKey("Stra" + Utf8({0x00DF}) + "e"));
  EXPECT_EQ(SearchKey(Utf8({0x039C, 0x0391, 0x03A1, 0x0399, 0x0391})),
            Utf8({0x03BC, 0x03B1, 0x03C1, 0x03B9, 0x03B1}));  // MARIA in Greek.
  EXPECT_EQ(SearchKey(Utf8({0x00C9})), Utf8({0x00E9}));       // É -> é, NFC.
}

TEST(SearchKeyTest, LeavesHangulUnchanged) {
  EXPECT_EQ(SearchKey(kHangukNfc), kHangukNfc);
  EXPECT_EQ(SearchKey(kKimMinsuNfc), kKimMinsuNfc);
}

TEST(SearchKeyTest, NfdHangulFindsNfcHangul) {
  EXPECT_EQ(SearchKey(kHangukNfd), kHangukNfc);
  EXPECT_EQ(SearchKey(kKimMinsuNfd), SearchKey(kKimMinsuNfc));
}

TEST(SearchKeyTest, CollapsesWhitespace) {
  EXPECT_EQ(SearchKey("  Acme \t Korea\n"), "acme korea");
  EXPECT_EQ(SearchKey(Utf8({0x3000}) + "Kim" + Utf8({0x3000, 0x3000}) + "Minsu"), "kim minsu");
  EXPECT_EQ(SearchKey("   "), "");
}

TEST(SearchKeyTest, ReplacesInvalidUtf8InsteadOfFailing) {
  EXPECT_EQ(SearchKey("AB\xff"), "ab" + Utf8({0xFFFD}));
}

// Korean input methods switch to full-width Latin letters and digits, and
// Japanese names arrive in half-width katakana: keys fold compatibility
// forms (NFKC_Casefold), so every form of a letter has the same key.
TEST(SearchKeyTest, FoldsFullWidthLatinLettersToAscii) {
  const std::string full_upper = Utf8({0xFF21, 0xFF22, 0xFF23});  // ＡＢＣ
  const std::string full_lower = Utf8({0xFF41, 0xFF42, 0xFF43});  // ａｂｃ
  EXPECT_EQ(SearchKey(full_upper), "abc");
  EXPECT_EQ(SearchKey(full_lower), "abc");
  EXPECT_EQ(SearchKey("ABC"), "abc");
  EXPECT_EQ(SearchKey("abc"), "abc");
  EXPECT_EQ(SearchKey(full_upper + " Corp"), SearchKey("abc CORP"));
  EXPECT_EQ(SearchKey(Utf8({0xFF21, 'b', 0xFF43})), "abc");  // mixed widths
}

TEST(SearchKeyTest, FoldsFullWidthDigitsToAscii) {
  EXPECT_EQ(SearchKey(Utf8({0xFF10, 0xFF11, 0xFF12})), "012");  // ０１２
  EXPECT_EQ(SearchKey(Utf8({0xFF10, 0xFF11, 0xFF12})), SearchKey("012"));
  EXPECT_EQ(SearchKey("Store " + Utf8({0xFF17})), "store 7");
}

TEST(SearchKeyTest, FoldsHalfWidthKatakanaToFullWidth) {
  const std::string half = Utf8({0xFF76, 0xFF80, 0xFF76, 0xFF85});  // ｶﾀｶﾅ
  const std::string full = Utf8({0x30AB, 0x30BF, 0x30AB, 0x30CA});  // カタカナ
  EXPECT_EQ(SearchKey(half), full);
  EXPECT_EQ(SearchKey(full), full);
  // A half-width voiced mark composes with its letter: ｶﾞｽ is ガス.
  EXPECT_EQ(SearchKey(Utf8({0xFF76, 0xFF9E, 0xFF7D})), Utf8({0x30AC, 0x30B9}));
}

TEST(SearchKeyTest, FoldsOtherCompatibilityForms) {
  EXPECT_EQ(SearchKey(Utf8({0xFB01}) + "ne"), "fine");                 // ﬁ ligature
  EXPECT_EQ(SearchKey(Utf8({0x2460})), "1");                           // ①
  EXPECT_EQ(SearchKey(Utf8({0x321C})), "(" + Utf8({0xC8FC}) + ")");    // ㈜ is (주)
  EXPECT_EQ(SearchKey("Kim" + Utf8({0x00AD}) + "Minsu"), "kimminsu");  // soft hyphen
  EXPECT_EQ(SearchKey(Utf8({0x3131})), Utf8({0x1100}));                // compatibility jamo ㄱ
}

TEST(SearchKeyTest, CompatibilityFoldingKeepsHangulNfdAndNfcEqual) {
  EXPECT_EQ(SearchKey(kHangukNfd), kHangukNfc);
  EXPECT_EQ(SearchKey(kKimMinsuNfd), kKimMinsuNfc);
  EXPECT_EQ(SearchKey(kKimMinsuNfd), SearchKey(kKimMinsuNfc));
  EXPECT_EQ(SearchKeysForName(kKimMinsuNfd), SearchKeysForName(kKimMinsuNfc));
}

TEST(SearchKeysForNameTest, FullWidthNameIsFoundByAsciiWords) {
  const std::string name = Utf8({0xFF21, 0xFF22, 0xFF23}) + " Corp";  // ＡＢＣ Corp
  EXPECT_THAT(SearchKeysForName(name), ElementsAre("abc corp", "corp"));
  // The stored name keeps its full-width letters; only keys are folded.
  auto stored = NormalizeDisplayText(name, 100);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, name);
}

TEST(SearchKeysForNameTest, KoreanNameIsFoundByGivenName) {
  EXPECT_THAT(SearchKeysForName(kKimMinsuNfc),
              ElementsAre(kKimMinsuNfc, kMinsuNfc, Utf8({0xC218})));
}

TEST(SearchKeysForNameTest, HangulWithoutSpacesIsFoundFromAnySyllable) {
  // 김민수 written as one word, as Korean names are.
  EXPECT_THAT(SearchKeysForName(Utf8({0xAE40, 0xBBFC, 0xC218})),
              ElementsAre(Utf8({0xAE40, 0xBBFC, 0xC218}), Utf8({0xBBFC, 0xC218}), Utf8({0xC218})));
  // A long Hangul company name yields a bounded number of keys.
  std::string long_name;
  for (char32_t i = 0; i < 100; ++i) long_name += Utf8({static_cast<char32_t>(0xAC00 + i)});
  EXPECT_LE(SearchKeysForName(long_name).size(), 32u);
}

TEST(SearchKeysForNameTest, CompanyNameIsFoundByEveryWordSuffix) {
  EXPECT_THAT(SearchKeysForName("Acme Korea Ltd"),
              ElementsAre("acme korea ltd", "korea ltd", "ltd"));
}

TEST(SearchKeysForNameTest, NormalizesBeforeSplitting) {
  EXPECT_THAT(SearchKeysForName(kKimMinsuNfd),
              ElementsAre(kKimMinsuNfc, kMinsuNfc, Utf8({0xC218})));
  EXPECT_THAT(SearchKeysForName("  ACME \t  Korea "), ElementsAre("acme korea", "korea"));
}

TEST(SearchKeysForNameTest, SingleWordHasOneKey) {
  EXPECT_THAT(SearchKeysForName("Samsung"), ElementsAre("samsung"));
}

TEST(SearchKeysForNameTest, RepeatedWordsDoNotProduceDuplicateKeys) {
  EXPECT_THAT(SearchKeysForName("Kim Kim"), ElementsAre("kim kim", "kim"));
}

TEST(SearchKeysForNameTest, BlankNameHasNoKeys) {
  EXPECT_THAT(SearchKeysForName(""), IsEmpty());
  EXPECT_THAT(SearchKeysForName(" \t "), IsEmpty());
}

}  // namespace
}  // namespace rapport::validation
