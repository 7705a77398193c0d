#include "tools/rapportctl/output.h"

#include <iostream>

#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "tools/rapportctl/connection.h"
#include "tools/rapportctl/human_text.h"

namespace rapport::ctl {
namespace {

using google::protobuf::Message;

// Whether rapportd itself answered `status`: every error it sends carries a
// google.rpc.ErrorInfo of domain "rapport.dev"; a transport failure (no
// server, connection lost, deadline passed in transit) has none.
bool AnsweredByServer(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return false;
  }
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info) && info.domain() == "rapport.dev") return true;
  }
  return false;
}

// One row per record: the fields a person scanning a list wants.
std::vector<std::string> Row(const Message& m) {
  if (auto* c = dynamic_cast<const v1::Customer*>(&m)) {
    return {c->id(),
            c->display_name(),
            c->emails_size() ? c->emails(0) : "",
            c->phones_size() ? c->phones(0) : "",
            HumanEnum(v1::LifecycleStage_descriptor(), c->lifecycle_stage()),
            c->owner()};
  }
  if (auto* i = dynamic_cast<const v1::Interaction*>(&m)) {
    return {i->id(),      HumanEnum(v1::InteractionKind_descriptor(), i->kind()),  i->customer_id(),
            i->subject(), i->has_occurred_at() ? HumanTime(i->occurred_at()) : "", i->owner()};
  }
  if (auto* o = dynamic_cast<const v1::Opportunity*>(&m)) {
    return {o->id(),
            o->name(),
            o->stage(),
            o->has_amount() ? HumanMoney(o->amount()) : "",
            HumanEnum(v1::OpportunityStatus_descriptor(), o->status()),
            o->owner()};
  }
  return {Json(m)};
}

}  // namespace

int Fail(const grpc::Status& status) {
  if ((status.error_code() == grpc::StatusCode::UNAVAILABLE ||
       status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) &&
      !AnsweredByServer(status)) {
    std::cerr << "error: cannot reach rapportd at " << g.server << ": " << status.error_message()
              << "\n";
    return 3;
  }
  // gRPC's codes are absl's, number for number ("INVALID_ARGUMENT").
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  std::cerr << "error: " << (name.empty() ? "UNKNOWN" : name) << ": " << status.error_message()
            << "\n";
  google::rpc::Status details;
  if (details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad_request;
      if (!any.UnpackTo(&bad_request)) continue;
      for (const auto& v : bad_request.field_violations()) {
        std::cerr << "  " << v.field() << ": " << v.description() << "\n";
      }
    }
  }
  return 1;
}

int Fail(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    std::cerr << "error: " << status.message() << "\n";
    return 2;
  }
  return Fail(
      grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message())));
}

int ParseJson(const std::string& json, Message* message) {
  auto status = google::protobuf::util::JsonStringToMessage(json, message);
  if (!status.ok()) {
    std::cerr << "error: --json is not a valid " << message->GetDescriptor()->name() << ": "
              << status.message() << "\n";
    return 2;
  }
  return 0;
}

std::string Json(const Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

void PrintRecords(const std::vector<const Message*>& records, const std::string& next_token) {
  if (g.output == "json") {
    std::cout << "[";
    for (size_t i = 0; i < records.size(); ++i)
      std::cout << (i ? ",\n" : "\n") << Json(*records[i]);
    std::cout << "]\n";
  } else {
    for (const Message* m : records) {
      std::string line;
      for (const auto& cell : Row(*m)) line += (line.empty() ? "" : "\t") + cell;
      std::cout << line << "\n";
    }
  }
  if (!next_token.empty()) std::cerr << "next page: --page-token " << next_token << "\n";
}

void PrintRecord(const Message& m) {
  if (g.output == "json") {
    std::cout << Json(m);
  } else {
    std::cout << HumanText(m);
  }
}

}  // namespace rapport::ctl
