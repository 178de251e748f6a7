import type { NextRequest } from "next/server";
import { requestMetaFrom, type RequestMeta } from "@/lib/http/request-meta";

/** What every SAML route handler needs from Next's request: meta (request id = correlation id), slug, cookies. */
export async function samlRouteContext(req: NextRequest, ctx: { params: Promise<{ slug: string }> }): Promise<{ meta: RequestMeta; slug: string; cookies: Map<string, string> }> {
  const { slug } = await ctx.params;
  return { meta: requestMetaFrom(req.headers), slug: String(slug).slice(0, 100), cookies: new Map(req.cookies.getAll().map((c) => [c.name, c.value])) };
}
