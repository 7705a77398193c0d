// The Rapport console: a single page served by rapportd at /console/,
// calling the HTTP/JSON API of the same server (docs/console.md). Routes are
// URL fragments (#/modules, #/modules/sfa, #/people, #/results, #/data,
// #/data/customers/ID), so the server serves one index.html.

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./styles.css";
import { ApiError, call, forgetToken, IDENTITY, savedToken, saveToken,
         setUnauthenticatedHandler } from "./api";
import { ErrorBox } from "./components";
import { Lang, lang, saveLang, setLang, t } from "./i18n";
import { CustomerSearch, CustomerView } from "./pages/data";
import { ModuleDetail, ModuleList } from "./pages/modules";
import { People } from "./pages/people";
import { Results } from "./pages/results";

interface Caller {
  tenant?: string;
  user?: { id?: string; displayName?: string };
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function Login({ expired, failure, onLogin }: {
  expired: boolean;
  failure: ApiError | null;
  onLogin: (caller: Caller) => void;
}) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<ApiError | null>(failure);
  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError(new ApiError("invalid_argument", t("login.empty")));
      return;
    }
    try {
      // The token is kept only once the server has accepted it.
      const caller = await call<Caller>(IDENTITY, "GetCaller", {}, value);
      saveToken(value);
      onLogin(caller);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <main class="login" id="main">
      <h1>{t("login.title")}</h1>
      {expired && (
        <p class="error" role="alert">
          {t("login.expired")}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="token">{t("login.token")}</label>
        {/* Not type="password": browsers offer to save those in their
            password manager, and the token must live in this tab only.
            The stylesheet masks it instead. */}
        <input id="token" type="text" class="masked" autoComplete="off" spellcheck={false}
               autoCapitalize="off" value={token} aria-describedby="token-help"
               onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p id="token-help" class="muted">{t("login.help")}</p>
        <button type="submit" class="primary">{t("login.submit")}</button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

function Page({ hash }: { hash: string }) {
  const path = hash.replace(/^#/, "") || "/modules";
  const [route, queryString] = path.split("?");
  let parts: string[];
  try {
    parts = route.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = [];  // a malformed %-escape in a hand-typed address
  }
  switch (parts[0]) {
    case "modules":
      return parts[1] ? <ModuleDetail key={parts[1]} name={parts[1]} /> : <ModuleList />;
    case "people":
      return <People />;
    case "results":
      return <Results />;
    case "data":
      if (parts[1] === "customers" && parts[2]) return <CustomerView id={parts[2]} />;
      return <CustomerSearch query={new URLSearchParams(queryString ?? "").get("q") ?? ""} />;
    default:
      return <ModuleList />;
  }
}

function App() {
  const [caller, setCaller] = useState<Caller | null>(null);
  const [checking, setChecking] = useState(savedToken() !== null);
  const [expired, setExpired] = useState(false);
  // Why the saved token could not be checked at start (rapportd down, ...).
  const [startFailure, setStartFailure] = useState<ApiError | null>(null);
  const [, setLangTick] = useState(lang());
  const hash = useHash();

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      forgetToken();
      setCaller(null);
      setExpired(true);
    });
    saveLang(lang());
    if (savedToken()) {
      call<Caller>(IDENTITY, "GetCaller")
        .then(setCaller)
        .catch((e: ApiError) => {
          if (e.code !== "unauthenticated") setStartFailure(e);
        })
        .finally(() => setChecking(false));
    }
  }, []);

  const switchLang = (next: Lang) => {
    setLang(next);
    setLangTick(next);
  };
  const languagePicker = (
    <label class="lang">
      <span class="visually-hidden">{t("nav.language")}</span>
      <select value={lang()} onChange={(e) => switchLang((e.target as HTMLSelectElement).value as Lang)}>
        <option value="ko">한국어</option>
        <option value="en">English</option>
      </select>
    </label>
  );

  if (checking) return <p class="muted">{t("common.loading")}</p>;
  if (!caller) {
    return (
      <>
        <header class="top">
          <span class="brand">{t("app.title")}</span>
          {languagePicker}
        </header>
        <Login expired={expired} failure={startFailure}
               onLogin={(c) => (setExpired(false), setStartFailure(null), setCaller(c))} />
      </>
    );
  }
  const section = (hash.replace(/^#\/?/, "").split(/[/?]/)[0] || "modules");
  const link = (id: string, key: Parameters<typeof t>[0]) => (
    <a href={`#/${id}`} aria-current={section === id ? "page" : undefined}>{t(key)}</a>
  );
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById("main")?.focus();
      }}>
        {t("nav.skip")}
      </a>
      <header class="top">
        <span class="brand">{t("app.title")}</span>
        <nav aria-label={t("nav.main")}>
          {link("modules", "nav.modules")}
          {link("people", "nav.people")}
          {link("results", "nav.results")}
          {link("data", "nav.data")}
        </nav>
        <span class="who" data-testid="caller">
          {t("caller.signedInAs", { user: caller.user?.id ?? "", tenant: caller.tenant ?? "" })}
        </span>
        {languagePicker}
        <button type="button" onClick={() => (forgetToken(), setCaller(null), setExpired(false))}>
          {t("nav.logout")}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page hash={hash} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
