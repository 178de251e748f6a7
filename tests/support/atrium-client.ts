import { randomBytes } from "node:crypto";

/**
 * A minimal "browser" for API tests against a running Atrium: a cookie jar,
 * next-auth sign-in through its real CSRF-protected endpoints, and JSON calls
 * that carry Origin and X-CSRF-Token like the UI does. Each client comes from
 * its own made-up IP (X-Forwarded-For; the test server trusts the proxy
 * header) so per-IP rate limits of one test do not leak into another.
 */
export const BASE_URL = process.env.ATRIUM_TEST_URL ?? "http://localhost:3210";

export function randomIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]! % 250 + 1}`;
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export class AtriumClient {
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;
  bearer: string | null = null;

  /** Where requests go; the Origin header stays BASE_URL (replicas share one public origin). */
  target = BASE_URL;

  constructor(readonly ip: string = randomIp(), readonly userAgent = "atrium-tests/1.0") {}

  /** The same browser (cookies, CSRF token, IP) talking to another portal replica. */
  via(target: string): AtriumClient {
    const c = new AtriumClient(this.ip, this.userAgent);
    c.target = target;
    c.csrfToken = this.csrfToken;
    c.bearer = this.bearer;
    for (const [k, v] of this.cookies) c.cookies.set(k, v);
    return c;
  }

  static withApiKey(key: string): AtriumClient {
    const c = new AtriumClient();
    c.bearer = key;
    return c;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async raw(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { "user-agent": this.userAgent, "x-forwarded-for": this.ip, ...init.headers };
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    const res = await fetch(`${this.target}${path}`, { method, headers, body: init.body, redirect: "manual" });
    this.store(res);
    return res;
  }

  /** A JSON call the way the UI makes it (same Origin, CSRF header when signed in). */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const headers: Record<string, string> = { origin: BASE_URL, ...extraHeaders };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.csrfToken && !("x-csrf-token" in extraHeaders)) headers["x-csrf-token"] = this.csrfToken;
    return toJsonResponse<T>(await this.raw(method, path, { body: body === undefined ? undefined : JSON.stringify(body), headers }));
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.call<T>("GET", path);
  }

  /** Signs in through next-auth's real credentials flow; returns next-auth's error code, or null on success. */
  async signIn(tenant: string, email: string, password: string): Promise<string | null> {
    const csrf = await (await this.raw("GET", "/api/auth/csrf")).json() as { csrfToken: string };
    const form = new URLSearchParams({ csrfToken: csrf.csrfToken, tenant, email, password, json: "true" });
    const res = await this.raw("POST", "/api/auth/callback/tenant-password", {
      body: form.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE_URL },
    });
    const { url } = (await res.json()) as { url: string };
    const error = new URL(url).searchParams.get("error");
    if (error) return error;
    const me = await this.get<{ csrfToken: string }>("/api/me");
    if (me.status !== 200) return `me:${me.status}`;
    this.csrfToken = me.body.csrfToken;
    return null;
  }

  async signInOperator(email: string, password: string): Promise<string | null> {
    const csrf = await (await this.raw("GET", "/api/auth/csrf")).json() as { csrfToken: string };
    const form = new URLSearchParams({ csrfToken: csrf.csrfToken, email, password, json: "true" });
    const res = await this.raw("POST", "/api/auth/callback/operator-password", {
      body: form.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE_URL },
    });
    const { url } = (await res.json()) as { url: string };
    const error = new URL(url).searchParams.get("error");
    if (error) return error;
    // Operators have no /api/me; the CSRF token is derived the same way the page does.
    const { csrfTokenFor } = await import("@/lib/http/csrf");
    const { resolveSession, sessionCookieName } = await import("@/lib/auth/session-store");
    const s = await resolveSession(this.cookies.get(sessionCookieName()), undefined, { touch: false });
    this.csrfToken = s ? csrfTokenFor(s.sessionId) : null;
    return null;
  }

  async signOut(): Promise<void> {
    const csrf = await (await this.raw("GET", "/api/auth/csrf")).json() as { csrfToken: string };
    const form = new URLSearchParams({ csrfToken: csrf.csrfToken, json: "true" });
    await this.raw("POST", "/api/auth/signout", { body: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE_URL } });
  }
}

/** Status, headers, the body text and — when it parses — the body as JSON (null otherwise). */
export async function toJsonResponse<T>(res: Response): Promise<JsonResponse<T>> {
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}
