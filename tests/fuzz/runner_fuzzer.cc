// The out-of-process plugin boundary from the plugin's side: what a
// rapport-plugin-runner child, running a plugin gone wrong or a hostile
// one, can send rapportd on a connection (core/plugin_host/remote_plugin.h).
// The input is the byte stream as the host reads it: frames (ReadFrame,
// core/plugin_runner/wire.h), each HostCall answered by AnswerHostCall
// (remote_host_calls.cc) against a checking host table instead of the real
// one. Checks, beyond "no crash, no sanitizer report":
//   - a length over the limit or bytes that do not parse end the stream as
//     kBroken, and nothing is read past the input;
//   - a HostCall with missing arguments or an unknown function is
//     INVALID_ARGUMENT and reaches no host function;
//   - outside an invocation only log, now_micros and metric_add reach the
//     table, anything else is FAILED_PRECONDITION;
//   - every string and byte range that reaches the table is readable to its
//     end (the table reads each one; ASan would report an overread), and
//     the reply carries the table's code.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/plugin_host/remote_plugin.h"
#include "core/plugin_runner/wire.h"
#include "google/protobuf/stubs/logging.h"
#include "rapport/runner/v1/runner.pb.h"

#define REQUIRE(condition)                                                                \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "runner_fuzzer: %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace {

namespace wire = rapport::runner::v1;

int g_calls = 0;  // host functions reached
volatile uint64_t g_sink = 0;

// Reads every byte (an overread is ASan's to report).
void Touch(rapport_bytes b) {
  REQUIRE(b.size == 0 || b.data != nullptr);
  for (size_t i = 0; i < b.size; ++i) g_sink = g_sink + b.data[i];
}
void Touch(const char* s) {
  REQUIRE(s != nullptr);
  g_sink = g_sink + std::strlen(s);
}
void Fill(rapport_buffer* b) {
  REQUIRE(b != nullptr && b->set != nullptr);
  b->set(b->user, "out", 3);
}
// The code every checking function returns: distinct from what the
// boundary itself answers (INVALID_ARGUMENT, FAILED_PRECONDITION).
constexpr int kTableCode = RAPPORT_NOT_FOUND;

int Call(rapport_call* call) {
  REQUIRE(call != nullptr);
  ++g_calls;
  return kTableCode;
}

rapport_host_api MakeTable() {
  rapport_host_api t;
  std::memset(&t, 0, sizeof t);
  t.struct_size = sizeof t;
  t.log = [](rapport_host_ctx*, rapport_log_level level, const char* m) {
    REQUIRE(level >= RAPPORT_LOG_DEBUG && level <= RAPPORT_LOG_ERROR);
    Touch(m);
    ++g_calls;
  };
  t.now_micros = [](rapport_host_ctx*) -> int64_t {
    ++g_calls;
    return 1;
  };
  t.metric_add = [](rapport_host_ctx*, const char* name, int64_t) {
    Touch(name);
    ++g_calls;
  };
  t.kv_get = [](rapport_call* c, rapport_bytes k, rapport_buffer* v) {
    Touch(k);
    Fill(v);
    return Call(c);
  };
  t.kv_put = [](rapport_call* c, rapport_bytes k, rapport_bytes v) {
    Touch(k);
    Touch(v);
    return Call(c);
  };
  t.kv_delete = [](rapport_call* c, rapport_bytes k) {
    Touch(k);
    return Call(c);
  };
  t.kv_add = [](rapport_call* c, rapport_bytes k, int64_t) {
    Touch(k);
    return Call(c);
  };
  t.kv_sequence_next = [](rapport_call* c, rapport_bytes k, int64_t* v) {
    Touch(k);
    REQUIRE(v != nullptr);
    *v = 7;
    return Call(c);
  };
  t.kv_scan_range = [](rapport_call* c, rapport_bytes p, rapport_bytes a, uint32_t limit,
                       int reverse, rapport_scan_fn fn, void* user) {
    Touch(p);
    Touch(a);
    REQUIRE(limit >= 1 && limit <= 1024);
    REQUIRE(reverse == 0 || reverse == 1);
    const uint8_t bytes[] = {1, 2, 3};
    for (uint32_t i = 0; i < std::min<uint32_t>(limit, 3); ++i) {
      if (fn(user, rapport_bytes{bytes, i}, rapport_bytes{bytes, 3 - i}) == 0) break;
    }
    return Call(c);
  };
  t.get_record = [](rapport_call* c, rapport_resource, const char* id, rapport_buffer* r) {
    Touch(id);
    Fill(r);
    return Call(c);
  };
  t.module_enabled = [](rapport_call* c, const char* m, const char* u, rapport_buffer* r) {
    Touch(m);
    Touch(u);
    Fill(r);
    return Call(c);
  };
  t.write_record = [](rapport_call* c, rapport_resource, rapport_operation, rapport_bytes record,
                      const char* mask, int64_t, rapport_buffer* out, rapport_buffer* error) {
    Touch(record);
    Touch(mask);
    Fill(out);
    Fill(error);
    return Call(c);
  };
  t.user_info = [](rapport_call* c, const char* u, rapport_buffer* teams) {
    Touch(u);
    Fill(teams);
    return Call(c);
  };
  t.call_scope = [](rapport_call* c, rapport_buffer* owners) {
    Fill(owners);
    return Call(c);
  };
  t.call_last_error = [](rapport_call*) -> const char* { return "last"; };
  t.list_records = [](rapport_call* c, rapport_resource, const char* f, const char* o, int32_t,
                      const char* token, rapport_buffer* r, rapport_buffer* e) {
    Touch(f);
    Touch(o);
    Touch(token);
    Fill(r);
    Fill(e);
    return Call(c);
  };
  t.search_customers = [](rapport_call* c, const char* q, int32_t, const char* token,
                          rapport_buffer* r, rapport_buffer* e) {
    Touch(q);
    Touch(token);
    Fill(r);
    Fill(e);
    return Call(c);
  };
  t.count_records = [](rapport_call* c, rapport_resource, const char* f, int64_t* n,
                       rapport_buffer* e) {
    Touch(f);
    REQUIRE(n != nullptr);
    Fill(e);
    return Call(c);
  };
  t.can_read = [](rapport_call* c, rapport_resource, const char* id) {
    Touch(id);
    return Call(c);
  };
  t.timer_schedule = [](rapport_call* c, rapport_bytes k, int64_t, rapport_bytes p) {
    Touch(k);
    Touch(p);
    return Call(c);
  };
  t.timer_cancel = [](rapport_call* c, rapport_bytes k) {
    Touch(k);
    return Call(c);
  };
  t.emit_event = [](rapport_call* c, const char* type, const char* pt, rapport_bytes p) {
    Touch(type);
    Touch(pt);
    Touch(p);
    return Call(c);
  };
  t.call_module = [](rapport_call* c, const char* m, rapport_bytes r, rapport_buffer* out,
                     rapport_buffer* e) {
    Touch(m);
    Touch(r);
    Fill(out);
    Fill(e);
    return Call(c);
  };
  t.call_cancelled = [](rapport_call* c) { return Call(c); };
  t.call_metadata = [](rapport_call* c, const char* k, rapport_buffer* v) {
    Touch(k);
    Fill(v);
    return Call(c);
  };
  t.stream_send = [](rapport_call* c, rapport_bytes m) {
    Touch(m);
    return Call(c);
  };
  t.normalize_contact = [](rapport_call* c, const char* kind, rapport_bytes raw,
                           rapport_buffer* out, rapport_buffer* e) {
    Touch(kind);
    Touch(raw);
    Fill(out);
    Fill(e);
    return Call(c);
  };
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rapport_host_api table = MakeTable();
  // Protobuf logs a line for each frame that fails to parse (they end the
  // stream as broken); the lines only slow the run.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  // The stream as a connection would deliver it: a memory file read through
  // ReadFrame.
  const int fd = memfd_create("runner_fuzzer", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, data + written, size - written);
    REQUIRE(n > 0);
    written += static_cast<size_t>(n);
  }
  REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
  // Even frames are answered inside an invocation, odd ones outside.
  int index = 0;
  for (;;) {
    wire::Frame frame;
    const rapport::runner::ReadStatus status = rapport::runner::ReadFrame(fd, &frame, 0);
    if (status != rapport::runner::ReadStatus::kOk) {
      REQUIRE(status == rapport::runner::ReadStatus::kClosed ||
              status == rapport::runner::ReadStatus::kBroken);
      break;
    }
    if (!frame.has_host_call()) continue;
    const wire::HostCall& q = frame.host_call();
    rapport_call* call = index++ % 2 == 0 ? reinterpret_cast<rapport_call*>(&index) : nullptr;
    const int before = g_calls;
    wire::HostReply reply;
    rapport::plugin_host::AnswerHostCall(&table, nullptr, call, q, &reply);
    const bool reached = g_calls > before;
    const bool anywhere =
        q.function() == "log" || q.function() == "now_micros" || q.function() == "metric_add";
    if (reply.code() == RAPPORT_INVALID_ARGUMENT) REQUIRE(!reached);
    if (call == nullptr && !anywhere) {
      REQUIRE(reply.code() == RAPPORT_FAILED_PRECONDITION ||
              reply.code() == RAPPORT_INVALID_ARGUMENT);
      REQUIRE(!reached);
    }
    if (reached && !anywhere) REQUIRE(reply.code() == kTableCode);
    // The reply goes back as a frame of its own.
    wire::Frame answer;
    *answer.mutable_host_reply() = reply;
    REQUIRE(answer.ByteSizeLong() < size_t{rapport::runner::kMaxFrameBytes} + 4096);
  }
  close(fd);
  return 0;
}
