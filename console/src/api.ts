// Calls rapportd's HTTP/JSON API (the Connect protocol, docs/http.md) from
// the same origin the console was served from, with the token the user
// entered. The token lives in sessionStorage only: it is gone when the tab
// closes, and no other site can read it.

const TOKEN_KEY = "rapport.token";

export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export interface FieldViolation {
  field: string;
  description: string;
}

// A call that failed: the Connect error code (the gRPC code in snake case,
// e.g. "invalid_argument"), the server's message and the fields it named.
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly violations: FieldViolation[] = [],
  ) {
    super(message);
  }
}

// Called when the server refuses the token (revoked, expired, or never
// valid): the app forgets it and shows the login screen.
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

interface ConnectError {
  code?: string;
  message?: string;
  details?: { type?: string; debug?: { fieldViolations?: FieldViolation[] } }[];
}

// POST /<service>/<method> with a JSON body; resolves to the JSON response.
// `token` overrides the saved one (the login screen checks a token before
// keeping it).
export async function call<T = any>(
  service: string,
  method: string,
  body: object = {},
  token: string | null = savedToken(),
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/${service}/${method}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError("unavailable", `rapportd did not answer: ${(e as Error).message}`);
  }
  const text = await response.text();
  let json: any = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError("internal", `HTTP ${response.status}: the answer is not JSON`);
  }
  if (response.ok) return json as T;
  const error = json as ConnectError;
  const violations = (error.details ?? []).flatMap((d) => d.debug?.fieldViolations ?? []);
  const failure = new ApiError(
    error.code ?? "unknown",
    error.message ?? `HTTP ${response.status}`,
    violations,
  );
  // Only a refusal of the token this tab is signed in with signs it out:
  // not a token being tried at sign-in, nor a late answer to a call made
  // with an earlier token.
  if (failure.code === "unauthenticated" && token !== null && token === savedToken()) {
    onUnauthenticated();
  }
  return Promise.reject(failure);
}

export const CORE = "rapport.v1";
export const MODULES = `${CORE}.ModuleService`;
export const IDENTITY = `${CORE}.IdentityService`;
export const CUSTOMERS = `${CORE}.CustomerService`;
export const INTERACTIONS = `${CORE}.InteractionService`;
export const OPPORTUNITIES = `${CORE}.OpportunityService`;
export const SFA = "rapport.sfa.v1.SalesService";
export const VOC = "rapport.voc.v1.VocService";
