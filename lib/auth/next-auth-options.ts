import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { config } from "@/lib/config";
import { createSession, endSession, resolveSession, sessionCookieName, type Principal } from "@/lib/auth/session-store";
import { SESSION_COOKIE_MAX_AGE_SECONDS, sessionCookieOptions } from "@/lib/auth/session-cookie";
import { signInOperator, signInTenantUser, type SignInResult } from "@/lib/auth/sign-in-with-password";
import type { RequestMeta } from "@/lib/http/request-meta";

/**
 * next-auth does the sign-in and sign-out plumbing (its CSRF-protected
 * endpoints, the credentials flow, the cookie). Its "JWT" is replaced by an
 * opaque token of our server-side session store:
 *
 *  - encode() at sign-in creates a fresh session row (rotation: a new 256-bit
 *    token every sign-in, and the session the browser held before is ended);
 *  - decode() resolves the token against the store, enforcing absolute and idle
 *    expiry and revocation, so nothing next-auth hands out outlives the row;
 *  - events.signOut ends the row.
 *
 * next-auth's own defaults (a self-contained JWT, no absolute timeout, not
 * revocable) are therefore never in effect.
 */

interface AtriumToken {
  principal?: Principal;
  sessionToken?: string;
  email?: string;
  [key: string]: unknown;
}

interface AuthorizedUser {
  id: string;
  email: string;
  principal: Principal;
}

export class SignInRefused extends Error {}

function toUser(result: SignInResult): AuthorizedUser | null {
  if (result.ok) {
    const id = result.principal.kind === "user" ? result.principal.userId : result.principal.operatorId;
    return { id, email: result.email, principal: result.principal };
  }
  // next-auth passes a thrown error's message to the client as `error`.
  if (result.error === "rate_limited") throw new SignInRefused(`RateLimited:${result.retryAfterSeconds}`);
  return null;
}

const str = (v: unknown, max: number) => (typeof v === "string" ? v.slice(0, max) : "");

export function authOptions(meta: RequestMeta, cookies: Record<string, string>): AuthOptions {
  const c = config();
  process.env.NEXTAUTH_URL ??= `${c.PUBLIC_ORIGIN}/api/auth`;
  return {
    secret: c.AUTH_SECRET,
    useSecureCookies: c.secureCookies,
    // The cookie may live this long; the server-side row decides when the session really ends.
    session: { strategy: "jwt", maxAge: SESSION_COOKIE_MAX_AGE_SECONDS, updateAge: 0 },
    // The same cookie SAML sign-in sets (lib/auth/session-cookie.ts).
    cookies: { sessionToken: { name: sessionCookieName(), options: sessionCookieOptions() } },
    pages: { signIn: "/", error: "/" },
    providers: [
      CredentialsProvider({
        id: "tenant-password",
        name: "Password",
        credentials: { tenant: { type: "text" }, email: { type: "email" }, password: { type: "password" } },
        authorize: async (creds) =>
          toUser(await signInTenantUser({ tenantSlug: str(creds?.tenant, 64), email: str(creds?.email, 320), password: str(creds?.password, 1024) }, meta)),
      }),
      CredentialsProvider({
        id: "operator-password",
        name: "Operator password",
        credentials: { email: { type: "email" }, password: { type: "password" } },
        authorize: async (creds) => toUser(await signInOperator({ email: str(creds?.email, 320), password: str(creds?.password, 1024) }, meta)),
      }),
    ],
    callbacks: {
      jwt: async ({ token, user }) => {
        if (user) return { principal: (user as unknown as AuthorizedUser).principal, email: user.email ?? "" } satisfies AtriumToken;
        return token;
      },
      session: async ({ session, token }) => {
        const t = token as AtriumToken;
        return { ...session, user: { email: t.email ?? null }, principal: t.principal } as typeof session;
      },
      // Only same-origin redirects (next-auth's default also allows its own base URL; keep it strict).
      redirect: async ({ url, baseUrl }) => {
        const origin = new URL(baseUrl).origin;
        if (url.startsWith("/") && !url.startsWith("//")) return `${origin}${url}`;
        try {
          return new URL(url).origin === origin ? url : origin;
        } catch {
          return origin;
        }
      },
    },
    jwt: {
      encode: async ({ token }) => {
        const t = (token ?? {}) as AtriumToken;
        if (t.sessionToken) return t.sessionToken;
        if (!t.principal) throw new Error("no principal to start a session for");
        // Rotation: the session this browser held before signing in ends now.
        const previous = cookies[sessionCookieName()];
        if (previous) {
          const old = await resolveSession(previous, meta, { touch: false });
          if (old) await endSession(old.sessionId, "rotated", meta);
        }
        const created = await createSession(t.principal, meta);
        return created.token;
      },
      decode: async ({ token }) => {
        const s = await resolveSession(token, meta);
        if (!s) return null;
        const principal: Principal = s.kind === "user" ? { kind: "user", userId: s.userId, tenantId: s.tenantId } : { kind: "operator", operatorId: s.operatorId };
        return { sessionToken: token, principal, email: s.email } satisfies AtriumToken;
      },
    },
    events: {
      signOut: async ({ token }) => {
        const t = token as AtriumToken | null;
        if (!t?.sessionToken) return;
        const s = await resolveSession(t.sessionToken, meta, { touch: false });
        if (s) await endSession(s.sessionId, "signed_out", meta, s.kind === "user" ? { type: "user", id: s.userId, label: s.email } : { type: "operator", id: s.operatorId, label: s.email });
      },
    },
  };
}
