import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient, BASE_URL, type JsonResponse } from "../support/atrium-client";
import { makeTenant, makeUser, signedIn, type TestTenant } from "../support/fixtures";
import { expectApiError, rejectionAudit, tokenOf } from "../support/checks";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";

/**
 * Bad input never becomes a 500 or a stack trace: each refusal is the
 * documented 4xx with a code, a message naming the field or problem, a
 * request id, and a `request.rejected` audit row with that code as reason.
 */

let t: TestTenant;
let admin: AtriumClient;
let member: { id: string; email: string };
const LINK_GONE = "This link is invalid or has expired. Ask your administrator for a new one.";

beforeAll(async () => {
  t = await makeTenant("bad");
  admin = await signedIn(t, t.owner.email);
  member = await makeUser(t, "member");
});
afterAll(async () => {
  await closeDb();
  await closeRedis();
});

interface Case {
  name: string;
  method: string;
  path: string | (() => string);
  /** A JSON value (serialised), or `raw` for exact bytes. */
  json?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  code: string;
  message: RegExp;
  /** Fields expected in details.issues. */
  issues?: string[];
  as?: "admin" | "public";
  /** A path id that is not 32 lowercase hex characters (refused before the caller is identified). */
  malformedId?: boolean;
}

const policy = { minLength: 12, requireLower: true, requireUpper: true, requireDigit: true, requireSymbol: false, history: 5, maxAgeDays: null };
const groupOk = { name: "g", cpuMillis: 1000, memoryMiB: 1024 };
const email = () => `new-${randomBytes(4).toString("hex")}@example.test`;

const CASES: Case[] = [
  // Body framing.
  { name: "malformed JSON", method: "POST", path: "/api/users", raw: '{"email":', status: 400, code: "bad_request", message: /not valid JSON/ },
  { name: "malformed JSON (public route)", method: "POST", path: "/api/discover", raw: '{"email":', status: 400, code: "bad_request", message: /not valid JSON/, as: "public" },
  { name: "wrong content type", method: "POST", path: "/api/groups", raw: JSON.stringify(groupOk), contentType: "text/plain", status: 415, code: "unsupported_media_type", message: /Content-Type: application\/json/ },
  { name: "form content type", method: "PUT", path: "/api/policies/lockout", raw: "threshold=3", contentType: "application/x-www-form-urlencoded", status: 415, code: "unsupported_media_type", message: /JSON/ },
  { name: "empty body", method: "POST", path: "/api/groups", raw: "", status: 400, code: "bad_request", message: /empty/ },
  { name: "whitespace body", method: "PATCH", path: () => `/api/users/${member.id}`, raw: "  \n ", status: 400, code: "bad_request", message: /empty/ },
  { name: "body over 64 KiB", method: "POST", path: "/api/groups", json: { ...groupOk, description: "x".repeat(70 * 1024) }, status: 413, code: "payload_too_large", message: /64 KiB/ },
  { name: "body over 64 KiB (public)", method: "POST", path: "/api/set-password", json: { token: "t".repeat(40), password: "p".repeat(66 * 1024) }, status: 413, code: "payload_too_large", message: /64 KiB/, as: "public" },
  { name: "JSON array instead of object", method: "POST", path: "/api/groups", raw: "[]", status: 400, code: "bad_request", message: /object/ },
  { name: "JSON null", method: "POST", path: "/api/users", raw: "null", status: 400, code: "bad_request", message: /object|email/i },
  // Missing fields.
  { name: "missing required group fields", method: "POST", path: "/api/groups", json: {}, status: 400, code: "bad_request", message: /^name: Name is required\.$/, issues: ["name", "cpuMillis", "memoryMiB"] },
  { name: "missing email", method: "POST", path: "/api/users", json: { name: "No Email" }, status: 400, code: "bad_request", message: /^email: Email is required\.$/, issues: ["email"] },
  { name: "nothing to change", method: "PATCH", path: () => `/api/users/${member.id}`, json: {}, status: 400, code: "bad_request", message: /Nothing to change/ },
  { name: "missing api key name", method: "POST", path: "/api/api-keys", json: {}, status: 400, code: "bad_request", message: /name: Name is required/, issues: ["name"] },
  { name: "set-password without password", method: "POST", path: "/api/set-password", json: { token: "x".repeat(43) }, status: 400, code: "bad_request", message: /password: Password is required/, as: "public", issues: ["password"] },
  { name: "discover without email", method: "POST", path: "/api/discover", json: {}, status: 400, code: "bad_request", message: /email: Email is required/, as: "public" },
  // Over-long fields.
  { name: "email of 300 characters", method: "POST", path: "/api/users", json: { email: `${"a".repeat(290)}@example.test` }, status: 400, code: "bad_request", message: /email: Email can be at most 254 characters/, issues: ["email"] },
  { name: "user name of 500 characters", method: "POST", path: "/api/users", json: { email: email(), name: "n".repeat(500) }, status: 400, code: "bad_request", message: /name: Name can be at most 120 characters/, issues: ["name"] },
  { name: "group name of 500 characters", method: "POST", path: "/api/groups", json: { ...groupOk, name: "n".repeat(500) }, status: 400, code: "bad_request", message: /name: Name can be at most 80 characters/ },
  { name: "rename to 500 characters", method: "PATCH", path: () => `/api/users/${member.id}`, json: { name: "n".repeat(500) }, status: 400, code: "bad_request", message: /name: Name can be at most 120 characters/ },
  { name: "tenant name of 500 characters", method: "PATCH", path: "/api/tenant", json: { name: "n".repeat(500) }, status: 400, code: "bad_request", message: /name: Name can be at most 120 characters/ },
  // Unknown extra fields (strict schemas).
  { name: "extra field on group", method: "POST", path: "/api/groups", json: { ...groupOk, isAdmin: true }, status: 400, code: "bad_request", message: /isAdmin/ },
  { name: "tenantId smuggled into a user update", method: "PATCH", path: () => `/api/users/${member.id}`, json: { name: "x", tenantId: "0".repeat(32) }, status: 400, code: "bad_request", message: /tenantId/ },
  { name: "passwordHash smuggled into an invite", method: "POST", path: "/api/users", json: { email: email(), passwordHash: "x" }, status: 400, code: "bad_request", message: /passwordHash/ },
  { name: "extra field in session policy", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: 3600, idleTimeoutSeconds: 600, absolute: true }, status: 400, code: "bad_request", message: /absolute/ },
  { name: "unknown query parameter", method: "GET", path: "/api/users?role=owner", status: 400, code: "bad_request", message: /role/ },
  // Wrong types.
  { name: "cpu as a string", method: "POST", path: "/api/groups", json: { ...groupOk, cpuMillis: "1000" }, status: 400, code: "bad_request", message: /cpuMillis: CPU must be a number of millicores/, issues: ["cpuMillis"] },
  { name: "memory as a fraction", method: "POST", path: "/api/groups", json: { ...groupOk, memoryMiB: 512.5 }, status: 400, code: "bad_request", message: /memoryMiB: Memory must be a whole number/ },
  { name: "role not in the enum", method: "PATCH", path: () => `/api/users/${member.id}`, json: { role: "superuser" }, status: 400, code: "bad_request", message: /role: Role must be owner, admin, editor or member/ },
  { name: "status not in the enum", method: "PATCH", path: () => `/api/users/${member.id}`, json: { status: "deleted" }, status: 400, code: "bad_request", message: /status: Status must be active or disabled/ },
  { name: "groupIds not ids", method: "PATCH", path: () => `/api/users/${member.id}`, json: { groupIds: ["not-an-id"] }, status: 400, code: "bad_request", message: /groupIds\.0: must be an id/ },
  { name: "api key role owner", method: "POST", path: "/api/api-keys", json: { name: "k", role: "owner" }, status: 400, code: "bad_request", message: /role: An API key's role must be admin or member/ },
  { name: "api key expiry 0 days", method: "POST", path: "/api/api-keys", json: { name: "k", expiresInDays: 0 }, status: 400, code: "bad_request", message: /expiresInDays: Expiry must be at least 1 day/ },
  { name: "users status filter", method: "GET", path: "/api/users?status=gone", status: 400, code: "bad_request", message: /status/ },
  { name: "audit outcome", method: "GET", path: "/api/audit?outcome=maybe", status: 400, code: "bad_request", message: /Outcome must be success or failure/ },
  { name: "audit cursor", method: "GET", path: "/api/audit?before=abc", status: 400, code: "bad_request", message: /before must be a cursor/ },
  { name: "audit date", method: "GET", path: "/api/audit?from=yesterday", status: 400, code: "bad_request", message: /ISO 8601/ },
  { name: "audit limit 0", method: "GET", path: "/api/audit?limit=0", status: 400, code: "bad_request", message: /limit/ },
  { name: "sessions userId filter", method: "GET", path: "/api/sessions?userId=123", status: 400, code: "bad_request", message: /userId: must be an id/ },
  // Session policy out of bounds.
  { name: "idle longer than max", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: 3600, idleTimeoutSeconds: 7200 }, status: 400, code: "bad_request", message: /Idle timeout cannot be longer than the maximum session duration/, issues: ["idleTimeoutSeconds"] },
  { name: "max above 30 days", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: 30 * 86_400 + 1, idleTimeoutSeconds: 600 }, status: 400, code: "bad_request", message: /Maximum session duration can be at most 30 days/, issues: ["maxSessionSeconds"] },
  { name: "idle above 24 hours", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: 30 * 86_400, idleTimeoutSeconds: 86_401 }, status: 400, code: "bad_request", message: /^idleTimeoutSeconds: Idle timeout can be at most 1 day\.$/, issues: ["idleTimeoutSeconds"] },
  { name: "negative max", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: -5, idleTimeoutSeconds: 60 }, status: 400, code: "bad_request", message: /Maximum session duration must be at least/, issues: ["maxSessionSeconds"] },
  { name: "zero idle", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: 3600, idleTimeoutSeconds: 0 }, status: 400, code: "bad_request", message: /Idle timeout must be at least/ },
  { name: "non-integer max", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: 3600.5, idleTimeoutSeconds: 60 }, status: 400, code: "bad_request", message: /Maximum session duration must be a whole number of seconds/ },
  { name: "max as a string", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: "3600", idleTimeoutSeconds: 60 }, status: 400, code: "bad_request", message: /Maximum session duration must be a number of seconds/ },
  { name: "session policy missing idle", method: "PUT", path: "/api/policies/session", json: { maxSessionSeconds: 3600 }, status: 400, code: "bad_request", message: /^idleTimeoutSeconds: Idle timeout must be a number of seconds\.$/, issues: ["idleTimeoutSeconds"] },
  // Password policy out of bounds.
  { name: "password minLength 4", method: "PUT", path: "/api/policies/password", json: { ...policy, minLength: 4 }, status: 400, code: "bad_request", message: /minLength: Minimum length must be at least 8/, issues: ["minLength"] },
  { name: "password history 100", method: "PUT", path: "/api/policies/password", json: { ...policy, history: 100 }, status: 400, code: "bad_request", message: /history: History can remember at most 24 passwords/, issues: ["history"] },
  { name: "password expiry 0 days", method: "PUT", path: "/api/policies/password", json: { ...policy, maxAgeDays: 0 }, status: 400, code: "bad_request", message: /maxAgeDays: Expiry must be at least 1 day/ },
  { name: "password policy partial", method: "PUT", path: "/api/policies/password", json: { minLength: 12 }, status: 400, code: "bad_request", message: /requireLower/ },
  // Lockout policy out of bounds.
  { name: "lockout threshold 1", method: "PUT", path: "/api/policies/lockout", json: { threshold: 1, windowSeconds: 900, durationSeconds: 900 }, status: 400, code: "bad_request", message: /threshold: Lock after at least 3 failures/, issues: ["threshold"] },
  { name: "lockout threshold 1000", method: "PUT", path: "/api/policies/lockout", json: { threshold: 1000, windowSeconds: 900, durationSeconds: 900 }, status: 400, code: "bad_request", message: /threshold: Lock after at most 100 failures/ },
  { name: "lockout duration 10 s", method: "PUT", path: "/api/policies/lockout", json: { threshold: 5, windowSeconds: 900, durationSeconds: 10 }, status: 400, code: "bad_request", message: /durationSeconds: A lock must last at least 1 minute/ },
  { name: "lockout window 2 days", method: "PUT", path: "/api/policies/lockout", json: { threshold: 5, windowSeconds: 172_800, durationSeconds: 900 }, status: 400, code: "bad_request", message: /windowSeconds: The counting window can be at most 24 hours/ },
  // Group bounds.
  { name: "cpu below 100", method: "POST", path: "/api/groups", json: { ...groupOk, cpuMillis: 99 }, status: 400, code: "bad_request", message: /cpuMillis: CPU must be at least 100 millicores/ },
  { name: "memory above 256 GiB", method: "PATCH", path: "/api/groups/" + "f".repeat(32), json: { memoryMiB: 262_145 }, status: 400, code: "bad_request", message: /memoryMiB: Memory can be at most 262144 MiB/ },
  // Malformed ids in paths: simply not found.
  { name: "short numeric user id", malformedId: true, method: "GET", path: "/api/users/123", status: 404, code: "not_found", message: /No such/ },
  { name: "uppercase hex id", malformedId: true, method: "GET", path: "/api/users/" + "A".repeat(32), status: 404, code: "not_found", message: /No such/ },
  { name: "33-character id", malformedId: true, method: "DELETE", path: "/api/sessions/" + "a".repeat(33), status: 404, code: "not_found", message: /No such/ },
  { name: "encoded traversal id", malformedId: true, method: "GET", path: "/api/users/..%2F..%2Fetc%2Fpasswd", status: 404, code: "not_found", message: /No such/ },
  { name: "SQL-ish id", malformedId: true, method: "PATCH", path: "/api/groups/1'%20OR%20'1'%3D'1", json: { name: "x" }, status: 404, code: "not_found", message: /No such/ },
  { name: "well-formed unknown user id", method: "GET", path: "/api/users/" + "0".repeat(32), status: 404, code: "not_found", message: /No such user/ },
  { name: "well-formed unknown group id", method: "DELETE", path: "/api/groups/" + "0".repeat(32), status: 404, code: "not_found", message: /No such group/ },
  // Public lookups.
  { name: "unknown tenant slug", method: "GET", path: "/api/tenants/nope-xyz", status: 404, code: "not_found", message: /No such organisation/, as: "public" },
  { name: "malformed tenant slug", method: "GET", path: "/api/tenants/-Nope_", status: 404, code: "not_found", message: /No such organisation/, as: "public" },
  { name: "invalid discover email", method: "POST", path: "/api/discover", json: { email: "not-an-email" }, status: 400, code: "bad_request", message: /email: Enter a valid email address/, as: "public" },
  { name: "discover email of 300 chars", method: "POST", path: "/api/discover", json: { email: `${"a".repeat(290)}@example.test` }, status: 400, code: "bad_request", message: /at most 254 characters/, as: "public" },
  { name: "discover unknown domain", method: "POST", path: "/api/discover", json: { email: `x@nobody-${randomBytes(3).toString("hex")}.test` }, status: 404, code: "not_found", message: /No organisation signs in people with that email domain/, as: "public" },
  { name: "unknown set-password token", method: "GET", path: "/api/set-password/" + "Q".repeat(43), status: 404, code: "link_invalid", message: new RegExp(`^${reEscape(LINK_GONE)}$`), as: "public" },
  { name: "malformed set-password token", method: "GET", path: "/api/set-password/%3Cscript%3E", status: 404, code: "link_invalid", message: new RegExp(`^${reEscape(LINK_GONE)}$`), as: "public" },
];

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function send(c: AtriumClient, k: Case): Promise<JsonResponse<unknown>> {
  const p = typeof k.path === "function" ? k.path() : k.path;
  if (k.raw === undefined && k.contentType === undefined) return c.call(k.method, p, k.json);
  const headers: Record<string, string> = { origin: BASE_URL, "content-type": k.contentType ?? "application/json" };
  if (c.csrfToken) headers["x-csrf-token"] = c.csrfToken;
  const res = await c.raw(k.method, p, { body: k.raw ?? JSON.stringify(k.json), headers });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, text, headers: res.headers };
}

describe("bad input is refused clearly, never with a 500 or a stack trace", () => {
  it.each(CASES.filter((k) => !k.malformedId))("$name → $status $code", async (k) => {
    const c = k.as === "public" ? new AtriumClient() : admin;
    const res = await send(c, k);
    const error = expectApiError(res, k.status, k.code, k.message);
    if (k.issues) {
      const fields = (error.details?.issues ?? []).map((i) => i.field);
      expect(fields).toEqual(expect.arrayContaining(k.issues));
      for (const i of error.details!.issues!) expect(i.message.length).toBeGreaterThan(5);
    }
    // Every refusal is on the record, with the code as the reason and, when signed in, the tenant and actor.
    const audit = await rejectionAudit(error.requestId);
    expect(audit, `no request.rejected row for ${error.requestId}`).not.toBeNull();
    expect(audit!.reason).toBe(k.code);
    expect(audit!.outcome).toBe("failure");
    if (k.as !== "public") expect(audit).toMatchObject({ tenantId: t.id, actorType: "user", actorId: t.owner.id });
  });

  // Malformed ids are checked before the caller is identified, so their refusal is recorded anonymously (see report).
  it.each(CASES.filter((k) => k.malformedId))("$name → $status $code", async (k) => {
    const res = await send(admin, k);
    const error = expectApiError(res, k.status, k.code, k.message);
    const audit = await rejectionAudit(error.requestId);
    expect(audit?.reason).toBe("not_found");
  });

  it("audits a malformed id in a signed-in admin's request under that admin and tenant", async () => {
    const res = await admin.get("/api/users/123");
    const error = expectApiError(res, 404, "not_found");
    const audit = await rejectionAudit(error.requestId);
    expect(audit).toMatchObject({ tenantId: t.id, actorType: "user", actorId: t.owner.id });
  });

  it("a literal ../ in the path never reaches a handler or a file: 404, no internals", async () => {
    for (const p of ["/api/users/../../etc/passwd", "/api/users/..%2f..%2f..%2fpackage.json"]) {
      const res = await admin.raw("GET", p);
      const text = await res.text();
      expect(res.status, p).toBe(404);
      expect(text).not.toMatch(/\n\s*at\s+\S+.*:\d+:\d+/);
      expect(text).not.toMatch(/"dependencies"|root:x:0:0/);
    }
  });

  it("a chunked JSON body without Content-Length is refused at 64 KiB (413), not read to its end", async () => {
    let pulled = 0;
    const total = 64 * 1024 * 1024;
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === 0) controller.enqueue(new TextEncoder().encode('{"token":"'));
        if (pulled >= total) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${BASE_URL}/api/set-password`, { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    const json = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(res.status).toBe(413);
    expect(json.error).toMatchObject({ code: "payload_too_large", message: expect.stringMatching(/64 KiB/) });
    expect(pulled).toBeLessThan(total / 4);
    expect((await rejectionAudit(json.error.requestId))?.reason).toBe("payload_too_large");
  });

  it("nothing was created by any of the refused requests", async () => {
    expect(await db().group.count({ where: { tenantId: t.id } })).toBe(0);
    expect(await db().user.count({ where: { tenantId: t.id } })).toBe(2);
    expect(await db().apiKey.count({ where: { tenantId: t.id } })).toBe(0);
    const tenant = await db().tenant.findUniqueOrThrow({ where: { id: t.id } });
    expect(tenant).toMatchObject({ sessionMaxSeconds: 28_800, sessionIdleSeconds: 1800, passwordMinLength: 12, passwordHistory: 5, lockoutThreshold: 10, name: `Tenant ${t.slug}` });
  });

  it("an unauthenticated call to an admin route is 401 with the documented shape", async () => {
    const res = await new AtriumClient().call("POST", "/api/groups", groupOk);
    expectApiError(res, 401, "unauthenticated", /session|Sign in/i);
    expect(await rejectionAudit((res.body as { error: { requestId: string } }).error.requestId)).toMatchObject({ reason: "unauthenticated", tenantId: null });
  });
});

describe("set-password links that are expired or used", () => {
  async function invite(): Promise<{ userId: string; token: string }> {
    const res = await admin.call<{ user: { id: string }; setPasswordUrl: string }>("POST", "/api/users", { email: email().replace("example.test", t.domain) });
    expect(res.status).toBe(201);
    return { userId: res.body.user.id, token: tokenOf(res.body.setPasswordUrl) };
  }

  it("an expired link: GET and POST are 404 with the one clear message, and the user stays invited", async () => {
    const { userId, token } = await invite();
    const anon = new AtriumClient();
    expect((await anon.get(`/api/set-password/${token}`)).status).toBe(200);
    const { count } = await db().setPasswordToken.updateMany({ where: { userId }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    expect(count).toBe(1);
    const get = await anon.get(`/api/set-password/${token}`);
    expectApiError(get, 404, undefined, new RegExp(`^${reEscape(LINK_GONE)}$`));
    const post = await anon.call("POST", "/api/set-password", { token, password: "A-Perfectly-Good-Passw0rd" });
    const error = expectApiError(post, 404, undefined, new RegExp(`^${reEscape(LINK_GONE)}$`));
    expect((await rejectionAudit(error.requestId))?.reason).toBe(error.code);
    const user = await db().user.findUniqueOrThrow({ where: { id: userId } });
    expect(user.status).toBe("invited");
    expect(user.passwordHash).toBeNull();
  });

  it("a used link: the second GET and POST are 404 with the same message, and the password is not changed again", async () => {
    const { userId, token } = await invite();
    const anon = new AtriumClient();
    const first = await anon.call("POST", "/api/set-password", { token, password: "A-Perfectly-Good-Passw0rd" });
    expect(first.status).toBe(201);
    const hash = (await db().user.findUniqueOrThrow({ where: { id: userId } })).passwordHash;
    expectApiError(await anon.get(`/api/set-password/${token}`), 404, undefined, new RegExp(`^${reEscape(LINK_GONE)}$`));
    const again = await new AtriumClient().call("POST", "/api/set-password", { token, password: "An0ther-Perfectly-Good-One" });
    expectApiError(again, 404, undefined, new RegExp(`^${reEscape(LINK_GONE)}$`));
    expect((await db().user.findUniqueOrThrow({ where: { id: userId } })).passwordHash).toBe(hash);
  });
});
