// File: bench/suite/postgres_sql.h
//
// The PostgreSQL side shared by B2 (bench/suite/system_postgres.cc: libpq
// straight from the client) and B3 (bench/suite/b3_server.cc: a gRPC
// service whose handlers run the same statements): the schema mirroring
// Rapport's records and indexes, the prepared statements, the text forms
// of rows (statement parameters and COPY), and libpq helpers.
#ifndef RAPPORT_BENCH_SUITE_POSTGRES_SQL_H_
#define RAPPORT_BENCH_SUITE_POSTGRES_SQL_H_

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "bench/suite/bench.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::bench::pg {

// A statement parameter or COPY cell; nullopt is SQL NULL.
using Value = std::optional<std::string>;

// The tables (customers, customer_search, interactions, opportunities).
extern const char* const kSchema;
// Built after the bulk load (as one would), before any measured run.
extern const char* const kIndexes[25];

struct Statement {
  const char* name;
  const char* sql;
};
// Prepared on every connection: create_customer, get_customer,
// update_customer, log_interaction, get_opportunity, move_stage,
// list_pipeline, pipeline_aggregate, search_customers, timeline,
// open_opportunities.
extern const Statement kStatements[11];

// --- text encodings -------------------------------------------------------

std::string JsonString(std::string_view s);
// A text[] literal: {"a","b"}.
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
std::string AddressJson(const v1::PostalAddress& a);
std::string AttributesJson(const v1::Customer& c);
// One COPY ... FROM STDIN text-format row.
void AppendCopyRow(const std::vector<Value>& row, std::string* out);
// The current time as RFC 3339 text.
std::string Now();
// Columns of customers after id, in table order up to attributes (the
// create statement's $2..$12).
std::vector<Value> CustomerColumns(const v1::Customer& c);
// Columns of interactions after id (log_interaction's $2..$12).
std::vector<Value> InteractionColumns(const v1::Interaction& in, const std::string& customer_id);
// A whole opportunities row, for COPY.
std::vector<Value> OpportunityRow(const v1::Opportunity& o, const std::string& id,
                                  const std::string& customer_id, const std::string& now);

// --- libpq helpers ----------------------------------------------------------

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// OK for a command or rows; ABORTED for a serialization failure; else
// INTERNAL with `what` and PostgreSQL's message.
absl::Status Check(PGconn* conn, const Result& r, const char* what);
absl::Status Exec(PGconn* conn, const std::string& sql);
// COPY `command` FROM STDIN with `rows` (AppendCopyRow's text).
absl::Status Copy(PGconn* conn, const std::string& command, const std::string& rows);
// Touches every returned value (what a client reading the rows would do);
// the bytes read.
size_t Consume(const Result& r);
// Prepares kStatements on `conn`.
absl::Status PrepareStatements(PGconn* conn);
// Runs prepared statement `name` with `params`.
absl::StatusOr<Result> RunPrepared(PGconn* conn, const char* name,
                                   const std::vector<Value>& params);

}  // namespace rapport::bench::pg

#endif  // RAPPORT_BENCH_SUITE_POSTGRES_SQL_H_
