#include "core/common/status_util.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/strings.h"
#include "google/rpc/error_details.pb.h"

namespace rapport {

absl::Status InvalidField(std::string_view field, std::string_view description) {
  return InvalidFields({{std::string(field), std::string(description)}});
}

absl::Status InvalidFields(const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest bad_request;
  std::vector<std::string> parts;
  for (const auto& v : violations) {
    auto* fv = bad_request.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
    parts.push_back(v.field.empty() ? v.description : absl::StrCat(v.field, ": ", v.description));
  }
  absl::Status status = absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(bad_request.SerializeAsString()));
  return status;
}

std::vector<FieldViolation> FieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload) return out;
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) return out;
  for (const auto& fv : bad_request.field_violations())
    out.push_back({fv.field(), fv.description()});
  return out;
}

absl::Status PrefixFields(const absl::Status& status, std::string_view prefix) {
  if (status.ok()) return status;
  auto violations = FieldViolations(status);
  if (violations.empty() || status.code() != absl::StatusCode::kInvalidArgument) {
    return absl::Status(status.code(), absl::StrCat(AsAbsl(prefix), status.message()));
  }
  for (auto& v : violations) v.field = absl::StrCat(AsAbsl(prefix), v.field);
  return InvalidFields(violations);
}

}  // namespace rapport
