// File: core/plugin_host/call_records.cc
//
// Core record queries a plugin makes as its caller (plugin_abi.h:
// list_records, search_customers, count_records, can_read). Each goes
// through the record store with the call's RequestContext, so the planner,
// the access scope and the refusal of unindexed scans are the public API's
// own, and so are the error messages.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/validation/email.h"
#include "core/validation/phone.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace rapport::plugin_host::internal {
namespace {

using CallState = PluginHost::CallState;
using records::ResourceType;

// Counting stops here: a count that would read more matches is refused
// rather than left to run for minutes.
constexpr int64_t kMaxCount = 10'000'000;

CallState* C(rapport_call* call) { return reinterpret_cast<CallState*>(call); }

int Fail(rapport_buffer* error, const absl::Status& status) {
  const std::string message(status.message());
  if (error && error->set) error->set(error->user, message.data(), message.size());
  return static_cast<int>(status.code());
}

bool ValidResource(int resource) {
  return resource >= RAPPORT_RESOURCE_CUSTOMER && resource <= RAPPORT_RESOURCE_OPPORTUNITY;
}

// The wire form every List*Response and SearchCustomersResponse shares:
// field 1, the records; field 2, next_page_token.
std::string EncodePage(const records::ListResult& page) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    for (const auto& record : page.records) {
      const std::string bytes = record->SerializeAsString();
      coded.WriteTag((1 << 3) | 2);
      coded.WriteVarint32(static_cast<uint32_t>(bytes.size()));
      coded.WriteString(bytes);
    }
    if (!page.next_page_token.empty()) {
      coded.WriteTag((2 << 3) | 2);
      coded.WriteVarint32(static_cast<uint32_t>(page.next_page_token.size()));
      coded.WriteString(page.next_page_token);
    }
  }
  return out;
}

int Answer(const absl::StatusOr<records::ListResult>& page, rapport_buffer* response,
           rapport_buffer* error) {
  if (!page.ok()) return Fail(error, page.status());
  const std::string bytes = EncodePage(*page);
  if (response && response->set) response->set(response->user, bytes.data(), bytes.size());
  return RAPPORT_OK;
}

}  // namespace

int RecordsApi::List(rapport_call* call, rapport_resource resource_arg, const char* filter,
                     const char* order_by, int32_t page_size, const char* page_token,
                     rapport_buffer* response, rapport_buffer* error) {
  auto* c = C(call);
  const int resource = AbiEnum(resource_arg);
  if (!ValidResource(resource)) {
    return Fail(error, absl::InvalidArgumentError(absl::StrCat("resource: unknown resource ",
                                                               static_cast<int>(resource))));
  }
  records::ListRequest request;
  request.filter = filter ? filter : "";
  request.order_by = order_by ? order_by : "";
  request.page_size = page_size;
  request.page_token = page_token ? page_token : "";
  return Answer(c->host->records_->List(*c->ctx, static_cast<ResourceType>(resource), request),
                response, error);
}

int RecordsApi::Search(rapport_call* call, const char* query, int32_t page_size,
                       const char* page_token, rapport_buffer* response, rapport_buffer* error) {
  auto* c = C(call);
  return Answer(c->host->records_->SearchCustomers(*c->ctx, query ? query : "", page_size,
                                                   page_token ? page_token : ""),
                response, error);
}

int RecordsApi::Count(rapport_call* call, rapport_resource resource_arg, const char* filter,
                      int64_t* count, rapport_buffer* error) {
  auto* c = C(call);
  const int resource = AbiEnum(resource_arg);
  if (!ValidResource(resource)) {
    return Fail(error, absl::InvalidArgumentError(absl::StrCat("resource: unknown resource ",
                                                               static_cast<int>(resource))));
  }
  if (count == nullptr) return Fail(error, absl::InvalidArgumentError("count: no output"));
  records::ListRequest request;
  request.filter = filter ? filter : "";
  request.page_size = 1000;
  int64_t n = 0;
  while (true) {
    auto page = c->host->records_->List(*c->ctx, static_cast<ResourceType>(resource), request);
    if (!page.ok()) return Fail(error, page.status());
    n += static_cast<int64_t>(page->records.size());
    if (n > kMaxCount) {
      return Fail(error, absl::OutOfRangeError(absl::StrCat(
                             "more than ", kMaxCount,
                             " records match; count_records stops there (narrow the filter)")));
    }
    if (page->next_page_token.empty()) break;
    request.page_token = page->next_page_token;
  }
  *count = n;
  return RAPPORT_OK;
}

int RecordsApi::CanRead(rapport_call* call, rapport_resource resource_arg, const char* id) {
  auto* c = C(call);
  const int resource = AbiEnum(resource_arg);
  if (!ValidResource(resource) || id == nullptr) return -RAPPORT_INVALID_ARGUMENT;
  auto record = c->host->records_->Get(*c->ctx, static_cast<ResourceType>(resource), id);
  if (record.ok()) return 1;
  if (absl::IsNotFound(record.status()) || absl::IsPermissionDenied(record.status())) return 0;
  return -static_cast<int>(record.status().code());
}

int RecordsApi::NormalizeContact(rapport_call* call, const char* kind, rapport_bytes raw,
                                 rapport_buffer* out, rapport_buffer* error) {
  auto* c = C(call);
  const std::string what = kind ? kind : "";
  const std::string text = AsString(raw);
  absl::StatusOr<std::string> normalized;
  if (what == "phone") {
    normalized =
        validation::NormalizePhone(text, c->host->records_->validation_options().default_region);
  } else if (what == "email") {
    normalized = validation::NormalizeEmail(text);
  } else {
    normalized =
        absl::InvalidArgumentError(absl::StrCat("kind: '", what, "' is not phone or email"));
  }
  if (!normalized.ok()) return Fail(error, normalized.status());
  if (out && out->set) out->set(out->user, normalized->data(), normalized->size());
  return RAPPORT_OK;
}

}  // namespace rapport::plugin_host::internal
