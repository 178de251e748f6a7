import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient, type JsonResponse } from "../support/atrium-client";
import { PASSWORD, makeTenant, makeUser, signedIn, type TestTenant } from "../support/fixtures";
import { expectNoStackTrace, operatorClient, tokenOf } from "../support/checks";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { generateSpKeyPair } from "@/lib/saml/connection";
import { pemBody } from "@/lib/saml/sp-metadata";

/**
 * Tenant isolation: an administrator (session or API key) of tenant B, holding
 * every id of tenant A, can neither read nor change anything of A, and no
 * response ever contains A's ids, emails or names.
 */

interface TenantAIds {
  tenantId: string;
  ownerId: string;
  memberId: string;
  invitedId: string;
  groupId: string;
  apiKeyId: string;
  memberSessionId: string;
  ownerSessionId: string;
  appId: string;
  engineId: string;
  ssoMappingId: string;
  ssoCertFingerprint: string;
}

interface TenantBIds {
  userId: string;
}

let A: TestTenant;
let B: TestTenant;
let a: TenantAIds;
let b: TenantBIds;
/** Every string of tenant A that must never show up in a response to tenant B. */
let secretsOfA: string[];
let ownerA: AtriumClient;
let memberA: AtriumClient;
let memberAEmail: string;
let apiKeyA: string;
/** IdP signing certificates (PEM): A's, and two of B's. */
let certA: string;
let certB: string;
let certB2: string;
let ownerB: AtriumClient;
let keyB: AtriumClient;
const marker = randomBytes(4).toString("hex");

/** Ids of A's rows as found in the database, for the before/after comparison. */
async function snapshotOfA() {
  const [tenant, users, groups, members, sessions, keys, tokens, sso, ssoMappings] = await Promise.all([
    db().tenant.findUniqueOrThrow({ where: { id: a.tenantId }, include: { domains: { orderBy: { domain: "asc" } } } }),
    db().user.findMany({ where: { tenantId: a.tenantId }, orderBy: { id: "asc" }, select: { id: true, email: true, name: true, role: true, status: true, passwordHash: true } }),
    db().group.findMany({ where: { tenantId: a.tenantId }, orderBy: { id: "asc" }, select: { id: true, name: true, description: true, cpuMillis: true, memoryMiB: true } }),
    db().groupMember.findMany({ where: { tenantId: a.tenantId }, orderBy: [{ groupId: "asc" }, { userId: "asc" }], select: { groupId: true, userId: true } }),
    db().session.findMany({ where: { tenantId: a.tenantId }, orderBy: { id: "asc" }, select: { id: true, revokedAt: true, expiresAt: true } }),
    db().apiKey.findMany({ where: { tenantId: a.tenantId }, orderBy: { id: "asc" }, select: { id: true, revokedAt: true, role: true, name: true } }),
    db().setPasswordToken.findMany({ where: { tenantId: a.tenantId }, orderBy: { id: "asc" }, select: { id: true, usedAt: true, expiresAt: true } }),
    db().ssoConnection.findUnique({ where: { tenantId: a.tenantId } }),
    db().ssoGroupMapping.findMany({ where: { tenantId: a.tenantId }, orderBy: { id: "asc" } }),
  ]);
  return { tenant, users, groups, members, sessions, keys, tokens, sso, ssoMappings };
}

function sessionTokenOf(c: AtriumClient): string {
  const token = [...c.cookies].find(([k]) => k.endsWith("atrium.session"))?.[1];
  if (!token) throw new Error("no session cookie");
  return token;
}

beforeAll(async () => {
  A = await makeTenant("isoa");
  B = await makeTenant("isob");

  ownerA = await signedIn(A, A.owner.email);
  const member = await makeUser(A, "member", `Alice Secretname ${marker}`);
  memberAEmail = member.email;
  memberA = await signedIn(A, member.email);
  const group = await ownerA.call<{ group: { id: string } }>("POST", "/api/groups", { name: `group-a-${marker}`, description: `A's private group ${marker}`, cpuMillis: 1500, memoryMiB: 2048 });
  expect(group.status).toBe(201);
  expect((await ownerA.call("PATCH", `/api/users/${member.id}`, { groupIds: [group.body.group.id] })).status).toBe(200);
  const key = await ownerA.call<{ apiKey: { id: string; prefix: string }; key: string }>("POST", "/api/api-keys", { name: `key-a-${marker}`, role: "admin" });
  expect(key.status).toBe(201);
  apiKeyA = key.body.key;
  const invited = await ownerA.call<{ user: { id: string; email: string }; setPasswordUrl: string }>("POST", "/api/users", { email: `invitee-${marker}@${A.domain}`, name: `Ingrid Invitee ${marker}` });
  expect(invited.status).toBe(201);
  const memberMe = await memberA.get<{ session: { id: string } }>("/api/me");
  const ownerMe = await ownerA.get<{ session: { id: string } }>("/api/me");

  a = {
    tenantId: A.id,
    ownerId: A.owner.id,
    memberId: member.id,
    invitedId: invited.body.user.id,
    groupId: group.body.group.id,
    apiKeyId: key.body.apiKey.id,
    memberSessionId: memberMe.body.session.id,
    ownerSessionId: ownerMe.body.session.id,
    appId: "",
    engineId: "",
    ssoMappingId: "",
    ssoCertFingerprint: "",
  };
  // A's SSO connection (manual) and a group mapping (docs/sso.md).
  const certs = await Promise.all(["idp-a", "idp-b", "idp-b2"].map(async (cn) => (await generateSpKeyPair(`${cn}-${marker}`)).certificate));
  [certA, certB, certB2] = [certs[0]!, certs[1]!, certs[2]!];
  const ssoA = await ownerA.call<{ connection: { idp: { certificates: { fingerprint: string }[] } } }>("PUT", "/api/sso", {
    entityId: `https://idp-${marker}.a.test/entity`,
    ssoUrl: `https://idp-${marker}.a.test/sso`,
    certificates: [certA],
    enabled: true,
  });
  expect(ssoA.status, ssoA.text).toBe(200);
  a.ssoCertFingerprint = ssoA.body.connection.idp.certificates[0]!.fingerprint;
  const mapping = await ownerA.call<{ groupMapping: { id: string } }>("POST", "/api/sso/group-mappings", { idpValue: `a-idp-group-${marker}`, groupId: group.body.group.id, role: "editor" });
  expect(mapping.status, mapping.text).toBe(201);
  a.ssoMappingId = mapping.body.groupMapping.id;
  // An app of A (shared with A's group) and an engine record of A's member (no process behind it:
  // a driver name the server's sweeper does not poll, so the record stays as it is).
  const app = await ownerA.call<{ app: { id: string } }>("POST", "/api/apps", { name: `app-a-${marker}`, nodes: [{ id: "secret_node", title: `A's node ${marker}`, formula: "1" }] });
  expect(app.status).toBe(201);
  expect((await ownerA.call("PUT", `/api/apps/${app.body.app.id}/shares`, { groupIds: [group.body.group.id] })).status).toBe(200);
  const engine = await db().engine.create({ data: { tenantId: A.id, userId: member.id, appId: app.body.app.id, driver: "isolation-walk", status: "running", secretEnc: "v1.x.y.z" } });
  a.appId = app.body.app.id;
  a.engineId = engine.id;
  const tenantA = await db().tenant.findUniqueOrThrow({ where: { id: A.id } });
  secretsOfA = [
    ...Object.values(a),
    A.owner.email,
    member.email,
    invited.body.user.email,
    `Alice Secretname ${marker}`,
    `Ingrid Invitee ${marker}`,
    `group-a-${marker}`,
    `A's private group ${marker}`,
    `key-a-${marker}`,
    `app-a-${marker}`,
    `A's node ${marker}`,
    `idp-${marker}.a.test`,
    `a-idp-group-${marker}`,
    pemBody(certA).slice(100, 160),
    key.body.apiKey.prefix,
    apiKeyA,
    tokenOf(invited.body.setPasswordUrl),
    sessionTokenOf(ownerA),
    sessionTokenOf(memberA),
    tenantA.name,
    A.slug,
  ];
  expect(secretsOfA.every((s) => typeof s === "string" && s.length >= 8)).toBe(true);

  ownerB = await signedIn(B, B.owner.email);
  b = { userId: (await makeUser(B, "member", "Bob of B")).id };
  const bKey = await ownerB.call<{ key: string }>("POST", "/api/api-keys", { name: "b-admin-key", role: "admin" });
  expect(bKey.status).toBe(201);
  keyB = AtriumClient.withApiKey(bKey.body.key);
});

afterAll(async () => {
  await closeDb();
  await closeRedis();
});

function expectNothingOfA(res: JsonResponse<unknown>, what: string): void {
  expectNoStackTrace(res.text);
  for (const s of secretsOfA) expect(res.text.includes(s), `${what}: response contains tenant A's "${s}": ${res.text.slice(0, 400)}`).toBe(false);
}

// ---------------------------------------------------------------------------
// The walk: every route of docs/api.md that takes an id or returns tenant
// data, called by tenant B's admin with tenant A's ids. `route` names the
// app/api file and method, so the coverage test below can check that every
// route.ts of the app is either walked here or explicitly allowed.
// ---------------------------------------------------------------------------

type Caller = "session" | "apiKey";

interface Step {
  route: `${"GET" | "POST" | "PUT" | "PATCH" | "DELETE"} /api/${string}`;
  path: () => string;
  body?: () => unknown;
  /** Acceptable statuses. For steps that act on B's own data, a 2xx is expected. */
  expect: number[];
  /** Which callers the step applies to (PATCH /api/tenant is owner-only, not for an admin key). */
  callers?: Caller[];
  check?: (res: JsonResponse<unknown>) => void | Promise<void>;
}

const DENIED = [403, 404];

const WALK: Step[] = [
  // Users of A, by id.
  { route: "GET /api/users/[id]", path: () => `/api/users/${a.memberId}`, expect: DENIED },
  { route: "GET /api/users/[id]", path: () => `/api/users/${a.ownerId}`, expect: DENIED },
  { route: "GET /api/users/[id]", path: () => `/api/users/${a.invitedId}`, expect: DENIED },
  { route: "PATCH /api/users/[id]", path: () => `/api/users/${a.memberId}`, body: () => ({ name: "pwned", role: "admin" }), expect: DENIED },
  { route: "PATCH /api/users/[id]", path: () => `/api/users/${a.memberId}`, body: () => ({ status: "disabled" }), expect: DENIED },
  { route: "PATCH /api/users/[id]", path: () => `/api/users/${a.ownerId}`, body: () => ({ role: "member" }), expect: DENIED },
  { route: "PATCH /api/users/[id]", path: () => `/api/users/${a.memberId}`, body: () => ({ groupIds: [] }), expect: DENIED },
  { route: "POST /api/users/[id]/set-password-link", path: () => `/api/users/${a.memberId}/set-password-link`, body: () => ({}), expect: DENIED },
  { route: "POST /api/users/[id]/set-password-link", path: () => `/api/users/${a.invitedId}/set-password-link`, body: () => ({}), expect: DENIED },
  { route: "POST /api/users/[id]/set-password-link", path: () => `/api/users/${a.ownerId}/set-password-link`, body: () => ({}), expect: DENIED },
  // Groups of A.
  { route: "GET /api/groups/[id]", path: () => `/api/groups/${a.groupId}`, expect: DENIED },
  { route: "PATCH /api/groups/[id]", path: () => `/api/groups/${a.groupId}`, body: () => ({ cpuMillis: 64_000, memoryMiB: 262_144, name: "taken-over" }), expect: DENIED },
  { route: "DELETE /api/groups/[id]", path: () => `/api/groups/${a.groupId}`, expect: DENIED },
  // Sessions and API keys of A.
  { route: "DELETE /api/sessions/[id]", path: () => `/api/sessions/${a.memberSessionId}`, expect: DENIED },
  { route: "DELETE /api/sessions/[id]", path: () => `/api/sessions/${a.ownerSessionId}`, expect: DENIED },
  { route: "DELETE /api/api-keys/[id]", path: () => `/api/api-keys/${a.apiKeyId}`, expect: DENIED },
  // A's group smuggled into B's own users.
  {
    route: "PATCH /api/users/[id]",
    path: () => `/api/users/${b.userId}`,
    body: () => ({ groupIds: [a.groupId] }),
    expect: [400],
    check: async (res) => {
      expect((res.body as { error: { code: string } }).error.code).toBe("bad_request");
      expect(await db().groupMember.count({ where: { OR: [{ userId: b.userId }, { groupId: a.groupId, userId: { not: a.memberId } }] } })).toBe(0);
    },
  },
  {
    route: "POST /api/users",
    path: () => "/api/users",
    body: () => ({ email: `smuggler-${randomBytes(3).toString("hex")}@${B.domain}`, groupIds: [a.groupId] }),
    expect: [400],
    check: async (res) => {
      expect((res.body as { error: { code: string } }).error.code).toBe("bad_request");
      expect(await db().user.count({ where: { email: { startsWith: "smuggler-" }, tenantId: B.id } })).toBe(0);
    },
  },
  // Lists and filters: B sees only B.
  {
    route: "GET /api/sessions",
    path: () => `/api/sessions?userId=${a.memberId}`,
    expect: [200],
    check: (res) => expect((res.body as { sessions: unknown[] }).sessions).toEqual([]),
  },
  {
    route: "GET /api/sessions",
    path: () => `/api/sessions?userId=${a.ownerId}`,
    expect: [200],
    check: (res) => expect((res.body as { sessions: unknown[] }).sessions).toEqual([]),
  },
  {
    route: "GET /api/sessions",
    path: () => "/api/sessions",
    expect: [200],
    check: async (res) => {
      const ids = (res.body as { sessions: { id: string }[] }).sessions.map((s) => s.id);
      const rows = await db().session.findMany({ where: { id: { in: ids } }, select: { tenantId: true } });
      expect(rows.every((r) => r.tenantId === B.id)).toBe(true);
    },
  },
  {
    route: "GET /api/users",
    path: () => "/api/users",
    expect: [200],
    check: (res) => {
      const users = (res.body as { users: { email: string }[] }).users;
      expect(users.length).toBeGreaterThanOrEqual(2);
      expect(users.every((u) => u.email.endsWith(`@${B.domain}`))).toBe(true);
    },
  },
  { route: "GET /api/users", path: () => `/api/users?q=${encodeURIComponent(memberAEmail)}`, expect: [200], check: (res) => expect((res.body as { users: unknown[] }).users).toEqual([]) },
  { route: "GET /api/users", path: () => `/api/users?q=${marker}`, expect: [200], check: (res) => expect((res.body as { users: unknown[] }).users).toEqual([]) },
  {
    route: "GET /api/groups",
    path: () => "/api/groups",
    expect: [200],
    check: async (res) => {
      const ids = (res.body as { groups: { id: string }[] }).groups.map((g) => g.id);
      expect(await db().group.count({ where: { id: { in: ids }, tenantId: { not: B.id } } })).toBe(0);
    },
  },
  {
    route: "GET /api/api-keys",
    path: () => "/api/api-keys",
    expect: [200],
    check: async (res) => {
      const ids = (res.body as { apiKeys: { id: string }[] }).apiKeys.map((k) => k.id);
      expect(ids.length).toBeGreaterThanOrEqual(1);
      expect(await db().apiKey.count({ where: { id: { in: ids }, tenantId: { not: B.id } } })).toBe(0);
    },
  },
  {
    route: "GET /api/tenant",
    path: () => "/api/tenant",
    expect: [200],
    check: (res) => expect((res.body as { id: string; domains: string[] })).toMatchObject({ id: B.id, domains: [B.domain] }),
  },
  // Writes to B's own data must land in B only (A's rows are compared in the database afterwards).
  { route: "PATCH /api/tenant", path: () => "/api/tenant", body: () => ({ name: `Tenant ${B.slug}` }), expect: [200], callers: ["session"] },
  { route: "POST /api/groups", path: () => "/api/groups", body: () => ({ name: `group-b-${randomBytes(3).toString("hex")}`, cpuMillis: 100, memoryMiB: 128 }), expect: [201] },
  { route: "POST /api/api-keys", path: () => "/api/api-keys", body: () => ({ name: "b-walk-key", role: "member" }), expect: [201] },
  { route: "GET /api/policies/session", path: () => "/api/policies/session", expect: [200] },
  { route: "PUT /api/policies/session", path: () => "/api/policies/session", body: () => ({ maxSessionSeconds: 7200, idleTimeoutSeconds: 900 }), expect: [200] },
  { route: "GET /api/policies/password", path: () => "/api/policies/password", expect: [200] },
  {
    route: "PUT /api/policies/password",
    path: () => "/api/policies/password",
    body: () => ({ minLength: 20, requireLower: false, requireUpper: false, requireDigit: false, requireSymbol: true, history: 0, maxAgeDays: 1 }),
    expect: [200],
  },
  { route: "GET /api/policies/lockout", path: () => "/api/policies/lockout", expect: [200] },
  { route: "PUT /api/policies/lockout", path: () => "/api/policies/lockout", body: () => ({ threshold: 3, windowSeconds: 60, durationSeconds: 86_400 }), expect: [200] },
  // Apps and engines of A (docs/workspaces.md). App routes for any signed-in user are session-only (API keys: 401).
  { route: "GET /api/apps/[id]", path: () => `/api/apps/${a.appId}`, expect: [404], callers: ["session"] },
  { route: "GET /api/apps/[id]", path: () => `/api/apps/${a.appId}`, expect: [401], callers: ["apiKey"] },
  { route: "PUT /api/apps/[id]", path: () => `/api/apps/${a.appId}`, body: () => ({ name: "taken-over", nodes: [{ id: "x", formula: "1" }] }), expect: DENIED },
  { route: "PUT /api/apps/[id]/shares", path: () => `/api/apps/${a.appId}/shares`, body: () => ({ groupIds: [] }), expect: DENIED },
  { route: "POST /api/apps/[id]/engine", path: () => `/api/apps/${a.appId}/engine`, body: () => ({}), expect: [404], callers: ["session"] },
  { route: "POST /api/apps/[id]/engine", path: () => `/api/apps/${a.appId}/engine`, body: () => ({}), expect: [401], callers: ["apiKey"] },
  { route: "DELETE /api/apps/[id]/engine", path: () => `/api/apps/${a.appId}/engine`, expect: [404], callers: ["session"] },
  { route: "DELETE /api/apps/[id]/engine", path: () => `/api/apps/${a.appId}/engine`, expect: [401], callers: ["apiKey"] },
  { route: "DELETE /api/engines/[id]", path: () => `/api/engines/${a.engineId}`, expect: DENIED },
  { route: "GET /api/apps", path: () => "/api/apps", expect: [200], callers: ["session"], check: (res) => expect((res.body as { apps: unknown[] }).apps.length).toBeGreaterThanOrEqual(0) },
  { route: "GET /api/apps", path: () => "/api/apps", expect: [401], callers: ["apiKey"] },
  { route: "POST /api/apps", path: () => "/api/apps", body: () => ({ name: "b-app", nodes: [{ id: "b", formula: "2" }] }), expect: [201] },
  {
    route: "GET /api/engines",
    path: () => "/api/engines",
    expect: [200],
    check: (res) => expect((res.body as { engines: { id: string }[] }).engines.map((e) => e.id)).not.toContain(a.engineId),
  },
  // SSO (docs/sso.md): B configures its own connection; A's certificate, mapping, users and groups stay out of reach.
  { route: "GET /api/sso", path: () => "/api/sso", expect: [200] },
  {
    route: "PUT /api/sso",
    path: () => "/api/sso",
    body: () => ({ entityId: "https://idp.b.test/entity", ssoUrl: "https://idp.b.test/sso", certificates: [certB] }),
    expect: [200],
  },
  {
    route: "POST /api/sso/metadata",
    path: () => "/api/sso/metadata",
    body: () => ({ xml: bMetadataXml() }),
    expect: [201],
    check: (res) => expect((res.body as { connection: { idp: { entityId: string } } }).connection.idp.entityId).toBe("https://idp.b.test/entity"),
  },
  { route: "POST /api/sso/certificates", path: () => "/api/sso/certificates", body: () => ({ certificate: certB2 }), expect: [201, 409] },
  { route: "DELETE /api/sso/certificates/[fingerprint]", path: () => `/api/sso/certificates/${a.ssoCertFingerprint}`, expect: [404] },
  { route: "POST /api/sso/sp-certificate/rotate", path: () => "/api/sso/sp-certificate/rotate", body: () => ({}), expect: [201] },
  { route: "DELETE /api/sso/sp-certificate/previous", path: () => "/api/sso/sp-certificate/previous", expect: [200] },
  { route: "GET /api/sso/sp-metadata", path: () => "/api/sso/sp-metadata", expect: [200], check: (res) => expect(res.text).toContain(`/api/saml/${B.slug}/acs`) },
  { route: "GET /api/sso/group-mappings", path: () => "/api/sso/group-mappings", expect: [200] },
  { route: "POST /api/sso/group-mappings", path: () => "/api/sso/group-mappings", body: () => ({ idpValue: "smuggle", groupId: a.groupId }), expect: [400] },
  { route: "PATCH /api/sso/group-mappings/[id]", path: () => `/api/sso/group-mappings/${a.ssoMappingId}`, body: () => ({ role: "admin" }), expect: [404] },
  { route: "DELETE /api/sso/group-mappings/[id]", path: () => `/api/sso/group-mappings/${a.ssoMappingId}`, expect: [404] },
  { route: "PUT /api/sso/break-glass", path: () => "/api/sso/break-glass", body: () => ({ userIds: [a.ownerId] }), expect: [400] },
  // The audit trail is checked in detail by its own test below; here: it answers, and carries none of A's names or emails.
  { route: "GET /api/audit", path: () => "/api/audit?limit=500", expect: [200] },
];

/** B's IdP metadata, pasted as XML. */
function bMetadataXml(): string {
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.b.test/entity">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>` +
    `<ds:X509Certificate>${pemBody(certB)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.b.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`
  );
}

/** Routes whose response can echo back ids that the caller itself typed (checked separately). */
const ECHOES_REQUEST = new Set<string>(["GET /api/audit"]);

async function walk(client: AtriumClient, caller: Caller): Promise<string[]> {
  const problems: string[] = [];
  for (const step of WALK) {
    if (step.callers && !step.callers.includes(caller)) continue;
    const method = step.route.split(" ")[0]!;
    const p = step.path();
    const res = await client.call(method, p, step.body?.());
    const label = `${caller} ${method} ${p}`;
    if (!step.expect.includes(res.status)) problems.push(`${label}: expected ${step.expect.join("/")}, got ${res.status} ${res.text.slice(0, 200)}`);
    expect(res.status, label).not.toBe(500);
    if (ECHOES_REQUEST.has(step.route)) {
      // No emails or names of A at all (ids the caller typed may appear in its own rejected-request records).
      const plain = secretsOfA.filter((s) => !Object.values(a).includes(s));
      for (const s of plain) if (res.text.includes(s)) problems.push(`${label}: contains A's "${s}"`);
    } else {
      for (const s of secretsOfA) if (res.text.includes(s)) problems.push(`${label}: contains A's "${s}"`);
      expectNoStackTrace(res.text);
    }
    await step.check?.(res);
  }
  return problems;
}

describe("tenant isolation: tenant B's admin holding tenant A's ids", () => {
  let before: Awaited<ReturnType<typeof snapshotOfA>>;
  let walkStarted: Date;

  it("walks every tenant route as B's owner (session) and B's admin API key: 403/404, nothing of A in any body", async () => {
    before = await snapshotOfA();
    walkStarted = new Date();
    const problems = [...(await walk(ownerB, "session")), ...(await walk(keyB, "apiKey"))];
    expect(problems).toEqual([]);
  }, 120_000); // the SSO steps generate RSA-3072 SP key pairs

  it("B's audit trail contains only B's events and no data of A", async () => {
    for (const client of [ownerB, keyB]) {
      let beforeCursor: string | null = null;
      const seen: { id: string; action: string; actor: { id: string | null }; metadata: Record<string, unknown> }[] = [];
      do {
        const res: JsonResponse<{ events: typeof seen; nextBefore: string | null }> = await client.get(`/api/audit?limit=500${beforeCursor ? `&before=${beforeCursor}` : ""}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.events);
        beforeCursor = res.body.nextBefore;
      } while (beforeCursor);
      expect(seen.length).toBeGreaterThan(10);
      // Every event shown belongs to tenant B in the database.
      const rows = await db().auditEvent.findMany({ where: { id: { in: seen.map((e) => e.id) } }, select: { tenantId: true } });
      expect(rows).toHaveLength(seen.length);
      expect(rows.filter((r) => r.tenantId !== B.id)).toEqual([]);
      // None of A's ids, emails or names appear, except inside B's own rejected
      // requests' path (the id B itself typed into the URL is echoed there).
      for (const e of seen) {
        const scrubbed = e.action === "request.rejected" ? { ...e, metadata: { ...e.metadata, path: "" } } : e;
        const text = JSON.stringify(scrubbed);
        for (const s of secretsOfA) expect(text.includes(s), `audit event ${e.action} contains A's "${s}": ${text}`).toBe(false);
      }
      // And B's refusals are on B's record with the precise reason.
      const refusals = seen.filter((e) => e.action === "request.rejected" && String(e.metadata.path).includes(a.groupId));
      expect(refusals.length).toBeGreaterThan(0);
    }
  });

  it("nothing of tenant A changed: users, groups, memberships, sessions, keys, links, policies — and A's audit trail got nothing from B", async () => {
    const after = await snapshotOfA();
    expect(after).toEqual(before);
    expect(after.users.find((u) => u.id === a.memberId)).toMatchObject({ role: "member", status: "active", name: `Alice Secretname ${marker}` });
    expect(after.groups).toEqual([expect.objectContaining({ id: a.groupId, cpuMillis: 1500, memoryMiB: 2048 })]);
    expect(after.tenant).toMatchObject({ sessionMaxSeconds: 28_800, sessionIdleSeconds: 1800, passwordMinLength: 12, lockoutThreshold: 10 });
    expect(after.sessions.find((s) => s.id === a.memberSessionId)?.revokedAt).toBeNull();
    expect(after.keys.find((k) => k.id === a.apiKeyId)?.revokedAt).toBeNull();
    expect(await db().app.findUniqueOrThrow({ where: { id: a.appId } })).toMatchObject({ name: `app-a-${marker}`, currentVersion: 1 });
    expect(await db().appShare.count({ where: { appId: a.appId } })).toBe(1);
    expect((await db().engine.findUniqueOrThrow({ where: { id: a.engineId } })).status).toBe("running");
    // Still live, from A's side.
    expect((await memberA.get("/api/me")).status).toBe(200);
    expect((await ownerA.get("/api/me")).status).toBe(200);
    expect((await AtriumClient.withApiKey(apiKeyA).get("/api/users")).status).toBe(200);
    const invited = await ownerA.get<{ user: { status: string } }>(`/api/users/${a.invitedId}`);
    expect(invited.body.user.status).toBe("invited");
    // B's walk wrote nothing into A's audit trail.
    const written = await db().auditEvent.findMany({ where: { tenantId: A.id, createdAt: { gte: walkStarted } } });
    expect(written.filter((e) => e.actorId !== a.ownerId && e.actorId !== a.memberId && e.actorId !== a.apiKeyId)).toEqual([]);
  });

  it("claiming A's email domain for B is refused and A keeps it", async () => {
    const res = await ownerB.call("PATCH", "/api/tenant", { domains: [A.domain] });
    expect(res.status).toBe(409);
    expect((await db().tenantDomain.findUnique({ where: { domain: A.domain } }))?.tenantId).toBe(A.id);
    expect(await db().tenantDomain.findMany({ where: { tenantId: B.id }, select: { domain: true } })).toEqual([{ domain: B.domain }]);
  });
});

// ---------------------------------------------------------------------------
// Coverage: every route.ts under app/api is either walked above or listed here
// as a route without tenant data (with the reason).
// ---------------------------------------------------------------------------

const NO_TENANT_DATA: Record<string, string> = {
  "GET /api/health": "liveness: {status, postgres, redis}, no tenant data",
  "POST /api/discover": "public: maps an email domain to a tenant's public slug and name (covered in admin-flows)",
  "GET /api/tenants/[slug]": "public: a tenant's public slug and name for its sign-in page",
  "GET /api/set-password/[token]": "public: needs the secret one-time token itself (covered in bad-input/admin-flows)",
  "POST /api/set-password": "public: needs the secret one-time token itself",
  "GET /api/auth/[...nextauth]": "next-auth sign-in/out plumbing, no tenant data",
  "POST /api/auth/[...nextauth]": "next-auth sign-in/out plumbing, no tenant data",
  "GET /api/me": "self: the caller's own user, session-only (checked for operators below)",
  "POST /api/me/password": "self: the caller's own password",
  "POST /api/me/sign-out-everywhere": "self: the caller's own sessions",
  "GET /api/operator/tenants": "operator console: refused to tenant users (checked below)",
  "POST /api/operator/tenants": "operator console: refused to tenant users (checked below)",
  // SAML endpoints: addressed by the tenant slug in the URL (public by design), authenticated by signed SAML
  // messages checked against that tenant's own connection; covered in tests/integration/saml/flows.test.ts.
  "GET /api/saml/[slug]/login": "public: starts an SP-initiated sign-in at the tenant's IdP (test mode needs that tenant's admin session)",
  "POST /api/saml/[slug]/acs": "SAML ACS: a response signed by the tenant's own IdP; refusals go to the error page",
  "GET /api/saml/[slug]/acs": "completes a sign-in with a one-time 256-bit code from the ACS",
  "GET /api/saml/[slug]/slo": "SAML SLO: logout messages from the tenant's own IdP",
  "POST /api/saml/[slug]/slo": "self: ends the caller's own session (CSRF-checked)",
  "GET /api/saml/[slug]/metadata": "public: the tenant's SP metadata (certificates only)",
};

const API_DIR = path.resolve(import.meta.dirname, "../../app/api");

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return routeFiles(full);
    return name === "route.ts" || name === "route.js" || name === "route.tsx" ? [full] : [];
  });
}

function routesIn(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const methods = new Set<string>();
  for (const m of src.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b/g)) methods.add(m[1]!);
  for (const m of src.matchAll(/export\s*\{([^}]*)\}/g)) for (const part of m[1]!.matchAll(/\bas\s+(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b|^\s*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s*$/gm)) methods.add((part[1] ?? part[2])!);
  const urlPath = "/api/" + path.relative(API_DIR, path.dirname(file)).split(path.sep).join("/");
  return [...methods].map((m) => `${m} ${urlPath}`);
}

describe("route coverage", () => {
  it("every app/api route is walked by the isolation test or explicitly allowed as having no tenant data", () => {
    const all = routeFiles(API_DIR).flatMap(routesIn).sort();
    expect(all.length).toBeGreaterThanOrEqual(30);
    const walked = new Set<string>(WALK.map((s) => s.route));
    const uncovered = all.filter((r) => !walked.has(r) && !(r in NO_TENANT_DATA));
    expect(uncovered, "routes neither walked nor allowed — add them to WALK (or, if they carry no tenant data, to NO_TENANT_DATA)").toEqual([]);
    // And the table names no route that no longer exists.
    const stale = [...walked, ...Object.keys(NO_TENANT_DATA)].filter((r) => !all.includes(r));
    expect(stale).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Roles across the boundary.
// ---------------------------------------------------------------------------

/** Every tenant-admin route, with A's own ids (for A's member) — the member must be refused all of them. */
function adminRoutes(): { method: string; path: string; body?: unknown }[] {
  return [
    { method: "GET", path: "/api/tenant" },
    { method: "PATCH", path: "/api/tenant", body: { name: "member was here" } },
    { method: "GET", path: "/api/users" },
    { method: "POST", path: "/api/users", body: { email: `m-${marker}@${A.domain}` } },
    { method: "GET", path: `/api/users/${a.ownerId}` },
    { method: "PATCH", path: `/api/users/${a.memberId}`, body: { role: "owner" } },
    { method: "POST", path: `/api/users/${a.invitedId}/set-password-link`, body: {} },
    { method: "GET", path: "/api/groups" },
    { method: "POST", path: "/api/groups", body: { name: "member-group", cpuMillis: 100, memoryMiB: 128 } },
    { method: "GET", path: `/api/groups/${a.groupId}` },
    { method: "PATCH", path: `/api/groups/${a.groupId}`, body: { cpuMillis: 64_000 } },
    { method: "DELETE", path: `/api/groups/${a.groupId}` },
    { method: "GET", path: "/api/policies/session" },
    { method: "PUT", path: "/api/policies/session", body: { maxSessionSeconds: 2_592_000, idleTimeoutSeconds: 86_400 } },
    { method: "GET", path: "/api/policies/password" },
    { method: "PUT", path: "/api/policies/password", body: { minLength: 8, requireLower: false, requireUpper: false, requireDigit: false, requireSymbol: false, history: 0, maxAgeDays: null } },
    { method: "GET", path: "/api/policies/lockout" },
    { method: "PUT", path: "/api/policies/lockout", body: { threshold: 100, windowSeconds: 60, durationSeconds: 60 } },
    { method: "GET", path: "/api/sessions" },
    { method: "DELETE", path: `/api/sessions/${a.ownerSessionId}` },
    { method: "GET", path: "/api/api-keys" },
    { method: "POST", path: "/api/api-keys", body: { name: "member-key" } },
    { method: "DELETE", path: `/api/api-keys/${a.apiKeyId}` },
    { method: "GET", path: "/api/audit" },
    { method: "GET", path: "/api/sso" },
    { method: "PUT", path: "/api/sso", body: { enabled: false } },
    { method: "POST", path: "/api/sso/metadata", body: { xml: "<x/>" } },
    { method: "GET", path: "/api/sso/sp-metadata" },
    { method: "GET", path: "/api/sso/group-mappings" },
    { method: "DELETE", path: `/api/sso/group-mappings/${a.ssoMappingId}` },
    { method: "PUT", path: "/api/sso/break-glass", body: { userIds: [] } },
  ];
}

describe("roles", () => {
  it("a member of tenant A gets 403 on every admin route of their own tenant, and nothing changes", async () => {
    const before = await snapshotOfA();
    const results: string[] = [];
    for (const r of adminRoutes()) {
      const res = await memberA.call(r.method, r.path, r.body);
      if (res.status !== 403 || (res.body as { error?: { code?: string } })?.error?.code !== "forbidden") results.push(`${r.method} ${r.path}: ${res.status} ${res.text.slice(0, 120)}`);
      expectNoStackTrace(res.text);
    }
    expect(results).toEqual([]);
    expect(await snapshotOfA()).toEqual(before);
    const rejected = await db().auditEvent.count({ where: { tenantId: A.id, actorId: a.memberId, action: "request.rejected", reason: "forbidden" } });
    expect(rejected).toBeGreaterThanOrEqual(adminRoutes().length);
    // Their own self routes still work.
    expect((await memberA.get("/api/me")).status).toBe(200);
  });

  it("a platform operator's session gets 403 on every tenant route and on /api/me", async () => {
    const { client: operator } = await operatorClient();
    const results: string[] = [];
    for (const r of [...adminRoutes(), { method: "GET", path: "/api/me" }, { method: "POST", path: "/api/me/sign-out-everywhere", body: {} }]) {
      const res = await operator.call(r.method, r.path, r.body);
      if (res.status !== 403) results.push(`${r.method} ${r.path}: ${res.status} ${res.text.slice(0, 120)}`);
      expectNothingOfA(res, `operator ${r.method} ${r.path}`);
    }
    expect(results).toEqual([]);
    // The operator's own console works (positive control).
    expect((await operator.get("/api/operator/tenants")).status).toBe(200);
  });

  it("tenant users (owner, member) and tenant API keys get 403/401 on the operator API", async () => {
    for (const c of [ownerA, memberA]) {
      const list = await c.get("/api/operator/tenants");
      expect(list.status).toBe(403);
      expectNothingOfA(list, "operator list");
      expect(list.text).not.toContain(B.slug);
      const create = await c.call("POST", "/api/operator/tenants", { slug: `evil-${marker}`, name: "Evil", admin: { email: `x@evil-${marker}.test` } });
      expect(create.status).toBe(403);
    }
    const viaKey = await AtriumClient.withApiKey(apiKeyA).get("/api/operator/tenants");
    expect(viaKey.status).toBe(401);
    expect(viaKey.text).not.toContain(B.slug);
    expect(await db().tenant.count({ where: { slug: `evil-${marker}` } })).toBe(0);
  });

  it("sanity: A's own owner still sees A's data (the walk's secrets are real)", async () => {
    const res = await ownerA.get(`/api/users/${a.memberId}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(memberAEmail);
    expect(await new AtriumClient().signIn(A.slug, memberAEmail, PASSWORD)).toBeNull();
  });
});
