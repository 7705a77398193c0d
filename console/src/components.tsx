// Small pieces every page uses: loading data, showing an error with the
// fields the server named, and asking before a change.

import { ComponentChildren } from "preact";
import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";
import { t } from "./i18n";

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

// Runs `load` on mount and whenever `deps` change; `reload` runs it again.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load()
      .then((value) => live && (setData(value), setError(null)))
      .catch((e) => live && (setError(asApiError(e)), setData(null)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError("unknown", String(e));
}

export function ErrorBox({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>
        {t("common.error")}: {error.code}
      </strong>{" "}
      {error.message}
      {error.violations.length > 0 && (
        <ul>
          {error.violations.map((v) => (
            <li key={v.field}>
              <code>{v.field}</code>: {v.description}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <p class="notice" role="status">
      {text}
    </p>
  );
}

// A modal <dialog>: focus moves into it, Escape cancels, and the page
// behind it cannot be used until it closes.
export function Confirm(props: {
  open: boolean;
  title: string;
  children?: ComponentChildren;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();  // a page may hold several dialogs
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onCancel={props.onCancel}>
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          {t("common.cancel")}
        </button>
        <button type="button" class="primary" onClick={props.onConfirm}>
          {t("common.confirm")}
        </button>
      </div>
    </dialog>
  );
}

export function Loading({ loading }: { loading: boolean }) {
  return loading ? (
    <p aria-live="polite" class="muted">
      {t("common.loading")}
    </p>
  ) : null;
}

// value + onInput for each text field of a form kept as one state object:
// <input {...field("name")} />.
export function bindFields<F extends Record<string, string>>(form: F, setForm: (next: F) => void) {
  return (key: keyof F) => ({
    value: form[key],
    onInput: (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value }),
  });
}
