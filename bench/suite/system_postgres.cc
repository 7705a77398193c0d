// File: bench/suite/system_postgres.cc
//
// Baseline B2: PostgreSQL 15 (Debian's postgresql-15), started by the
// benchmark in a temporary directory (as an unprivileged user when we are
// root: PostgreSQL refuses to run as root), reached over its Unix socket
// through libpq with prepared statements. The schema mirrors Rapport's
// records and secondary indexes (docs/filter.md): one table per resource,
// one index per Rapport index, a side table for the name search keys (the
// same keys Rapport derives, so the same prefix queries find the same
// customers), and foreign keys for the references Rapport checks. Loaded with
// COPY; bulk import is COPY too. synchronous_commit is off by default and on
// with --sync. It writes no change feed and no idempotency records (Rapport
// writes both in every write): that favours PostgreSQL on writes.
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/suite/bench.h"
#include "bench/suite/parallel.h"
#include "bench/suite/postgres_sql.h"
#include "bench/suite/process.h"
#include "core/ids/ulid.h"
#include "core/validation/text.h"
#include "google/protobuf/util/time_util.h"

namespace rapport::bench {
namespace {

using pg::AppendCopyRow;
using pg::ArrayLiteral;
using pg::Check;
using pg::Conn;
using pg::Consume;
using pg::Copy;
using pg::CustomerColumns;
using pg::Exec;
using pg::InteractionColumns;
using pg::kIndexes;
using pg::kSchema;
using pg::Now;
using pg::OpportunityRow;
using pg::PrepareStatements;
using pg::Result;
using pg::RunPrepared;
using pg::Value;

class PostgresSystem;

class PostgresClient : public Client {
 public:
  PostgresClient(PostgresSystem* system, Conn conn) : system_(system), conn_(std::move(conn)) {}
  absl::Status Run(const Op& op) override;

 private:
  absl::StatusOr<Result> Prepared(const char* name, const std::vector<Value>& params);
  PostgresSystem* system_;
  Conn conn_;
};

class PostgresSystem : public PostgresDatabase {
 public:
  PostgresSystem(const SystemConfig& config, const std::string& work_subdir,
                 std::optional<std::pair<uid_t, gid_t>> user, std::string user_name)
      : config_(config), user_(user), user_name_(std::move(user_name)) {
    dir_ = config.work_dir + "/" + work_subdir;
    data_ = dir_ + "/data";
    conninfo_ = absl::StrCat("host=", dir_, " user=bench dbname=postgres");
  }
  std::string name() const override { return "b2_postgres"; }
  std::string description() const override {
    return absl::StrCat(PostgresVersion(config_.pg_bin), " in its own processes (as ", user_name_,
                        "), Unix socket, libpq prepared statements, shared_buffers ",
                        config_.block_cache_mib, "MB, synchronous_commit ",
                        config_.sync ? "on" : "off", ", locale C, jit off");
  }

  absl::Status Start() override {
    std::filesystem::create_directories(dir_);
    if (user_) {
      if (chown(dir_.c_str(), user_->first, user_->second) != 0) {
        return absl::InternalError(absl::StrCat("chown ", dir_, " to ", user_name_));
      }
    }
    SpawnOptions spawn;
    spawn.user = user_;
    spawn.log_file = dir_ + "/initdb.log";
    auto initdb = ChildProcess::Spawn({config_.pg_bin + "/initdb", "-D", data_, "-U", "bench", "-A",
                                       "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                                      spawn);
    if (!initdb.ok()) return initdb.status();
    int status = initdb->Wait(300000);
    if (status != 0) {
      return absl::UnavailableError(
          absl::StrCat("initdb failed (exit status ", status, "), see ", spawn.log_file));
    }
    spawn.log_file = dir_ + "/postgres.log";
    auto server =
        ChildProcess::Spawn({config_.pg_bin + "/postgres",
                             "-D",
                             data_,
                             "-k",
                             dir_,
                             "-c",
                             "listen_addresses=",
                             "-c",
                             absl::StrCat("shared_buffers=", config_.block_cache_mib, "MB"),
                             "-c",
                             absl::StrCat("synchronous_commit=", config_.sync ? "on" : "off"),
                             "-c",
                             "max_connections=300",
                             "-c",
                             "jit=off",
                             "-c",
                             "fsync=on",
                             "-c",
                             "logging_collector=off",
                             "-c",
                             "log_min_messages=warning"},
                            spawn);
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (PQping(conninfo_.c_str()) != PQPING_OK) {
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::UnavailableError("postgres did not start; see " + spawn.log_file);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto conn = Connect();
    if (!conn.ok()) return conn.status();
    return Exec(conn->get(), kSchema);
  }

  absl::Status Load(const Dataset& data, int threads, LoadReport* report) override {
    auto t0 = std::chrono::steady_clock::now();
    auto phase_start = t0;
    auto phase = [&](const char* name) {
      auto now = std::chrono::steady_clock::now();
      report->phases.emplace_back(name, std::chrono::duration<double>(now - phase_start).count());
      phase_start = now;
    };
    customer_ids_.assign(static_cast<size_t>(data.customers()), "");
    opportunity_ids_.assign(static_cast<size_t>(data.opportunities()), "");
    constexpr int64_t kChunk = 5000;
    auto s = ParallelChunks(data.customers(), kChunk, threads, [&](int64_t b, int64_t e) {
      auto conn = Connect();
      if (!conn.ok()) return conn.status();
      std::string rows, keys;
      const std::string now = Now();
      for (int64_t i = b; i < e; ++i) {
        v1::Customer c = data.Customer(i);
        std::string id = NewId();
        std::vector<Value> row = {id};
        for (auto& v : CustomerColumns(c)) row.push_back(std::move(v));
        row.push_back("1");
        row.push_back(now);
        row.push_back(now);
        AppendCopyRow(row, &rows);
        for (const auto& k : validation::SearchKeysForName(c.display_name())) {
          AppendCopyRow({k, id}, &keys);
        }
        customer_ids_[static_cast<size_t>(i)] = std::move(id);
      }
      auto st = Copy(conn->get(), "COPY customers FROM STDIN", rows);
      if (st.ok()) st = Copy(conn->get(), "COPY customer_search FROM STDIN", keys);
      return st;
    });
    if (!s.ok()) return s;
    phase("customers");
    s = ParallelChunks(data.interactions(), kChunk, threads, [&](int64_t b, int64_t e) {
      auto conn = Connect();
      if (!conn.ok()) return conn.status();
      std::string rows;
      const std::string now = Now();
      for (int64_t j = b; j < e; ++j) {
        v1::Interaction in = data.Interaction(j);
        std::vector<Value> row = {NewId()};
        for (auto& v : InteractionColumns(
                 in, customer_ids_[static_cast<size_t>(data.InteractionCustomer(j))])) {
          row.push_back(std::move(v));
        }
        row.push_back("1");
        row.push_back(now);
        row.push_back(now);
        AppendCopyRow(row, &rows);
      }
      return Copy(conn->get(), "COPY interactions FROM STDIN", rows);
    });
    if (!s.ok()) return s;
    phase("interactions");
    s = ParallelChunks(data.opportunities(), kChunk, threads, [&](int64_t b, int64_t e) {
      auto conn = Connect();
      if (!conn.ok()) return conn.status();
      std::string rows;
      const std::string now = Now();
      for (int64_t k = b; k < e; ++k) {
        std::string id = NewId();
        AppendCopyRow(
            OpportunityRow(data.Opportunity(k), id,
                           customer_ids_[static_cast<size_t>(data.OpportunityCustomer(k))], now),
            &rows);
        opportunity_ids_[static_cast<size_t>(k)] = std::move(id);
      }
      return Copy(conn->get(), "COPY opportunities FROM STDIN", rows);
    });
    if (!s.ok()) return s;
    phase("opportunities");
    auto conn = Connect();
    if (!conn.ok()) return conn.status();
    for (const char* sql : kIndexes) {
      s = Exec(conn->get(), sql);
      if (!s.ok()) return s;
    }
    phase("indexes and foreign keys");
    s = Exec(conn->get(), "VACUUM (ANALYZE)");
    if (s.ok()) s = Exec(conn->get(), "CHECKPOINT");
    if (!s.ok()) return s;
    phase("vacuum analyze, checkpoint");
    report->records = data.customers() + data.interactions() + data.opportunities();
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    records = report->records;
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Client>> NewClient() override {
    auto conn = Connect();
    if (!conn.ok()) return conn.status();
    if (auto s = PrepareStatements(conn->get()); !s.ok()) return s;
    return std::unique_ptr<Client>(new PostgresClient(this, std::move(*conn)));
  }

  double CpuSeconds() override {
    if (server_.pid() <= 0) return 0;
    double total = ProcessCpuSeconds(server_.pid(), /*with_children=*/true);
    for (pid_t child : ChildPids(server_.pid())) total += ProcessCpuSeconds(child, false);
    return total;
  }
  std::string cpu_method() const override {
    return "utime+stime of the postmaster, its live backends and auxiliary processes, and its "
           "reaped children (/proc)";
  }
  void ResetPeakMemory() override { peak_ = 0; }
  void SampleMemory() override {
    if (server_.pid() <= 0) return;
    int64_t total = ProcPssBytes(server_.pid());
    for (pid_t child : ChildPids(server_.pid())) total += ProcPssBytes(child);
    peak_ = std::max(peak_, total);
  }
  int64_t PeakMemoryBytes() override { return peak_; }
  std::string memory_method() const override {
    return "sum of PSS (shared buffers counted once) over the postmaster and its children, "
           "sampled every 100 ms";
  }
  void Stop() override {
    if (server_.pid() > 0) {
      server_.Signal(SIGINT);  // fast shutdown: checkpoint, then exit
      server_.Wait(300000);
    }
  }
  DiskUsage Disk() override {
    auto size = DirectorySize(
        data_, [](const std::string& path) { return path.find("/pg_wal/") != std::string::npos; });
    return {size.total, size.wal};
  }

  absl::StatusOr<Conn> Connect() {
    Conn conn(PQconnectdb(conninfo_.c_str()));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat("postgres: ", PQerrorMessage(conn.get())));
    }
    return conn;
  }
  std::string NewId() {
    return ids::UlidToString(ids_.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()));
  }
  const std::string& customer_id(int64_t i) const override {
    return customer_ids_[static_cast<size_t>(i)];
  }
  const std::string& opportunity_id(int64_t k) const override {
    return opportunity_ids_[static_cast<size_t>(k)];
  }
  std::string conninfo() const override { return conninfo_; }

 private:
  SystemConfig config_;
  std::optional<std::pair<uid_t, gid_t>> user_;
  std::string user_name_;
  std::string dir_, data_, conninfo_;
  ChildProcess server_;
  ids::UlidGenerator ids_;
  std::vector<std::string> customer_ids_;
  std::vector<std::string> opportunity_ids_;
  int64_t peak_ = 0;
};

absl::StatusOr<Result> PostgresClient::Prepared(const char* name,
                                                const std::vector<Value>& params) {
  return RunPrepared(conn_.get(), name, params);
}

absl::Status PostgresClient::Run(const Op& op) {
  PostgresSystem& s = *system_;
  switch (op.kind) {
    case OpKind::kCreateCustomer: {
      const v1::Customer& c = *op.fresh_customer;
      std::vector<Value> params = {s.NewId()};
      for (auto& v : CustomerColumns(c)) params.push_back(std::move(v));
      params.push_back(ArrayLiteral(validation::SearchKeysForName(c.display_name())));
      return Prepared("create_customer", params).status();
    }
    case OpKind::kUpdateCustomer:
      return Prepared("update_customer", {s.customer_id(op.customer), std::to_string(op.lifecycle)})
          .status();
    case OpKind::kGetCustomer: {
      auto r = Prepared("get_customer", {s.customer_id(op.customer)});
      if (!r.ok()) return r.status();
      if (PQntuples(r->get()) != 1) return absl::NotFoundError("customer");
      Consume(*r);
      return absl::OkStatus();
    }
    case OpKind::kLogInteraction: {
      std::vector<Value> params = {s.NewId()};
      for (auto& v : InteractionColumns(*op.fresh_interaction, s.customer_id(op.customer))) {
        params.push_back(std::move(v));
      }
      return Prepared("log_interaction", params).status();
    }
    case OpKind::kMoveStage: {
      const std::string& id = s.opportunity_id(op.opportunity);
      for (int attempt = 0;; ++attempt) {
        auto r = Prepared("get_opportunity", {id});
        if (!r.ok()) return r.status();
        if (PQntuples(r->get()) != 1) return absl::NotFoundError("opportunity");
        Consume(*r);
        const int stage_col = PQfnumber(r->get(), "stage");
        const int revision_col = PQfnumber(r->get(), "revision");
        std::string stage = PQgetvalue(r->get(), 0, stage_col);
        std::string revision = PQgetvalue(r->get(), 0, revision_col);
        auto u = Prepared("move_stage", {id, NextStage(stage, op.stage_step), revision});
        if (!u.ok()) return u.status();
        if (std::string_view(PQcmdTuples(u->get())) == "1") return absl::OkStatus();
        if (attempt >= 20) return absl::AbortedError("revision changed");
        ++conflicts_;
      }
    }
    case OpKind::kListPipeline: {
      auto r = Prepared("list_pipeline", {kPipeline, kListStage, kListCurrency});
      if (!r.ok()) return r.status();
      Consume(*r);
      return absl::OkStatus();
    }
    case OpKind::kPipelineAggregate:
      // The natural SQL: the database counts and sums over the index (rapportd: GetStageTotal).
      return Prepared("pipeline_aggregate", {kPipeline, kListStage, kListCurrency}).status();
    case OpKind::kSearch: {
      const std::string prefix = validation::SearchKey(op.query);
      auto r = Prepared("search_customers", {prefix, prefix + "\xF4\x8F\xBF\xBF"});
      if (!r.ok()) return r.status();
      if (PQntuples(r->get()) == 0) return absl::NotFoundError("search found nothing");
      Consume(*r);
      return absl::OkStatus();
    }
    case OpKind::kCustomer360: {
      const std::string& id = s.customer_id(op.customer);
      for (const char* statement : {"get_customer", "timeline", "open_opportunities"}) {
        auto r = Prepared(statement, {id});
        if (!r.ok()) return r.status();
        Consume(*r);
      }
      return absl::OkStatus();
    }
    case OpKind::kImport: {
      auto st = Exec(conn_.get(), "BEGIN");
      if (!st.ok()) return st;
      std::string rows, keys;
      const std::string now = Now();
      for (const auto& c : *op.batch) {
        std::string id = s.NewId();
        std::vector<Value> row = {id};
        for (auto& v : CustomerColumns(c)) row.push_back(std::move(v));
        row.push_back("1");
        row.push_back(now);
        row.push_back(now);
        AppendCopyRow(row, &rows);
        for (const auto& k : validation::SearchKeysForName(c.display_name())) {
          AppendCopyRow({k, id}, &keys);
        }
      }
      st = Copy(conn_.get(), "COPY customers FROM STDIN", rows);
      if (st.ok()) st = Copy(conn_.get(), "COPY customer_search FROM STDIN", keys);
      auto end = Exec(conn_.get(), st.ok() ? "COMMIT" : "ROLLBACK");
      return st.ok() ? end : st;
    }
    case OpKind::kCount:
      break;
  }
  return absl::InvalidArgumentError("unknown operation");
}

}  // namespace

std::string PostgresVersion(const std::string& pg_bin) {
  return CommandOutput(pg_bin + "/postgres --version 2>/dev/null");
}

absl::StatusOr<std::unique_ptr<PostgresDatabase>> NewPostgresSystem(
    const SystemConfig& config, const std::string& work_subdir) {
  for (const char* tool : {"initdb", "postgres"}) {
    std::string path = config.pg_bin + "/" + tool;
    if (access(path.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " not found (install Debian's postgresql-15, or pass --pg-bin)"));
    }
  }
  std::optional<std::pair<uid_t, gid_t>> user;
  std::string user_name = "the current user";
  if (geteuid() == 0) {
    // PostgreSQL refuses to run as root: use a dedicated system user if one
    // exists, else nobody.
    for (const char* candidate : {"rapportbench", "nobody"}) {
      if (passwd* pw = getpwnam(candidate)) {
        user = std::make_pair(pw->pw_uid, pw->pw_gid);
        user_name = candidate;
        break;
      }
    }
    if (!user)
      return absl::FailedPreconditionError(
          "running as root and no user 'nobody' to run PostgreSQL as");
  }
  return std::unique_ptr<PostgresDatabase>(
      new PostgresSystem(config, work_subdir, user, user_name));
}

}  // namespace rapport::bench
