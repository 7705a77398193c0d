// File: tools/rapportctl/human_text.h
//
// What rapportctl prints for people (-o table, the default): a message as
// "field: value" lines, nested messages indented, with
//   - times in the display time zone (--time-zone, Asia/Seoul by default)
//     as ISO 8601 with the offset: 2026-12-07T10:42:05+09:00,
//   - durations as 1h30m, calendar dates as 2026-12-31,
//   - money with the currency's digits and grouping: KRW 1,500,000,
//     USD 1,234.50,
//   - enum values without their type's prefix: lead, call, inbound,
//   - strings as they are (Hangul as text), multi-line ones indented,
//   - empty fields left out.
// Never protobuf text format ("create_time { seconds: ... }"). Scripts use
// -o json, which is unchanged.
#ifndef RAPPORT_TOOLS_RAPPORTCTL_HUMAN_TEXT_H_
#define RAPPORT_TOOLS_RAPPORTCTL_HUMAN_TEXT_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "rapport/v1/common.pb.h"

namespace rapport::ctl {

// Sets the display time zone (an IANA name): 0, or 2 after saying the zone
// is unknown. Asia/Seoul works without the system's zone files (Korea has
// kept +09:00 all year since 1988).
int SetDisplayZone(const std::string& name);

std::string HumanText(const google::protobuf::Message& message);
std::string HumanTime(const google::protobuf::Timestamp& time);
std::string HumanTime(absl::Time time);
std::string HumanMoney(const v1::Money& money);
// "LIFECYCLE_STAGE_LEAD" of rapport.v1.LifecycleStage as "lead"; a value
// this rapportctl does not know (a newer server's) as its number.
std::string HumanEnum(const google::protobuf::EnumValueDescriptor* value);
std::string HumanEnum(const google::protobuf::EnumDescriptor* type, int number);

}  // namespace rapport::ctl

#endif  // RAPPORT_TOOLS_RAPPORTCTL_HUMAN_TEXT_H_
