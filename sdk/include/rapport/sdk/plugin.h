// File: sdk/include/rapport/sdk/plugin.h
//
// The C++ SDK plugin authors use, header-only, on top of the C ABI in
// plugin_abi.h. Typed hooks and RPC handlers, the keyspace, logging, config,
// metrics, the clock and rollout checks. Exceptions never cross the
// boundary: every entry point catches them and reports INTERNAL naming the
// plugin.
//
//   class Hello : public rapport::sdk::Plugin {
//     rapport::sdk::Status Init() override {
//       OnValidate<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, RAPPORT_OP_CREATE, 100,
//           [](rapport::sdk::Call& call, const auto* before, const auto& after) { ... });
//       return {};
//     }
//   };
//   RAPPORT_PLUGIN(Hello, "hello", "1.0.0")
//
// Message types are any protobuf (full or lite) classes generated from the
// rapport protos; only their bytes cross.
#ifndef RAPPORT_SDK_PLUGIN_H_
#define RAPPORT_SDK_PLUGIN_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "rapport/sdk/call.h"
#include "rapport/sdk/plugin_abi.h"

// Defined by rapport_add_plugin when the plugin has PROTOS: its
// FileDescriptorSet, handed to the host at init for server reflection.
extern "C" __attribute__((weak, visibility("hidden"))) rapport_bytes rapport_plugin_descriptor_set(
    void);

namespace rapport::sdk {

class Plugin {
 public:
  virtual ~Plugin() = default;
  // Register hooks and methods here. A non-OK status refuses the plugin.
  virtual Status Init() { return {}; }
  virtual void Start() {}
  virtual void Drain() {}
  virtual void Stop() {}

 protected:
  // Validate: may reject (its message reaches the caller, naming the plugin).
  template <typename Record>
  void OnValidate(rapport_resource resource, rapport_operation operation, int32_t order,
                  std::function<Status(Call&, const Record* before, const Record* after)> fn) {
    Register<Record>(RAPPORT_HOOK_VALIDATE, resource, operation, order,
                     [fn](Call& c, const Record* b, Record* a) { return fn(c, b, a); });
  }
  // Pre-commit: may change `after` (not on delete) and write to the keyspace.
  template <typename Record>
  void OnPreCommit(rapport_resource resource, rapport_operation operation, int32_t order,
                   std::function<Status(Call&, const Record* before, Record* after)> fn) {
    Register<Record>(RAPPORT_HOOK_PRE_COMMIT, resource, operation, order, std::move(fn));
  }
  // The same, with the resource taken from Record (rapport.v1.Customer,
  // Interaction or Opportunity): OnValidate<v1::Opportunity>(RAPPORT_OP_CREATE, 100, fn).
  // Another type registers nothing and the host refuses the load
  // ("hook: unknown resource 0").
  template <typename Record>
  void OnValidate(rapport_operation operation, int32_t order,
                  std::function<Status(Call&, const Record* before, const Record* after)> fn) {
    OnValidate<Record>(internal::ResourceOf(Record().GetTypeName()), operation, order,
                       std::move(fn));
  }
  template <typename Record>
  void OnPreCommit(rapport_operation operation, int32_t order,
                   std::function<Status(Call&, const Record* before, Record* after)> fn) {
    OnPreCommit<Record>(internal::ResourceOf(Record().GetTypeName()), operation, order,
                        std::move(fn));
  }
  // Module events (ABI 1.2): `fn` runs like a post-commit hook for each
  // event `module` emits (Call::EmitEvent) of type `type` ("" for all).
  // `Event` is rapport.v1.ChangeEvent; its module_event().payload() is the
  // emitter's message. Return an error to be retried (then dead-lettered).
  template <typename Event>
  Status OnModuleEvent(const std::string& module, const std::string& type,
                       std::function<Status(Call&, const Event&)> fn) {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, register_event_hook),
                               sizeof(host->register_event_hook)) ||
        host->register_event_hook == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no module events (ABI 1.2)"};
    }
    auto holder = std::make_unique<std::function<Status(Call&, const Event&)>>(std::move(fn));
    int rc = host->register_event_hook(internal::HostCtx(), module.c_str(), type.c_str(),
                                       &PostCommitEntry<Event>, holder.get());
    if (rc != RAPPORT_OK) {
      return Status{rc, internal::RegistrationError(
                            ("the host refused the event hook for '" + module + "'").c_str())};
    }
    holder.release();  // the host keeps it for the plugin's life
    return {};
  }
  // A server-streaming RPC method (ABI 1.2), declared `returns (stream
  // Response)`: `fn` sends responses with call.Send(response) while it
  // runs; its status ends the stream. Refusals as for Method.
  template <typename Request, typename Response>
  Status StreamMethod(const std::string& full_method,
                      std::function<Status(Call&, const Request&)> fn) {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, register_stream_method),
                               sizeof(host->register_stream_method)) ||
        host->register_stream_method == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no streaming methods (ABI 1.2)"};
    }
    using Fn = std::function<Status(Call&, const Request&)>;
    auto holder = std::make_unique<Fn>(std::move(fn));
    int rc = host->register_stream_method(
        internal::HostCtx(), full_method.c_str(),
        [](void* user, rapport_call* call, rapport_bytes request, rapport_buffer* error) -> int {
          return internal::Guard(error, [&]() -> Status {
            Request req;
            if (!req.ParseFromArray(request.data, static_cast<int>(request.size))) {
              return Status::Invalid("cannot parse the request");
            }
            Call c(call);
            return (*static_cast<Fn*>(user))(c, req);
          });
        },
        holder.get());
    if (rc != RAPPORT_OK) {
      return Status{rc, internal::RegistrationError(
                            ("the host refused stream method '" + full_method + "'").c_str())};
    }
    holder.release();  // the host keeps it for the plugin's life
    return {};
  }
  // Post-commit: `Event` is rapport.v1.ChangeEvent. Return an error to be
  // retried (then dead-lettered).
  template <typename Event>
  void OnPostCommit(rapport_resource resource, rapport_operation operation, int32_t order,
                    std::function<Status(Call&, const Event&)> fn) {
    auto* holder = new std::function<Status(Call&, const Event&)>(std::move(fn));
    internal::Host()->register_hook(internal::HostCtx(), RAPPORT_HOOK_POST_COMMIT, resource,
                                    operation, order, &PostCommitEntry<Event>, holder);
  }
  // A unary RPC method "/rapport.<module>.v1.Service/Method". The host's
  // refusal comes back with its reason (a name outside the rules of
  // method_names.h, or one another module serves); a refused method also
  // refuses the plugin's load, whatever Init returns.
  template <typename Request, typename Response>
  Status Method(const std::string& full_method,
                std::function<Status(Call&, const Request&, Response*)> fn) {
    auto* holder = new std::function<Status(Call&, const Request&, Response*)>(std::move(fn));
    int rc = internal::Host()->register_method(
        internal::HostCtx(), full_method.c_str(),
        [](void* user, rapport_call* call, rapport_bytes request, rapport_buffer* response,
           rapport_buffer* error) -> int {
          return internal::Guard(error, [&]() -> Status {
            Request req;
            if (!req.ParseFromArray(request.data, static_cast<int>(request.size))) {
              return Status::Invalid("cannot parse the request");
            }
            Response resp;
            Call c(call);
            Status s =
                (*static_cast<std::function<Status(Call&, const Request&, Response*)>*>(user))(
                    c, req, &resp);
            if (s.ok()) internal::Set(response, resp.SerializeAsString());
            return s;
          });
        },
        holder);
    if (rc == RAPPORT_OK) return {};
    return Status{
        rc, internal::RegistrationError(("the host refused method '" + full_method + "'").c_str())};
  }
  // The plugin's one durable-timer handler (ABI 1.2): runs for each due
  // timer of Call::ScheduleAt, in a call of the timer's tenant with no user.
  // Return an error to be retried with backoff (then dead-lettered).
  using TimerFn = std::function<Status(Call&, const std::string& key, const std::string& payload)>;
  Status OnTimer(TimerFn fn) {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, register_timer_handler),
                               sizeof(host->register_timer_handler)) ||
        host->register_timer_handler == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no durable timers (ABI 1.2)"};
    }
    auto* holder = new TimerFn(std::move(fn));
    int rc = host->register_timer_handler(
        internal::HostCtx(),
        [](void* user, rapport_call* call, rapport_bytes key, rapport_bytes payload,
           rapport_buffer* error) -> int {
          return internal::Guard(error, [&]() -> Status {
            Call c(call);
            return (*static_cast<TimerFn*>(user))(c, internal::String(key),
                                                  internal::String(payload));
          });
        },
        holder);
    if (rc == RAPPORT_OK) return {};
    return Status{rc, internal::RegistrationError("the host refused the timer handler")};
  }
  // Backfill (ABI 1.2; plugin_abi.h, register_backfill): `fn` receives each
  // existing record of `resource` (Record is its rapport.v1 message) from
  // one snapshot, after which post-commit hooks continue from it.
  template <typename Record>
  Status OnBackfill(rapport_resource resource, std::function<Status(Call&, const Record&)> fn) {
    using Fn = std::function<Status(Call&, const Record&)>;
    return RegisterBackfill(
        resource, new Fn(std::move(fn)),
        [](void* user, rapport_call* call, rapport_resource, rapport_bytes record,
           rapport_buffer* error) -> int {
          return internal::Guard(error, [&]() -> Status {
            Record parsed;
            if (!parsed.ParseFromArray(record.data, static_cast<int>(record.size))) {
              return Status::Internal("cannot parse the backfilled record");
            }
            Call c(call);
            return (*static_cast<Fn*>(user))(c, parsed);
          });
        });
  }
  // Called once before a backfill's records: clear what the module derived
  // from records (a backfill cut short starts again from here).
  Status OnBackfillStart(std::function<Status(Call&)> fn) {
    using Fn = std::function<Status(Call&)>;
    return RegisterBackfill(static_cast<rapport_resource>(0), new Fn(std::move(fn)),
                            [](void* user, rapport_call* call, rapport_resource, rapport_bytes,
                               rapport_buffer* error) -> int {
                              return internal::Guard(error, [&]() -> Status {
                                Call c(call);
                                return (*static_cast<Fn*>(user))(c);
                              });
                            });
  }
  // Hands the host the plugin's service descriptors (serialized
  // google.protobuf.FileDescriptorSet).
  void Descriptors(const std::string& file_descriptor_set) {
    internal::Host()->register_descriptors(internal::HostCtx(),
                                           internal::Bytes(file_descriptor_set));
  }
  void Log(rapport_log_level level, const std::string& message) const {
    internal::Host()->log(internal::HostCtx(), level, message.c_str());
  }
  std::string ConfigJson() const { return internal::Host()->config_json(internal::HostCtx()); }
  int64_t NowMicros() const { return internal::Host()->now_micros(internal::HostCtx()); }
  void Metric(const std::string& name, int64_t delta) const {
    internal::Host()->metric_add(internal::HostCtx(), name.c_str(), delta);
  }

 private:
  // A post-commit hook's entry point: parses the change event and calls the
  // std::function<Status(Call&, const Event&)> at `user`.
  template <typename Event>
  static int PostCommitEntry(void* user, rapport_call* call, rapport_bytes, rapport_bytes after,
                             rapport_buffer*, rapport_buffer* error) {
    return internal::Guard(error, [&]() -> Status {
      Event event;
      if (!event.ParseFromArray(after.data, static_cast<int>(after.size))) {
        return Status::Internal("cannot parse the change event");
      }
      Call c(call);
      return (*static_cast<std::function<Status(Call&, const Event&)>*>(user))(c, event);
    });
  }
  Status RegisterBackfill(rapport_resource resource, void* holder, rapport_backfill_fn fn) {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, register_backfill),
                               sizeof(host->register_backfill)) ||
        host->register_backfill == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no backfill (ABI 1.2)"};
    }
    int rc = host->register_backfill(internal::HostCtx(), resource, fn, holder);
    if (rc == RAPPORT_OK) return {};
    return Status{rc, internal::RegistrationError("the host refused the backfill handler")};
  }
  template <typename Record>
  void Register(rapport_hook_kind kind, rapport_resource resource, rapport_operation operation,
                int32_t order, std::function<Status(Call&, const Record*, Record*)> fn) {
    auto* holder = new std::function<Status(Call&, const Record*, Record*)>(std::move(fn));
    internal::Host()->register_hook(
        internal::HostCtx(), kind, resource, operation, order,
        [](void* user, rapport_call* call, rapport_bytes before, rapport_bytes after,
           rapport_buffer* out, rapport_buffer* error) -> int {
          return internal::Guard(error, [&]() -> Status {
            std::optional<Record> b, a;
            if (before.size > 0 || before.data) {
              b.emplace();
              if (!b->ParseFromArray(before.data, static_cast<int>(before.size)))
                return Status::Internal("bad record");
            }
            if (after.size > 0 || after.data) {
              a.emplace();
              if (!a->ParseFromArray(after.data, static_cast<int>(after.size)))
                return Status::Internal("bad record");
            }
            std::string original = a ? a->SerializeAsString() : std::string();
            Call c(call);
            Status s = (*static_cast<std::function<Status(Call&, const Record*, Record*)>*>(user))(
                c, b ? &*b : nullptr, a ? &*a : nullptr);
            if (s.ok() && out && a) {
              std::string changed = a->SerializeAsString();
              if (changed != original) internal::Set(out, changed);
            }
            return s;
          });
        },
        holder);
  }
};

}  // namespace rapport::sdk

// Defines the entry symbol for `PluginClass`. NAME and VERSION must match
// the manifest.
#define RAPPORT_PLUGIN(PluginClass, NAME, VERSION)                                             \
  namespace {                                                                                  \
  std::unique_ptr<::rapport::sdk::Plugin>& RapportPluginInstance() {                           \
    static std::unique_ptr<::rapport::sdk::Plugin> instance;                                   \
    return instance;                                                                           \
  }                                                                                            \
  int RapportPluginInit(const rapport_host_api* host, rapport_host_ctx* ctx,                   \
                        rapport_plugin_state** state, rapport_buffer* error) {                 \
    ::rapport::sdk::internal::Host() = host;                                                   \
    ::rapport::sdk::internal::HostCtx() = ctx;                                                 \
    return ::rapport::sdk::internal::Guard(error, [&]() -> ::rapport::sdk::Status {            \
      RapportPluginInstance() = std::make_unique<PluginClass>();                               \
      *state = reinterpret_cast<rapport_plugin_state*>(RapportPluginInstance().get());         \
      ::rapport::sdk::Status status = RapportPluginInstance()->Init();                         \
      if (status.ok() && rapport_plugin_descriptor_set != nullptr &&                           \
          host->register_descriptors(ctx, rapport_plugin_descriptor_set()) != RAPPORT_OK) {    \
        status = ::rapport::sdk::Status::Invalid("the host refused the plugin's descriptors"); \
      }                                                                                        \
      return status;                                                                           \
    });                                                                                        \
  }                                                                                            \
  template <typename F>                                                                        \
  void RapportPluginQuietly(const char* phase, F f) {                                          \
    try {                                                                                      \
      f();                                                                                     \
    } catch (const std::exception& e) {                                                        \
      ::rapport::sdk::internal::LogLifecycleThrow(phase, e.what());                            \
    } catch (...) {                                                                            \
      ::rapport::sdk::internal::LogLifecycleThrow(phase, nullptr);                             \
    }                                                                                          \
  }                                                                                            \
  void RapportPluginStart(rapport_plugin_state*) {                                             \
    RapportPluginQuietly("start", [] { RapportPluginInstance()->Start(); });                   \
  }                                                                                            \
  void RapportPluginDrain(rapport_plugin_state*) {                                             \
    RapportPluginQuietly("drain", [] { RapportPluginInstance()->Drain(); });                   \
  }                                                                                            \
  void RapportPluginStop(rapport_plugin_state*) {                                              \
    RapportPluginQuietly("stop", [] { RapportPluginInstance()->Stop(); });                     \
  }                                                                                            \
  }                                                                                            \
  extern "C" __attribute__((visibility("default"))) const rapport_plugin_info*                 \
  rapport_plugin_entry(void) {                                                                 \
    static const rapport_plugin_info info = {sizeof(rapport_plugin_info),                      \
                                             RAPPORT_PLUGIN_ABI_MAJOR,                         \
                                             RAPPORT_PLUGIN_ABI_MINOR,                         \
                                             NAME,                                             \
                                             VERSION,                                          \
                                             "g++ " __VERSION__,                               \
                                             RapportPluginInit,                                \
                                             RapportPluginStart,                               \
                                             RapportPluginDrain,                               \
                                             RapportPluginStop};                               \
    return &info;                                                                              \
  }
#endif  // RAPPORT_SDK_PLUGIN_H_
