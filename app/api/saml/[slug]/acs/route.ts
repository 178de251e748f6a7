import type { NextRequest } from "next/server";
import { sessionCookieName } from "@/lib/auth/session-store";
import { completeSamlSignIn, consumeSamlResponse } from "@/lib/saml/flows/consume-saml-response";
import { samlRouteContext } from "@/lib/saml/flows/route-context";

type Ctx = { params: Promise<{ slug: string }> };

/**
 * Assertion Consumer Service (HTTP-POST binding). Deliberately not behind apiRoute's Origin/CSRF check: the IdP's
 * auto-submitted form is a cross-site POST by design; the signature and the one-time InResponseTo authenticate it.
 */
export async function POST(req: NextRequest, ctx: Ctx): Promise<Response> {
  const { meta, slug } = await samlRouteContext(req, ctx);
  return consumeSamlResponse(req, slug, meta);
}

/** The same-site second half of a successful sign-in (creates the session, sets the cookie). */
export async function GET(req: NextRequest, ctx: Ctx): Promise<Response> {
  const { meta, slug, cookies } = await samlRouteContext(req, ctx);
  return completeSamlSignIn(req, slug, meta, cookies, sessionCookieName());
}
