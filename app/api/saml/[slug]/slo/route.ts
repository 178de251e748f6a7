import type { NextRequest } from "next/server";
import { samlRouteContext } from "@/lib/saml/flows/route-context";
import { handleIdpLogoutMessage, startSpLogout } from "@/lib/saml/flows/single-logout";

type Ctx = { params: Promise<{ slug: string }> };

/** LogoutRequest / LogoutResponse from the IdP (HTTP-Redirect binding). */
export async function GET(req: NextRequest, ctx: Ctx): Promise<Response> {
  const { meta, slug, cookies } = await samlRouteContext(req, ctx);
  return handleIdpLogoutMessage(req, slug, meta, cookies);
}

/** The signed-in user's Sign out (same origin + CSRF token): ends the session, then Single Logout at the IdP. */
export async function POST(req: NextRequest, ctx: Ctx): Promise<Response> {
  const { meta, slug, cookies } = await samlRouteContext(req, ctx);
  return startSpLogout(req, slug, meta, cookies);
}
