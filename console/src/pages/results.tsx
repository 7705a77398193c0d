// Results: the analytics module's reports when it is loaded (issue 17; the
// page says so when it is not), and the SFA funnel drawn with Chart.js
// (bundled at build time), with the same figures as a table for screen
// readers and copying.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";
import { useEffect, useRef, useState } from "preact/hooks";
import { call, SFA } from "../api";
import { ErrorBox, Loading, useLoad } from "../components";
import { formatCount, formatMoney } from "../format";
import { lang, t } from "../i18n";
import { listModules } from "./modules";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

interface FunnelStage {
  name: string;
  totals?: { currencyCode?: string; count?: string; amountUnits?: string }[];
  count?: string;
  enteredCount?: string;
  advancedCount?: string;
  conversionBasisPoints?: string;
}

export function Results() {
  const modules = useLoad(listModules);
  const loaded = (name: string) =>
    modules.data?.find((m) => m.name === name && m.state === "loaded");
  const analytics = loaded("analytics");
  return (
    <>
      <h1>{t("results.title")}</h1>
      <Loading loading={modules.loading} />
      <ErrorBox error={modules.error} />
      {modules.data && (
        <section aria-labelledby="analytics-title" class="card">
          <h2 id="analytics-title">{t("results.analytics")}</h2>
          <p data-testid="analytics-status">
            {analytics
              ? t("results.analyticsLoaded", { version: analytics.version ?? "" })
              : t("results.analyticsAbsent")}
          </p>
        </section>
      )}
      {modules.data &&
        (loaded("sfa") ? (
          <Funnel />
        ) : (
          <section class="card">
            <h2>{t("results.funnel")}</h2>
            <p>{t("results.sfaAbsent")}</p>
          </section>
        ))}
    </>
  );
}

function Funnel() {
  const pipelines = useLoad(() =>
    call<{ pipelines?: { name: string; displayName?: string }[] }>(SFA, "ListPipelines"),
  );
  const [chosen, setChosen] = useState("");
  const names = (pipelines.data?.pipelines ?? []).map((p) => p.name);
  const pipeline = chosen || names[0] || "";
  const funnel = useLoad(
    () =>
      pipeline
        ? call<{ stages?: FunnelStage[] }>(SFA, "GetFunnel", { pipeline })
        : Promise.resolve({ stages: [] as FunnelStage[] }),
    [pipeline],
  );
  const off = pipelines.error?.code === "failed_precondition";
  return (
    <section aria-labelledby="funnel-title" class="card">
      <h2 id="funnel-title">{t("results.funnel")}</h2>
      <Loading loading={pipelines.loading} />
      {off ? <p>{t("results.sfaAbsent")}</p> : <ErrorBox error={pipelines.error} />}
      {pipelines.data && names.length === 0 && <p>{t("results.noPipelines")}</p>}
      {names.length > 0 && (
        <>
          <label>
            {t("results.pipeline")}
            <select value={pipeline} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
              {names.map((n) => (
                <option value={n} key={n}>{n}</option>
              ))}
            </select>
          </label>
          <ErrorBox error={funnel.error} />
          {funnel.data && <FunnelView pipeline={pipeline} stages={funnel.data.stages ?? NO_STAGES} />}
        </>
      )}
    </section>
  );
}

const NO_STAGES: FunnelStage[] = [];

function FunnelView({ pipeline, stages }: { pipeline: string; stages: FunnelStage[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: stages.map((s) => s.name),
        datasets: [
          { label: t("results.count"), data: stages.map((s) => Number(s.count ?? 0)), backgroundColor: "#2f6fdf" },
          { label: t("results.entered"), data: stages.map((s) => Number(s.enteredCount ?? 0)), backgroundColor: "#9bb8ee" },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    return () => chart.destroy();
    // Drawn again when the figures or the language (its legend) change.
  }, [pipeline, stages, lang()]);
  const label = t("results.chartLabel", { pipeline });
  return (
    <>
      <div class="chart">
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      <div class="table-wrap">
        <table data-testid="funnel-table">
          <caption>{label}</caption>
          <thead>
            <tr>
              <th scope="col">{t("results.stage")}</th>
              <th scope="col">{t("results.count")}</th>
              <th scope="col">{t("results.amount")}</th>
              <th scope="col">{t("results.entered")}</th>
              <th scope="col">{t("results.advanced")}</th>
              <th scope="col">{t("results.conversion")}</th>
            </tr>
          </thead>
          <tbody>
            {stages.map((s) => (
              <tr key={s.name}>
                <th scope="row">{s.name}</th>
                <td class="num">{formatCount(s.count)}</td>
                <td class="num">
                  {(s.totals ?? [])
                    .filter((c) => c.currencyCode)
                    .map((c) => formatMoney(c.currencyCode!, c.amountUnits))
                    .join(" · ")}
                </td>
                <td class="num">{formatCount(s.enteredCount)}</td>
                <td class="num">{formatCount(s.advancedCount)}</td>
                <td class="num">{(Number(s.conversionBasisPoints ?? 0) / 100).toFixed(1)}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
