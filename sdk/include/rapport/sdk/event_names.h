// File: sdk/include/rapport/sdk/event_names.h
//
// The rules for module events (plugin_abi.h, emit_event), shared by rapportd
// and the fake host so that both refuse the same events with the same
// reasons.
#ifndef RAPPORT_SDK_EVENT_NAMES_H_
#define RAPPORT_SDK_EVENT_NAMES_H_

#include <cstddef>
#include <string>

namespace rapport::sdk {

inline constexpr size_t kMaxEventTypeBytes = 64;
inline constexpr size_t kMaxEventPayloadBytes = 64 << 10;

// "" when `type` is an event type: [a-z0-9][a-z0-9_.]*, 1..64 characters.
// Otherwise what is wrong with it, in words that fit after
// "event type 'TYPE': ".
inline std::string EventTypeProblem(const std::string& type) {
  if (type.empty() || type.size() > kMaxEventTypeBytes) {
    return "must be 1 to " + std::to_string(kMaxEventTypeBytes) + " characters";
  }
  for (size_t i = 0; i < type.size(); ++i) {
    const char ch = type[i];
    const bool ok =
        (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (i > 0 && (ch == '_' || ch == '.'));
    if (!ok) return "must match [a-z0-9][a-z0-9_.]*";
  }
  return "";
}

// "" when `name` is a protobuf message's full name ("rapport.voc.v1.Case"):
// parts of letters, digits and '_', not starting with a digit, joined by
// '.'. Otherwise what is wrong with it.
inline std::string MessageNameProblem(const std::string& name) {
  if (name.empty() || name.size() > 256) return "must be 1 to 256 characters";
  bool part_start = true;
  for (char ch : name) {
    if (ch == '.') {
      if (part_start) return "has an empty part";
      part_start = true;
      continue;
    }
    const bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
    const bool digit = ch >= '0' && ch <= '9';
    if (!letter && !(digit && !part_start)) {
      return "is not a protobuf message name (letters, digits and _, parts joined by .)";
    }
    part_start = false;
  }
  if (part_start) return "has an empty part";
  return "";
}

// What emit_event checks of its arguments: "" or the reason, which names
// the argument.
inline std::string EmitEventProblem(const std::string& type, const std::string& payload_type,
                                    size_t payload_size) {
  if (std::string problem = EventTypeProblem(type); !problem.empty()) {
    return "event type '" + type + "': " + problem;
  }
  if (payload_size > kMaxEventPayloadBytes) {
    return "event payload: must be at most " + std::to_string(kMaxEventPayloadBytes) +
           " bytes, got " + std::to_string(payload_size);
  }
  if (payload_size > 0 || !payload_type.empty()) {
    if (std::string problem = MessageNameProblem(payload_type); !problem.empty()) {
      return "event payload type '" + payload_type + "': " + problem +
             " (the full name of the payload's message, e.g. rapport.voc.v1.CaseOpened)";
    }
  }
  return "";
}

// The refusal of emit_event in a validate hook.
inline constexpr char kEmitInValidateHook[] =
    "validate hooks cannot emit events (emit from a pre-commit hook, a post-commit hook, a "
    "timer or a method)";

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_EVENT_NAMES_H_
