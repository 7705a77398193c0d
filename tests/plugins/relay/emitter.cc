// Test plugin "emitter" (relay.proto): emits module events from a method and
// from a pre-commit hook, reports the RPC's context, and streams.
//   customer create, pre-commit: emits "customer_noted" with Note{text:
//     display_name}; a display_name starting "reject" then fails the write
//     (the event must not reach the feed).
//   customer create, validate: display_name "emit in validate" tries to
//     emit and fails the write with what the host answered.
#include <chrono>
#include <string>
#include <thread>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "relay.pb.h"

namespace {

using rapport::relay::v1::Note;
using rapport::sdk::Call;
using rapport::sdk::Status;
using rapport::v1::Customer;

constexpr char kService[] = "/rapport.relay.v1.EmitterService/";

class Emitter : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    OnValidate<Customer>(RAPPORT_OP_CREATE, 100,
                         [](Call& call, const Customer*, const Customer* after) -> Status {
                           if (after->display_name() != "emit in validate") return {};
                           Note note;
                           note.set_text(after->display_name());
                           Status s = call.EmitEvent("customer_noted", note);
                           return s.ok() ? Status::Internal("a validate hook emitted") : s;
                         });
    OnPreCommit<Customer>(RAPPORT_OP_CREATE, 100,
                          [](Call& call, const Customer*, Customer* after) -> Status {
                            Note note;
                            note.set_text(after->display_name());
                            note.set_detail(call.RequestId());
                            if (Status s = call.EmitEvent("customer_noted", note); !s.ok())
                              return s;
                            if (after->display_name().rfind("reject", 0) == 0)
                              return Status::Invalid("rejected after emitting");
                            return {};
                          });
    Status s = Method<Note, Note>(
        std::string(kService) + "Emit", [](Call& call, const Note& req, Note* resp) -> Status {
          if (Status p = call.Put("emitted/" + req.text(), "1"); !p.ok()) return p;
          Note payload = req;
          if (req.count() > 65536) {
            payload.set_detail(std::string(req.count(), 'x'));
          }
          const std::string type = req.text() == "bad type" ? "Bad Type" : "note";
          if (Status e = call.EmitEvent(type, payload); !e.ok()) return e;
          *resp = req;
          return {};
        });
    if (!s.ok()) return s;
    s = Method<Note, Note>(std::string(kService) + "Fail",
                           [](Call& call, const Note& req, Note*) -> Status {
                             if (Status p = call.Put("failed/" + req.text(), "1"); !p.ok())
                               return p;
                             return Status::FailedPrecondition("refused: " + req.text());
                           });
    if (!s.ok()) return s;
    s = Method<Note, Note>(std::string(kService) + "Context",
                           [](Call& call, const Note&, Note* resp) -> Status {
                             resp->set_count(call.DeadlineMicros());
                             resp->set_detail(call.Metadata("x-relay-tag").value_or(""));
                             resp->set_text(call.RequestId());
                             return {};
                           });
    if (!s.ok()) return s;
    s = Method<Note, Note>(std::string(kService) + "Has",
                           [](Call& call, const Note& req, Note* resp) -> Status {
                             std::optional<std::string> value;
                             if (Status r = call.Read(req.text(), &value); !r.ok()) return r;
                             resp->set_count(value ? 1 : 0);
                             resp->set_detail(value.value_or(""));
                             return {};
                           });
    if (!s.ok()) return s;
    return StreamMethod<Note, Note>(
        std::string(kService) + "Count", [](Call& call, const Note& req) -> Status {
          int64_t sent = 0;
          for (int64_t i = 0; i < req.count() && !call.Cancelled(); ++i) {
            Note note;
            note.set_text("n" + std::to_string(i));
            if (!call.Send(note).ok()) break;
            ++sent;
            if (req.detail() == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          return call.Put("streamed/" + req.text(), std::to_string(sent));
        });
  }
};

}  // namespace

RAPPORT_PLUGIN(Emitter, "emitter", "1.2.0")
