// Data: search customers (Hangul and English, the core's search) and open a
// customer's timeline: interactions, deals and, when the VOC module is on
// for the caller, cases, newest first.

import { useState } from "preact/hooks";
import { call, CUSTOMERS, INTERACTIONS, OPPORTUNITIES, VOC } from "../api";
import { asApiError, ErrorBox, Loading, useLoad } from "../components";
import { enumName, formatMoney, formatTime } from "../format";
import { t } from "../i18n";

interface Customer {
  id: string;
  displayName?: string;
  lifecycleStage?: string;
  owner?: string;
  phones?: string[];
  emails?: string[];
  tags?: string[];
}

export function CustomerSearch({ query }: { query: string }) {
  const [text, setText] = useState(query);
  const results = useLoad(
    () =>
      query
        ? call<{ customers?: Customer[]; nextPageToken?: string }>(CUSTOMERS, "SearchCustomers", {
            query,
            pageSize: 50,
          })
        : Promise.resolve(null),
    [query],
  );
  const submit = (e: Event) => {
    e.preventDefault();
    location.hash = `#/data?q=${encodeURIComponent(text.trim())}`;
  };
  const customers = results.data?.customers ?? [];
  return (
    <section aria-labelledby="data-title">
      <h1 id="data-title">{t("data.title")}</h1>
      <form role="search" onSubmit={submit} class="inline-form">
        <label>
          {t("data.search")}
          <input type="search" value={text} required
                 onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="primary">{t("data.searchButton")}</button>
      </form>
      <Loading loading={results.loading && !!query} />
      <ErrorBox error={results.error} />
      {results.data && customers.length === 0 && <p>{t("data.noResults")}</p>}
      {results.data?.nextPageToken && <p class="muted">{t("data.truncated", { n: "50" })}</p>}
      {customers.length > 0 && (
        <div class="table-wrap">
          <table data-testid="customers">
            <thead>
              <tr>
                <th scope="col">{t("data.name")}</th>
                <th scope="col">{t("data.lifecycle")}</th>
                <th scope="col">{t("data.owner")}</th>
                <th scope="col">{t("data.phones")}</th>
                <th scope="col">{t("data.emails")}</th>
              </tr>
            </thead>
            <tbody>
              {customers.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <a href={`#/data/customers/${encodeURIComponent(c.id)}`}>{c.displayName || c.id}</a>
                  </th>
                  <td>{enumName(c.lifecycleStage, "LIFECYCLE_STAGE_")}</td>
                  <td>{c.owner}</td>
                  <td>{(c.phones ?? []).join(", ")}</td>
                  <td>{(c.emails ?? []).join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

interface Entry {
  time: string;
  kind: "interaction" | "deal" | "case";
  title: string;
  detail: string;
}

// Each list shows its newest 100; `truncated` says when one had more.
async function timeline(
  id: string,
): Promise<{ customer: Customer; entries: Entry[]; vocOn: boolean; truncated: boolean }> {
  type Page<K extends string> = { [key in K]?: any[] } & { nextPageToken?: string };
  const [customer, interactions, deals] = await Promise.all([
    call<Customer>(CUSTOMERS, "GetCustomer", { id }),
    call<Page<"interactions">>(INTERACTIONS, "ListCustomerInteractions", { customerId: id, pageSize: 100 }),
    call<Page<"opportunities">>(OPPORTUNITIES, "ListCustomerOpportunities", { customerId: id, pageSize: 100 }),
  ]);
  let cases: any[] = [];
  let vocOn = true;
  let truncated = !!interactions.nextPageToken || !!deals.nextPageToken;
  try {
    const page = await call<Page<"cases">>(VOC, "ListCases", { customerId: id, pageSize: 100 });
    cases = page.cases ?? [];
    truncated ||= !!page.nextPageToken;
  } catch (e) {
    // Not loaded (unimplemented), not on for this caller (failed
    // precondition) or not theirs to read (permission denied): the
    // timeline is shown without cases, and says so.
    const code = asApiError(e).code;
    if (!["unimplemented", "failed_precondition", "permission_denied"].includes(code)) throw e;
    vocOn = false;
  }
  const entries: Entry[] = [
    ...(interactions.interactions ?? []).map((i) => ({
      time: i.occurredAt ?? i.createTime,
      kind: "interaction" as const,
      title: `${enumName(i.kind, "INTERACTION_KIND_")} · ${i.subject ?? ""}`,
      detail: [enumName(i.direction, "INTERACTION_DIRECTION_"), i.owner].filter(Boolean).join(" · "),
    })),
    ...(deals.opportunities ?? []).map((o) => ({
      time: o.updateTime ?? o.createTime,
      kind: "deal" as const,
      title: o.name ?? o.id,
      detail: [
        o.stage,
        enumName(o.status, "OPPORTUNITY_STATUS_"),
        o.amount?.currencyCode ? formatMoney(o.amount.currencyCode, o.amount.units) : "",
        o.owner,
      ].filter(Boolean).join(" · "),
    })),
    ...cases.map((c) => ({
      time: c.createTime,
      kind: "case" as const,
      title: c.subject ?? c.id,
      detail: [enumName(c.status, "CASE_STATUS_"), c.category, c.assignee].filter(Boolean).join(" · "),
    })),
  ];
  // By instant, not by text: RFC 3339 strings with and without fractional
  // seconds do not sort as text.
  const at = (e: Entry) => (e.time ? Date.parse(e.time) : 0);
  entries.sort((a, b) => at(b) - at(a));
  return { customer, entries, vocOn, truncated };
}

const KIND_LABEL = {
  interaction: "data.interactions",
  deal: "data.deals",
  case: "data.cases",
} as const;

export function CustomerView({ id }: { id: string }) {
  const view = useLoad(() => timeline(id), [id]);
  const customer = view.data?.customer;
  return (
    <section aria-labelledby={customer ? "customer-title" : undefined} aria-label={customer ? undefined : t("data.customer")}>
      <p>
        <a href="#/data">← {t("data.back")}</a>
      </p>
      <Loading loading={view.loading} />
      <ErrorBox error={view.error} />
      {customer && (
        <>
          <h1 id="customer-title">{customer.displayName || customer.id}</h1>
          <dl class="facts">
            <dt>{t("data.lifecycle")}</dt>
            <dd>{enumName(customer.lifecycleStage, "LIFECYCLE_STAGE_")}</dd>
            <dt>{t("data.owner")}</dt>
            <dd>{customer.owner}</dd>
            <dt>{t("data.phones")}</dt>
            <dd>{(customer.phones ?? []).join(", ")}</dd>
            <dt>{t("data.emails")}</dt>
            <dd>{(customer.emails ?? []).join(", ")}</dd>
          </dl>
          <h2>{t("data.timeline")}</h2>
          {!view.data!.vocOn && <p class="muted">{t("data.vocAbsent")}</p>}
          {view.data!.entries.length === 0 && <p>{t("data.empty")}</p>}
          {view.data!.truncated && <p class="muted">{t("data.truncated", { n: "100" })}</p>}
          <ol class="timeline" data-testid="customer-timeline">
            {view.data!.entries.map((e, i) => (
              <li key={i} class={`kind-${e.kind}`}>
                <div class="when">
                  <span class="badge">{t(KIND_LABEL[e.kind])}</span>{" "}
                  <time dateTime={e.time}>{formatTime(e.time)}</time>
                </div>
                <div class="title">{e.title}</div>
                <div class="muted">{e.detail}</div>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
