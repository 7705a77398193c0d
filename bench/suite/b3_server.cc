// File: bench/suite/b3_server.cc
//
// Baseline B3's server process (`rapport_bench --serve-b3 CONNINFO`): what a
// platform team would build instead of Rapport, "a gRPC service of our own
// on PostgreSQL". It serves B0's API (rapport.benchmark.v1.EchoService) with
// B0's server settings (rapportd's: sync server, the same idle-thread
// count, health checking and reflection on, the same message limits), and
// each call parses the rapport.v1 request in `payload` and runs B2's
// prepared statements for it (bench/suite/postgres_sql.h) on the handler
// thread's own libpq connection: one connection per handler thread, made
// and prepared on its first call. It derives IDs (ULIDs) and name search
// keys as rapportd does; it validates nothing and writes no change feed and
// no idempotency record, which favours it. The reply is the rows as text
// (ResultRows).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/suite/bench.h"
#include "bench/suite/bench_server.h"
#include "bench/suite/postgres_sql.h"
#include "core/ids/ulid.h"
#include "core/validation/text.h"
#include "grpcpp/grpcpp.h"
#include "rapport/benchmark/v1/echo.grpc.pb.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::bench {
namespace {

namespace bv1 = ::rapport::benchmark::v1;
using pg::Value;

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

class B3Service final : public bv1::EchoService::Service {
 public:
  explicit B3Service(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  grpc::Status Echo(grpc::ServerContext*, const bv1::EchoRequest* request,
                    bv1::EchoResponse* response) override {
    absl::StatusOr<PGconn*> conn = Connection();
    if (!conn.ok()) return ToGrpc(conn.status());
    bv1::ResultRows rows;
    absl::Status s = Run(*conn, *request, &rows);
    if (!s.ok()) return ToGrpc(s);
    rows.SerializeToString(response->mutable_payload());
    return grpc::Status::OK;
  }

 private:
  // This handler thread's connection, with the statements prepared.
  absl::StatusOr<PGconn*> Connection() {
    thread_local pg::Conn conn;
    // A connection left broken or inside a transaction (a failed ROLLBACK)
    // is replaced.
    if (conn && PQstatus(conn.get()) == CONNECTION_OK &&
        PQtransactionStatus(conn.get()) == PQTRANS_IDLE) {
      return conn.get();
    }
    conn.reset(PQconnectdb(conninfo_.c_str()));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      absl::Status error =
          absl::UnavailableError(absl::StrCat("postgres: ", PQerrorMessage(conn.get())));
      conn.reset();
      return error;
    }
    if (absl::Status s = pg::PrepareStatements(conn.get()); !s.ok()) {
      conn.reset();
      return s;
    }
    connections_.fetch_add(1, std::memory_order_relaxed);
    return conn.get();
  }

 public:
  // Connections made so far (one per handler thread that took a call).
  int64_t connections() const { return connections_.load(std::memory_order_relaxed); }

 private:
  std::string NewId() {
    return ids::UlidToString(ids_.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()));
  }

  template <typename Request>
  static absl::Status Parse(const bv1::EchoRequest& request, Request* out) {
    if (!out->ParseFromString(request.payload())) {
      return absl::InvalidArgumentError(
          absl::StrCat("payload: not a ", out->GetDescriptor()->full_name()));
    }
    return absl::OkStatus();
  }

  // Runs a prepared statement and puts what it returned into `rows`.
  static absl::Status Statement(PGconn* conn, const char* name, const std::vector<Value>& params,
                                bv1::ResultRows* rows) {
    auto r = pg::RunPrepared(conn, name, params);
    if (!r.ok()) return r.status();
    AppendRows(*r, rows);
    return absl::OkStatus();
  }

  static void AppendRows(const pg::Result& r, bv1::ResultRows* rows) {
    const int n = PQntuples(r.get()), cols = PQnfields(r.get());
    if (rows->columns_size() == 0) {
      for (int j = 0; j < cols; ++j) rows->add_columns(PQfname(r.get(), j));
    }
    for (int i = 0; i < n; ++i) {
      auto* row = rows->add_rows();
      for (int j = 0; j < cols; ++j) {
        if (PQgetisnull(r.get(), i, j)) {
          row->add_cells();
          row->add_nulls(j);
        } else {
          row->add_cells(PQgetvalue(r.get(), i, j),
                         static_cast<size_t>(PQgetlength(r.get(), i, j)));
        }
      }
    }
    const char* affected = PQcmdTuples(r.get());
    if (affected[0] != '\0') rows->set_affected(rows->affected() + std::atoll(affected));
  }

  absl::Status Run(PGconn* conn, const bv1::EchoRequest& request, bv1::ResultRows* rows) {
    switch (static_cast<OpKind>(request.operation())) {
      case OpKind::kCreateCustomer: {
        v1::CreateCustomerRequest r;
        if (auto s = Parse(request, &r); !s.ok()) return s;
        std::vector<Value> params = {NewId()};
        for (auto& v : pg::CustomerColumns(r.customer())) params.push_back(std::move(v));
        params.push_back(
            pg::ArrayLiteral(validation::SearchKeysForName(r.customer().display_name())));
        rows->add_columns("id");
        rows->add_rows()->add_cells(*params[0]);
        return Statement(conn, "create_customer", params, rows);
      }
      case OpKind::kUpdateCustomer: {
        v1::UpdateCustomerRequest r;
        if (auto s = Parse(request, &r); !s.ok()) return s;
        if (auto s = Statement(conn, "update_customer",
                               {r.customer().id(), std::to_string(r.customer().lifecycle_stage())},
                               rows);
            !s.ok()) {
          return s;
        }
        return rows->rows_size() == 1 ? absl::OkStatus() : absl::NotFoundError("customer");
      }
      case OpKind::kGetCustomer: {
        v1::GetCustomerRequest r;
        if (auto s = Parse(request, &r); !s.ok()) return s;
        return GetOne(conn, "get_customer", r.id(), "customer", rows);
      }
      case OpKind::kLogInteraction: {
        v1::CreateInteractionRequest r;
        if (auto s = Parse(request, &r); !s.ok()) return s;
        std::vector<Value> params = {NewId()};
        for (auto& v : pg::InteractionColumns(r.interaction(), r.interaction().customer_id())) {
          params.push_back(std::move(v));
        }
        return Statement(conn, "log_interaction", params, rows);
      }
      case OpKind::kMoveStage:
        if (request.step() == 0) {
          v1::GetOpportunityRequest r;
          if (auto s = Parse(request, &r); !s.ok()) return s;
          return GetOne(conn, "get_opportunity", r.id(), "opportunity", rows);
        } else {
          v1::UpdateOpportunityRequest r;
          if (auto s = Parse(request, &r); !s.ok()) return s;
          if (auto s = Statement(conn, "move_stage",
                                 {r.opportunity().id(), r.opportunity().stage(),
                                  std::to_string(r.expected_revision())},
                                 rows);
              !s.ok()) {
            return s;
          }
          return rows->affected() == 1 ? absl::OkStatus()
                                       : absl::AbortedError("opportunity: revision changed");
        }
      case OpKind::kListPipeline: {
        // The filter is always the suite's (kPipelineFilter): its values are
        // the statement's parameters, as B2 passes them.
        v1::ListOpportunitiesRequest r;
        if (auto s = Parse(request, &r); !s.ok()) return s;
        return Statement(conn, "list_pipeline", {kPipeline, kListStage, kListCurrency}, rows);
      }
      case OpKind::kPipelineAggregate: {
        v1::GetStageTotalRequest r;
        if (auto s = Parse(request, &r); !s.ok()) return s;
        return Statement(conn, "pipeline_aggregate", {r.pipeline(), r.stage(), r.currency_code()},
                         rows);
      }
      case OpKind::kSearch: {
        v1::SearchCustomersRequest r;
        if (auto s = Parse(request, &r); !s.ok()) return s;
        const std::string prefix = validation::SearchKey(r.query());
        return Statement(conn, "search_customers", {prefix, prefix + "\xF4\x8F\xBF\xBF"}, rows);
      }
      case OpKind::kCustomer360:
        switch (request.step()) {
          case 0: {
            v1::GetCustomerRequest r;
            if (auto s = Parse(request, &r); !s.ok()) return s;
            return GetOne(conn, "get_customer", r.id(), "customer", rows);
          }
          case 1: {
            v1::ListCustomerInteractionsRequest r;
            if (auto s = Parse(request, &r); !s.ok()) return s;
            return Statement(conn, "timeline", {r.customer_id()}, rows);
          }
          default: {
            v1::ListCustomerOpportunitiesRequest r;
            if (auto s = Parse(request, &r); !s.ok()) return s;
            return Statement(conn, "open_opportunities", {r.customer_id()}, rows);
          }
        }
      case OpKind::kImport: {
        v1::BatchUpsertCustomersRequest r;
        if (auto s = Parse(request, &r); !s.ok()) return s;
        return Import(conn, r, rows);
      }
      case OpKind::kCount:
        break;
    }
    return absl::InvalidArgumentError(absl::StrCat("operation: unknown ", request.operation()));
  }

  static absl::Status GetOne(PGconn* conn, const char* statement, const std::string& id,
                             const char* what, bv1::ResultRows* rows) {
    if (auto s = Statement(conn, statement, {id}, rows); !s.ok()) return s;
    return rows->rows_size() == 1 ? absl::OkStatus() : absl::NotFoundError(what);
  }

  // B2's import: one transaction, COPY of the customers and their search keys.
  absl::Status Import(PGconn* conn, const v1::BatchUpsertCustomersRequest& r,
                      bv1::ResultRows* rows) {
    if (auto s = pg::Exec(conn, "BEGIN"); !s.ok()) return s;
    std::string copy_rows, keys;
    const std::string now = pg::Now();
    for (const auto& c : r.customers()) {
      std::string id = NewId();
      std::vector<Value> row = {id};
      for (auto& v : pg::CustomerColumns(c)) row.push_back(std::move(v));
      row.push_back("1");
      row.push_back(now);
      row.push_back(now);
      pg::AppendCopyRow(row, &copy_rows);
      for (const auto& k : validation::SearchKeysForName(c.display_name())) {
        pg::AppendCopyRow({k, id}, &keys);
      }
    }
    absl::Status st = pg::Copy(conn, "COPY customers FROM STDIN", copy_rows);
    if (st.ok()) st = pg::Copy(conn, "COPY customer_search FROM STDIN", keys);
    absl::Status end = pg::Exec(conn, st.ok() ? "COMMIT" : "ROLLBACK");
    if (!st.ok()) return st;
    if (end.ok()) rows->set_affected(r.customers_size());
    return end;
  }

  std::string conninfo_;
  ids::UlidGenerator ids_;
  std::atomic<int64_t> connections_{0};
};

}  // namespace

int ServeB3(const std::string& conninfo, int max_message_bytes, int grpc_max_pollers) {
  B3Service service(conninfo);
  const int code = ServeUntilStdinCloses(&service, "b3", max_message_bytes, grpc_max_pollers);
  // Into its log: a figure far above the handler threads would mean
  // threads (and their connections) came and went.
  std::fprintf(stderr, "b3: %lld PostgreSQL connections made\n",
               static_cast<long long>(service.connections()));
  return code;
}

}  // namespace rapport::bench
