// rapport_torture: crash torture (issue 20, part 3). Runs a mixed write load
// against the real rapportd binary with the SFA module loaded and SIGKILLs
// it at a random moment, round after round on one data directory. After
// each restart it checks, against its own record of what the server
// acknowledged:
//
//   - every acknowledged write is there: customers created, updated (at
//     least the acknowledged revision, at most one more if a call on it was
//     in flight at the kill), deleted (gone), interactions, opportunities
//     with their stage, and every row of an acknowledged import;
//   - the store is consistent (AdminService.CheckConsistency: records,
//     indexes and the feed agree);
//   - the SFA module's funnel (its own keyspace, maintained by its hooks)
//     equals a count of the core's opportunities once its post-commit hooks
//     have caught up.
//
//   rapport_torture --rapportd BIN --plugin-dir DIR [--rounds 20] [--sync]
//                   [--clients 4] [--min-ms 300] [--max-ms 1500] [--seed N]
//                   [--inject-loss]
//
// --inject-loss tests the checker itself: it deletes an acknowledged
// customer behind its back after each restart, and the run must fail.
//
// Prints a line per round and a summary; exits 1 if a write was lost, the
// store was inconsistent, the funnel disagreed or a call failed for a
// reason other than the kill. Talks only to 127.0.0.1; every call has a
// deadline and the whole run is bounded by --rounds.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/common/load_client.h"
#include "grpcpp/grpcpp.h"
#include "rapport/sfa/v1/sfa.grpc.pb.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/interaction.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/v1/opportunity.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tests/testing/rapportd_process.h"

namespace rapport::torture {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::vector<std::string>& kStages = bench::PipelineStages();
constexpr char kPipeline[] = "torture";

struct Options {
  std::string rapportd;
  std::string plugin_dir;
  int rounds = 20;
  bool sync = false;
  int clients = 4;
  int min_ms = 300;
  int max_ms = 1500;
  uint64_t seed = 0;
  // Tests the checker: after each restart, deletes one acknowledged
  // customer behind the model's back, which the check must report lost.
  bool inject_loss = false;
};

// What the server acknowledged, per record. `uncertain`: a call on the
// record was in flight when the server was killed, so it may or may not
// have been applied (the next check takes whichever it finds and goes on
// from there).
struct CustomerState {
  int64_t revision = 0;
  bool deleted = false;
  bool uncertain = false;
};
struct OpportunityState {
  int64_t revision = 0;
  std::string stage;
  bool uncertain = false;
};

struct Model {
  std::mutex mu;
  std::map<std::string, CustomerState> customers;
  std::map<std::string, OpportunityState> opportunities;
  std::set<std::string> interactions;
  std::set<std::string> imported_refs;  // "torture-import" external ids
  uint64_t acked_this_round = 0;
};

struct RoundResult {
  int killed_after_ms = 0;
  uint64_t acked = 0;
  uint64_t lost = 0;
  uint64_t unexpected_errors = 0;
  bool consistent = false;
  bool funnel_equal = false;
  double restart_seconds = 0;
  std::vector<std::string> problems;
};

std::string g_token;

std::unique_ptr<grpc::ClientContext> Call(int seconds = 5) {
  return bench::BearerContext(g_token, seconds);
}

struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& channel)
      : customers(v1::CustomerService::NewStub(channel)),
        interactions(v1::InteractionService::NewStub(channel)),
        opportunities(v1::OpportunityService::NewStub(channel)),
        data(v1::DataService::NewStub(channel)),
        admin(v1::AdminService::NewStub(channel)),
        modules(v1::ModuleService::NewStub(channel)),
        sales(sfa::v1::SalesService::NewStub(channel)) {}
  std::unique_ptr<v1::CustomerService::Stub> customers;
  std::unique_ptr<v1::InteractionService::Stub> interactions;
  std::unique_ptr<v1::OpportunityService::Stub> opportunities;
  std::unique_ptr<v1::DataService::Stub> data;
  std::unique_ptr<v1::AdminService::Stub> admin;
  std::unique_ptr<v1::ModuleService::Stub> modules;
  std::unique_ptr<sfa::v1::SalesService::Stub> sales;
};

// One client's load until `killed`. Each client works on its own records,
// so the model knows each record's exact acknowledged state.
class Client {
 public:
  Client(int index, uint64_t seed, Stubs& stubs, Model& model, const std::atomic<bool>& killed,
         int round)
      : index_(index), rng_(seed), stubs_(stubs), model_(model), killed_(killed), round_(round) {}

  uint64_t unexpected_errors() const { return unexpected_; }
  const std::vector<std::string>& errors() const { return errors_; }

  void Run() {
    for (int step = 0; step < 1'000'000 && !killed_.load(); ++step) {
      const int op = static_cast<int>(rng_() % 100);
      bool go_on;
      if (mine_customers_.empty() || op < 20) {
        go_on = CreateCustomer(step);
      } else if (op < 35) {
        go_on = UpdateCustomer();
      } else if (op < 40) {
        go_on = DeleteCustomer();
      } else if (op < 55) {
        go_on = LogInteraction();
      } else if (op < 70 || mine_opportunities_.empty()) {
        go_on = CreateOpportunity(step);
      } else if (op < 95) {
        go_on = MoveStage();
      } else {
        go_on = Import(step);
      }
      if (!go_on) return;
    }
  }

 private:
  // True to go on. A failure after the kill ends the client; before it, it
  // is unexpected and counted.
  bool Check(const grpc::Status& status, const char* what) {
    if (status.ok()) return true;
    if (killed_.load()) return false;
    ++unexpected_;
    if (errors_.size() < 5) {
      errors_.push_back(absl::StrCat(what, ": ", status.error_code(), " ", status.error_message()));
    }
    return !killed_.load();
  }

  void Acked() {
    std::lock_guard<std::mutex> lock(model_.mu);
    ++model_.acked_this_round;
  }

  std::string Pick(const std::vector<std::string>& ids) { return ids[rng_() % ids.size()]; }

  bool CreateCustomer(int step) {
    v1::CreateCustomerRequest request;
    request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_PERSON);
    request.mutable_customer()->set_display_name(
        absl::StrCat("고문 ", round_, "-", index_, "-", step));
    request.mutable_customer()->add_phones(
        absl::StrCat("+82 10-", 1000 + index_, "-", 1000 + step % 9000));
    v1::Customer out;
    grpc::Status status = stubs_.customers->CreateCustomer(Call().get(), request, &out);
    if (!Check(status, "CreateCustomer")) return false;
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(model_.mu);
      model_.customers[out.id()] = {out.revision(), false, false};
      ++model_.acked_this_round;
      mine_customers_.push_back(out.id());
    }
    return true;
  }

  bool UpdateCustomer() {
    const std::string id = Pick(mine_customers_);
    v1::UpdateCustomerRequest request;
    request.mutable_customer()->set_id(id);
    request.mutable_customer()->set_owner(absl::StrCat("rep-", rng_() % 10));
    request.mutable_update_mask()->add_paths("owner");
    Mark(id);
    v1::Customer out;
    grpc::Status status = stubs_.customers->UpdateCustomer(Call().get(), request, &out);
    if (!Check(status, "UpdateCustomer")) return false;
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(model_.mu);
      model_.customers[id] = {out.revision(), false, false};
      ++model_.acked_this_round;
    }
    return true;
  }

  bool DeleteCustomer() {
    // Only customers without deals or interactions of this client, so the
    // delete is never refused for references.
    for (size_t i = 0; i < mine_customers_.size(); ++i) {
      const std::string id = mine_customers_[i];
      if (referenced_.count(id)) continue;
      v1::DeleteCustomerRequest request;
      request.set_id(id);
      Mark(id);
      google::protobuf::Empty none;
      grpc::Status status = stubs_.customers->DeleteCustomer(Call().get(), request, &none);
      if (!Check(status, "DeleteCustomer")) return false;
      if (status.ok()) {
        std::lock_guard<std::mutex> lock(model_.mu);
        model_.customers[id].deleted = true;
        model_.customers[id].uncertain = false;
        ++model_.acked_this_round;
        mine_customers_.erase(mine_customers_.begin() + static_cast<long>(i));
      }
      return true;
    }
    return true;
  }

  bool LogInteraction() {
    const std::string customer = Pick(mine_customers_);
    v1::CreateInteractionRequest request;
    request.mutable_interaction()->set_kind(v1::INTERACTION_KIND_CALL);
    request.mutable_interaction()->set_customer_id(customer);
    request.mutable_interaction()->set_subject("통화 기록");
    referenced_.insert(customer);
    v1::Interaction out;
    grpc::Status status = stubs_.interactions->CreateInteraction(Call().get(), request, &out);
    if (!Check(status, "CreateInteraction")) return false;
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(model_.mu);
      model_.interactions.insert(out.id());
      ++model_.acked_this_round;
    }
    return true;
  }

  bool CreateOpportunity(int step) {
    const std::string customer = Pick(mine_customers_);
    v1::CreateOpportunityRequest request;
    v1::Opportunity* o = request.mutable_opportunity();
    o->set_customer_id(customer);
    o->set_name(absl::StrCat("거래 ", round_, "-", index_, "-", step));
    o->set_pipeline(kPipeline);
    o->set_stage(kStages[rng_() % 3]);
    o->set_close_reason("torture");
    o->mutable_amount()->set_currency_code(rng_() % 3 == 0 ? "USD" : "KRW");
    o->mutable_amount()->set_units(static_cast<int64_t>(rng_() % 1'000'000));
    referenced_.insert(customer);
    v1::Opportunity out;
    grpc::Status status = stubs_.opportunities->CreateOpportunity(Call().get(), request, &out);
    if (!Check(status, "CreateOpportunity")) return false;
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(model_.mu);
      model_.opportunities[out.id()] = {out.revision(), out.stage(), false};
      ++model_.acked_this_round;
      mine_opportunities_.push_back(out.id());
    }
    return true;
  }

  // A stage move: the SFA module's hooks check it and keep its funnel.
  bool MoveStage() {
    const std::string id = Pick(mine_opportunities_);
    v1::UpdateOpportunityRequest request;
    request.mutable_opportunity()->set_id(id);
    request.mutable_opportunity()->set_stage(kStages[rng_() % kStages.size()]);
    request.mutable_update_mask()->add_paths("stage");
    {
      std::lock_guard<std::mutex> lock(model_.mu);
      model_.opportunities[id].uncertain = true;
    }
    v1::Opportunity out;
    grpc::Status status = stubs_.opportunities->UpdateOpportunity(Call().get(), request, &out);
    if (!Check(status, "UpdateOpportunity")) return false;
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(model_.mu);
      model_.opportunities[id] = {out.revision(), out.stage(), false};
      ++model_.acked_this_round;
    }
    return true;
  }

  // A bulk import of 20 customers, each with its own external ref; all or
  // none of them are acknowledged (with the summary).
  bool Import(int step) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + g_token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ImportSummary summary;
    auto writer = stubs_.data->Import(&ctx, &summary);
    v1::ImportRequest header;
    header.mutable_header()->set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
    header.mutable_header()->set_source("torture");
    bool ok = writer->Write(header);
    std::vector<std::string> refs;
    for (int i = 0; ok && i < 20; ++i) {
      const std::string ref = absl::StrCat("r", round_, "-c", index_, "-s", step, "-", i);
      v1::ImportRequest row;
      row.mutable_row()->set_line(static_cast<uint64_t>(i + 1));
      v1::Customer* c = row.mutable_row()->mutable_customer();
      c->set_kind(v1::CUSTOMER_KIND_ORGANIZATION);
      c->set_display_name(absl::StrCat("(주)고문 ", ref));
      (*c->mutable_external_refs())["torture-import"] = ref;
      ok = writer->Write(row);
      refs.push_back(ref);
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!Check(status, "Import")) return false;
    if (status.ok()) {
      if (summary.created() != refs.size()) {
        ++unexpected_;
        errors_.push_back(absl::StrCat("Import created ", summary.created(), " of ", refs.size()));
        return true;
      }
      std::lock_guard<std::mutex> lock(model_.mu);
      for (auto& r : refs) model_.imported_refs.insert(r);
      ++model_.acked_this_round;
    }
    return true;
  }

  void Mark(const std::string& customer) {
    std::lock_guard<std::mutex> lock(model_.mu);
    model_.customers[customer].uncertain = true;
  }

  int index_;
  std::mt19937_64 rng_;
  Stubs& stubs_;
  Model& model_;
  const std::atomic<bool>& killed_;
  int round_;
  std::vector<std::string> mine_customers_;
  std::vector<std::string> mine_opportunities_;
  std::set<std::string> referenced_;
  uint64_t unexpected_ = 0;
  std::vector<std::string> errors_;
};

void Problem(RoundResult* r, std::string text) {
  ++r->lost;
  if (r->problems.size() < 10) r->problems.push_back(std::move(text));
}

// Checks every acknowledged write against the restarted server, then
// settles the uncertain records at what the server holds.
void CheckWrites(Stubs& stubs, Model& model, RoundResult* result) {
  std::lock_guard<std::mutex> lock(model.mu);
  for (auto it = model.customers.begin(); it != model.customers.end();) {
    auto& [id, state] = *it;
    v1::GetCustomerRequest request;
    request.set_id(id);
    v1::Customer got;
    grpc::Status s = stubs.customers->GetCustomer(Call().get(), request, &got);
    if (state.deleted) {
      if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
        Problem(result, absl::StrCat("customer ", id, " was deleted (acknowledged) but is ",
                                     s.ok() ? "there" : s.error_message()));
      }
      it = model.customers.erase(it);
      continue;
    }
    if (!s.ok()) {
      if (state.uncertain && s.error_code() == grpc::StatusCode::NOT_FOUND) {
        it = model.customers.erase(it);  // the delete in flight was applied
        continue;
      }
      Problem(result, absl::StrCat("customer ", id, " (revision ", state.revision,
                                   " acknowledged): ", s.error_message()));
    } else if (got.revision() < state.revision ||
               got.revision() > state.revision + (state.uncertain ? 1 : 0)) {
      Problem(result, absl::StrCat("customer ", id, " is at revision ", got.revision(),
                                   "; acknowledged ", state.revision));
    } else {
      state.revision = got.revision();
    }
    state.uncertain = false;
    ++it;
  }
  for (auto& [id, state] : model.opportunities) {
    v1::GetOpportunityRequest request;
    request.set_id(id);
    v1::Opportunity got;
    grpc::Status s = stubs.opportunities->GetOpportunity(Call().get(), request, &got);
    if (!s.ok()) {
      Problem(result, absl::StrCat("opportunity ", id, ": ", s.error_message()));
    } else if (got.revision() < state.revision ||
               got.revision() > state.revision + (state.uncertain ? 1 : 0) ||
               (!state.uncertain && got.stage() != state.stage)) {
      Problem(result,
              absl::StrCat("opportunity ", id, " is at revision ", got.revision(), " in ",
                           got.stage(), "; acknowledged ", state.revision, " in ", state.stage));
    } else {
      state = {got.revision(), got.stage(), false};
    }
  }
  for (const auto& id : model.interactions) {
    v1::GetInteractionRequest request;
    request.set_id(id);
    v1::Interaction got;
    grpc::Status s = stubs.interactions->GetInteraction(Call().get(), request, &got);
    if (!s.ok()) Problem(result, absl::StrCat("interaction ", id, ": ", s.error_message()));
  }
  for (const auto& ref : model.imported_refs) {
    v1::GetCustomerByExternalRefRequest request;
    request.set_system("torture-import");
    request.set_external_id(ref);
    v1::Customer got;
    grpc::Status s = stubs.customers->GetCustomerByExternalRef(Call().get(), request, &got);
    if (!s.ok()) Problem(result, absl::StrCat("imported ", ref, ": ", s.error_message()));
  }
}

// Deletes one customer the model holds as present (--inject-loss).
void InjectLoss(Stubs& stubs, Model& model) {
  std::lock_guard<std::mutex> lock(model.mu);
  for (const auto& [id, state] : model.customers) {
    if (state.deleted) continue;
    v1::DeleteCustomerRequest request;
    request.set_id(id);
    google::protobuf::Empty none;
    if (stubs.customers->DeleteCustomer(Call().get(), request, &none).ok()) {
      std::printf("    (--inject-loss: deleted customer %s behind the checker's back)\n",
                  id.c_str());
      return;
    }
  }
}

using Cells = std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>>;

Cells CellsFromRecords(Stubs& stubs, bool* ok) {
  Cells cells;
  std::string token;
  do {
    v1::ListOpportunitiesRequest request;
    request.set_page_size(500);
    request.set_page_token(token);
    v1::ListOpportunitiesResponse page;
    grpc::Status s = stubs.opportunities->ListOpportunities(Call(20).get(), request, &page);
    if (!s.ok()) {
      *ok = false;
      return cells;
    }
    for (const auto& o : page.opportunities()) {
      auto& cell = cells[{o.stage(), o.amount().currency_code()}];
      ++cell.first;
      cell.second += o.amount().units();
    }
    token = page.next_page_token();
  } while (!token.empty());
  return cells;
}

Cells CellsFromFunnel(Stubs& stubs, bool* ok) {
  Cells cells;
  sfa::v1::GetFunnelRequest request;
  request.set_pipeline(kPipeline);
  sfa::v1::GetFunnelResponse funnel;
  grpc::Status s = stubs.sales->GetFunnel(Call().get(), request, &funnel);
  if (!s.ok()) {
    *ok = false;
    return cells;
  }
  for (const auto& stage : funnel.stages()) {
    for (const auto& t : stage.totals()) {
      if (t.count() != 0 || t.amount_units() != 0) {
        cells[{stage.name(), t.currency_code()}] = {t.count(), t.amount_units()};
      }
    }
  }
  return cells;
}

// The funnel equals the records' count within 30 s (the post-commit hooks
// resume from their cursor after the restart).
bool FunnelCatchesUp(Stubs& stubs) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    bool ok = true;
    Cells expected = CellsFromRecords(stubs, &ok);
    Cells got = CellsFromFunnel(stubs, &ok);
    if (ok && expected == got) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

bool Setup(Stubs& stubs) {
  grpc::Status s = bench::EnableModule(*stubs.modules, g_token, "sfa");
  if (!s.ok()) {
    std::fprintf(stderr, "torture: SetRollout sfa: %s\n", s.error_message().c_str());
    return false;
  }
  s = bench::SetUpPipeline(*stubs.sales, g_token, kPipeline);
  if (!s.ok()) {
    std::fprintf(stderr, "torture: SetPipeline: %s\n", s.error_message().c_str());
    return false;
  }
  return true;
}

int Run(const Options& options) {
  const fs::path data = fs::temp_directory_path() /
                        absl::StrCat("rapport-torture-", getpid(), options.sync ? "-sync" : "");
  fs::remove_all(data);
  std::vector<std::string> flags = {"--plugin-dir", options.plugin_dir, "--grpc-max-pollers", "16"};
  if (options.sync) flags.push_back("--sync");
  std::mt19937_64 rng(options.seed);
  Model model;
  std::vector<RoundResult> results;
  bool failed = false;
  std::printf("torture: %d rounds, %s, %d clients, kill after %d..%d ms, seed %llu, data %s\n",
              options.rounds, options.sync ? "--sync" : "no --sync", options.clients,
              options.min_ms, options.max_ms, static_cast<unsigned long long>(options.seed),
              data.c_str());
  std::printf(
      "| round | killed after ms | writes acked | lost | unexpected errors | consistent | "
      "funnel = records | restart s |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::fflush(stdout);
  for (int round = 0; round <= options.rounds; ++round) {
    // Round r's server checks round r-1's writes (after its kill), then
    // takes round r's load; the last start only checks.
    const auto started = Clock::now();
    testing::RapportdProcess server(
        options.rapportd, data.string(), flags,
        (data.parent_path() / absl::StrCat(data.filename().string(), ".log")).string());
    if (server.address().empty()) {
      std::fprintf(stderr, "torture: rapportd did not start (round %d); its log: %s.log\n", round,
                   data.c_str());
      return 1;
    }
    if (g_token.empty()) {
      std::ifstream token_file(data / "admin.token");
      std::getline(token_file, g_token);
    }
    auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    Stubs stubs(channel);
    if (round == 0 && !Setup(stubs)) return 1;
    if (round > 0) {
      RoundResult& last = results.back();
      last.restart_seconds = std::chrono::duration<double>(Clock::now() - started).count();
      if (options.inject_loss) InjectLoss(stubs, model);
      CheckWrites(stubs, model, &last);
      v1::CheckConsistencyRequest fsck;
      v1::CheckConsistencyResponse report;
      grpc::Status s = stubs.admin->CheckConsistency(Call(120).get(), fsck, &report);
      last.consistent = s.ok() && report.consistent();
      if (!last.consistent) {
        last.problems.push_back(
            s.ok() ? absl::StrCat("fsck: ", report.problems_size(), " problems, first: ",
                                  report.problems_size() ? report.problems(0).detail() : "")
                   : absl::StrCat("CheckConsistency: ", s.error_message()));
      }
      last.funnel_equal = FunnelCatchesUp(stubs);
      if (!last.funnel_equal) last.problems.push_back("the SFA funnel did not match the records");
      std::printf(
          "| %d | %d | %llu | %llu | %llu | %s | %s | %.2f |\n", round, last.killed_after_ms,
          static_cast<unsigned long long>(last.acked), static_cast<unsigned long long>(last.lost),
          static_cast<unsigned long long>(last.unexpected_errors), last.consistent ? "yes" : "NO",
          last.funnel_equal ? "yes" : "NO", last.restart_seconds);
      for (const auto& p : last.problems) std::printf("    %s\n", p.c_str());
      std::fflush(stdout);
      if (last.lost || last.unexpected_errors || !last.consistent || !last.funnel_equal) {
        failed = true;
      }
    }
    if (round == options.rounds) {
      server.TerminateAndWait(std::chrono::seconds(20));
      break;
    }
    std::atomic<bool> killed{false};
    {
      std::lock_guard<std::mutex> lock(model.mu);
      model.acked_this_round = 0;
    }
    std::vector<std::unique_ptr<Client>> clients;
    std::vector<std::thread> threads;
    for (int c = 0; c < options.clients; ++c) {
      clients.push_back(std::make_unique<Client>(c, rng(), stubs, model, killed, round));
      threads.emplace_back([client = clients.back().get()] { client->Run(); });
    }
    const int after_ms =
        options.min_ms +
        static_cast<int>(rng() % static_cast<uint64_t>(options.max_ms - options.min_ms + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    // Flag first: a call failing from here on is the kill's doing.
    killed.store(true);
    server.KillAndWait(SIGKILL);
    for (auto& t : threads) t.join();
    RoundResult result;
    result.killed_after_ms = after_ms;
    {
      std::lock_guard<std::mutex> lock(model.mu);
      result.acked = model.acked_this_round;
    }
    for (auto& c : clients) {
      result.unexpected_errors += c->unexpected_errors();
      for (const auto& e : c->errors()) result.problems.push_back(e);
    }
    results.push_back(std::move(result));
  }
  uint64_t acked = 0, lost = 0;
  int consistent = 0, funnel = 0;
  for (const auto& r : results) {
    acked += r.acked;
    lost += r.lost;
    consistent += r.consistent;
    funnel += r.funnel_equal;
  }
  std::printf(
      "torture: %zu rounds survived of %d, %llu writes acknowledged, %llu lost, "
      "consistent after %d, funnel equal after %d: %s\n",
      results.size(), options.rounds, static_cast<unsigned long long>(acked),
      static_cast<unsigned long long>(lost), consistent, funnel, failed ? "FAILED" : "passed");
  if (!failed) {
    fs::remove_all(data);
    fs::remove(data.parent_path() / absl::StrCat(data.filename().string(), ".log"));
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace rapport::torture

int main(int argc, char** argv) {
  rapport::torture::Options options;
  CLI::App app{
      "rapport_torture: SIGKILL rapportd under a mixed load, round after round, and "
      "check that no acknowledged write is lost"};
  app.add_option("--rapportd", options.rapportd, "the rapportd binary")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--plugin-dir", options.plugin_dir, "modules to load (must hold sfa)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--rounds", options.rounds, "kills")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_flag("--sync", options.sync, "run rapportd with --sync");
  app.add_option("--clients", options.clients, "concurrent clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--min-ms", options.min_ms, "earliest kill after the load starts")
      ->capture_default_str()
      ->check(CLI::Range(1, 60'000));
  app.add_option("--max-ms", options.max_ms, "latest kill after the load starts")
      ->capture_default_str()
      ->check(CLI::Range(1, 60'000));
  app.add_option("--seed", options.seed, "random seed (default: from the clock)");
  app.add_flag("--inject-loss", options.inject_loss,
               "test the checker: delete an acknowledged customer after each restart (the run "
               "must then fail)");
  CLI11_PARSE(app, argc, argv);
  if (options.max_ms < options.min_ms) {
    std::fprintf(stderr, "torture: --max-ms (%d) is below --min-ms (%d)\n", options.max_ms,
                 options.min_ms);
    return 2;
  }
  if (options.seed == 0) {
    options.seed =
        static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
  if (!std::filesystem::exists(std::filesystem::path(options.plugin_dir) / "sfa.so")) {
    std::fprintf(stderr, "torture: no sfa.so in %s\n", options.plugin_dir.c_str());
    return 2;
  }
  return rapport::torture::Run(options);
}
