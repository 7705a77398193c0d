// The keyspace scenarios the "writer" test plugin's KvScript method runs
// against both hosts: fake_host_parity_test (the SDK's fake host) and
// plugin_platform_test (rapportd). Each call lists its operations and the
// one answer both hosts must give: the results, or the call's error code and
// message (rapportd prefixes the message with "module 'writer': ").
// Counters, ranged scans (pages, reverse, a bad start_after), the host's
// reasons for refused writes, and reading the call's own pending writes and
// increments.
//
// Plain C++ (no generated code), so that the lite and the full protobuf
// builds of test_plugins.proto both use it: ToRequest fills either.
#ifndef RAPPORT_TESTS_PLUGINS_WRITER_SCRIPT_CASES_H_
#define RAPPORT_TESTS_PLUGINS_WRITER_SCRIPT_CASES_H_

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace rapport::testplugins {

struct ScriptOp {
  std::string op, key, value;
  int64_t delta = 0;
  bool reverse = false;
};

inline ScriptOp Put(std::string key, std::string value) {
  return {"put", std::move(key), std::move(value), 0, false};
}
inline ScriptOp Del(std::string key) { return {"delete", std::move(key), "", 0, false}; }
inline ScriptOp Inc(std::string key, int64_t delta) {
  return {"increment", std::move(key), "", delta, false};
}
inline ScriptOp Get(std::string key) { return {"get", std::move(key), "", 0, false}; }
inline ScriptOp Counter(std::string key) { return {"counter", std::move(key), "", 0, false}; }
inline ScriptOp Scan(std::string prefix, std::string start_after = "", uint32_t limit = 0,
                     bool reverse = false) {
  return {"scan", std::move(prefix), std::move(start_after), limit, reverse};
}

// One KvScript call and the answer both hosts must give.
struct ScriptCall {
  std::vector<ScriptOp> ops;
  // Results when the call succeeds (code 0).
  std::vector<std::string> results;
  int code = 0;
  // The call's error when it fails, without rapportd's "module 'writer': ".
  std::string message;
  bool stop_on_error = false;
};

inline ScriptCall Ok(std::vector<ScriptOp> ops, std::vector<std::string> results) {
  return {std::move(ops), std::move(results), 0, "", false};
}
inline ScriptCall Fails(std::vector<ScriptOp> ops, int code, std::string message,
                        bool stop_on_error = false) {
  return {std::move(ops), {}, code, std::move(message), stop_on_error};
}

struct Scenario {
  std::string name;
  std::vector<ScriptCall> calls;
};

template <typename Request>
Request ToRequest(const ScriptCall& call) {
  Request request;
  for (const ScriptOp& op : call.ops) {
    auto* o = request.add_ops();
    o->set_op(op.op);
    o->set_key(op.key);
    o->set_value(op.value);
    o->set_delta(op.delta);
    o->set_reverse(op.reverse);
  }
  request.set_stop_on_error(call.stop_on_error);
  return request;
}

// Every scenario; each uses its own keys, so they may run one after another
// on one keyspace, in this order.
inline std::vector<Scenario> WriterScriptScenarios() {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  // rapport_code values.
  constexpr int kInvalidArgument = 3, kFailedPrecondition = 9, kOutOfRange = 11;
  const std::string three = R"(\x03\x00\x00\x00\x00\x00\x00\x00)";
  const std::string empty_key = "key: must be 1 to 1024 bytes, got 0";
  return {
      {"increments add up, from a missing key as 0, after a delete, and a get sees them",
       {
           Ok({Inc("cnt/hits", 5), Inc("cnt/hits", 2), Counter("cnt/hits")},
              {"ok", "ok", "counter 7"}),
           Ok({Counter("cnt/hits"), Inc("cnt/hits", -10), Counter("cnt/hits")},
              {"counter 7", "ok", "counter -3"}),
           Ok({Del("cnt/hits"), Inc("cnt/hits", 4), Counter("cnt/hits"), Get("cnt/none")},
              {"ok", "ok", "counter 4", "missing"}),
           Ok({Counter("cnt/hits"), Get("cnt/hits")},
              {"counter 4", R"(value \x04\x00\x00\x00\x00\x00\x00\x00)"}),
       }},
      {"an increment that overflows fails the call, which writes nothing",
       {
           Ok({Inc("ovf/big", kMax), Inc("ovf/small", kMin)}, {"ok", "ok"}),
           // The call's own get sees the overflow ...
           Fails({Inc("ovf/big", 1), Counter("ovf/big")}, kOutOfRange,
                 "counter 'ovf/big': 9223372036854775807 + 1 overflows a signed 64-bit integer",
                 /*stop_on_error=*/true),
           // ... and the commit refuses it, with the call's other writes.
           Fails({Put("ovf/side", "x"), Inc("ovf/big", 1)}, kOutOfRange,
                 "counter 'ovf/big': 9223372036854775807 + 1 overflows a signed 64-bit integer"),
           Fails({Put("ovf/side", "x"), Inc("ovf/small", -1)}, kOutOfRange,
                 "counter 'ovf/small': -9223372036854775808 + -1 overflows a signed 64-bit "
                 "integer"),
           Ok({Counter("ovf/big"), Counter("ovf/small"), Get("ovf/side")},
              {"counter 9223372036854775807", "counter -9223372036854775808", "missing"}),
       }},
      {"an increment of a value that is not a counter fails the call, which writes nothing",
       {
           Ok({Put("txt/text", "hello")}, {"ok"}),
           Fails({Inc("txt/text", 1), Counter("txt/text")}, kFailedPrecondition,
                 "key 'txt/text' holds 5 bytes, not a counter (8 bytes): kv_add cannot add to it",
                 /*stop_on_error=*/true),
           Fails({Put("txt/side", "y"), Inc("txt/text", 1)}, kFailedPrecondition,
                 "key 'txt/text' holds 5 bytes, not a counter (8 bytes): kv_add cannot add to it"),
           // The call's own put of a text, then an increment of it.
           Fails({Put("txt/fresh", "abc"), Inc("txt/fresh", 1)}, kFailedPrecondition,
                 "key 'txt/fresh' holds 3 bytes, not a counter (8 bytes): kv_add cannot add to "
                 "it"),
           Ok({Get("txt/text"), Get("txt/side"), Get("txt/fresh"), Counter("txt/text")},
              {"value hello", "missing", "missing", "not a counter: hello"}),
       }},
      {"scans page on from the last key, either way, and refuse a start_after outside the prefix",
       {
           Ok({Put("p/a", "1"), Put("p/b", "2"), Put("p/c", "3"), Put("p/d", "4"), Put("p/e", "5"),
               Put("q/x", "9"), Put("o", "0")},
              {"ok", "ok", "ok", "ok", "ok", "ok", "ok"}),
           Ok({Scan("p/", "", 2), Scan("p/", "p/b", 2), Scan("p/", "p/d", 2), Scan("p/", "p/e", 2)},
              {"keys p/a=1,p/b=2", "keys p/c=3,p/d=4", "keys p/e=5", "keys"}),
           Ok({Scan("p/", "", 2, true), Scan("p/", "p/d", 2, true), Scan("p/", "p/b", 2, true),
               Scan("p/", "p/a", 2, true)},
              {"keys p/e=5,p/d=4", "keys p/c=3,p/b=2", "keys p/a=1", "keys"}),
           // start_after need not be a stored key; no limit is every key.
           Ok({Scan("p/", "p/bb"), Scan("p/", "p/bb", 0, true), Scan("p/"), Scan("q/")},
              {"keys p/c=3,p/d=4,p/e=5", "keys p/b=2,p/a=1", "keys p/a=1,p/b=2,p/c=3,p/d=4,p/e=5",
               "keys q/x=9"}),
           Ok({Scan("p/", "q/x"), Scan("p/", "o", 0, true)},
              {"error 3: start_after: 'q/x' does not start with the prefix 'p/'",
               "error 3: start_after: 'o' does not start with the prefix 'p/'"}),
           Fails({Scan("p/", "q/x", 1)}, kInvalidArgument,
                 "start_after: 'q/x' does not start with the prefix 'p/'", /*stop_on_error=*/true),
           // The call's own put, delete and increment, in key order either
           // way, in pages too.
           Ok({Put("p/bb", "new"), Del("p/c"), Inc("p/cnt", 3), Scan("p/", "p/a", 3),
               Scan("p/", "", 0, true), Scan("p/", "p/cnt", 1, true)},
              {"ok", "ok", "ok", "keys p/b=2,p/bb=new,p/cnt=" + three,
               "keys p/e=5,p/d=4,p/cnt=" + three + ",p/bb=new,p/b=2,p/a=1", "keys p/bb=new"}),
           Ok({Scan("p/")}, {"keys p/a=1,p/b=2,p/bb=new,p/cnt=" + three + ",p/d=4,p/e=5"}),
           // A scan that reaches a key the call cannot add to fails there;
           // one that stops before it does not.
           Fails({Put("p/t", "x"), Inc("p/t", 1), Scan("p/", "", 2), Scan("p/")},
                 kFailedPrecondition,
                 "key 'p/t' holds 1 bytes, not a counter (8 bytes): kv_add cannot add to it",
                 /*stop_on_error=*/true),
           Ok({Scan("p/", "p/e")}, {"keys"}),
       }},
      {"refused writes carry the host's reason; a call that fails writes nothing",
       {
           Ok({Put("", "v"), Inc("", 1), Del(""), Put(std::string(1025, 'k'), "v"),
               Put("sz/big", std::string((1 << 20) + 1, 'v')), Put("sz/x", "1")},
              {"error 3: " + empty_key, "error 3: " + empty_key, "error 3: " + empty_key,
               "error 3: key: must be 1 to 1024 bytes, got 1025",
               "error 3: value: must be at most 1048576 bytes, got 1048577", "ok"}),
           Ok({Get("sz/x"), Get("sz/big")}, {"value 1", "missing"}),
           Fails({Put("sz/y", "1"), Put("", "v")}, kInvalidArgument, empty_key,
                 /*stop_on_error=*/true),
           Ok({Get("sz/y")}, {"missing"}),
       }},
      {"a call reads its own pending writes and increments",
       {
           Ok({Put("own/a", "1"), Get("own/a"), Del("own/a"), Get("own/a"), Put("own/a", "2"),
               Inc("own/n", 1), Inc("own/n", 1), Counter("own/n"), Get("own/a"), Scan("own/")},
              {"ok", "value 1", "ok", "missing", "ok", "ok", "ok", "counter 2", "value 2",
               R"(keys own/a=2,own/n=\x02\x00\x00\x00\x00\x00\x00\x00)"}),
           Ok({Get("own/a"), Counter("own/n"), Inc("own/n", 40), Counter("own/n")},
              {"value 2", "counter 2", "ok", "counter 42"}),
       }},
  };
}

}  // namespace rapport::testplugins

#endif  // RAPPORT_TESTS_PLUGINS_WRITER_SCRIPT_CASES_H_
