// People: users, teams and API tokens of the caller's tenant. A new token's
// secret is shown once, right after it is created; the server keeps only a
// hash, so it cannot be shown again.

import { useState } from "preact/hooks";
import { ApiError, call, IDENTITY } from "../api";
import { asApiError, bindFields, Confirm, ErrorBox, Loading, Notice, useLoad } from "../components";
import { enumName, formatTime, splitIds } from "../format";
import { t } from "../i18n";

interface User {
  id: string;
  displayName?: string;
  email?: string;
  roles?: string[];
  teamIds?: string[];
  disabled?: boolean;
}

interface Team {
  id: string;
  displayName?: string;
  parentTeamId?: string;
}

interface Token {
  id: string;
  userId?: string;
  name?: string;
  purpose?: string;
  expireTime?: string;
  createTime?: string;
  lastUsedTime?: string;
  revoked?: boolean;
}

const ROLES = ["ROLE_ADMIN", "ROLE_MANAGER", "ROLE_REP", "ROLE_VIEWER", "ROLE_INTEGRATION"];

type Failure = ReturnType<typeof asApiError> | null;

export function People() {
  const users = useLoad(() => call<{ users?: User[] }>(IDENTITY, "ListUsers"));
  const teams = useLoad(() => call<{ teams?: Team[] }>(IDENTITY, "ListTeams"));
  return (
    <>
      <h1>{t("nav.people")}</h1>
      <Users users={users.data?.users ?? []} loading={users.loading} error={users.error}
             onCreated={users.reload} />
      <Teams teams={teams.data?.teams ?? []} loading={teams.loading} error={teams.error}
             onCreated={teams.reload} />
      <Tokens users={users.data?.users ?? []} />
    </>
  );
}

function Users(props: { users: User[]; loading: boolean; error: Failure; onCreated: () => void }) {
  const [form, setForm] = useState({ id: "", displayName: "", email: "", role: "ROLE_REP", teams: "" });
  const [error, setError] = useState<Failure>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    try {
      const user = await call<User>(IDENTITY, "CreateUser", {
        user: {
          id: form.id.trim(),
          displayName: form.displayName.trim(),
          email: form.email.trim(),
          roles: [form.role],
          teamIds: splitIds(form.teams),
        },
      });
      setNotice(`${t("people.createUser")}: ${user.id}`);
      setForm({ id: "", displayName: "", email: "", role: "ROLE_REP", teams: "" });
      props.onCreated();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  const field = bindFields(form, setForm);
  return (
    <section aria-labelledby="users-title" class="card">
      <h2 id="users-title">{t("people.users")}</h2>
      <Loading loading={props.loading} />
      <ErrorBox error={props.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("people.id")}</th>
              <th scope="col">{t("people.displayName")}</th>
              <th scope="col">{t("people.email")}</th>
              <th scope="col">{t("people.roles")}</th>
              <th scope="col">{t("people.teamIds")}</th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((u) => (
              <tr key={u.id} class={u.disabled ? "muted" : ""}>
                <th scope="row">{u.id}</th>
                <td>{u.displayName}</td>
                <td>{u.email}</td>
                <td>{(u.roles ?? []).map((r) => enumName(r, "ROLE_")).join(", ")}</td>
                <td>{(u.teamIds ?? []).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form onSubmit={create} class="grid-form" aria-label={t("people.createUser")}>
        <label>
          {t("people.id")}
          <input required {...field("id")} />
        </label>
        <label>
          {t("people.displayName")}
          <input {...field("displayName")} />
        </label>
        <label>
          {t("people.email")}
          <input type="email" {...field("email")} />
        </label>
        <label>
          {t("people.role")}
          <select value={form.role}
                  onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
            {ROLES.map((r) => (
              <option value={r} key={r}>{enumName(r, "ROLE_")}</option>
            ))}
          </select>
        </label>
        <label>
          {t("people.teamIds")}
          <input {...field("teams")} />
        </label>
        <div class="actions">
          <button type="submit" class="primary">{t("people.createUser")}</button>
        </div>
      </form>
      <ErrorBox error={error} />
      <Notice text={notice} />
    </section>
  );
}

function Teams(props: { teams: Team[]; loading: boolean; error: Failure; onCreated: () => void }) {
  const [form, setForm] = useState({ id: "", displayName: "", parent: "" });
  const [error, setError] = useState<Failure>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await call<Team>(IDENTITY, "CreateTeam", {
        team: { id: form.id.trim(), displayName: form.displayName.trim(), parentTeamId: form.parent.trim() },
      });
      setForm({ id: "", displayName: "", parent: "" });
      props.onCreated();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  const field = bindFields(form, setForm);
  return (
    <section aria-labelledby="teams-title" class="card">
      <h2 id="teams-title">{t("people.teams")}</h2>
      <Loading loading={props.loading} />
      <ErrorBox error={props.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("people.id")}</th>
              <th scope="col">{t("people.displayName")}</th>
              <th scope="col">{t("people.parent")}</th>
            </tr>
          </thead>
          <tbody>
            {props.teams.map((team) => (
              <tr key={team.id}>
                <th scope="row">{team.id}</th>
                <td>{team.displayName}</td>
                <td>{team.parentTeamId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form onSubmit={create} class="grid-form" aria-label={t("people.createTeam")}>
        <label>
          {t("people.id")}
          <input required {...field("id")} />
        </label>
        <label>
          {t("people.displayName")}
          <input {...field("displayName")} />
        </label>
        <label>
          {t("people.parent")}
          <input {...field("parent")} />
        </label>
        <div class="actions">
          <button type="submit" class="primary">{t("people.createTeam")}</button>
        </div>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}

function Tokens({ users }: { users: User[] }) {
  const [userId, setUserId] = useState("");
  const tokens = useLoad(
    () =>
      userId
        ? call<{ tokens?: Token[] }>(IDENTITY, "ListTokens", { userId })
        : Promise.resolve({ tokens: [] as Token[] }),
    [userId],
  );
  const [form, setForm] = useState({ name: "", purpose: "", days: "" });
  const field = bindFields(form, setForm);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<Failure>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSecret(null);
    const days = form.days.trim();
    const token: Record<string, unknown> = {
      userId,
      name: form.name.trim(),
      purpose: form.purpose.trim(),
    };
    if (days) {
      // 1 day to 100 years: a larger number is not a date.
      if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > 36500) {
        setError(new ApiError("invalid_argument", `${t("people.expiresDays")}: ${days} (1-36500)`));
        return;
      }
      token.expireTime = new Date(Date.now() + Number(days) * 86400_000).toISOString();
    }
    try {
      const answer = await call<{ token: Token; secret: string }>(IDENTITY, "CreateToken", { token });
      setSecret(answer.secret);
      setForm({ name: "", purpose: "", days: "" });
      tokens.reload();
    } catch (err) {
      setError(asApiError(err));
    }
  };

  const revoke = async () => {
    const token = revoking!;
    setRevoking(null);
    setError(null);
    try {
      await call<Token>(IDENTITY, "RevokeToken", { id: token.id });
      setNotice(`${t("people.revoked")}: ${token.id}`);
      tokens.reload();
    } catch (err) {
      setError(asApiError(err));
    }
  };

  return (
    <section aria-labelledby="tokens-title" class="card">
      <h2 id="tokens-title">{t("people.tokens")}</h2>
      <label>
        {t("people.tokensOf")}
        <select value={userId} onChange={(e) => {
          setUserId((e.target as HTMLSelectElement).value);
          setSecret(null);
          setNotice(null);
        }}>
          <option value="">—</option>
          {users.map((u) => (
            <option value={u.id} key={u.id}>{u.id}</option>
          ))}
        </select>
      </label>
      <Loading loading={tokens.loading && !!userId} />
      <ErrorBox error={tokens.error} />
      {userId && (
        <>
          <div class="table-wrap">
            <table data-testid="tokens">
              <thead>
                <tr>
                  <th scope="col">{t("people.id")}</th>
                  <th scope="col">{t("people.tokenName")}</th>
                  <th scope="col">{t("people.purpose")}</th>
                  <th scope="col">{t("people.created")}</th>
                  <th scope="col">{t("people.lastUsed")}</th>
                  <th scope="col">{t("people.expires")}</th>
                  <th scope="col">{t("people.status")}</th>
                  <th scope="col"><span class="visually-hidden">{t("people.revoke")}</span></th>
                </tr>
              </thead>
              <tbody>
                {(tokens.data?.tokens ?? []).map((token) => (
                  <tr key={token.id}>
                    <th scope="row"><code>{token.id}</code></th>
                    <td>{token.name}</td>
                    <td>{token.purpose}</td>
                    <td>{formatTime(token.createTime)}</td>
                    <td>{formatTime(token.lastUsedTime)}</td>
                    <td>{formatTime(token.expireTime)}</td>
                    <td>{token.revoked ? t("people.revoked") : t("people.active")}</td>
                    <td>
                      {!token.revoked && (
                        <button type="button" onClick={() => setRevoking(token)}
                                aria-label={`${t("people.revoke")} ${token.id}`}>
                          {t("people.revoke")}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form onSubmit={create} class="grid-form" aria-label={t("people.createToken")}>
            <label>
              {t("people.tokenName")}
              <input required {...field("name")} />
            </label>
            <label>
              {t("people.purpose")}
              <input {...field("purpose")} />
            </label>
            <label>
              {t("people.expiresDays")}
              <input inputMode="numeric" {...field("days")} />
            </label>
            <div class="actions">
              <button type="submit" class="primary">{t("people.createToken")}</button>
            </div>
          </form>
        </>
      )}
      {secret && (
        <div class="secret" role="status">
          <p>{t("people.secretOnce")}</p>
          <code data-testid="token-secret">{secret}</code>
        </div>
      )}
      <ErrorBox error={error} />
      <Notice text={notice} />
      <Confirm open={revoking !== null} title={t("people.revoke")} onConfirm={revoke}
               onCancel={() => setRevoking(null)}>
        {revoking && <p>{t("people.revokeConfirm", { id: revoking.id, user: userId })}</p>}
      </Confirm>
    </section>
  );
}
