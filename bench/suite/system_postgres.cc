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
#include "bench/suite/process.h"
#include "core/ids/ulid.h"
#include "core/validation/text.h"
#include "google/protobuf/util/time_util.h"

namespace rapport::bench {
namespace {

using google::protobuf::util::TimeUtil;
using Value = std::optional<std::string>;

constexpr const char* kSchema = R"sql(
CREATE TABLE customers (
  id text PRIMARY KEY,
  kind smallint NOT NULL,
  display_name text NOT NULL,
  organization_id text,
  emails text[] NOT NULL,
  phones text[] NOT NULL,
  lifecycle_stage smallint NOT NULL,
  owner text NOT NULL,
  tags text[] NOT NULL,
  address jsonb,
  erp_ref text,
  attributes jsonb NOT NULL,
  revision bigint NOT NULL,
  create_time timestamptz NOT NULL,
  update_time timestamptz NOT NULL);
CREATE TABLE customer_search (
  key text NOT NULL,
  customer_id text NOT NULL,
  PRIMARY KEY (key, customer_id));
CREATE TABLE interactions (
  id text PRIMARY KEY,
  kind smallint NOT NULL,
  direction smallint NOT NULL,
  occurred_at timestamptz NOT NULL,
  duration_s integer,
  customer_id text NOT NULL,
  opportunity_id text,
  owner text NOT NULL,
  subject text,
  body text,
  participants text[] NOT NULL,
  tags text[] NOT NULL,
  revision bigint NOT NULL,
  create_time timestamptz NOT NULL,
  update_time timestamptz NOT NULL);
CREATE TABLE opportunities (
  id text PRIMARY KEY,
  customer_id text NOT NULL,
  name text NOT NULL,
  currency_code text NOT NULL,
  units bigint NOT NULL,
  pipeline text NOT NULL,
  stage text NOT NULL,
  status smallint NOT NULL,
  probability smallint NOT NULL,
  expected_close_date date,
  owner text NOT NULL,
  close_reason text,
  tags text[] NOT NULL,
  revision bigint NOT NULL,
  create_time timestamptz NOT NULL,
  update_time timestamptz NOT NULL);
)sql";

// Built after the bulk load (as one would), before any measured run.
const char* const kIndexes[] = {
    // customers: Rapport's 11 indexes (name_search is customer_search).
    "CREATE UNIQUE INDEX customers_erp ON customers (erp_ref)",
    "CREATE INDEX customers_region ON customers ((attributes->>'region'))",
    "CREATE INDEX customers_emails ON customers USING gin (emails)",
    "CREATE INDEX customers_phones ON customers USING gin (phones)",
    "CREATE INDEX customers_owner ON customers (owner)",
    "CREATE INDEX customers_lifecycle ON customers (lifecycle_stage)",
    "CREATE INDEX customers_org ON customers (organization_id)",
    "CREATE INDEX customers_tags ON customers USING gin (tags)",
    "CREATE INDEX customers_name ON customers (display_name)",
    "CREATE INDEX customers_kind ON customers (kind)",
    // interactions
    "CREATE INDEX interactions_customer ON interactions (customer_id, occurred_at)",
    "CREATE INDEX interactions_owner_time ON interactions (owner, occurred_at)",
    "CREATE INDEX interactions_opportunity ON interactions (opportunity_id, occurred_at)",
    "CREATE INDEX interactions_kind ON interactions (kind, occurred_at)",
    "CREATE INDEX interactions_tags ON interactions USING gin (tags)",
    "CREATE INDEX interactions_owner ON interactions (owner)",
    // opportunities
    "CREATE INDEX opportunities_customer ON opportunities (customer_id, status)",
    "CREATE INDEX opportunities_owner_status ON opportunities (owner, status)",
    "CREATE INDEX opportunities_pipeline ON opportunities (pipeline, stage, currency_code, units)",
    "CREATE INDEX opportunities_close ON opportunities (status, expected_close_date)",
    "CREATE INDEX opportunities_tags ON opportunities USING gin (tags)",
    "CREATE INDEX opportunities_owner ON opportunities (owner)",
    // the references Rapport checks
    "ALTER TABLE customer_search ADD FOREIGN KEY (customer_id) REFERENCES customers (id)",
    "ALTER TABLE interactions ADD FOREIGN KEY (customer_id) REFERENCES customers (id)",
    "ALTER TABLE opportunities ADD FOREIGN KEY (customer_id) REFERENCES customers (id)",
};

struct Statement {
  const char* name;
  const char* sql;
};
const Statement kStatements[] = {
    {"create_customer",
     "WITH c AS (INSERT INTO customers (id, kind, display_name, organization_id, emails, phones, "
     "lifecycle_stage, owner, tags, address, erp_ref, attributes, revision, create_time, "
     "update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, now(), now()) "
     "RETURNING id) INSERT INTO customer_search (key, customer_id) "
     "SELECT k, c.id FROM c, unnest($13::text[]) AS k"},
    {"get_customer", "SELECT * FROM customers WHERE id = $1"},
    {"update_customer",
     "UPDATE customers SET lifecycle_stage = $2, revision = revision + 1, update_time = now() "
     "WHERE id = $1 RETURNING revision"},
    {"log_interaction",
     "INSERT INTO interactions (id, kind, direction, occurred_at, duration_s, customer_id, "
     "opportunity_id, owner, subject, body, participants, tags, revision, create_time, "
     "update_time) VALUES ($1, $2, $3, coalesce($4::timestamptz, now()), $5, $6, $7, $8, $9, "
     "$10, $11, $12, 1, now(), now())"},
    {"get_opportunity", "SELECT * FROM opportunities WHERE id = $1"},
    {"move_stage",
     "UPDATE opportunities SET stage = $2, revision = revision + 1, update_time = now() "
     "WHERE id = $1 AND revision = $3"},
    {"list_pipeline",
     "SELECT * FROM opportunities WHERE pipeline = $1 AND stage = $2 AND currency_code = $3 "
     "ORDER BY units DESC LIMIT 50"},
    {"pipeline_aggregate",
     "SELECT coalesce(sum(units), 0), count(*) FROM opportunities "
     "WHERE pipeline = $1 AND stage = $2 AND currency_code = $3"},
    {"search_customers",
     "SELECT c.* FROM customer_search s JOIN customers c ON c.id = s.customer_id "
     "WHERE s.key >= $1 AND s.key < $2 ORDER BY s.key, s.customer_id LIMIT 20"},
    {"timeline",
     "SELECT * FROM interactions WHERE customer_id = $1 ORDER BY occurred_at DESC LIMIT 20"},
    {"open_opportunities",
     "SELECT * FROM opportunities WHERE customer_id = $1 AND status = 1 LIMIT 50"},
};

// --- text encodings -------------------------------------------------------

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

template <typename Strings>
std::string ArrayLiteral(const Strings& items) {
  std::string out = "{";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    out += '"';
    for (char ch : item) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

std::string AddressJson(const v1::PostalAddress& a) {
  std::string lines = "[";
  for (int i = 0; i < a.lines_size(); ++i) lines += (i ? "," : "") + JsonString(a.lines(i));
  lines += "]";
  return absl::StrCat("{\"lines\":", lines, ",\"locality\":", JsonString(a.locality()),
                      ",\"region\":", JsonString(a.region()),
                      ",\"postal_code\":", JsonString(a.postal_code()),
                      ",\"country_code\":", JsonString(a.country_code()), "}");
}

std::string AttributesJson(const v1::Customer& c) {
  std::string out = "{";
  bool first = true;
  for (const auto& name : Dataset::AttributeNames()) {
    auto it = c.attributes().find(name);
    if (it == c.attributes().end()) continue;
    out += (first ? "" : ",") + JsonString(name) + ":";
    first = false;
    const auto& v = it->second;
    if (v.has_string_value()) {
      out += JsonString(v.string_value());
    } else if (v.has_int_value()) {
      out += std::to_string(v.int_value());
    } else if (v.has_bool_value()) {
      out += v.bool_value() ? "true" : "false";
    } else {
      out += "null";
    }
  }
  return out + "}";
}

std::string CopyEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void AppendCopyRow(const std::vector<Value>& row, std::string* out) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) out->push_back('\t');
    if (row[i]) {
      out->append(CopyEscape(*row[i]));
    } else {
      out->append("\\N");
    }
  }
  out->push_back('\n');
}

std::string Now() { return TimeUtil::ToString(TimeUtil::GetCurrentTime()); }

// Columns of customers after id, in table order up to attributes (the
// create statement's $2..$12).
std::vector<Value> CustomerColumns(const v1::Customer& c) {
  std::vector<std::string> phones;
  for (const auto& p : c.phones()) phones.push_back(KoreanMobileToE164(p));
  auto erp = c.external_refs().find("erp");
  return {std::to_string(c.kind()),
          c.display_name(),
          c.organization_id().empty() ? Value() : Value(c.organization_id()),
          ArrayLiteral(c.emails()),
          ArrayLiteral(phones),
          std::to_string(c.lifecycle_stage()),
          c.owner(),
          ArrayLiteral(c.tags()),
          AddressJson(c.address()),
          erp == c.external_refs().end() ? Value() : Value(erp->second),
          AttributesJson(c)};
}

std::vector<Value> InteractionColumns(const v1::Interaction& in, const std::string& customer_id) {
  return {std::to_string(in.kind()),
          std::to_string(in.direction()),
          in.has_occurred_at() ? Value(TimeUtil::ToString(in.occurred_at())) : Value(),
          in.has_duration() ? Value(std::to_string(in.duration().seconds())) : Value(),
          customer_id,
          in.opportunity_id().empty() ? Value() : Value(in.opportunity_id()),
          in.owner(),
          in.subject(),
          in.body(),
          ArrayLiteral(in.participants()),
          ArrayLiteral(in.tags())};
}

std::vector<Value> OpportunityRow(const v1::Opportunity& o, const std::string& id,
                                  const std::string& customer_id, const std::string& now) {
  char date[16];
  const auto& d = o.expected_close_date();
  std::snprintf(date, sizeof date, "%04d-%02d-%02d", d.year(), d.month(), d.day());
  return {id,
          customer_id,
          o.name(),
          o.amount().currency_code(),
          std::to_string(o.amount().units()),
          o.pipeline(),
          o.stage(),
          std::to_string(o.status()),
          std::to_string(o.probability()),
          d.year() ? Value(date) : Value(),
          o.owner(),
          o.close_reason().empty() ? Value() : Value(o.close_reason()),
          ArrayLiteral(o.tags()),
          "1",
          now,
          now};
}

// --- libpq helpers ----------------------------------------------------------

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

absl::Status Check(PGconn* conn, const Result& r, const char* what) {
  auto status = PQresultStatus(r.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  std::string message = PQresultErrorMessage(r.get());
  if (message.empty()) message = PQerrorMessage(conn);
  const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
  if (state && std::string_view(state) == "40001") return absl::AbortedError(message);
  return absl::InternalError(absl::StrCat(what, ": ", message));
}

absl::Status Exec(PGconn* conn, const std::string& sql) {
  Result r(PQexec(conn, sql.c_str()));
  return Check(conn, r, sql.substr(0, 60).c_str());
}

absl::Status Copy(PGconn* conn, const std::string& command, const std::string& rows) {
  Result start(PQexec(conn, command.c_str()));
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) return Check(conn, start, command.c_str());
  if (PQputCopyData(conn, rows.data(), static_cast<int>(rows.size())) != 1 ||
      PQputCopyEnd(conn, nullptr) != 1) {
    return absl::InternalError(absl::StrCat("COPY: ", PQerrorMessage(conn)));
  }
  for (;;) {
    Result r(PQgetResult(conn));
    if (!r) break;
    auto st = Check(conn, r, command.c_str());
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

// Touches every returned value (what a client reading the rows would do).
size_t Consume(const Result& r) {
  size_t bytes = 0;
  const int rows = PQntuples(r.get()), cols = PQnfields(r.get());
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) bytes += static_cast<size_t>(PQgetlength(r.get(), i, j));
  }
  return bytes;
}

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

class PostgresSystem : public System {
 public:
  PostgresSystem(const SystemConfig& config, std::optional<std::pair<uid_t, gid_t>> user,
                 std::string user_name)
      : config_(config), user_(user), user_name_(std::move(user_name)) {
    dir_ = config.work_dir + "/postgres";
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
    for (const auto& st : kStatements) {
      Result r(PQprepare(conn->get(), st.name, st.sql, 0, nullptr));
      auto s = Check(conn->get(), r, st.name);
      if (!s.ok()) return s;
    }
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
  const std::string& customer_id(int64_t i) const { return customer_ids_[static_cast<size_t>(i)]; }
  const std::string& opportunity_id(int64_t k) const {
    return opportunity_ids_[static_cast<size_t>(k)];
  }

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
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  Result r(PQexecPrepared(conn_.get(), name, static_cast<int>(values.size()), values.data(),
                          nullptr, nullptr, 0));
  auto s = Check(conn_.get(), r, name);
  if (!s.ok()) return s;
  return r;
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

absl::StatusOr<std::unique_ptr<System>> NewPostgresSystem(const SystemConfig& config) {
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
  return std::unique_ptr<System>(new PostgresSystem(config, user, user_name));
}

}  // namespace rapport::bench
