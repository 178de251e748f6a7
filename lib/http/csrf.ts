import { config } from "@/lib/config";
import { hmacHex, safeEqual } from "@/lib/security/tokens";

/**
 * CSRF defence for cookie-authenticated state changes, two independent checks:
 *  1. the request's Origin (or, failing that, Referer) is Atrium's public origin;
 *  2. the X-CSRF-Token header carries a token bound to the session
 *     (HMAC of the session id), which another site cannot read.
 * SameSite=Lax cookies are a third, browser-side layer.
 */
export const CSRF_HEADER = "x-csrf-token";

export function csrfTokenFor(sessionId: string): string {
  return hmacHex(config().AUTH_SECRET, `csrf:${sessionId}`);
}

export function csrfTokenValid(sessionId: string, presented: string | null): boolean {
  return !!presented && safeEqual(presented, csrfTokenFor(sessionId));
}

/** "same" when the request comes from our origin, "cross" when from another, "unknown" when the browser said nothing. */
export function requestOrigin(headers: Headers): "same" | "cross" | "unknown" {
  const expected = config().PUBLIC_ORIGIN;
  const origin = headers.get("origin");
  if (origin && origin !== "null") return origin === expected ? "same" : "cross";
  if (origin === "null") return "cross";
  const referer = headers.get("referer");
  if (referer) {
    try {
      return new URL(referer).origin === expected ? "same" : "cross";
    } catch {
      return "cross";
    }
  }
  const site = headers.get("sec-fetch-site");
  if (site) return site === "same-origin" || site === "none" ? "same" : "cross";
  return "unknown";
}
