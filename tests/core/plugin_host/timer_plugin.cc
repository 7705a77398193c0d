// Test plugin "timer", for timers_test, timer_crash_test and bench
// timer_bench: durable timers through the real host. Requests and responses
// are rapport.v1.Customer, used as a bag of fields:
//   /rapport.timer.v1.TimerService/Schedule  timer display_name due at
//       revision (Unix µs; 0: now + tags[0] µs when tags[0] is a number),
//       payload owner. With the tag "then-fail" the method fails after
//       scheduling.
//   /rapport.timer.v1.TimerService/ScheduleMany  revision timers
//       "<display_name>/<n>" (n zero-padded), due now + n * tags[0] µs
//       (tags[0] "0": all due now), payload "lag:<due>". Optional tags[1]:
//       the start, Unix µs, instead of now ("0": now); optional tags[2]:
//       the first n (default 0), so that chunks continue one numbering:
//       timer n is due start + n * tags[0] µs.
//   /rapport.timer.v1.TimerService/Cancel   timer display_name.
//   /rapport.timer.v1.TimerService/Get      the counter at display_name
//       (response revision; NOT_FOUND if missing); with owner "value" the
//       value itself in display_name.
//   /rapport.timer.v1.TimerService/Lag      the firing lag of "lag" timers
//       seen since load (or the last reset), in µs: tags "p50", "p99",
//       "max", "n" as "name=value". With the tag "reset" it then forgets
//       them.
//   /rapport.timer.v1.TimerService/Put      Put(display_name, owner): a
//       plain keyspace write, the baseline of timer_bench.
//   /rapport.timer.v1.TimerService/Count    the number of keys under the
//       prefix display_name (response revision); with revision > 0 at most
//       that many after the key owner (a page), the keys in tags.
// The timer handler increments "fired" and writes "fired/<key>" = payload.
// Payloads:
//   "fail:N"      fails the first N attempts of the key (counted in memory);
//   "again:N"     schedules the key again, due at once, until it has fired
//                 N times ("count/<key>");
//   "lag:<when>"  records NowMicros() - when for Lag;
//   "early:<when>" increments "early" if it fires before when.
// Pre-commit on customer create: tag "timer" schedules "customer/<name>"
// due now; tag "validate-timer" makes the validate hook try to schedule
// (refused: validate hooks write nothing) and fail with the reason.
#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
using rapport::v1::Customer;

constexpr char kService[] = "/rapport.timer.v1.TimerService/";

bool HasTag(const Customer& c, const std::string& tag) {
  return std::find(c.tags().begin(), c.tags().end(), tag) != c.tags().end();
}

std::string Padded(int64_t n) {
  std::string s = std::to_string(n);
  return std::string(s.size() < 8 ? 8 - s.size() : 0, '0') + s;
}

class TimerPlugin : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    Status s = OnTimer([this](Call& call, const std::string& key, const std::string& payload) {
      return Fire(call, key, payload);
    });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(
        std::string(kService) + "Schedule", [this](Call& call, const Customer& req, Customer*) {
          int64_t when = req.revision();
          if (when == 0 && req.tags_size() > 0) when = NowMicros() + std::stoll(req.tags(0));
          Status s = call.ScheduleAt(req.display_name(), when, req.owner());
          if (!s.ok()) return s;
          if (HasTag(req, "then-fail")) return Status::Internal("failing after scheduling");
          return Status{};
        });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(
        std::string(kService) + "ScheduleMany", [this](Call& call, const Customer& req, Customer*) {
          const int64_t step = req.tags_size() > 0 ? std::stoll(req.tags(0)) : 0;
          int64_t start = req.tags_size() > 1 ? std::stoll(req.tags(1)) : 0;
          if (start == 0) start = NowMicros();
          const int64_t first = req.tags_size() > 2 ? std::stoll(req.tags(2)) : 0;
          for (int64_t n = first; n < first + req.revision(); ++n) {
            const int64_t when = start + n * step;
            Status s = call.ScheduleAt(req.display_name() + "/" + Padded(n), when,
                                       "lag:" + std::to_string(when));
            if (!s.ok()) return s;
          }
          return Status{};
        });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(std::string(kService) + "Cancel",
                                   [](Call& call, const Customer& req, Customer*) {
                                     return call.CancelTimer(req.display_name());
                                   });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(std::string(kService) + "Get",
                                   [](Call& call, const Customer& req, Customer* resp) {
                                     std::optional<std::string> value;
                                     Status s = call.Read(req.display_name(), &value);
                                     if (!s.ok()) return s;
                                     if (!value)
                                       return Status::NotFound("no key " + req.display_name());
                                     int64_t counter = 0;
                                     if (req.owner() == "value") {
                                       resp->set_display_name(*value);
                                     } else if (Call::DecodeCounter(*value, &counter)) {
                                       resp->set_revision(counter);
                                     }
                                     return Status{};
                                   });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(
        std::string(kService) + "Lag", [this](Call&, const Customer& req, Customer* resp) {
          std::lock_guard<std::mutex> lock(mu_);
          std::vector<int64_t> lags = lags_;
          std::sort(lags.begin(), lags.end());
          auto at = [&](double q) {
            return lags.empty() ? 0 : lags[static_cast<size_t>(q * (lags.size() - 1))];
          };
          resp->add_tags("n=" + std::to_string(lags.size()));
          resp->add_tags("p50=" + std::to_string(at(0.50)));
          resp->add_tags("p99=" + std::to_string(at(0.99)));
          resp->add_tags("max=" + std::to_string(lags.empty() ? 0 : lags.back()));
          if (HasTag(req, "reset")) lags_.clear();
          return Status{};
        });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(std::string(kService) + "Put",
                                   [](Call& call, const Customer& req, Customer*) {
                                     return call.Put(req.display_name(), req.owner());
                                   });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(
        std::string(kService) + "Count", [](Call& call, const Customer& req, Customer* resp) {
          const bool page = req.revision() > 0;
          Call::ScanOptions options;
          options.start_after = req.owner();
          options.limit = page ? static_cast<uint32_t>(req.revision()) : 0;
          int64_t n = 0;
          Status s = call.Scan(req.display_name(), options,
                               [&](const std::string& key, const std::string&) {
                                 ++n;
                                 if (page) resp->add_tags(key);
                                 return true;
                               });
          if (!s.ok()) return s;
          resp->set_revision(n);
          return Status{};
        });
    if (!s.ok()) return s;
    OnValidate<Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
                         [](Call& call, const Customer*, const Customer* after) -> Status {
                           if (!HasTag(*after, "validate-timer")) return Status{};
                           return call.ScheduleAt("validate/" + after->display_name(), 1);
                         });
    OnPreCommit<Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
                          [this](Call& call, const Customer*, Customer* after) -> Status {
                            if (!HasTag(*after, "timer")) return Status{};
                            return call.ScheduleAt("customer/" + after->display_name(), NowMicros(),
                                                   "created");
                          });
    return Status{};
  }

 private:
  Status Fire(Call& call, const std::string& key, const std::string& payload) {
    const int64_t now = NowMicros();
    if (payload.rfind("fail:", 0) == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      if (attempts_[key]++ < std::stoll(payload.substr(5))) {
        return Status::Unavailable("failing on purpose, attempt " + std::to_string(attempts_[key]));
      }
    }
    if (payload.rfind("lag:", 0) == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      lags_.push_back(now - std::stoll(payload.substr(4)));
    }
    if (payload.rfind("early:", 0) == 0 && now < std::stoll(payload.substr(6))) {
      if (Status s = call.Increment("early", 1); !s.ok()) return s;
    }
    if (payload.rfind("again:", 0) == 0) {
      if (Status s = call.Increment("count/" + key, 1); !s.ok()) return s;
      int64_t count = 0;
      std::optional<std::string> value;
      if (Status s = call.Read("count/" + key, &value); !s.ok()) return s;
      if (value) Call::DecodeCounter(*value, &count);
      if (count < std::stoll(payload.substr(6))) {
        if (Status s = call.ScheduleAt(key, now, payload); !s.ok()) return s;
      }
    }
    if (Status s = call.Increment("fired", 1); !s.ok()) return s;
    return call.Put("fired/" + key, payload);
  }

  std::mutex mu_;
  std::map<std::string, int64_t> attempts_;
  std::vector<int64_t> lags_;
};

}  // namespace

RAPPORT_PLUGIN(TimerPlugin, "timer", "1.0.0")
