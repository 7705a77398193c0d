// rapportctl fsck (rapport.v1.AdminService) and health (grpc.health.v1).
#include <chrono>
#include <iostream>
#include <memory>

#include "grpc/health/v1/health.grpc.pb.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "tools/rapportctl/commands.h"

namespace rapport::ctl {
namespace {

int Fsck(int max_problems) {
  auto stub = v1::AdminService::NewStub(channel);
  v1::CheckConsistencyRequest r;
  r.set_max_problems(max_problems);
  v1::CheckConsistencyResponse out;
  grpc::Status s = stub->CheckConsistency(Call().get(), r, &out);
  if (!s.ok()) return Fail(s);
  if (g.output == "json") {
    std::cout << Json(out);
  } else {
    std::cout << (out.consistent() ? "consistent" : "INCONSISTENT") << ": " << out.records_checked()
              << " records, " << out.index_entries_checked() << " index entries, "
              << out.feed_events_checked() << " feed events checked\n";
    for (const auto& p : out.problems()) {
      std::cout << "  " << v1::ConsistencyProblemKind_Name(p.kind()) << " " << p.resource_id()
                << ": " << p.detail() << "\n";
    }
  }
  return out.consistent() ? 0 : 1;
}

int Health() {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse out;
  grpc::Status s = stub->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &out);
  if (!s.ok()) return Fail(s);
  const bool serving = out.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  std::cout << (serving ? "SERVING" : "NOT SERVING") << "\n";
  return serving ? 0 : 1;
}

}  // namespace

void AddAdminCommands(CLI::App& app, Command* chosen) {
  auto* fsck = app.add_subcommand("fsck", "check record <-> index <-> feed consistency");
  auto max_problems = std::make_shared<int>(0);
  fsck->add_option("--max-problems", *max_problems, "stop after this many (default 100)");
  OnParsed(fsck, chosen, [max_problems] { return Fsck(*max_problems); });
  auto* health = app.add_subcommand("health", "ask grpc.health.v1 whether the server serves");
  health->callback([chosen] {
    chosen->run = Health;
    chosen->needs_token = false;
  });
}

}  // namespace rapport::ctl
