// File: tools/rapportctl/commands.h
//
// rapportctl's commands, one file per job. Each Add*Commands adds its
// subcommands to the app; the one the command line names records, in
// `chosen`, what main runs once the command line is parsed (with the token
// resolved and the channel open).
//
//   records_commands.cc   customers, interactions, opportunities, schema
//   call_command.cc       call SERVICE/METHOD (any unary method, found by
//                         server reflection: reflection_client.h) and its
//                         alias sfa METHOD
//   admin_commands.cc     fsck, health
//   identity_commands.cc  whoami, tenants, users, teams, tokens, audit
//   sync_commands.cc      import, export, duplicates, merge, feed
//   modules_commands.cc   modules
#ifndef RAPPORT_TOOLS_RAPPORTCTL_COMMANDS_H_
#define RAPPORT_TOOLS_RAPPORTCTL_COMMANDS_H_

#include <functional>
#include <utility>

#include "CLI/CLI.hpp"
#include "grpcpp/grpcpp.h"
#include "tools/rapportctl/connection.h"
#include "tools/rapportctl/output.h"

namespace rapport::ctl {

// The command to run; returns the exit code.
struct Command {
  std::function<int()> run;
  bool needs_token = true;  // health asks without one
};

// When `sub` is the command parsed, `run` is what runs.
inline void OnParsed(CLI::App* sub, Command* chosen, std::function<int()> run) {
  sub->callback([chosen, run = std::move(run)] { chosen->run = run; });
}

// Calls one unary method with `request` and prints the answer
// (PrintRecord); returns the exit code.
template <typename Stub, typename Request, typename Response>
int CallAndPrint(Stub& stub,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                 const Request& request) {
  Response out;
  grpc::Status s = (stub.*method)(Call().get(), request, &out);
  if (!s.ok()) return Fail(s);
  PrintRecord(out);
  return 0;
}

void AddRecordsCommands(CLI::App& app, Command* chosen);
void AddCallCommands(CLI::App& app, Command* chosen);
void AddAdminCommands(CLI::App& app, Command* chosen);
void AddBackupCommands(CLI::App& app, Command* chosen);
void AddIdentityCommands(CLI::App& app, Command* chosen);
void AddSyncCommands(CLI::App& app, Command* chosen);
void AddModulesCommands(CLI::App& app, Command* chosen);
void AddVocCommands(CLI::App& app, Command* chosen);

// call_command.cc: one unary method of any service, found by reflection,
// with `json` as its request; the answer is printed, or its JSON stored in
// `*json_out`. Returns the exit code (errors are printed).
int CallMethod(const std::string& target, const std::string& json, std::string* json_out = nullptr);

}  // namespace rapport::ctl

#endif  // RAPPORT_TOOLS_RAPPORTCTL_COMMANDS_H_
