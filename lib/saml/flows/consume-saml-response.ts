import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { sessionCookieHeader } from "@/lib/auth/session-cookie";
import { createSession, endSession, resolveSession } from "@/lib/auth/session-store";
import { config } from "@/lib/config";
import { readBodyText } from "@/lib/http/read-body";
import type { RequestMeta } from "@/lib/http/request-meta";
import { redis } from "@/lib/redis";
import { loadSsoConnectionBySlug, type SsoConnection } from "@/lib/saml/connection";
import { decodePostBindingMessage, SAML_LIMITS } from "@/lib/saml/limits";
import { randomToken, sha256Hex } from "@/lib/security/tokens";
import { limitSignInByIp } from "@/lib/security/rate-limits";
import { NS, childElements, firstChild, parseGuardedXml } from "@/lib/saml/xml-guard";
import { validateSamlResponse, type SamlProfile, type SamlValidationResult } from "@/lib/saml/validate-response";
import { mapSamlProfile, type MappedProfile } from "./map-saml-profile";
import { provisionSamlUser } from "./provision-saml-user";
import { putOnce, samlCachesFor, takeOnce } from "./saml-caches";
import { LOGIN_BINDING_COOKIE, SLUG, tenantNextPath } from "./start-sign-in";
import { redirect303, ssoFailure } from "./sso-failure";

/** The form body may hold the base64 SAMLResponse (limit checked again by the validator) and a RelayState. */
const MAX_FORM_BYTES = SAML_LIMITS.maxPostBase64Chars * 2 + 8192;
const COMPLETION_TTL_SECONDS = 60;
const TEST_RESULT_TTL_SECONDS = 600;

interface Completion {
  tenantId: string;
  slug: string;
  /** The validated, mapped profile; the user is provisioned only once the binding check has passed. */
  mapped: MappedProfile;
  next: string;
  notOnOrAfter: string | null;
  sso: { nameId: string; nameIdFormat: string | null; sessionIndex: string | null };
  idpEntityId: string;
  /** From the pending request (SP-initiated); null for IdP-initiated sign-ins, which have no browser to bind to. */
  browserBinding: string | null;
}

export interface SamlTestResult {
  receivedAt: string;
  issuer: string;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  sessionNotOnOrAfter: string | null;
  attributes: Record<string, string[]>;
  mapped: MappedProfile;
}

const completionKey = (code: string) => `saml:complete:${code}`;
const testResultKey = (tenantId: string, userId: string) => `saml:test-result:${tenantId}:${userId}`;

/** The last "test connection" result of this admin (for the test-result page); null when none or expired. */
export async function readSamlTestResult(tenantId: string, userId: string): Promise<SamlTestResult | null> {
  const raw = await redis().get(testResultKey(tenantId, userId));
  return raw ? (JSON.parse(raw) as SamlTestResult) : null;
}

/** InResponseTo of the Response (or of its bearer SubjectConfirmationData), read without trusting it: it only picks the pending record; the validator then checks it against the signed content. */
function peekInResponseTo(b64: string): string | null {
  const decoded = decodePostBindingMessage(b64);
  if (!decoded.ok) return null;
  const parsed = parseGuardedXml(decoded.value);
  if (!parsed.ok) return null;
  const irt = parsed.root.getAttribute("InResponseTo");
  if (irt) return irt.slice(0, 256);
  const assertion = firstChild(parsed.root, NS.saml, "Assertion");
  const subject = assertion && firstChild(assertion, NS.saml, "Subject");
  for (const sc of subject ? childElements(subject, NS.saml, "SubjectConfirmation") : []) {
    const v = firstChild(sc, NS.saml, "SubjectConfirmationData")?.getAttribute("InResponseTo");
    if (v) return v.slice(0, 256);
  }
  return null;
}

async function validateWithKeys(conn: SsoConnection, b64: string, relayState: string | null, expectedRequestId: string | null): Promise<SamlValidationResult> {
  const caches = samlCachesFor(conn.tenantId);
  const settings = {
    idpCerts: conn.idp.certificates,
    idpEntityId: conn.idp.entityId,
    spEntityId: conn.sp.entityId,
    acsUrl: conn.sp.acsUrl,
    expectedRequestId,
    allowIdpInitiated: conn.policy.allowIdpInitiated,
    clockSkewSeconds: conn.policy.clockSkewSeconds,
    wantAssertionsSigned: conn.policy.wantAssertionsSigned,
    wantResponseSigned: conn.policy.wantResponseSigned,
    allowSha1: conn.policy.allowSha1,
  };
  const input = { samlResponseB64: b64, relayState };
  const r = await validateSamlResponse(input, { ...settings, decryptionKey: conn.sp.privateKey }, caches);
  // During an SP key rotation the IdP may still encrypt to the previous certificate. A decryption failure
  // consumes nothing (caches are touched only after every check passed), so trying again is safe.
  if (!r.ok && r.reason === "decryption_failed" && conn.sp.previousPrivateKey) {
    return validateSamlResponse(input, { ...settings, decryptionKey: conn.sp.previousPrivateKey }, caches);
  }
  return r;
}

/**
 * POST /api/saml/<slug>/acs (HTTP-POST binding). A cross-site POST from the IdP by design, so it is not behind the
 * API wrapper's Origin/CSRF check: the signature and the one-time InResponseTo are the authentication.
 * Success (mode login) does not set the cookie here: the browser does not send its SameSite=Lax cookie on this
 * cross-site POST, so the session is created on the same-site redirect that follows (GET …/acs?complete=…), where
 * the session the browser held can be ended (rotation).
 */
export async function consumeSamlResponse(req: Request, slug: string, meta: RequestMeta): Promise<Response> {
  const base = { slug, tenantId: null as string | null, idpEntityId: null as string | null, meta, flow: "acs" };
  const limit = await limitSignInByIp(meta.ip);
  if (!limit.allowed) return ssoFailure({ ...base, reason: "rate_limited", detail: `retry after ${limit.retryAfterSeconds}s`, kind: "rate_limited" });
  const conn = SLUG.test(slug) ? await loadSsoConnectionBySlug(slug) : null;
  if (!conn) return ssoFailure({ ...base, reason: "sso_not_configured", detail: `no SSO connection for "${slug.slice(0, 64)}"`, kind: "unavailable" });
  const ctx = { ...base, tenantId: conn.tenantId, idpEntityId: conn.idp.entityId };

  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) return ssoFailure({ ...ctx, reason: "bad_request", detail: `content type "${type.slice(0, 100)}"`, kind: "failed" });
  const text = await readBodyText(req, MAX_FORM_BYTES);
  if (text === null) return ssoFailure({ ...ctx, reason: "too_large", detail: `request body over ${MAX_FORM_BYTES} bytes`, kind: "failed" });
  const form = new URLSearchParams(text);
  const b64 = form.get("SAMLResponse");
  if (!b64) return ssoFailure({ ...ctx, reason: "bad_request", detail: "no SAMLResponse field", kind: "failed" });
  const relayState = form.get("RelayState");

  const expectedRequestId = peekInResponseTo(b64);
  const pending = expectedRequestId ? await samlCachesFor(conn.tenantId).peekPendingRequest(expectedRequestId) : null;
  if (!conn.enabled && pending?.mode !== "test") return ssoFailure({ ...ctx, reason: "sso_disabled", detail: "the connection exists but is disabled", kind: "unavailable" });

  const result = await validateWithKeys(conn, b64, relayState || null, expectedRequestId);
  if (!result.ok) return ssoFailure({ ...ctx, flow: pending?.mode === "test" ? "test" : "acs", reason: result.reason, detail: result.detail, kind: "failed" });
  const profile = result.profile;
  const mapped = mapSamlProfile(profile, conn);

  if (pending?.mode === "test") return finishTest(conn, profile, mapped, pending.adminUserId, meta);

  const code = randomToken(32);
  const completion: Completion = {
    tenantId: conn.tenantId,
    slug,
    mapped,
    next: pending?.next ?? tenantNextPath(slug, result.relayState) ?? `/t/${slug}/app`,
    notOnOrAfter: profile.sessionNotOnOrAfter?.toISOString() ?? null,
    sso: { nameId: profile.nameId, nameIdFormat: profile.nameIdFormat, sessionIndex: profile.sessionIndex },
    idpEntityId: conn.idp.entityId,
    browserBinding: pending?.browserBinding ?? null,
  };
  await putOnce(completionKey(code), completion, COMPLETION_TTL_SECONDS);
  return redirect303(`${conn.sp.acsUrl}?complete=${code}`);
}

async function finishTest(conn: SsoConnection, profile: SamlProfile, mapped: MappedProfile, adminUserId: string | null, meta: RequestMeta): Promise<Response> {
  const ctx = { slug: conn.tenantSlug, tenantId: conn.tenantId, idpEntityId: conn.idp.entityId, meta, flow: "test" };
  if (!adminUserId) return ssoFailure({ ...ctx, reason: "test_not_allowed", detail: "the pending test has no admin", kind: "not_allowed" });
  const result: SamlTestResult = {
    receivedAt: new Date().toISOString(),
    issuer: profile.issuer,
    nameId: profile.nameId,
    nameIdFormat: profile.nameIdFormat,
    sessionIndex: profile.sessionIndex,
    sessionNotOnOrAfter: profile.sessionNotOnOrAfter?.toISOString() ?? null,
    attributes: profile.attributes,
    mapped,
  };
  await redis().set(testResultKey(conn.tenantId, adminUserId), JSON.stringify(result), "EX", TEST_RESULT_TTL_SECONDS);
  await recordAuditEvent({
    tenantId: conn.tenantId,
    actor: { type: "user", id: adminUserId },
    action: "sso.test_connection",
    meta,
    metadata: { idpEntityId: conn.idp.entityId, nameId: profile.nameId.slice(0, 320), email: mapped.email, groups: mapped.groups.slice(0, 50) },
  });
  return redirect303(`${config().PUBLIC_ORIGIN}/t/${conn.tenantSlug}/admin/sso/test-result`);
}

/**
 * GET /api/saml/<slug>/acs?complete=<code>: the same-site second half of a successful sign-in. Checks that this is
 * the browser that started the sign-in (login-binding cookie), provisions the user (JIT, groups, role), ends the
 * session this browser held (rotation), creates the SAML session (expiry = min(tenant maximum, SessionNotOnOrAfter)), sets
 * the session cookie as next-auth would, audits auth.sign_in and goes to the relay path.
 */
export async function completeSamlSignIn(req: Request, slug: string, meta: RequestMeta, cookies: Map<string, string>, cookieName: string): Promise<Response> {
  const code = new URL(req.url).searchParams.get("complete") ?? "";
  const done = /^[A-Za-z0-9_-]{43}$/.test(code) ? await takeOnce<Completion>(completionKey(code)) : null;
  if (!done || done.slug !== slug) {
    return ssoFailure({ slug, tenantId: done?.tenantId ?? null, idpEntityId: done?.idpEntityId ?? null, meta, flow: "acs", reason: "completion_unknown", detail: "unknown, expired or used completion code", kind: "failed" });
  }
  const ctx = { slug, tenantId: done.tenantId, idpEntityId: done.idpEntityId, meta, flow: "acs" };
  if (done.browserBinding && sha256Hex(cookies.get(LOGIN_BINDING_COOKIE) ?? "") !== done.browserBinding) {
    return ssoFailure({ ...ctx, reason: "browser_mismatch", detail: `the sign-in of ${done.mapped.email ?? "?"} was started in another browser`, kind: "failed" });
  }
  const conn = await loadSsoConnectionBySlug(slug);
  if (!conn || conn.tenantId !== done.tenantId) return ssoFailure({ ...ctx, reason: "sso_not_configured", detail: "the connection disappeared during the sign-in", kind: "unavailable" });
  const provisioned = await provisionSamlUser(conn, done.mapped, meta);
  if (!provisioned.ok) {
    return ssoFailure({ ...ctx, reason: provisioned.reason, detail: provisioned.detail, kind: provisioned.reason === "user_disabled" ? "user_disabled" : "not_provisioned" });
  }
  const previous = cookies.get(cookieName);
  if (previous) {
    const old = await resolveSession(previous, meta, { touch: false });
    if (old) await endSession(old.sessionId, "rotated", meta);
  }
  const created = await createSession({ kind: "user", userId: provisioned.userId, tenantId: done.tenantId }, meta, {
    authMethod: "saml",
    notOnOrAfter: done.notOnOrAfter ? new Date(done.notOnOrAfter) : undefined,
    sso: done.sso,
  });
  await recordAuditEvent({
    tenantId: done.tenantId,
    actor: { type: "user", id: provisioned.userId, label: provisioned.email },
    action: "auth.sign_in",
    target: { type: "session", id: created.sessionId },
    meta,
    metadata: { method: "saml", idpEntityId: done.idpEntityId, jitProvisioned: provisioned.created, expiresAt: created.expiresAt.toISOString() },
  });
  return redirect303(`${config().PUBLIC_ORIGIN}${done.next}`, { "set-cookie": sessionCookieHeader(created.token) });
}

