import type { NextRequest } from "next/server";
import { loadSsoConnectionBySlug } from "@/lib/saml/connection";
import { SLUG } from "@/lib/saml/flows/start-sign-in";
import { buildSpMetadataXml } from "@/lib/saml/sp-metadata";

type Ctx = { params: Promise<{ slug: string }> };

/** Atrium's public SP metadata for this tenant; 404 when it has no SSO connection. */
export async function GET(_req: NextRequest, ctx: Ctx): Promise<Response> {
  const { slug } = await ctx.params;
  const conn = SLUG.test(slug) ? await loadSsoConnectionBySlug(slug) : null;
  if (!conn) return new Response("This organisation has no SSO connection.", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  return new Response(buildSpMetadataXml(conn), { headers: { "content-type": "application/samlmetadata+xml; charset=utf-8", "cache-control": "no-store" } });
}
