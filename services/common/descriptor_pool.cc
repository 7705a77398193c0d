#include "services/common/descriptor_pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/common/logfmt.h"
#include "google/protobuf/descriptor.pb.h"
#include "spdlog/spdlog.h"

namespace rapport::services {

ServedDescriptors LoadServedDescriptors(const std::vector<std::string>& descriptor_sets) {
  ServedDescriptors served;
  served.pool = std::make_unique<google::protobuf::DescriptorPool>(
      google::protobuf::DescriptorPool::generated_pool());
  google::protobuf::DescriptorPool& pool = *served.pool;
  for (const std::string& bytes : descriptor_sets) {
    google::protobuf::FileDescriptorSet set;
    if (!set.ParseFromString(bytes)) {
      spdlog::warn("msg=\"unreadable plugin descriptor set skipped\"");
      continue;
    }
    for (const google::protobuf::FileDescriptorProto& file : set.file()) {
      // A file the host already has (its own, or one seen before) is used as is.
      if (pool.FindFileByName(file.name()) == nullptr && pool.BuildFile(file) == nullptr) {
        spdlog::warn("msg=\"plugin proto does not build; skipped\" file={}", LogValue(file.name()));
        continue;
      }
      for (int i = 0; i < file.service_size(); ++i) {
        std::string name = file.package().empty()
                               ? file.service(i).name()
                               : absl::StrCat(file.package(), ".", file.service(i).name());
        if (std::find(served.plugin_services.begin(), served.plugin_services.end(), name) ==
            served.plugin_services.end()) {
          served.plugin_services.push_back(std::move(name));
        }
      }
    }
  }
  return served;
}

}  // namespace rapport::services
