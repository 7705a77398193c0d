// File: sdk/include/rapport/sdk/fake_host_queries.h
//
// The fake host's core record queries as the caller: list, search, count,
// can_read and get_record over PutRecord's records (rapportd:
// core/plugin_host/call_records.cc).
// Part of FakeHost (fake_host.h), which includes it after the class; not a
// header to include on its own.
#ifndef RAPPORT_SDK_FAKE_HOST_QUERIES_H_
#define RAPPORT_SDK_FAKE_HOST_QUERIES_H_

namespace rapport::sdk {

inline const std::vector<std::string>* FakeHost::ScopeOf(const Ctx* c) {
  const FakeHost* host = c->host;
  return c->reads_all || !host->scope_owners_ ? nullptr : &*host->scope_owners_;
}

inline bool FakeHost::InScope(const Ctx* c, rapport_resource resource, const Decoded& record) {
  const std::vector<std::string>* owners = ScopeOf(c);
  if (owners == nullptr) return true;
  const std::string owner = FieldOf(record, OwnerField(resource));
  return std::find(owners->begin(), owners->end(), owner) != owners->end();
}

inline bool FakeHost::Visible(const Ctx* c, rapport_resource resource, const std::string& bytes) {
  if (ScopeOf(c) == nullptr) return true;
  std::optional<Decoded> record = Decode(bytes);
  return record && InScope(c, resource, *record);
}

inline int FakeHost::InvalidField(rapport_buffer* error, const std::string& field,
                                  const std::string& description) {
  Set(error, field + ": " + description);
  return RAPPORT_INVALID_ARGUMENT;
}

template <typename Match, typename Fn>
inline int FakeHost::EachMatch(const Ctx* c, rapport_resource resource,
                               const std::optional<std::string>& after, Match match,
                               rapport_buffer* error, Fn fn) const {
  auto it = after ? records_.upper_bound({resource, *after}) : records_.lower_bound({resource, ""});
  for (; it != records_.end() && it->first.first == resource; ++it) {
    std::optional<Decoded> record = Decode(it->second);
    if (!record) {
      Set(error, "undecodable " + ResourceName(resource) + " '" + it->first.second +
                     "' (PutRecord was given bytes that are not a serialized message)");
      return 15;  // DATA_LOSS
    }
    if (!InScope(c, resource, *record) || !match(*record)) continue;
    if (!fn(it->first.second, it->second)) break;
  }
  return RAPPORT_OK;
}

template <typename Match>
inline int FakeHost::Page(const Ctx* c, rapport_resource resource, int32_t page_size,
                          const char* page_token, const std::string& query, Match match,
                          rapport_buffer* response, rapport_buffer* error) const {
  if (page_size < 0) return InvalidField(error, "page_size", "must not be negative");
  const size_t size = page_size == 0 ? 50 : static_cast<size_t>(std::min(page_size, 1000));
  const std::string fingerprint = Fingerprint(query);
  std::optional<std::string> after;
  std::string why;
  if (!Resume(page_token ? page_token : "", fingerprint, &after, &why)) {
    return InvalidField(error, "page_token", why);
  }
  std::string out, last_id, next_page_token;
  size_t emitted = 0;
  int rc = EachMatch(c, resource, after, match, error,
                     [&](const std::string& id, const std::string& bytes) {
                       if (emitted == size) {
                         next_page_token = "fake:" + fingerprint + ":" + Hex(last_id);
                         return false;
                       }
                       AppendBytesField(&out, 1, bytes);
                       last_id = id;
                       ++emitted;
                       return true;
                     });
  if (rc != RAPPORT_OK) return rc;
  if (!next_page_token.empty()) AppendBytesField(&out, 2, next_page_token);
  Set(response, out);
  return RAPPORT_OK;
}

inline int FakeHost::ListedQuery(FakeHost* host, rapport_resource resource, const char* filter,
                                 Equalities* equalities, std::string* query,
                                 rapport_buffer* error) {
  if (!ValidResource(resource)) {
    return InvalidField(error, "resource",
                        "unknown resource " + std::to_string(static_cast<int>(resource)));
  }
  std::string canonical, why;
  if (!ParseFilter(resource, filter ? filter : "", equalities, &canonical, &why)) {
    return InvalidField(error, "filter", why);
  }
  *query = "list\n" + host->tenant_ + "\n" + std::to_string(static_cast<int>(resource)) + "\n" +
           canonical;
  return RAPPORT_OK;
}

inline int FakeHost::ListRecords(rapport_call* call, rapport_resource resource, const char* filter,
                                 const char* order_by, int32_t page_size, const char* page_token,
                                 rapport_buffer* response, rapport_buffer* error) {
  FakeHost* host = C(call)->host;
  Equalities equalities;
  std::string query;
  int rc = ListedQuery(host, resource, filter, &equalities, &query, error);
  if (rc != RAPPORT_OK) return rc;
  const std::string order = Trimmed(order_by ? order_by : "");
  if (!order.empty()) {
    return InvalidField(error, "order_by",
                        "the fake host does not support '" + order +
                            "': it lists in id order only (order_by \"\")");
  }
  return host->Page(
      C(call), resource, page_size, page_token, query,
      [&](const Decoded& record) { return Matches(equalities, record); }, response, error);
}

inline int FakeHost::SearchCustomers(rapport_call* call, const char* raw_query, int32_t page_size,
                                     const char* page_token, rapport_buffer* response,
                                     rapport_buffer* error) {
  FakeHost* host = C(call)->host;
  const std::string query = Trimmed(raw_query ? raw_query : "");
  if (query.empty()) {
    return InvalidField(error, "query", "is required: a name, email or phone prefix");
  }
  if (query.size() > 200) {
    return InvalidField(error, "query", "must be at most 200 bytes of UTF-8");
  }
  bool digit = false, phone_like = true;
  for (char c : query) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return InvalidField(error, "query", "must not contain control characters");
    }
    digit = digit || (c >= '0' && c <= '9');
    phone_like = phone_like && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ' ||
                                c == '(' || c == ')' || c == '.');
  }
  if (query.find('@') != std::string::npos || (digit && phone_like)) {
    return InvalidField(error, "query",
                        "the fake host does not support searching emails or phones ('" + query +
                            "'): it matches a case-sensitive prefix of any word of "
                            "display_name");
  }
  return host->Page(
      C(call), RAPPORT_RESOURCE_CUSTOMER, page_size, page_token,
      "search\n" + host->tenant_ + "\n" + query,
      [&](const Decoded& record) { return NameMatches(query, record); }, response, error);
}

inline int FakeHost::CountRecords(rapport_call* call, rapport_resource resource, const char* filter,
                                  int64_t* count, rapport_buffer* error) {
  FakeHost* host = C(call)->host;
  Equalities equalities;
  std::string query;
  int rc = ListedQuery(host, resource, filter, &equalities, &query, error);
  if (rc != RAPPORT_OK) return rc;
  if (count == nullptr) return InvalidField(error, "count", "no output");
  int64_t n = 0;
  rc = host->EachMatch(
      C(call), resource, std::nullopt,
      [&](const Decoded& record) { return Matches(equalities, record); }, error,
      [&](const std::string&, const std::string&) {
        ++n;
        return true;
      });
  if (rc != RAPPORT_OK) return rc;
  *count = n;
  return RAPPORT_OK;
}

inline int FakeHost::CanRead(rapport_call* call, rapport_resource resource, const char* id) {
  if (!ValidResource(resource) || id == nullptr || id[0] == '\0') {
    return -RAPPORT_INVALID_ARGUMENT;
  }
  const FakeHost* host = C(call)->host;
  auto it = host->records_.find({resource, id});
  return it != host->records_.end() && Visible(C(call), resource, it->second) ? 1 : 0;
}

inline int FakeHost::GetRecord(rapport_call* call, rapport_resource resource, const char* id,
                               rapport_buffer* record) {
  const FakeHost* host = C(call)->host;
  auto it = host->records_.find({resource, id ? id : ""});
  if (it == host->records_.end() || !Visible(C(call), resource, it->second)) {
    return RAPPORT_NOT_FOUND;
  }
  Set(record, it->second);
  return RAPPORT_OK;
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_FAKE_HOST_QUERIES_H_
