// File: core/common/request_context.h
//
// Who is asking, on whose behalf: what every core operation receives from
// services/.
#ifndef RAPPORT_CORE_COMMON_REQUEST_CONTEXT_H_
#define RAPPORT_CORE_COMMON_REQUEST_CONTEXT_H_

#include <cstdint>
#include <string>

namespace rapport {

struct RequestContext {
  // Internal tenant number (see core/tenant/tenant_registry.h).
  uint32_t tenant = 0;
  std::string tenant_name;
  // Recorded in the change feed as who made the change.
  std::string principal;
  // The integration the write came from (x-rapport-origin); may be empty.
  std::string origin;
};

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_REQUEST_CONTEXT_H_
