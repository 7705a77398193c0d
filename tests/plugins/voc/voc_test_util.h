// Helpers the VOC unit tests share: Seoul local times and the default
// calendar.
#ifndef RAPPORT_TESTS_PLUGINS_VOC_VOC_TEST_UTIL_H_
#define RAPPORT_TESTS_PLUGINS_VOC_VOC_TEST_UTIL_H_

#include <string>

#include "calendar.h"
#include "gtest/gtest.h"
#include "rapport/sdk/time.h"

namespace rapport::voc {

// Seoul local time -> UTC micros.
inline int64_t Seoul(int year, unsigned month, unsigned day, int hour, int minute) {
  return rapport::sdk::LocalDayStartMicros(rapport::sdk::DaysFromCivil(year, month, day)) +
         hour * rapport::sdk::kMicrosPerHour + minute * rapport::sdk::kMicrosPerMinute;
}

// An instant as Seoul local RFC 3339.
inline std::string Local(int64_t micros) {
  return rapport::sdk::FormatRfc3339(micros, rapport::sdk::kSeoulUtcOffsetMinutes);
}
inline std::string Local(const google::protobuf::Timestamp& t) {
  return Local(rapport::sdk::ToMicros(t));
}

// Mon-Fri 09:00-18:00 in Seoul with the Korean public holidays.
inline Calendar Default() {
  v1::BusinessCalendar proto = DefaultCalendar();
  EXPECT_TRUE(NormalizeCalendar(&proto).ok());
  return BuildCalendar(proto);
}

}  // namespace rapport::voc

#endif  // RAPPORT_TESTS_PLUGINS_VOC_VOC_TEST_UTIL_H_
