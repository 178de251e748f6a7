import { z } from "zod";
import { apiRoute } from "@/lib/http/api-route";
import { workspaceCall } from "@/lib/workspace/runtime";
import { engineStartStream } from "@/lib/workspace/sse";

export const dynamic = "force-dynamic";

/** Starts (or joins) the caller's engine of this app; answers with Server-Sent Events. */
export const POST = apiRoute({ auth: "self", body: z.object({}).strict() }, async (ctx, { params }) => {
  const start = await workspaceCall((s) => s.startEngine(ctx.user, params.id!));
  return engineStartStream(start, params.id!);
});

export const DELETE = apiRoute({ auth: "self" }, async (ctx, { params }) => {
  await workspaceCall((s) => s.stopOwnEngine(ctx.user, params.id!));
  return { ok: true };
});
