import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient, type JsonResponse } from "../support/atrium-client";
import { PASSWORD, makeTenant, makeUser, signedIn, type TestTenant } from "../support/fixtures";
import { expectApiError, expectNoStackTrace, rejectionAudit, tokenOf } from "../support/checks";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { openSpKey } from "@/lib/saml/connection";

/**
 * The tenant admin's SSO configuration against the real portal, PostgreSQL, Redis and the local SimpleSAMLphp IdP
 * served over https with a certificate from the project's test CA (scripts/saml-idp.sh). The portal under test runs
 * with NODE_EXTRA_CA_CERTS = that CA and SSO_METADATA_ALLOW_PRIVATE=1 (scripts/test.sh); the refusals of internal
 * addresses without that flag are covered by tests/unit/saml/metadata-import.test.ts.
 */

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const INSTANCE = Number(process.env.ATRIUM_TEST_INSTANCE ?? "0");
// This file's own IdP instance (own directory and ports), so other suites starting/stopping the shared one don't
// interfere; its TLS certificate is issued by the same test CA the portal trusts.
const SHARED_IDP_DIR = process.env.SAML_IDP_DIR ?? path.join(ROOT, ".data/saml-idp");
const IDP_DIR = path.join(ROOT, `.data/saml-idp-sso-${INSTANCE}`);
const IDP_PORT = Number(process.env.SSO_TEST_IDP_PORT ?? 8100 + INSTANCE);
const IDP_TLS_PORT = Number(process.env.SSO_TEST_IDP_TLS_PORT ?? 8460 + INSTANCE);
const IDP_ENV = { ...process.env, SAML_IDP_DIR: IDP_DIR, SAML_IDP_PORT: String(IDP_PORT), SAML_IDP_TLS_PORT: String(IDP_TLS_PORT) };
const HTTPS_METADATA = `https://127.0.0.1:${IDP_TLS_PORT}/simplesaml/saml2/idp/metadata.php`;
const IDP_ENTITY = `http://127.0.0.1:${IDP_PORT}/simplesaml/saml2/idp/metadata.php`;

let T: TestTenant; // configured by metadata URL
let P: TestTenant; // configured by pasted XML
let M: TestTenant; // configured manually
let owner: AtriumClient;
let admin: { id: string; email: string };
let adminClient: AtriumClient;
let member: { id: string; email: string };
let memberClient: AtriumClient;
let editorClient: AtriumClient;
let idpCertPem: string;
let idpFingerprint: string;
let hostile: Server;
let hostileBase: string;
/** Every response body of this file, scanned for private keys at the end. */
const seen: string[] = [];

type SsoView = {
  configured: boolean;
  connection: null | {
    enabled: boolean;
    idp: { entityId: string; ssoUrl: string; sloUrl: string | null; wantsSignedRequests: boolean; certificates: { fingerprint: string; subject: string; notAfter: string; pem: string }[] };
    metadataUrl: string | null;
    policy: { requireSso: boolean; allowIdpInitiated: boolean; clockSkewSeconds: number };
    jit: { enabled: boolean; defaultRole: string };
  };
  sp: { entityId: string; acsUrl: string; sloUrl: string; metadataUrl: string; loginUrl: string; testUrl: string; certificate: { fingerprint: string } | null; previousCertificate: { fingerprint: string } | null };
  breakGlass: { candidates: { id: string; breakGlass: boolean; usable: boolean }[] };
};

async function call<T = SsoView>(c: AtriumClient, method: string, p: string, body?: unknown): Promise<JsonResponse<T>> {
  const res = await c.call<T>(method, p, body);
  seen.push(res.text);
  expectNoStackTrace(res.text);
  return res;
}

const fp = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();

async function auditRows(tenantId: string, action: string) {
  return db().auditEvent.findMany({ where: { tenantId, action }, orderBy: { createdAt: "asc" } });
}

beforeAll(async () => {
  // The test CA is the one the portal trusts (scripts/test.sh made it); this IdP's TLS certificate is issued by it.
  mkdirSync(path.join(IDP_DIR, "cert"), { recursive: true });
  for (const f of ["ca.crt", "ca.key"]) {
    if (!existsSync(path.join(SHARED_IDP_DIR, "cert", f))) throw new Error(`the test CA ${SHARED_IDP_DIR}/cert/${f} is missing (scripts/test.sh creates it)`);
    copyFileSync(path.join(SHARED_IDP_DIR, "cert", f), path.join(IDP_DIR, "cert", f));
  }
  await run("bash", [path.join(ROOT, "scripts/saml-idp.sh")], { env: IDP_ENV, timeout: 9 * 60_000, maxBuffer: 10 * 1024 * 1024 });
  idpCertPem = readFileSync(path.join(IDP_DIR, "cert/idp.crt"), "utf8");
  idpFingerprint = fp(idpCertPem);

  // A hostile metadata server, over https with a certificate from the same CA: oversized, slow, redirecting, DOCTYPE.
  const key = readFileSync(path.join(IDP_DIR, "cert/tls.key"));
  const cert = readFileSync(path.join(IDP_DIR, "cert/tls.crt"));
  const good = await (await fetch(`http://127.0.0.1:${IDP_PORT}/simplesaml/saml2/idp/metadata.php`)).text();
  hostile = createServer({ key, cert }, (req, res) => {
    const u = req.url ?? "/";
    if (u === "/big") {
      // 2 MiB, chunked (no Content-Length): the portal must stop reading at 1 MiB.
      res.writeHead(200, { "content-type": "application/xml" });
      const chunk = Buffer.alloc(64 * 1024, " ");
      let sent = 0;
      const pump = () => {
        while (sent < 2 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once("drain", pump);
        }
        res.end();
      };
      res.write("<md:EntityDescriptor>");
      pump();
    } else if (u === "/big-declared") {
      res.writeHead(200, { "content-type": "application/xml", "content-length": String(2 * 1024 * 1024) });
      res.end(Buffer.alloc(2 * 1024 * 1024, " "));
    } else if (u === "/slow") {
      res.writeHead(200, { "content-type": "application/xml" });
      const t = setInterval(() => res.write(" "), 500);
      res.on("close", () => clearInterval(t));
    } else if (u === "/redirect") {
      res.writeHead(302, { location: "https://169.254.169.254/latest/meta-data" });
      res.end();
    } else if (u === "/doctype") {
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(`<?xml version="1.0"?><!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>${good.replace(/^<\?xml[^>]*>/, "")}`);
    } else if (u === "/two-idps") {
      const entity = good.replace(/^<\?xml[^>]*>\s*/, "");
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${entity}${entity.replace(IDP_ENTITY, "https://second-idp.test")}</md:EntitiesDescriptor>`);
    } else {
      res.writeHead(404).end("not here");
    }
  });
  await new Promise<void>((r) => hostile.listen(0, "127.0.0.1", r));
  hostileBase = `https://127.0.0.1:${(hostile.address() as AddressInfo).port}`;

  T = await makeTenant("ssot");
  P = await makeTenant("ssop");
  M = await makeTenant("ssom");
  owner = await signedIn(T, T.owner.email);
  admin = await makeUser(T, "admin", "Ada Admin");
  adminClient = await signedIn(T, admin.email);
  member = await makeUser(T, "member", "Mel Member");
  memberClient = await signedIn(T, member.email);
  editorClient = await signedIn(T, (await makeUser(T, "editor", "Ed Editor")).email);
}, 10 * 60_000);

afterAll(async () => {
  hostile?.closeAllConnections();
  await new Promise<void>((r) => (hostile ? hostile.close(() => r()) : r()));
  await run("bash", [path.join(ROOT, "scripts/saml-idp.sh"), "--stop"], { env: IDP_ENV, timeout: 60_000 }).catch(() => undefined);
  await closeDb();
  await closeRedis();
}, 90_000);

describe("SSO configuration: import, manual, certificates, SP keys", () => {
  it("shows the SP endpoints and an empty state before anything is configured", async () => {
    const res = await call(owner, "GET", "/api/sso");
    expect(res.status).toBe(200);
    expect(res.body.configured).toBe(false);
    expect(res.body.connection).toBeNull();
    expect(res.body.sp).toMatchObject({
      entityId: expect.stringMatching(new RegExp(`/api/saml/${T.slug}/metadata$`)),
      acsUrl: expect.stringMatching(new RegExp(`/api/saml/${T.slug}/acs$`)),
      testUrl: expect.stringMatching(new RegExp(`/api/saml/${T.slug}/login\\?mode=test$`)),
      certificate: null,
    });
  });

  it("imports the local IdP's metadata over https (test CA), creating the connection with a fresh SP key pair", async () => {
    const res = await call(owner, "POST", "/api/sso/metadata", { url: HTTPS_METADATA });
    expect(res.status, res.text).toBe(201);
    const c = res.body.connection!;
    expect(c.enabled).toBe(false);
    expect(c.idp).toMatchObject({ entityId: IDP_ENTITY, ssoUrl: `http://127.0.0.1:${IDP_PORT}/simplesaml/saml2/idp/SSOService.php`, sloUrl: `http://127.0.0.1:${IDP_PORT}/simplesaml/saml2/idp/SingleLogoutService.php`, wantsSignedRequests: false });
    expect(c.idp.certificates.map((x) => x.fingerprint)).toEqual([idpFingerprint]);
    expect(c.idp.certificates[0]!.subject).toBe("CN=atrium-test-idp");
    expect(c.metadataUrl).toBe(HTTPS_METADATA);
    expect(res.body.sp.certificate?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const row = await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } });
    expect(row.idpCertificates).toHaveLength(1);
    expect(fp(row.idpCertificates[0]!)).toBe(idpFingerprint);
    const [audit] = await auditRows(T.id, "sso.metadata_imported");
    expect(audit).toMatchObject({ actorId: T.owner.id, outcome: "success" });
    expect(audit!.metadata).toMatchObject({ source: "url", created: true, entityId: IDP_ENTITY, certificates: [idpFingerprint] });
  });

  it("re-imports through a host name (localhost resolves to loopback, honoured because the operator allows it) and keeps the SP key and the rest", async () => {
    const before = await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } });
    expect((await call(owner, "PUT", "/api/sso", { allowIdpInitiated: true, clockSkewSeconds: 120 })).status).toBe(200);
    const res = await call(owner, "POST", "/api/sso/metadata", { url: HTTPS_METADATA.replace("127.0.0.1", "localhost") });
    expect(res.status, res.text).toBe(201);
    expect(res.body.connection!.policy).toMatchObject({ allowIdpInitiated: true, clockSkewSeconds: 120 });
    const after = await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } });
    expect(after.spCertificate).toBe(before.spCertificate);
    expect(after.spKeyEnc).toBe(before.spKeyEnc);
  });

  it("imports pasted metadata XML", async () => {
    const ownerP = await signedIn(P, P.owner.email);
    const xml = await (await fetch(`http://127.0.0.1:${IDP_PORT}/simplesaml/saml2/idp/metadata.php`)).text();
    const res = await call(ownerP, "POST", "/api/sso/metadata", { xml });
    expect(res.status, res.text).toBe(201);
    expect(res.body.connection!.idp.entityId).toBe(IDP_ENTITY);
    expect(res.body.connection!.metadataUrl).toBeNull();
    expect((await auditRows(P.id, "sso.metadata_imported"))[0]!.metadata).toMatchObject({ source: "xml" });
    // Large documents (ADFS metadata runs past 64 KiB) are accepted up to 1 MiB of XML, refused beyond.
    const padded = xml.replace("<md:IDPSSODescriptor", `<!-- ${"x".repeat(200 * 1024)} --><md:IDPSSODescriptor`);
    expect((await call(ownerP, "POST", "/api/sso/metadata", { xml: padded })).status).toBe(201);
    expectApiError(await call(ownerP, "POST", "/api/sso/metadata", { xml: padded.replace("x".repeat(1000), "x".repeat(1024 * 1024)) }), 400, "bad_request", /larger than 1 MiB/);
  });

  it("refuses bad metadata sources with a specific 4xx and an audit row: http, unreachable, redirect, oversized, slow, DOCTYPE, two IdPs, not metadata", async () => {
    const cases: { body: unknown; status: number; code: string; message: RegExp }[] = [
      { body: { url: `http://127.0.0.1:${IDP_PORT}/simplesaml/saml2/idp/metadata.php` }, status: 400, code: "metadata_url_refused", message: /must use https/ },
      { body: { url: "javascript:alert(1)" }, status: 400, code: "metadata_url_refused", message: /https/ },
      { body: { url: `${hostileBase}/redirect` }, status: 422, code: "metadata_fetch_failed", message: /redirect \(302 to https:\/\/169\.254\.169\.254.*not followed/ },
      { body: { url: `${hostileBase}/big` }, status: 413, code: "metadata_too_large", message: /larger than 1024 KiB; the download was stopped/ },
      { body: { url: `${hostileBase}/big-declared` }, status: 413, code: "metadata_too_large", message: /Content-Length 2097152/ },
      { body: { url: `${hostileBase}/doctype` }, status: 400, code: "metadata_invalid", message: /DOCTYPE/ },
      { body: { url: `${hostileBase}/two-idps` }, status: 400, code: "metadata_invalid", message: /2 identity providers/ },
      { body: { url: `${hostileBase}/nothing` }, status: 422, code: "metadata_fetch_failed", message: /HTTP 404/ },
      { body: { url: "https://127.0.0.1:1/metadata" }, status: 422, code: "metadata_fetch_failed", message: /could not be fetched \(ECONNREFUSED\)/ },
      { body: { xml: "<html><body>Sign in</body></html>" }, status: 400, code: "metadata_invalid", message: /not SAML metadata/ },
      { body: { xml: "<md:EntityDescriptor" }, status: 400, code: "metadata_invalid", message: /not well-formed/ },
    ];
    const before = await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } });
    for (const c of cases) {
      const res = await call(owner, "POST", "/api/sso/metadata", c.body);
      expectApiError(res, c.status, c.code, c.message);
    }
    const refused = await auditRows(T.id, "sso.metadata_import_refused");
    expect(refused.map((r) => r.reason)).toEqual(cases.map((c) => c.code));
    expect(refused.every((r) => r.outcome === "failure")).toBe(true);
    // Nothing changed.
    expect(await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } })).toEqual(before);
  });

  it("stops a metadata download that trickles after the 10 s limit", async () => {
    const started = Date.now();
    const res = await call(owner, "POST", "/api/sso/metadata", { url: `${hostileBase}/slow` });
    const took = Date.now() - started;
    expectApiError(res, 422, "metadata_timeout", /longer than 10 s/);
    expect(took).toBeGreaterThanOrEqual(9_500);
    expect(took).toBeLessThan(15_000);
  }, 30_000);

  it("configures manually; refuses javascript:/data: URLs, skew > 300, owner as JIT role, garbage certificates — with audit rows", async () => {
    const ownerM = await signedIn(M, M.owner.email);
    const first = { entityId: "https://idp.manual.test/entity", ssoUrl: "https://idp.manual.test/sso", certificates: [idpCertPem] };
    expectApiError(await call(ownerM, "PUT", "/api/sso", { enabled: true }), 400, "bad_request", /first configuration needs/);
    const bad: [unknown, RegExp][] = [
      [{ ...first, ssoUrl: "javascript:alert(document.cookie)" }, /javascript: is refused/],
      [{ ...first, sloUrl: "data:text/html,<script>x</script>" }, /data: is refused/],
      [{ ...first, clockSkewSeconds: 301 }, /clockSkewSeconds/],
      [{ ...first, jit: { enabled: true, defaultRole: "owner" } }, /never owner/],
      [{ ...first, certificates: ["-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----"] }, /could not be parsed/],
      [{ ...first, certificates: [] }, /at least one IdP signing certificate/],
      [{ ...first, wantAssertionsSigned: false, wantResponseSigned: false }, /never accepts unsigned/],
    ];
    for (const [body, message] of bad) {
      const res = await call(ownerM, "PUT", "/api/sso", body);
      const err = expectApiError(res, 400, undefined, message);
      expect(await rejectionAudit(err.requestId)).toMatchObject({ tenantId: M.id, outcome: "failure" });
    }
    expect(await db().ssoConnection.count({ where: { tenantId: M.id } })).toBe(0);
    const res = await call(ownerM, "PUT", "/api/sso", { ...first, sloUrl: "", jit: { enabled: true, defaultRole: "editor" }, attributes: { email: "mail", groups: "memberOf" } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.connection).toMatchObject({ enabled: false, idp: { entityId: first.entityId, ssoUrl: first.ssoUrl, sloUrl: null }, jit: { enabled: true, defaultRole: "editor" } });
    expect(res.body.sp.certificate).not.toBeNull();
    expect((await auditRows(M.id, "sso.created")).length).toBe(1);
  });

  it("rolls IdP certificates over: add a second, remove the old one, never the last", async () => {
    const second = readFileSync(path.join(IDP_DIR, "cert/tls.crt"), "utf8");
    const added = await call(owner, "POST", "/api/sso/certificates", { certificate: second });
    expect(added.status, added.text).toBe(201);
    expect(added.body.connection!.idp.certificates.map((c) => c.fingerprint)).toEqual([idpFingerprint, fp(second)]);
    expectApiError(await call(owner, "POST", "/api/sso/certificates", { certificate: second }), 409, "conflict", /already configured/);
    expectApiError(await call(owner, "POST", "/api/sso/certificates", { certificate: "not a certificate" }), 400, "certificate_invalid");
    const removed = await call(owner, "DELETE", `/api/sso/certificates/${idpFingerprint}`);
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.connection!.idp.certificates.map((c) => c.fingerprint)).toEqual([fp(second)]);
    expectApiError(await call(owner, "DELETE", `/api/sso/certificates/${fp(second)}`), 409, "conflict", /only signing certificate/);
    expectApiError(await call(owner, "DELETE", `/api/sso/certificates/${"0".repeat(64)}`), 404, "not_found");
    expectApiError(await call(owner, "DELETE", "/api/sso/certificates/..%2f..%2fetc"), 404, "not_found");
    expect((await auditRows(T.id, "sso.certificate_added"))[0]!.metadata).toMatchObject({ fingerprint: fp(second) });
    expect((await auditRows(T.id, "sso.certificate_removed"))[0]!.metadata).toMatchObject({ fingerprint: idpFingerprint });
    // Back to the IdP's real certificate for the sign-in tests below.
    expect((await call(owner, "PUT", "/api/sso", { certificates: [idpCertPem] })).status).toBe(200);
  });

  it("rotates the SP key: the metadata lists both certificates until the previous one is retired", async () => {
    const metadata = async () => {
      const res = await owner.raw("GET", "/api/sso/sp-metadata");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename="atrium-sp-metadata-${T.slug}.xml"`);
      const text = await res.text();
      seen.push(text);
      return text;
    };
    const certs = (xml: string) => [...new Set([...xml.matchAll(/<ds:X509Certificate>([^<]+)</g)].map((m) => m[1]!))];
    const before = await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } });
    const xml1 = await metadata();
    expect(certs(xml1)).toHaveLength(1);
    expect(xml1).toContain(`entityID="${(await call(owner, "GET", "/api/sso")).body.sp.entityId}"`);

    const rotated = await call(owner, "POST", "/api/sso/sp-certificate/rotate", {});
    expect(rotated.status, rotated.text).toBe(201);
    expect(rotated.body.sp.previousCertificate?.fingerprint).toBe(fp(before.spCertificate));
    expect(rotated.body.sp.certificate?.fingerprint).not.toBe(fp(before.spCertificate));
    const xml2 = await metadata();
    expect(certs(xml2)).toHaveLength(2);
    expect(xml2.match(/use="encryption"/g)).toHaveLength(2);
    const mid = await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } });
    expect(mid.spPreviousKeyEnc).toBe(before.spKeyEnc);
    expectApiError(await call(owner, "POST", "/api/sso/sp-certificate/rotate", {}), 409, "conflict", /retire it before rotating again/);

    const retired = await call(owner, "DELETE", "/api/sso/sp-certificate/previous");
    expect(retired.status).toBe(200);
    expect(retired.body.sp.previousCertificate).toBeNull();
    const xml3 = await metadata();
    expect(certs(xml3)).toHaveLength(1);
    expect(certs(xml3)[0]).not.toBe(certs(xml1)[0]);
    expectApiError(await call(owner, "DELETE", "/api/sso/sp-certificate/previous"), 404, "not_found");
    expect((await auditRows(T.id, "sso.sp_key_rotated")).length).toBe(1);
    expect((await auditRows(T.id, "sso.sp_key_retired")).length).toBe(1);
  });

  it("group mappings: CRUD within the tenant, never owner, never another tenant's group", async () => {
    const group = await call<{ group: { id: string } }>(owner, "POST", "/api/groups", { name: "sso-analysts", cpuMillis: 100, memoryMiB: 128 });
    const ownerP = await signedIn(P, P.owner.email);
    const foreign = await call<{ group: { id: string } }>(ownerP, "POST", "/api/groups", { name: "p-group", cpuMillis: 100, memoryMiB: 128 });
    const created = await call<{ groupMapping: { id: string; groupName: string; role: string | null } }>(owner, "POST", "/api/sso/group-mappings", { idpValue: "analysts", groupId: group.body.group.id });
    expect(created.status, created.text).toBe(201);
    expect(created.body.groupMapping).toMatchObject({ groupName: "sso-analysts", role: null });
    expectApiError(await call(owner, "POST", "/api/sso/group-mappings", { idpValue: "admins", role: "owner" }), 400, "bad_request", /never owner/);
    expectApiError(await call(owner, "POST", "/api/sso/group-mappings", { idpValue: "x", groupId: foreign.body.group.id }), 400, "bad_request", /no such group/);
    expectApiError(await call(owner, "POST", "/api/sso/group-mappings", { idpValue: "nothing" }), 400, "bad_request", /group, a role, or both/);
    const patched = await call<{ groupMapping: { role: string } }>(owner, "PATCH", `/api/sso/group-mappings/${created.body.groupMapping.id}`, { role: "editor" });
    expect(patched.body.groupMapping.role).toBe("editor");
    const list = await call<{ groupMappings: { idpValue: string }[] }>(owner, "GET", "/api/sso/group-mappings");
    expect(list.body.groupMappings.map((m) => m.idpValue)).toEqual(["analysts"]);
    // P's owner cannot touch T's mapping.
    expectApiError(await call(ownerP, "DELETE", `/api/sso/group-mappings/${created.body.groupMapping.id}`), 404, "not_found");
    expect((await call(owner, "DELETE", `/api/sso/group-mappings/${created.body.groupMapping.id}`)).status).toBe(200);
    expect(await db().ssoGroupMapping.count({ where: { tenantId: T.id } })).toBe(0);
    expect((await auditRows(T.id, "sso.group_mapping_deleted")).length).toBe(1);
  });
});

describe("require SSO", () => {
  it("refuses to require SSO while disabled or without a usable break-glass administrator", async () => {
    expectApiError(await call(owner, "PUT", "/api/sso", { requireSso: true }), 409, "require_sso_refused", /while SSO is disabled/);
    expect((await call(owner, "PUT", "/api/sso", { enabled: true })).status).toBe(200);
    expectApiError(await call(owner, "PUT", "/api/sso", { requireSso: true }), 409, "require_sso_refused", /without a break-glass administrator.*mark at least one active owner or administrator/);
    expectApiError(await call(owner, "PUT", "/api/sso/break-glass", { userIds: [member.id] }), 400, "bad_request", /Only owners and administrators.*is a member/);
    expect((await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } })).requireSso).toBe(false);
  });

  it("with a break-glass admin, requires SSO; the last break-glass admin cannot be unmarked, SSO cannot be disabled meanwhile", async () => {
    const marked = await call(owner, "PUT", "/api/sso/break-glass", { userIds: [admin.id] });
    expect(marked.status, marked.text).toBe(200);
    expect(marked.body.breakGlass.candidates.find((c) => c.id === admin.id)).toMatchObject({ breakGlass: true, usable: true });
    const on = await call(owner, "PUT", "/api/sso", { requireSso: true });
    expect(on.status, on.text).toBe(200);
    expect(on.body.connection!.policy.requireSso).toBe(true);
    expectApiError(await call(owner, "PUT", "/api/sso/break-glass", { userIds: [] }), 409, "require_sso_refused");
    expectApiError(await call(owner, "PUT", "/api/sso", { enabled: false }), 409, "require_sso_refused", /while SSO is disabled/);
    const changed = await auditRows(T.id, "sso.require_sso_changed");
    expect(changed.map((r) => r.metadata)).toEqual([{ from: false, to: true }]);
    expect((await auditRows(T.id, "sso.break_glass_changed"))[0]!.metadata).toMatchObject({ added: [admin.id], removed: [] });
  });

  it("password sign-in: refused (generic error) for everyone else, audited as sso_required; the break-glass admin still signs in", async () => {
    const error = await new AtriumClient().signIn(T.slug, member.email, PASSWORD);
    const wrong = await new AtriumClient().signIn(T.slug, member.email, "wrong-password-123");
    expect(error).not.toBeNull();
    expect(error).toBe(wrong); // no enumeration: the right password gives the same answer as a wrong one
    expect(await new AtriumClient().signIn(T.slug, T.owner.email, PASSWORD)).toBe(wrong); // owner, but not break-glass
    const refused = await db().auditEvent.findFirst({ where: { tenantId: T.id, action: "signin.failure", reason: "sso_required" }, orderBy: { createdAt: "desc" } });
    expect(refused?.metadata).toMatchObject({ userId: T.owner.id });
    expect(await db().auditEvent.count({ where: { tenantId: T.id, action: "signin.failure", reason: "sso_required", metadata: { path: ["userId"], equals: member.id } } })).toBe(1);
    expect(await new AtriumClient().signIn(T.slug, admin.email, PASSWORD)).toBeNull();
  });

  it("set-password and reset links of users who must use SSO are refused (even one issued before SSO was required); the break-glass admin's work", async () => {
    expect((await call(owner, "PUT", "/api/sso", { requireSso: false })).status).toBe(200);
    const link = await call<{ setPasswordUrl: string }>(adminClient, "POST", `/api/users/${member.id}/set-password-link`, {});
    expect(link.status, link.text).toBe(201);
    expect((await call(owner, "PUT", "/api/sso", { requireSso: true })).status).toBe(200);
    const token = tokenOf(link.body.setPasswordUrl);
    const anon = new AtriumClient();
    expectApiError(await anon.call("GET", `/api/set-password/${token}`), 403, "sso_required", /single sign-on/);
    expectApiError(await anon.call("POST", "/api/set-password", { token, password: "A-new-Password-4242!" }), 403, "sso_required");
    expect(await db().auditEvent.count({ where: { tenantId: T.id, action: "user.set_password", reason: "sso_required" } })).toBe(2);
    const own = await call<{ setPasswordUrl: string }>(owner, "POST", `/api/users/${admin.id}/set-password-link`, {});
    expect((await anon.call("GET", `/api/set-password/${tokenOf(own.body.setPasswordUrl)}`)).status).toBe(200);
  });

  it("the users API cannot demote or disable the last break-glass administrator while SSO is required", async () => {
    const before = await db().user.findUniqueOrThrow({ where: { id: admin.id }, select: { role: true, status: true } });
    expectApiError(await call(owner, "PATCH", `/api/users/${admin.id}`, { role: "member" }), 409, "last_break_glass", /last break-glass administrator/);
    expectApiError(await call(owner, "PATCH", `/api/users/${admin.id}`, { status: "disabled" }), 409, "last_break_glass");
    expect(await db().user.findUniqueOrThrow({ where: { id: admin.id }, select: { role: true, status: true } })).toEqual(before);
    // A rename is not a lockout risk.
    expect((await call(owner, "PATCH", `/api/users/${admin.id}`, { name: "Ada Admin" })).status).toBe(200);
  });

  it("inviting while SSO is required issues no password link (the IdP activates the account); re-issuing one is refused", async () => {
    const invited = await call<{ user: { id: string; status: string }; setPasswordUrl: string | null; ssoSignInUrl: string }>(owner, "POST", "/api/users", { email: `sso-invitee@${T.domain}` });
    expect(invited.status, invited.text).toBe(201);
    expect(invited.body.setPasswordUrl).toBeNull();
    expect(invited.body.ssoSignInUrl).toMatch(new RegExp(`/t/${T.slug}/sign-in$`));
    expect(invited.body.user.status).toBe("invited");
    expect(await db().setPasswordToken.count({ where: { userId: invited.body.user.id } })).toBe(0);
    expectApiError(await call(owner, "POST", `/api/users/${invited.body.user.id}/set-password-link`, {}), 409, "conflict", /requires single sign-on/);
    expect(await db().setPasswordToken.count({ where: { userId: invited.body.user.id } })).toBe(0);
  });

  it("turning require SSO off lets passwords work again", async () => {
    expect((await call(adminClient, "PUT", "/api/sso", { requireSso: false })).status).toBe(200);
    expect(await new AtriumClient().signIn(T.slug, member.email, PASSWORD)).toBeNull();
  });
});

describe("SSO admin: permissions, isolation, secrets", () => {
  it("members and editors get 403 on every SSO route; nothing changes", async () => {
    const before = await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } });
    const routes: [string, string, unknown?][] = [
      ["GET", "/api/sso"],
      ["PUT", "/api/sso", { requireSso: false }],
      ["POST", "/api/sso/metadata", { url: HTTPS_METADATA }],
      ["POST", "/api/sso/certificates", { certificate: idpCertPem }],
      ["DELETE", `/api/sso/certificates/${idpFingerprint}`],
      ["POST", "/api/sso/sp-certificate/rotate", {}],
      ["DELETE", "/api/sso/sp-certificate/previous"],
      ["GET", "/api/sso/sp-metadata"],
      ["GET", "/api/sso/group-mappings"],
      ["POST", "/api/sso/group-mappings", { idpValue: "x", role: "admin" }],
      ["PUT", "/api/sso/break-glass", { userIds: [member.id] }],
    ];
    for (const c of [memberClient, editorClient]) {
      for (const [method, p, body] of routes) expectApiError(await call(c, method, p, body), 403, "forbidden");
    }
    expect(await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: T.id } })).toEqual(before);
    expect((await db().user.findUniqueOrThrow({ where: { id: member.id } })).ssoBreakGlass).toBe(false);
  });

  it("another tenant's admin sees only their own (empty) SSO state", async () => {
    const other = await makeTenant("ssox");
    const o = await signedIn(other, other.owner.email);
    const res = await call(o, "GET", "/api/sso");
    expect(res.body.configured).toBe(false);
    for (const s of [T.slug, idpFingerprint, IDP_ENTITY, admin.email]) expect(res.text).not.toContain(s);
    expectApiError(await call(o, "GET", "/api/sso/sp-metadata"), 404, "not_found");
    expectApiError(await call(o, "PUT", "/api/sso/break-glass", { userIds: [admin.id] }), 400, "bad_request", /no such user/);
  });

  it("no private key in any response, and none in plaintext in the database", async () => {
    const rows = await db().ssoConnection.findMany({ where: { tenantId: { in: [T.id, P.id, M.id] } } });
    expect(rows).toHaveLength(3);
    const keys: string[] = [];
    for (const r of rows) {
      for (const col of [r.spKeyEnc, r.spPreviousKeyEnc]) {
        if (!col) continue;
        const pem = openSpKey(col);
        expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
        const body = pem.replace(/-----[^-]+-----|\s/g, "");
        expect(col).not.toContain("PRIVATE KEY");
        for (const slice of [body.slice(0, 64), body.slice(800, 864), body.slice(-200, -136)]) expect(col).not.toContain(slice);
        keys.push(body);
      }
    }
    expect(seen.length).toBeGreaterThan(40);
    for (const text of seen) {
      expect(text).not.toMatch(/PRIVATE KEY/);
      for (const k of keys) {
        expect(text.includes(k.slice(0, 64))).toBe(false);
        // Past the modulus (which the certificate shares): the private exponent and the CRT values.
        expect(text.includes(k.slice(800, 864))).toBe(false);
        expect(text.includes(k.slice(-200, -136))).toBe(false);
      }
    }
    // And none in the audit trail.
    const audits = await db().auditEvent.findMany({ where: { tenantId: { in: [T.id, P.id, M.id] }, action: { startsWith: "sso." } } });
    for (const a of audits) for (const k of keys) expect(JSON.stringify(a, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(k.slice(0, 64));
  });
});
