// File: core/common/check.h
//
// RAPPORT_CHECK(cond, message): for what can never happen (a broken
// invariant of our own code, never bad input). Prints and aborts loudly.
// (Abseil 20220623 from Debian predates absl/log's CHECK.)
#ifndef RAPPORT_CORE_COMMON_CHECK_H_
#define RAPPORT_CORE_COMMON_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#define RAPPORT_CHECK(cond, message)                                                   \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: check failed: %s: %s\n", __FILE__, __LINE__, #cond, \
                   std::string(message).c_str());                                      \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

#endif  // RAPPORT_CORE_COMMON_CHECK_H_
