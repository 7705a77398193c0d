// File: bench/suite/postgres_sql.cc
//
// The PostgreSQL side shared by B2 (libpq from the client) and B3 (a gRPC
// service on libpq): schema, statements, row encodings, libpq helpers.
#include "bench/suite/postgres_sql.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace rapport::bench::pg {

using google::protobuf::util::TimeUtil;

const char* const kSchema = R"sql(
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

absl::Status PrepareStatements(PGconn* conn) {
  for (const auto& st : kStatements) {
    Result r(PQprepare(conn, st.name, st.sql, 0, nullptr));
    if (auto s = Check(conn, r, st.name); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Result> RunPrepared(PGconn* conn, const char* name,
                                   const std::vector<Value>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  Result r(PQexecPrepared(conn, name, static_cast<int>(values.size()), values.data(), nullptr,
                          nullptr, 0));
  if (auto s = Check(conn, r, name); !s.ok()) return s;
  return r;
}

}  // namespace rapport::bench::pg
