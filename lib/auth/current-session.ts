import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { resolveSession, sessionCookieName, type OperatorSession, type UserSession } from "@/lib/auth/session-store";
import { csrfTokenFor } from "@/lib/http/csrf";
import { requestMetaFrom } from "@/lib/http/request-meta";

/**
 * For server components and pages: the live session behind this request's
 * cookie (expiry and revocation enforced exactly as for the API), or null.
 */
export async function currentSession(): Promise<UserSession | OperatorSession | null> {
  const token = (await cookies()).get(sessionCookieName())?.value;
  return resolveSession(token, requestMetaFrom(await headers()));
}

/**
 * A tenant page (/t/<slug>/…) needs a signed-in user of that tenant. The URL's
 * slug only picks the sign-in page to send people to; the tenant that is shown
 * is always the session's own.
 */
export async function requireUserSession(slug: string): Promise<UserSession & { csrfToken: string }> {
  const s = await currentSession();
  if (!s || s.kind !== "user") redirect(`/t/${encodeURIComponent(slug)}/sign-in?ended=1`);
  if (s.tenantSlug !== slug) redirect(`/t/${encodeURIComponent(s.tenantSlug)}/app`);
  return { ...s, csrfToken: csrfTokenFor(s.sessionId) };
}

export async function requireOperatorSession(): Promise<OperatorSession & { csrfToken: string }> {
  const s = await currentSession();
  if (!s || s.kind !== "operator") redirect("/operator/sign-in");
  return { ...s, csrfToken: csrfTokenFor(s.sessionId) };
}
