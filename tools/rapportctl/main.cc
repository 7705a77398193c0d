// rapportctl: the command-line client for rapportd.
//
//   rapportctl [--server HOST:PORT] [--token-file F] [--output table|json] COMMAND ...
//
// The bearer token comes from --token-file, else $RAPPORT_TOKEN, else
// $RAPPORT_TOKEN_FILE, else ./data/admin.token. TLS: --tls-ca (server CA),
// plus --tls-cert/--tls-key for mutual TLS.
//
//   customers create --display-name NAME [--email E]... [--phone P]... [--json '{...}']
//   customers get ID | by-ref SYSTEM ID | list [--filter F] [--order-by O] [--page-size N] [--all]
//   customers search QUERY | update ID --json '{...}' --mask a,b [--revision N]
//   customers delete ID [--force] [--revision N] | batch-upsert --json '[{...}, ...]'
//   interactions ... / opportunities ...   (same verbs; create takes --json)
//   schema get TYPE | schema set --json '{...}'
//   call SERVICE/METHOD [--json '{...}']   any unary method the server exposes,
//                 the core's or a loaded module's, found through server
//                 reflection; request and response in the proto's JSON form
//                 (-o table: text format), e.g.
//                 call rapport.sfa.v1.SalesService/GetFunnel --json '{"pipeline": "default"}'
//   sfa METHOD [--json '{...}']   short for call rapport.sfa.v1.SalesService/METHOD
//   fsck          check record <-> index <-> feed consistency for the tenant
//   health        ask the server's grpc.health.v1 service
//   backup DIR    online backup of the whole server into DIR, an absolute path
//                 on the server's machine (operator)
//   restore BACKUP_DIR DATA_DIR [--backup-id N]   verify and restore a backup
//                 into a new data directory, locally, no server involved
//   whoami | tenants create NAME | tenants list
//   users create ID --role R... [--team T]... | users get ID | users list | users update ID ...
//   teams create ID [--parent P] | teams list | teams update ID --parent P | teams delete ID
//   tokens create --user U --name N [--purpose P] [--expires-in-days D] | tokens list
//   tokens revoke ID
//   audit         denied calls in the tenant, newest first
//   import FILE.csv|FILE.jsonl --type T [--mapping M.json] [--ignore-column C]...
//                 [--block-duplicates]
//   export --type T [--format csv|jsonl] [--filter F] [--out FILE]
//   duplicates --name N [--email E] [--phone P] [--organization] | merge SURVIVOR MERGED
//   feed info [--consumer C] | feed tail [--after N] [--max N] [--exclude-origin O]
//   modules list | show NAME | enable NAME | disable NAME | shadow NAME | check NAME [--user U]
//   modules rollout NAME [--percentage P] [--team T]... [--user U]... [--mode on|shadow]
//                 [--default on|shadow|off] [--kill-switch | --no-kill-switch]
//   modules dead-letters NAME | replay NAME | history NAME
//   modules backfill NAME [--wait-seconds N] | backfill-status NAME
//
// Exit codes: 0 ok, 1 the server refused (message and field violations on
// stderr), 2 usage error, 3 server unreachable. The commands are in
// tools/rapportctl/*_commands.cc (see commands.h).
#include "CLI/CLI.hpp"
#include "tools/rapportctl/commands.h"
#include "tools/rapportctl/connection.h"
#include "tools/rapportctl/human_text.h"

int main(int argc, char** argv) {
  using namespace rapport::ctl;
  CLI::App app{"rapportctl: command-line client for rapportd"};
  app.require_subcommand(1);
  AddGlobalOptions(app);
  Command chosen;
  AddRecordsCommands(app, &chosen);
  AddCallCommands(app, &chosen);
  AddAdminCommands(app, &chosen);
  AddBackupCommands(app, &chosen);
  AddIdentityCommands(app, &chosen);
  AddSyncCommands(app, &chosen);
  AddModulesCommands(app, &chosen);
  AddVocCommands(app, &chosen);

  CLI11_PARSE(app, argc, argv);
  g.output_set = app.count("--output") > 0;
  if (int rc = SetDisplayZone(g.time_zone); rc != 0) return rc;
  if (!chosen.run) return 2;
  if (chosen.needs_token) {
    if (int rc = ResolveToken(); rc != 0) return rc;
  }
  if (int rc = OpenChannel(); rc != 0) return rc;
  return chosen.run();
}
