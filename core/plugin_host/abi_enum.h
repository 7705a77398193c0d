// File: core/plugin_host/abi_enum.h
//
// The number a plugin passed where the ABI has an enum (rapport_resource,
// rapport_operation, rapport_hook_kind, rapport_log_level). A C plugin may
// pass any int there, and in C++ reading the parameter as the enum is
// undefined behaviour when the number is outside the enum's range, so code
// receiving one from a plugin (the host functions, the runner's proxy of
// them) reads its bytes — through a reference, never a copy, which would
// already be the read — and checks the number before casting it back.
#ifndef RAPPORT_CORE_PLUGIN_HOST_ABI_ENUM_H_
#define RAPPORT_CORE_PLUGIN_HOST_ABI_ENUM_H_

#include <cstring>

namespace rapport::plugin_host::internal {

template <typename Enum>
int AbiEnum(const Enum& e) {
  static_assert(sizeof(Enum) == sizeof(int));
  int value;
  std::memcpy(&value, &e, sizeof value);
  return value;
}

}  // namespace rapport::plugin_host::internal

#endif  // RAPPORT_CORE_PLUGIN_HOST_ABI_ENUM_H_
