// File: sdk/include/rapport/sdk/method_names.h
//
// The rule for the names of plugin RPC methods, shared by rapportd and the
// fake host so that both refuse the same names with the same reason.
#ifndef RAPPORT_SDK_METHOD_NAMES_H_
#define RAPPORT_SDK_METHOD_NAMES_H_

#include <string>

namespace rapport::sdk {

// "" when `method` is a name a plugin may serve:
// "/rapport.<module>[.<more>].<Service>/<Method>", never in the core's
// package "rapport.v1", letters, digits and '_' between the dots. Otherwise
// what is wrong with it, in words that fit after "method 'NAME': ".
inline std::string MethodNameProblem(const std::string& method) {
  if (method.rfind("/rapport.", 0) != 0) return "must start with \"/rapport.\"";
  if (method.rfind("/rapport.v1.", 0) == 0) return "package rapport.v1 is the core's";
  const auto slash = method.find('/', 1);
  if (slash == std::string::npos || method.find('/', slash + 1) != std::string::npos) {
    return "must be \"/package.Service/Method\" (exactly two '/')";
  }
  const std::string service = method.substr(1, slash - 1);
  const std::string name = method.substr(slash + 1);
  if (name.empty()) return "has no method name after the service";
  auto word_chars = [](const std::string& s, bool dots) {
    for (char ch : s) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '_' || (dots && ch == '.');
      if (!ok) return false;
    }
    return true;
  };
  if (!word_chars(name, false)) return "the method name may hold only letters, digits and '_'";
  if (!word_chars(service, true) || service.find("..") != std::string::npos ||
      service.back() == '.') {
    return "the service name may hold only letters, digits and '_' between single dots";
  }
  // rapport.<module>.<Service> at least.
  if (service.find('.', std::string("rapport.").size()) == std::string::npos) {
    return "needs a package and a service (\"/rapport.<module>.v1.<Service>/<Method>\")";
  }
  return "";
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_METHOD_NAMES_H_
