// File: sdk/include/rapport/sdk/text.h
//
// The core's limits on text (docs/api.md, "Values"), for a plugin's own
// objects, so a module's titles and notes are bounded like the core's names
// and bodies instead of by limits each module makes up (SDK 1.2).
// Header-only, standard C++17, no host calls.
//
//   if (rapport::sdk::CodePoints(title) > rapport::sdk::kMaxNameChars) {
//     return Status::Invalid("task.title: at most 200 characters");
//   }
//
// core/records/record_validator.cc uses these same constants (the one
// definition of them).
#ifndef RAPPORT_SDK_TEXT_H_
#define RAPPORT_SDK_TEXT_H_

#include <cstddef>
#include <string_view>

namespace rapport::sdk {

// Display names, opportunity names, titles: characters (code points).
inline constexpr size_t kMaxNameChars = 200;
// Tags and other short labels: characters.
inline constexpr size_t kMaxTagChars = 64;
// A subject line (an interaction's): characters.
inline constexpr size_t kMaxSubjectChars = 500;
// Free text bodies and notes: bytes of UTF-8 (64 KiB).
inline constexpr size_t kMaxBodyBytes = 64 * 1024;

// Characters (UTF-8 code points) in `text`: bytes that are not continuation
// bytes. Counts, does not validate.
inline size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_TEXT_H_
