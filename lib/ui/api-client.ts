/**
 * The browser's only way to the JSON API: JSON in and out, the CSRF token from
 * <meta name="csrf-token">, and API errors turned into ApiError (message plus
 * every field issue) so forms can show all of them.
 *
 * A 401 sends the browser to the sign-in page that fits where it is (tenant or
 * operator); a 403 `password_expired` sends it to the account page.
 */

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: FieldIssue[];
  readonly requestId: string | null;

  constructor(message: string, opts: { status: number; code: string; issues?: FieldIssue[]; requestId?: string | null }) {
    super(message);
    this.name = "ApiError";
    this.status = opts.status;
    this.code = opts.code;
    this.issues = opts.issues ?? [];
    this.requestId = opts.requestId ?? null;
  }
}

/** Anything thrown, as something a form can display. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error) return new ApiError("Atrium could not be reached. Check your connection and try again.", { status: 0, code: "network" });
  return new ApiError("Something went wrong. Try again.", { status: 0, code: "unknown" });
}

export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function issuesOf(details: unknown): FieldIssue[] {
  if (!isRecord(details) || !Array.isArray(details.issues)) return [];
  return details.issues.flatMap((i: unknown) =>
    isRecord(i) && typeof i.message === "string" ? [{ field: typeof i.field === "string" ? i.field : "", message: i.message }] : [],
  );
}

export function errorFrom(status: number, body: unknown, retryAfter: string | null): ApiError {
  const e = isRecord(body) && isRecord(body.error) ? body.error : {};
  const code = typeof e.code === "string" ? e.code : status >= 500 ? "internal" : "error";
  const requestId = typeof e.requestId === "string" ? e.requestId : null;
  let message = typeof e.message === "string" && e.message ? e.message : "";
  if (status >= 500) message = `Something went wrong on our side.${requestId ? ` Reference: ${requestId}.` : ""} Try again in a moment.`;
  if (!message && status === 429) {
    const minutes = Math.max(1, Math.ceil(Number(retryAfter ?? "60") / 60));
    message = `Too many requests. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  }
  if (!message) message = `The request failed (${status}).`;
  return new ApiError(message, { status, code, issues: issuesOf(e.details), requestId });
}

/** Where a 401 should take the browser, given the page it is on (null on public pages). */
function signInPathForHere(): string | null {
  const path = window.location.pathname;
  if (path === "/operator" || path.startsWith("/operator/")) return path.startsWith("/operator/sign-in") ? null : "/operator/sign-in";
  const m = /^\/t\/([^/]+)(\/.*)?$/.exec(path);
  if (!m || (m[2] ?? "").startsWith("/sign-in")) return null;
  return `/t/${m[1]}/sign-in?ended=1`;
}

function accountPathForHere(): string | null {
  const m = /^\/t\/([^/]+)(\/.*)?$/.exec(window.location.pathname);
  if (!m || (m[2] ?? "").startsWith("/account")) return null;
  return `/t/${m[1]}/account?expired=1`;
}

export async function api<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const init: RequestInit = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (method === "POST" || method === "PUT" || method === "PATCH") {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }

  const res = await fetch(path, init);
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data as T;

  const error = errorFrom(res.status, data, res.headers.get("Retry-After"));
  if (res.status === 401) {
    const target = signInPathForHere();
    if (target) window.location.assign(target);
  } else if (res.status === 403 && error.code === "password_expired") {
    const target = accountPathForHere();
    if (target) window.location.assign(target);
  }
  throw error;
}
