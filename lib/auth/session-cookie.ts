import { config } from "@/lib/config";
import { sessionCookieName } from "@/lib/auth/session-store";

/**
 * The session cookie exactly as next-auth sets it (lib/auth/next-auth-options.ts): same name (`__Host-` over
 * HTTPS), HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS, and next-auth's cookie lifetime. The cookie may live
 * this long; the server-side session row decides when the session really ends. Used by sign-ins that do not go
 * through next-auth (SAML).
 */
export const SESSION_COOKIE_MAX_AGE_SECONDS = 30 * 86_400;

export function sessionCookieOptions() {
  return { httpOnly: true, sameSite: "lax" as const, path: "/", secure: config().secureCookies };
}

/** A Set-Cookie header value for the session token. */
export function sessionCookieHeader(token: string): string {
  const o = sessionCookieOptions();
  return `${sessionCookieName()}=${token}; Path=${o.path}; Max-Age=${SESSION_COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${o.secure ? "; Secure" : ""}`;
}

/** A Set-Cookie header value that removes the session cookie. */
export function clearSessionCookieHeader(): string {
  const o = sessionCookieOptions();
  return `${sessionCookieName()}=; Path=${o.path}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax${o.secure ? "; Secure" : ""}`;
}
