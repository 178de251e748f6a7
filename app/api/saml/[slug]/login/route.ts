import type { NextRequest } from "next/server";
import { samlRouteContext } from "@/lib/saml/flows/route-context";
import { startSamlSignIn } from "@/lib/saml/flows/start-sign-in";

type Ctx = { params: Promise<{ slug: string }> };

/** SP-initiated sign-in (and the admin's "test connection" with ?mode=test). */
export async function GET(req: NextRequest, ctx: Ctx): Promise<Response> {
  const { meta, slug, cookies } = await samlRouteContext(req, ctx);
  return startSamlSignIn(req, slug, meta, cookies);
}
