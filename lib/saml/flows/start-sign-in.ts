import { resolveSession, sessionCookieName } from "@/lib/auth/session-store";
import { config } from "@/lib/config";
import type { RequestMeta } from "@/lib/http/request-meta";
import { loadSsoConnectionBySlug } from "@/lib/saml/connection";
import { safeRelayState } from "@/lib/saml/validate-response";
import { limitSignInByIp } from "@/lib/security/rate-limits";
import { randomToken, sha256Hex } from "@/lib/security/tokens";
import { samlCachesFor } from "./saml-caches";
import { newSamlMessageId, spSamlClient } from "./sp-saml-client";
import { redirect303, ssoFailure } from "./sso-failure";

export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/**
 * A same-origin relative path inside this tenant's area (safeRelayState), or null: other origins, other tenants'
 * pages and API routes are never a destination after sign-in.
 */
export function tenantNextPath(slug: string, value: unknown): string | null {
  const path = safeRelayState(value, config().PUBLIC_ORIGIN);
  const home = `/t/${slug}`;
  return path && (path === home || path.startsWith(`${home}/`) || path.startsWith(`${home}?`)) ? path : null;
}

/**
 * GET /api/saml/<slug>/login[?next=/t/<slug>/…][&mode=test]: SP-initiated sign-in. Builds the AuthnRequest
 * (signed with the SP key, RSA-SHA256, when the IdP wants signed requests), remembers its id in Redis (one-time,
 * with the mode, the sanitised next path and — for a test — the admin), and redirects to the IdP (HTTP-Redirect).
 * No RelayState is sent: everything the ACS needs is in the pending record, found by the signed InResponseTo.
 * mode=test needs a signed-in owner/admin of that tenant and works while the connection is still disabled.
 */
export async function startSamlSignIn(req: Request, slug: string, meta: RequestMeta, cookies: Map<string, string>): Promise<Response> {
  const url = new URL(req.url);
  const mode = url.searchParams.get("mode") === "test" ? "test" : "login";
  const base = { slug, tenantId: null as string | null, idpEntityId: null as string | null, meta, flow: mode === "test" ? "test" : "login" };
  const limit = await limitSignInByIp(meta.ip);
  if (!limit.allowed) return ssoFailure({ ...base, reason: "rate_limited", detail: `retry after ${limit.retryAfterSeconds}s`, kind: "rate_limited" });
  const conn = SLUG.test(slug) ? await loadSsoConnectionBySlug(slug) : null;
  if (!conn) return ssoFailure({ ...base, reason: "sso_not_configured", detail: `no SSO connection for "${slug.slice(0, 64)}"`, kind: "unavailable" });
  const ctx = { ...base, tenantId: conn.tenantId, idpEntityId: conn.idp.entityId };

  let adminUserId: string | null = null;
  if (mode === "test") {
    const s = await resolveSession(cookies.get(sessionCookieName()), meta);
    if (!s || s.kind !== "user" || s.tenantId !== conn.tenantId || (s.role !== "owner" && s.role !== "admin")) {
      return ssoFailure({ ...ctx, reason: "test_not_allowed", detail: s ? `session of ${s.kind === "user" ? s.email : "an operator"} may not test this connection` : "no session", kind: "not_allowed" });
    }
    adminUserId = s.userId;
  } else if (!conn.enabled) {
    return ssoFailure({ ...ctx, reason: "sso_disabled", detail: "the connection exists but is disabled", kind: "unavailable" });
  }

  const next = tenantNextPath(slug, url.searchParams.get("next"));

  // Login-CSRF defence: the sign-in completes only in the browser that started it (see loginBindingCookie).
  const existing = cookies.get(LOGIN_BINDING_COOKIE);
  const nonce = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomToken(32);
  const requestId = newSamlMessageId();
  await samlCachesFor(conn.tenantId).rememberPendingRequest(requestId, { mode, next, adminUserId, browserBinding: sha256Hex(nonce) });
  const location = await spSamlClient(conn, requestId, { sign: conn.idp.wantsSignedRequests }).getAuthorizeUrlAsync("", undefined, {});
  return redirect303(location, { "set-cookie": loginBindingCookie(nonce) });
}

/**
 * A random value the browser keeps while it signs in at the IdP (HttpOnly, SameSite=Lax, 10 minutes). Its hash is
 * stored with the pending request; the sign-in is completed (GET …/acs?complete=…, a same-site navigation that
 * carries it) only when the browser presents it. So a response an attacker obtained for their own login cannot
 * be planted in someone else's browser (login CSRF). Reused while present, so parallel sign-ins in tabs work.
 */
export const LOGIN_BINDING_COOKIE = "atrium.saml-login";

function loginBindingCookie(nonce: string): string {
  return `${LOGIN_BINDING_COOKIE}=${nonce}; Path=/api/saml/; Max-Age=600; HttpOnly; SameSite=Lax${config().secureCookies ? "; Secure" : ""}`;
}
