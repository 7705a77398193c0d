// File: sdk/include/rapport/sdk/fake_host_modules.h
//
// The fake host's module events, module calls, RPC context and streaming
// methods (rapportd: core/plugin_host/call_modules.cc, host_api.cc). Part of
// FakeHost (fake_host.h), which includes it after the class; not a header
// to include on its own.
#ifndef RAPPORT_SDK_FAKE_HOST_MODULES_H_
#define RAPPORT_SDK_FAKE_HOST_MODULES_H_

namespace rapport::sdk {

inline int FakeHost::EmitEvent(rapport_call* call, const char* type, const char* payload_type,
                               rapport_bytes payload) {
  Ctx* c = C(call);
  const std::string event_type = type ? type : "";
  const std::string message_name = payload_type ? payload_type : "";
  if (c->read_only) return Fail(c, RAPPORT_FAILED_PRECONDITION, kEmitInValidateHook);
  if (std::string problem = EmitEventProblem(event_type, message_name, payload.size);
      !problem.empty()) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT, std::move(problem));
  }
  Op op;
  op.key = event_type;
  op.value = Str(payload);
  op.event = true;
  op.payload_type = message_name;
  if (c->pending != nullptr) {
    c->pending->push_back(std::move(op));
  } else {
    c->host->emitted_.push_back({event_type, message_name, *op.value});
  }
  return Ok(c);
}

inline int FakeHost::RegisterEventHook(rapport_host_ctx* h, const char* module, const char* type,
                                       rapport_hook_fn fn, void* user) {
  FakeHost* host = H(h);
  if (!host->initialising_) {
    return Refused(host, RAPPORT_FAILED_PRECONDITION,
                   "event hooks are registered during init only");
  }
  if (fn == nullptr) return Refused(host, RAPPORT_INVALID_ARGUMENT, "event hook: no function");
  const std::string from = module ? module : "";
  const std::string what = type ? type : "";
  // rapportd's module names (manifest.cc): [a-z][a-z0-9_-]{0,62}.
  bool named = !from.empty() && from.size() <= 63 && from[0] >= 'a' && from[0] <= 'z';
  for (char ch : from) {
    named =
        named && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-');
  }
  if (!named) {
    return Refused(host, RAPPORT_INVALID_ARGUMENT,
                   "event hook: module '" + from + "' is not a module name");
  }
  if (std::string problem = EventTypeProblem(what); !what.empty() && !problem.empty()) {
    return Refused(host, RAPPORT_INVALID_ARGUMENT,
                   "event hook: event type '" + what + "': " + problem);
  }
  host->hooks_.push_back({RAPPORT_HOOK_POST_COMMIT, static_cast<rapport_resource>(0),
                          static_cast<rapport_operation>(0), 0, fn, user, from, what});
  host->last_error_.clear();
  return RAPPORT_OK;
}

inline Status FakeHost::DeliverModuleEvent(const std::string& module, const std::string& type,
                                           const std::string& event_bytes) {
  for (const Hook& h : hooks_) {
    if (h.kind != RAPPORT_HOOK_POST_COMMIT || h.resource != 0 || h.event_module != module ||
        (!h.event_type.empty() && h.event_type != type)) {
      continue;
    }
    std::string error;
    rapport_buffer eb = StringOut(&error);
    Pending pending;
    Ctx ctx{this, &pending, false};
    ctx.reads_all = true;
    int rc = h.fn(h.user, reinterpret_cast<rapport_call*>(&ctx), rapport_bytes{nullptr, 0},
                  internal::Bytes(event_bytes), nullptr, &eb);
    if (rc != RAPPORT_OK) return Status{rc, error};
    if (Status s = Commit(pending); !s.ok()) return s;
  }
  return {};
}

inline int FakeHost::CallModule(rapport_call* call, const char* full_method, rapport_bytes request,
                                rapport_buffer* response, rapport_buffer* error) {
  Ctx* c = C(call);
  std::string method = full_method ? full_method : "";
  if (!method.empty() && method[0] != '/') method.insert(0, "/");
  if (std::string problem = MethodNameProblem(method); !problem.empty()) {
    Set(error, "call_module: method '" + method + "': " + problem);
    return RAPPORT_INVALID_ARGUMENT;
  }
  // The plugin's own methods are reachable too, as in rapportd.
  if (auto own = c->host->methods_.find(method); own != c->host->methods_.end()) {
    if (c->module_calls >= 8) {
      Set(error, "call_module: '" + method + "' would be " + std::to_string(c->module_calls + 1) +
                     " module calls deep (the limit is 8); modules calling each other in a loop?");
      return RAPPORT_FAILED_PRECONDITION;
    }
    Ctx inner = *c;
    inner.module_calls = c->module_calls + 1;
    inner.sent = nullptr;
    std::string out, failure;
    rapport_buffer ob = StringOut(&out), fb = StringOut(&failure);
    int rc = own->second.first(own->second.second, reinterpret_cast<rapport_call*>(&inner), request,
                               &ob, &fb);
    const std::string module = c->host->info_ && c->host->info_->name ? c->host->info_->name : "";
    if (rc != RAPPORT_OK) {
      Set(error, "module '" + module + "': " + failure);
      return rc;
    }
    Set(response, out);
    return RAPPORT_OK;
  }
  auto it = c->host->module_methods_.find(method);
  if (it == c->host->module_methods_.end()) {
    Set(error, "call_module: no loaded module serves '" + method +
                   "' (the module is missing, was refused, or has no such method)");
    return RAPPORT_NOT_FOUND;
  }
  std::string out, failure;
  int rc = it->second.second(Str(request), &out, &failure);
  if (rc != RAPPORT_OK) {
    Set(error, "module '" + it->second.first + "': " + failure);
    return rc;
  }
  Set(response, out);
  return RAPPORT_OK;
}

inline int64_t FakeHost::CallDeadlineMicros(rapport_call* call) {
  return C(call)->host->rpc_.deadline_micros;
}

inline int FakeHost::CallCancelled(rapport_call* call) {
  Ctx* c = C(call);
  const Rpc& rpc = c->host->rpc_;
  if (rpc.cancelled) return 1;
  if (rpc.deadline_micros != 0 && c->host->now_ >= rpc.deadline_micros) return 1;
  if (c->sent != nullptr && c->send_limit >= 0 &&
      static_cast<int>(c->sent->size()) >= c->send_limit) {
    return 1;
  }
  return 0;
}

inline int FakeHost::CallMetadata(rapport_call* call, const char* key, rapport_buffer* value) {
  std::string wanted = key ? key : "";
  for (char& ch : wanted) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const auto& metadata = C(call)->host->rpc_.metadata;
  auto it = metadata.find(wanted);
  if (it == metadata.end()) return RAPPORT_NOT_FOUND;
  Set(value, it->second);
  return RAPPORT_OK;
}

inline const char* FakeHost::CallRequestId(rapport_call* call) {
  return C(call)->host->rpc_.request_id.c_str();
}

inline int FakeHost::ClaimMethod(FakeHost* host, const char* full_method, bool has_fn) {
  if (!host->initialising_) {
    return Refused(host, RAPPORT_FAILED_PRECONDITION, "methods are registered during init only");
  }
  if (!has_fn || full_method == nullptr) {
    return Refused(host, RAPPORT_INVALID_ARGUMENT, "method: no name or no function");
  }
  const std::string method = full_method;
  const std::string problem = MethodNameProblem(method);
  if (!problem.empty()) {
    return Refused(host, RAPPORT_INVALID_ARGUMENT, "method '" + method + "': " + problem);
  }
  if (host->methods_.count(method) || host->stream_methods_.count(method)) {
    const std::string module = host->info_ && host->info_->name ? host->info_->name : "";
    return Refused(host, RAPPORT_ALREADY_EXISTS,
                   "method '" + method + "' is already served by module '" + module + "'");
  }
  host->last_error_.clear();
  return RAPPORT_OK;
}

inline int FakeHost::RegisterStreamMethod(rapport_host_ctx* h, const char* full_method,
                                          rapport_stream_fn fn, void* user) {
  FakeHost* host = H(h);
  int rc = ClaimMethod(host, full_method, fn != nullptr);
  if (rc == RAPPORT_OK) host->stream_methods_[full_method] = {fn, user};
  return rc;
}

inline int FakeHost::StreamSend(rapport_call* call, rapport_bytes message) {
  Ctx* c = C(call);
  if (c->sent == nullptr) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION, "stream_send: not in a streaming method");
  }
  if (CallCancelled(call)) {
    return Fail(c, RAPPORT_UNAVAILABLE, "stream_send: the caller cancelled or went away");
  }
  c->sent->push_back(Str(message));
  return Ok(c);
}

// normalize_contact, approximated without libphonenumber: a phone is its
// digits (spaces, '-', '(', ')' and '.' dropped), kept after a leading '+'
// (8..15 digits) or, after a leading trunk '0', read as Korean ("+82" and
// 8..10 more digits); an email is trimmed and lower-cased (ASCII) and needs
// one '@' between a local part and a dotted domain. rapportd uses the
// core's validators (libphonenumber), which also check the number against
// its region's numbering plan.
inline int FakeHost::NormalizeContact(rapport_call* call, const char* kind, rapport_bytes raw,
                                      rapport_buffer* out, rapport_buffer* error) {
  (void)call;
  const std::string what = kind ? kind : "";
  const std::string text = Str(raw);
  auto fail = [&](const std::string& message) {
    error->set(error->user, message.data(), message.size());
    return RAPPORT_INVALID_ARGUMENT;
  };
  std::string result;
  if (what == "phone") {
    std::string digits;
    bool plus = false;
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c >= '0' && c <= '9') {
        digits += c;
      } else if (c == '+' && digits.empty() && !plus) {
        plus = true;
      } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
        return fail("'" + text + "' is not a phone number");
      }
    }
    if (plus && digits.size() >= 8 && digits.size() <= 15) {
      result = "+" + digits;
    } else if (!plus && digits.size() >= 9 && digits.size() <= 11 && digits[0] == '0') {
      result = "+82" + digits.substr(1);
    } else {
      return fail("'" + text + "' is not a phone number");
    }
  } else if (what == "email") {
    size_t b = text.find_first_not_of(" \t\r\n");
    size_t e = text.find_last_not_of(" \t\r\n");
    result = b == std::string::npos ? "" : text.substr(b, e - b + 1);
    for (char& c : result) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    const size_t at = result.find('@');
    if (at == std::string::npos || at == 0 || result.find('@', at + 1) != std::string::npos ||
        result.find('.', at) == std::string::npos || result.back() == '.') {
      return fail("'" + text + "' is not an email address");
    }
  } else {
    return fail("kind: '" + what + "' is not phone or email");
  }
  out->set(out->user, result.data(), result.size());
  return RAPPORT_OK;
}

template <typename Request, typename Response>
Status FakeHost::CallStreamMethod(const std::string& method, const Request& request,
                                  std::vector<Response>* responses, int cancel_after) {
  auto it = stream_methods_.find(method);
  if (it == stream_methods_.end()) return Status{12, "no such streaming method"};
  std::string error;
  rapport_buffer eb = StringOut(&error);
  Pending pending;
  std::vector<std::string> sent;
  Ctx ctx{this, &pending, false};
  ctx.sent = &sent;
  ctx.send_limit = cancel_after;
  const std::string req = request.SerializeAsString();
  int rc = it->second.first(it->second.second, reinterpret_cast<rapport_call*>(&ctx),
                            internal::Bytes(req), &eb);
  for (const std::string& bytes : sent) {
    responses->emplace_back();
    responses->back().ParseFromString(bytes);
  }
  if (rc != RAPPORT_OK) return Status{rc, error};
  return Commit(pending);
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_FAKE_HOST_MODULES_H_
