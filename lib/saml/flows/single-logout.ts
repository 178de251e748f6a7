import { createHash } from "node:crypto";
import type { Profile } from "@node-saml/node-saml";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { clearSessionCookieHeader } from "@/lib/auth/session-cookie";
import { endSession, resolveSession, sessionCookieName } from "@/lib/auth/session-store";
import { config } from "@/lib/config";
import { db } from "@/lib/db/client";
import { csrfTokenValid, requestOrigin } from "@/lib/http/csrf";
import type { RequestMeta } from "@/lib/http/request-meta";
import { redis } from "@/lib/redis";
import { loadSsoConnectionBySlug, type SsoConnection } from "@/lib/saml/connection";
import { readRedirectLogoutMessage } from "@/lib/saml/logout-message";
import { limitSignInByIp } from "@/lib/security/rate-limits";
import { SLUG } from "./start-sign-in";
import { newSamlMessageId, spSamlClient } from "./sp-saml-client";
import { redirect303, ssoFailure } from "./sso-failure";
import { readBodyText } from "@/lib/http/read-body";

/**
 * Single Logout, both ways (HTTP-Redirect binding towards and from the IdP).
 *
 * SP-initiated (POST /api/saml/<slug>/slo from the Sign out button, same origin + CSRF token; JSON {location} when asked): the Atrium session
 * ends first (endSession also closes its workspace sockets on every replica), then the browser goes to the IdP
 * with a signed LogoutRequest (NameID + SessionIndex of that session) when the IdP has an SLO URL. The IdP's
 * LogoutResponse comes back to GET …/slo: its InResponseTo must be a logout request we sent (one-time, Redis),
 * its signature is verified when present, then the browser lands on the signed-out page.
 *
 * IdP-initiated (GET …/slo?SAMLRequest=…): every live Atrium session of the tenant with that NameID (and one of
 * the SessionIndexes, when given) ends, and the IdP gets a signed LogoutResponse. The request must carry a valid
 * query signature by a configured IdP certificate — or, unsigned, name a SessionIndex of a live SAML session of
 * that NameID (the SessionIndex is a per-login secret only the IdP and this SP's session know; SimpleSAMLphp,
 * for one, does not sign logout messages by default). A present but invalid signature is always refused.
 */
const LOGOUT_TTL_SECONDS = 600;
const h = (s: string) => createHash("sha256").update(s).digest("base64url");
const pendingLogoutKey = (tenantId: string, id: string) => `saml:${tenantId}:logout:${h(id)}`;
const seenLogoutKey = (tenantId: string, id: string) => `saml:${tenantId}:logoutreq:${h(id)}`;

function signedOutUrl(slug: string): string {
  return `${config().PUBLIC_ORIGIN}/t/${slug}/sign-in?signedout=1`;
}

/** POST /api/saml/<slug>/slo: the signed-in user's "Sign out". */
export async function startSpLogout(req: Request, slug: string, meta: RequestMeta, cookies: Map<string, string>): Promise<Response> {
  // The page's Sign out button asks for JSON and navigates itself: the CSP's form-action 'self' would block a
  // form submission that redirects on to the IdP's origin. A plain form POST still gets the 303.
  const wantsJson = /application\/json/i.test(req.headers.get("accept") ?? "");
  const redirect = (location: string, headers: Record<string, string> = {}) =>
    wantsJson ? Response.json({ location }, { headers: { "cache-control": "no-store", ...headers } }) : redirect303(location, headers);
  const cookie = cookies.get(sessionCookieName());
  const session = cookie ? await resolveSession(cookie, meta, { touch: false }) : null;
  const form = /^application\/x-www-form-urlencoded\b/i.test(req.headers.get("content-type") ?? "") ? new URLSearchParams((await readBodyText(req, 4096)) ?? "") : new URLSearchParams();
  if (!session || session.kind !== "user") return redirect(signedOutUrl(SLUG.test(slug) ? slug : "_"), { "set-cookie": clearSessionCookieHeader() });
  if (requestOrigin(req.headers) !== "same" || !csrfTokenValid(session.sessionId, form.get("csrf"))) {
    await recordAuditEvent({
      tenantId: session.tenantId,
      actor: { type: "user", id: session.userId, label: session.email },
      action: "request.rejected",
      outcome: "failure",
      reason: "csrf",
      meta,
      metadata: { status: 403, method: "POST", path: `/api/saml/${slug.slice(0, 64)}/slo` },
    });
    return new Response("Cross-site or stale sign-out refused. Reload the page and try again.", { status: 403, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
  }
  const row = await db().session.findUnique({ where: { id: session.sessionId }, select: { authMethod: true, ssoNameId: true, ssoNameIdFormat: true, ssoSessionIndex: true } });
  await endSession(session.sessionId, "signed_out", meta, { type: "user", id: session.userId, label: session.email });
  const clear = { "set-cookie": clearSessionCookieHeader() };
  const conn = await loadSsoConnectionBySlug(session.tenantSlug);
  if (!conn || !conn.idp.sloUrl || row?.authMethod !== "saml" || !row.ssoNameId) return redirect(signedOutUrl(session.tenantSlug), clear);

  const id = newSamlMessageId();
  await redis().set(pendingLogoutKey(conn.tenantId, id), "1", "EX", LOGOUT_TTL_SECONDS);
  const user = { issuer: conn.sp.entityId, nameID: row.ssoNameId, nameIDFormat: row.ssoNameIdFormat ?? "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", sessionIndex: row.ssoSessionIndex ?? undefined } as Profile;
  const location = await spSamlClient(conn, id, { sign: true }).getLogoutUrlAsync(user, "", {});
  await recordAuditEvent({ tenantId: conn.tenantId, actor: { type: "user", id: session.userId, label: session.email }, action: "auth.sso_logout", meta, metadata: { direction: "sp", idpEntityId: conn.idp.entityId, requestId: id } });
  return redirect(location, clear);
}

/** GET /api/saml/<slug>/slo?SAMLRequest|SAMLResponse=…: messages from the IdP. */
export async function handleIdpLogoutMessage(req: Request, slug: string, meta: RequestMeta, cookies: Map<string, string>): Promise<Response> {
  const base = { slug, tenantId: null as string | null, idpEntityId: null as string | null, meta, flow: "slo" };
  const limit = await limitSignInByIp(meta.ip);
  if (!limit.allowed) return ssoFailure({ ...base, reason: "rate_limited", detail: `retry after ${limit.retryAfterSeconds}s`, kind: "rate_limited" });
  const conn = SLUG.test(slug) ? await loadSsoConnectionBySlug(slug) : null;
  if (!conn) return ssoFailure({ ...base, reason: "sso_not_configured", detail: `no SSO connection for "${slug.slice(0, 64)}"`, kind: "unavailable" });
  const ctx = { ...base, tenantId: conn.tenantId, idpEntityId: conn.idp.entityId };
  const rawQuery = new URL(req.url).search;
  const msg = readRedirectLogoutMessage(rawQuery, {
    idpCerts: conn.idp.certificates,
    idpEntityId: conn.idp.entityId,
    sloUrl: conn.sp.sloUrl,
    clockSkewSeconds: conn.policy.clockSkewSeconds,
    allowSha1: conn.policy.allowSha1,
  });
  if (!msg.ok) return ssoFailure({ ...ctx, reason: msg.reason, detail: msg.detail, kind: "logout_failed" });

  if (msg.kind === "LogoutResponse") {
    if (!msg.inResponseTo || (await redis().del(pendingLogoutKey(conn.tenantId, msg.inResponseTo))) !== 1) {
      return ssoFailure({ ...ctx, reason: "logout_in_response_to_unknown", detail: `InResponseTo "${(msg.inResponseTo ?? "").slice(0, 100)}" is not a pending logout request`, kind: "logout_failed" });
    }
    if (msg.status !== "urn:oasis:names:tc:SAML:2.0:status:Success") {
      return ssoFailure({ ...ctx, reason: "logout_status_not_success", detail: `status ${msg.status.slice(0, 200)}`, kind: "logout_failed" });
    }
    await recordAuditEvent({ tenantId: conn.tenantId, actor: { type: "system", label: "idp" }, action: "auth.sso_logout_completed", meta, metadata: { idpEntityId: conn.idp.entityId, inResponseTo: msg.inResponseTo, signed: msg.signed } });
    return redirect303(signedOutUrl(conn.tenantSlug));
  }

  // IdP-initiated LogoutRequest
  const sessions = await db().session.findMany({
    where: {
      tenantId: conn.tenantId,
      authMethod: "saml",
      ssoNameId: msg.nameId,
      revokedAt: null,
      ...(msg.sessionIndexes.length ? { ssoSessionIndex: { in: msg.sessionIndexes } } : {}),
    },
    select: { id: true, userId: true },
  });
  if (!msg.signed && (msg.sessionIndexes.length === 0 || sessions.length === 0)) {
    return ssoFailure({ ...ctx, reason: "logout_unsigned", detail: `unsigned LogoutRequest for "${msg.nameId.slice(0, 200)}" ${msg.sessionIndexes.length ? "names no live session" : "without SessionIndex"}`, kind: "logout_failed" });
  }
  const until = Math.max((msg.notOnOrAfter?.getTime() ?? 0) - Date.now(), LOGOUT_TTL_SECONDS * 1000);
  if ((await redis().set(seenLogoutKey(conn.tenantId, msg.id), "1", "PX", Math.min(until, 86_400_000), "NX")) !== "OK") {
    return ssoFailure({ ...ctx, reason: "replay", detail: `LogoutRequest "${msg.id.slice(0, 100)}" was already used`, kind: "logout_failed" });
  }
  let ended = 0;
  for (const s of sessions) if (await endSession(s.id, "signed_out", meta, { type: "system", label: `idp:${conn.idp.entityId}`.slice(0, 200) })) ended++;
  await recordAuditEvent({
    tenantId: conn.tenantId,
    actor: { type: "system", label: "idp" },
    action: "auth.sso_logout",
    meta,
    metadata: { direction: "idp", idpEntityId: conn.idp.entityId, nameId: msg.nameId.slice(0, 320), sessionIndexes: msg.sessionIndexes.slice(0, 10), signed: msg.signed, endedSessions: ended },
  });
  const headers: Record<string, string> = {};
  const cookie = cookies.get(sessionCookieName());
  if (cookie && !(await resolveSession(cookie, meta, { touch: false }))) headers["set-cookie"] = clearSessionCookieHeader();
  if (!conn.idp.sloUrl) return redirect303(signedOutUrl(conn.tenantSlug), headers);
  return redirect303(await logoutResponseUrl(conn, msg.id, msg.relayState), headers);
}

async function logoutResponseUrl(conn: SsoConnection, inResponseTo: string, relayState: string | null): Promise<string> {
  const request = { ID: inResponseTo, issuer: conn.idp.entityId } as unknown as Profile;
  return spSamlClient(conn, newSamlMessageId(), { sign: true }).getLogoutResponseUrlAsync(request, relayState ?? "", {}, true);
}
