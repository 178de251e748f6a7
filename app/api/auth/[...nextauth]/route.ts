import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { authOptions } from "@/lib/auth/next-auth-options";
import { requestMetaFrom } from "@/lib/http/request-meta";

type Ctx = { params: Promise<{ nextauth: string[] }> };

// Options are built per request so sign-in can record the client's IP, user agent and request id.
async function handler(req: NextRequest, ctx: Ctx): Promise<Response> {
  const cookies = Object.fromEntries(req.cookies.getAll().map((c) => [c.name, c.value]));
  return NextAuth(req, ctx, authOptions(requestMetaFrom(req.headers), cookies)) as Promise<Response>;
}

export { handler as GET, handler as POST };
