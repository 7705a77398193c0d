// The plugin ABI from the plugin's side, in process: what a buggy or hostile
// plugin can pass the real host functions (core/plugin_host/host_api.cc and
// call_*.cc) over a real RocksDB store. The probe plugin
// (tests/fuzz/host_probe/, loaded with dlopen by a real PluginHost) hands
// every call of its method and of its validate and pre-commit hooks back to
// rapport_fuzz_host_replay below, which plays the fuzz input as host calls:
// garbage keys, values, record bytes, update masks, filters, page tokens,
// event types and payloads, out-of-range enums, null strings, null output
// buffers and null out-pointers, a scan callback that calls the host again,
// a method calling itself through call_module, a write_record whose hooks
// play a script of their own.
//
// Input: byte 0 says whether the method fails at the end; then operations,
// each a selector byte and its arguments (Reader below). Checks, beyond "no
// crash, no sanitizer report":
//   - every host function answers a status code of the ABI (yes/no
//     functions 1 or 0); a keyspace function failing other than NOT_FOUND
//     says why in call_last_error, and one with an error buffer fills it;
//   - output buffers get bytes only through their own set function, never
//     a null pointer with a size;
//   - a method that fails keeps none of its keyspace writes (a marker put
//     just before the failure is absent afterwards);
//   - the store stays consistent (CheckConsistency every 64 inputs and at
//     the first), and the host keeps serving: a put and get round trip
//     after every input.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/common/request_context.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "rapport/sdk/plugin_abi.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "spdlog/spdlog.h"

#define REQUIRE(condition)                                                              \
  do {                                                                                  \
    if (!(condition)) {                                                                 \
      std::fprintf(stderr, "host_fuzzer: %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace {

using rapport::RequestContext;
namespace plugin_host = rapport::plugin_host;
namespace records = rapport::records;
namespace store = rapport::store;

constexpr char kMethod[] = "/rapport.fuzz.v1.HostProbe/Replay";
constexpr uint32_t kTenant = 1;
constexpr char kMarker[] = "fuzz/marker";  // put just before a method fails
// In the first byte, only the check script's: it then verifies its own put.
constexpr uint8_t kCheckFlag = 0x80;

volatile uint64_t g_sink = 0;

// The real host: one temp directory, store and PluginHost for the whole
// run, made at the first input.
struct Host {
  std::string dir;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<records::RecordStore> records;
  std::unique_ptr<plugin_host::PluginHost> host;
};
Host* g_host = nullptr;
std::string g_dir_to_remove;

RequestContext Caller() {
  RequestContext ctx;
  ctx.tenant = kTenant;
  ctx.tenant_name = "acme";
  ctx.principal = "acme/u1";
  ctx.user_id = "u1";
  ctx.roles = {"admin"};
  return ctx;
}

Host* MakeHost() {
  namespace fs = std::filesystem;
  spdlog::set_level(spdlog::level::off);  // plugins' log lines, refusals
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/rapport-host-fuzz-XXXXXX";
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  g_dir_to_remove = pattern;
  std::atexit([] {
    std::error_code ignored;
    fs::remove_all(g_dir_to_remove, ignored);
  });
  auto* h = new Host;
  h->dir = pattern;
  fs::create_directories(h->dir + "/plugins");
  for (const char* file : {"hostprobe.so", "hostprobe.manifest.json"}) {
    fs::copy_file(std::string(RAPPORT_HOST_PROBE_DIR) + "/" + file, h->dir + "/plugins/" + file);
  }
  store::DatabaseOptions db_options;
  db_options.path = h->dir + "/db";
  auto db = store::Database::Open(db_options);
  REQUIRE(db.ok());
  h->db = std::move(*db);
  auto opened = records::RecordStore::Open(h->db.get(), &rapport::Clock::Real(), {});
  REQUIRE(opened.ok());
  h->records = std::move(*opened);
  plugin_host::PluginHostOptions options;
  options.plugin_dir = h->dir + "/plugins";
  options.max_timers = 10'000;
  h->host = std::make_unique<plugin_host::PluginHost>(
      h->db.get(), h->records.get(), &rapport::Clock::Real(), options,
      [](uint32_t, const std::string&) { return std::vector<std::string>{"team-a"}; },
      [](uint32_t) { return std::string("acme"); });
  h->host->Load();
  REQUIRE(h->host->IsLoaded("hostprobe"));
  h->records->SetWriteHooks(h->host.get());
  rapport::v1::RolloutRule rule;
  rule.set_module("hostprobe");
  rule.set_default_mode(rapport::v1::MODULE_MODE_ON);
  REQUIRE(h->host->gate().SetRule(Caller(), rule, 0).ok());
  return h;
}

// Reads the fuzz input as arguments; past the end everything is empty or 0.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool done() const { return p_ >= end_; }
  uint8_t U8() { return p_ < end_ ? *p_++ : 0; }
  int64_t I64() {
    // One byte says how many follow (0..8), so small numbers stay small.
    const int n = U8() % 9;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(U8()) << (8 * i);
    if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign
    return static_cast<int64_t>(v);
  }
  // A length byte then that many bytes: 255 is a null pointer with size 0.
  rapport_bytes Bytes() {
    const uint8_t n = U8();
    if (n == 255) return {nullptr, 0};
    const size_t take = std::min<size_t>(n, end_ - p_);
    rapport_bytes b{p_, take};
    p_ += take;
    return b;
  }
  // The same as a NUL-terminated string (a copy kept until the input ends);
  // 255 is a null pointer.
  const char* Str() {
    const uint8_t n = U8();
    if (n == 255) return nullptr;
    const size_t take = std::min<size_t>(n, end_ - p_);
    strings_.push_back(std::make_unique<std::string>(reinterpret_cast<const char*>(p_), take));
    p_ += take;
    return strings_.back()->c_str();
  }
  std::string Text() {
    const char* s = Str();
    return s ? s : "";
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  std::vector<std::unique_ptr<std::string>> strings_;
};

// An output buffer; null when the input says so.
struct Out {
  std::string bytes;
  int sets = 0;
  rapport_buffer buffer{this, &Out::Set};
  static void Set(void* user, const void* data, size_t size) {
    REQUIRE(data != nullptr || size == 0);
    auto* out = static_cast<Out*>(user);
    out->bytes.assign(static_cast<const char*>(data), size);
    ++out->sets;
  }
};
rapport_buffer* MaybeNull(Reader& in, Out& out) {
  return (in.U8() & 7) == 0 ? nullptr : &out.buffer;
}

void Touch(const char* s) {
  REQUIRE(s != nullptr);
  g_sink = g_sink + std::strlen(s);
}

bool ValidCode(int rc) {
  return rc >= RAPPORT_OK && rc <= RAPPORT_UNAVAILABLE && rc != 1 && rc != 2;
}

// The state one replay shares with the scan callback and nested replays.
struct Replay {
  const rapport_host_api* api;
  rapport_host_ctx* ctx;
  rapport_call* call;
  Reader* in;
  int depth;
};

thread_local std::string t_hook_script;  // what the hooks play
thread_local int t_op = -1;              // the operation being played, for reports
thread_local int t_nesting = 0;          // replays of the method in progress
thread_local int t_in_hook = 0;          // hook scripts in progress

void Play(Replay& r, int op);

int ScanCallback(void* user, rapport_bytes key, rapport_bytes value) {
  auto* r = static_cast<Replay*>(user);
  REQUIRE(key.size == 0 || key.data != nullptr);
  REQUIRE(value.size == 0 || value.data != nullptr);
  for (size_t i = 0; i < key.size; ++i) g_sink = g_sink + key.data[i];
  for (size_t i = 0; i < value.size; ++i) g_sink = g_sink + value.data[i];
  const uint8_t what = r->in->U8();
  // Now and then a host call from inside the scan (once per level).
  if (what % 5 == 1 && r->depth < 1) {
    ++r->depth;
    Play(*r, r->in->U8());
    --r->depth;
  }
  return what % 3 != 0;  // 0: stop
}

// Only a failing method puts the marker: the input may not.
bool IsMarker(rapport_bytes key) {
  return key.size == sizeof kMarker - 1 && std::memcmp(key.data, kMarker, key.size) == 0;
}

// RAPPORT_HOST_FUZZ_TRACE=1 prints each operation's answer (to read what an
// input does).
const bool g_trace = std::getenv("RAPPORT_HOST_FUZZ_TRACE") != nullptr;

void CheckCode(const Replay& r, int rc) {
  if (g_trace) {
    std::fprintf(stderr, "  op %d -> %d %s\n", t_op, rc,
                 rc == RAPPORT_OK ? "" : r.api->call_last_error(r.call));
  }
  if (!ValidCode(rc)) {
    std::fprintf(stderr, "host_fuzzer: operation %d: status code %d is not one of the ABI's\n",
                 t_op, rc);
    std::abort();
  }
  if (rc != RAPPORT_OK) Touch(r.api->call_last_error(r.call));
}

// The keyspace functions call_last_error documents (kv_put, kv_delete,
// kv_add, kv_get, kv_scan_range): a failure other than a missing key says
// why there.
void CheckKeyspace(const Replay& r, int rc) {
  CheckCode(r, rc);
  if (rc != RAPPORT_OK && rc != RAPPORT_NOT_FOUND && *r.api->call_last_error(r.call) == '\0') {
    std::fprintf(stderr, "host_fuzzer: operation %d: code %d with no call_last_error\n", t_op, rc);
    std::abort();
  }
}

// Functions with an `error` buffer: a failure fills it, when there is one.
void CheckWithError(const Replay& r, int rc, const rapport_buffer* given, const Out& error) {
  CheckCode(r, rc);
  if (rc != RAPPORT_OK && given != nullptr && error.bytes.empty()) {
    std::fprintf(stderr, "host_fuzzer: operation %d: code %d with an empty error buffer\n", t_op,
                 rc);
    std::abort();
  }
}

// Functions that answer yes or no: 1 or 0 (can_read: or a negated code).
void CheckAnswer(int rc, bool may_fail) {
  if (g_trace) std::fprintf(stderr, "  op %d -> %d\n", t_op, rc);
  if (rc == 0 || rc == 1 || (may_fail && rc < 0 && ValidCode(-rc))) return;
  std::fprintf(stderr, "host_fuzzer: operation %d: answer %d is not 1, 0%s\n", t_op, rc,
               may_fail ? " or a negated code" : "");
  std::abort();
}

__attribute__((no_sanitize("enum"))) rapport_resource Resource(Reader& in) {
  // Mostly the three real ones, sometimes 0 or just past them, sometimes
  // anything.
  const uint8_t b = in.U8();
  if (b < 224) return static_cast<rapport_resource>(1 + b % 3);
  if (b < 240) return static_cast<rapport_resource>(b - 224);  // 0..15
  return static_cast<rapport_resource>(static_cast<int8_t>(b));
}

// A serialized customer or interaction that parses, from the input's
// fields, so write_record reaches validation and the hooks, not only the
// parser.
__attribute__((no_sanitize("enum"))) std::string SomeRecord(Reader& in, rapport_resource resource) {
  if (resource == RAPPORT_RESOURCE_INTERACTION) {
    rapport::v1::Interaction i;
    i.set_id(in.Text());
    i.set_customer_id(in.Text());
    i.set_subject(in.Text());
    i.mutable_occurred_at()->set_seconds(in.I64());
    return i.SerializeAsString();
  }
  rapport::v1::Customer c;
  c.set_id(in.Text());
  c.set_display_name(in.Text());
  if (in.U8() & 1) c.add_phones(in.Text());
  if (in.U8() & 1) c.add_emails(in.Text());
  if (in.U8() & 1) c.add_tags(in.Text());
  if (in.U8() & 1) (*c.mutable_external_refs())[in.Text()] = in.Text();
  c.set_revision(in.I64());
  return c.SerializeAsString();
}

// Passes out-of-range numbers where the ABI has enums, as a C plugin may:
// reading them as the enum here is what the fuzzer means to do, so UBSan's
// enum check is off for this function only (the host's side keeps it).
__attribute__((no_sanitize("enum"))) void Play(Replay& r, int op) {
  const rapport_host_api* api = r.api;
  rapport_call* call = r.call;
  Reader& in = *r.in;
  Out out, error;
  const int outer_op = t_op;  // a scan callback or call_module may nest
  t_op = op % 36;
  switch (op % 36) {
    case 0: {
      const int level = static_cast<int8_t>(in.U8());
      api->log(r.ctx, static_cast<rapport_log_level>(level), in.Str());
      break;
    }
    case 1:
      g_sink = g_sink + api->now_micros(r.ctx);
      break;
    case 2: {
      const char* name = in.Str();
      api->metric_add(r.ctx, name, in.I64());
      break;
    }
    case 3:
      Touch(api->config_json(r.ctx));
      Touch(api->host_last_error(r.ctx));
      break;
    case 4: {
      rapport_bytes key = in.Bytes();
      CheckKeyspace(r, api->kv_get(call, key, MaybeNull(in, out)));
      break;
    }
    case 5: {
      rapport_bytes key = in.Bytes();
      rapport_bytes value = in.Bytes();
      if (!IsMarker(key)) CheckKeyspace(r, api->kv_put(call, key, value));
      break;
    }
    case 6:
      CheckKeyspace(r, api->kv_delete(call, in.Bytes()));
      break;
    case 7: {
      rapport_bytes prefix = in.Bytes();
      const bool null_fn = (in.U8() & 15) == 0;
      CheckCode(r, api->kv_scan(call, prefix, null_fn ? nullptr : ScanCallback, &r));
      break;
    }
    case 8: {
      rapport_bytes prefix = in.Bytes();
      rapport_bytes after = in.Bytes();
      const auto limit = static_cast<uint32_t>(in.I64());
      const int reverse = static_cast<int8_t>(in.U8());
      CheckKeyspace(r, api->kv_scan_range(call, prefix, after, limit, reverse, ScanCallback, &r));
      break;
    }
    case 9: {
      rapport_bytes key = in.Bytes();
      const int64_t delta = in.I64();
      if (!IsMarker(key)) CheckKeyspace(r, api->kv_add(call, key, delta));
      break;
    }
    case 10: {
      rapport_bytes key = in.Bytes();
      int64_t value = 0;
      int64_t* into = (in.U8() & 7) == 0 ? nullptr : &value;
      if (!IsMarker(key)) CheckCode(r, api->kv_sequence_next(call, key, into));
      break;
    }
    case 11: {
      const rapport_resource resource = Resource(in);
      const char* id = in.Str();
      CheckCode(r, api->get_record(call, resource, id, MaybeNull(in, out)));
      break;
    }
    case 12:
      Touch(api->call_tenant(call));
      Touch(api->call_user(call));
      Touch(api->call_roles(call));
      Touch(api->call_request_id(call));
      g_sink = g_sink + api->call_deadline_micros(call) + api->call_cancelled(call);
      break;
    case 13: {
      const char* module = in.Str();
      const char* user = in.Str();
      CheckAnswer(api->module_enabled(call, module, user, MaybeNull(in, out)), false);
      break;
    }
    case 14:
    case 15: {  // write_record: garbage bytes (14) or a record that parses (15)
      const rapport_resource resource = Resource(in);
      const auto operation = static_cast<rapport_operation>(static_cast<int8_t>(in.U8() % 5));
      std::string parsed;
      rapport_bytes record;
      if (op % 36 == 15) {
        parsed = SomeRecord(in, resource);
        record = {reinterpret_cast<const uint8_t*>(parsed.data()), parsed.size()};
      } else {
        record = in.Bytes();
      }
      const char* mask = in.Str();
      const int64_t revision = in.I64();
      rapport_buffer* o = MaybeNull(in, out);
      rapport_buffer* e = MaybeNull(in, error);
      CheckWithError(r, api->write_record(call, resource, operation, record, mask, revision, o, e),
                     e, error);
      break;
    }
    case 16: {
      const char* user = in.Str();
      CheckCode(r, api->user_info(call, user, MaybeNull(in, out)));
      break;
    }
    case 17:
      CheckAnswer(api->call_scope(call, MaybeNull(in, out)), false);
      break;
    case 18: {
      const rapport_resource resource = Resource(in);
      const char* filter = in.Str();
      const char* order_by = in.Str();
      const auto page_size = static_cast<int32_t>(in.I64());
      const char* token = in.Str();
      rapport_buffer* o = MaybeNull(in, out);
      rapport_buffer* e = MaybeNull(in, error);
      CheckWithError(r, api->list_records(call, resource, filter, order_by, page_size, token, o, e),
                     e, error);
      break;
    }
    case 19: {
      const char* query = in.Str();
      const auto page_size = static_cast<int32_t>(in.I64());
      const char* token = in.Str();
      rapport_buffer* o = MaybeNull(in, out);
      rapport_buffer* e = MaybeNull(in, error);
      CheckWithError(r, api->search_customers(call, query, page_size, token, o, e), e, error);
      break;
    }
    case 20: {
      const rapport_resource resource = Resource(in);
      const char* filter = in.Str();
      int64_t count = 0;
      int64_t* n = (in.U8() & 7) == 0 ? nullptr : &count;
      rapport_buffer* e = MaybeNull(in, error);
      CheckWithError(r, api->count_records(call, resource, filter, n, e), e, error);
      break;
    }
    case 21: {
      const rapport_resource resource = Resource(in);
      CheckAnswer(api->can_read(call, resource, in.Str()), true);
      break;
    }
    case 22: {
      rapport_bytes key = in.Bytes();
      const int64_t when = in.I64();
      CheckCode(r, api->timer_schedule(call, key, when, in.Bytes()));
      break;
    }
    case 23:
      CheckCode(r, api->timer_cancel(call, in.Bytes()));
      break;
    case 24: {
      const char* type = in.Str();
      const char* payload_type = in.Str();
      CheckCode(r, api->emit_event(call, type, payload_type, in.Bytes()));
      break;
    }
    case 25: {  // another module's method, or this one's: a nested replay
      const char* method = (in.U8() & 1) ? kMethod : in.Str();
      rapport_bytes request = in.Bytes();
      rapport_buffer* o = MaybeNull(in, out);
      rapport_buffer* e = MaybeNull(in, error);
      CheckWithError(r, api->call_module(call, method, request, o, e), e, error);
      break;
    }
    case 26: {
      const char* key = in.Str();
      CheckCode(r, api->call_metadata(call, key, MaybeNull(in, out)));
      break;
    }
    case 27:
      CheckCode(r, api->stream_send(call, in.Bytes()));
      break;
    case 28: {
      const char* kind = (in.U8() & 1) ? "phone" : in.Str();
      rapport_bytes raw = in.Bytes();
      rapport_buffer* o = MaybeNull(in, out);
      rapport_buffer* e = MaybeNull(in, error);
      CheckWithError(r, api->normalize_contact(call, kind, raw, o, e), e, error);
      break;
    }
    case 29: {  // what the hooks of the next write_record play
      rapport_bytes script = in.Bytes();
      t_hook_script.assign(script.data ? reinterpret_cast<const char*>(script.data) : "",
                           script.size);
      break;
    }
    case 30: {
      rapport_bytes bytes = in.Bytes();
      api->buffer_set(MaybeNull(in, out), bytes.data, bytes.size);
      break;
    }
    case 31: {  // registration after init: refused, whatever the arguments
      const int kind = static_cast<int8_t>(in.U8());
      const rapport_resource resource = Resource(in);
      const auto operation = static_cast<rapport_operation>(static_cast<int8_t>(in.U8()));
      const int rc = api->register_hook(
          r.ctx, static_cast<rapport_hook_kind>(kind), resource, operation, 0,
          [](void*, rapport_call*, rapport_bytes, rapport_bytes, rapport_buffer*, rapport_buffer*) {
            return 0;
          },
          nullptr);
      REQUIRE(rc != RAPPORT_OK);
      break;
    }
    case 32: {
      const char* method = in.Str();
      REQUIRE(api->register_method(
                  r.ctx, method,
                  [](void*, rapport_call*, rapport_bytes, rapport_buffer*, rapport_buffer*) {
                    return 0;
                  },
                  nullptr) != RAPPORT_OK);
      REQUIRE(api->register_descriptors(r.ctx, in.Bytes()) != RAPPORT_OK);
      break;
    }
    case 33: {
      const char* module = in.Str();
      const char* type = in.Str();
      REQUIRE(api->register_event_hook(
                  r.ctx, module, type,
                  [](void*, rapport_call*, rapport_bytes, rapport_bytes, rapport_buffer*,
                     rapport_buffer*) { return 0; },
                  nullptr) != RAPPORT_OK);
      break;
    }
    case 34: {  // keys of the fixed small set, so puts, adds and deletes meet
      const std::string key = absl::StrCat("k/", in.U8() % 8);
      rapport_bytes k{reinterpret_cast<const uint8_t*>(key.data()), key.size()};
      switch (in.U8() % 4) {
        case 0:
          CheckKeyspace(r, api->kv_put(call, k, in.Bytes()));
          break;
        case 1:
          CheckKeyspace(r, api->kv_add(call, k, in.I64()));
          break;
        case 2:
          CheckKeyspace(r, api->kv_delete(call, k));
          break;
        default:
          CheckKeyspace(r, api->kv_get(call, k, &out.buffer));
      }
      break;
    }
    default: {  // the marker of failed methods is never there
      const rapport_bytes key{reinterpret_cast<const uint8_t*>(kMarker), sizeof kMarker - 1};
      const int rc = api->kv_get(call, key, &out.buffer);
      if (rc != RAPPORT_NOT_FOUND) {
        std::fprintf(stderr, "host_fuzzer: a failed method's write was kept (kv_get: %d)\n", rc);
        std::abort();
      }
    }
  }
  REQUIRE(out.sets <= 1 || op % 36 == 30);
  t_op = outer_op;
}

// Runs `script` as host calls; the method's answer.
int PlayScript(const rapport_host_api* api, rapport_host_ctx* ctx, rapport_call* call,
               const uint8_t* data, size_t size, bool outermost) {
  if (size == 0) return RAPPORT_OK;
  Reader in(data + 1, size - 1);
  const bool fail = data[0] & 1;
  Replay r{api, ctx, call, &in, 0};
  for (int ops = 0; !in.done() && ops < 64; ++ops) Play(r, in.U8());
  if (outermost && (data[0] & kCheckFlag)) {
    // The check script's end: its put of k/0 reads back.
    Out value;
    const std::string k0 = "k/0";
    const int rc =
        api->kv_get(call, {reinterpret_cast<const uint8_t*>(k0.data()), k0.size()}, &value.buffer);
    if (rc != RAPPORT_OK || value.bytes != "ok") {
      std::fprintf(stderr, "host_fuzzer: k/0 put then read back: code %d, value '%s'\n", rc,
                   value.bytes.c_str());
      std::abort();
    }
  }
  if (!fail) return RAPPORT_OK;
  if (outermost) {
    // A marker that must vanish with the rest of the call's writes.
    const rapport_bytes key{reinterpret_cast<const uint8_t*>(kMarker), sizeof kMarker - 1};
    const rapport_bytes value{reinterpret_cast<const uint8_t*>("x"), 1};
    const int rc = api->kv_put(call, key, value);
    REQUIRE(rc == RAPPORT_OK || rc == RAPPORT_FAILED_PRECONDITION);
  }
  return RAPPORT_INVALID_ARGUMENT;
}

}  // namespace

// Called by the probe plugin for its method (kind 0) and its hooks.
extern "C" __attribute__((visibility("default"))) int rapport_fuzz_host_replay(
    const rapport_host_api* api, rapport_host_ctx* ctx, rapport_call* call, int kind,
    rapport_bytes input, rapport_buffer* out, rapport_buffer* error) {
  REQUIRE(api != nullptr && ctx != nullptr && call != nullptr);
  // Validate hooks get no `out` (they cannot change the record).
  REQUIRE(error != nullptr && (out != nullptr || kind == RAPPORT_HOOK_VALIDATE));
  int rc;
  if (kind == 0) {
    const bool outermost = t_nesting == 0;
    ++t_nesting;
    rc = PlayScript(api, ctx, call, input.data, input.size, outermost);
    --t_nesting;
    api->buffer_set(out, "ok", 2);
  } else if (t_in_hook == 0) {
    // A hook of a write the method made: plays the script the method set
    // (validate and pre-commit hooks alike). Writes made from inside a hook
    // script do not play it again.
    const std::string script = t_hook_script;
    ++t_in_hook;
    rc = PlayScript(api, ctx, call, reinterpret_cast<const uint8_t*>(script.data()), script.size(),
                    false);
    --t_in_hook;
  } else {
    rc = RAPPORT_OK;
  }
  if (rc != RAPPORT_OK) api->buffer_set(error, "the script asked to fail", 24);
  return rc;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint64_t inputs = 0;
  if (g_host == nullptr) g_host = MakeHost();
  plugin_host::PluginHost& host = *g_host->host;
  const RequestContext ctx = Caller();
  t_hook_script.clear();
  std::string request(reinterpret_cast<const char*>(data), size);
  if (size > 0) request[0] = static_cast<char>(data[0] & ~kCheckFlag);
  auto answer = host.Invoke(ctx, kMethod, request);
  if (size > 0 && (data[0] & 1)) REQUIRE(!answer.ok());

  // The host still serves, and a failed method kept nothing: the check
  // script puts a key, reads it back and finds no marker.
  static const uint8_t kCheck[] = {kCheckFlag,                     // succeed, verify
                                   34,         0, 0, 2, 'o', 'k',  // put k/0 = "ok"
                                   34,         0, 3,               // get k/0
                                   35};                            // no marker
  auto check =
      host.Invoke(ctx, kMethod, std::string(reinterpret_cast<const char*>(kCheck), sizeof kCheck));
  REQUIRE(check.ok());
  if (inputs++ % 64 == 0) {
    auto consistency = g_host->records->CheckConsistency(ctx, 10);
    REQUIRE(consistency.ok());
    if (!consistency->consistent()) {
      for (const auto& problem : consistency->problems()) {
        std::fprintf(stderr, "host_fuzzer: inconsistent: %s\n", problem.DebugString().c_str());
      }
      std::abort();
    }
  }
  return 0;
}
