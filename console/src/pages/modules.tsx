// Modules: what is loaded and how healthy it is; one module's rollout rule
// (edited with a confirmation), its timeline of changes, a per-user check,
// and its dead letters with replay.

import { useState } from "preact/hooks";
import { call, MODULES } from "../api";
import { asApiError, Confirm, ErrorBox, Loading, Notice, useLoad } from "../components";
import { formatCount, formatTime, splitIds } from "../format";
import { t } from "../i18n";

export interface Module {
  name: string;
  version?: string;
  state?: string;
  lastError?: string;
  hookCalls?: string;
  hookFailures?: string;
  deadLetters?: string;
  observe?: string;
}

export interface RolloutRule {
  module: string;
  killSwitch?: boolean;
  mode?: string;
  userIds?: string[];
  teamIds?: string[];
  percentage?: number;
  defaultMode?: string;
  revision?: string;
  updateTime?: string;
  updatedBy?: string;
}

const MODES = ["MODULE_MODE_OFF", "MODULE_MODE_SHADOW", "MODULE_MODE_ON"];

function modeText(mode: string | undefined): string {
  return t(`mode.${mode ?? "MODULE_MODE_UNSPECIFIED"}` as any);
}

export async function listModules(): Promise<Module[]> {
  const answer = await call<{ modules?: Module[] }>(MODULES, "ListModules");
  return answer.modules ?? [];
}

function failureRate(m: Module): string {
  const calls = Number(m.hookCalls ?? 0);
  if (calls === 0) return "–";
  return `${((100 * Number(m.hookFailures ?? 0)) / calls).toFixed(2)}%`;
}

export function ModuleList() {
  const modules = useLoad(listModules);
  return (
    <section aria-labelledby="modules-title">
      <div class="heading">
        <h1 id="modules-title">{t("modules.title")}</h1>
        <button type="button" onClick={modules.reload}>
          {t("common.refresh")}
        </button>
      </div>
      <Loading loading={modules.loading} />
      <ErrorBox error={modules.error} />
      {modules.data && modules.data.length === 0 && <p>{t("modules.none")}</p>}
      {modules.data && modules.data.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("modules.name")}</th>
                <th scope="col">{t("modules.version")}</th>
                <th scope="col">{t("modules.state")}</th>
                <th scope="col">{t("modules.hookCalls")}</th>
                <th scope="col">{t("modules.failureRate")}</th>
                <th scope="col">{t("modules.deadLetters")}</th>
                <th scope="col">{t("modules.lastError")}</th>
              </tr>
            </thead>
            <tbody>
              {modules.data.map((m) => (
                <tr key={m.name}>
                  <th scope="row">
                    <a href={`#/modules/${encodeURIComponent(m.name)}`}
                       aria-label={t("modules.open", { name: m.name })}>
                      {m.name}
                    </a>
                  </th>
                  <td>{m.version}</td>
                  <td>
                    <span class={`badge ${m.state === "loaded" ? "ok" : "bad"}`}>{m.state}</span>
                  </td>
                  <td class="num">{formatCount(m.hookCalls)}</td>
                  <td class="num">{failureRate(m)}</td>
                  <td class="num">{formatCount(m.deadLetters)}</td>
                  <td>{m.lastError}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function ModuleDetail({ name }: { name: string }) {
  const modules = useLoad(listModules, [name]);
  const module = modules.data?.find((m) => m.name === name);
  const [historyTick, setHistoryTick] = useState(0);
  return (
    <section aria-labelledby="module-title">
      <p>
        <a href="#/modules">← {t("modules.title")}</a>
      </p>
      <h1 id="module-title">{name}</h1>
      <Loading loading={modules.loading} />
      <ErrorBox error={modules.error} />
      {module && (
        <dl class="facts">
          <dt>{t("modules.version")}</dt>
          <dd>{module.version}</dd>
          <dt>{t("modules.state")}</dt>
          <dd>{module.state}</dd>
          <dt>{t("modules.observe")}</dt>
          <dd>{module.observe}</dd>
          <dt>{t("modules.hookCalls")}</dt>
          <dd>{formatCount(module.hookCalls)}</dd>
          <dt>{t("modules.hookFailures")}</dt>
          <dd>
            {formatCount(module.hookFailures)} ({failureRate(module)})
          </dd>
          <dt>{t("modules.deadLetters")}</dt>
          <dd>{formatCount(module.deadLetters)}</dd>
          {module.lastError && (
            <>
              <dt>{t("modules.lastError")}</dt>
              <dd>{module.lastError}</dd>
            </>
          )}
        </dl>
      )}
      <RolloutEditor name={name} onSaved={() => setHistoryTick((n) => n + 1)} />
      <RolloutTimeline name={name} tick={historyTick} />
      <ModuleCheck name={name} tick={historyTick} />
      <DeadLetters name={name} onReplayed={modules.reload} />
    </section>
  );
}

interface Draft {
  killSwitch: boolean;
  mode: string;
  defaultMode: string;
  teams: string;
  users: string;
  percentage: string;
}

// A mode as the module gate reads it: unset means off.
function effectiveMode(mode: string | undefined): string {
  return mode && mode !== "MODULE_MODE_UNSPECIFIED" ? mode : "MODULE_MODE_OFF";
}
const targetMode = (rule: RolloutRule) => effectiveMode(rule.mode);
const defaultModeOf = (rule: RolloutRule) => effectiveMode(rule.defaultMode);

function draftOf(rule: RolloutRule): Draft {
  return {
    killSwitch: rule.killSwitch ?? false,
    // A module never rolled out yet: the form suggests "on" for the users
    // and teams about to be chosen; an existing rule shows what it says.
    mode: rule.revision ? targetMode(rule) : "MODULE_MODE_ON",
    defaultMode: defaultModeOf(rule),
    teams: (rule.teamIds ?? []).join(", "),
    users: (rule.userIds ?? []).join(", "),
    percentage: String(rule.percentage ?? 0),
  };
}

function RolloutEditor({ name, onSaved }: { name: string; onSaved: () => void }) {
  const rule = useLoad(() => call<RolloutRule>(MODULES, "GetRollout", { module: name }), [name]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<ReturnType<typeof asApiError> | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const current = rule.data;
  const form = draft ?? (current ? draftOf(current) : null);

  const update = (patch: Partial<Draft>) => {
    setSaved(null);
    setDraft({ ...(form as Draft), ...patch });
  };

  const review = (e: Event) => {
    e.preventDefault();
    setSaveError(null);
    const text = form!.percentage.trim();
    // The server refuses these too (rule.percentage); the console says so
    // before asking, and sends nothing.
    if (!/^\d+$/.test(text) || Number(text) > 100) {
      setLocalError(t("rollout.percentageRange"));
      return;
    }
    setLocalError(null);
    setConfirming(true);
  };

  const save = async () => {
    setConfirming(false);
    const f = form!;
    try {
      const answer = await call<RolloutRule>(MODULES, "SetRollout", {
        rule: {
          module: name,
          killSwitch: f.killSwitch,
          mode: f.mode,
          defaultMode: f.defaultMode,
          teamIds: splitIds(f.teams),
          userIds: splitIds(f.users),
          percentage: Number(f.percentage.trim()),
        },
        expectedRevision: current?.revision ?? "0",
      });
      setDraft(null);
      setSaved(t("rollout.saved", { revision: answer.revision ?? "0" }));
      rule.reload();
      onSaved();
    } catch (e) {
      setSaveError(asApiError(e));
    }
  };

  return (
    <section aria-labelledby="rollout-title" class="card">
      <h2 id="rollout-title">{t("rollout.title")}</h2>
      <Loading loading={rule.loading} />
      <ErrorBox error={rule.error} />
      {current && (
        <p class="muted" data-testid="rollout-revision">
          {current.revision && current.revision !== "0"
            ? t("rollout.revision", {
                revision: current.revision,
                who: current.updatedBy ?? "",
                when: formatTime(current.updateTime),
              })
            : t("rollout.neverSet")}
        </p>
      )}
      {form && (
        <form onSubmit={review} class="grid-form">
          <label class="check">
            <input
              type="checkbox"
              checked={form.killSwitch}
              onChange={(e) => update({ killSwitch: (e.target as HTMLInputElement).checked })}
            />
            {t("rollout.killSwitch")}
          </label>
          <label>
            {t("rollout.mode")}
            <select value={form.mode}
                    onChange={(e) => update({ mode: (e.target as HTMLSelectElement).value })}>
              {MODES.map((m) => (
                <option value={m} key={m}>{modeText(m)}</option>
              ))}
            </select>
          </label>
          <label>
            {t("rollout.teams")}
            <input value={form.teams}
                   onInput={(e) => update({ teams: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            {t("rollout.users")}
            <input value={form.users}
                   onInput={(e) => update({ users: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            {t("rollout.percentage")}
            <input inputMode="numeric" value={form.percentage}
                   aria-invalid={localError ? "true" : "false"}
                   aria-describedby={localError ? "percentage-error" : undefined}
                   onInput={(e) => update({ percentage: (e.target as HTMLInputElement).value })} />
          </label>
          {localError && (
            <p id="percentage-error" class="error" role="alert">
              {localError}
            </p>
          )}
          <label>
            {t("rollout.defaultMode")}
            <select value={form.defaultMode}
                    onChange={(e) => update({ defaultMode: (e.target as HTMLSelectElement).value })}>
              {MODES.map((m) => (
                <option value={m} key={m}>{modeText(m)}</option>
              ))}
            </select>
          </label>
          <div class="actions">
            <button type="submit" class="primary">
              {t("rollout.review")}
            </button>
          </div>
        </form>
      )}
      <ErrorBox error={saveError} />
      <Notice text={saved} />
      <Confirm
        open={confirming}
        title={t("rollout.confirmTitle", { name })}
        onConfirm={save}
        onCancel={() => setConfirming(false)}
      >
        {form && <RuleSummary rule={{ ...form }} />}
        <p>{t("rollout.confirmBody")}</p>
      </Confirm>
    </section>
  );
}

function RuleSummary({ rule }: { rule: Draft }) {
  return (
    <ul class="summary">
      <li>{rule.killSwitch ? t("rollout.kill") : t("rollout.unkill")}</li>
      <li>
        {t("rollout.mode")}: {modeText(rule.mode)}
      </li>
      <li>
        {t("rollout.teams")}: {splitIds(rule.teams).join(", ") || t("common.none")}
      </li>
      <li>
        {t("rollout.users")}: {splitIds(rule.users).join(", ") || t("common.none")}
      </li>
      <li>
        {t("rollout.percentage")}: {rule.percentage}%
      </li>
      <li>
        {t("rollout.defaultMode")}: {modeText(rule.defaultMode)}
      </li>
    </ul>
  );
}

// One line per rule change from the change feed: what differs from the
// rule before it.
export function describeChange(before: RolloutRule | undefined, after: RolloutRule): string[] {
  const b = before ?? ({} as RolloutRule);
  const lines: string[] = [];
  if (!!b.killSwitch !== !!after.killSwitch) {
    lines.push(after.killSwitch ? t("rollout.kill") : t("rollout.unkill"));
  }
  // Compared as the gate reads them, so filling in an unset mode with the
  // same meaning is not shown as a change.
  if (targetMode(b) !== targetMode(after)) {
    lines.push(`${t("rollout.mode")}: ${modeText(targetMode(b))} → ${modeText(targetMode(after))}`);
  }
  const list = (xs?: string[]) => (xs ?? []).join(", ") || t("common.none");
  if (list(b.teamIds) !== list(after.teamIds)) {
    lines.push(`${t("rollout.teams")}: ${list(b.teamIds)} → ${list(after.teamIds)}`);
  }
  if (list(b.userIds) !== list(after.userIds)) {
    lines.push(`${t("rollout.users")}: ${list(b.userIds)} → ${list(after.userIds)}`);
  }
  if ((b.percentage ?? 0) !== (after.percentage ?? 0)) {
    lines.push(`${t("rollout.percentage")}: ${b.percentage ?? 0}% → ${after.percentage ?? 0}%`);
  }
  if (defaultModeOf(b) !== defaultModeOf(after)) {
    lines.push(
      `${t("rollout.defaultMode")}: ${modeText(defaultModeOf(b))} → ${modeText(defaultModeOf(after))}`,
    );
  }
  return lines;
}

interface FeedEvent {
  sequence?: string;
  commitTime?: string;
  principal?: string;
  before?: RolloutRule;
  after?: RolloutRule;
}

function RolloutTimeline({ name, tick }: { name: string; tick: number }) {
  const history = useLoad(
    () => call<{ events?: FeedEvent[] }>(MODULES, "ListRolloutHistory", { module: name }),
    [name, tick],
  );
  const events = [...(history.data?.events ?? [])].reverse();
  return (
    <section aria-labelledby="timeline-title" class="card">
      <h2 id="timeline-title">{t("timeline.title")}</h2>
      <Loading loading={history.loading} />
      <ErrorBox error={history.error} />
      {history.data && events.length === 0 && <p>{t("timeline.empty")}</p>}
      {events.length > 0 && (
        <ol class="timeline" data-testid="rollout-timeline">
          {events.map((e) => (
            <li key={e.sequence}>
              <div class="when">
                <time dateTime={e.commitTime}>{formatTime(e.commitTime)}</time> ·{" "}
                <span class="who">{e.principal}</span>
              </div>
              <ul>
                {(e.after ? describeChange(e.before, e.after) : []).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function ModuleCheck({ name, tick }: { name: string; tick: number }) {
  const [user, setUser] = useState("");
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<ReturnType<typeof asApiError> | null>(null);
  const check = async (e: Event) => {
    e.preventDefault();
    setResult(null);
    setError(null);
    try {
      const answer = await call<{ mode?: string; reason?: string }>(MODULES, "CheckModule", {
        module: name,
        userId: user.trim(),
      });
      setResult(
        t("check.result", {
          user: user.trim(),
          mode: modeText(answer.mode),
          reason: answer.reason ?? "",
        }),
      );
    } catch (err) {
      setError(asApiError(err));
    }
  };
  return (
    <section aria-labelledby="check-title" class="card" key={tick}>
      <h2 id="check-title">{t("check.title")}</h2>
      <form onSubmit={check} class="inline-form">
        <label>
          {t("check.user")}
          <input value={user} required
                 onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">{t("check.submit")}</button>
      </form>
      <ErrorBox error={error} />
      {result && (
        <p role="status" data-testid="check-result">
          {result}
        </p>
      )}
    </section>
  );
}

interface DeadLetter {
  sequence?: string;
  error?: string;
  attempts?: number;
  time?: string;
}

function DeadLetters({ name, onReplayed }: { name: string; onReplayed: () => void }) {
  const letters = useLoad(
    () => call<{ deadLetters?: DeadLetter[] }>(MODULES, "ListDeadLetters", { module: name }),
    [name],
  );
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<ReturnType<typeof asApiError> | null>(null);
  const list = letters.data?.deadLetters ?? [];
  const replay = async () => {
    setConfirming(false);
    setError(null);
    try {
      const answer = await call<{ succeeded?: number; failed?: number }>(
        MODULES,
        "ReplayDeadLetters",
        { module: name },
      );
      setMessage(t("dead.replayed", { succeeded: answer.succeeded ?? 0, failed: answer.failed ?? 0 }));
      letters.reload();
      onReplayed();
    } catch (e) {
      setError(asApiError(e));
    }
  };
  return (
    <section aria-labelledby="dead-title" class="card">
      <h2 id="dead-title">{t("dead.title")}</h2>
      <Loading loading={letters.loading} />
      <ErrorBox error={letters.error ?? error} />
      <Notice text={message} />
      {letters.data && list.length === 0 && <p>{t("dead.empty")}</p>}
      {list.length > 0 && (
        <>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("dead.sequence")}</th>
                  <th scope="col">{t("dead.time")}</th>
                  <th scope="col">{t("dead.attempts")}</th>
                  <th scope="col">{t("modules.lastError")}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((d, i) => (
                  <tr key={`${d.sequence}-${i}`}>
                    <td class="num">{d.sequence ?? "0"}</td>
                    <td>{formatTime(d.time)}</td>
                    <td class="num">{d.attempts ?? 0}</td>
                    <td>{d.error}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button type="button" onClick={() => setConfirming(true)}>
            {t("dead.replay")}
          </button>
        </>
      )}
      <Confirm open={confirming} title={t("dead.replay")} onConfirm={replay}
               onCancel={() => setConfirming(false)} />
    </section>
  );
}

