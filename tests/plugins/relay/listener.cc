// Test plugin "listener" (relay.proto): receives emitter's module events and
// calls emitter's methods in process.
//   every emitter event: Increment("seen/<type>") and ("seen/"), and puts
//     "last" = the payload's text.
//   every customer created (post-commit): puts "writer/<display name>" =
//     what the hook sees of the writer: "<all | owners,...>|<roles>|<count
//     of customers readable>".
//   CreateLater(text): a timer due now whose handler creates the customer
//     named text (a write by the host for the module, with no user).
#include <string>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"
#include "relay.pb.h"

namespace {

using rapport::relay::v1::Note;
using rapport::sdk::Call;
using rapport::sdk::Status;
using rapport::v1::ChangeEvent;

constexpr char kService[] = "/rapport.relay.v1.ListenerService/";
constexpr char kEmitter[] = "/rapport.relay.v1.EmitterService/";

// "<all | owners,...>|<roles>|<customers readable>" for the call's user.
std::string WriterView(const Call& call) {
  const rapport::sdk::ReadScope scope = call.Scope();
  std::string view;
  if (scope.all) view = "all";
  for (const std::string& owner : scope.owners) view += (view.empty() ? "" : ",") + owner;
  view += "|";
  for (const char* role : {"admin", "manager", "rep", "viewer", "integration"}) {
    if (call.HasRole(role)) view += role;
  }
  int64_t readable = -1;
  if (Status s = call.CountRecords(RAPPORT_RESOURCE_CUSTOMER, "", &readable); !s.ok()) {
    return view + "|" + s.message;
  }
  return view + "|" + std::to_string(readable);
}

class Listener : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    Status s = OnModuleEvent<ChangeEvent>(
        "emitter", "", [](Call& call, const ChangeEvent& event) -> Status {
          const std::string& type = event.module_event().type();
          Note note;
          if (!event.module_event().payload().UnpackTo(&note))
            return Status::Internal("the event's payload is not a Note");
          if (Status i = call.Increment("seen/" + type, 1); !i.ok()) return i;
          if (Status i = call.Increment("seen/", 1); !i.ok()) return i;
          return call.Put("last", note.text());
        });
    if (!s.ok()) return s;
    OnPostCommit<ChangeEvent>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
                              [](Call& call, const ChangeEvent& event) -> Status {
                                rapport::v1::Customer customer;
                                if (!customer.ParseFromString(event.after().value()))
                                  return Status::Internal("unreadable customer");
                                return call.Put("writer/" + customer.display_name(),
                                                WriterView(call));
                              });
    s = Method<Note, Note>(std::string(kService) + "Relay",
                           [](Call& call, const Note& req, Note* resp) -> Status {
                             Status c = call.CallModule(std::string(kEmitter) + "Emit", req, resp);
                             if (!c.ok()) return c;
                             if (Status p = call.Put("relayed/" + req.text(), "1"); !p.ok())
                               return p;
                             if (req.detail() == "fail after")
                               return Status::FailedPrecondition("failed after the call");
                             return {};
                           });
    if (!s.ok()) return s;
    s = Method<Note, Note>(std::string(kService) + "RelayFail",
                           [](Call& call, const Note& req, Note* resp) -> Status {
                             return call.CallModule(std::string(kEmitter) + "Fail", req, resp);
                           });
    if (!s.ok()) return s;
    s = Method<Note, Note>(std::string(kService) + "CallNamed",
                           [](Call& call, const Note& req, Note* resp) -> Status {
                             return call.CallModule(req.text(), req, resp);
                           });
    if (!s.ok()) return s;
    s = Method<Note, Note>(std::string(kService) + "Loop",
                           [](Call& call, const Note& req, Note* resp) -> Status {
                             return call.CallModule(std::string(kService) + "Loop", req, resp);
                           });
    if (!s.ok()) return s;
    s = OnTimer([](Call& call, const std::string&, const std::string& payload) -> Status {
      rapport::v1::Customer customer;
      customer.set_display_name(payload);
      return call.CreateRecord(RAPPORT_RESOURCE_CUSTOMER, customer);
    });
    if (!s.ok()) return s;
    s = Method<Note, Note>(std::string(kService) + "CreateLater",
                           [this](Call& call, const Note& req, Note*) -> Status {
                             return call.ScheduleAt("later/" + req.text(), NowMicros(), req.text());
                           });
    if (!s.ok()) return s;
    s = Method<Note, Note>(std::string(kService) + "Writer",
                           [](Call& call, const Note& req, Note* resp) -> Status {
                             resp->set_detail(call.Get("writer/" + req.text()).value_or(""));
                             return {};
                           });
    if (!s.ok()) return s;
    return Method<Note, Note>(std::string(kService) + "Seen",
                              [](Call& call, const Note& req, Note* resp) -> Status {
                                std::optional<std::string> v;
                                if (Status r = call.Read("seen/" + req.text(), &v); !r.ok())
                                  return r;
                                int64_t n = 0;
                                if (v) Call::DecodeCounter(*v, &n);
                                resp->set_count(n);
                                resp->set_detail(call.Get("last").value_or(""));
                                return {};
                              });
  }
};

}  // namespace

RAPPORT_PLUGIN(Listener, "listener", "1.0.0")
